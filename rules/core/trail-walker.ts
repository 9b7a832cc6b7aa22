import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, gunzipSync } from 'node:zlib';
import type { DigestKeyParts, DigestLogFile, TrailDigestDocument, TrailPublicKey } from './trail-digest.ts';
import { chainId, chainMismatch, digestFolder, parseDigestKey, validateDigest } from './trail-digest.ts';
import type { TrailProblem, TrailWhere } from './trail-integrity.ts';

/**
 * Validates a whole range of a trail bucket: every digest of every chain (account × region × trail) and every
 * log file they list, as `aws cloudtrail validate-logs` does, but with the downloads and hashes in parallel and
 * memory bounded by the concurrency (log files are streamed through gunzip and SHA-256, never held whole).
 * I/O only through the `TrailBucket` port; adapters for S3 and a local directory live outside rules/core.
 */

/** An object with its user metadata (S3 names without `x-amz-meta-`). */
export interface TrailObject {
  readonly bytes: Uint8Array;
  readonly metadata: Readonly<Record<string, string>>;
}

/** Read-only view of the trail bucket(s). Every method resolves `undefined` for a key that does not exist. */
export interface TrailBucket {
  /** Keys under `prefix` of `bucket` in ascending order, strictly after `startAfter` when given. */
  list(bucket: string, prefix: string, startAfter?: string): AsyncIterable<string>;
  /** The folders one level below `prefix` (S3 common prefixes with `/`), each ending in `/`. */
  folders(bucket: string, prefix: string): Promise<readonly string[]>;
  get(bucket: string, key: string): Promise<TrailObject | undefined>;
  /** The object's bytes as a stream (log files: gigabytes in total, never buffered whole). */
  stream(bucket: string, key: string): Promise<AsyncIterable<Uint8Array> | undefined>;
}

export interface WalkOptions {
  readonly bucket: string;
  /** Key prefix before `AWSLogs/` ('' for none), without a trailing slash. */
  readonly prefix: string;
  /** Digests whose end time lies in [fromMs, toMs + 1 h] (the AWS CLI's range: logs spill into the next hour). */
  readonly fromMs: number;
  readonly toMs: number;
  readonly account?: string;
  readonly region?: string;
  readonly keys: ReadonlyMap<string, TrailPublicKey>;
  /** Parallel log-file downloads (default 16); digests use a quarter of it. */
  readonly concurrency?: number;
  /**
   * The newest digest of a chain older than this past `asOfMs` is `delivery-stopped` (hourly digests: 1 h plus
   * the allowed lag). Undefined: not checked.
   */
  readonly stoppedAfterMs?: number;
  readonly asOfMs?: number;
  /** Hash the listed log files (default true); the scheduled catch-up checks only digests and their chain. */
  readonly checkLogs?: boolean;
}

export type WalkEvent =
  | { readonly kind: 'digest-valid'; readonly bucket: string; readonly key: string; readonly logFiles: number }
  | { readonly kind: 'log-valid'; readonly bucket: string; readonly key: string; readonly bytes: number }
  | { readonly kind: 'problem'; readonly problem: TrailProblem; readonly digestEndMs: number }
  /** A chain that starts (no previous digest) after a digest of the same chain: logging or validation was off. */
  | { readonly kind: 'chain-break'; readonly chain: string; readonly fromMs: number; readonly toMs: number };

export interface WalkSummary {
  readonly digests: { readonly valid: number; readonly invalid: number; readonly missing: number };
  readonly logs: { readonly valid: number; readonly invalid: number; readonly missing: number; readonly bytes: number };
  readonly chains: number;
  /** Span of the valid digests found (start of the oldest, end of the newest), if any. */
  readonly foundFromMs?: number;
  readonly foundToMs?: number;
}

export const HOUR_MS = 3_600_000;
export const DEFAULT_CONCURRENCY = 16;

/**
 * A fixed number of tasks in flight: `submit` waits for a free slot, starts the task and returns without
 * waiting for it, so a producer can never run ahead of the consumers (bounded memory).
 */
