import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord, JsonValue } from '../core/cloudtrail.ts';
import { accountOf, isServiceInvoked, isSuccess, param } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

const strings = (v: JsonValue | undefined): string[] =>
  Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];

/**
 * Disable succeeds even when every account failed (`failedAccounts`); it switched something off unless all the
 * accounts it named failed. Records without the lists count as switched off.
 */
const switchedOff = (e: CloudTrailRecord): boolean => {
  if (e.eventName !== 'Disable') return true;
  const failed = param(e.responseElements, 'failedAccounts');
  const done = param(e.responseElements, 'accounts');
  if (!Array.isArray(failed) || !Array.isArray(done)) return true;
  return done.length > 0 || failed.length === 0;
};

const scope = (e: CloudTrailRecord): string[] => {
  const types = strings(param(e.requestParameters, 'resourceTypes'));
  const accounts = strings(param(e.requestParameters, 'accountIds'));
  const member = param(e.requestParameters, 'accountId');
  return [
    `${e.eventName}: ${types.length > 0 ? types.join(', ') : 'all scan types'}`,
    ...(accounts.length > 0 ? [`accounts: ${accounts.join(', ')}`] : []),
    ...(typeof member === 'string' ? [`member: ${member}`] : []),
  ];
};

export const rule = defineRule({
  id: 'inspector.disabled',
  title: 'Amazon Inspector scanning disabled or a member cut off',
  severity: 'high',
  controls: ['A.8.16'],
  mitre: ['T1562.001'],
  on: { source: 'inspector2', eventNames: ['Disable', 'DisassociateMember', 'DisableDelegatedAdminAccount'] },
  match: (e) => isSuccess(e) && !isServiceInvoked(e) && switchedOff(e),
  explain: scope,
  dedup: { key: (e) => `${accountOf(e)}|${e.awsRegion}|inspector` },
  resources: (e) => [resourceArn(e, 'inspector2', 'account')],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'Amazon Inspector scanning (EC2, ECR, Lambda) was disabled for accounts, a member was disassociated from the ' +
    'delegated administrator, or the delegated administrator removed: vulnerable workloads stop being reported.',
  runbook: [
    'Check status: `aws inspector2 batch-get-account-status --account-ids <acct>`.',
    'Re-enable unless a change record explains it: `aws inspector2 enable --resource-types EC2 ECR LAMBDA --account-ids <acct>`.',
    "Review the actor's other calls in the session.",
  ],
  rationale:
    'One successful call is enough: high, like disabling GuardDuty or Security Hub, since it removes a detection ' +
    'source an intruder benefits from. A Disable that failed for every account it named changed nothing.',
  falsePositives: ['Cost-driven decisions to drop a scan type, documented: suppress for that change.'],
  cases: () => [
    { name: 'all scan types disabled', expect: 'match', event: fixture('inspector2/Disable') },
    {
      name: 'Disable failed for every account',
      expect: 'no-match',
      event: fixture('inspector2/Disable', {
        responseElements: {
          accounts: [],
          failedAccounts: [{ accountId: '111122223333', errorCode: 'ACCESS_DENIED', errorMessage: 'denied' }],
        },
      }),
    },
    {
      name: 'Disable denied',
      expect: 'no-match',
      event: fixture('inspector2/Disable', {
        errorCode: 'AccessDeniedException',
        errorMessage:
          'User: arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/bob is not authorized to perform: inspector2:Disable',
        responseElements: null,
      }),
    },
  ],
};
