import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TrailPublicKey } from '../../../rules/core/trail-digest.ts';
import { chainId, parseDigestKey, sha256Hex } from '../../../rules/core/trail-digest.ts';
import type { TrailBucket, WalkEvent, WalkOptions } from '../../../rules/core/trail-walker.ts';
import {
  createLimiter,
  createOrderedOutput,
  GUNZIP_CHUNK,
  gunzipSha256,
  HOUR_MS,
  NotGzipError,
  walkTrail,
} from '../../../rules/core/trail-walker.ts';
import type { StoredTrailObject, Trail, TrailKeyPair } from '../../support/trail-bucket.ts';
import { buildTrail, makeTrailKey, memoryTrailBucket, readDigestDoc, signDigest } from '../../support/trail-bucket.ts';

/**
 * walkTrail at the edges trail-integrity.test.ts leaves open: the range bounds, the account and region filters,
 * delivery-stopped's clock and bound, chain breaks, digests that are not gzip, links into another bucket or
 * before the range, the summary's counts and span, and a walk that checks digests only.
 */
const BUCKET = 'trail-bucket';
const START = Date.UTC(2026, 10, 2, 1, 0, 7);
const HOURS = 6;
const LAST = START + (HOURS - 1) * HOUR_MS;

let key: TrailKeyPair;
beforeAll(() => {
  key = makeTrailKey();
});

const fresh = (spec: Partial<Parameters<typeof buildTrail>[0]> = {}): Trail =>
  buildTrail({ bucket: BUCKET, startMs: START, hours: HOURS, ...spec }, key);

const keysOf = (k: TrailPublicKey) => new Map([[k.fingerprint, k]]);

const walk = async (
  objects: Map<string, StoredTrailObject>,
  options: Partial<WalkOptions> = {},
  bucket: TrailBucket = memoryTrailBucket(BUCKET, objects),
) => {
  const events: WalkEvent[] = [];
  const summary = await walkTrail(
    bucket,
    { bucket: BUCKET, prefix: '', fromMs: START - HOUR_MS, toMs: LAST, keys: keysOf(key.publicKey), ...options },
    (e) => events.push(e),
  );
  const problems = events.flatMap((e) => (e.kind === 'problem' ? [e] : []));
  return { summary, events, problems };
};

/** The digest at `k` re-signed (with the trail key) after `change`. */
const resign = (trail: Trail, k: string, change: (d: Record<string, unknown>) => Record<string, unknown>) => {
  trail.objects.set(k, signDigest(change(readDigestDoc(trail, k)), key).object);
};

const validDigests = (events: readonly WalkEvent[]) =>
  events.flatMap((e) => (e.kind === 'digest-valid' ? [e.key] : []));

describe('range, filters and summary', () => {
  it('validates digests ending in [from, to + 1 h], both bounds included', async () => {
    const trail = fresh();
    const { events, summary } = await walk(trail.objects, { fromMs: START + HOUR_MS, toMs: START + 2 * HOUR_MS });
    // Hourly digests 1, 2 and 3 (ends at to + 1 h exactly), and the backfill digest ending at 1.5 h.
    expect(validDigests(events).sort()).toEqual(
      [trail.digestKeys[1], trail.digestKeys[2], trail.digestKeys[3], trail.backfillKey].sort(),
    );
    expect(summary.digests).toEqual({ valid: 4, invalid: 0, missing: 0 });
  });

  it('summarises the span found, the log bytes hashed, and each log file with its size', async () => {
    const trail = fresh();
    const { summary, events } = await walk(trail.objects);
    expect(summary.foundFromMs).toBe(START - HOUR_MS);
    expect(summary.foundToMs).toBe(LAST);
    const logs = events.flatMap((e) => (e.kind === 'log-valid' ? [e] : []));
    expect(logs).toHaveLength(trail.logKeys.length);
    for (const l of logs) expect(l.bytes).toBeGreaterThan(100);
    expect(summary.logs.bytes).toBe(logs.reduce((n, l) => n + l.bytes, 0));
    expect(summary.logs).toMatchObject({ valid: trail.logKeys.length, invalid: 0, missing: 0 });

    const later = await walk(trail.objects, { fromMs: START + 3 * HOUR_MS });
    expect(later.summary.foundFromMs).toBe(START + 2 * HOUR_MS);
    expect(later.summary.foundToMs).toBe(LAST);
  });

  it('an empty range finds nothing and has no span', async () => {
    const trail = fresh();
    const { summary, events } = await walk(trail.objects, { fromMs: LAST + 5 * HOUR_MS, toMs: LAST + 6 * HOUR_MS });
    expect(events).toEqual([]);
    expect(summary).toStrictEqual({
      digests: { valid: 0, invalid: 0, missing: 0 },
      logs: { valid: 0, invalid: 0, missing: 0, bytes: 0 },
      chains: 0,
    });
  });

  it('filters an account trail by account and by region', async () => {
    const trail = fresh();
    expect((await walk(trail.objects, { account: '444455556666' })).summary.chains).toBe(0);
    expect((await walk(trail.objects, { region: 'eu-west-2' })).summary.chains).toBe(0);
    const both = await walk(trail.objects, { account: '111122223333', region: 'eu-west-1' });
    expect(both.summary.chains).toBe(2);
    expect(both.summary.digests.valid).toBe(HOURS + 1);
  });

  it('checks digests and their chain only when asked not to hash log files', async () => {
    const trail = fresh();
    trail.objects.delete(trail.logKeys[0] ?? '');
    const { summary, events } = await walk(trail.objects, { checkLogs: false });
    expect(events.filter((e) => e.kind !== 'digest-valid')).toEqual([]);
    expect(summary.digests.valid).toBe(HOURS + 1);
    expect(summary.logs).toEqual({ valid: 0, invalid: 0, missing: 0, bytes: 0 });
  });
});

