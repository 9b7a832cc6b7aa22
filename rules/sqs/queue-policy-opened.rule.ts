import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord, JsonValue } from '../core/cloudtrail.ts';
import { accountOf, isSuccess, param, stringParam } from '../core/cloudtrail.ts';
import type { DetectionConfig } from '../core/config.ts';
import { defineRule } from '../core/define-rule.ts';
import type { PolicyExposure } from '../core/resource-policy.ts';
import {
  addPermissionPolicy,
  describeOpenedExposure,
  isOpenedExposure,
  orgPolicyExposure,
  stringsOf,
} from '../core/resource-policy.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

/** `https://sqs.<region>.amazonaws.com/<account>/<name>` (or the legacy `<region>.queue.amazonaws.com` host). */
const queueArn = (e: CloudTrailRecord): string => {
  const url = stringParam(e.requestParameters, 'queueUrl') ?? '';
  const [account, name] = url.replace(/^https?:\/\/[^/]+\//, '').split('/');
  if (account !== undefined && /^\d{12}$/.test(account) && name) {
    return resourceArn(e, 'sqs', name, account);
  }
  const created = stringParam(e.requestParameters, 'queueName');
  return resourceArn(e, 'sqs', created ?? 'unknown-queue');
};

/** CloudTrail's casing of AddPermission's `AWSAccountIds` has varied with the SQS protocol; read any of them. */
const grantedAccounts = (e: CloudTrailRecord): string[] =>
  ['aWSAccountIds', 'AWSAccountIds', 'awsAccountIds'].flatMap((key) => stringsOf(param(e.requestParameters, key)));

/**
 * The policy the call sets: `attributes.Policy` for SetQueueAttributes and CreateQueue, or, for AddPermission,
 * the statement SQS writes (`Principal: {"AWS": [accounts]}`). Undefined when the call sets no policy.
 */
const policyOf = (e: CloudTrailRecord): JsonValue | undefined => {
  if (e.eventName !== 'AddPermission') return param(e.requestParameters, 'attributes', 'Policy');
  return addPermissionPolicy({
    label: stringParam(e.requestParameters, 'label'),
    accounts: grantedAccounts(e),
    actions: stringsOf(param(e.requestParameters, 'actions')).map((a) => `SQS:${a}`),
    resource: queueArn(e),
  });
};

const exposureOf = (e: CloudTrailRecord, config: DetectionConfig): PolicyExposure | undefined =>
  orgPolicyExposure(policyOf(e), accountOf(e), config.organization);

const ORG = { id: 'o-a1b2c3d4e5', accounts: ['111122223333', '444455556666'] };
const queue = 'arn:aws:sqs:eu-west-1:111122223333:orders-events';
const owner = {
  Sid: '__owner_statement',
  Effect: 'Allow',
  Principal: { AWS: 'arn:aws:iam::111122223333:root' },
  Action: 'SQS:*',
  Resource: queue,
};
const policyWith = (statement: Record<string, unknown>) => ({
  requestParameters: {
    attributes: {
      Policy: JSON.stringify({ Version: '2012-10-17', Id: '__default_policy_ID', Statement: [owner, statement] }),
    },
  },
});

export const rule = defineRule({
  id: 'sqs.queue-policy-opened',
  title: 'SQS queue policy opened to the public or to an account outside the org',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.5.23'],
  mitre: ['T1530', 'T1098'],
  on: { source: 'sqs', eventNames: ['SetQueueAttributes', 'CreateQueue', 'AddPermission'] },
  match: (e, ctx) => isSuccess(e) && isOpenedExposure(exposureOf(e, ctx.config)),
  explain: (e, ctx) => describeOpenedExposure(exposureOf(e, ctx.config)),
  dedup: { key: queueArn },
  resources: (e) => [queueArn(e)],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'SetQueueAttributes or CreateQueue set a queue policy, or AddPermission added a statement, that lets everyone ' +
    'use the queue (Principal "*" with no restricting condition) or that grants an account outside the ' +
    'organisation. Depending on the actions, outsiders can read (and delete) messages or inject their own.',
  runbook: [
    'Read the policy now in force: `aws sqs get-queue-attributes --queue-url <url> --attribute-names Policy --output text`.',
    'Unless the grant is documented, remove it: `aws sqs remove-permission --queue-url <url> --label <label>` for an AddPermission statement, or put back the previous policy with `aws sqs set-queue-attributes --queue-url <url> --attributes file://previous-policy.json` (an empty Policy removes it).',
    'Judge the exposure by the actions granted: ReceiveMessage/DeleteMessage leak and destroy messages, SendMessage lets outsiders inject work into whatever consumes the queue. Check the consumers for unexpected messages.',
    'If a public or cross-account subscription is needed (SNS fan-out, EventBridge), hold Principal "*" to aws:SourceArn of that topic or rule instead.',
    'If the actor is not the queue owner or the approved deploy role, review their other calls and treat it as an incident.',
  ],
  rationale:
    'One successful call is enough, with no threshold: the grant takes effect at once. High by default, critical on ' +
    'high-criticality assets. "Public" follows S3 Block Public Access\'s reading: Principal "*" held to ' +
    'aws:SourceArn/aws:SourceAccount of your own resources, aws:PrincipalOrgID or a VPC endpoint is not public, so ' +
    'the usual SNS-to-SQS and EventBridge-to-SQS policies do not match. "Outside the organisation" means an account ' +
    "that is neither the queue's own nor in organization.accounts; with that list empty, every other account counts " +
    'as outside. Clearing the policy (empty Policy) and policies that cannot be parsed do not match; an AddPermission ' +
    'record that does not list the accounts cannot be judged and does not match either.',
  falsePositives: [
    'Queues that receive from a partner or SaaS account outside the organisation on purpose: suppress per queue with a reason.',
    'Cross-account grants to sister accounts while organization.accounts is empty or out of date.',
  ],
  cases: () => [
    { name: 'queue policy lets anyone send', expect: 'match', event: fixture('sqs/SetQueueAttributes-policy') },
    {
      name: 'queue policy opened on a high-criticality asset',
      expect: 'match',
      criticality: 'high',
      event: fixture('sqs/SetQueueAttributes-policy'),
    },
    {
      name: 'queue policy lets an outside account receive',
      expect: 'match',
      config: { organization: ORG },
      event: fixture(
        'sqs/SetQueueAttributes-policy',
        policyWith({
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::999988887777:root' },
          Action: ['SQS:ReceiveMessage', 'SQS:DeleteMessage'],
          Resource: queue,
        }),
      ),
    },
    {
      name: 'queue created with a public policy',
      expect: 'match',
      event: fixture('sqs/SetQueueAttributes-policy', {
        eventName: 'CreateQueue',
        requestParameters: { queueUrl: undefined, queueName: 'orders-events' },
        responseElements: { queueUrl: 'https://sqs.eu-west-1.amazonaws.com/111122223333/orders-events' },
      }),
    },
    {
      name: 'AddPermission for an outside account',
      expect: 'match',
      config: { organization: ORG },
      event: fixture('sqs/AddPermission'),
    },
    {
      name: 'AddPermission for an organisation member',
      expect: 'no-match',
      config: { organization: ORG },
      event: fixture('sqs/AddPermission', { requestParameters: { aWSAccountIds: ['444455556666'] } }),
    },
    {
      name: 'SNS topic of the own account may send (aws:SourceArn)',
      expect: 'no-match',
      event: fixture(
        'sqs/SetQueueAttributes-policy',
        policyWith({
          Sid: 'topic-subscription',
          Effect: 'Allow',
          Principal: { Service: 'sns.amazonaws.com' },
          Action: 'SQS:SendMessage',
          Resource: queue,
          Condition: { ArnEquals: { 'aws:SourceArn': 'arn:aws:sns:eu-west-1:111122223333:orders' } },
        }),
      ),
    },
    {
      name: 'Principal "*" held to the organisation',
      expect: 'no-match',
      config: { organization: ORG },
      event: fixture(
        'sqs/SetQueueAttributes-policy',
        policyWith({
          Effect: 'Allow',
          Principal: '*',
          Action: 'SQS:SendMessage',
          Resource: queue,
          Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } },
        }),
      ),
    },
    {
      name: 'visibility timeout change (no policy)',
      expect: 'no-match',
      event: fixture('sqs/SetQueueAttributes-policy', {
        requestParameters: { attributes: { Policy: undefined, VisibilityTimeout: '60' } },
      }),
    },
    {
      name: 'policy removed (empty Policy)',
      expect: 'no-match',
      event: fixture('sqs/SetQueueAttributes-policy', { requestParameters: { attributes: { Policy: '' } } }),
    },
    {
      name: 'SetQueueAttributes denied',
      expect: 'no-match',
      event: fixture('sqs/SetQueueAttributes-policy', {
        errorCode: 'AccessDenied',
        errorMessage:
          'User: arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/bob is not authorized to perform: sqs:setqueueattributes on resource: arn:aws:sqs:eu-west-1:111122223333:orders-events because no identity-based policy allows the sqs:setqueueattributes action',
      }),
    },
  ],
};
