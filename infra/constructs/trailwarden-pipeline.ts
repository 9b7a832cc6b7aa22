import { fileURLToPath } from 'node:url';
import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EVALUATE_SERVICE, NAMESPACE } from '../../functions/shared/telemetry.ts';
import type { DetectionConfig, SelfProtection } from '../../rules/core/config.ts';
import type { EventSelector } from '../../rules/core/types.ts';
import { SEVERITIES } from '../../rules/core/types.ts';
import type { FilterPolicy, TrailwardenConfig } from '../config.ts';
import type { EventPatternJson, GeneratedPattern } from '../event-patterns.ts';
import { patternsFor } from '../event-patterns.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Where the evaluate function writes evidence; the only prefix it may write to. */
export const EVIDENCE_PREFIX = 'findings/';
export const SERVICE_NAME = 'trailwarden';
/** Lambda's environment is limited to 4 KB in total; leave room for the other variables. */
const MAX_DETECTION_CONFIG_CHARS = 3000;
/** Room a deploy-time value (a key ARN, the account, the partition) may take once CloudFormation resolves it. */
const RESOLVED_TOKEN_CHARS = 100;
const TOKEN = /\$\{Token\[[^\]]*\]\}/g;
/** DynamoDB actions of the evaluate function: what `functions/shared/adapters/dynamodb-*.ts` send. */
export const STATE_TABLE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'] as const;
const MANAGEMENT_EVENTS_STATE = 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';
/** How often the health function runs (DESIGN §2: scheduled health checks and the dead-man switch). */
export const HEALTH_SCHEDULE_MINUTES = 5;
/** Where the digest function writes the chain; the only prefix it may write to. */
export const DIGEST_PREFIX = 'digests/';

/** Bundling shared by every function: ESM for Node 24, the runtime's AWS SDK left out. */
const BUNDLING: BundlingOptions = {
  forceDockerBundling: false,
  format: OutputFormat.ESM,
  target: 'node24',
  mainFields: ['module', 'main'],
  // The runtime provides AWS SDK v3; bundling it would grow the package from ~25 KB to ~900 KB.
  externalModules: ['@aws-sdk/*'],
  // A CommonJS dependency that calls require() keeps working inside the ESM bundle.
  banner:
    "import { createRequire as __trailwardenCreateRequire } from 'node:module'; const require = __trailwardenCreateRequire(import.meta.url);",
  minify: true,
  sourceMap: true,
};

export interface TrailwardenPipelineProps {
  /** The validated configuration (`loadConfig`). */
  readonly config: TrailwardenConfig;
  /** The `on` selectors of the catalogue (`RULES.map((r) => r.on)`): the EventBridge rules are generated from them. */
  readonly selectors: readonly EventSelector[];
  /** Handler of the evaluate function (default: this repository's `functions/evaluate/handler.ts`). */
  readonly entry?: string;
  /** Directory holding `package-lock.json` and `node_modules` for bundling (default: this repository). */
  readonly projectRoot?: string;
  /** Upper bound on concurrent evaluate invocations fed by the queue (default 10). */
  readonly maxConcurrency?: number;
  /** Handler of the health function (default: this repository's `functions/health/handler.ts`). Its thresholds come from `config.health`. */
  readonly healthEntry?: string;
  /** Handler of the digest function (default: this repository's `functions/digest/handler.ts`). */
  readonly digestEntry?: string;
}

/**
 * The whole detection pipeline of DESIGN §2 as one construct, so a team can put it in its own app:
 * generated EventBridge rules → SQS (KMS, DLQ) → evaluate Lambda → DynamoDB state, S3 Object-Lock evidence,
 * SNS findings topic, and alarms on the pipeline's own health (on their own topic). No detection logic lives here.
 */
