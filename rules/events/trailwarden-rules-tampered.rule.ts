import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, param, principalArn, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { explainSelfTampering, isSelfTampering } from '../core/self-protection.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_DEPLOY_ROLE, SELF_PROTECTION } from '../fixtures/self-protection.ts';

/** DisableRule, DeleteRule and PutRule name the rule `name`; the target calls name it `rule`. */
const ruleName = (e: CloudTrailRecord): string =>
  stringParam(e.requestParameters, 'name') ?? stringParam(e.requestParameters, 'rule') ?? 'unknown-rule';

/** `eventBusName` is a name or an ARN; absent means the default bus. */
const busName = (e: CloudTrailRecord): string => {
  const bus = stringParam(e.requestParameters, 'eventBusName') ?? 'default';
  return bus.startsWith('arn:') ? bus.slice(bus.lastIndexOf('/') + 1) : bus;
};

/** Rules on the default bus are `rule/<name>`, on any other bus `rule/<bus>/<name>`. */
const ruleArn = (e: CloudTrailRecord): string => {
  const returned = stringParam(e.responseElements, 'ruleArn');
  if (returned !== undefined) return returned;
  const bus = busName(e);
  return resourceArn(e, 'events', bus === 'default' ? `rule/${ruleName(e)}` : `rule/${bus}/${ruleName(e)}`);
};

/** CloudTrail logs the rule's name; a name glob (`Trailwarden-*`) or an ARN glob may be configured. */
const candidates = (e: CloudTrailRecord): string[] => [ruleName(e), ruleArn(e)];

/**
 * PutTargets and RemoveTargets succeed as API calls even when every entry failed; then nothing changed. A
 * partial failure still changed the rule.
 */
const changedNothing = (e: CloudTrailRecord): boolean => {
  const entries = param(e.requestParameters, e.eventName === 'PutTargets' ? 'targets' : 'ids');
  const failed = param(e.responseElements, 'failedEntryCount');
  return Array.isArray(entries) && entries.length > 0 && typeof failed === 'number' && failed >= entries.length;
};

const other = 'orders-nightly-export';

