import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord, JsonValue } from '../core/cloudtrail.ts';
import { accountOf, isServiceInvoked, isSuccess, param, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

const isFalse = (v: JsonValue | undefined): boolean =>
  v === false || (typeof v === 'string' && v.toLowerCase() === 'false');

const alarmNames = (e: CloudTrailRecord): string[] => {
  const names = param(e.requestParameters, 'alarmNames');
  if (Array.isArray(names)) return names.filter((n): n is string => typeof n === 'string');
  const one = stringParam(e.requestParameters, 'alarmName');
  return one === undefined ? [] : [one];
};

/** Deleting or muting alarms always silences; PutMetricAlarm only when it switches the actions off. */
const silences = (e: CloudTrailRecord): boolean =>
  e.eventName === 'PutMetricAlarm' || e.eventName === 'PutCompositeAlarm'
    ? isFalse(param(e.requestParameters, 'actionsEnabled'))
    : true;

export const rule = defineRule({
  id: 'cloudwatch.alarms-silenced',
  title: 'CloudWatch alarms deleted or their actions disabled',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.16'],
  mitre: ['T1562.001'],
  on: {
    source: 'monitoring',
    eventNames: ['DeleteAlarms', 'DisableAlarmActions', 'PutMetricAlarm', 'PutCompositeAlarm'],
  },
  match: (e) => isSuccess(e) && !isServiceInvoked(e) && silences(e),
  explain: (e) => {
    const names = alarmNames(e);
    const verb = e.eventName === 'DeleteAlarms' ? 'deleted' : 'actions disabled';
    return [`alarms ${verb}: ${names.length > 0 ? names.join(', ') : 'names not recorded'}`];
  },
  dedup: { key: (e) => `${accountOf(e)}|${e.awsRegion}|alarms` },
  resources: (e) => alarmNames(e).map((n) => resourceArn(e, 'cloudwatch', `alarm:${n}`)),
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'CloudWatch alarms were deleted, or their actions disabled (DisableAlarmActions, or an alarm rewritten with ' +
    'ActionsEnabled false): the alarm may still change state, but nobody is paged. CIS metric-filter alarms (root ' +
    'use, unauthorised calls, trail changes) are the usual target.',
  runbook: [
    'List what is left and muted: `aws cloudwatch describe-alarms --query "MetricAlarms[?ActionsEnabled==\\`false\\`].AlarmName"`.',
    'Re-enable (`aws cloudwatch enable-alarm-actions --alarm-names ...`) or redeploy deleted alarms from their stack unless a change record explains it.',
    'Check whether the silenced alarms would have fired since the change (their metric history).',
  ],
  rationale:
    'Medium by default, high on high-criticality assets: alarms are routinely deleted with their stacks and muted ' +
    'during maintenance, so one call is a lead rather than an incident; on security alarms it is the classic way to ' +
    'blind on-call without touching CloudTrail or GuardDuty.',
  falsePositives: [
    'Stack deletions and maintenance windows outside the approved process: run them through the approved deploy role.',
  ],
  cases: () => [
    { name: 'security alarms deleted', expect: 'match', event: fixture('monitoring/DeleteAlarms') },
    { name: 'alarm actions disabled', expect: 'match', event: fixture('monitoring/DisableAlarmActions') },
    { name: 'alarm rewritten with actions off', expect: 'match', event: fixture('monitoring/PutMetricAlarm') },
    {
      name: 'alarm threshold tuned, actions on',
      expect: 'no-match',
      event: fixture('monitoring/PutMetricAlarm', { requestParameters: { actionsEnabled: true, threshold: 5.0 } }),
    },
    {
      name: 'DeleteAlarms denied',
      expect: 'no-match',
      event: fixture('monitoring/DeleteAlarms', {
        errorCode: 'AccessDenied',
        errorMessage:
          'User: arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/bob is not authorized to perform: cloudwatch:DeleteAlarms',
      }),
    },
  ],
};
