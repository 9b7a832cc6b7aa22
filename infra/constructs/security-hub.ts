import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { EVALUATE_SERVICE, NAMESPACE } from '../../functions/shared/telemetry.ts';
import { PipelinePart } from './logical-ids.ts';
import type { Monitoring } from './monitoring.ts';

export interface SecurityHubSinkProps {
  /** The evaluate function: it imports each finding it archives (`functions/shared/adapters/aws-finding-sink.ts`). */
  readonly evaluateFunction: LambdaFunction;
  readonly monitoring: Monitoring;
}

/**
 * The opt-in Security Hub sink (`securityHub: true`): the evaluate function learns the account's default product
 * ARN and may call `securityhub:BatchImportFindings` on that product only, in its own partition, region and
 * account. Nothing else of Security Hub: it cannot update analysts' workflow (BatchUpdateFindings), archive or
 * read findings, or import into any other product.
 */
export class SecurityHubSink extends PipelinePart {
  /** `arn:<partition>:securityhub:<region>:<account>:product/<account>/default`, resolved at deploy time. */
  readonly productArn: string;
  readonly rejectedAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: SecurityHubSinkProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.productArn = `arn:${stack.partition}:securityhub:${stack.region}:${stack.account}:product/${stack.account}/default`;
    const role = props.evaluateFunction.role;
    if (role === undefined) throw new Error('evaluate function has no role');
    role.attachInlinePolicy(
      new iam.Policy(this, 'SecurityHubImportPolicy', {
        statements: [
          new iam.PolicyStatement({
            sid: 'ImportIntoTheDefaultProductOnly',
            actions: ['securityhub:BatchImportFindings'],
            resources: [this.productArn],
          }),
        ],
      }),
    );
    props.evaluateFunction.addEnvironment('SECURITY_HUB_PRODUCT_ARN', this.productArn);
    // A rejected import still pages (Security Hub is never a gate in front of the pager): the alarm is how a
    // disabled Security Hub, a removed grant or an invalid finding is noticed.
    this.rejectedAlarm = props.monitoring.addAlarm(
      'SecurityHubRejected',
      'Trailwarden: Security Hub refused findings (not enabled here, grant removed, or invalid); they were paged and archived but are missing from Security Hub.',
      new cloudwatch.Metric({
        namespace: NAMESPACE,
        metricName: 'SecurityHubRejected',
        dimensionsMap: { service: EVALUATE_SERVICE },
        statistic: 'Sum',
        period: Duration.minutes(15),
      }),
      0,
    );
  }
}
