import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { deletionReasons, isUnapprovedDeletion } from '../core/destruction.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, byAwsService, denied } from '../fixtures/overrides.ts';
import { SELF_PROTECTION } from '../fixtures/self-protection.ts';

const ruleName = (e: CloudTrailRecord): string => stringParam(e.requestParameters, 'name') ?? 'unknown';

/** Rules on the default bus are `rule/<name>`, on a custom bus `rule/<bus>/<name>`. */
const ruleArn = (e: CloudTrailRecord): string => {
  const bus = stringParam(e.requestParameters, 'eventBusName');
  const path = bus === undefined || bus === 'default' ? ruleName(e) : `${bus.split('/').pop()}/${ruleName(e)}`;
  return resourceArn(e, 'events', `rule/${path}`);
};

export const rule = defineRule({
  id: 'events.rule-disabled',
  title: 'EventBridge rule disabled or deleted outside the approved process',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.16'],
  mitre: ['T1562.001'],
  on: { source: 'events', eventNames: ['DisableRule', 'DeleteRule'] },
  // Trailwarden's own rules are events.trailwarden-rules-tampered's (critical); one call is one finding.
  match: (e, ctx) => isUnapprovedDeletion(e, ctx.config, [ruleName(e), ruleArn(e)]),
  explain: (e, ctx) => [
    `rule ${ruleName(e)} ${e.eventName === 'DeleteRule' ? 'deleted' : 'disabled'}: events it routed are dropped`,
    ...deletionReasons(e, ctx.config),
  ],
  resources: (e) => [ruleArn(e)],
  dedup: { key: (e) => `${accountOf(e)}|${ruleArn(e)}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An EventBridge rule was disabled or deleted by someone other than the approved automation. Security ' +
    'routing lives in such rules (GuardDuty and Security Hub findings to the pager, CloudTrail alarms, ' +
    'auto-remediation): turned off, the findings still exist but nobody hears of them.',
  runbook: [
    'See what the rule did: `aws events describe-rule --name <rule> [--event-bus-name <bus>]` and ' +
      '`aws events list-targets-by-rule --rule <rule>` (a deleted rule is in its stack or in CloudTrail’s PutRule).',
    'Re-enable it (`aws events enable-rule --name <rule>`) or redeploy it from IaC unless a change record explains it.',
    'Check what the rule would have routed while it was off (GuardDuty and Security Hub findings of the period) and ' +
      'review the actor’s other calls.',
  ],
  rationale:
    'Cutting the wire between detection and response is a quiet way to blind a team (T1562.001; Elastic and Splunk ' +
    'watch EventBridge rule deletion). Medium, high on high-criticality assets: application rules are also ' +
    'switched off by hand for maintenance. Calls outside the approved process only; rules AWS manages itself ' +
    '(service-linked managed rules) and refused calls are excluded; Trailwarden’s own rules have their own ' +
    'critical rule and are not counted twice.',
  falsePositives: [
    'An engineer pausing a scheduled job’s rule by hand during maintenance.',
    'Deleting rules of a decommissioned application outside the pipeline.',
  ],
  cases: () => [
    { name: 'the findings-to-pager rule disabled', expect: 'match', event: fixture('events/DisableRule') },
    { name: 'a rule on the default bus deleted', expect: 'match', event: fixture('events/DeleteRule') },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture('events/DisableRule', denied('AccessDeniedException', 'events:DisableRule')),
    },
    {
      name: 'a managed rule removed by the service that owns it',
      expect: 'no-match',
      event: fixture('events/DeleteRule', byAwsService('autoscaling')),
    },
    {
      name: 'the approved deploy role through CloudFormation',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('events/DeleteRule', BY_APPROVED_DEPLOY),
    },
    {
      name: "Trailwarden's own rule (left to events.trailwarden-rules-tampered)",
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('events/DisableRule-trailwarden'),
    },
  ],
};
