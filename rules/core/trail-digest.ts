import { createHash, createPublicKey, verify } from 'node:crypto';

/**
 * CloudTrail log-file integrity (A.8.15): CloudTrail writes, per account, region and trail, an hourly digest file
 * listing the SHA-256 of every log file it delivered in that hour, RSA-signed and chained to the previous digest.
 * This module validates ONE digest the way `aws cloudtrail validate-logs` does
 * (awscli/customizations/cloudtrail/validation.py): same key layout, same signing string, same checks, plus the
 * chain links the CLI leaves implicit (the previous digest's signature and hash must be the ones this digest
 * names). Pure: bytes, metadata and keys in, problems out; no SDK, no I/O.
 */

/** One log file as a digest lists it. */
export interface DigestLogFile {
  readonly s3Bucket: string;
  readonly s3Object: string;
  /** Hex SHA-256 of the UNCOMPRESSED log file. */
  readonly hashValue: string;
  readonly hashAlgorithm: string;
  readonly newestEventTime?: string | null;
  readonly oldestEventTime?: string | null;
}

/** A digest file's JSON (the fields validation reads; CloudTrail writes a few more). */
export interface TrailDigestDocument {
  readonly awsAccountId?: string;
  readonly digestStartTime: string;
  readonly digestEndTime: string;
  readonly digestS3Bucket: string;
  readonly digestS3Object: string;
  readonly digestPublicKeyFingerprint: string;
  readonly digestSignatureAlgorithm?: string;
  readonly newestEventTime?: string | null;
  readonly oldestEventTime?: string | null;
  readonly previousDigestS3Bucket: string | null;
  readonly previousDigestS3Object: string | null;
  readonly previousDigestHashValue: string | null;
  readonly previousDigestHashAlgorithm?: string | null;
  readonly previousDigestSignature: string | null;
  readonly logFiles: readonly DigestLogFile[];
}

/** A CloudTrail public key as `cloudtrail:ListPublicKeys` (or `aws cloudtrail list-public-keys`) returns it. */
export interface TrailPublicKey {
  /** Hex fingerprint the digest names in `digestPublicKeyFingerprint`. */
  readonly fingerprint: string;
  /** DER of the PKCS#1 RSAPublicKey. */
  readonly der: Uint8Array;
  readonly validityStartMs?: number;
  readonly validityEndMs?: number;
}

/** Where a digest sits: the chain it belongs to, parsed from its S3 key. */
export interface DigestKeyParts {
  /** Everything before `AWSLogs/` without the trailing slash ('' when the trail has no prefix). */
  readonly prefix: string;
  readonly organizationId?: string;
  readonly account: string;
  /** The region whose activity the digest covers. */
  readonly region: string;
  readonly trailName: string;
  readonly homeRegion: string;
  /** `yyyymmddThhmmssZ`: the digest's end time as CloudTrail names it. */
  readonly stamp: string;
  readonly endMs: number;
  /** `_backfill` digests re-list log files a regular digest missed; they are not in the hourly chain. */
  readonly backfill: boolean;
}

const REGION = '[a-z]{2}(?:-[a-z]+)+-\\d+';
// AWSLogs/[o-id/]account/CloudTrail-Digest/region/yyyy/mm/dd/account_CloudTrail-Digest_region_trail_home_stamp[_backfill].json.gz
const DIGEST_KEY = new RegExp(
  `^(?:(.*)/)?AWSLogs/(?:(o-[a-z0-9]{10,32})/)?(\\d{12})/CloudTrail-Digest/(${REGION})/(\\d{4})/(\\d{2})/(\\d{2})/` +
    `(\\d{12})_CloudTrail-Digest_(${REGION})_(.+)_(${REGION})_(\\d{8}T\\d{6}Z)(_backfill)?\\.json\\.gz$`,
);

/** `20261102T150131Z` → epoch ms, or undefined. */
export const parseStamp = (stamp: string): number | undefined => {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(stamp);
  if (m === null) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  return Number.isNaN(ms) ? undefined : ms;
};

/** epoch ms → `20261102T150131Z`. */
export const formatStamp = (ms: number): string => `${new Date(ms).toISOString().replace(/[-:]/g, '').slice(0, 15)}Z`;

