import type { CloudTrailRecord, JsonObject, JsonValue } from './cloudtrail.ts';
import { accountOf } from './cloudtrail.ts';
import type { Organization, PolicyExposure } from './resource-policy.ts';
import { orgPolicyExposure } from './resource-policy.ts';

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A request parameter by any of `names`, compared without case, searched breadth-first at most `depth` objects
 * down. Services log the same API field as `policy`, `Policy` or inside a wrapper (`PutAccessPointPolicyRequest`,
 * Glacier's `policy.policy`): a rule names the field once and reads every shape.
 */
export const findParam = (
  obj: JsonObject | null | undefined,
  names: readonly string[],
  depth = 3,
): JsonValue | undefined => {
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  let level: JsonObject[] = isObject(obj) ? [obj] : [];
  for (let d = 0; d < depth && level.length > 0; d++) {
    const next: JsonObject[] = [];
    for (const o of level) {
      for (const [key, value] of Object.entries(o)) {
        if (wanted.has(key.toLowerCase()) && value !== null && value !== undefined) return value;
        if (isObject(value)) next.push(value);
      }
    }
    level = next;
  }
  return undefined;
};

/**
 * The policy document a call set. Unwraps one-key envelopes around the document (Glacier logs
 * `{"policy": {"policy": "<json>"}}`), so what comes back is the document itself (object or JSON string).
 */
export const policyParam = (e: CloudTrailRecord, names: readonly string[]): JsonValue | undefined => {
  let value = findParam(e.requestParameters, names);
  for (let i = 0; i < 2 && isObject(value) && value.Statement === undefined; i++) {
    const inner = findParam(value, names, 1);
    if (inner === undefined) break;
    value = inner;
  }
  return value;
};

/** The 12-digit account in an ARN (`arn:aws:dynamodb:eu-west-1:111122223333:table/x`), if any. */
export const accountInArn = (arn: string | undefined): string | undefined => {
  const account = arn?.split(':')[4];
  return account !== undefined && /^\d{12}$/.test(account) ? account : undefined;
};

/**
 * How far the policy a call set reaches (see `orgPolicyExposure`), owned by the account in `ownerArn` when it
 * names one, else the event's. Undefined when the call carried no policy.
 */
export const callPolicyExposure = (
  e: CloudTrailRecord,
  names: readonly string[],
  organization: Organization,
  ownerArn?: string,
): PolicyExposure | undefined =>
  orgPolicyExposure(policyParam(e, names), accountInArn(ownerArn) ?? accountOf(e), organization);
