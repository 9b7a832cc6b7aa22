import { gunzipSync, gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TrailPublicKey } from '../../../rules/core/trail-digest.ts';
import {
  digestKey,
  parseDigestKey,
  parsePublicKeyList,
  signingString,
  validateDigest,
} from '../../../rules/core/trail-digest.ts';
import type { TrailProblem } from '../../../rules/core/trail-integrity.ts';
import {
  RULE_OF,
  TRAIL_INTEGRITY_CASES,
  TRAIL_INTEGRITY_RULES,
  trailFinding,
} from '../../../rules/core/trail-integrity.ts';
import type { TrailBucket, WalkEvent, WalkOptions } from '../../../rules/core/trail-walker.ts';
import { createLimiter, createOrderedOutput, HOUR_MS, walkTrail } from '../../../rules/core/trail-walker.ts';
import type { Trail, TrailKeyPair } from '../../support/trail-bucket.ts';
import { buildTrail, makeTrailKey, memoryTrailBucket, readDigestDoc, signDigest } from '../../support/trail-bucket.ts';

const BUCKET = 'trail-bucket';
const START = Date.UTC(2026, 10, 2, 1, 0, 7);
const HOURS = 6;

let key: TrailKeyPair;
let foreign: TrailKeyPair;
beforeAll(() => {
  key = makeTrailKey();
  foreign = makeTrailKey();
});

const fresh = (spec: Partial<Parameters<typeof buildTrail>[0]> = {}): Trail =>
  buildTrail({ bucket: BUCKET, startMs: START, hours: HOURS, ...spec }, key);

const keysOf = (...k: TrailPublicKey[]) => new Map(k.map((x) => [x.fingerprint, x]));

const run = async (
  trail: Trail,
  options: Partial<WalkOptions> = {},
  bucket: TrailBucket = memoryTrailBucket(BUCKET, trail.objects),
) => {
  const events: WalkEvent[] = [];
  const lastEnd = START + (HOURS - 1) * HOUR_MS;
  const summary = await walkTrail(
    bucket,
    {
      bucket: BUCKET,
      prefix: trail.spec.prefix,
      fromMs: START - HOUR_MS,
      toMs: lastEnd,
      keys: keysOf(key.publicKey),
      stoppedAfterMs: 90 * 60_000,
      asOfMs: lastEnd + 45 * 60_000,
      concurrency: 4,
      ...options,
    },
    (e) => events.push(e),
  );
  const problems = events.flatMap((e) => (e.kind === 'problem' ? [e.problem] : []));
  return { summary, events, problems };
};

const kinds = (problems: readonly TrailProblem[]) => problems.map((p) => `${p.kind} ${p.key}`).sort();

describe('digest keys', () => {
  it('parses what it builds, for account and organisation trails, prefixes and backfill', () => {
    const base = {
      prefix: 'logs/ct',
      account: '111122223333',
      region: 'eu-west-1',
      trailName: 'org_trail.1',
      homeRegion: 'us-east-1',
      endMs: START,
    };
    const k = digestKey({ ...base, organizationId: 'o-abcdef1234' });
    expect(k).toBe(
      'logs/ct/AWSLogs/o-abcdef1234/111122223333/CloudTrail-Digest/eu-west-1/2026/11/02/111122223333_CloudTrail-Digest_eu-west-1_org_trail.1_us-east-1_20261102T010007Z.json.gz',
    );
    expect(parseDigestKey(k)).toMatchObject({
      ...base,
      organizationId: 'o-abcdef1234',
      backfill: false,
      stamp: '20261102T010007Z',
    });
    expect(parseDigestKey(digestKey({ ...base, prefix: '', backfill: true }))).toMatchObject({
      prefix: '',
      backfill: true,
    });
  });

  it('refuses keys CloudTrail would not write', () => {
    const k = digestKey({
      prefix: '',
      account: '111122223333',
      region: 'eu-west-1',
      trailName: 't',
      homeRegion: 'eu-west-1',
      endMs: START,
    });
    expect(parseDigestKey(k.replace('/02/111122223333_', '/03/111122223333_'))).toBeUndefined(); // folder ≠ name date
    expect(parseDigestKey(k.replace('111122223333_CloudTrail', '444455556666_CloudTrail'))).toBeUndefined();
    expect(parseDigestKey(k.replace('.json.gz', '.json'))).toBeUndefined();
  });
});