/** The parts of a digest key, or undefined when the key is not a CloudTrail digest key. */
export const parseDigestKey = (key: string): DigestKeyParts | undefined => {
  const m = DIGEST_KEY.exec(key);
  if (m === null) return undefined;
  const [, prefix, org, account, region, yyyy, mm, dd, account2, region2, trailName, homeRegion, stamp, backfill] = m;
  // Stryker disable ConditionalExpression,LogicalOperator,BlockStatement: these groups are not optional in DIGEST_KEY, so after a match none is undefined; the guard only narrows the type
  if (
    account === undefined ||
    region === undefined ||
    trailName === undefined ||
    homeRegion === undefined ||
    stamp === undefined
  ) {
    return undefined;
  }
  // Stryker restore ConditionalExpression,LogicalOperator,BlockStatement
  if (account2 !== account || region2 !== region) return undefined;
  // The folder is the digest's end date: a key whose folder and name disagree was not written by CloudTrail.
  if (`${yyyy}${mm}${dd}` !== stamp.slice(0, 8)) return undefined;
  const endMs = parseStamp(stamp);
  // Stryker disable next-line ConditionalExpression: DIGEST_KEY admits only 8+6 digit stamps, which Date.UTC always maps to a finite time; the guard only narrows the type
  if (endMs === undefined) return undefined;
  return {
    prefix: prefix ?? '',
    ...(org === undefined ? {} : { organizationId: org }),
    account,
    region,
    trailName,
    homeRegion,
    stamp,
    endMs,
    backfill: backfill !== undefined,
  };
};

/** The folder holding one account+region's digests: `[prefix/]AWSLogs/[o-id/]account/CloudTrail-Digest/region/`. */
export const digestFolder = (p: Pick<DigestKeyParts, 'prefix' | 'organizationId' | 'account' | 'region'>): string =>
  `${p.prefix === '' ? '' : `${p.prefix}/`}AWSLogs/${p.organizationId === undefined ? '' : `${p.organizationId}/`}${p.account}/CloudTrail-Digest/${p.region}/`;

/** The key CloudTrail writes a digest under (what `_create_digest_key` of the AWS CLI computes). */
export const digestKey = (p: Omit<DigestKeyParts, 'stamp' | 'backfill'> & { readonly backfill?: boolean }): string => {
  const stamp = formatStamp(p.endMs);
  const day = `${stamp.slice(0, 4)}/${stamp.slice(4, 6)}/${stamp.slice(6, 8)}`;
  return `${digestFolder(p)}${day}/${p.account}_CloudTrail-Digest_${p.region}_${p.trailName}_${p.homeRegion}_${stamp}${p.backfill === true ? '_backfill' : ''}.json.gz`;
};

/** Which chain a digest belongs to: one per account, region, trail and home region (and backfill apart). */
export const chainId = (p: DigestKeyParts): string =>
  `${digestFolder(p)}${p.trailName}_${p.homeRegion}${p.backfill ? '_backfill' : ''}`;

/** Hex SHA-256. */
export const sha256Hex = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

/**
 * The string CloudTrail signs (validation.py `_create_string_to_sign`): end time, `bucket/key` of the digest, hex
 * SHA-256 of the uncompressed digest, the previous digest's signature or `null` for the first of a chain.
 */
export const signingString = (
  digest: Pick<TrailDigestDocument, 'digestEndTime' | 'digestS3Bucket' | 'digestS3Object' | 'previousDigestSignature'>,
  uncompressed: Uint8Array,
): string =>
  `${digest.digestEndTime}\n${digest.digestS3Bucket}/${digest.digestS3Object}\n${sha256Hex(uncompressed)}\n${digest.previousDigestSignature ?? 'null'}`;

/** Why a digest is not valid. Every variant names the digest's key; the rule it maps to is in trail-integrity.ts. */
export type DigestProblem =
  | { readonly kind: 'digest-invalid'; readonly reason: DigestInvalidReason; readonly detail: string }
  | { readonly kind: 'digest-moved'; readonly claimedBucket: string; readonly claimedKey: string }
  | { readonly kind: 'unknown-key'; readonly fingerprint: string };

export type DigestInvalidReason = 'format' | 'unsigned' | 'algorithm' | 'signature' | 'key-unusable' | 'chain';

