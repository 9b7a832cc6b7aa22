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
 * Output chunk of the streaming gunzip. zlib's default (16 KiB) costs one threadpool round trip and one
 * stream callback per 16 KiB of output, and CloudTrail logs inflate about tenfold: at 256 KiB the CPU per
 * validated MB fell by about 40 % on the bench trail, while memory per file in flight stays at a few chunks.
 */
export const GUNZIP_CHUNK = 256 * 1024;

/**
 * At most `size` tasks run at once; `run` queues the rest in order. The caller bounds how many it queues
 * (the ordered output below does), so the queue holds closures, never data.
 */
export const createLimiter = (size: number) => {
  let running = 0;
  const waiting: (() => void)[] = [];
  return {
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (running >= size) await new Promise<void>((resolve) => waiting.push(resolve));
      running++;
      try {
        return await task();
      } finally {
        running--;
        waiting.shift()?.();
      }
    },
  };
};

/**
 * Events leave in the walk's logical order whatever the concurrency: work is queued in that order and each
 * piece's events are emitted once everything queued before it has been. `push` waits while more than `window`
 * pieces are unfinished or waiting for their turn, so one slow file holds up new work instead of letting
 * finished results (or queued tasks) pile up: memory stays bounded by the window, not by the number of files.
 */
export const createOrderedOutput = (window: number, emit: (event: WalkEvent) => void) => {
  interface Slot {
    done: boolean;
    events: readonly WalkEvent[];
    error?: { readonly cause: unknown };
  }
  const slots: Slot[] = [];
  const roomWaiters: (() => void)[] = [];
  let failure: { readonly cause: unknown } | undefined;
  const pump = () => {
    for (let head = slots[0]; head?.done === true; head = slots[0]) {
      slots.shift();
      // The first failure is kept (a piece without one leaves it as it is).
      failure ??= head.error;
      // After a failure nothing more is emitted: the walk is abandoned, and half an answer must not look whole.
      if (failure === undefined) for (const e of head.events) emit(e);
    }
    while (roomWaiters.length > 0 && (slots.length <= window || failure !== undefined)) roomWaiters.shift()?.();
  };
  const check = () => {
    if (failure !== undefined) throw failure.cause;
  };
  return {
    /** Queue a piece of work's events (a promise: the work may still be running). */
    async push(events: readonly WalkEvent[] | Promise<readonly WalkEvent[]>): Promise<void> {
      check();
      // Stryker disable next-line ObjectLiteral,ArrayDeclaration: a slot's events are read only once it is done, and both are set together; a slot without `done` reads as not done
      const slot: Slot = { done: false, events: [] };
      slots.push(slot);
      Promise.resolve(events).then(
        (list) => {
          slot.events = list;
          slot.done = true;
          pump();
        },
        (err: unknown) => {
          slot.error = { cause: err };
          slot.done = true;
          pump();
        },
      );
      if (slots.length > window) await new Promise<void>((resolve) => roomWaiters.push(resolve));
      check();
    },
    /** Resolves when every queued piece has been emitted; rejects with the first failure. */
    async finish(): Promise<void> {
      while (slots.length > 0 && failure === undefined) {
        await new Promise<void>((resolve) => roomWaiters.push(resolve));
        // Woken when room appears; keep waiting until the queue is empty.
      }
      check();
    },
  };
};

/** A gzip stream that does not inflate (bad header, bad data, truncated): the file is not what was written. */
export class NotGzipError extends Error {}

/**
 * Hex SHA-256 of a gzip stream's uncompressed content, streamed chunk by chunk (inflate on the libuv
 * threadpool, hash on the calling thread). Rejects with `NotGzipError` when the content does not inflate; any
 * other failure (a read error, a dropped connection) rejects as it is, so it is never mistaken for tampering.
 */
export const gunzipSha256 = async (source: AsyncIterable<Uint8Array>): Promise<{ hex: string; bytes: number }> => {
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    await pipeline(
      // A Node stream (S3 body, file) is piped as it is; wrapping it again costs a copy per chunk.
      // Stryker disable next-line ConditionalExpression,ObjectLiteral,BooleanLiteral: only the cost differs: pipeline reads a Readable or an async iterable alike, wrapped or not, in object mode or not
      source instanceof Readable ? source : Readable.from(source, { objectMode: false }),
      // Stryker disable next-line ObjectLiteral: only the cost differs: zlib's default chunk inflates to the same bytes
      createGunzip({ chunkSize: GUNZIP_CHUNK }),
      new Writable({
        highWaterMark: GUNZIP_CHUNK,
        write(chunk: Buffer, _enc, done) {
          hash.update(chunk);
          bytes += chunk.length;
          done();
        },
      }),
    );
  } catch (err) {
    // Stryker disable next-line OptionalChaining: pipeline never rejects with null or undefined (a nullish error resolves it)
    const code = (err as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && code.startsWith('Z_')) throw new NotGzipError(String(code), { cause: err });
    throw err;
  }
  return { hex: hash.digest('hex'), bytes };
};

