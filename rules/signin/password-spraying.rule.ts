import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

/** CloudTrail masks the user name when it does not exist (often a password typed into the user name box). */
const HIDDEN_USER = 'HIDDEN_DUE_TO_SECURITY_REASONS';

const accountOfUser = (e: CloudTrailRecord): string => e.userIdentity.accountId ?? accountOf(e);

/** One source IP against one account: spraying rotates users, not addresses. */
const sourceGroup = (e: CloudTrailRecord): string => `${accountOfUser(e)}|${e.sourceIPAddress ?? 'unknown'}`;

/**
 * The user name tried, the value counted distinct. IAM user names are case-insensitive, so `Bob` and `bob` are
 * one user. Every masked name counts as the same single value: CloudTrail gives no way to tell them apart, and
 * counting each as new would turn one person pasting a password into the user name box into a "spray".
 */
const triedUser = (e: CloudTrailRecord): string => {
  if (e.userIdentity.type === 'Root') return 'root';
  const name = e.userIdentity.userName;
  if (name === undefined || name === '' || name === HIDDEN_USER) return HIDDEN_USER;
  return name.toLowerCase();
};

const failedAs = (user: string, ip = '203.0.113.66') =>
  fixture('signin/ConsoleLogin-failure', { userIdentity: { userName: user }, sourceIPAddress: ip });

export const rule = defineRule({
  id: 'signin.password-spraying',
  title: 'Password spraying: failed console sign-ins for many users from one IP',
  severity: 'high',
  controls: ['A.8.5'],
  mitre: ['T1110.003'],
  on: { source: 'signin', eventNames: ['ConsoleLogin'] },
  match: (e) => stringParam(e.responseElements, 'ConsoleLogin') === 'Failure',
  threshold: { count: 5, windowSeconds: 900, groupBy: sourceGroup, distinct: triedUser },
  // One spray is one finding: later failures from the same IP fold into it instead of paging again.
  dedup: { key: sourceGroup },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'Console sign-ins failed for at least 5 different user names of one account from the same source IP within ' +
    '15 minutes: one or two common passwords tried against many users, which stays under per-user lockout and ' +
    'failed-login thresholds.',
  runbook: [
    'List every user tried from the IP: `aws cloudtrail lookup-events --region us-east-1 --lookup-attributes ' +
      'AttributeKey=EventName,AttributeValue=ConsoleLogin --start-time <first-seen> --end-time <last-seen> ' +
      "--query 'Events[].CloudTrailEvent' --output text | jq -r 'select(.sourceIPAddress==\"<ip>\") | " +
      "[.userIdentity.userName, .responseElements.ConsoleLogin] | @tsv'`.",
    'Look for any `"ConsoleLogin": "Success"` from the same IP in the same period, or a `CheckMfa` that means a ' +
      'password was right: for those users, reset the password (`aws iam update-login-profile --user-name <user> ' +
      '--password-reset-required`) and review what their sessions did.',
    'Check that every user tried has MFA (`aws iam list-mfa-devices --user-name <user>`) and that the account ' +
      'password policy meets the baseline (`aws iam get-account-password-policy`).',
    'Block the source IP at the edge (WAF / corporate proxy) if it keeps trying; consider removing console access ' +
      'from users who do not need it (`aws iam delete-login-profile --user-name <user>`).',
  ],
  rationale:
    'Password spraying is built to stay under per-user failure thresholds (signin.console-login-failures), so it ' +
    'is counted the other way round: distinct user names per source IP and account. Five distinct users in 15 ' +
    'minutes from one address is far beyond a person mistyping their own name, yet low enough to catch a slow ' +
    'spray; the 15-minute window follows the low-criticality failed-login window of DESIGN §3. High severity: a ' +
    'spray is an active attack on authentication, and one weak password in the list is enough. Masked user names ' +
    '(users that do not exist) count once together, so guessing non-existent names alone never fires.',
  falsePositives: [
    'A shared egress IP (corporate NAT, VPN, training room) where several people mistype passwords at once, e.g. ' +
      'after a password-policy change forces resets.',
    'A security team running an authorised password audit or penetration test against the console.',
  ],
  cases: () => [
    { name: 'failed sign-in of one sprayed user', expect: 'match', event: failedAs('svc-backup') },
    {
      name: 'failed root sign-in is counted too (distinct value "root")',
      expect: 'match',
      event: fixture('signin/ConsoleLogin-root', {
        errorMessage: 'Failed authentication',
        responseElements: { ConsoleLogin: 'Failure' },
      }),
    },
    {
      name: 'failure for a user name that does not exist (masked) is counted',
      expect: 'match',
      event: fixture('signin/ConsoleLogin-hidden-user'),
    },
    { name: 'successful sign-in is benign', expect: 'no-match', event: fixture('signin/ConsoleLogin') },
    {
      name: 'CheckMfa from the same IP is a sibling event the rule does not select',
      expect: 'no-match',
      event: fixture('signin/CheckMfa', { sourceIPAddress: '203.0.113.66' }),
    },
    {
      name: 'record with no ConsoleLogin result is not counted',
      expect: 'no-match',
      event: fixture('signin/ConsoleLogin-failure', { responseElements: null }),
    },
  ],
};