export const rule = defineRule({
  id: 'events.trailwarden-rules-tampered',
  title: "Trailwarden's EventBridge rules disabled, deleted or redirected",
  severity: 'critical',
  controls: ['A.8.16', 'A.8.15'],
  mitre: ['T1562.001'],
  // EnableRule is the remedy, not the risk.
  on: { source: 'events', eventNames: ['DisableRule', 'DeleteRule', 'PutRule', 'PutTargets', 'RemoveTargets'] },
  match: (e, ctx) => !changedNothing(e) && isSelfTampering(e, candidates(e), ctx.config),
  explain: (e, ctx) => explainSelfTampering(e, candidates(e), ctx.config),
  resources: (e) => [ruleArn(e)],
  dedup: { key: (e) => `${accountOf(e)}|${principalArn(e)}|${ruleArn(e)}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'One of the EventBridge rules that route CloudTrail and Config events to Trailwarden was disabled, deleted, ' +
    'rewritten (PutRule: a new pattern or state) or had its targets removed or replaced, by someone other than ' +
    "Trailwarden's deploy role. Every event that rule routed now goes unexamined, or somewhere else: the " +
    'detections that depend on it are blind.',
  runbook: [
    'Restore the rule from the stack: redeploy Trailwarden (`npx cdk deploy Trailwarden`), which recreates a deleted rule and puts back its pattern, state and targets. Until then `aws events enable-rule --name <rule>` re-enables a disabled one.',
    'Check it: `aws events describe-rule --name <rule>` (State ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS, the generated pattern) and `aws events list-targets-by-rule --rule <rule>` (only the Trailwarden event queue, with its dead-letter queue).',
    'Find the gap: the time between this call and the restore is unmonitored for every event the rule routes. Replay it with `trailwarden scan` over the CloudTrail log files for that window.',
    'Treat the actor as compromised unless the change is explained: review all their calls since the session began (`aws cloudtrail lookup-events --lookup-attributes AttributeKey=Username,AttributeValue=<user>`), and rotate the credentials behind them. Turning off the monitor is what an intruder does first.',
    'Restrict `events:DisableRule`, `events:DeleteRule`, `events:PutRule`, `events:PutTargets` and `events:RemoveTargets` on `rule/<StackName>-*` to the deploy role with an SCP or permissions boundary.',
  ],
  rationale:
    'Critical on a single call, without a threshold: blinding the monitor is the step that makes every later ' +
    'action invisible (DESIGN §3, A.8.16 "tampering with Trailwarden itself"). Only changes by the configured ' +
    "deploy roles (CloudFormation's execution role during `cdk deploy`) are legitimate; anyone else changing " +
    "Trailwarden's rules is tampering, whatever the change. A PutTargets or RemoveTargets in which every entry " +
    'failed changed nothing and is not reported. Matches only when `detection.selfProtection` is configured (the ' +
    'stack does it for its own resources).',
  falsePositives: [
    'An operator disabling a noisy route during an incident instead of adding a suppression: still worth a page, since it blinds every rule on that route.',
    'Deploying Trailwarden with a role not listed in `selfProtection.deployRoles` (a custom CloudFormation execution role): add the role.',
  ],
  cases: () => [
    {
      name: 'bob disables a Trailwarden route in the console',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('events/DisableRule-trailwarden'),
    },
    {
      name: 'a Trailwarden route deleted',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('events/DisableRule-trailwarden', { eventName: 'DeleteRule' }),
    },
    {
      name: "a route's target removed",
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('events/RemoveTargets-trailwarden'),
    },
    {
      name: 'a route redirected to another queue',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('events/PutTargets-trailwarden'),
    },
    {
      name: "a route's pattern narrowed to an event that never happens",
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('events/PutRule-trailwarden'),
    },
    {
      name: 'one of two targets removed, the other failed: the rule still changed',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('events/RemoveTargets-trailwarden', {
        requestParameters: { ids: ['Target0', 'Target1'] },
        responseElements: {
          failedEntryCount: 1,
          failedEntries: [{ targetId: 'Target1', errorCode: 'ResourceNotFoundException' }],
        },
      }),
    },
    {
      name: 'a route identified by an ARN glob, on the default bus given as an ARN',
      expect: 'match',
      config: {
        selfProtection: { resources: ['arn:aws:events:*:111122223333:rule/Trailwarden-*'], deployRoles: [] },
      },
      event: fixture('events/DisableRule-trailwarden', {
        requestParameters: { eventBusName: 'arn:aws:events:eu-west-1:111122223333:event-bus/default' },
      }),
    },
    {
      name: "a member account disables its organisation forwarder rule (the StackSet's trailwarden-fwd-*)",
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('events/DisableRule-trailwarden', {
        requestParameters: { name: 'trailwarden-fwd-cloudtrail-iam', eventBusName: 'default' },
        recipientAccountId: '444455556666',
      }),
    },
    {
      name: 'CloudFormation updates the route during cdk deploy',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('events/PutRule-trailwarden', BY_DEPLOY_ROLE),
    },
    {
      name: 'a rule that is not Trailwarden',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('events/DisableRule-trailwarden', { requestParameters: { name: other } }),
    },
    {
      name: 'DisableRule denied',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('events/DisableRule-trailwarden', {
        errorCode: 'AccessDeniedException',
        errorMessage:
          'User: arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/bob is not authorized to perform: events:DisableRule on resource: arn:aws:events:eu-west-1:111122223333:rule/Trailwarden-PipelineRoutecloudtrailiam03949B57-1Q2W3E4R5T6Y with an explicit deny in a service control policy',
      }),
    },
    {
      name: 'RemoveTargets in which every entry failed changed nothing',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('events/RemoveTargets-trailwarden', {
        responseElements: {
          failedEntryCount: 1,
          failedEntries: [{ targetId: 'Target0', errorCode: 'ResourceNotFoundException' }],
        },
      }),
    },
    {
      name: 'EnableRule on the route is the remedy',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('events/DisableRule-trailwarden', { eventName: 'EnableRule' }),
    },
    {
      name: 'selfProtection not configured',
      expect: 'no-match',
      event: fixture('events/DisableRule-trailwarden'),
    },
  ],
};
