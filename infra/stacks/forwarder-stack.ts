import type { StackProps } from 'aws-cdk-lib';
import { CfnParameter, CfnRule, Duration, Fn, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { EventSelector } from '../../rules/core/types.ts';
import { toEventPattern } from '../constructs/detection.ts';
import type { GeneratedPattern } from '../event-patterns.ts';
import { forwarderPatternsFor, GLOBAL_EVENTS_REGION } from '../event-patterns.ts';
import { forwarderRoleName } from './trailwarden-stack.ts';

export interface ForwarderStackProps extends StackProps {
  readonly selectors: readonly EventSelector[];
  /** The pipeline's region. Unset: a `HomeRegion` parameter asks for it at deploy time. */
  readonly homeRegion?: string;
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

    const homeBusArn = this.formatArn({
      service: 'events',
      region: homeRegion,
      resource: 'event-bus',
      resourceName: 'default',
    });
    const homeBus = events.EventBus.fromEventBusArn(this, 'HomeBus', homeBusArn);
    const role = new iam.Role(this, 'ForwarderRole', {
      roleName: forwarderRoleName(homeRegion),
      description: 'Trailwarden: EventBridge puts global-service events on the home region bus',
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    });

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

    this.patterns = forwarderPatternsFor(props.selectors);
    this.routes = this.patterns.map((p) => {
      const rule = new events.Rule(this, `Forward-${p.id}`, {
        description: `Trailwarden forwarder ${p.id}: generated from the rule catalogue's selectors`,
        eventPattern: toEventPattern(p.pattern),
      });
      const cfn = rule.node.defaultChild;
      if (p.managementEvents && cfn instanceof events.CfnRule) {
        cfn.state = 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';
      }
      rule.addTarget(new targets.EventBus(homeBus, { role, deadLetterQueue: this.deadLetterQueue }));
      return rule;
    });
  }
}
