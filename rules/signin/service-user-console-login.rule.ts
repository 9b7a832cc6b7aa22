import { defineRule } from '../core/define-rule.ts';
import { identityArns, isServiceUserName, personKey, signInResult } from '../core/signin.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

const SERVICE_USERS = { serviceUsers: ['svc-*', '*-ci'] };

export const rule = defineRule({
  id: 'signin.service-user-console-login',
  title: 'Console sign-in by an IAM user that is a service identity',
  severity: 'high',
  controls: ['A.8.2', 'A.8.5'],
  mitre: ['T1078.004'],
  on: { source: 'signin', eventNames: ['ConsoleLogin'] },
  // A failed attempt counts too: someone is trying a password a service identity should not even have.
  match: (e, ctx) =>
    e.userIdentity.type === 'IAMUser' && isServiceUserName(e.userIdentity.userName, ctx.config.serviceUsers),
  explain: (e, ctx) => [
    `${e.userIdentity.userName ?? 'unknown'} matches serviceUsers (${(ctx.config.serviceUsers ?? []).join(', ')})`,
    `sign-in ${signInResult(e) ?? 'result unknown'} from ${e.sourceIPAddress ?? 'unknown'}, MFA ${
      typeof e.additionalEventData?.MFAUsed === 'string' ? e.additionalEventData.MFAUsed : 'unknown'
    }`,
  ],
  resources: identityArns,
  dedup: { key: personKey, windowSeconds: 3600 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An IAM user whose name marks it as a service identity (config serviceUsers globs such as svc-*) signed in, or ' +
    'tried to sign in, to the AWS console. Service identities are for automation: a person is using one.',
  runbook: [
    'Find out who used the service identity (source IP, user agent, time); service users should have no console password.',
    'Delete its login profile (`aws iam delete-login-profile --user-name <user>`) and rotate its access keys.',
    "Review the console session's actions (CloudTrail, same user, from the sign-in time on).",
  ],
  rationale:
    'A shared service identity used interactively breaks accountability (A.8.2) and is how stolen pipeline ' +
    'credentials are explored. High: there is no legitimate reason. Tags (account-type=service) are not in the ' +
    'ConsoleLogin record and no iam:ListUserTags lookup is built: the rule knows service users by name only.',
  falsePositives: [
    'A break-glass procedure that signs in as a service user (document it and suppress it with a date).',
  ],
  cases: () => [
    {
      name: 'service user signs in',
      expect: 'match',
      event: fixture('signin/ConsoleLogin-service-user'),
      config: SERVICE_USERS,
    },
    {
      name: 'service user fails to sign in (case differs from the pattern)',
      expect: 'match',
      event: fixture('signin/ConsoleLogin-service-user', {
        userIdentity: { userName: 'SVC-deploy', arn: 'arn:aws:iam::111122223333:user/SVC-deploy' },
        responseElements: { ConsoleLogin: 'Failure' },
        errorMessage: 'Failed authentication',
      }),
      config: SERVICE_USERS,
    },
    { name: 'a person signs in', expect: 'no-match', event: fixture('signin/ConsoleLogin'), config: SERVICE_USERS },
    {
      name: 'no service users configured',
      expect: 'no-match',
      event: fixture('signin/ConsoleLogin-service-user'),
    },
    {
      name: 'an Identity Center session whose name looks like a service user',
      expect: 'no-match',
      event: fixture('signin/ConsoleLogin-sso'),
      config: { serviceUsers: ['*alice*'] },
    },
  ],
};
