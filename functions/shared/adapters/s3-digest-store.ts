import type { S3Client } from '@aws-sdk/client-s3';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { DigestEntry, DigestLink } from '../../../rules/core/digest.ts';
import { DIGEST_PREFIX } from '../../../rules/core/digest.ts';
import { EVIDENCE_PREFIXES, KEY_DAY_LOOKBACK_DAYS, sha256 } from '../../../rules/core/evidence.ts';
import type { DigestStore } from '../../../rules/core/ports.ts';
import { listPages } from './s3-list.ts';
import { isPreconditionFailed } from './s3-put-once.ts';

const DAY_MS = 86_400_000;
/** HeadObject calls in flight at once while listing a period. */
const CONCURRENCY = 16;
/**
 * An evidence key carries the day of the object's first event, not of the write: a late event, or a repeat
 * folded into a finding within its dedup window (at most a day), is written as a new revision under an earlier
 * day's prefix. Listing two days back catches those writes; LastModified still decides which period they belong to.
 */
const KEY_DAY_LOOKBACK_MS = KEY_DAY_LOOKBACK_DAYS * DAY_MS;

const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** `YYYY-MM-DD` of every UTC day `[startMs, endMs)` touches. */
const daysOf = (startMs: number, endMs: number): string[] => {
  const out: string[] = [];
  for (let ms = startMs - (startMs % DAY_MS); ms < endMs; ms += DAY_MS) out.push(day(ms));
  return out;
};

const isNotFound = (err: unknown): boolean => {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
};

/**
 * The digest function's view of the Object-Lock evidence bucket. Evidence of a period is found by listing the
 * `<prefix>dt=<day>/` prefixes (every `EVIDENCE_PREFIXES` prefix) of the day(s) it touches and keeping what was
 * last modified inside it. Each
 * object's hash is the full-object `ChecksumSHA256` S3 verified on arrival (HeadObject, checksum mode on); when
 * S3 has none (or only a multipart composite), the body is read and hashed.
 */
export const createS3DigestStore = (client: S3Client, bucket: string): DigestStore => {
  const putOnce = putOnceWith(client, bucket);
  const list = async (prefix: string, startAfter?: string) => {
    const out: { key: string; lastModified: number }[] = [];
    for await (const page of listPages(client, {
      Bucket: bucket,
      Prefix: prefix,
      ...(startAfter ? { StartAfter: startAfter } : {}),
    })) {
      for (const o of page.Contents ?? []) {
        if (o.Key !== undefined) out.push({ key: o.Key, lastModified: o.LastModified?.getTime() ?? Number.NaN });
      }
    }
    return out;
  };

  const read = async (key: string): Promise<Uint8Array> => {
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (got.Body === undefined) throw new Error(`s3://${bucket}/${key} has no body`);
    return got.Body.transformToByteArray();
  };

  const entryOf = async (key: string): Promise<DigestEntry> => {
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }));
    const stored = head.ChecksumSHA256;
    if (
      stored !== undefined &&
      !stored.includes('-') &&
      head.ChecksumType !== 'COMPOSITE' &&
      head.ContentLength !== undefined
    ) {
      const hex = Buffer.from(stored, 'base64').toString('hex');
      if (hex.length === 64) return { key, sha256: hex, size: head.ContentLength };
    }
    const bytes = await read(key);
    return { key, sha256: sha256(bytes).hex, size: bytes.byteLength };
  };

  return {
    listEvidence: async (startMs, endMs) => {
      const listed = (
        await Promise.all(
          EVIDENCE_PREFIXES.flatMap((prefix) =>
            daysOf(startMs - KEY_DAY_LOOKBACK_MS, endMs).map((d) => list(`${prefix}dt=${d}/`)),
          ),
        )
      )
        .flat()
        .filter((o) => o.lastModified >= startMs && o.lastModified < endMs);
      const entries: DigestEntry[] = [];
      for (let i = 0; i < listed.length; i += CONCURRENCY) {
        entries.push(...(await Promise.all(listed.slice(i, i + CONCURRENCY).map((o) => entryOf(o.key)))));
      }
      return entries;
    },

    previousDigest: async (beforeKey) => {
      // Usually in the same or the day before; otherwise (the function was off for a while) the whole prefix.
      const dayMatch = /dt=(\d{4}-\d{2}-\d{2})\//.exec(beforeKey);
      const latest = (keys: { key: string }[]) =>
        keys
          .map((o) => o.key)
          .filter((k) => k < beforeKey)
          .sort()
          .at(-1);
      let key: string | undefined;
      if (dayMatch?.[1] !== undefined) {
        const today = Date.parse(`${dayMatch[1]}T00:00:00Z`);
        const recent = await Promise.all([today - DAY_MS, today].map((ms) => list(`${DIGEST_PREFIX}dt=${day(ms)}/`)));
        key = latest(recent.flat());
      }
      key ??= latest(await list(DIGEST_PREFIX));
      if (key === undefined) return null;
      return { key, sha256: sha256(await read(key)).hex } satisfies DigestLink;
    },

    exists: async (key) => {
      try {
        await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return true;
      } catch (err) {
        if (isNotFound(err)) return false;
        throw err;
      }
    },

    putDigest: (key, body) => putOnce(key, body, 'application/json'),

    putPublicKey: async (key, pem) => {
      await putOnce(key, pem, 'application/x-pem-file');
    },
  };
};

/**
 * A write that never replaces: `IfNoneMatch: '*'` (which the bucket policy requires on every evidence prefix);
 * false when the key already exists. Only a conditional put is atomic here: S3 refuses the second writer.
 */
const putOnceWith =
  (client: S3Client, bucket: string) =>
  async (key: string, body: string, contentType: string): Promise<boolean> => {
    const hash = sha256(body);
    try {
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentType: contentType,
          ChecksumAlgorithm: 'SHA256',
          ChecksumSHA256: hash.base64,
          // Two runs for one hour: the second write is refused instead of adding a version.
          IfNoneMatch: '*',
          Metadata: { sha256: hash.hex },
        }),
      );
      return true;
    } catch (err) {
      if (isPreconditionFailed(err)) return false;
      throw err;
    }
  };
