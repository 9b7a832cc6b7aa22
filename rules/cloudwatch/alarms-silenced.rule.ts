import { parseArn, resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord, JsonValue } from '../core/cloudtrail.ts';
import { accountOf, isServiceInvoked, isSuccess, param, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { Organization } from '../core/resource-policy.ts';
import { isOutsideOrganization, stringsOf } from '../core/resource-policy.ts';
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

/**
 * The accounts an alarm notifies (SNS topics, Lambda functions), when every one of them is outside the
 * organisation: the alarm still fires, but into someone else's topic. Actions without an account (EC2
 * `arn:aws:automate:…`) are not notifications and are left out; an alarm with none left is not redirected.
 */
const outsideTargets = (e: CloudTrailRecord, organization: Organization): string[] => {
  const accounts = stringsOf(param(e.requestParameters, 'alarmActions')).flatMap((arn) => {
    const account = parseArn(arn)?.account;
    return account === undefined || account === '' || account === 'aws' ? [] : [account];
  });
  const outside = accounts.filter((a) => isOutsideOrganization(a, accountOf(e), organization));
  return accounts.length > 0 && outside.length === accounts.length ? outside : [];
};

/**
 * Deleting or muting alarms always silences; PutMetricAlarm / PutCompositeAlarm when they switch the actions off
 * or point every notification at an account outside the organisation.
 */
const silences = (e: CloudTrailRecord, organization: Organization): boolean =>
  e.eventName === 'PutMetricAlarm' || e.eventName === 'PutCompositeAlarm'
    ? isFalse(param(e.requestParameters, 'actionsEnabled')) || outsideTargets(e, organization).length > 0
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
  match: (e, ctx) => isSuccess(e) && !isServiceInvoked(e) && silences(e, ctx.config.organization),
  explain: (e, ctx) => {
    const names = alarmNames(e);
    const outside = outsideTargets(e, ctx.config.organization);
    const verb =
      e.eventName === 'DeleteAlarms'
        ? 'deleted'
        : outside.length > 0 && !isFalse(param(e.requestParameters, 'actionsEnabled'))
          ? `notifying only account(s) outside the organisation (${[...new Set(outside)].join(', ')})`
          : 'actions disabled';
    return [`alarms ${verb}: ${names.length > 0 ? names.join(', ') : 'names not recorded'}`];
  },
  dedup: { key: (e) => `${accountOf(e)}|${e.awsRegion}|alarms` },
  resources: (e) => alarmNames(e).map((n) => resourceArn(e, 'cloudwatch', `alarm:${n}`)),
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'CloudWatch alarms were deleted, or their actions disabled (DisableAlarmActions, or an alarm rewritten with ' +
    'ActionsEnabled false, or with every notification sent to an account outside the organisation): the alarm may ' +
    'still change state, but nobody here is paged. CIS metric-filter alarms (root ' +
    'use, unauthorised calls, trail changes) are the usual target.',
  runbook: [
    'List what is left and muted: `aws cloudwatch describe-alarms --query "MetricAlarms[?ActionsEnabled==\\`false\\`].AlarmName"`.',
    'Re-enable (`aws cloudwatch enable-alarm-actions --alarm-names ...`) or redeploy deleted alarms from their stack unless a change record explains it.',
    'Check whether the silenced alarms would have fired since the change (their metric history).',
  ],
  rationale:
    'Medium by default, high on high-criticality assets: alarms are routinely deleted with their stacks and muted ' +
    'during maintenance, so one call is a lead rather than an incident; on security alarms it is the classic way to ' +
    "blind on-call without touching CloudTrail or GuardDuty. Moving every notification to another account's topic " +
    '(Turbot tailpipe reads alarm actions) blinds the same way while the alarm still looks armed; an outside topic ' +
    'beside the own one still pages, so it is not a finding here.',
  falsePositives: [
    'Stack deletions and maintenance windows outside the approved process: run them through the approved deploy role.',
  ],
  cases: () => [
    { name: 'security alarms deleted', expect: 'match', event: fixture('monitoring/DeleteAlarms') },
    { name: 'alarm actions disabled', expect: 'match', event: fixture('monitoring/DisableAlarmActions') },
    { name: 'alarm rewritten with actions off', expect: 'match', event: fixture('monitoring/PutMetricAlarm') },
    {
      name: 'alarm notifications moved to a topic of an account outside the organisation',
      expect: 'match',
      event: fixture('monitoring/PutMetricAlarm-outside-topic'),
      config: { organization: { accounts: ['111122223333', '444455556666'] } },
    },
    {
      name: 'composite alarm notifying a member account (the central security topic) is benign',
      expect: 'no-match',
      event: fixture('monitoring/PutMetricAlarm-outside-topic', {
        eventName: 'PutCompositeAlarm',
        requestParameters: { alarmActions: ['arn:aws:sns:eu-west-1:444455556666:security-alerts'] },
      }),
      config: { organization: { accounts: ['111122223333', '444455556666'] } },
    },
    {
      name: 'an outside topic beside the own one still pages the owner (not silenced)',
      expect: 'no-match',
      event: fixture('monitoring/PutMetricAlarm-outside-topic', {
        requestParameters: {
          alarmActions: [
            'arn:aws:sns:eu-west-1:111122223333:security-alerts',
            'arn:aws:sns:eu-west-1:999988887777:ops-notifications',
          ],
        },
      }),
    },
    {
      name: 'EC2 stop action (no account in the ARN) is not a redirection',
      expect: 'no-match',
      event: fixture('monitoring/PutMetricAlarm-outside-topic', {
        requestParameters: { alarmActions: ['arn:aws:automate:eu-west-1:ec2:stop'] },
      }),
    },
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
