import * as events from 'aws-cdk-lib/aws-events';
import type { Construct } from 'constructs';

export interface StatementEventBusPolicyProps {
  readonly eventBusName?: string;
  readonly statementId: string;
  /** The whole IAM statement (Sid, Effect, Principal, Action, Resource, Condition). */
  readonly statement: Record<string, unknown>;
}

/**
 * An event bus policy in its `statement` form only. CloudFormation's older `action`/`principal`/`condition`
 * properties are deprecated and never set here, but cdk-nag's EventBusOpenAccess reads `principal` on every
 * CfnEventBusPolicy, and each read of the deprecated getter prints CDK's deprecation warning at synth. These
 * getters return the same (unset) values without the warning; nag still checks `statement`, which is what
 * deploys.
 */
export class StatementEventBusPolicy extends events.CfnEventBusPolicy {
  constructor(scope: Construct, id: string, props: StatementEventBusPolicyProps) {
    super(scope, id, props);
  }

  override get action(): string | undefined {
    return undefined;
  }
  override set action(value: string | undefined) {
    refuse('action', value);
  }
  override get principal(): string | undefined {
    return undefined;
  }
  override set principal(value: string | undefined) {
    refuse('principal', value);
  }
  override get condition(): events.CfnEventBusPolicy.ConditionProperty | undefined {
    return undefined;
  }
  override set condition(value: events.CfnEventBusPolicy.ConditionProperty | undefined) {
    refuse('condition', value);
  }
}

const refuse = (property: string, value: unknown): void => {
  if (value !== undefined) throw new Error(`StatementEventBusPolicy: ${property} is deprecated; put it in statement`);
};