export type DigestVerdict =
  | { readonly ok: true; readonly digest: TrailDigestDocument; readonly sha256: string; readonly signature: string }
  | { readonly ok: false; readonly problem: DigestProblem; readonly digest?: TrailDigestDocument };

const isString = (v: unknown): v is string => typeof v === 'string';
const isStringOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';
const isIsoTime = (v: unknown): v is string => isString(v) && !Number.isNaN(Date.parse(v));

const isLogFile = (v: unknown): v is DigestLogFile => {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return isString(o.s3Bucket) && isString(o.s3Object) && isString(o.hashValue) && isString(o.hashAlgorithm);
};

/** The JSON of an uncompressed digest, shape-checked: a field validation needs that is missing is a format error. */
export const parseDigestDocument = (
  uncompressed: Uint8Array,
): { readonly ok: true; readonly digest: TrailDigestDocument } | { readonly ok: false; readonly error: string } => {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(uncompressed).toString('utf8'));
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { ok: false, error: 'not an object' };
  const o = json as Record<string, unknown>;
  // validation.py required_digest_keys, plus what this module reads.
  const required: readonly [string, (v: unknown) => boolean][] = [
    ['digestPublicKeyFingerprint', isString],
    ['digestS3Bucket', isString],
    ['digestS3Object', isString],
    ['previousDigestSignature', isStringOrNull],
    ['digestEndTime', isIsoTime],
    ['digestStartTime', isIsoTime],
  ];
  for (const [field, check] of required) {
    if (!Object.hasOwn(o, field) || !check(o[field])) return { ok: false, error: `${field} missing or malformed` };
  }
  const logFiles = o.logFiles ?? [];
  if (!Array.isArray(logFiles) || !logFiles.every(isLogFile)) return { ok: false, error: 'logFiles malformed' };
  for (const field of ['previousDigestS3Bucket', 'previousDigestS3Object', 'previousDigestHashValue'] as const) {
    if (o[field] !== undefined && !isStringOrNull(o[field])) return { ok: false, error: `${field} malformed` };
  }
  return {
    ok: true,
    digest: {
      ...(o as unknown as TrailDigestDocument),
      previousDigestS3Bucket: (o.previousDigestS3Bucket as string | null | undefined) ?? null,
      previousDigestS3Object: (o.previousDigestS3Object as string | null | undefined) ?? null,
      previousDigestHashValue: (o.previousDigestHashValue as string | null | undefined) ?? null,
      logFiles,
    },
  };
};

/** S3 returns user metadata without `x-amz-meta-`; accept either spelling, any case. */
export const metadataValue = (metadata: Readonly<Record<string, string>>, name: string): string | undefined => {
  const wanted = [name, `x-amz-meta-${name}`];
  for (const [k, v] of Object.entries(metadata)) if (wanted.includes(k.toLowerCase())) return v;
  return undefined;
};

export const SIGNATURE_ALGORITHM = 'SHA256withRSA';

export interface DigestInput {
  readonly bucket: string;
  readonly key: string;
  /** The digest object exactly as stored, gunzipped by the caller (a gzip failure is a `format` problem there). */
  readonly uncompressed: Uint8Array;
  /** The object's user metadata: `signature` (hex) and `signature-algorithm`. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Fingerprint → key. */
  readonly keys: ReadonlyMap<string, TrailPublicKey>;
}

const HEX = /^[0-9a-f]+$/i;

/**
 * One digest, validated in the AWS CLI's order: format, signature metadata present, not moved, key known,
 * SHA256withRSA signature over the signing string. Invalid input never throws.
 */
