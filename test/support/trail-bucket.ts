import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DIR_METADATA_SUFFIX } from '../../cli/trail-dir-bucket.ts';
import type { TrailPublicKey } from '../../rules/core/trail-digest.ts';
import { digestKey, formatStamp, sha256Hex, signingString } from '../../rules/core/trail-digest.ts';
import type { TrailBucket, TrailObject } from '../../rules/core/trail-walker.ts';

/**
 * A realistic CloudTrail bucket, built the way CloudTrail writes it: gzip log files under
 * `AWSLogs/<account>/CloudTrail/<region>/yyyy/mm/dd/`, one digest per hour under `CloudTrail-Digest/`, each
 * signed SHA256withRSA over the AWS signing string with a generated 2048-bit key, chained to the previous digest,
 * signature and algorithm in the object metadata. One hour has no log files (an empty digest), one log file is
 * delivered late and listed by a `_backfill` digest.
 */

export interface StoredTrailObject {
  bytes: Uint8Array;
  metadata: Record<string, string>;
}

export interface TrailKeyPair {
  readonly privateKeyPem: string;
  readonly publicKey: TrailPublicKey;
  /** `aws cloudtrail list-public-keys` entry for this key. */
  readonly listEntry: { Value: string; Fingerprint: string; ValidityStartTime: string; ValidityEndTime: string };
}

export const makeTrailKey = (): TrailKeyPair => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const der = publicKey.export({ format: 'der', type: 'pkcs1' });
  const fingerprint = createHash('md5').update(der).digest('hex');
  return {
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKey: { fingerprint, der },
    listEntry: {
      Value: der.toString('base64'),
      Fingerprint: fingerprint,
      ValidityStartTime: '2026-01-01T00:00:00Z',
      ValidityEndTime: '2027-01-01T00:00:00Z',
    },
  };
};

export interface TrailSpec {
  readonly bucket: string;
  readonly prefix?: string;
  readonly organizationId?: string;
  readonly account?: string;
  readonly region?: string;
  readonly trail?: string;
  /** End time of the first digest. */
  readonly startMs: number;
  readonly hours: number;
  readonly logsPerHour?: number;
  /** Records per log file (size of each). */
  readonly recordsPerLog?: number;
  /** Zero-based hour whose digest lists no log file. Default 2; -1 for none. */
  readonly emptyHour?: number;
  /** Add a backfill digest listing one late log file (default true). */
  readonly backfill?: boolean;
  /**
   * The n-th log file's content (gzip bytes and the hex SHA-256 of what they inflate to), instead of generated
   * records: the bench lists real-sized CloudTrail-like files.
   */
  readonly logContent?: (n: number) => { readonly gzipped: Uint8Array; readonly sha256: string };
}

export interface Trail {
  readonly objects: Map<string, StoredTrailObject>;
  readonly digestKeys: readonly string[];
  readonly logKeys: readonly string[];
  readonly backfillKey?: string;
  readonly key: TrailKeyPair;
  readonly spec: Required<Omit<TrailSpec, 'organizationId' | 'logContent'>> & { readonly organizationId?: string };
}

