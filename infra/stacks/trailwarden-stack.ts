import type { StackProps } from 'aws-cdk-lib';
import { Aws, CfnOutput, Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { EventSelector } from '../../rules/core/types.ts';
import type { TrailwardenConfig } from '../config.ts';
import { Organization } from '../constructs/organization.ts';
import { StatementEventBusPolicy } from '../constructs/statement-event-bus-policy.ts';
import { TrailwardenPipeline } from '../constructs/trailwarden-pipeline.ts';

/**
 * Name of the forwarder's role for a home region. Both stacks derive it, so the home bus can trust the role
 * without a cross-region reference (which CloudFormation cannot resolve).
 */
export const forwarderRoleName = (homeRegion: string): string => `trailwarden-forwarder-${homeRegion}`;

export interface TrailwardenStackProps extends StackProps {
  readonly config: TrailwardenConfig;
  readonly selectors: readonly EventSelector[];
  /** Let the us-east-1 forwarder put global-service events on this region's default bus (default true). */
  readonly acceptForwardedEvents?: boolean;
  /** Run cdk-nag on the member template (organisation deployment; default true). */
  readonly nag?: boolean;
}

/** The main stack: the pipeline in the home region, plus the default bus's permission for the forwarder. */
export class TrailwardenStack extends Stack {
  readonly pipeline: TrailwardenPipeline;
  /** The organisation StackSet and bus permission, when `config.org` is set. */
  readonly organization?: Organization;

  constructor(scope: Construct, id: string, props: TrailwardenStackProps) {
    super(scope, id, {
      description: 'Trailwarden: CloudTrail and AWS Config events to ISO/IEC 27001-mapped findings and evidence',
      ...props,
    });
    this.pipeline = new TrailwardenPipeline(this, 'Pipeline', { config: props.config, selectors: props.selectors });

    if (props.acceptForwardedEvents ?? true) {
      const roleArn = `arn:${Aws.PARTITION}:iam::${this.account}:role/${forwarderRoleName(this.region)}`;
      new StatementEventBusPolicy(this, 'AcceptForwardedEvents', {
        eventBusName: 'default',
        statementId: 'trailwarden-forwarder',
        statement: {
          Sid: 'trailwarden-forwarder',
          Effect: 'Allow',
          Principal: { AWS: `arn:${Aws.PARTITION}:iam::${this.account}:root` },
          Action: 'events:PutEvents',
          Resource: `arn:${Aws.PARTITION}:events:${this.region}:${this.account}:event-bus/default`,
          // Same account, and only the forwarder's role: a condition, so this deploys before the role exists.
          Condition: { ArnEquals: { 'aws:PrincipalArn': roleArn } },
        },
      });
    }

    const { org, account, homeRegion } = props.config;
    if (org !== undefined && account !== undefined && homeRegion !== undefined) {
      this.organization = new Organization(this, 'Organization', {
        org,
        selectors: props.selectors,
        homeAccount: account,
        homeRegion,
        homeHasUsEast1Forwarder: props.acceptForwardedEvents ?? true,
        healthFunction: this.pipeline.healthFunction,
        evaluateFunction: this.pipeline.evaluateFunction,
        ...(props.nag === undefined ? {} : { nag: props.nag }),
      });
    }

    const p = this.pipeline;
    new CfnOutput(this, 'FindingsTopicArn', { value: p.topic.topicArn });
    new CfnOutput(this, 'AlarmTopicArn', { value: p.alarmTopic.topicArn });
    new CfnOutput(this, 'EvidenceBucketName', { value: p.evidenceBucket.bucketName });
    new CfnOutput(this, 'StateTableName', { value: p.table.tableName });
    new CfnOutput(this, 'EventQueueUrl', { value: p.queue.queueUrl });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: p.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'DashboardName', { value: p.dashboard.dashboardName });
    new CfnOutput(this, 'DrillKeySecretArn', { value: p.drillKey.secret.secretArn });
    // `trailwarden drill --run <this>`: the scheduled drill, on demand, with its record printed.
    new CfnOutput(this, 'DrillFunctionName', { value: p.drills.drillFunction.functionName });
    // `trailwarden drill --invoke … --elevated-function <this>`: the elevated-access check's drill.
    if (p.elevatedAccess !== undefined) {
      new CfnOutput(this, 'ElevatedAccessFunctionName', { value: p.elevatedAccess.fn.functionName });
    }
  }
}
