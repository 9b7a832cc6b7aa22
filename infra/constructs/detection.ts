import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { RULE_TEXT_FILE } from '../../functions/evaluate/rule-text.ts';
import type { DetectionConfig, SelfProtection } from '../../rules/core/config.ts';
import type { EventSelector } from '../../rules/core/types.ts';
import type { EventPatternJson, GeneratedPattern } from '../event-patterns.ts';
import { patternsFor } from '../event-patterns.ts';
import type { Alerting } from './alerting.ts';
import type { Evidence } from './evidence.ts';
import { EVIDENCE_PREFIX, INCIDENT_PREFIX } from './evidence.ts';
import { PipelinePart } from './logical-ids.ts';
import { geoAssetFiles } from './sign-in-intel.ts';
import { repoHandler, trailwardenFunction } from './trailwarden-function.ts';

/** Lambda's environment is limited to 4 KB in total; leave room for the other variables. */
const MAX_DETECTION_CONFIG_CHARS = 3000;
/** Room a deploy-time value (a key ARN, the account, the partition) may take once CloudFormation resolves it. */
const RESOLVED_TOKEN_CHARS = 100;
const TOKEN = /\$\{Token\[[^\]]*\]\}/g;
/** DynamoDB actions of the evaluate function: what `functions/shared/adapters/dynamodb-*.ts` send. */
export const STATE_TABLE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'] as const;
/** Functions that run the detector also read behaviour memory a batch at a time (dynamodb-history-store.ts). */
export const DETECTOR_TABLE_ACTIONS = [...STATE_TABLE_ACTIONS, 'dynamodb:BatchGetItem'] as const;
const MANAGEMENT_EVENTS_STATE = 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';

export interface DetectionProps {
  readonly detection: DetectionConfig;
  /** The `on` selectors of the catalogue: the EventBridge rules are generated from them. */
  readonly selectors: readonly EventSelector[];
  /** Encrypts both queues. */
  readonly messagingKey: kms.IKey;
  /** Encrypts the state table. */
  readonly storageKey: kms.IKey;
  /** Every Trailwarden key: tampering with one is a finding (keys have no names, so they go by ARN). */
  readonly ownKeys: readonly kms.IKey[];
  /** Where findings go: the function publishes to its findings topic, and may (`grantPublishFindings`). */
  readonly alerting: Alerting;
  readonly evidence: Evidence;
  /** Handler of the evaluate function (default: this repository's `functions/evaluate/handler.ts`). */
  readonly entry?: string;
  readonly projectRoot: string;
  /** Upper bound on concurrent evaluate invocations fed by the queue (default 10). */
  readonly maxConcurrency?: number;
}

/**
 * The detection path of DESIGN §2: EventBridge rules generated from the catalogue's selectors → SQS (KMS,
 * DLQ) → the evaluate function, with its DynamoDB state table (windows, dedup ledger, idempotency).
 */
export class Detection extends PipelinePart {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly table: dynamodb.Table;
  readonly evaluateFunction: LambdaFunction;
  readonly routes: readonly events.Rule[];
  readonly patterns: readonly GeneratedPattern[];
  /** The detection config the evaluate function runs, as JSON (the drill function plans against the same). */
  readonly detectionConfig: string;

  constructor(scope: Construct, id: string, props: DetectionProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.messagingKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const functionTimeout = Duration.seconds(60);
    const batchingWindow = Duration.seconds(10);
    this.queue = new sqs.Queue(this, 'EventQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.messagingKey,
      enforceSSL: true,
      // AWS guidance for Lambda event sources: six times the function timeout plus the batching window.
      visibilityTimeout: Duration.seconds(functionTimeout.toSeconds() * 6 + batchingWindow.toSeconds()),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
    });

