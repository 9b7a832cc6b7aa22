import { unknownKeys } from '../rules/core/unknown-keys.ts';
/**
 * `replay` in trailwarden.config.json (issue 14 §2): the Step Functions replay of old CloudTrail. The stack builds
 * the replay state machine only when `trailBuckets` names at least one trail bucket, since its function may read
 * those and nothing else.
 */
export interface ReplayConfig {
  /** Distributed Map child executions at once (1..10000, default 40). Each is one replay function invocation. */
  readonly maxConcurrency: number;
  /** Log files per child execution (ItemBatcher `MaxItemsPerBatch`, 1..1000, default 100). */
  readonly batchFiles: number;
  /**
   * Where trails deliver: `bucket` or `bucket/prefix` (the prefix in front of `AWSLogs/`). The replay function may
   * read objects under these prefixes and list them, nothing else.
   */
  readonly trailBuckets: readonly TrailLocation[];
  /** The KMS key the trail's log files are encrypted with (SSE-KMS); the function may decrypt with it only. */
  readonly kmsKeyArn?: string;
}
export interface TrailLocation {
  readonly bucket: string;
  /** '' or a prefix ending in '/'. */
  readonly prefix: string;
}

export const REPLAY_LIMITS = {
  maxConcurrency: { default: 40, min: 1, max: 10_000 },
  batchFiles: { default: 100, min: 1, max: 1000 },
} as const;
export const DEFAULT_REPLAY_CONFIG: ReplayConfig = {
  maxConcurrency: REPLAY_LIMITS.maxConcurrency.default,
  batchFiles: REPLAY_LIMITS.batchFiles.default,
  trailBuckets: [],
};

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PREFIX = /^[A-Za-z0-9!_.*'()/-]*$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;
export const REPLAY_KEYS = ['maxConcurrency', 'batchFiles', 'trailBuckets', 'kmsKeyArn'] as const;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => JSON.stringify(v) ?? String(v);

/** `bucket` or `bucket/prefix`, or `s3://…` of either. */
export const parseTrailLocation = (text: string): TrailLocation | undefined => {
  const bare = text.startsWith('s3://') ? text.slice(5) : text;
  const slash = bare.indexOf('/');
  const bucket = slash === -1 ? bare : bare.slice(0, slash);
  const raw = slash === -1 ? '' : bare.slice(slash + 1);
  if (!BUCKET.test(bucket) || bucket.includes('..') || !PREFIX.test(raw) || raw.includes('*')) return undefined;
  return { bucket, prefix: raw === '' || raw.endsWith('/') ? raw : `${raw}/` };
};

export const parseReplayConfig = (v: unknown, at: (key: string, msg: string) => void): ReplayConfig => {
  if (v === undefined) return DEFAULT_REPLAY_CONFIG;
  if (!isRecord(v)) {
    at('replay', `must be {maxConcurrency?, batchFiles?, trailBuckets?, kmsKeyArn?} (got ${show(v)})`);
    return DEFAULT_REPLAY_CONFIG;
  }
  unknownKeys(v, REPLAY_KEYS, 'replay.', at);
  const whole = (key: keyof typeof REPLAY_LIMITS): number => {
    const { default: fallback, min, max } = REPLAY_LIMITS[key];
    const n = v[key];
    if (n === undefined) return fallback;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
      at(`replay.${key}`, `must be a whole number from ${min} to ${max} (got ${show(n)})`);
      return fallback;
    }
    return n;
  };
  const trailBuckets: TrailLocation[] = [];
  const raw = v.trailBuckets ?? [];
  if (!Array.isArray(raw))
    at('replay.trailBuckets', `must be a list of "bucket" or "bucket/prefix" (got ${show(raw)})`);
  else
    raw.forEach((s: unknown, i) => {
      const location = typeof s === 'string' ? parseTrailLocation(s) : undefined;
      if (location === undefined)
        at(`replay.trailBuckets[${i}]`, `must be "bucket" or "bucket/prefix", no wildcard (got ${show(s)})`);
      else trailBuckets.push(location);
    });
  const kms = v.kmsKeyArn;
  if (kms !== undefined && (typeof kms !== 'string' || !KMS_KEY_ARN.test(kms)))
    at('replay.kmsKeyArn', `must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>) (got ${show(kms)})`);
  return {
    maxConcurrency: whole('maxConcurrency'),
    batchFiles: whole('batchFiles'),
    trailBuckets,
    ...(typeof kms === 'string' && KMS_KEY_ARN.test(kms) ? { kmsKeyArn: kms } : {}),
  };
};
