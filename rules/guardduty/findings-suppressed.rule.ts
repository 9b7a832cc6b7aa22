import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord, JsonValue } from '../core/cloudtrail.ts';
import { accountOf, isServiceInvoked, isSuccess, param, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

const isTrue = (v: JsonValue | undefined): boolean =>
  v === true || (typeof v === 'string' && v.toLowerCase() === 'true');
const isFalse = (v: JsonValue | undefined): boolean =>
  v === false || (typeof v === 'string' && v.toLowerCase() === 'false');

const isArchive = (v: JsonValue | undefined): boolean => typeof v === 'string' && v.toUpperCase() === 'ARCHIVE';

/**
 * Does this call make GuardDuty report less?
 * - A trusted IP list (IPSet) stops findings for traffic from those addresses: creating an active one, activating
 *   one, or pointing one at a new file (new contents) all widen it. Renaming it or deactivating it does not.
 * - A filter with action ARCHIVE is a suppression rule: matching findings are archived as they arrive. UpdateFilter
 *   may omit `action`; new criteria on a filter that is already a suppression rule widen it, and the record cannot
 *   say which kind it is, so new criteria without an action count. Action NOOP (a saved view) suppresses nothing.
 */
const suppresses = (e: CloudTrailRecord): boolean => {
  const p = e.requestParameters;
  switch (e.eventName) {
    case 'CreateIPSet':
      return isTrue(param(p, 'activate'));
    case 'UpdateIPSet':
      return !isFalse(param(p, 'activate')) && (isTrue(param(p, 'activate')) || param(p, 'location') !== undefined);
    case 'CreateFilter':
      return isArchive(param(p, 'action'));
    case 'UpdateFilter': {
      const action = param(p, 'action');
      return isArchive(action) || (action === undefined && param(p, 'findingCriteria') !== undefined);
    }
    default:
      return false;
  }
};

/** The detector, and the IP set or filter under it when the record names one. */
const resourcesOf = (e: CloudTrailRecord): string[] => {
  const detectorId = stringParam(e.requestParameters, 'detectorId');
  if (detectorId === undefined) return [];
  const detector = resourceArn(e, 'guardduty', `detector/${detectorId}`);
  const ipSet = stringParam(e.requestParameters, 'ipSetId') ?? stringParam(e.responseElements, 'ipSetId');
  const filter = stringParam(e.requestParameters, 'filterName') ?? stringParam(e.requestParameters, 'name');
  if (e.eventName.includes('IPSet')) return ipSet === undefined ? [detector] : [detector, `${detector}/ipset/${ipSet}`];
  return filter === undefined ? [detector] : [detector, `${detector}/filter/${filter}`];
};

export const rule = defineRule({
  id: 'guardduty.findings-suppressed',
  title: 'GuardDuty findings suppressed (trusted IP list or auto-archive filter)',
  severity: 'high',
  controls: ['A.8.16'],
  mitre: ['T1562.001'],
  on: { source: 'guardduty', eventNames: ['CreateIPSet', 'UpdateIPSet', 'CreateFilter', 'UpdateFilter'] },
  match: (e) => isSuccess(e) && !isServiceInvoked(e) && suppresses(e),
  dedup: { key: (e) => `${accountOf(e)}|${e.awsRegion}|guardduty-suppression` },
  resources: resourcesOf,
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'GuardDuty was told to report less: a trusted IP list was created, activated or repointed (no findings for ' +
    'traffic from those addresses), or a filter with action ARCHIVE was created or widened (matching findings are ' +
    'archived as they arrive and never alert).',
  runbook: [
    'See what is suppressed: `aws guardduty list-ip-sets --detector-id <id>` and `aws guardduty get-ip-set ' +
      '--detector-id <id> --ip-set-id <ip-set-id>` (download the list from its Location); `aws guardduty list-filters ' +
      '--detector-id <id>` and `aws guardduty get-filter --detector-id <id> --filter-name <name>` (Action, FindingCriteria).',
    'If not approved, undo it: `aws guardduty update-ip-set --detector-id <id> --ip-set-id <ip-set-id> --no-activate` ' +
      'or `delete-ip-set`; `aws guardduty update-filter --detector-id <id> --filter-name <name> --action NOOP` or ' +
      '`delete-filter`.',
    'Look at what was hidden: `aws guardduty list-findings --detector-id <id> --finding-criteria ' +
      '\'{"Criterion":{"service.archived":{"Eq":["true"]}}}\'` for findings archived since the change, and check ' +
      'CloudTrail for activity from the trusted addresses.',
    "If the actor is not the security team's approved process, treat it as an incident and rotate its credentials.",
  ],
  rationale:
    'No threshold: suppressing findings is quieter than disabling GuardDuty and just as effective for an attacker who ' +
    'whitelists their own IPs or archives the finding types they are about to trigger (T1562.001). High at every ' +
    'criticality: a suppression applies to every account the detector administers. Threat intel sets ' +
    '(CreateThreatIntelSet) are deliberately not matched: they add known-bad addresses and make GuardDuty report ' +
    'more, not less. Deactivating an IP set, renaming it, or turning a filter into a saved view (NOOP) reduces or ' +
    'keeps suppression and does not match. UpdateFilter without an action but with new criteria matches because the ' +
    'filter may already be an ARCHIVE rule and the record cannot show which.',
  falsePositives: [
    'The security team tuning noisy finding types with a reviewed suppression rule (suppress the finding for that ' +
      'filter name with a dated reason).',
    "Adding the organisation's own egress or scanner addresses to a trusted IP list after a reviewed change.",
    'Editing the criteria of a saved (NOOP) filter without resending its action.',
  ],
  cases: () => [
    { name: 'active trusted IP list created', expect: 'match', event: fixture('guardduty/CreateIPSet') },
    { name: 'trusted IP list repointed to a new file', expect: 'match', event: fixture('guardduty/UpdateIPSet') },
    {
      name: 'inactive trusted IP list activated',
      expect: 'match',
      event: fixture('guardduty/UpdateIPSet', { requestParameters: { location: undefined, activate: true } }),
    },
    { name: 'auto-archive filter created', expect: 'match', event: fixture('guardduty/CreateFilter') },
    { name: 'auto-archive filter widened', expect: 'match', event: fixture('guardduty/UpdateFilter') },
    {
      name: 'filter criteria changed without resending the action (may be an archive rule)',
      expect: 'match',
      event: fixture('guardduty/UpdateFilter', { requestParameters: { action: undefined } }),
    },
    {
      name: 'CreateIPSet denied',
      expect: 'no-match',
      event: fixture('guardduty/CreateIPSet', {
        errorCode: 'AccessDeniedException',
        errorMessage:
          'User: arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/alice is not authorized to perform: guardduty:CreateIPSet',
        responseElements: null,
      }),
    },
    {
      name: 'inactive trusted IP list created (suppresses nothing yet)',
      expect: 'no-match',
      event: fixture('guardduty/CreateIPSet', { requestParameters: { activate: false } }),
    },
    {
      name: 'trusted IP list deactivated is benign',
      expect: 'no-match',
      event: fixture('guardduty/UpdateIPSet', { requestParameters: { location: undefined, activate: false } }),
    },
    {
      name: 'trusted IP list renamed only',
      expect: 'no-match',
      event: fixture('guardduty/UpdateIPSet', {
        requestParameters: { location: undefined, activate: undefined, name: 'office-egress-2026' },
      }),
    },
    {
      name: 'saved filter (NOOP) created is a view, not a suppression',
      expect: 'no-match',
      event: fixture('guardduty/CreateFilter', {
        requestParameters: { name: 'high-severity-view', action: 'NOOP', description: 'Saved view' },
        responseElements: { name: 'high-severity-view' },
      }),
    },
    {
      name: 'archive rule turned back into a saved view is benign',
      expect: 'no-match',
      event: fixture('guardduty/UpdateFilter', { requestParameters: { action: 'NOOP', findingCriteria: undefined } }),
    },
    {
      name: 'threat intel set created adds findings, it does not suppress them',
      expect: 'no-match',
      event: fixture('guardduty/CreateThreatIntelSet'),
    },
  ],
};
