import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { DrillsConfig } from '../../rules/core/drill-run.ts';
import { DRILL_PREFIX } from '../../rules/core/drill-run.ts';
import type { Alerting } from './alerting.ts';
import type { DrillKey } from './drill-key.ts';
import type { Evidence } from './evidence.ts';
import { EVIDENCE_PREFIX } from './evidence.ts';
import { PipelinePart } from './logical-ids.ts';
import { repoHandler, trailwardenFunction } from './trailwarden-function.ts';

export interface DrillsProps {
  readonly drills: DrillsConfig;
  /** The evaluate function's detection config (JSON): drills are planned against what it runs. */
  readonly detectionConfig: string;
  /** The evaluate function's queue: drills go through it, the real path. */
  readonly eventQueue: sqs.IQueue;
  readonly messagingKey: kms.IKey;
  readonly storageKey: kms.IKey;
  readonly alerting: Alerting;
  readonly evidence: Evidence;
  readonly drillKey: DrillKey;
  readonly projectRoot: string;
  /** Handler of the drill function (default: this repository's `functions/drill/handler.ts`). */
  readonly entry?: string;
}

/**
 * Scheduled drills (issue 17): the drill function sends each critical and high rule's signed drill events onto the
 * evaluate queue and reads the outcome back from a drill-only subscription of the findings topic (an SQS queue
 * whose filter policy takes only messages with the `drill` attribute), then archives one record per run under
 * `drills/`. It may do exactly that: send to the event queue, read the drill key, read its own queue, HEAD
 * findings and create drill records; it cannot page, archive findings or touch state.
 */
export class Drills extends PipelinePart {
  readonly drillFunction: LambdaFunction;
  /** The drill-only subscription's queue. */
  readonly drillQueue: sqs.Queue;
  readonly drillDeadLetterQueue: sqs.Queue;
  readonly schedule: events.Rule;
  private readonly evidence: Evidence;

  constructor(scope: Construct, id: string, props: DrillsProps) {
    super(scope, id);
    const { evidence, messagingKey } = props;
    this.evidence = evidence;
    this.drillDeadLetterQueue = new sqs.Queue(this, 'DrillDeadLetterQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: messagingKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.drillQueue = new sqs.Queue(this, 'DrillQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: messagingKey,
      enforceSSL: true,
      // Pages nobody claimed (a run that timed out) expire instead of piling up for the next month's run.
      retentionPeriod: Duration.days(1),
      deadLetterQueue: { queue: this.drillDeadLetterQueue, maxReceiveCount: 5 },
    });
    // Raw delivery off: the SNS envelope keeps the message attributes and the publish time the latency is read from.
    // Spelled out rather than `SqsSubscription`, whose key statement names the topic: the topic is encrypted with
    // the same key, and that would be a dependency cycle.
    const topic = props.alerting.topic;
    new sns.Subscription(this, 'DrillSubscription', {
      topic,
      protocol: sns.SubscriptionProtocol.SQS,
      endpoint: this.drillQueue.queueArn,
      rawMessageDelivery: false,
      filterPolicy: { drill: sns.SubscriptionFilter.stringFilter({ allowlist: ['true'] }) },
    });
    this.drillQueue.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'FindingsTopicDrillsOnly',
        principals: [new iam.ServicePrincipal('sns.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [this.drillQueue.queueArn],
        conditions: { ArnEquals: { 'aws:SourceArn': topic.topicArn } },
      }),
    );
    messagingKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowSnsToDrillQueue',
        principals: [new iam.ServicePrincipal('sns.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );

    const timeout = Duration.minutes(props.drills.maxWaitMinutes + 2);
    const { fn, role } = trailwardenFunction(this, 'Drill', {
      entry: props.entry ?? repoHandler('functions/drill/handler.ts'),
      projectRoot: props.projectRoot,
      memorySize: 512,
      timeout,
      // A retried run would be a second run; the next schedule (or an operator) runs it again.
      retryAttempts: 0,
      description: 'Trailwarden: scheduled drill of the critical and high rules through the real pipeline',
      files: [repoHandler('functions/drill/drill-cases.json')],
      environment: {
        EVENT_QUEUE_URL: props.eventQueue.queueUrl,
        DRILL_QUEUE_URL: this.drillQueue.queueUrl,
        EVIDENCE_BUCKET: evidence.evidenceBucket.bucketName,
        DRILL_KEY_SECRET_ARN: props.drillKey.secret.secretArn,
        DETECTION_CONFIG: props.detectionConfig,
        DRILLS_CONFIG: JSON.stringify(props.drills),
      },
    });
    this.drillFunction = fn;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [props.eventQueue.queueArn] }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage'],
        resources: [this.drillQueue.queueArn],
      }),
    );
    // Both queues are encrypted with the messaging key: sending needs a data key, receiving decrypts.
    messagingKey.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');
    props.drillKey.addSigner(role);
    // HeadObject needs s3:GetObject; findings/ only (the probe refuses other keys too).
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [evidence.evidenceBucket.arnForObjects(`${EVIDENCE_PREFIX}*`)],
      }),
    );
    // Create-only, as the bucket policy demands of every evidence write (If-None-Match: *).
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [evidence.evidenceBucket.arnForObjects(`${DRILL_PREFIX}*`)],
        conditions: { Null: { 's3:if-none-match': 'false' } },
      }),
    );
    props.storageKey.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');

    this.schedule = new events.Rule(this, 'DrillSchedule', {
      description: `Trailwarden: drills the critical and high rules (${props.drills.schedule})`,
      schedule: events.Schedule.expression(props.drills.schedule),
      targets: [new targets.LambdaFunction(fn, { retryAttempts: 0 })],
    });

    const policy = role.node.tryFindChild('DefaultPolicy');
    if (policy === undefined) throw new Error('drill function role has no default policy');
    Validations.of(policy).acknowledge(
      {
        id: evidence.objectsFinding(EVIDENCE_PREFIX),
        reason:
          'The drill checks that each drilled finding was archived: HeadObject (s3:GetObject) on keys generated per finding, scoped to the findings/ prefix.',
      },
      {
        id: evidence.objectsFinding(DRILL_PREFIX),
        reason:
          'One record per drill run, keyed by day, start and run id: PutObject only, conditional on If-None-Match (create-only), scoped to the drills/ prefix.',
      },
    );
  }

  /**
   * Drill the elevated-access check too: the drill function invokes it (RequestResponse) with two signed drill
   * observations, as `drill --invoke --elevated-function` does. `lambda:InvokeFunction` on that one function (its
   * unqualified ARN: no alias, no version) is all it gets; the check verifies the signature itself.
   */
  drillElevatedAccess(fn: lambda.IFunction): void {
    const role = this.drillFunction.role;
    if (role === undefined) throw new Error('drill function has no role');
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [fn.functionArn] }),
    );
    this.drillFunction.addEnvironment('ELEVATED_FUNCTION_NAME', fn.functionName);
  }

  /** The health function's overdue and failed-drill checks: list and read `drills/`, nothing else. */
  grantReadRecords(role: iam.IRole): void {
    const bucket = this.evidence.evidenceBucket;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${DRILL_PREFIX}*`] } },
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects(`${DRILL_PREFIX}*`)] }),
    );
    const policy = role.node.tryFindChild('DefaultPolicy');
    if (policy !== undefined) {
      Validations.of(policy).acknowledge({
        id: this.evidence.objectsFinding(DRILL_PREFIX),
        reason:
          'The health function reads drill records (one per run, keys generated per run) to page failed and overdue drills: GetObject only, scoped to the drills/ prefix.',
      });
    }
  }
}
