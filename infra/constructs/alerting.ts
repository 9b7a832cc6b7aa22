import { Lazy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import type { AlertsConfig, FilterPolicy } from '../config.ts';
import { alarmArns } from './keys.ts';
import { PipelinePart } from './logical-ids.ts';

export interface AlertingProps {
  readonly alerts: AlertsConfig;
  /** Encrypts both topics. */
  readonly messagingKey: kms.IKey;
}

/**
 * Where people are told: the findings topic (message attributes, so subscriptions filter) and the alarm topic
 * (the pipeline's own alarms, which carry no attributes), both under the messaging key, TLS only, with every
 * configured endpoint subscribed.
 */
export class Alerting extends PipelinePart {
  /** Findings (with message attributes): subscriptions may filter on them. */
  readonly topic: sns.Topic;
  /**
   * Every pipeline alarm. Alarm notifications carry no message attributes, so a filtered findings subscription
   * would drop them: the same endpoints are subscribed here without a filter.
   */
  readonly alarmTopic: sns.Topic;
  /** The roles that may publish findings (`grantPublishFindings`); the topic policy denies every other principal. */
  private readonly publishers: iam.IRole[] = [];

  constructor(scope: Construct, id: string, props: AlertingProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'FindingsTopic', {
      displayName: 'Trailwarden findings',
      masterKey: props.messagingKey,
      enforceSSL: true,
    });
    this.alarmTopic = alarmTopic(this, 'AlarmTopic', 'Trailwarden pipeline alarms', props.messagingKey);
    this.subscribe(props.alerts);
    this.onlyPublishersPublishFindings();
  }

  /**
   * Lets `role` publish findings: its own policy allows it, and the topic policy stops denying it. Every
   * function that pages goes through here; nothing else in the account may publish a finding.
   */
  grantPublishFindings(role: iam.IRole): void {
    this.topic.grantPublish(role);
    this.publishers.push(role);
  }

  /**
   * Every endpoint on both topics: findings through the endpoint's filter policy, alarms without one (alarm
   * notifications carry no message attributes, so a filter would drop every one of them).
   */
  private subscribe(alerts: AlertsConfig): void {
    for (const email of alerts.emails) {
      this.topic.addSubscription(new subs.EmailSubscription(email));
      this.alarmTopic.addSubscription(new subs.EmailSubscription(email));
    }
    // CDK names each subscription after its address, so reordering the config recreates none.
    for (const { url, filterPolicy } of alerts.https) {
      this.topic.addSubscription(
        new subs.UrlSubscription(url, {
          protocol: sns.SubscriptionProtocol.HTTPS,
          ...(filterPolicy ? { filterPolicy: toSubscriptionFilter(filterPolicy) } : {}),
        }),
      );
      this.alarmTopic.addSubscription(new subs.UrlSubscription(url, { protocol: sns.SubscriptionProtocol.HTTPS }));
    }
  }

  /**
   * A forged finding pages on-call like a real one, and a flood of them buries it: IAM principals other than
   * the registered publishers are denied `sns:Publish`, whatever their own policies allow (an account admin
   * included). AWS service principals are outside this statement (none is allowed to publish here anyway).
   */
  private onlyPublishersPublishFindings(): void {
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyTrailwardenPublishesFindings',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          ArnNotEquals: {
            'aws:PrincipalArn': Lazy.list({ produce: () => this.publishers.map((r) => r.roleArn) }),
          },
          BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' },
        },
      }),
    );
    this.node.addValidation({
      validate: () => (this.publishers.length > 0 ? [] : ['the findings topic has no publisher']),
    });
  }
}

/**
 * A topic for CloudWatch alarms: under `key` (which must let CloudWatch use it, `allowCloudWatchAlarms`), TLS
 * only, published to by CloudWatch alarms of this account and region and by no IAM principal at all.
 */
export const alarmTopic = (scope: Construct, id: string, displayName: string, key: kms.IKey): sns.Topic => {
  const stack = Stack.of(scope);
  const topic = new sns.Topic(scope, id, { displayName, masterKey: key, enforceSSL: true });
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchAlarms',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: {
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: { 'aws:SourceArn': alarmArns(stack) },
      },
    }),
  );
  // A forged "alarm OK" or a flood of fake alarms would hide a real one: no IAM principal may publish.
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'OnlyAlarmsPublish',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: { BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' } },
    }),
  );
  return topic;
};

/** Every configured endpoint on an alarm topic, without a filter (alarm notifications carry no attributes). */
export const subscribeToAlarms = (topic: sns.Topic, alerts: AlertsConfig): void => {
  for (const email of alerts.emails) topic.addSubscription(new subs.EmailSubscription(email));
  for (const { url } of alerts.https) {
    topic.addSubscription(new subs.UrlSubscription(url, { protocol: sns.SubscriptionProtocol.HTTPS }));
  }
};

/** SNS filter policies from config: each attribute's condition list is passed through as SNS defines it. */
export const toSubscriptionFilter = (policy: FilterPolicy): Record<string, sns.SubscriptionFilter> =>
  Object.fromEntries(
    Object.entries(policy).map(([name, conditions]) => [name, new sns.SubscriptionFilter([...conditions])]),
  );