describe('validateDigest', () => {
  const one = () => {
    const trail = fresh({ hours: 2 });
    const k = trail.digestKeys[1] ?? '';
    const doc = readDigestDoc(trail, k);
    return { trail, k, doc };
  };
  const input = (doc: Record<string, unknown>, signed: ReturnType<typeof signDigest>, k: string) => ({
    bucket: BUCKET,
    key: k,
    uncompressed: Buffer.from(JSON.stringify(doc)),
    metadata: signed.object.metadata,
    keys: keysOf(key.publicKey),
  });

  it('accepts a CloudTrail-signed digest and its signing string is the AWS one', () => {
    const { k, doc } = one();
    const signed = signDigest(doc, key);
    expect(validateDigest(input(doc, signed, k))).toMatchObject({ ok: true, signature: signed.signature });
    const s = signingString(doc as never, Buffer.from('x'));
    expect(s.split('\n')).toEqual([
      doc.digestEndTime,
      `${BUCKET}/${k}`,
      '2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881',
      doc.previousDigestSignature,
    ]);
    expect(
      signingString(
        {
          ...(doc as { digestEndTime: string; digestS3Bucket: string; digestS3Object: string }),
          previousDigestSignature: null,
        },
        Buffer.from('x'),
      ).endsWith('\nnull'),
    ).toBe(true);
  });

  it.each([
    [
      'one changed byte of the content',
      (d: Record<string, unknown>) => ({ ...d, newestEventTime: '2026-11-02T02:59:59Z' }),
      'signature',
    ],
    [
      'another previous signature',
      (d: Record<string, unknown>) => ({ ...d, previousDigestSignature: 'ab'.repeat(256) }),
      'signature',
    ],
  ])('rejects %s', (_name, change, reason) => {
    const { k, doc } = one();
    const signed = signDigest(doc, key);
    const changed = change(doc);
    expect(validateDigest({ ...input(changed, signed, k) })).toMatchObject({
      ok: false,
      problem: { kind: 'digest-invalid', reason },
    });
  });

  it('classifies unsigned, wrong algorithm, moved, unknown key, foreign signature and garbage', () => {
    const { k, doc } = one();
    const signed = signDigest(doc, key);
    const base = input(doc, signed, k);
    expect(validateDigest({ ...base, metadata: {} })).toMatchObject({
      problem: { kind: 'digest-invalid', reason: 'unsigned' },
    });
    expect(
      validateDigest({ ...base, metadata: { ...base.metadata, 'signature-algorithm': 'SHA1withRSA' } }),
    ).toMatchObject({
      problem: { kind: 'digest-invalid', reason: 'algorithm' },
    });
    expect(validateDigest({ ...base, key: `${k}.copy` })).toMatchObject({
      problem: { kind: 'digest-moved', claimedKey: k },
    });
    expect(validateDigest({ ...base, keys: keysOf(foreign.publicKey) })).toMatchObject({
      problem: { kind: 'unknown-key', fingerprint: key.publicKey.fingerprint },
    });
    // Re-signed with a foreign key under the genuine fingerprint: the signature does not verify.
    const forged = signDigest(doc, foreign);
    expect(validateDigest({ ...base, metadata: forged.object.metadata })).toMatchObject({
      problem: { reason: 'signature' },
    });
    expect(
      validateDigest({
        ...base,
        metadata: { 'x-amz-meta-signature': signed.signature, 'x-amz-meta-signature-algorithm': 'SHA256withRSA' },
      }).ok,
    ).toBe(true);
    expect(validateDigest({ ...base, uncompressed: Buffer.from('{"digestS3Bucket":1}') })).toMatchObject({
      problem: { reason: 'format' },
    });
    expect(validateDigest({ ...base, uncompressed: Buffer.from('nope') })).toMatchObject({
      problem: { reason: 'format' },
    });
    expect(
      validateDigest({ ...base, keys: keysOf({ fingerprint: key.publicKey.fingerprint, der: Buffer.from('junk') }) }),
    ).toMatchObject({
      problem: { reason: 'key-unusable' },
    });
  });
});

