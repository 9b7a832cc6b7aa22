import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, param, principalArn, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { explainSelfTampering, isSelfTampering } from '../core/self-protection.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_DEPLOY_ROLE, SELF_PROTECTION } from '../fixtures/self-protection.ts';

/**
 * The queue from `queueUrl`: `https://sqs.<region>.amazonaws.com/<account>/<name>` (or the legacy
 * `<region>.queue.amazonaws.com` host), made into `arn:<partition>:sqs:<region>:<account>:<name>`.
 */
const queue = (e: CloudTrailRecord): { name: string; arn: string } => {
  const url = stringParam(e.requestParameters, 'queueUrl') ?? '';
  const [account, name] = url.replace(/^https?:\/\/[^/]+\//, '').split('/');
  if (account !== undefined && /^\d{12}$/.test(account) && name) {
    return { name, arn: resourceArn(e, 'sqs', name, account) };
  }
  return { name: 'unknown-queue', arn: resourceArn(e, 'sqs', 'unknown-queue') };
};

const candidates = (e: CloudTrailRecord): string[] => {
  const { name, arn } = queue(e);
  return [name, arn];
};

const effect = (e: CloudTrailRecord): string[] => {
  const attributes = param(e.requestParameters, 'attributes');
  if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes)) return [];
  return Object.keys(attributes).map((k) => `queue attribute ${k} changed`);
};

const URL = 'https://sqs.eu-west-1.amazonaws.com/111122223333';

export const rule = defineRule({
  id: 'sqs.trailwarden-queue-tampered',
  title: "Trailwarden's event queue purged, deleted or reconfigured",
  severity: 'critical',
  controls: ['A.8.16', 'A.8.15'],
  mitre: ['T1562.001', 'T1485'],
  on: { source: 'sqs', eventNames: ['PurgeQueue', 'DeleteQueue', 'SetQueueAttributes', 'RemovePermission'] },
  match: (e, ctx) => isSelfTampering(e, candidates(e), ctx.config),
  explain: (e, ctx) => [...explainSelfTampering(e, candidates(e), ctx.config), ...effect(e)],
  resources: (e) => [queue(e).arn],
  dedup: { key: (e) => `${accountOf(e)}|${principalArn(e)}|${queue(e).arn}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    "One of Trailwarden's SQS queues (the event queue between EventBridge and the evaluate function, or its " +
    'dead-letter queue) was purged, deleted, had its attributes changed (retention, visibility, redrive, ' +
    "encryption, policy) or lost a permission, by someone other than Trailwarden's deploy role. A purge throws " +
    'away every event not yet evaluated; a policy change can stop EventBridge delivering at all.',
  runbook: [
    'Restore the queues from the stack: `npx cdk deploy Trailwarden` recreates a deleted queue (and the mapping to it) and puts back attributes and the policy letting the generated rules send. Check with `aws sqs get-queue-attributes --queue-url <url> --attribute-names All`.',
    'Recover what was lost: purged or expired events are gone from the queue, but not from CloudTrail. Replay the window from the call until the restore with `trailwarden scan` over the CloudTrail log files.',
    'If the dead-letter queue was purged, the failed evaluations it held are lost too: check the DeadLetterQueueNotEmpty alarm history for what it held.',
    'Treat the actor as compromised unless the change is explained: review their calls since the session began and rotate the credentials behind them.',
    'Restrict `sqs:PurgeQueue`, `sqs:DeleteQueue`, `sqs:SetQueueAttributes` and `sqs:RemovePermission` on `arn:aws:sqs:*:<account>:<StackName>-*` to the deploy role with an SCP or permissions boundary.',
  ],
  rationale:
    'Critical on a single call, without a threshold: every event Trailwarden evaluates passes through this queue, ' +
    'so purging, shrinking its retention or cutting EventBridge out of its policy discards detections wholesale ' +
    '(A.8.16). Every change by a principal other than the configured deploy roles matches. CloudTrail logs the ' +
    'queue URL; the rule turns it into the queue ARN and name for the configured globs. Matches only when ' +
    '`detection.selfProtection` is configured.',
  falsePositives: [
    'An operator purging the dead-letter queue after reading it instead of redriving it: still worth review, since those events were never evaluated.',
  ],
  cases: () => [
    {
      name: 'alice purges the event queue',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('sqs/PurgeQueue-trailwarden'),
    },
    {
      name: 'the dead-letter queue deleted',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('sqs/PurgeQueue-trailwarden', {
        eventName: 'DeleteQueue',
        requestParameters: { queueUrl: `${URL}/Trailwarden-PipelineDeadLetterQueueF08023D6-Pl0Ok9Ij8Uh7` },
      }),
    },
    {
      name: "bob cuts the queue's retention to a minute in the console",
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('sqs/SetQueueAttributes-trailwarden'),
    },
    {
      name: "EventBridge's permission to send removed",
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('sqs/RemovePermission-trailwarden'),
    },
    {
      name: 'the legacy queue URL host, with only an ARN glob configured',
      expect: 'match',
      config: {
        selfProtection: { resources: ['arn:aws:sqs:*:111122223333:Trailwarden-*'], deployRoles: [] },
      },
      event: fixture('sqs/PurgeQueue-trailwarden', {
        requestParameters: {
          queueUrl:
            'https://eu-west-1.queue.amazonaws.com/111122223333/Trailwarden-PipelineEventQueueC70D255E-Zx8Cv7Bn6Mq5',
        },
      }),
    },
    {
      name: 'CloudFormation sets the queue attributes during cdk deploy',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('sqs/SetQueueAttributes-trailwarden', BY_DEPLOY_ROLE),
    },
    {
      name: 'a queue that is not Trailwarden',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('sqs/PurgeQueue-trailwarden', { requestParameters: { queueUrl: `${URL}/orders-events` } }),
    },
    {
      name: 'PurgeQueue denied',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('sqs/PurgeQueue-trailwarden', {
        errorCode: 'AccessDenied',
        errorMessage:
          'User: arn:aws:iam::111122223333:user/alice is not authorized to perform: sqs:purgequeue on resource: arn:aws:sqs:eu-west-1:111122223333:Trailwarden-PipelineEventQueueC70D255E-Zx8Cv7Bn6Mq5 because no identity-based policy allows the sqs:purgequeue action',
      }),
    },
    {
      name: 'a second purge within 60 seconds is refused',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('sqs/PurgeQueue-trailwarden', {
        errorCode: 'AWS.SimpleQueueService.PurgeQueueInProgress',
        errorMessage:
          'Only one PurgeQueue operation on Trailwarden-PipelineEventQueueC70D255E-Zx8Cv7Bn6Mq5 is allowed every 60 seconds.',
      }),
    },
    {
      name: 'selfProtection not configured',
      expect: 'no-match',
      event: fixture('sqs/PurgeQueue-trailwarden'),
    },
  ],
};
