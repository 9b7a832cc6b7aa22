import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { TrailIntegrityConfig } from '../trail-integrity-config.ts';
import type { Alerting } from './alerting.ts';
import { acknowledgeFindingsWriter, STATE_TABLE_ACTIONS } from './detection.ts';
import type { Evidence } from './evidence.ts';
import { PipelinePart } from './logical-ids.ts';
import { repoHandler, trailwardenFunction } from './trailwarden-function.ts';

export interface TrailIntegrityProps {
  readonly config: TrailIntegrityConfig;
  readonly table: dynamodb.ITable;
  readonly storageKey: kms.IKey;
  /** Encrypts the digest queue and its DLQ (EventBridge may use it: `PipelineKeys.allowEventBridge`). */
  readonly messagingKey: kms.IKey;
  readonly alerting: Alerting;
  readonly evidence: Evidence;
  readonly entry?: string;
  readonly projectRoot: string;
}

/** `[prefix/]AWSLogs/`: where CloudTrail writes under a bucket. */
const logsRoot = (prefix: string): string => `${prefix === '' ? '' : `${prefix}/`}AWSLogs/`;

/**
 * CloudTrail log-file integrity (A.8.15): a function that validates each digest CloudTrail delivers, as it
 * arrives (S3 "Object Created" → EventBridge → SQS with a DLQ), and every hour re-checks the last day's digest
 * chains and that digests keep arriving. Read-only on the trail buckets' `AWSLogs/` prefixes; the buckets are the
 * user's: the stack changes neither their policy nor their notification settings (README: what to add).
 */
export class TrailIntegrity extends PipelinePart {
  readonly fn: LambdaFunction;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly digestRule: events.Rule;

  constructor(scope: Construct, id: string, props: TrailIntegrityProps) {
    super(scope, id);
    const { config } = props;
    const stack = Stack.of(this);
    const timeout = Duration.minutes(5);
    const { fn, role } = trailwardenFunction(this, 'TrailIntegrity', {
      entry: props.entry ?? repoHandler('functions/trail-integrity/handler.ts'),
      projectRoot: props.projectRoot,
      // Log files are hashed streaming, 16 at a time: memory buys CPU (SHA-256, gunzip), not buffers.
      memorySize: 1024,
      timeout,
      retryAttempts: 0,
      description: 'Trailwarden: validates CloudTrail digest files and the log files they list (log-file integrity)',
      environment: {
        TABLE_NAME: props.table.tableName,
        TOPIC_ARN: props.alerting.topic.topicArn,
        EVIDENCE_BUCKET: props.evidence.evidenceBucket.bucketName,
        TRAIL_BUCKETS: JSON.stringify(config.buckets),
        DIGEST_LAG_MINUTES: String(config.lagMinutes),
      },
    });
    this.fn = fn;
    props.table.grant(role, ...STATE_TABLE_ACTIONS);
    props.storageKey.grantEncryptDecrypt(role);
    props.alerting.grantPublishFindings(role);
    props.evidence.grantPutFindings(role);

    // Read-only: GetObject under AWSLogs/ (digests and log files), ListBucket only for keys under it.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadTrailObjects',
        actions: ['s3:GetObject'],
        resources: config.buckets.map((b) => `arn:${stack.partition}:s3:::${b.bucket}/${logsRoot(b.prefix)}*`),
      }),
    );
    for (const [i, b] of config.buckets.entries()) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: `ListTrailPrefix${i}`,
          actions: ['s3:ListBucket'],
          resources: [`arn:${stack.partition}:s3:::${b.bucket}`],
          conditions: { StringLike: { 's3:prefix': [`${logsRoot(b.prefix)}*`] } },
        }),
      );
    }
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailPublicKeys',
        actions: ['cloudtrail:ListPublicKeys'],
        resources: ['*'],
      }),
    );
    if (config.kmsKeyArn !== undefined) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'DecryptTrail',
          actions: ['kms:Decrypt'],
          resources: [config.kmsKeyArn],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.${stack.urlSuffix}` } },
        }),
      );
    }

    this.deadLetterQueue = new sqs.Queue(this, 'DigestDeadLetterQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.messagingKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'DigestQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.messagingKey,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(timeout.toSeconds() * 6),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
    });
    fn.addEventSource(new SqsEventSource(this.queue, { batchSize: 5, reportBatchItemFailures: true }));

    // New digests only: S3 "Object Created" for keys under CloudTrail-Digest/ of the configured buckets.
    this.digestRule = new events.Rule(this, 'NewDigestRule', {
      description: 'Trailwarden: a CloudTrail digest file was delivered; validate it and the log files it lists',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [...new Set(config.buckets.map((b) => b.bucket))] },
          object: { key: config.buckets.map((b) => ({ wildcard: `${logsRoot(b.prefix)}*/CloudTrail-Digest/*` })) },
        },
      },
    });
    this.digestRule.addTarget({
      bind: () => ({
        arn: this.queue.queueArn,
        targetResource: this.queue,
        deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
        retryPolicy: { maximumEventAgeInSeconds: Duration.hours(24).toSeconds(), maximumRetryAttempts: 185 },
      }),
    });
    for (const queue of [this.queue, this.deadLetterQueue]) {
      queue.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowNewDigestRule',
          principals: [new iam.ServicePrincipal('events.amazonaws.com')],
          actions: ['sqs:SendMessage'],
          resources: [queue.queueArn],
          conditions: { ArnEquals: { 'aws:SourceArn': this.digestRule.ruleArn } },
        }),
      );
    }
    new events.Rule(this, 'TrailIntegritySchedule', {
      description: 'Trailwarden: hourly, the last day of CloudTrail digest chains and whether digests still arrive',
      schedule: events.Schedule.rate(Duration.hours(1)),
      targets: [new targets.LambdaFunction(fn, { retryAttempts: 0 })],
    });

    acknowledgeFindingsWriter(fn, props.evidence);
    const policy = role.node.tryFindChild('DefaultPolicy');
    if (policy === undefined) throw new Error('trail-integrity function role has no default policy');
    Validations.of(policy).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'cloudtrail:ListPublicKeys supports no resource-level permissions; the statement grants that one read-only action.',
      },
      // The partition renders as a token in an environment-agnostic stack and as `aws` in a pinned one.
      ...config.buckets.flatMap((b) =>
        ['<AWS::Partition>', 'aws'].map((partition) => ({
          id: `AwsSolutions-IAM5[Resource::arn:${partition}:s3:::${b.bucket}/${logsRoot(b.prefix)}*]`,
          reason:
            'CloudTrail names its digest and log files per account, region and hour; GetObject (read only) is scoped to the trail prefix.',
        })),
      ),
    );
  }
}