describe('delivery stopped', () => {
  const newest = START + (HOURS - 2) * HOUR_MS;
  const stopped = (events: readonly WalkEvent[]) =>
    events.flatMap((e) => (e.kind === 'problem' && e.problem.kind === 'delivery-stopped' ? [e] : []));

  it('is judged at --to when no as-of time is given, and only beyond the allowed lag', async () => {
    const trail = fresh();
    trail.objects.delete(trail.digestKeys.at(-1) ?? '');
    // The newest left ends one hour before `toMs`.
    expect(stopped((await walk(trail.objects, { stoppedAfterMs: HOUR_MS })).events)).toEqual([]);
    const late = await walk(trail.objects, { stoppedAfterMs: HOUR_MS - 1 });
    expect(stopped(late.events)).toEqual([
      {
        kind: 'problem',
        digestEndMs: newest,
        problem: {
          account: '111122223333',
          region: 'eu-west-1',
          trail: 'management',
          kind: 'delivery-stopped',
          bucket: BUCKET,
          key: trail.digestKeys.at(-2),
          newestEndMs: newest,
          asOfMs: LAST,
          allowedMs: HOUR_MS - 1,
        },
      },
    ]);
    // Not an invalid digest: the counts stay clean.
    expect(late.summary.digests).toEqual({ valid: HOURS, invalid: 0, missing: 0 });
  });

  it('is not checked without an allowed lag', async () => {
    const trail = fresh();
    const { problems } = await walk(trail.objects, { asOfMs: LAST + 100 * HOUR_MS });
    expect(problems).toEqual([]);
  });
});

