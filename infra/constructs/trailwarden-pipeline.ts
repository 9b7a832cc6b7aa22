import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EVALUATE_SERVICE, NAMESPACE } from '../../functions/shared/telemetry.ts';
import type { EventSelector } from '../../rules/core/types.ts';
import type { TrailwardenConfig } from '../config.ts';
import type { GeneratedPattern } from '../event-patterns.ts';
import { Alerting } from './alerting.ts';
import { ChatTopic } from './chat.ts';
import { Detection } from './detection.ts';
import { Drills } from './drill.ts';
import { DrillKey } from './drill-key.ts';
import { ElevatedAccessCheck } from './elevated-access.ts';
import { Evidence } from './evidence.ts';
import { HealthChecks } from './health.ts';
import { PipelineKeys } from './keys.ts';
import { keepLogicalIds } from './logical-ids.ts';
import { Monitoring } from './monitoring.ts';
import { Replay } from './replay.ts';
import { SecurityHubSink } from './security-hub.ts';
import { SignInIntel } from './sign-in-intel.ts';
import { TrailIntegrity } from './trail-integrity.ts';
import { REPO_ROOT } from './trailwarden-function.ts';
import { TriageWebhook } from './triage-webhook.ts';

export { toSubscriptionFilter } from './alerting.ts';
export {
  ownSelfProtection,
  STATE_TABLE_ACTIONS,
  toEventPattern,
  withSelfProtection,
} from './detection.ts';
export { DIGEST_PREFIX, EVIDENCE_PREFIX } from './evidence.ts';
export { HEALTH_SCHEDULE_MINUTES } from './health.ts';
export { SERVICE_NAME } from './trailwarden-function.ts';

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
  /** Handler of the triage webhook (default: this repository's `functions/triage/handler.ts`). */
  readonly triageEntry?: string;
  /** Handler of the replay function (default: this repository's `functions/replay/handler.ts`). */
  readonly replayEntry?: string;
  /** Handler of the drill function (default: this repository's `functions/drill/handler.ts`). */
  readonly drillEntry?: string;
  /** Handler of the trail-integrity function (default: this repository's `functions/trail-integrity/handler.ts`). */
  readonly trailIntegrityEntry?: string;
  /** Handler of the elevated-access check (default: this repository's `functions/elevated-access/handler.ts`). */
  readonly elevatedAccessEntry?: string;
}

/**
 * The whole detection pipeline of DESIGN §2 as one construct, so a team can put it in its own app, composed of
 * named parts the way AWS Solutions Constructs compose:
 *
 * - `keys` (`PipelineKeys`): the messaging and storage KMS keys;
 * - `evidence` (`Evidence`): Object-Lock evidence bucket, its access-logs bucket, the hourly digest function;
 * - `alerting` (`Alerting`): findings topic, alarm topic, subscriptions;
 * - `detection` (`Detection`): generated EventBridge routes → SQS (KMS, DLQ) → evaluate function, state table;
 * - `health` (`HealthChecks`): the scheduled health function (trails, recorders, dead-man switch);
 * - `monitoring` (`Monitoring`): alarms on the pipeline itself (alarm topic) and the dashboard;
 * - `triageWebhook` (`TriageWebhook`): PagerDuty v3 webhooks → triage decisions under `triage/`.
 *
 * A new part is a new `PipelinePart` subclass in its own file, built here with the parts it needs. Parts are
 * transparent to CloudFormation logical ids (`logical-ids.ts`), so moving code between parts never replaces a
 * deployed resource. No detection logic lives here.
 */