/** A digest as the link check needs it: valid with its signature and hash, or invalid (parsed when it could be). */
type Seen =
  | { readonly ok: true; readonly signature: string; readonly sha256: string; readonly digest: TrailDigestDocument }
  | { readonly ok: false; readonly digest?: TrailDigestDocument };

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
 * reason `chain`), hash every listed log file, and flag chains whose newest digest is too old. Digests load a
 * few ahead while log files hash, all in parallel, but events reach `emit` in one fixed order whatever the
 * concurrency: per chain (account, region, trail), each digest oldest first followed by its log files as it lists
 * them, then the chain's links newest first (as the AWS CLI walks them), then whether delivery stopped. The
 * summary counts them like the AWS CLI does.
 */
export const walkTrail = async (
  bucket: TrailBucket,
  options: WalkOptions,
  emit: (event: WalkEvent) => void,
): Promise<WalkSummary> => {
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
  const logLimit = createLimiter(concurrency);
  const digestLimit = createLimiter(Math.max(1, Math.floor(concurrency / 4)));
  // Digests fetched ahead of the one being expanded into log files: enough to keep the digest slots busy.
  const digestLookahead = Math.max(2, Math.floor(concurrency / 2));
  // Pieces of work queued or finished but not yet emitted: a few bytes each, so generous; see createOrderedOutput.
  const out = createOrderedOutput(Math.max(256, concurrency * 16), emit);
  const endMs = options.toMs + HOUR_MS;
  const counts = { dv: 0, di: 0, dm: 0, lv: 0, li: 0, lm: 0, bytes: 0 };
  let foundFromMs: number | undefined;
  let foundToMs: number | undefined;
  const problem = (p: TrailProblem, digestEndMs: number): WalkEvent => {
    if (p.kind === 'log-file-missing') counts.lm++;
    else if (p.kind === 'log-file-altered') counts.li++;
    else if (p.kind === 'digest-missing') counts.dm++;
    else if (p.kind !== 'delivery-stopped') counts.di++;
    return { kind: 'problem', problem: p, digestEndMs };
  };

  const checkLog =
    (where: TrailWhere, digestKey: string, digestEndMs: number, log: DigestLogFile) =>
    async (): Promise<readonly WalkEvent[]> => {
      const stream = await bucket.stream(log.s3Bucket, log.s3Object);
      if (stream === undefined) {
        return [
          problem(
            { ...where, kind: 'log-file-missing', bucket: log.s3Bucket, key: log.s3Object, digestKey },
            digestEndMs,
          ),
        ];
      }
      let hashed: { hex: string; bytes: number };
      try {
        hashed = await gunzipSha256(stream);
      } catch (err) {
        if (!(err instanceof NotGzipError)) throw err;
        return [
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
          ),
        ];
      }
      counts.bytes += hashed.bytes;
      if (hashed.hex !== log.hashValue.toLowerCase()) {
        return [
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
          ),
        ];
      }
      counts.lv++;
      return [{ kind: 'log-valid', bucket: log.s3Bucket, key: log.s3Object, bytes: hashed.bytes }];
    };

  /** Fetch and validate one digest; `seen` undefined when it does not exist. */
  const load = async (
    name: string,
    key: string,
    parts: DigestKeyParts,
  ): Promise<{ seen?: Seen; events: readonly WalkEvent[] }> => {
    const object = await bucket.get(name, key);
    if (object === undefined) return { events: [] };
    const where = whereOf(parts);
    let uncompressed: Buffer;
    try {
      uncompressed = gunzipSync(object.bytes);
    } catch {
      return {
        // Stryker disable next-line ObjectLiteral: an object without `ok` reads as not valid, as `ok: false` does
        seen: { ok: false },
        events: [
          problem(
            {
              ...where,
              kind: 'digest-invalid',
              bucket: name,
              key,
              reason: 'format',
              detail: 'invalid format (not gzip)',
            },
            parts.endMs,
          ),
        ],
      };
    }
    const verdict = validateDigest({ bucket: name, key, uncompressed, metadata: object.metadata, keys: options.keys });
    if (verdict.ok)
      return {
        seen: { ok: true, signature: verdict.signature, sha256: verdict.sha256, digest: verdict.digest },
        events: [],
      };
    const p = verdict.problem;
    const event = problem(
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
    return {
      seen: { ok: false, ...(verdict.digest === undefined ? {} : { digest: verdict.digest }) },
      events: [event],
    };
  };

  /** What the link check needs of a digest once its log files are queued: not the list of log files. */
  const withoutLogs = (s: Seen): Seen =>
    // Stryker disable next-line ConditionalExpression,ArrayDeclaration: memory only: the link check never reads logFiles, so a digest kept whole (or its list filled) gives the same results
    s.digest === undefined ? s : { ...s, digest: { ...s.digest, logFiles: [] } };

  const walkChain = async (id: string, listed: readonly { key: string; parts: DigestKeyParts }[]) => {
    const seen = new Map<string, Seen>();
    const loads = new Map<number, Promise<{ seen?: Seen; events: readonly WalkEvent[] }>>();
    /** The load of the i-th listed digest, started now unless it already was. */
    const loadAt = (i: number, next: { key: string; parts: DigestKeyParts }) => {
      let loading = loads.get(i);
      if (loading === undefined) {
        loading = digestLimit.run(() => load(options.bucket, next.key, next.parts));
        // Awaited in turn below; until then a rejection must not count as unhandled.
        loading.catch(() => {});
        loads.set(i, loading);
      }
      return loading;
    };
    for (const [i, entry] of listed.entries()) {
      const { key, parts } = entry;
      const loading = loadAt(i, entry);
      // The next few start loading meanwhile (the limiter bounds how many read at once).
      for (const [k, next] of listed.slice(i + 1, i + 1 + digestLookahead).entries()) loadAt(i + 1 + k, next);
      loads.delete(i);
      const { seen: s, events } = await loading;
      await out.push(events);
      // Listed a moment ago and gone now: deleted while we looked; the next digest's link names it.
      if (s === undefined) continue;
      seen.set(key, withoutLogs(s));
      if (!s.ok) continue;
      counts.dv++;
      const start = Date.parse(s.digest.digestStartTime);
      foundFromMs = Math.min(foundFromMs ?? start, start);
      foundToMs = Math.max(foundToMs ?? parts.endMs, parts.endMs);
      await out.push([{ kind: 'digest-valid', bucket: options.bucket, key, logFiles: s.digest.logFiles.length }]);
      if (options.checkLogs === false) continue;
      const where = whereOf(parts);
      for (const log of s.digest.logFiles) await out.push(logLimit.run(checkLog(where, key, parts.endMs, log)));
    }

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
          await out.push([
            { kind: 'chain-break', chain: id, fromMs: older.parts.endMs, toMs: Date.parse(d.digestStartTime) },
          ]);
        }
        continue;
      }
      const prevBucket = d.previousDigestS3Bucket;
      const prevKey = d.previousDigestS3Object;
      let prev = prevBucket === options.bucket ? seen.get(prevKey) : undefined;
      if (prev === undefined) {
        // Not validated above (before the range, or deleted): fetching it tells which.
        const fetched = await load(prevBucket, prevKey, parseDigestKey(prevKey) ?? parts);
        await out.push(fetched.events);
        prev = fetched.seen;
        if (prev === undefined) {
          await out.push([
            problem(
              { ...where, kind: 'digest-missing', bucket: prevBucket, key: prevKey, referencedBy: key },
              parts.endMs,
            ),
          ]);
          continue;
        }
      }
      if (!s.ok || !prev.ok) continue;
      const why = chainMismatch(d, { signature: prev.signature, sha256: prev.sha256 });
      if (why !== undefined) {
        await out.push([
          problem(
            { ...where, kind: 'digest-invalid', bucket: options.bucket, key, reason: 'chain', detail: why },
            parts.endMs,
          ),
        ]);
      }
    }

    // The newest regular digest must be recent: deleting the newest digests leaves no link to notice them by.
    const newest = listed.filter((l) => !l.parts.backfill).at(-1);
    // No allowed lag: no delivery is ever too old.
    const allowedMs = options.stoppedAfterMs ?? Number.POSITIVE_INFINITY;
    if (newest !== undefined) {
      const asOf = options.asOfMs ?? options.toMs;
      if (asOf - newest.parts.endMs > allowedMs) {
        await out.push([
          problem(
            {
              ...whereOf(newest.parts),
              kind: 'delivery-stopped',
              bucket: options.bucket,
              key: newest.key,
              newestEndMs: newest.parts.endMs,
              asOfMs: asOf,
              allowedMs,
            },
            newest.parts.endMs,
          ),
        ]);
      }
    }
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
        // Within a chain the key is fixed by the end time (folder, names and stamp), so no two share one.
        listed.sort((a, b) => a.parts.endMs - b.parts.endMs);
        await walkChain(id, listed);
      }
    }
  }
  await out.finish();
  return {
    digests: { valid: counts.dv, invalid: counts.di, missing: counts.dm },
    logs: { valid: counts.lv, invalid: counts.li, missing: counts.lm, bytes: counts.bytes },
    chains: chainCount,
    ...(foundFromMs === undefined ? {} : { foundFromMs }),
    ...(foundToMs === undefined ? {} : { foundToMs }),
  };
};
