import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { deletionReasons, isUnapprovedDeletion } from '../core/destruction.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';
import { SELF_PROTECTION } from '../fixtures/self-protection.ts';

/** `https://sqs.<region>.amazonaws.com/<account>/<name>` → the queue's name and ARN (in the URL's account). */
const queue = (e: CloudTrailRecord): { readonly name: string; readonly arn: string } => {
  const [account, name] = (stringParam(e.requestParameters, 'queueUrl') ?? '')
    .replace(/^https?:\/\/[^/]+\//, '')
    .split('/');
  return account !== undefined && /^\d{12}$/.test(account) && name
    ? { name, arn: resourceArn(e, 'sqs', name, account) }
    : { name: 'unknown-queue', arn: resourceArn(e, 'sqs', 'unknown-queue') };
};

export const rule = defineRule({
  id: 'sqs.queue-purged',
  title: 'SQS queue purged outside the approved process',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.10', 'A.8.16'],
  mitre: ['T1485', 'T1562.001'],
  on: { source: 'sqs', eventNames: ['PurgeQueue'] },
  // Trailwarden's own queues are sqs.trailwarden-queue-tampered's (critical); one call is one finding.
  match: (e, ctx) => isUnapprovedDeletion(e, ctx.config, [queue(e).name, queue(e).arn]),
  explain: (e, ctx) => [`every message in ${queue(e).name} deleted`, ...deletionReasons(e, ctx.config)],
  resources: (e) => [queue(e).arn],
  dedup: { key: (e) => `${accountOf(e)}|${queue(e).arn}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'Every message in an SQS queue was deleted at once (PurgeQueue) by someone other than the approved ' +
    'automation: orders, jobs or security events waiting to be processed are gone, with no way to read back what ' +
    'they were.',
  runbook: [
    'Find what the queue carried and who consumes it (`aws sqs get-queue-attributes --queue-url <url> ' +
      '--attribute-names All`, its event sources and Lambda mappings).',
    'Rebuild what was lost from the producers (replay from the source system, EventBridge archive, or CloudTrail for ' +
      'event pipelines) where possible.',
    'Ask the actor why; if unexplained, treat it as destruction or cover-up and review the actor’s other calls ' +
      'around it (a purge of a dead-letter queue hides the failures it held).',
  ],
  rationale:
    'PurgeQueue destroys data in flight (T1485) and, on security or dead-letter queues, the evidence of failures ' +
    '(T1562.001); Elastic watches it as defence evasion. Medium, high on high-criticality assets: developers purge ' +
    'test queues by hand. Outside the approved process only; refused calls are excluded, and Trailwarden’s own ' +
    'queues have their own critical rule.',
  falsePositives: [
    'Developers clearing a test or staging queue by hand.',
    'Runbooks that purge a poisoned queue during an incident.',
  ],
  cases: () => [
    { name: 'alice purges the orders-events queue', expect: 'match', event: fixture('sqs/PurgeQueue') },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture('sqs/PurgeQueue', denied('AccessDenied', 'sqs:purgequeue')),
    },
    {
      name: 'the approved deploy role through CloudFormation',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('sqs/PurgeQueue', BY_APPROVED_DEPLOY),
    },
    {
      name: "Trailwarden's own queue (left to sqs.trailwarden-queue-tampered)",
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('sqs/PurgeQueue-trailwarden'),
    },
  ],
};