export class TrailwardenPipeline extends Construct {
  readonly keys: PipelineKeys;
  readonly evidence: Evidence;
  readonly alerting: Alerting;
  readonly detection: Detection;
  readonly health: HealthChecks;
  readonly monitoring: Monitoring;
  readonly triageWebhook: TriageWebhook;
  /** Present with `securityHub: true`: the import grant and product ARN of the evaluate function. */
  readonly securityHub?: SecurityHubSink;
  /** Present with `chat: { enabled: true }`: the Amazon Q Developer (AWS Chatbot) custom-notification topic. */
  readonly chat?: ChatTopic;
  /** `trailwarden replay`: built when `config.replay.trailBuckets` names a trail bucket. */
  readonly replay?: Replay;
  /** Scheduled drills: the drill function, its drill-only subscription queue and schedule (issue 17). */
  readonly drills: Drills;
  /** CloudTrail log-file integrity; undefined when `config.trailIntegrity.buckets` is empty. */
  readonly trailIntegrity?: TrailIntegrity;
  /** Temporary admin access not revoked; undefined when `config.elevatedAccess.enabled` is false. */
  readonly elevatedAccess?: ElevatedAccessCheck;

  /** Key of the messaging resources: queues and both topics (used by EventBridge and CloudWatch too). */
  readonly messagingKey: kms.Key;
  /** Key of the stored data: state table and evidence bucket (used by the functions only). */
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
  readonly evaluateFunction: LambdaFunction;
  /** Signs drill events: readable by the evaluate function and `config.drillOperators` only. */
  readonly drillKey: DrillKey;
  /** Scheduled: trail and recorder status, and the dead-man switch. */
  readonly healthFunction: LambdaFunction;
  /** Scheduled, hourly: the evidence digest chain (`digests/`). */
  readonly digestFunction: LambdaFunction;
  readonly routes: readonly events.Rule[];
  readonly patterns: readonly GeneratedPattern[];
  /** Every pipeline alarm (a live list: alarms added later with `monitoring.addAlarm` are in it). */
  readonly alarms: readonly cloudwatch.Alarm[];
  /** The operator view: traffic, findings, queues, the function, and the alarms' state. */
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: TrailwardenPipelineProps) {
    super(scope, id);
    // Server access logs are delivered under a bucket policy, never an ACL: new buckets refuse ACLs.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const { config } = props;
    const projectRoot = props.projectRoot ?? REPO_ROOT;

    this.keys = new PipelineKeys(this, 'Keys', {
      ...(config.breakGlassRoleArn ? { breakGlassRoleArn: config.breakGlassRoleArn } : {}),
    });
    const { messagingKey, storageKey } = this.keys;
    this.evidence = new Evidence(this, 'Evidence', {
      retentionDays: config.retentionDays,
      accessLogRetentionDays: config.evidenceLogRetentionDays ?? config.retentionDays,
      storageKey,
      projectRoot,
      ...(props.digestEntry ? { digestEntry: props.digestEntry } : {}),
    });
    this.alerting = new Alerting(this, 'Alerting', { alerts: config.alerts, messagingKey });
    this.detection = new Detection(this, 'Detection', {
      detection: config.detection,
      selectors: props.selectors,
      messagingKey,
      storageKey,
      ownKeys: [messagingKey, storageKey, this.evidence.signingKey],
      alerting: this.alerting,
      evidence: this.evidence,
      projectRoot,
      ...(props.entry ? { entry: props.entry } : {}),
      ...(props.maxConcurrency === undefined ? {} : { maxConcurrency: props.maxConcurrency }),
    });
    const evaluateRole = this.detection.evaluateFunction.role;
    if (evaluateRole === undefined) throw new Error('evaluate function has no role');
    const signInIntel = new SignInIntel(this, 'SignInIntel', {
      readers: [evaluateRole],
      ...(config.detection.anonymisers ? { anonymisers: config.detection.anonymisers } : {}),
    });
    this.drillKey = new DrillKey(this, 'DrillKey', { verifier: evaluateRole, operatorRoleArns: config.drillOperators });
    // Read only when a batch claims a drill (functions/evaluate/evaluate.ts), never at cold start.
    this.detection.evaluateFunction.addEnvironment('DRILL_KEY_SECRET_ARN', this.drillKey.secret.secretArn);
    this.health = new HealthChecks(this, 'Health', {
      health: config.health,
      trails: config.trails,
      table: this.detection.table,
      storageKey,
      alerting: this.alerting,
      evidence: this.evidence,
      projectRoot,
      ...(props.healthEntry ? { healthEntry: props.healthEntry } : {}),
    });
    this.drills = new Drills(this, 'Drills', {
      drills: config.drills,
      detectionConfig: this.detection.detectionConfig,
      eventQueue: this.detection.queue,
      messagingKey,
      storageKey,
      alerting: this.alerting,
      evidence: this.evidence,
      drillKey: this.drillKey,
      projectRoot,
      ...(props.drillEntry ? { entry: props.drillEntry } : {}),
    });
    // The health function pages failed and overdue drills from the records under drills/.
    const healthRole = this.health.healthFunction.role;
    if (healthRole === undefined) throw new Error('health function has no role');
    this.drills.grantReadRecords(healthRole);
    this.health.healthFunction.addEnvironment('DRILL_OVERDUE_DAYS', String(config.drills.overdueDays));
    // The services that use the messaging key: EventBridge for the routes, CloudWatch for the alarm topic.
    if (this.detection.routes.length > 0) this.keys.allowEventBridge();
    this.keys.allowCloudWatchAlarms();
    this.monitoring = new Monitoring(this, 'Monitoring', {
      alarmTopic: this.alerting.alarmTopic,
      queue: this.detection.queue,
      deadLetterQueue: this.detection.deadLetterQueue,
      evaluateFunction: this.detection.evaluateFunction,
      healthFunction: this.health.healthFunction,
      digestFunction: this.evidence.digestFunction,
    });
    // The rule text ships beside the evaluate bundle (functions/evaluate/rule-text.ts): findings still go out
    // without it, with a runbook pointing at docs/RULES.md, so a deploy that lost the file must be noticed here.
    this.monitoring.addAlarm(
      'RuleTextUnreadable',
      'Trailwarden: the evaluate function could not read rule-text.json beside its bundle; findings are paged without their description and runbook (they point to docs/RULES.md). Redeploy.',
      new cloudwatch.Metric({
        namespace: NAMESPACE,
        metricName: 'RuleTextErrors',
        dimensionsMap: { service: EVALUATE_SERVICE },
        statistic: 'Sum',
        period: Duration.minutes(15),
      }),
      0,
    );
    // The rules load on the first event a rule selects (rules/core/lazy-catalogue.ts): a package without their chunk
    // judges nothing, retrying every such event until the DLQ takes it, so it pages at once, before the DLQ does.
    this.monitoring.addAlarm(
      'RulesUnloadable',
      'Trailwarden: the evaluate function could not load its rules; events a rule selects are retried, not judged, and reach the DLQ after five tries. Read the logged error (rules failed) and redeploy.',
      new cloudwatch.Metric({
        namespace: NAMESPACE,
        metricName: 'RuleLoadFailures',
        dimensionsMap: { service: EVALUATE_SERVICE },
        statistic: 'Sum',
        period: Duration.minutes(5),
      }),
      0,
    );

    if (config.securityHub) {
      this.securityHub = new SecurityHubSink(this, 'SecurityHub', {
        evaluateFunction: this.detection.evaluateFunction,
        monitoring: this.monitoring,
      });
    }

    if (config.chat.enabled) {
      this.chat = new ChatTopic(this, 'Chat', {
        messagingKey,
        publishers: [this.detection.evaluateFunction, this.health.healthFunction],
      });
    }

    this.triageWebhook = new TriageWebhook(this, 'Triage', {
      evidence: this.evidence,
      storageKey,
      sla: config.sla,
      projectRoot,
      ...(props.triageEntry ? { entry: props.triageEntry } : {}),
    });
    this.monitoring.addAlarm(
      'TriageWebhookErrors',
      'Trailwarden: the PagerDuty triage webhook failed (S3 or Secrets Manager unreachable); PagerDuty retries, but acknowledgements may be missing from the evidence.',
      this.triageWebhook.fn.metricErrors({ period: Duration.minutes(15), statistic: 'Sum' }),
      0,
    );
    // The response loop: time to acknowledge and resolve, false positives, past SLA (per rule: `trailwarden metrics`).
    this.monitoring.dashboard.addWidgets(...this.triageWebhook.widgets());

    if (config.replay.trailBuckets.length > 0) {
      this.replay = new Replay(this, 'Replay', {
        replay: config.replay,
        detection: config.detection,
        table: this.detection.table,
        storageKey,
        ownKeys: [messagingKey, storageKey, this.evidence.signingKey],
        alerting: this.alerting,
        evidence: this.evidence,
        projectRoot,
        ...(props.replayEntry ? { entry: props.replayEntry } : {}),
      });
      // A replay reads the anonymiser list as the evaluate function does (GetObject on that one object).
      signInIntel.grantRead(this.replay.fn);
    }

    if (config.trailIntegrity.buckets.length > 0) {
      this.trailIntegrity = new TrailIntegrity(this, 'TrailIntegrity', {
        config: config.trailIntegrity,
        table: this.detection.table,
        storageKey,
        messagingKey,
        alerting: this.alerting,
        evidence: this.evidence,
        projectRoot,
        ...(props.trailIntegrityEntry ? { entry: props.trailIntegrityEntry } : {}),
      });
      if (this.detection.routes.length === 0) this.keys.allowEventBridge();
      this.monitoring.addAlarm(
        'TrailIntegrityDeadLetters',
        'Trailwarden: new CloudTrail digests could not be validated five times (S3 or KMS access?); they sit in the trail-integrity DLQ.',
        this.trailIntegrity.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(5),
          statistic: 'Maximum',
        }),
        0,
      );
      this.monitoring.addAlarm(
        'TrailIntegrityErrors',
        'Trailwarden: the trail-integrity function failed (the hourly check or a digest); log-file integrity is unverified until it succeeds.',
        this.trailIntegrity.fn.metricErrors({ period: Duration.hours(1), statistic: 'Sum' }),
        0,
      );
    }

    if (config.elevatedAccess.enabled) {
      this.elevatedAccess = new ElevatedAccessCheck(this, 'ElevatedAccess', {
        config: config.elevatedAccess,
        temporaryAccess: config.detection.temporaryAccess ?? [],
        table: this.detection.table,
        storageKey,
        alerting: this.alerting,
        evidence: this.evidence,
        projectRoot,
        ...(props.elevatedAccessEntry ? { entry: props.elevatedAccessEntry } : {}),
      });
      // Drills of the check: signed drill observations, verified with the drill key (rules/core/observation-drill.ts).
      const elevatedRole = this.elevatedAccess.fn.role;
      if (elevatedRole === undefined) throw new Error('elevated-access function has no role');
      this.drillKey.addVerifier(elevatedRole);
      this.elevatedAccess.fn.addEnvironment('DRILL_KEY_SECRET_ARN', this.drillKey.secret.secretArn);
      // The scheduled drill drills the check as well (InvokeFunction on this one function).
      this.drills.drillElevatedAccess(this.elevatedAccess.fn);
      this.monitoring.addAlarm(
        'ElevatedAccessErrors',
        'Trailwarden: the elevated-access check failed (IAM unreadable, or a step failed); temporary admin access is unchecked until it succeeds.',
        this.elevatedAccess.fn.metricErrors({ period: Duration.hours(1), statistic: 'Sum' }),
        0,
      );
    }

    this.messagingKey = messagingKey;
    this.storageKey = storageKey;
    this.queue = this.detection.queue;
    this.deadLetterQueue = this.detection.deadLetterQueue;
    this.table = this.detection.table;
    this.topic = this.alerting.topic;
    this.alarmTopic = this.alerting.alarmTopic;
    this.evidenceBucket = this.evidence.evidenceBucket;
    this.accessLogsBucket = this.evidence.accessLogsBucket;
    this.evaluateFunction = this.detection.evaluateFunction;
    this.healthFunction = this.health.healthFunction;
    this.digestFunction = this.evidence.digestFunction;
    this.routes = this.detection.routes;
    this.patterns = this.detection.patterns;
    this.alarms = this.monitoring.alarms;
    this.dashboard = this.monitoring.dashboard;

    keepLogicalIds(this);
  }
}
