import { Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { HealthConfig } from '../config.ts';
import type { Alerting } from './alerting.ts';
import { acknowledgeFindingsWriter, STATE_TABLE_ACTIONS } from './detection.ts';
import type { Evidence } from './evidence.ts';
import { PipelinePart } from './logical-ids.ts';
import { repoHandler, trailwardenFunction } from './trailwarden-function.ts';

/** How often the health function runs (DESIGN §2: scheduled health checks and the dead-man switch). */
export const HEALTH_SCHEDULE_MINUTES = 5;

export interface HealthChecksProps {
  readonly health: HealthConfig;
  /** Trail names or ARNs whose status is checked. */
  readonly trails: readonly string[];
  readonly table: dynamodb.ITable;
  readonly storageKey: kms.IKey;
  /** Where findings go: the function publishes to its findings topic, and may (`grantPublishFindings`). */
  readonly alerting: Alerting;
  readonly evidence: Evidence;
  /** Handler of the health function (default: this repository's `functions/health/handler.ts`). */
  readonly healthEntry?: string;
  readonly projectRoot: string;
}

/**
 * The health function: every few minutes, trail status and selectors, recorder status, and the dead-man switch.
 * Findings take the evaluate function's path (ledger, evidence, topic), so its grants are the same minus the
 * queue, plus read-only CloudTrail calls on the configured trails only.
 */
export class HealthChecks extends PipelinePart {
  /** Scheduled: trail and recorder status, and the dead-man switch. */
  readonly healthFunction: LambdaFunction;

  constructor(scope: Construct, id: string, props: HealthChecksProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { fn, role } = trailwardenFunction(this, 'Health', {
      entry: props.healthEntry ?? repoHandler('functions/health/handler.ts'),
      projectRoot: props.projectRoot,
      memorySize: 256,
      timeout: Duration.seconds(60),
      // The next scheduled run is the retry: a retried run would only repeat this one.
      retryAttempts: 0,
      description: 'Trailwarden: CloudTrail trail health and the dead-man switch on incoming events',
      environment: {
        TABLE_NAME: props.table.tableName,
        TOPIC_ARN: props.alerting.topic.topicArn,
        EVIDENCE_BUCKET: props.evidence.evidenceBucket.bucketName,
        TRAILS: JSON.stringify(props.trails),
        ACCOUNT_ID: stack.account,
        DELIVERY_LAG_MINUTES: String(props.health.deliveryLagMinutes),
        SILENCE_MINUTES: String(props.health.silenceMinutes),
      },
    });
    this.healthFunction = fn;
    props.table.grant(role, ...STATE_TABLE_ACTIONS);
    props.storageKey.grantEncryptDecrypt(role);
    props.alerting.grantPublishFindings(role);
    props.evidence.grantPutFindings(role);
    // Names become ARNs in this stack's account and region; ARNs (another region's or the org trail) pass as given.
    const trailArns = props.trails.map((t) =>
      t.startsWith('arn:') ? t : stack.formatArn({ service: 'cloudtrail', resource: 'trail', resourceName: t }),
    );
    if (trailArns.length > 0) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['cloudtrail:GetTrailStatus', 'cloudtrail:GetEventSelectors'],
          resources: trailArns,
        }),
      );
    } else {
      // No trails configured: the function discovers them (DescribeTrails has no resource-level permission) and
      // reads the status of whatever it finds, organisation trails of the management account included.
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['cloudtrail:DescribeTrails'], resources: ['*'] }));
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['cloudtrail:GetTrailStatus', 'cloudtrail:GetEventSelectors'],
          resources: [`arn:${stack.partition}:cloudtrail:*:*:trail/*`],
        }),
      );
    }
    // AWS Config has no resource-level permissions for this read (acknowledged below).
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['config:DescribeConfigurationRecorderStatus'], resources: ['*'] }),
    );
    new events.Rule(this, 'HealthSchedule', {
      description: `Trailwarden: runs the health checks every ${HEALTH_SCHEDULE_MINUTES} minutes`,
      schedule: events.Schedule.rate(Duration.minutes(HEALTH_SCHEDULE_MINUTES)),
      targets: [new targets.LambdaFunction(fn, { retryAttempts: 0 })],
    });

    acknowledgeFindingsWriter(fn, props.evidence);
    const policy = role.node.tryFindChild('DefaultPolicy');
    if (policy === undefined) throw new Error('health function role has no default policy');
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'config:DescribeConfigurationRecorderStatus supports no resource-level permissions (AWS service authorization reference); the statement grants that one read-only action.',
    });
    if (trailArns.length === 0) {
      Validations.of(policy).acknowledge({
        // cdk-nag spells an unresolved partition as <AWS::Partition>; with the region known it is a literal.
        id: `AwsSolutions-IAM5[Resource::arn:${Token.isUnresolved(stack.partition) ? '<AWS::Partition>' : stack.partition}:cloudtrail:*:*:trail/*]`,
        reason:
          'No trails configured: the health function discovers them with DescribeTrails and reads their status (read-only); their ARNs are not known at synth.',
      });
    }
  }
}
