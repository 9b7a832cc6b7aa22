import type { JsonValue } from './cloudtrail.ts';
import type { AuditEvent } from './types.ts';

/**
 * Tags an event names on its resource, in the shapes CloudTrail and Config use, so asset criticality can come
 * from tags (`criticality=high`, `data-classification=confidential`) as well as accounts and ARNs:
 * - EC2: `tagSpecificationSet.items[].tags[]` of `{key, value}`
 * - IAM, most services: `tags: [{key, value}]` or `Tags: [{Key, Value}]`
 * - Lambda, SQS, SNS, …: `tags` / `Tags` as a `{name: value}` map
 * - S3 PutBucketTagging: `Tagging.TagSet.Tag` (one or a list of `{Key, Value}`)
 * - Config: `configurationItem.tags` map
 * Only tags set by this very call are visible; tags set earlier are not in the record.
 */
export type Tags = Readonly<Record<string, string>>;

const isObject = (v: unknown): v is Record<string, JsonValue> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);

/** `{key, value}` / `{Key, Value}` pairs, or a plain map. */
const collect = (v: unknown, into: Record<string, string>): void => {
  if (Array.isArray(v)) {
    for (const item of v) {
      if (!isObject(item)) continue;
      const key = item.key ?? item.Key;
      const value = item.value ?? item.Value ?? '';
      if (typeof key === 'string') into[key] = String(value);
    }
  } else if (isObject(v)) {
    const key = v.key ?? v.Key;
    if (typeof key === 'string' && Object.keys(v).every((k) => ['key', 'Key', 'value', 'Value'].includes(k))) {
      into[key] = String(v.value ?? v.Value ?? '');
      return;
    }
    for (const [k, value] of Object.entries(v)) if (typeof value === 'string') into[k] = value;
  }
};

export const eventTags = (e: AuditEvent): Tags => {
  const out: Record<string, string> = {};
  if (e.kind === 'config-item-change') {
    collect(e.detail.configurationItem.tags, out);
    return out;
  }
  if (e.kind !== 'cloudtrail') return out;
  const params = e.record.requestParameters;
  if (!isObject(params)) return out;
  for (const spec of asList(isObject(params.tagSpecificationSet) ? params.tagSpecificationSet.items : undefined)) {
    if (isObject(spec)) collect(spec.tags, out);
  }
  collect(params.tags, out);
  collect(params.Tags, out);
  const tagging = params.Tagging;
  if (isObject(tagging) && isObject(tagging.TagSet)) collect(asList(tagging.TagSet.Tag), out);
  return out;
};
