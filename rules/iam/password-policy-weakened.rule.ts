import type { CloudTrailRecord, JsonValue } from '../core/cloudtrail.ts';
import { accountOf, isServiceInvoked, isSuccess, param } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

/**
 * The least an account password policy may require. CIS AWS Foundations Benchmark: v1.2–v1.3 recommendations
 * 1.5–1.11 (an uppercase letter, a lowercase letter, a symbol and a number; at least 14 characters; no reuse of
 * the last 24 passwords; expiry within 90 days), of which v1.4 and later keep 1.8 (length ≥ 14) and 1.9 (reuse
 * prevention, 24). `allowUsersToChangePassword` follows AWS's IAM best practice, so users can rotate their own
 * password. `hardExpiry` is not part of the baseline: it makes expiry stricter (an administrator must reset), so
 * turning it off only returns to the AWS default.
 */
export const PASSWORD_POLICY_BASELINE = {
  minimumPasswordLength: 14,
  requireSymbols: true,
  requireNumbers: true,
  requireUppercaseCharacters: true,
  requireLowercaseCharacters: true,
  allowUsersToChangePassword: true,
  passwordReusePrevention: 24,
  maxPasswordAge: 90,
} as const;

const REQUIRED_FLAGS = [
  'requireSymbols',
  'requireNumbers',
  'requireUppercaseCharacters',
  'requireLowercaseCharacters',
  'allowUsersToChangePassword',
] as const;

/** Numbers and booleans as CloudTrail logs them; tolerate their string forms. */
const numberOf = (value: JsonValue | undefined): number | undefined => {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^\d+$/.test(value.trim())) return Number(value);
  return undefined;
};
const isTrue = (value: JsonValue | undefined): boolean =>
  value === true || (typeof value === 'string' && value.toLowerCase() === 'true');

/**
 * Which baseline settings an `UpdateAccountPasswordPolicy` misses. The API has no partial update: a parameter left
 * out reverts to the AWS default (length 6, nothing required, no reuse prevention, no expiry), so an absent
 * setting is as weak as a default one. `maxPasswordAge` 0 means "never expires".
 */
const weakerThanBaseline = (e: CloudTrailRecord): string[] => {
  const p = e.requestParameters;
  const b = PASSWORD_POLICY_BASELINE;
  const weak: string[] = [];
  const length = numberOf(param(p, 'minimumPasswordLength'));
  if (length === undefined || length < b.minimumPasswordLength) weak.push('minimumPasswordLength');
  for (const flag of REQUIRED_FLAGS) if (!isTrue(param(p, flag))) weak.push(flag);
  const reuse = numberOf(param(p, 'passwordReusePrevention'));
  if (reuse === undefined || reuse < b.passwordReusePrevention) weak.push('passwordReusePrevention');
  const age = numberOf(param(p, 'maxPasswordAge'));
  if (age === undefined || age === 0 || age > b.maxPasswordAge) weak.push('maxPasswordAge');
  return weak;
};

const weakens = (e: CloudTrailRecord): boolean =>
  e.eventName === 'DeleteAccountPasswordPolicy' || weakerThanBaseline(e).length > 0;

