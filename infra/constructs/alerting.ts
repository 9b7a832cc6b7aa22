import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import type { AlertsConfig, FilterPolicy } from '../config.ts';
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

  constructor(scope: Construct, id: string, props: AlertingProps) {
    super(scope, id);
    const topic = (topicId: string, displayName: string) =>
      new sns.Topic(this, topicId, { displayName, masterKey: props.messagingKey, enforceSSL: true });
    this.topic = topic('FindingsTopic', 'Trailwarden findings');
    this.alarmTopic = topic('AlarmTopic', 'Trailwarden pipeline alarms');
    this.subscribe(props.alerts);
    this.allowCloudWatchAlarms();
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

  /** CloudWatch alarms of this account publish to the alarm topic (the key side is `PipelineKeys`). */
  private allowCloudWatchAlarms(): void {
    const stack = Stack.of(this);
    this.alarmTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarms',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
  }
}

/** SNS filter policies from config: each attribute's condition list is passed through as SNS defines it. */
export const toSubscriptionFilter = (policy: FilterPolicy): Record<string, sns.SubscriptionFilter> =>
  Object.fromEntries(
    Object.entries(policy).map(([name, conditions]) => [name, new sns.SubscriptionFilter([...conditions])]),
  );
