import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { actorArn, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { identityArns, personKey } from '../core/signin.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

/** The path IAM Identity Center gives the roles of its permission sets (`AWSReservedSSO_…`). */
const IDENTITY_CENTER_ROLE = ':role/aws-reserved/sso.amazonaws.com/';
/** The Java client the Identity Center portal's back end calls the federation endpoint with (Sigma's filter). */
const PORTAL_AGENT = 'Jersey/';

/**
 * The portal's own console federation: a permission-set role session, asked for by the portal's back end. Both
 * must hold: the same role's credentials taken from `~/.aws/sso/cache` and fed to aws_consoler come from a
 * script's user agent. A user agent alone is forgeable, so it never clears anything else.
 */
const isIdentityCenterPortal = (e: CloudTrailRecord): boolean =>
  e.userIdentity.type === 'AssumedRole' &&
  (e.userIdentity.sessionContext?.sessionIssuer?.arn ?? '').includes(IDENTITY_CENTER_ROLE) &&
  (e.userAgent ?? '').startsWith(PORTAL_AGENT);

export const rule = defineRule({
  id: 'signin.console-session-from-keys',
  title: 'Console session minted from programmatic credentials (GetSigninToken)',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.5', 'A.8.2'],
  mitre: ['T1550.001', 'T1021.007'],
  on: { source: 'signin', eventNames: ['GetSigninToken'] },
  // Every outcome: a refused attempt still shows someone turning keys into a console session.
  match: (e) => !isIdentityCenterPortal(e),
  explain: (e) => {
    const issuer = e.userIdentity.sessionContext?.sessionIssuer?.arn;
    const result = stringParam(e.responseElements, 'GetSigninToken') ?? e.errorCode ?? 'result not recorded';
    return [
      `${actorArn(e)} (${e.userIdentity.type ?? 'unknown type'}) asked the federation endpoint for a console sign-in token: ${result}`,
      ...(issuer === undefined ? [] : [`the credentials were issued by ${issuer}`]),
      `from ${e.sourceIPAddress ?? 'unknown'} with user agent ${JSON.stringify(e.userAgent ?? '')}, not the IAM Identity Center portal`,
    ];
  },
  resources: identityArns,
  dedup: { key: personKey, windowSeconds: 3600 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'Temporary credentials (a federated user from GetFederationToken, or a role session) were exchanged for a ' +
    'console sign-in token at the federation endpoint (signin GetSigninToken), outside the IAM Identity Center ' +
    "portal's own sign-in. This is how stolen access keys become a browser session (aws_consoler, Pacu): the " +
    'console session hides which key was stolen and needs no MFA.',
  runbook: [
    'Look up the credentials behind the token: the federated user or role session in the finding, and for a federated user the IAM user that issued it (sessionIssuer).',
    'Revoke: for an IAM user, attach an inline deny-all with `aws:TokenIssueTime` before now and deactivate its keys; for a role, "Revoke active sessions" on the role.',
    'Review every console and API action of the session (CloudTrail, same principal) from the token time on; the console session lasts up to 12 hours.',
  ],
  rationale:
    'People sign in with a password, SSO or SAML; converting programmatic credentials into a console session is ' +
    'what a credential thief does next (Sigma aws_console_getsignintoken, CrowdStrike SCATTERED SPIDER reports). ' +
    'The IAM Identity Center portal calls the same endpoint for every console click-through, from its permission-' +
    'set role with a Jersey user agent: that pair alone is excluded; a permission-set role used from a script ' +
    '(credentials copied from the SSO cache) still fires. High: an MFA-less console session; critical on ' +
    'high-criticality accounts.',
  falsePositives: [
    'Developer tools that open a console from CLI credentials (Leapp, granted, aws-vault login): suppress them by the principal that uses them, with a date.',
    'A custom identity broker (the AWS "custom federation broker" pattern): suppress its role sessions by role ARN.',
  ],
  cases: () => [
    {
      name: 'a federated user from GetFederationToken gets a sign-in token from a script (aws_consoler)',
      expect: 'match',
      event: fixture('signin/GetSigninToken'),
    },
    {
      name: 'Identity Center role credentials from the SSO cache, used from a script',
      expect: 'match',
      event: fixture('signin/GetSigninToken-sso-portal', { userAgent: 'python-requests/2.31.0' }),
    },
    {
      name: 'a role session forging the portal user agent is still not the portal',
      expect: 'match',
      event: fixture('signin/GetSigninToken', {
        userIdentity: {
          type: 'AssumedRole',
          principalId: 'AROAEXAMPLEDEVELOPER:mallory',
          arn: 'arn:aws:sts::111122223333:assumed-role/developer/mallory',
          sessionContext: {
            sessionIssuer: {
              type: 'Role',
              principalId: 'AROAEXAMPLEDEVELOPER',
              arn: 'arn:aws:iam::111122223333:role/developer',
              userName: 'developer',
            },
          },
        },
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the portal's user agent is this unexpanded Maven placeholder
        userAgent: 'Jersey/${project.version} (HttpUrlConnection 17.0.13)',
      }),
    },
    {
      name: "the IAM Identity Center portal's own console sign-in",
      expect: 'no-match',
      event: fixture('signin/GetSigninToken-sso-portal'),
    },
    {
      name: 'a console password sign-in is not a token exchange',
      expect: 'no-match',
      event: fixture('signin/ConsoleLogin'),
    },
  ],
};