describe('links', () => {
  it('a chain that restarts (no previous digest) after a digest of it is a chain break; the first is not', async () => {
    const a = fresh({ hours: 3 });
    const b = buildTrail({ bucket: BUCKET, startMs: START + 4 * HOUR_MS, hours: 2, emptyHour: -1 }, key);
    const objects = new Map([...a.objects, ...b.objects]);
    const { events, problems } = await walk(objects);
    const parts = parseDigestKey(b.digestKeys[0] ?? '');
    if (parts === undefined) throw new Error('key');
    expect(events.filter((e) => e.kind === 'chain-break')).toEqual([
      { kind: 'chain-break', chain: chainId(parts), fromMs: START + 2 * HOUR_MS, toMs: START + 3 * HOUR_MS },
    ]);
    expect(problems).toEqual([]);
  });

  it('an invalid digest that starts a chain, or a backfill digest, is no chain break', async () => {
    const a = fresh({ hours: 3 });
    // b's backfill digest has no previous either, after a's in the same backfill chain.
    const b = buildTrail({ bucket: BUCKET, startMs: START + 4 * HOUR_MS, hours: 2, emptyHour: -1 }, key);
    const objects = new Map([...a.objects, ...b.objects]);
    const restart = b.digestKeys[0] ?? '';
    const o = objects.get(restart);
    if (o === undefined) throw new Error('no digest');
    objects.set(restart, { ...o, metadata: {} });
    const { events, problems } = await walk(objects);
    expect(events.filter((e) => e.kind === 'chain-break')).toEqual([]);
    expect(problems.map((p) => [p.problem.kind, p.problem.key])).toEqual([['digest-invalid', restart]]);
  });

  it('a previous digest named in another bucket is looked up there, and missing there', async () => {
    const trail = fresh();
    // The newest digest: no later one chains to its new signature.
    const k = trail.digestKeys[5] ?? '';
    resign(trail, k, (d) => ({ ...d, previousDigestS3Bucket: 'other-bucket' }));
    const { problems, summary } = await walk(trail.objects);
    expect(problems).toEqual([
      {
        kind: 'problem',
        digestEndMs: LAST,
        problem: {
          account: '111122223333',
          region: 'eu-west-1',
          trail: 'management',
          kind: 'digest-missing',
          bucket: 'other-bucket',
          key: trail.digestKeys[4],
          referencedBy: k,
        },
      },
    ]);
    expect(summary.digests.missing).toBe(1);
  });

  it('a previous digest before the range is fetched and judged: its problem is reported at its own time', async () => {
    const trail = fresh();
    const before = trail.digestKeys[2] ?? '';
    const o = trail.objects.get(before);
    if (o === undefined) throw new Error('no digest');
    trail.objects.set(before, { ...o, metadata: {} });
    const { problems } = await walk(trail.objects, { fromMs: START + 3 * HOUR_MS });
    expect(problems).toEqual([
      expect.objectContaining({
        digestEndMs: START + 2 * HOUR_MS,
        problem: expect.objectContaining({ kind: 'digest-invalid', reason: 'unsigned', key: before }),
      }),
    ]);
  });

  it('a digest that is not gzip is an invalid digest, counted, and its successor is not blamed', async () => {
    const trail = fresh();
    const k = trail.digestKeys[2] ?? '';
    const o = trail.objects.get(k);
    if (o === undefined) throw new Error('no digest');
    trail.objects.set(k, { ...o, bytes: Buffer.from(JSON.stringify(readDigestDoc(trail, k))) });
    const { problems, summary } = await walk(trail.objects);
    expect(problems).toEqual([
      {
        kind: 'problem',
        digestEndMs: START + 2 * HOUR_MS,
        problem: {
          account: '111122223333',
          region: 'eu-west-1',
          trail: 'management',
          kind: 'digest-invalid',
          bucket: BUCKET,
          key: k,
          reason: 'format',
          detail: 'invalid format (not gzip)',
        },
      },
    ]);
    expect(summary.digests).toEqual({ valid: HOURS, invalid: 1, missing: 0 });
  });

  it('moved and unknown-key digests are counted invalid, each with its own details', async () => {
    const trail = fresh();
    const moved = trail.digestKeys[1] ?? '';
    resign(trail, moved, (d) => ({ ...d, digestS3Object: `${moved}.orig` }));
    const foreign = makeTrailKey();
    const unknown = trail.digestKeys[4] ?? '';
    resign(trail, unknown, (d) => ({ ...d, digestPublicKeyFingerprint: foreign.publicKey.fingerprint }));
    const { problems, summary } = await walk(trail.objects);
    expect(problems.map((p) => p.problem)).toEqual([
      {
        account: '111122223333',
        region: 'eu-west-1',
        trail: 'management',
        kind: 'digest-moved',
        bucket: BUCKET,
        key: moved,
        claimedBucket: BUCKET,
        claimedKey: `${moved}.orig`,
      },
      {
        account: '111122223333',
        region: 'eu-west-1',
        trail: 'management',
        kind: 'unknown-key',
        bucket: BUCKET,
        key: unknown,
        fingerprint: foreign.publicKey.fingerprint,
      },
    ]);
    expect(summary.digests).toEqual({ valid: HOURS - 1, invalid: 2, missing: 0 });
  });
});

describe('log files', () => {
  it('a log file that is not gzip is altered with no actual hash; a differing one names both hashes', async () => {
    const trail = fresh();
    const [plain, swapped] = [trail.logKeys[0] ?? '', trail.logKeys[1] ?? ''];
    trail.objects.set(plain, { bytes: Buffer.from('{"Records":[]}'), metadata: {} });
    const body = '{"Records":[{"eventName":"Forged"}]}';
    trail.objects.set(swapped, { bytes: gzipSync(body), metadata: {} });
    const { problems, summary } = await walk(trail.objects);
    const listed = readDigestDoc(trail, trail.digestKeys[0] ?? '').logFiles as { hashValue: string }[];
    expect(problems.map((p) => p.problem)).toEqual([
      {
        account: '111122223333',
        region: 'eu-west-1',
        trail: 'management',
        kind: 'log-file-altered',
        bucket: BUCKET,
        key: plain,
        digestKey: trail.digestKeys[0],
        expected: listed[0]?.hashValue,
      },
      {
        account: '111122223333',
        region: 'eu-west-1',
        trail: 'management',
        kind: 'log-file-altered',
        bucket: BUCKET,
        key: swapped,
        digestKey: trail.digestKeys[0],
        expected: listed[1]?.hashValue,
        actual: sha256Hex(body),
      },
    ]);
    expect(problems.map((p) => p.digestEndMs)).toEqual([START, START]);
    expect(summary.logs).toMatchObject({ valid: trail.logKeys.length - 2, invalid: 2, missing: 0 });
  });

  it('a listed hash in upper case still matches', async () => {
    const trail = fresh();
    const k = trail.digestKeys[0] ?? '';
    resign(trail, k, (d) => ({
      ...d,
      logFiles: (d.logFiles as { hashValue: string }[]).map((l) => ({ ...l, hashValue: l.hashValue.toUpperCase() })),
    }));
    // Digest 1 chains to the re-signed digest 0 by its old signature: that link is reported, nothing else.
    const { problems, summary } = await walk(trail.objects);
    expect(problems.map((p) => [p.problem.kind, p.problem.key])).toEqual([['digest-invalid', trail.digestKeys[1]]]);
    expect(summary.logs).toMatchObject({ valid: trail.logKeys.length, invalid: 0, missing: 0 });
  });
});

