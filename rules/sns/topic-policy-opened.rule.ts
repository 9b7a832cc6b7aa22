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

const topicArn = (e: CloudTrailRecord): string =>
  stringParam(e.requestParameters, 'topicArn') ??
  stringParam(e.responseElements, 'topicArn') ??
  resourceArn(e, 'sns', stringParam(e.requestParameters, 'name') ?? 'unknown-topic');

/** AddPermission's `AWSAccountId` and `ActionName` lists, in whichever casing CloudTrail logged them. */
const listParam = (e: CloudTrailRecord, ...keys: string[]): string[] =>
  keys.flatMap((key) => stringsOf(param(e.requestParameters, key)));

/**
 * The policy the call sets: SetTopicAttributes with attributeName Policy, CreateTopic's `attributes.Policy`, or,
 * for AddPermission, the statement SNS writes (`Principal: {"AWS": [accounts]}`). Undefined when none is set.
 */
const policyOf = (e: CloudTrailRecord): JsonValue | undefined => {
  switch (e.eventName) {
    case 'SetTopicAttributes':
      return stringParam(e.requestParameters, 'attributeName') === 'Policy'
        ? param(e.requestParameters, 'attributeValue')
        : undefined;
    case 'CreateTopic':
      return param(e.requestParameters, 'attributes', 'Policy');
    default:
      return addPermissionPolicy({
        label: stringParam(e.requestParameters, 'label'),
        accounts: listParam(e, 'aWSAccountId', 'AWSAccountId', 'awsAccountId'),
        actions: listParam(e, 'actionName', 'ActionName').map((a) => `SNS:${a}`),
        resource: topicArn(e),
      });
  }
};

const exposureOf = (e: CloudTrailRecord, config: DetectionConfig): PolicyExposure | undefined =>
  orgPolicyExposure(policyOf(e), accountOf(e), config.organization);

const ORG = { id: 'o-a1b2c3d4e5', accounts: ['111122223333', '444455556666'] };
const topic = 'arn:aws:sns:eu-west-1:111122223333:payments-alerts';
/** The statement SNS puts in every new topic's policy: everyone, held to the owner account by AWS:SourceOwner. */
const defaultStatement = {
  Sid: '__default_statement_ID',
  Effect: 'Allow',
  Principal: { AWS: '*' },
  Action: ['SNS:GetTopicAttributes', 'SNS:SetTopicAttributes', 'SNS:Subscribe', 'SNS:Publish'],
  Resource: topic,
  Condition: { StringEquals: { 'AWS:SourceOwner': '111122223333' } },
};
const policyWith = (...statements: Record<string, unknown>[]) => ({
  requestParameters: {
    attributeValue: JSON.stringify({ Version: '2008-10-17', Id: '__default_policy_ID', Statement: statements }),
  },
});

