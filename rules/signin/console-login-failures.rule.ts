import { partitionOf } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

/** CloudTrail masks the user name when it does not exist (often a password typed into the user name box). */
const HIDDEN_USER = 'HIDDEN_DUE_TO_SECURITY_REASONS';

const accountOfUser = (e: CloudTrailRecord): string => e.userIdentity.accountId ?? accountOf(e);

/** The user name tried, when CloudTrail tells it; never the masked placeholder. */
const userNameOf = (e: CloudTrailRecord): string | undefined => {
  const name = e.userIdentity.userName;
  return name !== undefined && name !== '' && name !== HIDDEN_USER ? name : undefined;
};

/**
 * Failed attempts count per targeted user, so a slow guesser is caught however many IPs it rotates through. When
 * the user name is masked there is no user to count against, so the source IP is the only thing that ties the
 * attempts together.
 */
const failedLoginGroup = (e: CloudTrailRecord): string => {
  if (e.userIdentity.type === 'Root') return `${accountOfUser(e)}|root`;
  const name = userNameOf(e);
  return name !== undefined ? `${accountOfUser(e)}|${name}` : `ip:${e.sourceIPAddress ?? 'unknown'}`;
};

/**
 * The targeted identity's ARN, so criticality patterns such as `arn:${partitionOf(e.awsRegion)}:iam::*:root` apply. Failed IAM-user
 * records carry no `arn`, only the account and user name, so it is rebuilt from those.
 */
const targetArn = (e: CloudTrailRecord): readonly string[] => {
  const account = accountOfUser(e);
  if (e.userIdentity.type === 'Root')
    return [e.userIdentity.arn ?? `arn:${partitionOf(e.awsRegion)}:iam::${account}:root`];
  if (e.userIdentity.arn) return [e.userIdentity.arn];
  const name = userNameOf(e);
  return name !== undefined ? [`arn:${partitionOf(e.awsRegion)}:iam::${account}:user/${name}`] : [];
};

export const rule = defineRule({
  id: 'signin.console-login-failures',
  title: 'Repeated failed console sign-ins for one user',
  severity: 'high',
  escalation: { high: 'critical', low: 'medium' },
  controls: ['A.8.5'],
  mitre: ['T1110', 'T1110.001'],
  on: { source: 'signin', eventNames: ['ConsoleLogin'] },
  match: (e) => stringParam(e.responseElements, 'ConsoleLogin') === 'Failure',
  threshold: {
    count: 5,
    windowSeconds: 600,
    groupBy: failedLoginGroup,
    byCriticality: {
      high: { count: 3, windowSeconds: 300 },
      medium: { count: 5, windowSeconds: 600 },
      low: { count: 10, windowSeconds: 900 },
    },
  },
  // One burst is one finding: further failures for the same user or IP fold into it instead of paging again.
  dedup: { key: failedLoginGroup },
  resources: targetArn,
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'Console sign-in failed repeatedly for the same user (or, when CloudTrail hides the user name, from the same ' +
    'source IP) within a short window: password guessing or a brute-force attempt.',
  runbook: [
    'Identify the target and the sources: `aws cloudtrail lookup-events --region us-east-1 --lookup-attributes ' +
      'AttributeKey=EventName,AttributeValue=ConsoleLogin --start-time <first-seen> --end-time <last-seen>`; note every ' +
      'sourceIPAddress and userAgent.',
    'Ask the user whether they were signing in. If not, reset the password (`aws iam update-login-profile --user-name ' +
      '<user> --password-reset-required`) and check MFA is enforced (`aws iam list-mfa-devices --user-name <user>`).',
    'Look for a success after the failures from the same IP (`ConsoleLogin` with `"ConsoleLogin": "Success"`): if ' +
      'there is one, treat the account as compromised and review everything that session did.',
    'For a masked user name (group `ip:`), block or rate-limit the source IP at the edge if it keeps trying.',
  ],
  rationale:
    'Thresholds follow the risk-based table in DESIGN §3: 3 in 5 min on high-criticality targets (root, admins), 5 in ' +
    '10 min at medium, 10 in 15 min at low, below which typos and forgotten passwords dominate. Severity is high ' +
    '(critical on high-criticality targets) because a sustained guess against a console password is an active attack ' +
    'on authentication. Grouping by user catches distributed guessing; the IP fallback keeps masked attempts visible.',
  falsePositives: [
    'A user who forgot a password and retries several times (confirm with the user; repeats fold into one finding).',
    'A password manager or browser autofilling a stale password on every visit.',
  ],
  cases: () => [
    { name: 'failed IAM-user sign-in', expect: 'match', event: fixture('signin/ConsoleLogin-failure') },
    {
      name: 'failed root sign-in (counts against the root ARN)',
      expect: 'match',
      criticality: 'high',
      event: fixture('signin/ConsoleLogin-root', {
        errorMessage: 'Failed authentication',
        responseElements: { ConsoleLogin: 'Failure' },
      }),
    },
    {
      name: 'masked user name still counts (grouped by source IP)',
      expect: 'match',
      event: fixture('signin/ConsoleLogin-hidden-user'),
    },
    {
      name: 'failed sign-in where the password was right but the MFA code was wrong',
      expect: 'match',
      event: fixture('signin/ConsoleLogin-failure', { additionalEventData: { MFAUsed: 'Yes' } }),
    },
    { name: 'successful sign-in is benign', expect: 'no-match', event: fixture('signin/ConsoleLogin') },
    { name: 'successful SSO sign-in is benign', expect: 'no-match', event: fixture('signin/ConsoleLogin-sso') },
    {
      name: 'CheckMfa is a sibling sign-in event the rule does not select',
      expect: 'no-match',
      event: fixture('signin/ConsoleLogin-failure', {
        eventName: 'CheckMfa',
        errorMessage: undefined,
        responseElements: { ConsoleLogin: undefined, CheckMfa: 'Success' },
        additionalEventData: {
          MfaType: 'Virtual MFA',
          LoginTo: undefined,
          MobileVersion: undefined,
          MFAUsed: undefined,
        },
      }),
    },
    {
      name: 'record with no ConsoleLogin result is not counted',
      expect: 'no-match',
      event: fixture('signin/ConsoleLogin-failure', { responseElements: null }),
    },
  ],
};