/** The memory bucket with every read slowed a little, counting the reads in flight at once. */
const metered = (objects: Map<string, StoredTrailObject>) => {
  const base = memoryTrailBucket(BUCKET, objects);
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const peak = { gets: 0, streams: 0 };
  let gets = 0;
  let streams = 0;
  const bucket: TrailBucket = {
    ...base,
    async get(b, k) {
      gets++;
      peak.gets = Math.max(peak.gets, gets);
      try {
        await pause(5);
        return await base.get(b, k);
      } finally {
        gets--;
      }
    },
    async stream(b, k) {
      streams++;
      peak.streams = Math.max(peak.streams, streams);
      const body = await base.stream(b, k);
      if (body === undefined) {
        streams--;
        return undefined;
      }
      return (async function* () {
        try {
          await pause(5);
          yield* body;
        } finally {
          streams--;
        }
      })();
    },
  };
  return { bucket, peak };
};

describe('concurrency bounds', () => {
  it('downloads at most `concurrency` log files and a quarter as many digests at once, in parallel', async () => {
    const trail = fresh({ hours: 8, logsPerHour: 6 });
    const { bucket, peak } = metered(trail.objects);
    const { summary } = await walk(trail.objects, { toMs: START + 7 * HOUR_MS, concurrency: 8 }, bucket);
    expect(summary.logs.valid).toBe(trail.logKeys.length);
    expect(peak.streams).toBeLessThanOrEqual(8);
    expect(peak.streams).toBeGreaterThan(4);
    expect(peak.gets).toBe(2);
  });

  it('defaults to 16 log files at once', async () => {
    const trail = fresh({ hours: 8, logsPerHour: 6 });
    const { bucket, peak } = metered(trail.objects);
    await walk(trail.objects, { toMs: START + 7 * HOUR_MS }, bucket);
    expect(peak.streams).toBeLessThanOrEqual(16);
    expect(peak.streams).toBeGreaterThan(8);
    expect(peak.gets).toBe(4);
  });

  it('a concurrency below one still walks, one read at a time', async () => {
    const trail = fresh();
    const { bucket, peak } = metered(trail.objects);
    const { summary } = await walk(trail.objects, { concurrency: 0 }, bucket);
    expect(summary.digests.valid).toBe(HOURS + 1);
    expect(peak).toEqual({ gets: 1, streams: 1 });
  });
});