export const rule = defineRule({
  id: 'sns.topic-policy-opened',
  title: 'SNS topic policy opened to the public or to an account outside the org',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.5.23'],
  mitre: ['T1530', 'T1098'],
  on: { source: 'sns', eventNames: ['SetTopicAttributes', 'CreateTopic', 'AddPermission'] },
  match: (e, ctx) => isSuccess(e) && isOpenedExposure(exposureOf(e, ctx.config)),
  explain: (e, ctx) => describeOpenedExposure(exposureOf(e, ctx.config)),
  dedup: { key: topicArn },
  resources: (e) => [topicArn(e)],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'SetTopicAttributes (attribute Policy) or CreateTopic set a topic policy, or AddPermission added a statement, ' +
    'that lets everyone use the topic (Principal "*" with no restricting condition) or that grants an account ' +
    'outside the organisation. Outsiders can then subscribe and receive every message, or publish into it.',
  runbook: [
    'Read the policy now in force: `aws sns get-topic-attributes --topic-arn <arn> --query Attributes.Policy --output text`.',
    'Unless the grant is documented, remove it: `aws sns remove-permission --topic-arn <arn> --label <label>` for an AddPermission statement, or restore the previous policy with `aws sns set-topic-attributes --topic-arn <arn> --attribute-name Policy --attribute-value file://previous-policy.json`.',
    'List the subscriptions and remove any to endpoints or accounts you do not own: `aws sns list-subscriptions-by-topic --topic-arn <arn>`, then `aws sns unsubscribe --subscription-arn <arn>`. Messages already delivered to them are gone.',
    "If outsiders could publish, check the topic's subscribers (Lambda, SQS, email) for injected messages.",
    'If the actor is not the topic owner or the approved deploy role, review their other calls and treat it as an incident.',
  ],
  rationale:
    'One successful call is enough, with no threshold: a subscription from outside starts receiving messages at ' +
    'once. High by default, critical on high-criticality assets. "Public" follows S3 Block Public Access\'s ' +
    'reading: the default topic statement (Principal "*" held to AWS:SourceOwner = the own account) and statements ' +
    'held to aws:PrincipalOrgID, aws:SourceArn of your own resources or a VPC endpoint are not public. "Outside the ' +
    'organisation" means an account that is neither the topic\'s own nor in organization.accounts; with that list ' +
    'empty, every other account counts as outside. Other attributes (DisplayName, DeliveryPolicy), policies that ' +
    'cannot be parsed and AddPermission records that do not list the accounts do not match.',
  falsePositives: [
    'Topics that partners or SaaS tools outside the organisation subscribe or publish to on purpose: suppress per topic with a reason.',
    'Cross-account grants to sister accounts while organization.accounts is empty or out of date.',
  ],
  cases: () => [
    { name: 'topic policy lets anyone subscribe', expect: 'match', event: fixture('sns/SetTopicAttributes-policy') },
    {
      name: 'topic opened on a high-criticality asset',
      expect: 'match',
      criticality: 'high',
      event: fixture('sns/SetTopicAttributes-policy'),
    },
    {
      name: 'topic policy lets an outside account subscribe',
      expect: 'match',
      config: { organization: ORG },
      event: fixture(
        'sns/SetTopicAttributes-policy',
        policyWith(defaultStatement, {
          Sid: 'partner',
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::999988887777:root' },
          Action: 'SNS:Subscribe',
          Resource: topic,
        }),
      ),
    },
    {
      name: 'AddPermission for an outside account',
      expect: 'match',
      config: { organization: ORG },
      event: fixture('sns/AddPermission'),
    },
    {
      name: 'topic created with a public policy',
      expect: 'match',
      event: fixture('sns/SetTopicAttributes-policy', {
        eventName: 'CreateTopic',
        requestParameters: {
          topicArn: undefined,
          attributeName: undefined,
          attributeValue: undefined,
          name: 'payments-alerts',
          attributes: {
            Policy: JSON.stringify({
              Statement: [{ Effect: 'Allow', Principal: '*', Action: 'SNS:Publish', Resource: topic }],
            }),
          },
        },
        responseElements: { topicArn: topic },
      }),
    },
    {
      name: 'the default topic policy (held to AWS:SourceOwner)',
      expect: 'no-match',
      event: fixture('sns/SetTopicAttributes-policy', policyWith(defaultStatement)),
    },
    {
      name: 'CloudWatch alarms of the own account may publish',
      expect: 'no-match',
      event: fixture(
        'sns/SetTopicAttributes-policy',
        policyWith(defaultStatement, {
          Sid: 'cloudwatch',
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: 'SNS:Publish',
          Resource: topic,
          Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:*' } },
        }),
      ),
    },
    {
      name: 'AddPermission for an organisation member',
      expect: 'no-match',
      config: { organization: ORG },
      event: fixture('sns/AddPermission', { requestParameters: { aWSAccountId: ['444455556666'] } }),
    },
    {
      name: 'display name change',
      expect: 'no-match',
      event: fixture('sns/SetTopicAttributes-policy', {
        requestParameters: { attributeName: 'DisplayName', attributeValue: 'Payments alerts' },
      }),
    },
    {
      name: 'SetTopicAttributes denied',
      expect: 'no-match',
      event: fixture('sns/SetTopicAttributes-policy', {
        errorCode: 'AuthorizationError',
        errorMessage:
          'User: arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/bob is not authorized to perform: SNS:SetTopicAttributes on resource: arn:aws:sns:eu-west-1:111122223333:payments-alerts',
      }),
    },
  ],
};