describe('walkTrail over a generated bucket', () => {
  it('an untouched bucket validates: every digest (empty and backfill too) and every log file', async () => {
    const trail = fresh();
    const { summary, problems, events } = await run(trail);
    expect(problems).toEqual([]);
    expect(summary.digests).toEqual({ valid: HOURS + 1, invalid: 0, missing: 0 });
    expect(summary.logs).toMatchObject({ valid: trail.logKeys.length, invalid: 0, missing: 0 });
    expect(trail.logKeys.length).toBe((HOURS - 1) * 3 + 1);
    expect(events.filter((e) => e.kind === 'digest-valid' && e.logFiles === 0)).toHaveLength(1);
    expect(summary.chains).toBe(2);
  });

  it('a deleted log file is log-file-missing, named by key and digest', async () => {
    const trail = fresh();
    const gone = trail.logKeys[4] ?? '';
    trail.objects.delete(gone);
    const { summary, problems } = await run(trail);
    expect(problems).toEqual([
      expect.objectContaining({ kind: 'log-file-missing', key: gone, digestKey: trail.digestKeys[1] }),
    ]);
    expect(summary.logs.missing).toBe(1);
  });

  it('one altered byte of a log file is log-file-altered', async () => {
    const trail = fresh();
    const k = trail.logKeys[0] ?? '';
    const o = trail.objects.get(k);
    if (o === undefined) throw new Error('no log');
    const text = gunzipSync(o.bytes).toString('utf8').replace('alice', 'alicf');
    trail.objects.set(k, { ...o, bytes: gzipSync(text) });
    const { problems } = await run(trail);
    expect(kinds(problems)).toEqual([`log-file-altered ${k}`]);
  });

  it('a log file replaced by one from another hour is log-file-altered; a non-gzip one too', async () => {
    const trail = fresh();
    const [a, , , b] = trail.logKeys;
    const other = trail.objects.get(b ?? '');
    if (a === undefined || other === undefined) throw new Error('no logs');
    trail.objects.set(a, other);
    trail.objects.set(trail.logKeys[5] ?? '', { bytes: Buffer.from('{"Records":[]}'), metadata: {} });
    const { problems } = await run(trail);
    expect(kinds(problems)).toEqual([`log-file-altered ${a}`, `log-file-altered ${trail.logKeys[5]}`].sort());
    expect(problems.find((p) => p.key === trail.logKeys[5])).not.toHaveProperty('actual');
  });

  it('a digest deleted in the middle is digest-missing, named by the digest that chains to it', async () => {
    const trail = fresh();
    const gone = trail.digestKeys[3] ?? '';
    trail.objects.delete(gone);
    const { summary, problems } = await run(trail);
    expect(problems).toEqual([
      expect.objectContaining({ kind: 'digest-missing', key: gone, referencedBy: trail.digestKeys[4] }),
    ]);
    expect(summary.digests).toEqual({ valid: HOURS, invalid: 0, missing: 1 });
  });

  it('deleting the newest digest is caught as delivery stopped (and the untouched newest is not)', async () => {
    const trail = fresh();
    const newest = trail.digestKeys.at(-1) ?? '';
    trail.objects.delete(newest);
    const { problems } = await run(trail);
    expect(problems).toEqual([
      expect.objectContaining({ kind: 'delivery-stopped', key: trail.digestKeys.at(-2), allowedMs: 90 * 60_000 }),
    ]);
  });

  it('a digest re-signed with a foreign key is digest-invalid; one naming the foreign key is unknown-key', async () => {
    const trail = fresh();
    const k = trail.digestKeys[2] ?? '';
    const doc = readDigestDoc(trail, k);
    trail.objects.set(k, signDigest(doc, foreign).object);
    const k4 = trail.digestKeys[4] ?? '';
    trail.objects.set(
      k4,
      signDigest({ ...readDigestDoc(trail, k4), digestPublicKeyFingerprint: foreign.publicKey.fingerprint }, foreign)
        .object,
    );
    const { problems } = await run(trail);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'digest-invalid', key: k, reason: 'signature' }),
        expect.objectContaining({ kind: 'unknown-key', key: k4, fingerprint: foreign.publicKey.fingerprint }),
      ]),
    );
    // The later digests signed over the genuine signatures: their links to the forged ones cannot be checked,
    // and are not blamed on them.
    expect(problems).toHaveLength(2);
  });

  it('a digest moved to another key is digest-missing where it was and digest-moved where it is', async () => {
    const trail = fresh();
    const k = trail.digestKeys[2] ?? '';
    const o = trail.objects.get(k);
    if (o === undefined) throw new Error('no digest');
    trail.objects.delete(k);
    const moved = k.replace('T030007Z', 'T032007Z');
    trail.objects.set(moved, o);
    const { problems } = await run(trail);
    expect(kinds(problems)).toEqual([`digest-missing ${k}`, `digest-moved ${moved}`]);
  });

  it('a forged digest that swaps the chain (valid signature of its own, wrong links) is caught by the link check', async () => {
    const trail = fresh();
    // Digest 3 replaced by a genuine-looking copy of itself that claims a different previous hash.
    const k = trail.digestKeys[3] ?? '';
    const doc = readDigestDoc(trail, k);
    trail.objects.set(k, signDigest({ ...doc, previousDigestHashValue: 'f'.repeat(64) }, key).object);
    const { problems } = await run(trail);
    // Its own signature is valid (the attacker holds no CloudTrail key; this proves the link check, not the signature).
    expect(problems).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: 'digest-invalid', key: k, reason: 'chain' })]),
    );
  });

  it('finds organisation-trail chains with a prefix, filtered by account and region', async () => {
    const trail = buildTrail(
      {
        bucket: BUCKET,
        startMs: START,
        hours: 3,
        prefix: 'org',
        organizationId: 'o-abcdef1234',
        account: '444455556666',
      },
      key,
    );
    const both = await run(trail, { prefix: 'org', toMs: START + 2 * HOUR_MS, asOfMs: START + 2 * HOUR_MS });
    expect(both.problems).toEqual([]);
    expect(both.summary.digests.valid).toBe(4);
    const other = await run(trail, { prefix: 'org', account: '111122223333' });
    expect(other.summary.chains).toBe(0);
    const region = await run(trail, { prefix: 'org', region: 'us-east-1' });
    expect(region.summary.chains).toBe(0);
  });

  it('only digests in the range are validated; a link before the range is fetched and checked', async () => {
    const trail = fresh();
    const { summary, problems } = await run(trail, { fromMs: START + 3 * HOUR_MS });
    expect(problems).toEqual([]);
    expect(summary.digests.valid).toBe(HOURS - 3);
  });
});