export const createPool = (size: number) => {
  let running = 0;
  const waiting: (() => void)[] = [];
  const idle: (() => void)[] = [];
  let failure: unknown;
  const release = () => {
    running--;
    const next = waiting.shift();
    if (next) next();
    else if (running === 0) for (const done of idle.splice(0)) done();
  };
  return {
    async submit(task: () => Promise<void>): Promise<void> {
      if (running >= size) await new Promise<void>((resolve) => waiting.push(resolve));
      running++;
      task()
        .catch((err: unknown) => {
          failure ??= err;
        })
        .finally(release);
    },
    /** Resolves when every submitted task has finished; rejects with the first task failure. */
    async drain(): Promise<void> {
      if (running > 0) await new Promise<void>((resolve) => idle.push(resolve));
      if (failure !== undefined) throw failure;
    },
  };
};

/** Hex SHA-256 of a gzip stream's uncompressed content, streamed. Rejects when the stream is not gzip. */
export const gunzipSha256 = async (source: AsyncIterable<Uint8Array>): Promise<{ hex: string; bytes: number }> => {
  const hash = createHash('sha256');
  let bytes = 0;
  await pipeline(
    // A Node stream (S3 body, file) is piped as it is; wrapping it again costs a copy per chunk.
    source instanceof Readable ? source : Readable.from(source, { objectMode: false }),
    createGunzip(),
    new Writable({
      write(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        bytes += chunk.length;
        done();
      },
    }),
  );
  return { hex: hash.digest('hex'), bytes };
};

interface Seen {
  readonly parts: DigestKeyParts;
  readonly ok: boolean;
  readonly signature?: string;
  readonly sha256?: string;
  readonly digest?: TrailDigestDocument;
}

const whereOf = (p: DigestKeyParts): TrailWhere => ({ account: p.account, region: p.region, trail: p.trailName });

/** The account folders under `AWSLogs/`: `123456789012/` or, for an organisation trail, `o-id/123456789012/`. */
const accountFolders = async (bucket: TrailBucket, name: string, base: string, account?: string) => {
  const out: string[] = [];
  for (const f of await bucket.folders(name, base)) {
    const leaf = f.slice(base.length, -1);
    if (/^o-[a-z0-9]{10,32}$/.test(leaf)) {
      for (const g of await bucket.folders(name, f)) {
        if (account === undefined || g.slice(f.length, -1) === account) out.push(g);
      }
    } else if (/^\d{12}$/.test(leaf) && (account === undefined || leaf === account)) {
      out.push(f);
    }
  }
  return out;
};

const dayFolder = (ms: number): string => new Date(ms).toISOString().slice(0, 10).replace(/-/g, '/');

/**
 * Walk the range: list the digests per region folder, validate each (signature, location, key), check each
 * digest's link to its previous one (missing → `digest-missing`, signature or hash differing → `digest-invalid`
 * reason `chain`), hash every listed log file, and flag chains whose newest digest is too old. Events stream to
 * `emit` as they are found; the summary counts them like the AWS CLI does.
 */