    this.table = new dynamodb.Table(this, 'StateTable', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'ttl',
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.storageKey,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // The function is told which resources are its own, so tampering with them is a finding. Its own name would
    // be a circular reference in its own environment: name globs from the stack name cover everything
    // CloudFormation names, the keys (which have no names) are passed by ARN.
    const own = ownSelfProtection({
      stackName: stack.stackName,
      partition: stack.partition,
      account: stack.account,
      keyArns: props.ownKeys.map((k) => k.keyArn),
    });
    const detection = JSON.stringify(withSelfProtection(props.detection, own));
    this.detectionConfig = detection;
    // Tokens stand in for values CloudFormation fills in at deploy time: count them at their longest.
    const resolvedLength = detection.replace(TOKEN, 'x'.repeat(RESOLVED_TOKEN_CHARS)).length;
    if (resolvedLength > MAX_DETECTION_CONFIG_CHARS) {
      throw new Error(
        `detection config is up to ${resolvedLength} characters as JSON; the evaluate function's environment holds at most ${MAX_DETECTION_CONFIG_CHARS} (Lambda limits all variables to 4 KB)`,
      );
    }
    const { fn, role } = trailwardenFunction(this, 'Evaluate', {
      entry: props.entry ?? repoHandler('functions/evaluate/handler.ts'),
      projectRoot: props.projectRoot,
      memorySize: 512,
      timeout: functionTimeout,
      description: 'Trailwarden: evaluates CloudTrail and Config events against the rule catalogue',
      // Descriptions and runbooks, read on the first finding (kept out of the bundle's JavaScript).
      // The IP database travels the same way: a file asset beside the bundle, read on the first sign-in.
      files: [repoHandler(`functions/evaluate/${RULE_TEXT_FILE}`), ...geoAssetFiles()],
      environment: {
        TABLE_NAME: this.table.tableName,
        TOPIC_ARN: props.alerting.topic.topicArn,
        EVIDENCE_BUCKET: props.evidence.evidenceBucket.bucketName,
        DETECTION_CONFIG: detection,
      },
    });
    this.evaluateFunction = fn;
    fn.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: 100,
        maxBatchingWindow: batchingWindow,
        reportBatchItemFailures: true,
        maxConcurrency: props.maxConcurrency ?? 10,
      }),
    );
    // The item operations the adapters send (a test keeps this list in step with functions/): no Scan,
    // DeleteItem or batch writes. The key grant is the one CDK's table grants use for a customer key.
    this.table.grant(role, ...DETECTOR_TABLE_ACTIONS);
    props.storageKey.grantEncryptDecrypt(role);
    props.alerting.grantPublishFindings(role);
    props.evidence.grantPutFindings(role);
    acknowledgeFindingsWriter(fn, props.evidence);

    this.patterns = patternsFor(props.selectors);
    this.routes = this.patterns.map((p) => this.route(p));
    this.allowEventBridge();
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
   * target (which, for an encrypted queue, drops the rule condition). The key side is `PipelineKeys`.
   */
  private allowEventBridge(): void {
    const ruleArns = this.routes.map((r) => r.ruleArn);
    if (ruleArns.length === 0) return;
    for (const queue of [this.queue, this.deadLetterQueue]) {
      queue.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowTrailwardenRules',
          principals: [new iam.ServicePrincipal('events.amazonaws.com')],
          actions: ['sqs:SendMessage'],
          resources: [queue.queueArn],
          conditions: { ArnEquals: { 'aws:SourceArn': ruleArns } },
        }),
      );
    }
  }
}

/** cdk-nag findings of a function that archives findings (evaluate, health): deliberate, with the reasons. */
export const acknowledgeFindingsWriter = (fn: LambdaFunction, evidence: Evidence): void => {
  const policy = fn.role?.node.tryFindChild('DefaultPolicy');
  if (policy === undefined) throw new Error(`${fn.node.id} role has no default policy`);
  Validations.of(policy).acknowledge(
    {
      id: evidence.objectsFinding(EVIDENCE_PREFIX),
      reason:
        'Evidence object keys are generated per finding (findings/dt=…/<severity>/<id>.json); the grant is PutObject only, scoped to the findings/ prefix.',
    },
    {
      id: evidence.objectsFinding(INCIDENT_PREFIX),
      reason:
        'Incident states are archived per revision (incidents/dt=…/<id>[.rN].json, conditional on the key being new); the grant is PutObject only, scoped to the incidents/ prefix.',
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
};

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
  // The stacks themselves by exact name (`Trailwarden`, and its us-east-1 `TrailwardenForwarder`): deleting one
  // deletes everything in it as CloudFormation, which no other rule reports.
  resources: [
    ...new Set([`${own.stackName}-*`, `${own.stackName.toLowerCase()}-*`]),
    own.stackName,
    `${own.stackName}Forwarder`,
    ...own.keyArns,
  ],
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