describe('findings', () => {
  it.each(TRAIL_INTEGRITY_CASES)('$name → $expect', (c) => {
    expect(RULE_OF[c.problem.kind]).toBe(c.expect);
    const { finding } = trailFinding(c.problem, Date.UTC(2026, 10, 2, 10), Date.UTC(2026, 10, 2, 12));
    expect(finding).toMatchObject({
      ruleId: c.expect,
      severity: 'critical',
      controls: ['A.8.15'],
      resources: [`s3://${c.problem.bucket}/${c.problem.key}`],
    });
  });

  it('every rule has a case, and the same problem always gives the same finding id', () => {
    expect(new Set(TRAIL_INTEGRITY_CASES.map((c) => c.expect))).toEqual(new Set(Object.keys(TRAIL_INTEGRITY_RULES)));
    const p = TRAIL_INTEGRITY_CASES[0]?.problem;
    if (p === undefined) throw new Error('no case');
    const a = trailFinding(p, 1000, 5000).finding;
    const b = trailFinding(p, 1000, 9000).finding;
    expect(a.id).toBe(b.id);
    expect(trailFinding({ ...p, key: `${p.key}x` }, 1000, 5000).finding.id).not.toBe(a.id);
  });
});

describe('public keys and the pool', () => {
  it('reads `aws cloudtrail list-public-keys` output', () => {
    const parsed = parsePublicKeyList({ PublicKeyList: [key.listEntry] });
    expect(parsed).toMatchObject({
      ok: true,
      keys: [{ fingerprint: key.publicKey.fingerprint, validityStartMs: Date.UTC(2026, 0, 1) }],
    });
    expect(parsePublicKeyList({})).toMatchObject({ ok: false });
    expect(parsePublicKeyList({ PublicKeyList: [{ Value: 1 }] })).toMatchObject({ ok: false });
  });

  it('never runs more tasks than its size, and runs every one', async () => {
    const limit = createLimiter(3);
    let running = 0;
    let peak = 0;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        limit.run(async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setTimeout(r, 2));
          running--;
          return i;
        }),
      ),
    );
    expect(peak).toBe(3);
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});

