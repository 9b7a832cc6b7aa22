import { unknownKeys } from '../rules/core/unknown-keys.ts';
/**
 * `trailIntegrity` in trailwarden.config.json: which CloudTrail buckets the trail-integrity function validates.
 * Absent or `buckets: []`: no function is deployed.
 *
 * ```json
 * "trailIntegrity": {
 *   "buckets": [{ "bucket": "org-cloudtrail-logs", "prefix": "ct" }],
 *   "organizationTrail": true,
 *   "kmsKeyArn": "arn:aws:kms:eu-west-1:111122223333:key/…",
 *   "lagMinutes": 30
 * }
 * ```
 */
export interface TrailIntegrityConfig {
  /** Trail buckets and the key prefix before `AWSLogs/` ('' when the trail has none). */
  readonly buckets: readonly { readonly bucket: string; readonly prefix: string }[];
  /** Organisation trail: keys carry the organisation id (`AWSLogs/o-…/<account>/…`). Informational; both layouts are read. */
  readonly organizationTrail: boolean;
  /** The trail's SSE-KMS key, when it has one: the function gets kms:Decrypt on it and nothing else. */
  readonly kmsKeyArn?: string;
  /** Allowed delay of the next hourly digest, in minutes (0..1440, default 30): later is `digest-delivery-stopped`. */
  readonly lagMinutes: number;
}

export const DEFAULT_TRAIL_INTEGRITY: TrailIntegrityConfig = { buckets: [], organizationTrail: false, lagMinutes: 30 };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => JSON.stringify(v) ?? String(v);
/** S3 bucket naming rules (general purpose buckets). */
const BUCKET = /^(?!xn--)(?!.*-s3alias$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
export const TRAIL_BUCKET_KEYS = ['bucket', 'prefix'];
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z]{2}(-[a-z]+)+-\d:\d{12}:key\/[0-9a-f-]{36}$/;
export const TRAIL_INTEGRITY_KEYS = ['buckets', 'organizationTrail', 'kmsKeyArn', 'lagMinutes'];

export const parseTrailIntegrity = (v: unknown, at: (key: string, msg: string) => void): TrailIntegrityConfig => {
  if (v === undefined) return DEFAULT_TRAIL_INTEGRITY;
  if (!isRecord(v)) {
    at('trailIntegrity', `must be {buckets, organizationTrail?, kmsKeyArn?, lagMinutes?} (got ${show(v)})`);
    return DEFAULT_TRAIL_INTEGRITY;
  }
  unknownKeys(v, TRAIL_INTEGRITY_KEYS, 'trailIntegrity.', at);
  const buckets: { bucket: string; prefix: string }[] = [];
  if (!Array.isArray(v.buckets))
    at('trailIntegrity.buckets', `must be a list of {bucket, prefix?} (got ${show(v.buckets)})`);
  else
    v.buckets.forEach((b: unknown, i) => {
      const p = `trailIntegrity.buckets[${i}]`;
      if (!isRecord(b) || typeof b.bucket !== 'string' || !BUCKET.test(b.bucket)) {
        at(`${p}.bucket`, `must be an S3 bucket name (got ${show(isRecord(b) ? b.bucket : b)})`);
        return;
      }
      unknownKeys(b, TRAIL_BUCKET_KEYS, `${p}.`, at);
      const prefix = b.prefix ?? '';
      // No wildcards or leading/trailing slashes: the prefix becomes part of IAM resource ARNs and conditions.
      if (typeof prefix !== 'string' || !/^([A-Za-z0-9!_.'()-]+(\/[A-Za-z0-9!_.'()-]+)*)?$/.test(prefix)) {
        at(`${p}.prefix`, `must be a key prefix without leading or trailing "/" or wildcards (got ${show(prefix)})`);
        return;
      }
      buckets.push({ bucket: b.bucket, prefix });
    });
  const organizationTrail = v.organizationTrail ?? false;
  if (typeof organizationTrail !== 'boolean')
    at('trailIntegrity.organizationTrail', `must be true or false (got ${show(organizationTrail)})`);
  if (v.kmsKeyArn !== undefined && (typeof v.kmsKeyArn !== 'string' || !KMS_KEY_ARN.test(v.kmsKeyArn))) {
    at('trailIntegrity.kmsKeyArn', `must be a KMS key ARN (got ${show(v.kmsKeyArn)})`);
  }
  const lag = v.lagMinutes ?? DEFAULT_TRAIL_INTEGRITY.lagMinutes;
  if (typeof lag !== 'number' || !Number.isInteger(lag) || lag < 0 || lag > 1440) {
    at('trailIntegrity.lagMinutes', `must be a whole number of minutes from 0 to 1440 (got ${show(lag)})`);
  }
  return {
    buckets,
    organizationTrail: organizationTrail === true,
    ...(typeof v.kmsKeyArn === 'string' && KMS_KEY_ARN.test(v.kmsKeyArn) ? { kmsKeyArn: v.kmsKeyArn } : {}),
    lagMinutes: typeof lag === 'number' && Number.isInteger(lag) ? lag : DEFAULT_TRAIL_INTEGRITY.lagMinutes,
  };
};
