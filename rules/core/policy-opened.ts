import type { CloudTrailRecord } from './cloudtrail.ts';
import { isSuccess } from './cloudtrail.ts';
import { defineRule } from './define-rule.ts';
import { callPolicyExposure } from './policy-call.ts';
import { describeOpenedExposure, isOpenedExposure } from './resource-policy.ts';
import type { Control, Criticality, Rule, Severity } from './types.ts';

/**
 * The rules "a call set a resource policy that opens the resource to the public or outside the organisation"
 * (DynamoDB, Kinesis, Glacier, SES, OpenSearch) share one body: find the policy among the request's parameters,
 * judge it with the shared resource-policy analysis, and name the resource. Only the data differs.
 */
export interface PolicyOpenedSpec {
  readonly id: string;
  readonly title: string;
  readonly severity?: Severity;
  readonly escalation?: Partial<Record<Criticality, Severity>>;
  readonly controls?: readonly Control[];
  readonly mitre: readonly string[];
  readonly source: string;
  readonly eventNames: readonly string[];
  /** Request parameter names that hold the policy (searched case-insensitively, nested JSON strings unwrapped). */
  readonly policyParams: readonly string[];
  /** The resource the policy is on: dedup key and the finding's resource. */
  readonly target: (e: CloudTrailRecord) => string;
  /** The policy's owner is the account in the target ARN (a cross-account call), not the caller's. */
  readonly ownerFromTarget?: boolean;
}

export const policyOpenedRule = (spec: PolicyOpenedSpec): Rule => {
  const exposureOf = (e: CloudTrailRecord, organization: Parameters<typeof callPolicyExposure>[2]) =>
    callPolicyExposure(e, spec.policyParams, organization, spec.ownerFromTarget ? spec.target(e) : undefined);
  return defineRule({
    id: spec.id,
    title: spec.title,
    severity: spec.severity ?? 'high',
    ...(spec.escalation ? { escalation: spec.escalation } : {}),
    controls: spec.controls ?? ['A.5.23', 'A.8.3'],
    mitre: spec.mitre,
    on: { source: spec.source, eventNames: spec.eventNames },
    match: (e, ctx) => isSuccess(e) && isOpenedExposure(exposureOf(e, ctx.config.organization)),
    explain: (e, ctx) => describeOpenedExposure(exposureOf(e, ctx.config.organization)),
    dedup: { key: spec.target },
    resources: (e) => [spec.target(e)],
  });
};
