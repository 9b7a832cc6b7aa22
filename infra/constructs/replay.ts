import type { CfnElement } from 'aws-cdk-lib';
import { CfnOutput, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { RULE_TEXT_FILE } from '../../functions/evaluate/rule-text.ts';
import type { DetectionConfig } from '../../rules/core/config.ts';
import type { ReplayConfig } from '../replay-config.ts';
import type { Alerting } from './alerting.ts';
import {
  acknowledgeFindingsWriter,
  DETECTOR_TABLE_ACTIONS,
  ownSelfProtection,
  withSelfProtection,
} from './detection.ts';
import type { Evidence } from './evidence.ts';
import { finalLogicalId, PipelinePart } from './logical-ids.ts';
import { geoAssetFiles } from './sign-in-intel.ts';
import { repoHandler, trailwardenFunction } from './trailwarden-function.ts';

/** Retries of every replay task: S3 throttling and Lambda hiccups pass; a batch that keeps failing fails the map. */
export const REPLAY_RETRY = { maxAttempts: 4, interval: Duration.seconds(5), backoffRate: 2 } as const;
/** Work objects (manifest, selected events, map results) are scratch: gone after two weeks. */
export const WORK_EXPIRY_DAYS = 14;
const KMS_WILDCARDS = [
  {
    id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
    reason: "The grant CDK's KMS grantEncryptDecrypt gives, on the pipeline's storage key only.",
  },
  {
    id: 'AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
    reason: "The grant CDK's KMS grantEncryptDecrypt gives, on the pipeline's storage key only.",
  },
] as const;
/** The replay function's scratch prefix in the work bucket (the map's results go under `results/`). */
const WORK_PREFIX = 'replays/';

export interface ReplayProps {
  readonly replay: ReplayConfig;
  readonly detection: DetectionConfig;
  readonly table: dynamodb.ITable;
  readonly storageKey: kms.IKey;
  /** Keys of the pipeline itself (self-protection rules know them by ARN, as in the evaluate function). */
  readonly ownKeys: readonly kms.IKey[];
  readonly alerting: Alerting;
  readonly evidence: Evidence;
  readonly projectRoot: string;
  /** Handler of the replay function (default: this repository's `functions/replay/handler.ts`). */
  readonly entry?: string;
}

/**
 * `trailwarden replay` in AWS (issue 14 §2): a STANDARD state machine, plan → Distributed Map (select) → detect.
 *
 * Item reader: the plan step lists the range's day folders and writes a JSON manifest that the map reads with
 * `S3JsonItemReader`. Not `S3ObjectsItemReader`: it lists ONE prefix, and the day sits deep inside the trail
 * layout (`AWSLogs/[<org>/]<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/`), so one prefix is either the whole
 * trail (every day ever delivered, listed and then thrown away, paid per 1,000 keys and per child) or one day of
 * one account and region (a nested map per folder, a child execution per folder). The manifest costs the same
 * LIST calls the map would make, once, and the map then sees exactly the files of the range.
 *
 * Batches of `batchFiles` files go to the replay function (`maxConcurrency` at once), retried with backoff; the map
 * tolerates no failed batch (0 %), writes its results (failed batches with their input) to the work bucket, and the
 * detect step runs once after it. The function may read the configured trail prefixes and nothing else.
 */
export class Replay extends PipelinePart {
  readonly fn: LambdaFunction;
  readonly stateMachine: sfn.StateMachine;
  readonly workBucket: s3.Bucket;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ReplayProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { replay } = props;

    this.workBucket = new s3.Bucket(this, 'ReplayWorkBucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.storageKey,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      serverAccessLogsBucket: props.evidence.accessLogsBucket,
      serverAccessLogsPrefix: 'replay-work/',
      lifecycleRules: [
        { expiration: Duration.days(WORK_EXPIRY_DAYS), abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const own = ownSelfProtection({
      stackName: stack.stackName,
      partition: stack.partition,
      account: stack.account,
      keyArns: props.ownKeys.map((k) => k.keyArn),
    });
    const { fn, role } = trailwardenFunction(this, 'Replay', {
      entry: props.entry ?? repoHandler('functions/replay/handler.ts'),
      projectRoot: props.projectRoot,
      // 1,769 MB is one full vCPU: parsing is CPU-bound.
      memorySize: 1769,
      timeout: Duration.minutes(15),
      // Step Functions retries (REPLAY_RETRY); the function is invoked synchronously.
      retryAttempts: 0,
      description: 'Trailwarden: replays CloudTrail log files from S3 through the rule engine',
      // The IP database rides beside index.mjs as in the evaluate function: a replay judges sign-in places too.
      files: [repoHandler(`functions/evaluate/${RULE_TEXT_FILE}`), ...geoAssetFiles()],
      environment: {
        TABLE_NAME: props.table.tableName,
        TOPIC_ARN: props.alerting.topic.topicArn,
        EVIDENCE_BUCKET: props.evidence.evidenceBucket.bucketName,
        WORK_BUCKET: this.workBucket.bucketName,
        DETECTION_CONFIG: JSON.stringify(withSelfProtection(props.detection, own)),
      },
    });
    this.fn = fn;
    props.table.grant(role, ...DETECTOR_TABLE_ACTIONS);
    props.storageKey.grantEncryptDecrypt(role);
    props.alerting.grantPublishFindings(role);
    props.evidence.grantPutFindings(role);
    // Its scratch objects only: get and put under replays/ (no delete: they expire), list with that prefix.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [this.workBucket.arnForObjects(`${WORK_PREFIX}*`)],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.workBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${WORK_PREFIX}*`] } },
      }),
    );
    // Read-only on the trails: objects under the configured prefixes, listing only with those prefixes.
    const policy = role.node.tryFindChild('DefaultPolicy');
    if (policy === undefined) throw new Error('replay function role has no default policy');
    const acknowledged: { id: string; reason: string }[] = [];
    for (const t of replay.trailBuckets) {
      const bucketArn = `arn:${stack.partition}:s3:::${t.bucket}`;
      const objects = `${bucketArn}/${t.prefix}AWSLogs/*`;
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [objects] }));
      acknowledged.push({
        id: `AwsSolutions-IAM5[Resource::${objects.replace(stack.partition, 'aws')}]`,
        reason:
          'CloudTrail names its log files per account, region and 5-minute delivery: the replay reads any of them under the configured trail prefix, GetObject only.',
      });
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['s3:ListBucket'],
          resources: [bucketArn],
          conditions: { StringLike: { 's3:prefix': [`${t.prefix}AWSLogs/*`] } },
        }),
      );
    }
    if (replay.kmsKeyArn !== undefined) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [replay.kmsKeyArn] }));
    }

    const invoke = (
      name: string,
      payload: Record<string, unknown>,
      selector?: { readonly resultSelector: Record<string, string>; readonly resultPath: string },
    ) => {
      const task = new tasks.LambdaInvoke(this, name, {
        lambdaFunction: fn,
        payload: sfn.TaskInput.fromObject(payload),
        retryOnServiceExceptions: false,
        ...(selector === undefined ? { payloadResponseOnly: true } : selector),
      });
      task.addRetry({ errors: [sfn.Errors.ALL], ...REPLAY_RETRY });
      return task;
    };

    const plan = invoke(
      'Plan',
      {
        step: 'plan',
        replayId: sfn.JsonPath.executionName,
        bucket: sfn.JsonPath.stringAt('$.bucket'),
        prefix: sfn.JsonPath.stringAt('$.prefix'),
        from: sfn.JsonPath.stringAt('$.from'),
        to: sfn.JsonPath.stringAt('$.to'),
      },
      {
        resultSelector: {
          'manifestKey.$': '$.Payload.manifestKey',
          'files.$': '$.Payload.files',
          'bytes.$': '$.Payload.bytes',
        },
        resultPath: '$.plan',
      },
    );

    const map = new sfn.DistributedMap(this, 'Select', {
      mapExecutionType: sfn.StateMachineType.STANDARD,
      itemReader: new sfn.S3JsonItemReader({
        bucket: this.workBucket,
        key: sfn.JsonPath.stringAt('$.plan.manifestKey'),
      }),
      itemBatcher: new sfn.ItemBatcher({
        maxItemsPerBatch: replay.batchFiles,
        batchInput: {
          step: 'select',
          'replayId.$': '$$.Execution.Name',
          'bucket.$': '$.bucket',
          'from.$': '$.from',
          'to.$': '$.to',
          'rules.$': '$.rules',
        },
      }),
      maxConcurrency: replay.maxConcurrency,
      // 0 is also Step Functions' default (CDK leaves a 0 out of the definition): one failed batch fails the map.
      toleratedFailurePercentage: 0,
      resultWriterV2: new sfn.ResultWriterV2({ bucket: this.workBucket, prefix: 'results' }),
      resultPath: '$.select',
    });
    map.itemProcessor(invoke('SelectBatch', { 'Items.$': '$.Items', 'BatchInput.$': '$.BatchInput' }));

    const detect = invoke('Detect', {
      step: 'detect',
      replayId: sfn.JsonPath.executionName,
      startedAt: sfn.JsonPath.stringAt('$$.State.EnteredTime'),
      page: sfn.JsonPath.stringAt('$.page'),
      rules: sfn.JsonPath.stringAt('$.rules'),
    });

    const key = new kms.Key(this, 'ReplayLogsKey', {
      description: 'Trailwarden: encrypts the replay state machine execution logs',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const logsArn = `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*`;
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': logsArn } },
      }),
    );
    this.logGroup = new logs.LogGroup(this, 'ReplayExecutionLogs', {
      encryptionKey: key,
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.stateMachine = new sfn.StateMachine(this, 'ReplayStateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      comment: 'Trailwarden replay: plan the files of a date range, select in parallel, detect once in order',
      definitionBody: sfn.DefinitionBody.fromChainable(plan.next(map).next(detect)),
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    props.storageKey.grantEncryptDecrypt(this.stateMachine);
    this.acknowledgeStateMachine();

    new CfnOutput(stack, 'ReplayStateMachineArn', { value: this.stateMachine.stateMachineArn });
    new CfnOutput(stack, 'ReplayWorkBucketName', { value: this.workBucket.bucketName });

    acknowledgeFindingsWriter(fn, props.evidence);
    Validations.of(policy).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::<${finalLogicalId(this.workBucket.node.defaultChild as s3.CfnBucket)}.Arn>/${WORK_PREFIX}*]`,
        reason:
          'Replay scratch objects are keyed per replay and per log file (replays/<id>/files/<sha256>.json); GetObject and PutObject only, no delete (a lifecycle rule expires them).',
      },
      ...acknowledged,
    );
  }

  /** What CDK grants the state machine role, and why each wildcard is the narrowest AWS offers. */
  private acknowledgeStateMachine(): void {
    const role = this.stateMachine.role.node.tryFindChild('DefaultPolicy');
    if (role === undefined) throw new Error('replay state machine role has no default policy');
    const bucket = finalLogicalId(this.workBucket.node.defaultChild as s3.CfnBucket);
    const fn = finalLogicalId(this.fn.node.defaultChild as CfnElement);
    Validations.of(role).acknowledge(
      ...KMS_WILDCARDS,
      {
        id: `AwsSolutions-IAM5[Resource::<${fn}.Arn>:*]`,
        reason: 'lambda:InvokeFunction on the replay function and its versions (CDK LambdaInvoke); that function only.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::<${bucket}>/*]`,
        reason:
          'The Distributed Map reads the plan manifest and writes its results (ResultWriter) in the replay work bucket, keyed per execution.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'X-Ray (PutTraceSegments, PutTelemetryRecords, GetSampling*) and CloudWatch Logs delivery (CreateLogDelivery, …) support no resource-level permissions.',
      },
    );
    const mapPolicy = this.stateMachine.node.tryFindChild('DistributedMapPolicy');
    if (mapPolicy !== undefined) {
      // cdk-nag names the resource as it renders it: literal where the stack's environment is known.
      const stack = Stack.of(this);
      const known = (v: string, pseudo: string) => (Token.isUnresolved(v) ? `<AWS::${pseudo}>` : v);
      const sm = finalLogicalId(this.stateMachine.node.defaultChild as CfnElement);
      const base = `arn:${known(stack.partition, 'Partition')}:states:${known(stack.region, 'Region')}:${known(stack.account, 'AccountId')}:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${sm}"}]}]}`;
      const reason =
        "CDK's Distributed Map policy: DescribeExecution and StopExecution on this state machine's own child executions, whose names Step Functions generates.";
      Validations.of(mapPolicy).acknowledge(
        { id: `AwsSolutions-IAM5[Resource::${base}:*]`, reason },
        { id: `AwsSolutions-IAM5[Resource::${base}/*:*]`, reason },
      );
    }
  }
}