export class TrailwardenPipeline extends Construct {
  /** Key of the messaging resources: queues and both topics (used by EventBridge and CloudWatch too). */
  readonly messagingKey: kms.Key;
  /** Key of the stored data: state table and evidence bucket (used by the evaluate function only). */
  readonly storageKey: kms.Key;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly table: dynamodb.Table;
  /** Findings (with message attributes): subscriptions may filter on them. */
  readonly topic: sns.Topic;
  /**
   * Every pipeline alarm. Alarm notifications carry no message attributes, so a filtered findings subscription
   * would drop them: the same endpoints are subscribed here without a filter.
   */
  readonly alarmTopic: sns.Topic;
  readonly evidenceBucket: s3.Bucket;
  readonly accessLogsBucket: s3.Bucket;
  readonly evaluateFunction: NodejsFunction;
  /** Scheduled: trail and recorder status, and the dead-man switch. */
  readonly healthFunction: NodejsFunction;
  /** Scheduled, hourly: the evidence digest chain (`digests/`). */
  readonly digestFunction: NodejsFunction;
  readonly routes: readonly events.Rule[];
  readonly patterns: readonly GeneratedPattern[];
  readonly alarms: readonly cloudwatch.Alarm[];
  /** The operator view: traffic, findings, queues, the function, and the alarms' state. */
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: TrailwardenPipelineProps) {
    super(scope, id);
    // Server access logs are delivered under a bucket policy, never an ACL: new buckets refuse ACLs.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const { config } = props;
    const stack = Stack.of(this);

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

    // --- queue ------------------------------------------------------------------------------------------
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.messagingKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const functionTimeout = Duration.seconds(60);
    const batchingWindow = Duration.seconds(10);
    this.queue = new sqs.Queue(this, 'EventQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.messagingKey,
      enforceSSL: true,
      // AWS guidance for Lambda event sources: six times the function timeout plus the batching window.
      visibilityTimeout: Duration.seconds(functionTimeout.toSeconds() * 6 + batchingWindow.toSeconds()),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
    });

    // --- state, evidence, findings ----------------------------------------------------------------------
    this.table = new dynamodb.Table(this, 'StateTable', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'ttl',
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.storageKey,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const logDays = config.evidenceLogRetentionDays ?? config.retentionDays;
    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogsBucket', {
      // Server access logging can only deliver to SSE-S3 buckets.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: true,
      lifecycleRules: [
        {
          id: 'expire-access-logs',
          expiration: Duration.days(logDays),
          noncurrentVersionExpiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.evidenceBucket = new s3.Bucket(this, 'EvidenceBucket', {
      objectLockEnabled: true,
      objectLockDefaultRetention: s3.ObjectLockRetention.compliance(Duration.days(config.retentionDays)),
      versioned: true,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.storageKey,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'evidence/',
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.topic = this.encryptedTopic('FindingsTopic', 'Trailwarden findings');
    this.alarmTopic = this.encryptedTopic('AlarmTopic', 'Trailwarden pipeline alarms');
    this.subscribe(config);

    // --- evaluate function ------------------------------------------------------------------------------
    // The function is told which resources are its own, so tampering with them is a finding. Its own name would
    // be a circular reference in its own environment: name globs from the stack name cover everything
    // CloudFormation names, the keys (which have no names) are passed by ARN.
    const own = ownSelfProtection({
      stackName: stack.stackName,
      partition: stack.partition,
      account: stack.account,
      keyArns: [this.messagingKey.keyArn, this.storageKey.keyArn],
    });
    const detection = JSON.stringify(withSelfProtection(config.detection, own));
    // Tokens stand in for values CloudFormation fills in at deploy time: count them at their longest.
    const resolvedLength = detection.replace(TOKEN, 'x'.repeat(RESOLVED_TOKEN_CHARS)).length;
    if (resolvedLength > MAX_DETECTION_CONFIG_CHARS) {
      throw new Error(
        `detection config is up to ${resolvedLength} characters as JSON; the evaluate function's environment holds at most ${MAX_DETECTION_CONFIG_CHARS} (Lambda limits all variables to 4 KB)`,
      );
    }
    const projectRoot = props.projectRoot ?? REPO_ROOT;
    const { fn: evaluateFunction, role } = this.newFunction('Evaluate', projectRoot, {
      entry: props.entry ?? fileURLToPath(new URL('functions/evaluate/handler.ts', `file://${REPO_ROOT}`)),
      memorySize: 512,
      timeout: functionTimeout,
      description: 'Trailwarden: evaluates CloudTrail and Config events against the rule catalogue',
      environment: {
        TABLE_NAME: this.table.tableName,
        TOPIC_ARN: this.topic.topicArn,
        EVIDENCE_BUCKET: this.evidenceBucket.bucketName,
        DETECTION_CONFIG: detection,
      },
    });
    this.evaluateFunction = evaluateFunction;
    this.evaluateFunction.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: 100,
        maxBatchingWindow: batchingWindow,
        reportBatchItemFailures: true,
        maxConcurrency: props.maxConcurrency ?? 10,
      }),
    );
    // The item operations the adapters send (a test keeps this list in step with functions/): no Scan,
    // DeleteItem or batch writes. The key grant is the one CDK's table grants use for a customer key.
    this.table.grant(role, ...STATE_TABLE_ACTIONS);
    this.storageKey.grantEncryptDecrypt(role);
    this.topic.grantPublish(role);
    // PutObject only, under findings/: no delete, no retention or legal-hold changes, no reads.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [this.evidenceBucket.arnForObjects(`${EVIDENCE_PREFIX}*`)],
      }),
    );

    this.healthFunction = this.buildHealthFunction(props, projectRoot);
    this.digestFunction = this.buildDigestFunction(props, projectRoot);

    // --- routing ----------------------------------------------------------------------------------------
    this.patterns = patternsFor(props.selectors);
    this.routes = this.patterns.map((p) => this.route(p));
    this.allowEventBridge(stack);
    this.allowAlarms(stack);

    // --- alarms -----------------------------------------------------------------------------------------
    const alarm = (id: string, description: string, metric: cloudwatch.IMetric, threshold: number) => {
      const a = new cloudwatch.Alarm(this, id, {
        alarmDescription: description,
        metric,
        threshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      a.addAlarmAction(new cwActions.SnsAction(this.alarmTopic));
      return a;
    };
    this.alarms = [
      alarm(
        'DeadLetterQueueNotEmpty',
        'Trailwarden: events failed evaluation five times or could not be delivered; inspect and redrive the DLQ.',
        this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
          statistic: 'Maximum',
        }),
        0,
      ),
      alarm(
        'EvaluateErrors',
        'Trailwarden: the evaluate function failed (init error, timeout or crash); findings may be delayed.',
        this.evaluateFunction.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
        0,
      ),
      alarm(
        'EventQueueBacklog',
        'Trailwarden: the oldest queued event is over 5 minutes old; detection is falling behind.',
        this.queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum' }),
        300,
      ),
      alarm(
        'HealthErrors',
        'Trailwarden: a health run failed (a finding or a resolved notice could not be delivered); trail and silence checks may be blind.',
        this.healthFunction.metricErrors({ period: Duration.minutes(15), statistic: 'Sum' }),
        0,
      ),
      alarm(
        'DigestErrors',
        'Trailwarden: an hourly digest run failed; that hour has no digest and its evidence is not chained until it is written.',
        this.digestFunction.metricErrors({ period: Duration.hours(1), statistic: 'Sum' }),
        0,
      ),
    ];

    // Last, so it shows every alarm defined above.
    this.dashboard = this.buildDashboard();
    this.acknowledge();
  }

  /** No name: CloudFormation generates one, so two stacks in one account never collide. */
  private buildDashboard(): cloudwatch.Dashboard {
    const period = Duration.minutes(5);
    const emf = (metricName: string, label: string, dimensions: Record<string, string> = {}) =>
      new cloudwatch.Metric({
        namespace: NAMESPACE,
        metricName,
        dimensionsMap: { service: EVALUATE_SERVICE, ...dimensions },
        statistic: 'Sum',
        period,
        label,
      });
    // Per-rule metrics have one dimension value per rule: SEARCH graphs whichever rules produced data.
    const perRule = (metricName: string) =>
      new cloudwatch.MathExpression({
        expression: `SEARCH('{${NAMESPACE},service,ruleId} service="${EVALUATE_SERVICE}" MetricName="${metricName}"', 'Sum', ${period.toSeconds()})`,
        label: '',
        period,
      });
    const graph = (title: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = []) =>
      new cloudwatch.GraphWidget({ title, left, right, width: 8, height: 6 });
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
    });
    dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: [
          '## Trailwarden health',
          'Every alarm below pages the alarm topic (every configured endpoint, unfiltered). What each one means and what to do: the **On call** section of the Trailwarden README.',
        ].join('\n\n'),
        width: 12,
        height: 4,
      }),
      new cloudwatch.AlarmStatusWidget({ title: 'Pipeline alarms', alarms: [...this.alarms], width: 12, height: 4 }),
    );
    dashboard.addWidgets(
      graph(
        'Events in',
        [emf('EventsIn', 'evaluated (EMF EventsIn)')],
        [this.queue.metricNumberOfMessagesReceived({ period, statistic: 'Sum', label: 'SQS messages received' })],
      ),
      graph(
        'Findings by severity',
        SEVERITIES.map((severity) => emf('FindingsBySeverity', severity, { severity })),
      ),
      graph('Pipeline failures', [
        emf('MalformedRecords', 'malformed records'),
        emf('DeliveryFailures', 'findings not delivered'),
        emf('FailedRecords', 'records retried'),
      ]),
    );
    dashboard.addWidgets(
      graph('Findings per rule', [perRule('Findings')]),
      graph('Suppressed per rule (archived, not paged)', [perRule('Suppressed')]),
      graph('Rule errors per rule', [perRule('RuleErrors')]),
    );
    dashboard.addWidgets(
      graph('Dead-letter queue depth', [
        this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
          statistic: 'Maximum',
          label: 'DLQ messages visible',
        }),
      ]),
      graph('Age of oldest queued event (s)', [
        this.queue.metricApproximateAgeOfOldestMessage({ period, statistic: 'Maximum', label: 'oldest message age' }),
      ]),
      graph(
        'Evaluate function',
        [
          this.evaluateFunction.metricErrors({ period, statistic: 'Sum', label: 'errors' }),
          this.evaluateFunction.metricThrottles({ period, statistic: 'Sum', label: 'throttles' }),
        ],
        [
          this.evaluateFunction.metricDuration({ period, statistic: 'p99', label: 'duration p99 (ms)' }),
          this.evaluateFunction.metricDuration({ period, statistic: 'Average', label: 'duration avg (ms)' }),
        ],
      ),
    );
    return dashboard;
  }

  /**
   * The health function: every few minutes, trail status and selectors, and the dead-man switch. Findings take
   * the evaluate function's path (ledger, evidence, topic), so its grants are the same minus the queue, plus
   * read-only CloudTrail calls on the configured trails only.
   */
  private buildHealthFunction(props: TrailwardenPipelineProps, projectRoot: string): NodejsFunction {
    const stack = Stack.of(this);
    const { fn, role } = this.newFunction('Health', projectRoot, {
      entry: props.healthEntry ?? fileURLToPath(new URL('functions/health/handler.ts', `file://${REPO_ROOT}`)),
      memorySize: 256,
      timeout: Duration.seconds(60),
      // The next scheduled run is the retry: a retried run would only repeat this one.
      retryAttempts: 0,
      description: 'Trailwarden: CloudTrail trail health and the dead-man switch on incoming events',
      environment: {
        TABLE_NAME: this.table.tableName,
        TOPIC_ARN: this.topic.topicArn,
        EVIDENCE_BUCKET: this.evidenceBucket.bucketName,
        TRAILS: JSON.stringify(props.config.trails),
        ACCOUNT_ID: stack.account,
        DELIVERY_LAG_MINUTES: String(props.config.health.deliveryLagMinutes),
        SILENCE_MINUTES: String(props.config.health.silenceMinutes),
      },
    });
    this.table.grant(role, ...STATE_TABLE_ACTIONS);
    this.storageKey.grantEncryptDecrypt(role);
    this.topic.grantPublish(role);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [this.evidenceBucket.arnForObjects(`${EVIDENCE_PREFIX}*`)],
      }),
    );
    // Names become ARNs in this stack's account and region; ARNs (another region's or the org trail) pass as given.
    const trailArns = props.config.trails.map((t) =>
      t.startsWith('arn:') ? t : stack.formatArn({ service: 'cloudtrail', resource: 'trail', resourceName: t }),
    );
    if (trailArns.length > 0) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['cloudtrail:GetTrailStatus', 'cloudtrail:GetEventSelectors'],
          resources: trailArns,
        }),
      );
    }
    // AWS Config has no resource-level permissions for this read (acknowledged in `acknowledge`).
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['config:DescribeConfigurationRecorderStatus'], resources: ['*'] }),
    );
    new events.Rule(this, 'HealthSchedule', {
      description: `Trailwarden: runs the health checks every ${HEALTH_SCHEDULE_MINUTES} minutes`,
      schedule: events.Schedule.rate(Duration.minutes(HEALTH_SCHEDULE_MINUTES)),
      targets: [new targets.LambdaFunction(fn, { retryAttempts: 0 })],
    });
    return fn;
  }

  /**
   * The digest function: every hour, the digest of the previous UTC hour's evidence, chained to the one before.
   * It lists and reads `findings/` and `digests/` and may only add objects under `digests/`: no delete, no
   * retention or legal-hold changes. Runs are idempotent, so the stock async retries are kept.
   */
  private buildDigestFunction(props: TrailwardenPipelineProps, projectRoot: string): NodejsFunction {
    const { fn, role } = this.newFunction('Digest', projectRoot, {
      entry: props.digestEntry ?? fileURLToPath(new URL('functions/digest/handler.ts', `file://${REPO_ROOT}`)),
      memorySize: 256,
      timeout: Duration.minutes(5),
      description: 'Trailwarden: hourly digest of the evidence written, chained to the previous digest',
      environment: { EVIDENCE_BUCKET: this.evidenceBucket.bucketName },
    });
    const prefixes = [EVIDENCE_PREFIX, DIGEST_PREFIX];
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.evidenceBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': prefixes.map((p) => `${p}*`) } },
      }),
    );
    // HeadObject and GetObject (the stored checksum, or the bytes when there is none).
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: prefixes.map((p) => this.evidenceBucket.arnForObjects(`${p}*`)),
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [this.evidenceBucket.arnForObjects(`${DIGEST_PREFIX}*`)],
      }),
    );
    // SSE-KMS with a bucket key: reading needs Decrypt, writing GenerateDataKey; nothing else on the key.
    this.storageKey.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey');
    new events.Rule(this, 'DigestSchedule', {
      description: 'Trailwarden: writes the evidence digest of the previous hour, every hour',
      schedule: events.Schedule.rate(Duration.hours(1)),
      targets: [new targets.LambdaFunction(fn)],
    });
    return fn;
  }

  /**
   * One of Trailwarden's functions (`<id>Function`): its own role instead of AWSLambdaBasicExecutionRole, so it
   * may write to its own log group (`<id>Logs`, kept a year) and nothing else until granted; arm64 on the
   * newest Node runtime CDK offers; JSON logs; the shared bundling.
   */
  private newFunction(
    id: string,
    projectRoot: string,
    p: {
      readonly entry: string;
      readonly memorySize: number;
      readonly timeout: Duration;
      readonly description: string;
      readonly environment: Readonly<Record<string, string>>;
      readonly retryAttempts?: number;
    },
  ): { readonly fn: NodejsFunction; readonly role: iam.Role } {
    const logGroup = new logs.LogGroup(this, `${id}Logs`, {
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const role = new iam.Role(this, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Trailwarden ${id.toLowerCase()} function`,
    });
    logGroup.grantWrite(role);
    const fn = new NodejsFunction(this, `${id}Function`, {
      entry: p.entry,
      handler: 'handler',
      projectRoot,
      depsLockFilePath: `${projectRoot.replace(/\/$/, '')}/package-lock.json`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: p.memorySize,
      timeout: p.timeout,
      ...(p.retryAttempts === undefined ? {} : { retryAttempts: p.retryAttempts }),
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      description: p.description,
      environment: { ...p.environment, POWERTOOLS_SERVICE_NAME: SERVICE_NAME, NODE_OPTIONS: '--enable-source-maps' },
      bundling: BUNDLING,
    });
    return { fn, role };
  }

  /** A topic under the messaging key that refuses publishing over plain HTTP (both topics are built here). */
  private encryptedTopic(id: string, displayName: string): sns.Topic {
    return new sns.Topic(this, id, { displayName, masterKey: this.messagingKey, enforceSSL: true });
  }

  /**
   * Every endpoint on both topics: findings through the endpoint's filter policy, alarms without one (alarm
   * notifications carry no message attributes, so a filter would drop every one of them).
   */
  private subscribe(config: TrailwardenConfig): void {
    for (const email of config.alerts.emails) {
      this.topic.addSubscription(new subs.EmailSubscription(email));
      this.alarmTopic.addSubscription(new subs.EmailSubscription(email));
    }
    // CDK names each subscription after its address, so reordering the config recreates none.
    for (const { url, filterPolicy } of config.alerts.https) {
      this.topic.addSubscription(
        new subs.UrlSubscription(url, {
          protocol: sns.SubscriptionProtocol.HTTPS,
          ...(filterPolicy ? { filterPolicy: toSubscriptionFilter(filterPolicy) } : {}),
        }),
      );
      this.alarmTopic.addSubscription(new subs.UrlSubscription(url, { protocol: sns.SubscriptionProtocol.HTTPS }));
    }
  }

  private route(p: GeneratedPattern): events.Rule {
    const rule = new events.Rule(this, `Route-${p.id}`, {
      description: `Trailwarden ${p.id}: generated from the rule catalogue's selectors`,
      eventPattern: toEventPattern(p.pattern),
    });
    const cfn = rule.node.defaultChild;
    if (p.managementEvents && cfn instanceof events.CfnRule) cfn.state = MANAGEMENT_EVENTS_STATE;
    rule.addTarget({
      bind: () => ({
        arn: this.queue.queueArn,
        targetResource: this.queue,
        deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
        retryPolicy: { maximumEventAgeInSeconds: Duration.hours(24).toSeconds(), maximumRetryAttempts: 185 },
      }),
    });
    return rule;
  }

  /**
   * One statement per queue naming exactly the generated rules, rather than one per rule from the stock
   * target (which, for an encrypted queue, drops the rule condition). The key lets EventBridge encrypt for
   * this account only.
   */
  private allowEventBridge(stack: Stack): void {
    const principal = new iam.ServicePrincipal('events.amazonaws.com');
    const ruleArns = this.routes.map((r) => r.ruleArn);
    if (ruleArns.length === 0) return;
    for (const queue of [this.queue, this.deadLetterQueue]) {
      queue.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowTrailwardenRules',
          principals: [principal],
          actions: ['sqs:SendMessage'],
          resources: [queue.queueArn],
          conditions: { ArnEquals: { 'aws:SourceArn': ruleArns } },
        }),
      );
    }
    this.messagingKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowEventBridgeToQueue',
        principals: [principal],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
  }

  /** CloudWatch alarms publish to the encrypted alarm topic: the key and topic policy forms AWS documents. */
  private allowAlarms(stack: Stack): void {
    this.messagingKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
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

  /** cdk-nag findings that are deliberate, each with the reason an auditor will read. */
  private acknowledge(): void {
    for (const fn of [this.evaluateFunction, this.healthFunction]) this.acknowledgeFunction(fn);
    const healthPolicy = this.healthFunction.role?.node.tryFindChild('DefaultPolicy');
    if (healthPolicy === undefined) throw new Error('health function role has no default policy');
    Validations.of(healthPolicy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'config:DescribeConfigurationRecorderStatus supports no resource-level permissions (AWS service authorization reference); the statement grants that one read-only action.',
    });
    const digestPolicy = this.digestFunction.role?.node.tryFindChild('DefaultPolicy');
    if (digestPolicy === undefined) throw new Error('digest function role has no default policy');
    const bucket = this.evidenceBucket.node.defaultChild;
    if (!(bucket instanceof s3.CfnBucket)) throw new Error('evidence bucket has no CfnBucket');
    const bucketId = Stack.of(this).getLogicalId(bucket);
    Validations.of(digestPolicy).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${EVIDENCE_PREFIX}*]`,
        reason:
          'The digest lists every evidence object written in its hour, whose keys are generated per finding; the grant is GetObject only (the stored checksum, or the bytes), scoped to the findings/ prefix.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${DIGEST_PREFIX}*]`,
        reason:
          'Digest keys are generated per hour (digests/dt=…/<period>.json); the grants are GetObject (the previous link) and PutObject (the new digest), scoped to the digests/ prefix.',
      },
    );
  }

  private acknowledgeFunction(fn: NodejsFunction): void {
    const policy = fn.role?.node.tryFindChild('DefaultPolicy');
    if (policy === undefined) throw new Error(`${fn.node.id} role has no default policy`);
    const bucket = this.evidenceBucket.node.defaultChild;
    if (!(bucket instanceof s3.CfnBucket)) throw new Error('evidence bucket has no CfnBucket');
    const bucketId = Stack.of(this).getLogicalId(bucket);
    Validations.of(policy).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${EVIDENCE_PREFIX}*]`,
        reason:
          'Evidence object keys are generated per finding (findings/dt=…/<severity>/<id>.json); the grant is PutObject only, scoped to the findings/ prefix.',
      },
      {
        id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        reason:
          'SSE-KMS writes to the table, bucket and topic need GenerateDataKey (CDK grants GenerateDataKey*, which adds only GenerateDataKeyWithoutPlaintext); resources are the two Trailwarden keys only.',
      },
      {
        id: 'AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
        reason:
          'The encrypt/decrypt grant CDK uses for customer-key DynamoDB tables includes ReEncrypt*; its only resource is the Trailwarden storage key.',
      },
    );
  }
}

/**
 * A stack's own resources and deploy roles, for `detection.selfProtection`. CloudFormation names what the stack
 * does not name `<StackName>-<LogicalId>-<suffix>` (functions, rules, queues, topic, table, log group) and
 * buckets `<stackname>-<logicalid>-<suffix>` in lower case; KMS keys have no names, so they go by ARN. CDK
 * deploys through the bootstrap's CloudFormation execution role, `cdk-<qualifier>-cfn-exec-role-<account>-<region>`.
 */
export const ownSelfProtection = (own: {
  readonly stackName: string;
  readonly partition: string;
  readonly account: string;
  readonly keyArns: readonly string[];
}): SelfProtection => ({
  resources: [...new Set([`${own.stackName}-*`, `${own.stackName.toLowerCase()}-*`]), ...own.keyArns],
  deployRoles: [`arn:${own.partition}:iam::${own.account}:role/cdk-*-cfn-exec-role-*`],
});

/** The detection config with the stack's own resources and roles added to any the user configured. */
export const withSelfProtection = (detection: DetectionConfig, own: SelfProtection): DetectionConfig => {
  const user = detection.selfProtection;
  return {
    ...detection,
    selfProtection: {
      resources: [...new Set([...(user?.resources ?? []), ...own.resources])],
      deployRoles: [...new Set([...(user?.deployRoles ?? []), ...own.deployRoles])],
    },
  };
};

/** SNS filter policies from config: each attribute's condition list is passed through as SNS defines it. */
export const toSubscriptionFilter = (policy: FilterPolicy): Record<string, sns.SubscriptionFilter> =>
  Object.fromEntries(
    Object.entries(policy).map(([name, conditions]) => [name, new sns.SubscriptionFilter([...conditions])]),
  );

/** The CDK spelling of a generated pattern; `detail` passes through unchanged. */
export const toEventPattern = (p: EventPatternJson): events.EventPattern => {
  const { source, 'detail-type': detailType, detail, ...rest } = p;
  if (Object.keys(rest).length > 0) throw new Error(`unsupported pattern fields: ${Object.keys(rest).join(', ')}`);
  return {
    ...(Array.isArray(source) ? { source: source as string[] } : {}),
    ...(Array.isArray(detailType) ? { detailType: detailType as string[] } : {}),
    ...(detail !== undefined && !Array.isArray(detail) ? { detail: detail as Record<string, unknown> } : {}),
  };
};
