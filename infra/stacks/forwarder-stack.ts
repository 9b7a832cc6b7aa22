import type { StackProps } from 'aws-cdk-lib';
import { CfnParameter, CfnRule, Duration, Fn, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { EventSelector } from '../../rules/core/types.ts';
import type { AlertsConfig } from '../config.ts';
import { alarmTopic, subscribeToAlarms } from '../constructs/alerting.ts';
import { Forwarder } from '../constructs/forwarder.ts';
import { allowCloudWatchAlarms, protectedKey } from '../constructs/keys.ts';
import { keepLogicalIds } from '../constructs/logical-ids.ts';
import type { GeneratedPattern } from '../event-patterns.ts';
import { forwarderPatternsFor, GLOBAL_EVENTS_REGION } from '../event-patterns.ts';
import { forwarderRoleName } from './trailwarden-stack.ts';

export interface ForwarderStackProps extends StackProps {
  readonly selectors: readonly EventSelector[];
  /** The pipeline's region. Unset: a `HomeRegion` parameter asks for it at deploy time. */
  readonly homeRegion?: string;
  /** Endpoints told when forwarding fails (alarms cannot publish across regions: this stack has its own topic). */
  readonly alerts?: AlertsConfig;
  /** The only role that may delete, disable or re-police this stack's key (see `PipelineKeys`). */
  readonly breakGlassRoleArn?: string;
}

/**
 * us-east-1 only: IAM, STS, console sign-in and Organizations events reach EventBridge there and nowhere else.
 * Rules generated the same way as the main stack's, restricted to those services, put the events on the
 * home region's default bus, where the main rules pick them up.
 */
export class ForwarderStack extends Stack {
  readonly patterns: readonly GeneratedPattern[];
  readonly routes: readonly events.Rule[];
  readonly deadLetterQueue: sqs.Queue;
  /** Pages when a forward failed: an IAM or sign-in event that never reached the pipeline. */
  readonly deadLetterAlarm: cloudwatch.Alarm;
  /** The forwarder's own alarm topic (every configured endpoint, unfiltered). */
  readonly alarmTopic: sns.Topic;

  constructor(scope: Construct, id: string, props: ForwarderStackProps) {
    super(scope, id, {
      description: 'Trailwarden: forwards global-service CloudTrail events from us-east-1 to the home region',
      ...props,
    });
    if (props.homeRegion === GLOBAL_EVENTS_REGION) {
      throw new Error(`homeRegion is ${GLOBAL_EVENTS_REGION}: global events arrive there already, no forwarder needed`);
    }

    let homeRegion = props.homeRegion;
    if (homeRegion === undefined) {
      const param = new CfnParameter(this, 'HomeRegion', {
        type: 'String',
        description: 'Region of the Trailwarden pipeline that receives the forwarded events',
        allowedPattern: '^[a-z]{2}(-[a-z]+)+-\\d{1,2}$',
      });
      homeRegion = param.valueAsString;
      // Forwarding us-east-1 to itself would loop events through the default bus.
      new CfnRule(this, 'HomeRegionIsNotUsEast1', {
        assertions: [
          {
            assert: Fn.conditionNot(Fn.conditionEquals(param.valueAsString, GLOBAL_EVENTS_REGION)),
            assertDescription: `HomeRegion must not be ${GLOBAL_EVENTS_REGION}: deploy no forwarder there.`,
          },
        ],
      });
    }

    this.patterns = forwarderPatternsFor(props.selectors);
    // SSE-SQS: an EventBridge target DLQ cannot use the AWS-managed SQS key (TOOLCHAIN).
    this.deadLetterQueue = new sqs.Queue(this, 'ForwardDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of the forwarding rules (an EventBridge target DLQ, which cdk-nag does not recognise as a DLQ); a DLQ of a DLQ would only hide failures.',
    });
    const forwarder = new Forwarder(this, 'Forwarder', {
      patterns: this.patterns,
      homeBusArn: this.formatArn({
        service: 'events',
        region: homeRegion,
        resource: 'event-bus',
        resourceName: 'default',
      }),
      roleName: forwarderRoleName(homeRegion),
      roleDescription: 'Trailwarden: EventBridge puts global-service events on the home region bus',
      ruleName: (id) => forwarderRuleName(this.stackName, id),
      trust: { kind: 'exact' },
      deadLetterQueue: this.deadLetterQueue,
    });
    this.routes = forwarder.routes;

    // A failed forward is an IAM, STS or sign-in event the pipeline never saw: it pages, like the home DLQ.
    const key = protectedKey(this, 'AlarmKey', 'Trailwarden forwarder: alarm topic', props.breakGlassRoleArn);
    allowCloudWatchAlarms(key, this);
    this.alarmTopic = alarmTopic(this, 'AlarmTopic', 'Trailwarden forwarder alarms', key);
    subscribeToAlarms(this.alarmTopic, props.alerts ?? { emails: [], https: [] });
    this.deadLetterAlarm = new cloudwatch.Alarm(this, 'ForwardDeadLetterQueueNotEmpty', {
      alarmDescription:
        'Trailwarden forwarder: global-service events (IAM, STS, sign-in, Organizations) could not be put on the home region bus and never reached the pipeline; fix the cause (role, bus policy, home region), then scan the trail logs of that period (trailwarden scan): aws.* events cannot be put back on a bus.',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.deadLetterAlarm.addAlarmAction(new cwActions.SnsAction(this.alarmTopic));
    keepLogicalIds(this);
  }
}

/** EventBridge rule names are at most 64 characters: `<stack>-<pattern id>` must fit. */
export const forwarderRuleName = (stackName: string, patternId: string): string => {
  const name = `${stackName}-${patternId}`;
  if (name.length > 64) throw new Error(`forwarder rule name ${name} is longer than EventBridge's 64 characters`);
  return name;
};