/**
 * The memory bucket with every read, and every chunk of every log file, delayed at random (seeded), so work
 * finishes in another order than it was queued in.
 */
const jittery = (trail: Trail, seed: number): TrailBucket => {
  const base = memoryTrailBucket(BUCKET, trail.objects);
  let x = seed;
  const pause = () => {
    x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
    return new Promise((r) => setTimeout(r, Math.floor((x / 2_147_483_648) * 4)));
  };
  return {
    ...base,
    async get(bucket, key) {
      await pause();
      return base.get(bucket, key);
    },
    async stream(bucket, key) {
      await pause();
      const body = await base.stream(bucket, key);
      if (body === undefined) return undefined;
      return (async function* () {
        for await (const chunk of body) {
          await pause();
          yield chunk;
        }
      })();
    },
  };
};

describe('concurrency', () => {
  /** A trail tampered every way, one chain with a backfill digest beside it. */
  const tampered = () => {
    const trail = fresh({ hours: 8, logsPerHour: 4 });
    const gone = trail.logKeys[1] ?? '';
    trail.objects.delete(gone);
    const swapped = trail.logKeys[5] ?? '';
    trail.objects.set(swapped, trail.objects.get(trail.logKeys[6] ?? '') ?? { bytes: new Uint8Array(), metadata: {} });
    const notGzip = trail.logKeys[21] ?? ''; // listed by digest 6, after the forged 5
    trail.objects.set(notGzip, { bytes: Buffer.from('{"Records":[]}'), metadata: {} });
    const missingDigest = trail.digestKeys[3] ?? '';
    trail.objects.delete(missingDigest);
    const forged = trail.digestKeys[5] ?? '';
    trail.objects.set(forged, signDigest(readDigestDoc(trail, forged), foreign).object);
    trail.objects.delete(trail.digestKeys.at(-1) ?? '');
    return { trail, gone, swapped, notGzip, missingDigest, forged };
  };
  const lastEnd = START + 7 * HOUR_MS;
  const range = { toMs: lastEnd, asOfMs: lastEnd + 45 * 60_000 };

  it('finds and names the same problems, in the same order, at concurrency 1 and N, however reads interleave', async () => {
    const { trail } = tampered();
    const reference = await run(trail, { ...range, concurrency: 1 });
    expect(reference.problems.length).toBeGreaterThanOrEqual(6);
    for (const [concurrency, seed] of [
      [1, 7],
      [2, 11],
      [4, 13],
      [16, 17],
      [64, 19],
    ] as const) {
      const other = await run(trail, { ...range, concurrency }, jittery(trail, seed));
      // Every event (valid digests and log files too), in order, and the summary.
      expect(other.events).toEqual(reference.events);
      expect(other.summary).toEqual(reference.summary);
    }
  });

  it('emits in the documented order: each digest then its log files as listed; links; delivery last', async () => {
    const { trail, gone, swapped, notGzip, missingDigest, forged } = tampered();
    const { events } = await run(trail, { ...range, concurrency: 16 }, jittery(trail, 23));
    const named = events.map((e) =>
      e.kind === 'problem'
        ? `${e.problem.kind} ${e.problem.key}`
        : e.kind === 'chain-break'
          ? e.kind
          : `${e.kind} ${e.key}`,
    );
    const at = (text: string) => {
      const i = named.indexOf(text);
      expect(i, text).toBeGreaterThanOrEqual(0);
      return i;
    };
    // Log files in the order their digests (oldest first) list them: the hourly chain (its first key sorts
    // first), then the backfill digest's chain. Missing and forged digests' lists are not followed.
    const logs = named.filter((n) => n.startsWith('log-')).map((n) => n.slice(n.indexOf(' ') + 1));
    const followed = [...trail.digestKeys.filter((k) => trail.objects.has(k) && k !== forged), trail.backfillKey ?? ''];
    const listed = followed.flatMap((k) =>
      (readDigestDoc(trail, k).logFiles as { s3Object: string }[]).map((l) => l.s3Object),
    );
    expect(logs).toEqual(listed);
    expect(at(`log-file-missing ${gone}`)).toBeLessThan(at(`log-file-altered ${swapped}`));
    expect(at(`log-file-altered ${swapped}`)).toBeLessThan(at(`digest-invalid ${forged}`));
    expect(at(`digest-invalid ${forged}`)).toBeLessThan(at(`log-file-altered ${notGzip}`));
    // A digest's own verdict comes before its log files.
    expect(at(`digest-valid ${trail.digestKeys[0]}`)).toBeLessThan(at(`log-valid ${trail.logKeys[0]}`));
    // The chain's links after every log file of the chain; whether delivery stopped closes the chain, right
    // before the backfill chain starts.
    const backfill = at(`digest-valid ${trail.backfillKey}`);
    const lastHourlyLog = Math.max(...named.slice(0, backfill).flatMap((n, i) => (n.startsWith('log-') ? [i] : [])));
    expect(at(`digest-missing ${missingDigest}`)).toBeGreaterThan(lastHourlyLog);
    expect(named[backfill - 1]).toBe(`delivery-stopped ${trail.digestKeys.at(-2)}`);
  });

  it('a read that fails mid-file fails the walk: never reported as an altered log file', async () => {
    const trail = fresh();
    const base = memoryTrailBucket(BUCKET, trail.objects);
    const broken: TrailBucket = {
      ...base,
      async stream(bucket, key) {
        if (key !== trail.logKeys[2]) return base.stream(bucket, key);
        return (async function* () {
          yield new Uint8Array(trail.objects.get(key)?.bytes.subarray(0, 20) ?? []);
          throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        })();
      },
    };
    const events: WalkEvent[] = [];
    await expect(
      walkTrail(
        broken,
        {
          bucket: BUCKET,
          prefix: '',
          fromMs: START - HOUR_MS,
          toMs: START + HOURS * HOUR_MS,
          keys: keysOf(key.publicKey),
        },
        (e) => events.push(e),
      ),
    ).rejects.toThrow('socket hang up');
    expect(events.filter((e) => e.kind === 'problem')).toEqual([]);
  });
});