export const rule = defineRule({
  id: 'iam.password-policy-weakened',
  title: 'Account password policy deleted or set below the baseline',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.5'],
  mitre: ['T1556', 'T1201'],
  on: { source: 'iam', eventNames: ['UpdateAccountPasswordPolicy', 'DeleteAccountPasswordPolicy'] },
  match: (e) => isSuccess(e) && !isServiceInvoked(e) && weakens(e),
  // One account has one password policy: repeated edits fold into one finding.
  dedup: { key: (e) => `${accountOf(e)}|password-policy` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'The IAM account password policy was deleted, or replaced by one weaker than the CIS AWS Foundations baseline ' +
    '(length 14, upper/lower/number/symbol, reuse prevention 24, expiry within 90 days, users may change ' +
    'their own password). New IAM user passwords can now be shorter, simpler, reused or never rotated.',
  runbook: [
    'Read the policy now in force: `aws iam get-account-password-policy` (NoSuchEntity means none: AWS defaults apply).',
    'Ask the actor for the change record. If there is none, restore the baseline: `aws iam ' +
      'update-account-password-policy --minimum-password-length 14 --require-symbols --require-numbers ' +
      '--require-uppercase-characters --require-lowercase-characters --allow-users-to-change-password ' +
      '--max-password-age 90 --password-reuse-prevention 24`.',
    'Passwords set while the policy was weak stay weak: list users who set one since (credential report: `aws iam ' +
      'generate-credential-report`, then `get-credential-report`, column password_last_changed) and require a reset ' +
      '(`aws iam update-login-profile --user-name <user> --password-reset-required`).',
    'Manage the policy in IaC so drift is visible (Config rule IAM_PASSWORD_POLICY).',
  ],
  rationale:
    'Weakening the password policy lowers the bar for every IAM user at once (T1556) and is also how an attacker ' +
    'learns and relaxes the rules before guessing (T1201). Judged against a fixed CIS baseline rather than against ' +
    'the previous policy, which CloudTrail does not record. Medium by default because it affects only passwords ' +
    'set afterwards; high on high-criticality accounts. It matches even when the approved pipeline makes the ' +
    'change: a policy below the baseline is non-compliant whoever sets it.',
  falsePositives: [
    'Organisations that follow NIST SP 800-63B and deliberately drop forced expiry: adjust the baseline or suppress ' +
      'with a dated reason.',
    'Accounts without IAM users (Identity Center only), where the password policy protects nothing.',
  ],
  cases: () => [
    {
      name: 'policy replaced with a shorter length, no symbols, no expiry, no reuse prevention',
      expect: 'match',
      event: fixture('iam/UpdateAccountPasswordPolicy-weakened'),
    },
    { name: 'policy deleted', expect: 'match', event: fixture('iam/DeleteAccountPasswordPolicy') },
    {
      name: 'only one setting below the baseline (reuse prevention 5)',
      expect: 'match',
      event: fixture('iam/UpdateAccountPasswordPolicy', { requestParameters: { passwordReusePrevention: 5 } }),
    },
    {
      name: 'expiry turned off (maxPasswordAge left out reverts to "never")',
      expect: 'match',
      event: fixture('iam/UpdateAccountPasswordPolicy', { requestParameters: { maxPasswordAge: undefined } }),
    },
    {
      name: 'update naming only a length reverts everything else to the weak defaults',
      expect: 'match',
      event: fixture('iam/UpdateAccountPasswordPolicy', {
        requestParameters: {
          requireSymbols: undefined,
          requireNumbers: undefined,
          requireUppercaseCharacters: undefined,
          requireLowercaseCharacters: undefined,
          allowUsersToChangePassword: undefined,
          maxPasswordAge: undefined,
          passwordReusePrevention: undefined,
          hardExpiry: undefined,
        },
      }),
    },
    {
      name: 'policy at the CIS baseline',
      expect: 'no-match',
      event: fixture('iam/UpdateAccountPasswordPolicy'),
    },
    {
      name: 'stricter than the baseline, hard expiry on, settings logged as strings',
      expect: 'no-match',
      event: fixture('iam/UpdateAccountPasswordPolicy', {
        requestParameters: { minimumPasswordLength: '20', maxPasswordAge: '60', hardExpiry: true },
      }),
    },
    {
      name: 'deletion denied',
      expect: 'no-match',
      event: fixture('iam/DeleteAccountPasswordPolicy', {
        errorCode: 'AccessDenied',
        errorMessage:
          'User: arn:aws:iam::111122223333:user/alice is not authorized to perform: iam:DeleteAccountPasswordPolicy on resource: * because no identity-based policy allows the iam:DeleteAccountPasswordPolicy action',
      }),
    },
    {
      name: 'deleting a policy that does not exist changes nothing',
      expect: 'no-match',
      event: fixture('iam/DeleteAccountPasswordPolicy', {
        errorCode: 'NoSuchEntityException',
        errorMessage: 'The account policy with name PasswordPolicy cannot be found.',
      }),
    },
    {
      name: 'reading the policy is a sibling event the rule does not select',
      expect: 'no-match',
      event: fixture('iam/DeleteAccountPasswordPolicy', { eventName: 'GetAccountPasswordPolicy', readOnly: true }),
    },
  ],
};
