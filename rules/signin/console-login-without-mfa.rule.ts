import { partitionOf } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

/** Only these identities authenticate with an AWS-held password, so only for them does `MFAUsed` mean anything. */
const PASSWORD_IDENTITIES = new Set(['IAMUser', 'Root']);
const FEDERATED_TYPES = new Set(['AssumedRole', 'SAMLUser', 'WebIdentityUser', 'FederatedUser']);

/**
 * Federated and IAM Identity Center sign-ins always say `MFAUsed: No`: MFA happens at the identity provider, which
 * CloudTrail cannot see. Any trace of federation rules the event out, even if the identity type looks local.
 */
const isFederated = (e: CloudTrailRecord): boolean => {
  const id = e.userIdentity;
  if (FEDERATED_TYPES.has(id.type ?? '')) return true;
  // Console sessions of root and IAM users carry an empty `sessionIssuer: {}`; only a populated one means a role.
  const issuer = id.sessionContext?.sessionIssuer;
  if (issuer?.arn !== undefined || issuer?.type !== undefined) return true;
  if ((id.arn ?? '').includes('/AWSReservedSSO_')) return true;
  return stringParam(e.additionalEventData, 'SamlProviderArn') !== undefined;
};

const identityArn = (e: CloudTrailRecord): readonly string[] => {
  const id = e.userIdentity;
  const account = id.accountId ?? accountOf(e);
  if (id.arn) return [id.arn];
  if (id.type === 'Root') return [`arn:${partitionOf(e.awsRegion)}:iam::${account}:root`];
  return id.userName ? [`arn:${partitionOf(e.awsRegion)}:iam::${account}:user/${id.userName}`] : [];
};

export const rule = defineRule({
  id: 'signin.console-login-without-mfa',
  title: 'Console sign-in without MFA by an IAM user or the root user',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.5'],
  mitre: ['T1078'],
  on: { source: 'signin', eventNames: ['ConsoleLogin'] },
  match: (e) =>
    stringParam(e.responseElements, 'ConsoleLogin') === 'Success' &&
    PASSWORD_IDENTITIES.has(e.userIdentity.type ?? '') &&
    stringParam(e.additionalEventData, 'MFAUsed') === 'No' &&
    !isFederated(e),
  resources: identityArn,
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An IAM user or the root user signed in to the console with a password alone: MFA is not enforced for them, so ' +
    'a stolen or guessed password is enough to get in.',
  runbook: [
    'Confirm with the person that the sign-in was theirs (time, sourceIPAddress, userAgent in the finding).',
    'List their MFA devices: `aws iam list-mfa-devices --user-name <user>` (root: check the account security ' +
      'credentials page or `aws iam get-account-summary` → AccountMFAEnabled).',
    'Enforce MFA: assign a device, then attach a policy that denies everything without `aws:MultiFactorAuthPresent` ' +
      'until one is registered; for root, register a hardware or passkey MFA and lock the credentials away.',
    'If the sign-in was not theirs, reset the password (`aws iam update-login-profile --user-name <user> ' +
      '--password-reset-required`) and review what the session did.',
  ],
  rationale:
    'Any single password-only sign-in is a finding, with no threshold: DESIGN §3 ranks MFA bypass as high for ' +
    'authentication, and critical on high-criticality assets (root, production accounts) because one password is all ' +
    'that stands between an attacker and full control there. Federated sign-ins are excluded because their MFA ' +
    'happens at the identity provider and CloudTrail always reports `MFAUsed: No` for them.',
  falsePositives: [
    'Break-glass IAM users deliberately kept without MFA (prefer MFA on them too; otherwise suppress per user with a reason).',
    'A new user signing in for the first time to register an MFA device.',
  ],
  cases: () => [
    {
      name: 'IAM user signs in without MFA',
      expect: 'match',
      event: fixture('signin/ConsoleLogin', { additionalEventData: { MFAUsed: 'No', MFAIdentifier: undefined } }),
    },
    {
      name: 'root signs in without MFA',
      expect: 'match',
      criticality: 'high',
      event: fixture('signin/ConsoleLogin-root'),
    },
    {
      name: 'IAM user whose console session carries an empty sessionIssuer is still local',
      expect: 'match',
      event: fixture('signin/ConsoleLogin', {
        userIdentity: { sessionContext: { sessionIssuer: {}, webIdFederationData: {} } },
        additionalEventData: { MFAUsed: 'No', MFAIdentifier: undefined },
      }),
    },
    { name: 'IAM user signs in with MFA', expect: 'no-match', event: fixture('signin/ConsoleLogin') },
    {
      name: 'failed sign-in without MFA is not a sign-in',
      expect: 'no-match',
      event: fixture('signin/ConsoleLogin-failure'),
    },
    {
      name: 'IAM Identity Center (AWSReservedSSO) sign-in reports MFAUsed No but MFA was at the IdP',
      expect: 'no-match',
      event: fixture('signin/ConsoleLogin-sso'),
    },
    {
      name: 'SAML federation through an external IdP',
      expect: 'no-match',
      event: fixture('signin/ConsoleLogin-sso', {
        userIdentity: {
          arn: 'arn:aws:sts::111122223333:assumed-role/okta-admins/alice@example.com',
          principalId: 'AROA4EXAMPLEOKTAADM:alice@example.com',
          sessionContext: {
            sessionIssuer: {
              arn: 'arn:aws:iam::111122223333:role/okta-admins',
              principalId: 'AROA4EXAMPLEOKTAADM',
              userName: 'okta-admins',
            },
          },
        },
        additionalEventData: { SamlProviderArn: 'arn:aws:iam::111122223333:saml-provider/okta' },
      }),
    },
    {
      name: 'SAML marker on a record typed IAMUser is still federated',
      expect: 'no-match',
      event: fixture('signin/ConsoleLogin', {
        additionalEventData: {
          MFAUsed: 'No',
          MFAIdentifier: undefined,
          SamlProviderArn: 'arn:aws:iam::111122223333:saml-provider/okta',
        },
      }),
    },
    {
      name: 'custom identity broker sign-in as an assumed role is not a password sign-in',
      expect: 'no-match',
      event: fixture('signin/ConsoleLogin-sso', {
        userIdentity: {
          arn: 'arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/alice',
          principalId: 'AROAIOSFODNN7EXAMPLE:alice',
          sessionContext: {
            sessionIssuer: {
              arn: 'arn:aws:iam::111122223333:role/OrganizationAccountAccessRole',
              principalId: 'AROAIOSFODNN7EXAMPLE',
              userName: 'OrganizationAccountAccessRole',
            },
          },
        },
      }),
    },
  ],
};
