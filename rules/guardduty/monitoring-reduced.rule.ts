import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord, JsonValue } from '../core/cloudtrail.ts';
import { accountOf, isJsonObject, isServiceInvoked, isSuccess, param, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

const EVENTS = [
  'DeletePublishingDestination',
  'DisassociateMembers',
  'DeleteThreatIntelSet',
  'UpdateThreatIntelSet',
  'UpdateDetector',
  'UpdateOrganizationConfiguration',
] as const;

const isFalse = (v: JsonValue | undefined): boolean =>
  v === false || (typeof v === 'string' && v.toLowerCase() === 'false');

/** Every `status: DISABLED` / `enable: false` anywhere under features or dataSources, by path, for the finding. */
const disabledFeatures = (v: JsonValue | undefined, path: string): string[] => {
  if (Array.isArray(v)) {
    return v.flatMap((item, i) => {
      const name = isJsonObject(item) && typeof item.name === 'string' ? item.name : String(i);
      return disabledFeatures(item, `${path}.${name}`);
    });
  }
  if (!isJsonObject(v)) return [];
  const self =
    (typeof v.status === 'string' && v.status.toUpperCase() === 'DISABLED') || isFalse(v.enable) ? [path] : [];
  return [
    ...self,
    ...Object.entries(v).flatMap(([k, child]) =>
      k === 'status' || k === 'enable' || k === 'name' ? [] : disabledFeatures(child, `${path}.${k}`),
    ),
  ];
};

/** What the call took away from GuardDuty's view, or nothing when it took nothing. */
const reductions = (e: CloudTrailRecord): string[] => {
  const p = e.requestParameters;
  switch (e.eventName) {
    case 'DeletePublishingDestination':
      return ['findings no longer exported to their publishing destination'];
    case 'DisassociateMembers':
      return ['member accounts disassociated from the administrator'];
    case 'DeleteThreatIntelSet':
      return ['threat intelligence list deleted'];
    case 'UpdateThreatIntelSet':
      return isFalse(param(p, 'activate')) ? ['threat intelligence list deactivated'] : [];
    case 'UpdateDetector':
      // Switching the whole detector off is guardduty.detector-disabled's; this rule takes protection plans.
      if (isFalse(param(p, 'enable'))) return [];
      return [
        ...disabledFeatures(param(p, 'features'), 'features'),
        ...disabledFeatures(param(p, 'dataSources'), 'dataSources'),
      ].map((f) => `protection turned off: ${f}`);
    case 'UpdateOrganizationConfiguration': {
      const members = stringParam(p, 'autoEnableOrganizationMembers');
      return [
        ...(isFalse(param(p, 'autoEnable')) ? ['new organisation accounts no longer enrolled automatically'] : []),
        ...(members?.toUpperCase() === 'NONE'
          ? ['organisation members no longer enrolled (autoEnableOrganizationMembers NONE)']
          : []),
        ...disabledFeatures(param(p, 'features'), 'features').map((f) => `organisation protection turned off: ${f}`),
      ];
    }
    default:
      return [];
  }
};

const detectorArn = (e: CloudTrailRecord): string[] => {
  const id = stringParam(e.requestParameters, 'detectorId');
  return id === undefined ? [] : [resourceArn(e, 'guardduty', `detector/${id}`)];
};

export const rule = defineRule({
  id: 'guardduty.monitoring-reduced',
  title: 'GuardDuty blinded: protections, members, exports or threat lists removed',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.16'],
  mitre: ['T1562.001'],
  on: { source: 'guardduty', eventNames: [...EVENTS] },
  match: (e) => isSuccess(e) && !isServiceInvoked(e) && reductions(e).length > 0,
  explain: reductions,
  dedup: { key: (e) => `${accountOf(e)}|${e.awsRegion}|guardduty-reduced` },
  resources: detectorArn,
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'GuardDuty stayed on but sees or reports less: a protection plan (S3, EKS, runtime, malware, RDS, Lambda) ' +
    'turned off, member accounts disassociated, the findings export deleted, a threat list deleted or deactivated, or ' +
    'organisation auto-enrolment switched off. Attackers prefer this to DeleteDetector, which everyone watches.',
  runbook: [
    'See what is on now: `aws guardduty get-detector --detector-id <id>` (features), `aws guardduty list-members --detector-id <id>`, `aws guardduty list-publishing-destinations --detector-id <id>`.',
    'Restore what was removed (update-detector --features, create-members, create-publishing-destination, update-organization-configuration) unless a change record explains it.',
    "Review the actor's other calls in the same session: blinding usually precedes the real action.",
  ],
  rationale:
    'One successful call is enough. High, critical on high-criticality assets, like switching the detector off: the ' +
    'effect on detection is the same for the parts removed. Calls made by GuardDuty itself do not count; switching ' +
    'the whole detector off is left to guardduty.detector-disabled so one call is one finding.',
  falsePositives: [
    'Cost-driven decisions to drop a protection plan, or offboarding an account from the organisation: documented, suppress for that change.',
  ],
  cases: () => [
    { name: 'findings export deleted', expect: 'match', event: fixture('guardduty/DeletePublishingDestination') },
    { name: 'member disassociated', expect: 'match', event: fixture('guardduty/DisassociateMembers') },
    { name: 'threat list deleted', expect: 'match', event: fixture('guardduty/DeleteThreatIntelSet') },
    {
      name: 'S3 and runtime protection turned off',
      expect: 'match',
      event: fixture('guardduty/UpdateDetector-features'),
    },
    {
      name: 'protection turned on',
      expect: 'no-match',
      event: fixture('guardduty/UpdateDetector-features', {
        requestParameters: { features: [{ name: 'S3_DATA_EVENTS', status: 'ENABLED' }] },
      }),
    },
    {
      name: 'whole detector disabled (left to guardduty.detector-disabled)',
      expect: 'no-match',
      event: fixture('guardduty/UpdateDetector'),
    },
    {
      name: 'DeletePublishingDestination denied',
      expect: 'no-match',
      event: fixture('guardduty/DeletePublishingDestination', {
        errorCode: 'AccessDeniedException',
        errorMessage:
          'User: arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/bob is not authorized to perform: guardduty:DeletePublishingDestination',
      }),
    },
  ],
};
