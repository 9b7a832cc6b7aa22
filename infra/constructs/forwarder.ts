import { Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { GeneratedPattern } from '../event-patterns.ts';
import { toEventPattern } from './detection.ts';
import { PipelinePart } from './logical-ids.ts';

export interface ForwarderProps {
  /** Generated from the rules' selectors (`patternsFor` / `forwarderPatternsFor`): never written by hand. */
  readonly patterns: readonly GeneratedPattern[];
  /** The bus the events go to: the home region's default bus of the pipeline account. */
  readonly homeBusArn: string;
  /** Fixed, so the home bus policy can name the role without a reference across regions or accounts. */
  readonly roleName: string;
  readonly roleDescription: string;
  /** Name of the rule for a pattern id (named, so the role's trust can name them without a reference cycle). */
  readonly ruleName: (patternId: string) => string;
  /**
   * How the role's trust names the rules: `exact` lists each rule ARN; `prefix` allows the rules of this account
   * and region whose name starts with the given prefix (the member template must stay under StackSets' 51,200
   * bytes, and one ARN per rule does not).
   */
  readonly trust: { readonly kind: 'exact' } | { readonly kind: 'prefix'; readonly prefix: string };
  /** Give each rule a description (default true; the member template leaves them out to stay under its size limit). */
  readonly describeRules?: boolean;
  /** Where an event goes that could not be put on the home bus. */
  readonly deadLetterQueue: sqs.IQueue;
}

/**
 * EventBridge rules on this account's default bus, generated from the catalogue, that put the matching events on
 * the home bus through one role only those rules may assume. The us-east-1 forwarder stack and every member
 * account's forwarder (the organisation StackSet) are this construct; only the patterns differ. Transparent to
 * logical ids (a `PipelinePart`), so the us-east-1 stack kept its resources when the construct was extracted.
 */
export class Forwarder extends PipelinePart {
  readonly role: iam.Role;
  readonly routes: readonly events.Rule[];

  constructor(scope: Construct, id: string, props: ForwarderProps) {
    super(scope, id);
    const stack = this.stack;
    const ruleNames = props.patterns.map((p) => props.ruleName(p.id));
    const ruleArn = (name: string) => stack.formatArn({ service: 'events', resource: 'rule', resourceName: name });
    const sourceArn =
      props.trust.kind === 'exact'
        ? { ArnEquals: { 'aws:SourceArn': ruleNames.map(ruleArn) } }
        : { ArnLike: { 'aws:SourceArn': ruleArn(`${props.trust.prefix}*`) } };
    this.role = new iam.Role(this, 'ForwarderRole', {
      roleName: props.roleName,
      description: props.roleDescription,
      // Only these rules may act as the role: no other rule in the account, even one an admin points at it.
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account }, ...sourceArn },
      }),
    });
    const homeBus = events.EventBus.fromEventBusArn(this, 'HomeBus', props.homeBusArn);
    this.routes = props.patterns.map((p, i) => {
      const rule = new events.Rule(this, `Forward-${p.id}`, {
        ruleName: ruleNames[i],
        ...(props.describeRules === false
          ? {}
          : { description: `Trailwarden forwarder ${p.id}: generated from the rule catalogue's selectors` }),
        eventPattern: toEventPattern(p.pattern),
      });
      const cfn = rule.node.defaultChild;
      if (p.managementEvents && cfn instanceof events.CfnRule) {
        cfn.state = 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';
      }
      if (props.trust.kind === 'exact') {
        rule.addTarget(new targets.EventBus(homeBus, { role: this.role, deadLetterQueue: props.deadLetterQueue }));
        return rule;
      }
      // CDK's target adds one queue-policy statement per rule; 45 of them overflow the member template's
      // 51,200 bytes, so one statement below covers every rule of the prefix.
      rule.addTarget(new targets.EventBus(homeBus, { role: this.role }));
      if (cfn instanceof events.CfnRule) {
        cfn.addPropertyOverride('Targets.0.DeadLetterConfig', { Arn: props.deadLetterQueue.queueArn });
      }
      return rule;
    });
    if (props.trust.kind === 'prefix') {
      props.deadLetterQueue.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowForwarderRules',
          principals: [new iam.ServicePrincipal('events.amazonaws.com')],
          actions: ['sqs:SendMessage'],
          resources: [props.deadLetterQueue.queueArn],
          conditions: { ArnLike: { 'aws:SourceArn': ruleArn(`${props.trust.prefix}*`) } },
        }),
      );
    }
  }

  private get stack() {
    return Stack.of(this);
  }
}
