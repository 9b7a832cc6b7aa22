import { CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { NAMESPACE } from '../../functions/shared/telemetry.ts';
import { TRIAGE_SERVICE } from '../../functions/triage/webhook.ts';
import type { SlaConfig } from '../../rules/core/sla.ts';
import { TRIAGE_PREFIX } from '../../rules/core/triage.ts';
import type { Evidence } from './evidence.ts';
import { PipelinePart } from './logical-ids.ts';
import { repoHandler, trailwardenFunction } from './trailwarden-function.ts';

export interface TriageWebhookProps {
  readonly evidence: Evidence;
  /** The bucket's SSE-KMS key: the function may only generate data keys with it (to write). */
  readonly storageKey: kms.IKey;
  readonly sla: SlaConfig;
  readonly projectRoot: string;
  /** Handler (default: this repository's `functions/triage/handler.ts`). */
  readonly entry?: string;
  /** Webhook events older than this are refused as stale (default 600 s). */
  readonly maxEventAgeSeconds?: number;
}

/**
 * The triage endpoint (DESIGN §2, issue 10 §2): a Lambda function URL that PagerDuty v3 webhooks call on
 * `incident.acknowledged` / `incident.resolved`. PagerDuty cannot sign AWS requests, so the URL's auth type is
 * NONE and the function authenticates every call itself (HMAC over the body with the subscription's secret,
 * kept in Secrets Manager). Its role can read that one secret and add objects under `triage/` — nothing else:
 * no reads of evidence, no deletes, no other prefix.
 */
export class TriageWebhook extends PipelinePart {
  readonly fn: LambdaFunction;
  readonly url: lambda.FunctionUrl;
  /** Holds the PagerDuty subscription's signing secret (generated placeholder until the operator sets it). */
  readonly secret: secretsmanager.Secret;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: TriageWebhookProps) {
    super(scope, id);
    // A random placeholder: until the operator puts PagerDuty's secret here, every call fails verification.
    this.secret = new secretsmanager.Secret(this, 'PagerDutySigningSecret', {
      // Named after the stack so the self-protection rules know it as Trailwarden's (`<StackName>-*`).
      secretName: `${Stack.of(this).stackName}-pagerduty-webhook`,
      description: 'Trailwarden: signing secret of the PagerDuty v3 webhook subscription (X-PagerDuty-Signature)',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const bucket = props.evidence.evidenceBucket;
    const { fn, role } = trailwardenFunction(this, 'TriageWebhook', {
      entry: props.entry ?? repoHandler('functions/triage/handler.ts'),
      projectRoot: props.projectRoot,
      memorySize: 256,
      timeout: Duration.seconds(10),
      description: 'Trailwarden: PagerDuty webhooks (acknowledged, resolved) to triage evidence',
      environment: {
        EVIDENCE_BUCKET: bucket.bucketName,
        PAGERDUTY_SECRET_ID: this.secret.secretArn,
        MAX_EVENT_AGE_SECONDS: String(props.maxEventAgeSeconds ?? 600),
        SLA: JSON.stringify(props.sla),
      },
    });
    this.fn = fn;
    this.role = role;
    this.url = this.fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });

    // Exactly what the adapters send: GetSecretValue on this secret; PutObject under triage/ with SSE-KMS.
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [this.secret.secretArn] }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [bucket.arnForObjects(`${TRIAGE_PREFIX}*`)],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['kms:GenerateDataKey'], resources: [props.storageKey.keyArn] }),
    );

    const stack = Stack.of(this);
    new CfnOutput(stack, 'TriageWebhookUrl', {
      value: this.url.url,
      description: 'PagerDuty v3 webhook subscription URL (events: incident.acknowledged, incident.resolved)',
    });
    new CfnOutput(stack, 'PagerDutySecretArn', {
      value: this.secret.secretArn,
      description: "Put the PagerDuty subscription's signing secret here (aws secretsmanager put-secret-value)",
    });
    this.acknowledge(props.evidence);
  }

  /** The triage metrics the function emits (EMF), for the dashboard. */
  metric(name: string, statistic: string, label: string, period = Duration.hours(1)): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: NAMESPACE,
      metricName: name,
      dimensionsMap: { service: TRIAGE_SERVICE },
      statistic,
      period,
      label,
    });
  }

  /** Dashboard widgets: time to acknowledge and resolve, false-positive share, decisions past SLA. */
  widgets(): cloudwatch.IWidget[] {
    const period = Duration.hours(1);
    const graph = (title: string, left: cloudwatch.IMetric[]) =>
      new cloudwatch.GraphWidget({ title, left, width: 8, height: 6 });
    return [
      graph('Time to acknowledge (s, PagerDuty)', [
        this.metric('TimeToAcknowledge', 'Average', 'mean'),
        this.metric('TimeToAcknowledge', 'p90', 'p90'),
      ]),
      graph('Time to resolve (s, PagerDuty)', [
        this.metric('TimeToResolve', 'Average', 'mean'),
        this.metric('TimeToResolve', 'p90', 'p90'),
      ]),
      graph('False-positive rate of resolutions (%)', [
        new cloudwatch.MathExpression({
          expression: '100 * FILL(fp, 0) / resolved',
          usingMetrics: {
            fp: this.metric('FalsePositives', 'Sum', 'false positives', period),
            resolved: this.metric('Resolved', 'Sum', 'resolved', period),
          },
          label: 'false positives / resolved',
          period,
        }),
      ]),
      graph('Acknowledged or resolved past SLA', [
        this.metric('AckPastSla', 'Sum', 'acknowledged past SLA'),
        this.metric('ResolvePastSla', 'Sum', 'resolved past SLA'),
        this.metric('WebhookRejected', 'Sum', 'webhook calls rejected'),
      ]),
    ];
  }

  private acknowledge(evidence: Evidence): void {
    const policy = this.role.node.tryFindChild('DefaultPolicy');
    if (policy === undefined) throw new Error('triage webhook role has no default policy');
    Validations.of(policy).acknowledge({
      id: evidence.objectsFinding(TRIAGE_PREFIX),
      reason:
        'Triage object keys are generated per decision (triage/dt=…/<id>.json); the grant is PutObject only, scoped to the triage/ prefix, and the function writes with IfNoneMatch so it never replaces one.',
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The secret is generated by PagerDuty for the webhook subscription and rotated there (two signatures during a rotation); Secrets Manager cannot rotate it by itself.',
    });
  }
}