/** A promise settled from outside, for pieces of work that finish when the test says so. */
const deferred = <T>() => {
  let resolve: (value: T) => void = () => {};
  let reject: (err: unknown) => void = () => {};
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

/** Whether `p` settles within a few event-loop turns (a waiter that is never woken does not). */
const settlesSoon = async (p: Promise<unknown>): Promise<boolean> => {
  let settled = false;
  p.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  await new Promise((r) => setTimeout(r, 20));
  return settled;
};

describe('ordered output at its bounds', () => {
  const valid = (k: string): WalkEvent => ({ kind: 'log-valid', bucket: BUCKET, key: k, bytes: 1 });

  it('lets the producer on as soon as no more than `window` pieces remain, not one later', async () => {
    const out = createOrderedOutput(2, () => {});
    const head = deferred<readonly WalkEvent[]>();
    const second = deferred<readonly WalkEvent[]>();
    await out.push(head.promise);
    // Exactly `window` pieces waiting: no hold yet.
    expect(await settlesSoon(out.push(second.promise))).toBe(true);
    const third = out.push([valid('third')]);
    expect(await settlesSoon(third)).toBe(false);
    head.resolve([valid('head')]);
    // `second` and `third` remain: two, the window, so the producer goes on.
    expect(await settlesSoon(third)).toBe(true);
    second.resolve([valid('second')]);
    await out.finish();
  });

  it('a failure wakes every held producer at once, however many pieces are still unfinished', async () => {
    const seen: string[] = [];
    const out = createOrderedOutput(1, (e) => seen.push(e.kind === 'log-valid' ? e.key : e.kind));
    const head = deferred<readonly WalkEvent[]>();
    await out.push(head.promise);
    // Two more, both held: one never finishes, so only the failure can let them go.
    const stuck = out.push(new Promise<readonly WalkEvent[]>(() => {}));
    const done = out.push([valid('done')]);
    const boom = new Error('boom');
    head.reject(boom);
    // Every waiter fails with the piece's own error, not a stand-in.
    await expect(stuck).rejects.toBe(boom);
    await expect(done).rejects.toBe(boom);
    await expect(out.finish()).rejects.toBe(boom);
    // And a later push is refused before it is queued.
    await expect(out.push([valid('late')])).rejects.toBe(boom);
    expect(seen).toEqual([]);
  });

  it('a piece already finished behind a failed one is never emitted', async () => {
    const seen: string[] = [];
    const out = createOrderedOutput(8, (e) => seen.push(e.kind === 'log-valid' ? e.key : e.kind));
    const head = deferred<readonly WalkEvent[]>();
    await out.push([valid('before')]);
    await out.push(head.promise);
    await out.push([valid('after')]);
    // `after` has finished and waits only for `head`, which fails.
    await new Promise((r) => setTimeout(r, 5));
    expect(seen).toEqual(['before']);
    head.reject(new Error('boom'));
    await expect(out.finish()).rejects.toThrow('boom');
    expect(seen).toEqual(['before']);
  });

  it('finish resolves at once with nothing queued, and after the last piece otherwise', async () => {
    const seen: string[] = [];
    const out = createOrderedOutput(4, (e) => seen.push(e.kind === 'log-valid' ? e.key : e.kind));
    expect(await settlesSoon(out.finish())).toBe(true);
    const last = deferred<readonly WalkEvent[]>();
    await out.push([valid('a')]);
    await out.push(last.promise);
    const finishing = out.finish();
    expect(await settlesSoon(finishing)).toBe(false);
    last.resolve([valid('b')]);
    await finishing;
    expect(seen).toEqual(['a', 'b']);
  });

  it('the limiter starts a queued task as soon as a running one ends, even after a failure', async () => {
    const limit = createLimiter(1);
    const order: string[] = [];
    const first = limit.run(async () => {
      order.push('first');
      throw new Error('first failed');
    });
    const second = limit.run(async () => {
      order.push('second');
      return 2;
    });
    await expect(first).rejects.toThrow('first failed');
    expect(await second).toBe(2);
    expect(order).toEqual(['first', 'second']);
  });
});

describe('gunzipSha256', () => {
  // Larger than one gunzip output chunk, and incompressible enough to span several input chunks too.
  const body = Buffer.from(
    Array.from({ length: 40_000 }, (_, i) => `{"n":${i},"h":"${sha256Hex(String(i)).slice(0, 8)}"}`).join('\n'),
  );
  const zipped = gzipSync(body);
  const chunks = async function* (bytes: Uint8Array, size: number) {
    for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
  };

  it('hashes and counts the inflated bytes, from an async iterable or a Node stream alike', async () => {
    expect(body.length).toBeGreaterThan(2 * GUNZIP_CHUNK);
    const expected = { hex: sha256Hex(body), bytes: body.length };
    expect(await gunzipSha256(chunks(zipped, 1000))).toEqual(expected);
    expect(await gunzipSha256(Readable.from([zipped]))).toEqual(expected);
    expect(await gunzipSha256(chunks(gzipSync(Buffer.alloc(0)), 7))).toEqual({ hex: sha256Hex(''), bytes: 0 });
  });

  it('content that does not inflate is a NotGzipError naming the zlib code, with the cause kept', async () => {
    for (const bad of [Buffer.from('{"Records":[]}'), zipped.subarray(0, zipped.length - 100)]) {
      const err = await gunzipSha256(chunks(bad, 64)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NotGzipError);
      expect((err as Error).message).toMatch(/^Z_[A-Z_]+$/);
      expect((err as Error).cause).toMatchObject({ code: (err as Error).message });
    }
  });

  it('any other failure rejects as it is, never as NotGzipError', async () => {
    for (const code of ['ECONNRESET', 42, undefined]) {
      const failure = Object.assign(new Error('read failed'), { code });
      const source = (async function* () {
        yield zipped.subarray(0, 100);
        throw failure;
      })();
      const err = await gunzipSha256(source).catch((e: unknown) => e);
      expect(err).toBe(failure);
    }
  });
});

/** The memory bucket, recording which folders were listed and every key each listing handed out. */
const spied = (objects: Map<string, StoredTrailObject>, order: (keys: string[]) => string[] = (k) => k) => {
  const base = memoryTrailBucket(BUCKET, objects);
  const folderCalls: string[] = [];
  const listings: { prefix: string; startAfter?: string; yielded: string[] }[] = [];
  const bucket: TrailBucket = {
    ...base,
    async folders(b, prefix) {
      folderCalls.push(prefix);
      return base.folders(b, prefix);
    },
    async *list(b, prefix, startAfter) {
      const listing = { prefix, ...(startAfter === undefined ? {} : { startAfter }), yielded: [] as string[] };
      listings.push(listing);
      const keys: string[] = [];
      for await (const k of base.list(b, prefix, startAfter)) keys.push(k);
      for (const k of order(keys)) {
        listing.yielded.push(k);
        yield k;
      }
    },
  };
  return { bucket, folderCalls, listings };
};

describe('listing', () => {
  it('descends only into 12-digit account folders and organisation ids (o- and 10 to 32 lower-case letters or digits)', async () => {
    const org10 = 'o-abcdef1234';
    const org32 = `o-${'a1'.repeat(16)}`;
    const objects = new Map([
      ...fresh({ hours: 2 }).objects,
      ...buildTrail({ bucket: BUCKET, startMs: START, hours: 2, organizationId: org10, account: '444455556666' }, key)
        .objects,
      ...buildTrail({ bucket: BUCKET, startMs: START, hours: 2, organizationId: org32, account: '444455556666' }, key)
        .objects,
    ]);
    const junk = [
      'o-abcdef123', // 9 characters
      `o-${'a'.repeat(33)}`,
      'o-ABCDEF1234',
      'xo-abcdef1234',
      'o-abcdef1234_',
      '11112222333',
      '1111222233334',
      'x111122223333',
      '111122223333x',
      'elasticloadbalancing',
    ];
    for (const j of junk)
      objects.set(`AWSLogs/${j}/111122223333/CloudTrail-Digest/eu-west-1/x.json.gz`, {
        bytes: new Uint8Array(),
        metadata: {},
      });
    const { bucket, folderCalls } = spied(objects);
    const { summary } = await walk(objects, { toMs: START + HOUR_MS }, bucket);
    expect(summary.chains).toBe(6);
    expect(summary.digests).toEqual({ valid: 9, invalid: 0, missing: 0 });
    expect([...folderCalls].sort()).toEqual(
      [
        'AWSLogs/',
        `AWSLogs/${org10}/`,
        `AWSLogs/${org32}/`,
        'AWSLogs/111122223333/CloudTrail-Digest/',
        `AWSLogs/${org10}/444455556666/CloudTrail-Digest/`,
        `AWSLogs/${org32}/444455556666/CloudTrail-Digest/`,
      ].sort(),
    );
  });

  it('lists each region folder from the day before the range (a minute of margin), and stops past its last day', async () => {
    // Hourly digests ending at 23:59:45 on 1 November and every hour after, into 2 and 3 November.
    const first = Date.UTC(2026, 10, 1, 23, 59, 45);
    const trail = buildTrail({ bucket: BUCKET, startMs: first, hours: 30, backfill: false, emptyHour: -1 }, key);
    const { bucket, listings } = spied(trail.objects);
    const events: WalkEvent[] = [];
    const from = first - 15_000;
    const to = first + 23 * HOUR_MS; // to + 1 h: 23:59:45 on 2 November
    await walkTrail(
      bucket,
      { bucket: BUCKET, prefix: '', fromMs: from, toMs: to, keys: keysOf(key.publicKey), checkLogs: false },
      (e) => events.push(e),
    );
    // The digest ending 15 s after `from`, in the folder of the day `from` falls in, is found.
    expect(validDigests(events)).toEqual(trail.digestKeys.slice(0, 25));
    const region = 'AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/';
    expect(listings).toEqual([expect.objectContaining({ prefix: region, startAfter: `${region}2026/11/01` })]);
    // Read up to the first key of 3 November, no further.
    expect(listings[0]?.yielded).toEqual(trail.digestKeys.slice(0, 26));
  });

  it('a range starting just after midnight still lists the day before', async () => {
    const first = Date.UTC(2026, 10, 2, 0, 0, 30);
    const trail = buildTrail({ bucket: BUCKET, startMs: first, hours: 3, backfill: false, emptyHour: -1 }, key);
    const { bucket, listings } = spied(trail.objects);
    await walkTrail(
      bucket,
      { bucket: BUCKET, prefix: '', fromMs: first, toMs: first + HOUR_MS, keys: keysOf(key.publicKey) },
      () => {},
    );
    expect(listings.map((l) => l.startAfter)).toEqual(['AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2026/11/01']);
  });

  it('keys listed out of order are still walked oldest first, and give the same events', async () => {
    const trail = fresh();
    const sorted = await walk(trail.objects);
    const { bucket } = spied(trail.objects, (keys) => [...keys].reverse());
    const reversed = await walk(trail.objects, {}, bucket);
    expect(reversed.events).toEqual(sorted.events);
    expect(reversed.summary).toEqual(sorted.summary);
  });

  it('a key in a region folder that is not a digest of that folder is skipped', async () => {
    const trail = fresh({ hours: 2, backfill: false });
    const k = trail.digestKeys[0] ?? '';
    const o = trail.objects.get(k);
    if (o === undefined) throw new Error('no digest');
    // The same digest copied under another region's folder, and a stray file beside it.
    const elsewhere = k.replace('/CloudTrail-Digest/eu-west-1/', '/CloudTrail-Digest/eu-west-2/');
    trail.objects.set(elsewhere, o);
    trail.objects.set(k.replace(/[^/]+$/, 'notes.txt'), { bytes: new Uint8Array(), metadata: {} });
    const { events, problems, summary } = await walk(trail.objects);
    expect(problems).toEqual([]);
    expect(validDigests(events)).toEqual([...trail.digestKeys]);
    expect(summary.chains).toBe(1);
  });
});

describe('digests fetched ahead', () => {
  /** The memory bucket with the first digest's read held until released; every read counted by key. */
  const gated = (objects: Map<string, StoredTrailObject>, held: string) => {
    const base = memoryTrailBucket(BUCKET, objects);
    const gate = deferred<void>();
    const gets: string[] = [];
    const bucket: TrailBucket = {
      ...base,
      async get(b, k) {
        gets.push(k);
        if (k === held) await gate.promise;
        return base.get(b, k);
      },
    };
    return { bucket, gets, release: () => gate.resolve() };
  };

  it.each([
    [16, 8],
    [8, 4],
    [24, 12],
  ])(
    'at concurrency %i, fetches %i digests ahead of the one it waits for, and each digest once',
    async (concurrency, ahead) => {
      const trail = fresh({ hours: 16, backfill: false });
      const { bucket, gets, release } = gated(trail.objects, trail.digestKeys[0] ?? '');
      const walking = walk(trail.objects, { toMs: START + 15 * HOUR_MS, concurrency }, bucket);
      await new Promise((r) => setTimeout(r, 30));
      expect(gets).toEqual(trail.digestKeys.slice(0, ahead + 1));
      release();
      const { summary } = await walking;
      expect(summary.digests.valid).toBe(16);
      expect([...gets].sort()).toEqual([...trail.digestKeys].sort());
    },
  );

  it('a digest read that fails fails the walk with that error', async () => {
    const trail = fresh();
    const base = memoryTrailBucket(BUCKET, trail.objects);
    const failing: TrailBucket = {
      ...base,
      async get(b, k) {
        if (k === trail.digestKeys[3]) throw new Error('throttled');
        return base.get(b, k);
      },
    };
    await expect(walk(trail.objects, {}, failing)).rejects.toThrow('throttled');
  });
});

describe('chain starts', () => {
  it('a digest naming no previous bucket starts a chain, whatever previous key it names', async () => {
    const trail = fresh({ hours: 3, backfill: false });
    const k = trail.digestKeys[2] ?? '';
    resign(trail, k, (d) => ({ ...d, previousDigestS3Bucket: null }));
    const { events, problems } = await walk(trail.objects, { toMs: START + 2 * HOUR_MS });
    expect(problems).toEqual([]);
    const parts = parseDigestKey(k);
    if (parts === undefined) throw new Error('key');
    expect(events.filter((e) => e.kind === 'chain-break')).toEqual([
      { kind: 'chain-break', chain: chainId(parts), fromMs: START + HOUR_MS, toMs: START + HOUR_MS },
    ]);
  });

  it('a digest naming no previous key starts a chain too', async () => {
    const trail = fresh({ hours: 3, backfill: false });
    const k = trail.digestKeys[2] ?? '';
    resign(trail, k, (d) => ({ ...d, previousDigestS3Object: null }));
    const { events, problems } = await walk(trail.objects, { toMs: START + 2 * HOUR_MS });
    expect(problems).toEqual([]);
    expect(events.filter((e) => e.kind === 'chain-break')).toHaveLength(1);
  });
});

describe('organisation trails and vanished digests', () => {
  it('filters an organisation trail by member account', async () => {
    const org = 'o-abcdef1234';
    const spec = { bucket: BUCKET, startMs: START, hours: 2, organizationId: org, backfill: false };
    const objects = new Map([
      ...buildTrail({ ...spec, account: '444455556666' }, key).objects,
      ...buildTrail({ ...spec, account: '111122223333' }, key).objects,
    ]);
    const mine = await walk(objects, { account: '444455556666', toMs: START + HOUR_MS });
    expect(mine.summary.chains).toBe(1);
    expect(mine.summary.digests.valid).toBe(2);
    expect(validDigests(mine.events).every((k) => k.startsWith(`AWSLogs/${org}/444455556666/`))).toBe(true);
    expect((await walk(objects, { account: '999999999999', toMs: START + HOUR_MS })).summary.chains).toBe(0);
  });

  it('a digest listed and then gone is not validated; the next digest names it missing', async () => {
    const trail = fresh({ backfill: false });
    const gone = trail.digestKeys[2] ?? '';
    const base = memoryTrailBucket(BUCKET, trail.objects);
    // Deleted between the listing and the read.
    const bucket: TrailBucket = { ...base, get: async (b, k) => (k === gone ? undefined : base.get(b, k)) };
    const { events, problems, summary } = await walk(trail.objects, {}, bucket);
    // Nothing is emitted for it, not even an empty piece.
    expect(events.map((e) => e.kind).filter((k) => !['digest-valid', 'log-valid', 'problem'].includes(k))).toEqual([]);
    expect(validDigests(events)).toEqual(trail.digestKeys.filter((k) => k !== gone));
    expect(problems.map((p) => p.problem)).toEqual([
      {
        account: '111122223333',
        region: 'eu-west-1',
        trail: 'management',
        kind: 'digest-missing',
        bucket: BUCKET,
        key: gone,
        referencedBy: trail.digestKeys[3],
      },
    ]);
    expect(summary.digests).toEqual({ valid: HOURS - 1, invalid: 0, missing: 1 });
  });
});

describe('memory bound', () => {
  it('with one log file stuck, the walk queues up to 16 × concurrency pieces (at least 256), then waits', async () => {
    const trail = fresh({ hours: 50, logsPerHour: 10, recordsPerLog: 1, backfill: false, emptyHour: -1 });
    const base = memoryTrailBucket(BUCKET, trail.objects);
    const stuck = deferred<void>();
    const streamed = new Set<string>();
    const bucket: TrailBucket = {
      ...base,
      async stream(b, k) {
        streamed.add(k);
        if (k === trail.logKeys[0]) await stuck.promise;
        return base.stream(b, k);
      },
    };
    const walking = walk(trail.objects, { toMs: START + 49 * HOUR_MS, concurrency: 32 }, bucket);
    const pause = () => new Promise((r) => setTimeout(r, 25));
    // A window of 256 would hold the walk after about 213 log files (10 of every 12 pieces).
    for (let waited = 0; streamed.size <= 300 && waited < 400; waited++) await pause();
    expect(streamed.size).toBeGreaterThan(300);
    // Settled: no log file is started any more while the first one is stuck.
    let before = -1;
    while (before !== streamed.size) {
      before = streamed.size;
      for (let n = 0; n < 8; n++) await pause();
    }
    // 512 pieces queued behind the stuck one (plus the one that waits), most of them log files.
    expect(streamed.size).toBeLessThanOrEqual(513);
    expect(streamed.size).toBeLessThan(trail.logKeys.length);
    stuck.resolve();
    const { summary } = await walking;
    expect(summary.logs.valid).toBe(trail.logKeys.length);
  });
});

describe('behind an invalid digest', () => {
  it('a digest deleted right behind a forged one is still missing: the link of the forged digest is followed', async () => {
    const trail = fresh({ backfill: false });
    const forged = trail.digestKeys[3] ?? '';
    trail.objects.set(forged, signDigest(readDigestDoc(trail, forged), makeTrailKey()).object);
    const gone = trail.digestKeys[2] ?? '';
    trail.objects.delete(gone);
    const { problems } = await walk(trail.objects);
    expect(problems.map((p) => [p.problem.kind, p.problem.key])).toEqual([
      ['digest-invalid', forged],
      ['digest-missing', gone],
    ]);
    expect(problems[1]?.problem).toMatchObject({ referencedBy: forged });
  });

  it('a digest copied into a deeper folder that happens to parse is not part of the region folder', async () => {
    const trail = fresh({ hours: 2, backfill: false });
    const k = trail.digestKeys[0] ?? '';
    const o = trail.objects.get(k);
    if (o === undefined) throw new Error('no digest');
    const region = 'AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/';
    // Sorts among the day folders, and its own AWSLogs/ makes it parse as a digest of another folder.
    trail.objects.set(`${region}2026/11/02/x/${k}`, o);
    const { events, problems, summary } = await walk(trail.objects);
    expect(problems).toEqual([]);
    expect(validDigests(events)).toEqual([...trail.digestKeys]);
    expect(summary.chains).toBe(1);
  });
});