export const walkTrail = async (
  bucket: TrailBucket,
  options: WalkOptions,
  emit: (event: WalkEvent) => void,
): Promise<WalkSummary> => {
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
  const logPool = createPool(concurrency);
  const digestPool = createPool(Math.max(1, Math.floor(concurrency / 4)));
  const endMs = options.toMs + HOUR_MS;
  const counts = { dv: 0, di: 0, dm: 0, lv: 0, li: 0, lm: 0, bytes: 0 };
  let foundFromMs: number | undefined;
  let foundToMs: number | undefined;
  const problem = (p: TrailProblem, digestEndMs: number) => {
    if (p.kind === 'log-file-missing') counts.lm++;
    else if (p.kind === 'log-file-altered') counts.li++;
    else if (p.kind === 'digest-missing') counts.dm++;
    else if (p.kind !== 'delivery-stopped') counts.di++;
    emit({ kind: 'problem', problem: p, digestEndMs });
  };

  const checkLog = (where: TrailWhere, digestKey: string, digestEndMs: number, log: DigestLogFile) => async () => {
    const stream = await bucket.stream(log.s3Bucket, log.s3Object);
    if (stream === undefined) {
      problem({ ...where, kind: 'log-file-missing', bucket: log.s3Bucket, key: log.s3Object, digestKey }, digestEndMs);
      return;
    }
    let hashed: { hex: string; bytes: number };
    try {
      hashed = await gunzipSha256(stream);
    } catch {
      problem(
        {
          ...where,
          kind: 'log-file-altered',
          bucket: log.s3Bucket,
          key: log.s3Object,
          digestKey,
          expected: log.hashValue,
        },
        digestEndMs,
      );
      return;
    }
    counts.bytes += hashed.bytes;
    if (hashed.hex !== log.hashValue.toLowerCase()) {
      problem(
        {
          ...where,
          kind: 'log-file-altered',
          bucket: log.s3Bucket,
          key: log.s3Object,
          digestKey,
          expected: log.hashValue,
          actual: hashed.hex,
        },
        digestEndMs,
      );
      return;
    }
    counts.lv++;
    emit({ kind: 'log-valid', bucket: log.s3Bucket, key: log.s3Object, bytes: hashed.bytes });
  };

  /** Fetch and validate one digest; `undefined` when it does not exist. */
  const load = async (name: string, key: string, parts: DigestKeyParts): Promise<Seen | undefined> => {
    const object = await bucket.get(name, key);
    if (object === undefined) return undefined;
    const where = whereOf(parts);
    let uncompressed: Buffer;
    try {
      uncompressed = gunzipSync(object.bytes);
    } catch {
      problem(
        { ...where, kind: 'digest-invalid', bucket: name, key, reason: 'format', detail: 'invalid format (not gzip)' },
        parts.endMs,
      );
      return { parts, ok: false };
    }
    const verdict = validateDigest({ bucket: name, key, uncompressed, metadata: object.metadata, keys: options.keys });
    if (verdict.ok)
      return { parts, ok: true, signature: verdict.signature, sha256: verdict.sha256, digest: verdict.digest };
    const p = verdict.problem;
    problem(
      p.kind === 'digest-invalid'
        ? { ...where, kind: 'digest-invalid', bucket: name, key, reason: p.reason, detail: p.detail }
        : p.kind === 'digest-moved'
          ? {
              ...where,
              kind: 'digest-moved',
              bucket: name,
              key,
              claimedBucket: p.claimedBucket,
              claimedKey: p.claimedKey,
            }
          : { ...where, kind: 'unknown-key', bucket: name, key, fingerprint: p.fingerprint },
      parts.endMs,
    );
    return { parts, ok: false, ...(verdict.digest === undefined ? {} : { digest: verdict.digest }) };
  };

  const base = `${options.prefix === '' ? '' : `${options.prefix}/`}AWSLogs/`;
  let chainCount = 0;
  for (const accountFolder of await accountFolders(bucket, options.bucket, base, options.account)) {
    const regionsBase = `${accountFolder}CloudTrail-Digest/`;
    for (const regionFolder of await bucket.folders(options.bucket, regionsBase)) {
      const region = regionFolder.slice(regionsBase.length, -1);
      if (options.region !== undefined && region !== options.region) continue;
      // Digests of one region folder, grouped by chain; a chain's keys are few (24 a day), its log files many.
      const chains = new Map<string, { key: string; parts: DigestKeyParts }[]>();
      const lastDay = dayFolder(endMs);
      for await (const key of bucket.list(
        options.bucket,
        regionFolder,
        `${regionFolder}${dayFolder(options.fromMs - 60_000)}`,
      )) {
        if (key.slice(regionFolder.length, regionFolder.length + 10) > lastDay) break;
        const parts = parseDigestKey(key);
        if (parts === undefined || digestFolder(parts) !== regionFolder) continue;
        if (parts.endMs < options.fromMs || parts.endMs > endMs) continue;
        const id = chainId(parts);
        const list = chains.get(id) ?? [];
        list.push({ key, parts });
        chains.set(id, list);
      }
      for (const [id, listed] of chains) {
        chainCount++;
        listed.sort((a, b) => a.parts.endMs - b.parts.endMs || (a.key < b.key ? -1 : 1));
        const seen = new Map<string, Seen>();
        for (const { key, parts } of listed) {
          await digestPool.submit(async () => {
            const s = await load(options.bucket, key, parts);
            // Listed a moment ago and gone now: deleted while we looked; the next digest's link names it.
            if (s === undefined) return;
            seen.set(key, s);
            if (!s.ok || s.digest === undefined) return;
            counts.dv++;
            const start = Date.parse(s.digest.digestStartTime);
            foundFromMs = Math.min(foundFromMs ?? start, start);
            foundToMs = Math.max(foundToMs ?? parts.endMs, parts.endMs);
            emit({ kind: 'digest-valid', bucket: options.bucket, key, logFiles: s.digest.logFiles.length });
            if (options.checkLogs === false) return;
            for (const log of s.digest.logFiles) await logPool.submit(checkLog(whereOf(parts), key, parts.endMs, log));
          });
        }
        await digestPool.drain();

        // Links, newest first as the AWS CLI walks them.
        const newestFirst = [...listed].reverse();
        for (const [i, { key, parts }] of newestFirst.entries()) {
          const s = seen.get(key);
          // An invalid digest that still parses is followed too, for existence only: its links prove nothing,
          // but a deletion right behind a forged or unsigned digest must not hide behind it.
          if (s?.digest === undefined) continue;
          const d = s.digest;
          const where = whereOf(parts);
          if (d.previousDigestS3Object === null || d.previousDigestS3Bucket === null) {
            const older = newestFirst[i + 1];
            if (s.ok && older !== undefined && !parts.backfill) {
              emit({ kind: 'chain-break', chain: id, fromMs: older.parts.endMs, toMs: Date.parse(d.digestStartTime) });
            }
            continue;
          }
          const prevBucket = d.previousDigestS3Bucket;
          const prevKey = d.previousDigestS3Object;
          let prev = prevBucket === options.bucket ? seen.get(prevKey) : undefined;
          if (prev === undefined) {
            // Not validated above (before the range, or deleted): fetching it tells which.
            prev = await load(prevBucket, prevKey, parseDigestKey(prevKey) ?? parts);
            if (prev === undefined) {
              problem(
                { ...where, kind: 'digest-missing', bucket: prevBucket, key: prevKey, referencedBy: key },
                parts.endMs,
              );
              continue;
            }
          }
          if (!s.ok || !prev.ok || prev.signature === undefined || prev.sha256 === undefined) continue;
          const why = chainMismatch(d, { signature: prev.signature, sha256: prev.sha256 });
          if (why !== undefined) {
            problem(
              { ...where, kind: 'digest-invalid', bucket: options.bucket, key, reason: 'chain', detail: why },
              parts.endMs,
            );
          }
        }

        // The newest regular digest must be recent: deleting the newest digests leaves no link to notice them by.
        const newest = listed.filter((l) => !l.parts.backfill).at(-1);
        if (newest !== undefined && options.stoppedAfterMs !== undefined) {
          const asOf = options.asOfMs ?? options.toMs;
          if (asOf - newest.parts.endMs > options.stoppedAfterMs) {
            problem(
              {
                ...whereOf(newest.parts),
                kind: 'delivery-stopped',
                bucket: options.bucket,
                key: newest.key,
                newestEndMs: newest.parts.endMs,
                asOfMs: asOf,
                allowedMs: options.stoppedAfterMs,
              },
              newest.parts.endMs,
            );
          }
        }
      }
    }
  }
  await logPool.drain();
  return {
    digests: { valid: counts.dv, invalid: counts.di, missing: counts.dm },
    logs: { valid: counts.lv, invalid: counts.li, missing: counts.lm, bytes: counts.bytes },
    chains: chainCount,
    ...(foundFromMs === undefined ? {} : { foundFromMs }),
    ...(foundToMs === undefined ? {} : { foundToMs }),
  };
};
