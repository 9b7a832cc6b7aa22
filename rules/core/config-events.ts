import type { JsonObject } from './cloudtrail.ts';

/** `detail` of an EventBridge `Config Configuration Item Change` event. */
export interface ConfigItemChange {
  readonly messageType?: string;
  readonly configurationItemDiff?: {
    readonly changeType?: 'CREATE' | 'UPDATE' | 'DELETE' | string;
    readonly changedProperties?: JsonObject;
  } | null;
  readonly configurationItem: {
    readonly configurationItemCaptureTime?: string;
    readonly configurationItemStatus?: string;
    readonly awsAccountId?: string;
    readonly awsRegion?: string;
    readonly resourceType: string;
    readonly resourceId?: string;
    readonly resourceName?: string;
    readonly ARN?: string;
    readonly configuration?: JsonObject | null;
    readonly supplementaryConfiguration?: JsonObject;
    readonly tags?: Readonly<Record<string, string>>;
  };
}

/** `detail` of an EventBridge `Config Rules Compliance Change` event. */
export interface ConfigComplianceChange {
  readonly configRuleName: string;
  readonly configRuleARN?: string;
  readonly resourceType?: string;
  readonly resourceId?: string;
  readonly awsAccountId?: string;
  readonly awsRegion?: string;
  readonly messageType?: string;
  readonly newEvaluationResult?: {
    readonly complianceType?: 'COMPLIANT' | 'NON_COMPLIANT' | 'NOT_APPLICABLE' | 'INSUFFICIENT_DATA' | string;
    readonly annotation?: string;
    readonly resultRecordedTime?: string;
  };
  readonly oldEvaluationResult?: { readonly complianceType?: string } | null;
}
