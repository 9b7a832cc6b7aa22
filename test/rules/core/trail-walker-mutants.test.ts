import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TrailPublicKey } from '../../../rules/core/trail-digest.ts';
import { chainId, parseDigestKey, sha256Hex } from '../../../rules/core/trail-digest.ts';
import type { TrailBucket, WalkEvent, WalkOptions } from '../../../rules/core/trail-walker.ts';
import { HOUR_MS, walkTrail } from '../../../rules/core/trail-walker.ts';
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