const iso = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19)}Z`;
const gz = (text: string): Uint8Array => gzipSync(Buffer.from(text, 'utf8'));

const logKeyFor = (s: { prefix: string; organizationId?: string; account: string; region: string }, ms: number) => {
  const stamp = formatStamp(ms).slice(0, 13); // yyyymmddThhmm
  const day = `${stamp.slice(0, 4)}/${stamp.slice(4, 6)}/${stamp.slice(6, 8)}`;
  const suffix = randomBytes(12).toString('base64url').slice(0, 16);
  return `${s.prefix === '' ? '' : `${s.prefix}/`}AWSLogs/${s.organizationId === undefined ? '' : `${s.organizationId}/`}${s.account}/CloudTrail/${s.region}/${day}/${s.account}_CloudTrail_${s.region}_${stamp}Z_${suffix}.json.gz`;
};

const record = (account: string, region: string, ms: number, i: number) => ({
  eventVersion: '1.09',
  userIdentity: { type: 'IAMUser', accountId: account, arn: `arn:aws:iam::${account}:user/alice`, userName: 'alice' },
  eventTime: iso(ms),
  eventSource: 's3.amazonaws.com',
  eventName: 'ListBuckets',
  awsRegion: region,
  sourceIPAddress: '203.0.113.10',
  userAgent: 'aws-cli/2.15.0',
  requestParameters: null,
  responseElements: null,
  requestID: `REQ${ms}${i}`,
  eventID: `00000000-0000-4000-8000-${String(ms % 1e12).padStart(12, '0')}`.slice(0, 36),
  readOnly: true,
  eventType: 'AwsApiCall',
  managementEvent: true,
  recipientAccountId: account,
  eventCategory: 'Management',
});

/** Sign a digest document as CloudTrail does and return the stored object. */
export const signDigest = (
  doc: Record<string, unknown>,
  key: TrailKeyPair,
): { object: StoredTrailObject; signature: string; sha256: string } => {
  const text = JSON.stringify(doc);
  const uncompressed = Buffer.from(text, 'utf8');
  const toSign = signingString(
    doc as {
      digestEndTime: string;
      digestS3Bucket: string;
      digestS3Object: string;
      previousDigestSignature: string | null;
    },
    uncompressed,
  );
  const signature = sign('sha256', Buffer.from(toSign, 'utf8'), key.privateKeyPem).toString('hex');
  return {
    object: { bytes: gzipSync(uncompressed), metadata: { signature, 'signature-algorithm': 'SHA256withRSA' } },
    signature,
    sha256: sha256Hex(uncompressed),
  };
};

export const buildTrail = (input: TrailSpec, key: TrailKeyPair = makeTrailKey()): Trail => {
  const spec = {
    prefix: '',
    account: '111122223333',
    region: 'eu-west-1',
    trail: 'management',
    logsPerHour: 3,
    recordsPerLog: 5,
    emptyHour: 2,
    backfill: true,
    ...input,
  };
  const where = {
    prefix: spec.prefix,
    account: spec.account,
    region: spec.region,
    ...(spec.organizationId ? { organizationId: spec.organizationId } : {}),
  };
  const objects = new Map<string, StoredTrailObject>();
  const digestKeys: string[] = [];
  const logKeys: string[] = [];
  let previous: { key: string; signature: string; sha256: string } | undefined;
  const logFile = (ms: number, n: number) => {
    const given = input.logContent?.(logKeys.length);
    let content: { gzipped: Uint8Array; sha256: string };
    if (given === undefined) {
      const body = JSON.stringify({
        Records: Array.from({ length: n }, (_, i) => record(spec.account, spec.region, ms + i * 1000, i)),
      });
      content = { gzipped: gz(body), sha256: sha256Hex(body) };
    } else content = given;
    const k = logKeyFor(where, ms);
    objects.set(k, { bytes: content.gzipped, metadata: {} });
    logKeys.push(k);
    return {
      s3Bucket: spec.bucket,
      s3Object: k,
      hashValue: content.sha256,
      hashAlgorithm: 'SHA-256',
      newestEventTime: iso(ms + (n - 1) * 1000),
      oldestEventTime: iso(ms),
    };
  };
  let late: ReturnType<typeof logFile> | undefined;
  for (let h = 0; h < spec.hours; h++) {
    const endMs = spec.startMs + h * 3_600_000;
    const startMs = endMs - 3_600_000;
    const logs =
      h === spec.emptyHour
        ? []
        : Array.from({ length: spec.logsPerHour }, (_, i) => logFile(startMs + (i + 1) * 300_000, spec.recordsPerLog));
    if (spec.backfill && h === 1) late = logFile(startMs + 3_000_000, spec.recordsPerLog);
    const k = digestKey({ ...where, trailName: spec.trail, homeRegion: spec.region, endMs });
    const doc = {
      awsAccountId: spec.account,
      digestStartTime: iso(startMs),
      digestEndTime: iso(endMs),
      digestS3Bucket: spec.bucket,
      digestS3Object: k,
      digestPublicKeyFingerprint: key.publicKey.fingerprint,
      digestSignatureAlgorithm: 'SHA256withRSA',
      newestEventTime: logs.at(-1)?.newestEventTime ?? null,
      oldestEventTime: logs[0]?.oldestEventTime ?? null,
      previousDigestS3Bucket: previous === undefined ? null : spec.bucket,
      previousDigestS3Object: previous?.key ?? null,
      previousDigestHashValue: previous?.sha256 ?? null,
      previousDigestHashAlgorithm: previous === undefined ? null : 'SHA-256',
      previousDigestSignature: previous?.signature ?? null,
      logFiles: logs,
    };
    const signed = signDigest(doc, key);
    objects.set(k, signed.object);
    digestKeys.push(k);
    previous = { key: k, signature: signed.signature, sha256: signed.sha256 };
  }
  let backfillKey: string | undefined;
  if (late !== undefined) {
    // CloudTrail lists a log file it was late to digest in a `_backfill` digest, outside the hourly chain.
    const endMs = spec.startMs + 3_600_000 + 1_800_000;
    backfillKey = digestKey({ ...where, trailName: spec.trail, homeRegion: spec.region, endMs, backfill: true });
    const signed = signDigest(
      {
        awsAccountId: spec.account,
        digestStartTime: iso(endMs - 3_600_000),
        digestEndTime: iso(endMs),
        digestS3Bucket: spec.bucket,
        digestS3Object: backfillKey,
        digestPublicKeyFingerprint: key.publicKey.fingerprint,
        digestSignatureAlgorithm: 'SHA256withRSA',
        newestEventTime: late.newestEventTime,
        oldestEventTime: late.oldestEventTime,
        previousDigestS3Bucket: null,
        previousDigestS3Object: null,
        previousDigestHashValue: null,
        previousDigestHashAlgorithm: null,
        previousDigestSignature: null,
        logFiles: [late],
      },
      key,
    );
    objects.set(backfillKey, signed.object);
  }
  const { logContent: _content, ...plainSpec } = spec;
  return { objects, digestKeys, logKeys, ...(backfillKey ? { backfillKey } : {}), key, spec: plainSpec };
};

/** The digest document stored under `key` (for tampering). */
export const readDigestDoc = (trail: Trail, key: string): Record<string, unknown> => {
  const o = trail.objects.get(key);
  if (o === undefined) throw new Error(`no object ${key}`);
  return JSON.parse(gunzipSync(o.bytes).toString('utf8')) as Record<string, unknown>;
};

/** An in-memory TrailBucket over the map (one bucket). */
export const memoryTrailBucket = (bucketName: string, objects: Map<string, StoredTrailObject>): TrailBucket => ({
  async *list(bucket, prefix, startAfter) {
    if (bucket !== bucketName) return;
    const keys = [...objects.keys()]
      .filter((k) => k.startsWith(prefix) && (startAfter === undefined || k > startAfter))
      .sort();
    yield* keys;
  },
  async folders(bucket, prefix) {
    if (bucket !== bucketName) return [];
    const out = new Set<string>();
    for (const k of objects.keys()) {
      if (!k.startsWith(prefix)) continue;
      const slash = k.indexOf('/', prefix.length);
      if (slash >= 0) out.add(k.slice(0, slash + 1));
    }
    return [...out].sort();
  },
  async get(bucket, key): Promise<TrailObject | undefined> {
    const o = bucket === bucketName ? objects.get(key) : undefined;
    return o === undefined ? undefined : { bytes: o.bytes, metadata: { ...o.metadata } };
  },
  async stream(bucket, key) {
    const o = bucket === bucketName ? objects.get(key) : undefined;
    if (o === undefined) return undefined;
    const bytes = o.bytes;
    return (async function* () {
      for (let i = 0; i < bytes.length; i += 4096) yield bytes.subarray(i, i + 4096);
    })();
  },
});

/** Upload to S3 (s3rver) as CloudTrail does: metadata as x-amz-meta-*. */
export const uploadTrail = async (client: S3Client, bucket: string, objects: Map<string, StoredTrailObject>) => {
  for (const [key, o] of objects) {
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: o.bytes,
        Metadata: o.metadata,
        ContentType: 'application/json',
      }),
    );
  }
};

/** Write the bucket to a directory, digests' metadata in sidecar files (the documented local layout). */
export const writeTrailDir = (dir: string, objects: Map<string, StoredTrailObject>) => {
  for (const [key, o] of objects) {
    const path = join(dir, ...key.split('/'));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, o.bytes);
    if (Object.keys(o.metadata).length > 0) writeFileSync(`${path}${DIR_METADATA_SUFFIX}`, JSON.stringify(o.metadata));
  }
};