export const validateDigest = (input: DigestInput): DigestVerdict => {
  const parsed = parseDigestDocument(input.uncompressed);
  if (!parsed.ok) return { ok: false, problem: { kind: 'digest-invalid', reason: 'format', detail: parsed.error } };
  const digest = parsed.digest;
  const fail = (problem: DigestProblem): DigestVerdict => ({ ok: false, problem, digest });
  const signature = metadataValue(input.metadata, 'signature');
  const algorithm = metadataValue(input.metadata, 'signature-algorithm');
  if (signature === undefined || algorithm === undefined) {
    return fail({ kind: 'digest-invalid', reason: 'unsigned', detail: 'no signature in the object metadata' });
  }
  // A digest copied elsewhere keeps its signed location: the copy is not evidence for where it now sits.
  if (digest.digestS3Bucket !== input.bucket || digest.digestS3Object !== input.key) {
    return fail({ kind: 'digest-moved', claimedBucket: digest.digestS3Bucket, claimedKey: digest.digestS3Object });
  }
  const publicKey = input.keys.get(digest.digestPublicKeyFingerprint);
  if (publicKey === undefined) return fail({ kind: 'unknown-key', fingerprint: digest.digestPublicKeyFingerprint });
  if (algorithm !== SIGNATURE_ALGORITHM) {
    return fail({ kind: 'digest-invalid', reason: 'algorithm', detail: `signature algorithm ${algorithm}` });
  }
  if (!HEX.test(signature) || signature.length % 2 !== 0) {
    return fail({ kind: 'digest-invalid', reason: 'signature', detail: 'signature is not hex' });
  }
  let key: ReturnType<typeof createPublicKey>;
  try {
    key = createPublicKey({ key: Buffer.from(publicKey.der), format: 'der', type: 'pkcs1' });
  } catch {
    return fail({
      kind: 'digest-invalid',
      reason: 'key-unusable',
      detail: `unable to load PKCS #1 key with fingerprint ${publicKey.fingerprint}`,
    });
  }
  // Stryker disable next-line StringLiteral: Buffer.from treats an empty encoding as its default, utf8
  const toSign = Buffer.from(signingString(digest, input.uncompressed), 'utf8');
  let good = false;
  try {
    good = verify('sha256', toSign, key, Buffer.from(signature, 'hex'));
  } catch {
    // A verify that throws leaves `good` false: the digest is refused, the walk goes on.
  }
  if (!good) return fail({ kind: 'digest-invalid', reason: 'signature', detail: 'signature verification failed' });
  return { ok: true, digest, sha256: sha256Hex(input.uncompressed), signature: signature.toLowerCase() };
};

/**
 * Whether `previous` is the digest `digest` chains to: its signature and hash are the ones the later digest
 * signed over. Undefined when it is; otherwise why not.
 */
export const chainMismatch = (
  digest: Pick<TrailDigestDocument, 'previousDigestSignature' | 'previousDigestHashValue'>,
  previous: { readonly signature: string; readonly sha256: string },
): string | undefined => {
  // A digest naming no previous signature chains to no digest (not even one with an empty signature).
  if (digest.previousDigestSignature === null || digest.previousDigestSignature.toLowerCase() !== previous.signature) {
    return 'previousDigestSignature is not the signature of the previous digest';
  }
  if (digest.previousDigestHashValue !== null && digest.previousDigestHashValue.toLowerCase() !== previous.sha256) {
    return 'previousDigestHashValue is not the SHA-256 of the previous digest';
  }
  return undefined;
};

/** Parse `aws cloudtrail list-public-keys` output (`PublicKeyList[]` with base64 DER `Value`). */
export const parsePublicKeyList = (
  json: unknown,
): { readonly ok: true; readonly keys: readonly TrailPublicKey[] } | { readonly ok: false; readonly error: string } => {
  const list = (json as { PublicKeyList?: unknown } | null)?.PublicKeyList;
  if (!Array.isArray(list)) return { ok: false, error: 'expected {"PublicKeyList": [...]}' };
  const keys: TrailPublicKey[] = [];
  for (const [i, entry] of list.entries()) {
    const e = (entry ?? {}) as Record<string, unknown>;
    const value = e.Value;
    const fingerprint = e.Fingerprint;
    if (typeof value !== 'string' || typeof fingerprint !== 'string') {
      return { ok: false, error: `PublicKeyList[${i}] needs Value and Fingerprint strings` };
    }
    const der = Buffer.from(value, 'base64');
    if (der.length === 0) return { ok: false, error: `PublicKeyList[${i}].Value is not base64` };
    const start = typeof e.ValidityStartTime === 'string' ? Date.parse(e.ValidityStartTime) : Number.NaN;
    const end = typeof e.ValidityEndTime === 'string' ? Date.parse(e.ValidityEndTime) : Number.NaN;
    keys.push({
      fingerprint,
      der,
      ...(Number.isNaN(start) ? {} : { validityStartMs: start }),
      ...(Number.isNaN(end) ? {} : { validityEndMs: end }),
    });
  }
  return { ok: true, keys };
};