describe('ordered output', () => {
  const valid = (key: string): WalkEvent => ({ kind: 'log-valid', bucket: BUCKET, key, bytes: 1 });

  it('emits in the order pieces were queued, whatever order they finish in', async () => {
    const seen: string[] = [];
    const out = createOrderedOutput(8, (e) => seen.push(e.kind === 'log-valid' ? e.key : e.kind));
    const later = (key: string, ms: number) =>
      new Promise<readonly WalkEvent[]>((r) => setTimeout(() => r([valid(key)]), ms));
    await out.push(later('a', 30));
    await out.push(later('b', 1));
    await out.push([valid('c')]);
    await out.push(later('d', 10));
    expect(seen).toEqual([]);
    await out.finish();
    expect(seen).toEqual(['a', 'b', 'c', 'd']);
  });

  it('holds the producer while more than `window` pieces wait, so nothing piles up', async () => {
    const out = createOrderedOutput(2, () => {});
    let release: () => void = () => {};
    const head = new Promise<readonly WalkEvent[]>((r) => {
      release = () => r([valid('head')]);
    });
    await out.push(head);
    await out.push([valid('x')]);
    let third = false;
    const pushing = out.push([valid('y')]).then(() => {
      third = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(third).toBe(false);
    release();
    await pushing;
    expect(third).toBe(true);
    await out.finish();
  });

  it('a failed piece fails the rest: nothing after it is emitted, finish rejects', async () => {
    const seen: string[] = [];
    const out = createOrderedOutput(8, (e) => seen.push(e.kind === 'log-valid' ? e.key : e.kind));
    await out.push([valid('a')]);
    await out.push(Promise.reject(new Error('boom')));
    await out.push([valid('b')]).catch(() => {});
    await expect(out.finish()).rejects.toThrow('boom');
    expect(seen).toEqual(['a']);
  });
});
