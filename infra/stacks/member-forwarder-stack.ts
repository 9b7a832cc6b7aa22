import type { StackProps } from 'aws-cdk-lib';
import {
  Aws,
  BootstraplessSynthesizer,
  CfnCondition,
  CfnParameter,
  CfnResource,
  Duration,
  Fn,
  RemovalPolicy,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { EventSelector } from '../../rules/core/types.ts';
import { Forwarder } from '../constructs/forwarder.ts';
import type { GeneratedPattern } from '../event-patterns.ts';
import { GLOBAL_EVENTS_REGION, packedForForwarding, patternsFor } from '../event-patterns.ts';

/**
 * Names the member template gives its resources. Fixed, so the home account can name them without a reference
 * into 1000 accounts, and all under `trailwarden-*`, which the stack's self-protection already covers (a
 * member's DisableRule on `trailwarden-fwd-…` is `events.trailwarden-rules-tampered`).
 */
export const MEMBER_STACK_SET_NAME = 'trailwarden-member-forwarders';
export const MEMBER_RULE_PREFIX = 'trailwarden-fwd-';
/** IAM names are global to an account and the StackSet deploys one stack per region: one role per region. */
export const memberForwarderRoleName = (region: string): string => `trailwarden-member-forwarder-${region}`;
/** Created once per account (in the home region's stack instance): the health function's way in. */
export const HEALTH_READER_ROLE_NAME = 'trailwarden-health-reader';
/** The StackSet parameter carrying the health function's role ARN (a deploy-time value of the main stack). */
export const HEALTH_ROLE_PARAMETER = 'HealthRoleArn';
/** The StackSet parameter carrying the home bus ARN (one `Ref` per rule instead of a partition join each). */
export const HOME_BUS_PARAMETER = 'HomeBusArn';

/** StackSets take an inline template of at most 51,200 bytes (CreateStackSet TemplateBody). */
export const MAX_STACK_SET_TEMPLATE_BYTES = 51_200;

export interface MemberForwarderStackProps extends StackProps {
  readonly selectors: readonly EventSelector[];
  readonly homeAccount: string;
  readonly homeRegion: string;
  readonly orgId: string;
  /** The pipeline account's us-east-1 already has the global-service forwarder stack. */
  readonly homeHasUsEast1Forwarder: boolean;
}

/**
 * What the organisation StackSet puts in every member account and region: the forwarder construct with the
 * whole catalogue's generated patterns (a member has no pipeline of its own), a KMS-encrypted DLQ, and, once
 * per account, the read-only role the health function assumes to read the Config recorder status.
 * Env-agnostic and bootstrapless: members are not CDK-bootstrapped, and the template carries no asset.
 */
export class MemberForwarderStack extends Stack {
  readonly patterns: readonly GeneratedPattern[];
  readonly forwarder: Forwarder;
  readonly deadLetterQueue: sqs.Queue;
  readonly healthReaderRole: iam.Role;

  constructor(scope: Construct, id: string, props: MemberForwarderStackProps) {
    // Descriptions here are terse on purpose: every byte counts against the StackSet's 51,200-byte TemplateBody.
    super(scope, id, {
      description: 'Trailwarden member forwarder',
      synthesizer: new BootstraplessSynthesizer(),
      analyticsReporting: false,
      ...props,
    });
    const healthRoleArn = new CfnParameter(this, HEALTH_ROLE_PARAMETER, {
      type: 'String',
      description: 'Trailwarden health function role ARN',
      allowedPattern: '^arn:aws[a-z-]*:iam::\\d{12}:role/.+$',
    });

    const homeBusArn = new CfnParameter(this, HOME_BUS_PARAMETER, {
      type: 'String',
      description: 'Trailwarden home event bus ARN',
      allowedPattern: `^arn:aws[a-z-]*:events:${props.homeRegion}:${props.homeAccount}:event-bus/default$`,
    });

    // The pipeline account's home region has the pipeline's own routes, and its us-east-1 the global-service
    // forwarder: a second forwarder there would loop events onto their own bus or forward them twice.
    const inHomeAccount = Fn.conditionEquals(Aws.ACCOUNT_ID, props.homeAccount);
    const inHomeRegion = Fn.conditionEquals(Aws.REGION, props.homeRegion);
    const covered = props.homeHasUsEast1Forwarder
      ? Fn.conditionOr(inHomeRegion, Fn.conditionEquals(Aws.REGION, GLOBAL_EVENTS_REGION))
      : inHomeRegion;
    const forwards = new CfnCondition(this, 'Forwards', {
      expression: Fn.conditionNot(Fn.conditionAnd(inHomeAccount, covered)),
    });
    const readerHere = new CfnCondition(this, 'HealthReaderHere', {
      expression: Fn.conditionAnd(Fn.conditionEquals(Aws.REGION, props.homeRegion), Fn.conditionNot(inHomeAccount)),
    });

    // EventBridge can use a customer key for a target DLQ when the key policy lets it (TOOLCHAIN), and only for
    // this account's rules.
    const key = new kms.Key(this, 'DeadLetterKey', {
      description: 'Trailwarden member forwarder: dead-letter queue',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowEventBridgeDeadLetters',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: {
            'aws:SourceArn': this.formatArn({
              service: 'events',
              resource: 'rule',
              resourceName: `${MEMBER_RULE_PREFIX}*`,
            }),
          },
        },
      }),
    );
    this.deadLetterQueue = new sqs.Queue(this, 'ForwardDeadLetterQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of the forwarding rules (an EventBridge target DLQ, which cdk-nag does not recognise as a DLQ); a DLQ of a DLQ would only hide failures.',
    });

    // Packed several services to a rule, so the template stays under the StackSet TemplateBody limit.
    this.patterns = packedForForwarding(patternsFor(props.selectors));
    this.forwarder = new Forwarder(this, 'Forwarder', {
      patterns: this.patterns,
      homeBusArn: homeBusArn.valueAsString,
      describeRules: false,
      roleName: memberForwarderRoleName(Aws.REGION),
      roleDescription: 'Trailwarden forwarder to the home bus',
      ruleName: (patternId) => memberRuleName(patternId),
      trust: { kind: 'prefix', prefix: MEMBER_RULE_PREFIX },
      deadLetterQueue: this.deadLetterQueue,
    });

    this.healthReaderRole = new iam.Role(this, 'HealthReaderRole', {
      roleName: HEALTH_READER_ROLE_NAME,
      description: 'Trailwarden health reader',
      // Exactly the health function's role, and only while it is a principal of this organisation.
      assumedBy: new iam.ArnPrincipal(healthRoleArn.valueAsString).withConditions({
        StringEquals: { 'aws:PrincipalOrgID': props.orgId },
        ArnEquals: { 'aws:PrincipalArn': healthRoleArn.valueAsString },
      }),
      maxSessionDuration: Duration.hours(1),
    });
    this.healthReaderRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['config:DescribeConfigurationRecorderStatus'], resources: ['*'] }),
    );
    const readerPolicy = this.healthReaderRole.node.tryFindChild('DefaultPolicy');
    if (readerPolicy !== undefined) {
      Validations.of(readerPolicy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'config:DescribeConfigurationRecorderStatus supports no resource-level permissions (AWS service authorization reference); the role grants that one read-only action.',
      });
    }

    for (const c of this.node.findAll()) {
      if (!(c instanceof CfnResource)) continue;
      const underReader = c.node.scopes.includes(this.healthReaderRole);
      c.cfnOptions.condition = underReader ? readerHere : forwards;
    }
  }
}

/** `trailwarden-fwd-<pattern id>`, at most EventBridge's 64 characters. */
export const memberRuleName = (patternId: string): string => {
  const name = `${MEMBER_RULE_PREFIX}${patternId}`;
  if (name.length > 64)
    throw new Error(`member forwarder rule name ${name} is longer than EventBridge's 64 characters`);
  return name;
};
