import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { PipelinePart } from './logical-ids.ts';

/**
 * The pipeline's two customer keys. Messaging: queues and both topics, also used by EventBridge (to put on the
 * queue) and CloudWatch (to publish alarms). Storage: state table and evidence bucket, used by the functions only.
 */
export class PipelineKeys extends PipelinePart {
  readonly messagingKey: kms.Key;
  readonly storageKey: kms.Key;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.messagingKey = new kms.Key(this, 'MessagingKey', {
      description: 'Trailwarden: event queue, dead-letter queue, findings topic and alarm topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.storageKey = new kms.Key(this, 'StorageKey', {
      description: 'Trailwarden: state table and Object-Lock evidence bucket',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /** EventBridge encrypts what the routes put on the (encrypted) queues, for this account only. */
  allowEventBridge(): void {
    this.messagingKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowEventBridgeToQueue',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
  }

  /** CloudWatch alarms publish to the encrypted alarm topic: the key policy form AWS documents. */
  allowCloudWatchAlarms(): void {
    this.messagingKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
  }
}
