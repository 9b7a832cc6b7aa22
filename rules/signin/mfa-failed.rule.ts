import { partitionOf } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

const HIDDEN_USER = 'HIDDEN_DUE_TO_SECURITY_REASONS';

/** Error messages that name the second factor (the usual one is the bare "Failed authentication"). */
const MFA_MESSAGE = /\bmfa\b|multi-?factor|one[- ]time pass ?code/i;

/**
 * The two shapes a failed second factor takes in sign-in records:
 * - `ConsoleLogin` failing with `MFAUsed: Yes` (root records spell it `YES`): the password was accepted and the
 *   MFA step failed. A wrong password fails before MFA and says `MFAUsed: No`.
 * - `CheckMfa` answering `Failure`. `CheckMfa: Success` only means the user has MFA and is being asked for it.
 */
const mfaFailed = (e: CloudTrailRecord): boolean => {
  if (e.eventName === 'CheckMfa') return stringParam(e.responseElements, 'CheckMfa') === 'Failure';
  if (stringParam(e.responseElements, 'ConsoleLogin') !== 'Failure') return false;
  const mfaUsed = (stringParam(e.additionalEventData, 'MFAUsed') ?? '').toLowerCase() === 'yes';
  return mfaUsed || MFA_MESSAGE.test(e.errorMessage ?? '');
};

const accountOfUser = (e: CloudTrailRecord): string => e.userIdentity.accountId ?? accountOf(e);

/** The user whose second factor failed: failed sign-in records carry the name but no ARN. */
const targetArn = (e: CloudTrailRecord): readonly string[] => {
  const account = accountOfUser(e);
  if (e.userIdentity.type === 'Root')
    return [e.userIdentity.arn ?? `arn:${partitionOf(e.awsRegion)}:iam::${account}:root`];
  if (e.userIdentity.arn) return [e.userIdentity.arn];
  const name = e.userIdentity.userName;
  return name && name !== HIDDEN_USER ? [`arn:${partitionOf(e.awsRegion)}:iam::${account}:user/${name}`] : [];
};

/** Repeats for one user fold together however many IPs they come from (MFA fatigue, a stuck authenticator). */
const userKey = (e: CloudTrailRecord): string =>
  `${accountOfUser(e)}|${e.userIdentity.type === 'Root' ? 'root' : (e.userIdentity.userName ?? 'unknown').toLowerCase()}`;

export const rule = defineRule({
  id: 'signin.mfa-failed',
  title: 'Console sign-in failed at the MFA step',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.5'],
  mitre: ['T1111', 'T1621'],
  on: { source: 'signin', eventNames: ['ConsoleLogin', 'CheckMfa'] },
  match: mfaFailed,
  dedup: { key: userKey },
  resources: targetArn,
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A console sign-in got past the password and failed at multi-factor authentication: whoever was signing in ' +
    'knew the password. Either the user mistyped a code, or someone else holds their password.',
  runbook: [
    'Ask the user, out of band, whether they were signing in at that time from that sourceIPAddress / userAgent.',
    'If not, the password is known to someone else: reset it (`aws iam update-login-profile --user-name <user> ' +
      '--password-reset-required`) and check that their MFA devices are all theirs (`aws iam list-mfa-devices ' +
      '--user-name <user>`).',
    'Look for the rest of the attempt: `aws cloudtrail lookup-events --region us-east-1 --lookup-attributes ' +
      'AttributeKey=Username,AttributeValue=<user>` around the time, and any later `"ConsoleLogin": "Success"` from ' +
      'the same IP (a successful second try, or an MFA push approved by mistake).',
    'For root, check the root email inbox for password-reset mails and rotate the root password and MFA.',
  ],
  rationale:
    'DESIGN §3 ranks failed MFA as medium for authentication: on its own it is usually a mistyped or expired code, ' +
    'but it proves the password was right, so a failure the user does not recognise means a compromised password. ' +
    'High on high-criticality assets (root, production), where a known password is one factor away from full ' +
    'control. No threshold: one failure is already worth asking about, and repeats for the same user fold into one ' +
    'finding for an hour, which also keeps MFA fatigue attempts from paging on every push. A wrong password never ' +
    'reaches the MFA step and is left to signin.console-login-failures.',
  falsePositives: [
    'A user mistyping a TOTP code, or a virtual MFA device whose clock drifted (resync with `aws iam resync-mfa-device`).',
    'A user with several MFA devices choosing the wrong one on the first try.',
  ],
  cases: () => [
    {
      name: 'password accepted, MFA code rejected (MFAUsed Yes)',
      expect: 'match',
      event: fixture('signin/ConsoleLogin-mfa-failure'),
    },
    { name: 'CheckMfa answers Failure', expect: 'match', event: fixture('signin/CheckMfa-failure') },
    {
      name: 'root MFA failure, recorded as MFAUsed "YES"',
      expect: 'match',
      criticality: 'high',
      event: fixture('signin/ConsoleLogin-root', {
        errorMessage: 'Failed authentication',
        responseElements: { ConsoleLogin: 'Failure' },
        additionalEventData: { MFAUsed: 'YES' },
      }),
    },
    {
      name: 'failure whose message names the MFA code',
      expect: 'match',
      event: fixture('signin/ConsoleLogin-failure', { errorMessage: 'Invalid MFA one time pass code' }),
    },
    {
      name: 'wrong password (MFAUsed No) never reached the MFA step',
      expect: 'no-match',
      event: fixture('signin/ConsoleLogin-failure'),
    },
    {
      name: 'CheckMfa Success is the normal MFA prompt',
      expect: 'no-match',
      event: fixture('signin/CheckMfa'),
    },
    {
      name: 'successful sign-in with MFA',
      expect: 'no-match',
      event: fixture('signin/ConsoleLogin'),
    },
    {
      name: 'masked user name with MFAUsed No',
      expect: 'no-match',
      event: fixture('signin/ConsoleLogin-hidden-user'),
    },
  ],
};
