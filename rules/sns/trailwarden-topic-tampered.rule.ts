import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, principalArn, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { explainSelfTampering, isSelfTampering } from '../core/self-protection.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_DEPLOY_ROLE, SELF_PROTECTION } from '../fixtures/self-protection.ts';

/**
 * The topic a call is about: `topicArn`, or for subscription calls the subscription ARN without its last part
 * (`arn:aws:sns:<region>:<account>:<topic>:<subscription-id>`).
 */
const topicArn = (e: CloudTrailRecord): string => {
  const topic = stringParam(e.requestParameters, 'topicArn');
  if (topic !== undefined) return topic;
  const subscription = stringParam(e.requestParameters, 'subscriptionArn');
  if (subscription?.startsWith('arn:') && subscription.split(':').length === 7) {
    return subscription.slice(0, subscription.lastIndexOf(':'));
  }
  return resourceArn(e, 'sns', 'unknown-topic');
};

/** The topic's ARN and its name, so a name glob (`Trailwarden-*`) matches as well as an ARN glob. */
const candidates = (e: CloudTrailRecord): string[] => {
  const arn = topicArn(e);
  return [arn, arn.slice(arn.lastIndexOf(':') + 1)];
};

const resourceOf = (e: CloudTrailRecord): string => stringParam(e.requestParameters, 'subscriptionArn') ?? topicArn(e);

const effect = (e: CloudTrailRecord): string[] => {
  const attribute = stringParam(e.requestParameters, 'attributeName');
  if (attribute === undefined) return [];
  const value = stringParam(e.requestParameters, 'attributeValue');
  const shown =
    value === undefined ? '' : ` = ${value === '' ? '""' : value.length > 200 ? `${value.slice(0, 200)}…` : value}`;
  return [`${e.eventName.replace(/^Set/, '').replace(/Attributes$/, '')} attribute ${attribute}${shown}`];
};

const topic = 'arn:aws:sns:eu-west-1:111122223333:Trailwarden-PipelineFindingsTopic01788E6F-kX9pL2mQ7vRt';

export const rule = defineRule({
  id: 'sns.trailwarden-topic-tampered',
  title: "Trailwarden's findings topic deleted, muted or its subscribers removed",
  severity: 'critical',
  controls: ['A.8.16', 'A.8.15'],
  mitre: ['T1562.001'],
  on: {
    source: 'sns',
    eventNames: ['DeleteTopic', 'SetTopicAttributes', 'RemovePermission', 'Unsubscribe', 'SetSubscriptionAttributes'],
  },
  match: (e, ctx) => isSelfTampering(e, candidates(e), ctx.config),
  explain: (e, ctx) => [...explainSelfTampering(e, candidates(e), ctx.config), ...effect(e)],
  resources: (e) => [resourceOf(e)],
  dedup: { key: (e) => `${accountOf(e)}|${principalArn(e)}|${resourceOf(e)}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    "Trailwarden's findings topic was deleted, had its attributes or policy changed (encryption, delivery, who may " +
    'publish: CloudWatch alarms lose their way to it), lost a permission, or a subscriber was unsubscribed or given ' +
    'a filter policy (which can silence the pager: `{"severity":["info"]}`), by someone other than Trailwarden\'s ' +
    'deploy role. Findings are still produced and archived, but nobody is told.',
  runbook: [
    'Restore the topic and its subscriptions from the stack: `npx cdk deploy Trailwarden` (email subscribers must confirm again). Check with `aws sns get-topic-attributes --topic-arn <topic>` and `aws sns list-subscriptions-by-topic --topic-arn <topic>`; for each subscription `aws sns get-subscription-attributes --subscription-arn <arn>` shows any FilterPolicy.',
    'Nothing is lost, only unannounced: read the findings raised while the topic was muted from the evidence bucket (`aws s3 ls s3://<evidence-bucket>/findings/ --recursive`, by date) and hand them to on-call.',
    "Treat the actor as compromised unless the change is explained: review their calls since the session began and rotate the credentials behind them. Silencing the alarm before acting is a classic intruder's move.",
    'Restrict `sns:DeleteTopic`, `sns:SetTopicAttributes`, `sns:RemovePermission`, `sns:Unsubscribe` and `sns:SetSubscriptionAttributes` on the topic to the deploy role with an SCP or permissions boundary.',
  ],
  rationale:
    'Critical on a single call, without a threshold: findings that reach nobody are the same as no monitoring ' +
    '(DESIGN §3, A.8.16). Every change by a principal other than the configured deploy roles matches: even a ' +
    'filter policy that looks narrow can drop the critical findings from a pager. Unsubscribe and ' +
    'SetSubscriptionAttributes name only the subscription, whose ARN begins with the topic ARN, so the topic is ' +
    'read from it. Matches only when `detection.selfProtection` is configured.',
  falsePositives: [
    'A recipient leaving the email list with the unsubscribe link: replace the subscription with the right address through the stack config (alerts.emails).',
    'Adjusting a pager filter policy by hand instead of in `alerts.https[].filterPolicy`: move the change into the config.',
  ],
  cases: () => [
    {
      name: 'alice deletes the findings topic',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('sns/DeleteTopic-trailwarden'),
    },
    {
      name: 'bob unsubscribes the on-call address in the console',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('sns/Unsubscribe-trailwarden'),
    },
    {
      name: "the pager's subscription filtered down to info findings",
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('sns/SetSubscriptionAttributes-trailwarden'),
    },
    {
      name: "the topic's encryption removed",
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('sns/SetTopicAttributes-trailwarden'),
    },
    {
      name: 'the permission letting CloudWatch alarms publish removed',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('sns/RemovePermission-trailwarden'),
    },
    {
      name: 'a topic ARN glob matches the topic read from a subscription ARN',
      expect: 'match',
      config: {
        selfProtection: { resources: ['arn:aws:sns:*:111122223333:Trailwarden-*'], deployRoles: [] },
      },
      event: fixture('sns/Unsubscribe-trailwarden'),
    },
    {
      name: 'CloudFormation replaces a subscription during cdk deploy',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('sns/Unsubscribe-trailwarden', BY_DEPLOY_ROLE),
    },
    {
      name: 'unsubscribing from a topic that is not Trailwarden',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('sns/Unsubscribe-trailwarden', {
        requestParameters: {
          subscriptionArn: 'arn:aws:sns:eu-west-1:111122223333:payments-alerts:8f3c1a2e-5b7d-4c9e-a1f3-2b4d6e8a0c1e',
        },
      }),
    },
    {
      name: "a topic whose name only contains Trailwarden's",
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('sns/DeleteTopic-trailwarden', {
        requestParameters: { topicArn: 'arn:aws:sns:eu-west-1:111122223333:copy-of-Trailwarden-findings' },
      }),
    },
    {
      name: 'DeleteTopic denied',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('sns/DeleteTopic-trailwarden', {
        errorCode: 'AuthorizationError',
        errorMessage: `User: arn:aws:iam::111122223333:user/alice is not authorized to perform: SNS:DeleteTopic on resource: ${topic} because no identity-based policy allows the SNS:DeleteTopic action`,
      }),
    },
    {
      name: 'selfProtection not configured',
      expect: 'no-match',
      event: fixture('sns/DeleteTopic-trailwarden'),
    },
  ],
};
