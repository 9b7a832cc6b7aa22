import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBatchFeeder, createPositionFeeder } from '../../cli/batches.ts';
import { createCollectingSink } from '../../cli/collecting-sink.ts';
import { loadDetectionConfig } from '../../cli/config-file.ts';
import { runEngine, segmentsOf } from '../../cli/scan/engine.ts';
import { walk } from '../../cli/sources.ts';
import { createDetector } from '../../rules/core/detector.ts';
import { createMemoryCounterStore, createMemoryLedger } from '../../rules/core/memory.ts';
import type { AuditEvent } from '../../rules/core/types.ts';
import { fixture } from '../../rules/fixtures/index.ts';
import { catalogue } from '../../rules/index.ts';
import { logFile, runCli, stopLogging, tempTree } from './helpers.ts';

const root = join(import.meta.dirname, '..', '..');
const EXAMPLES = join(root, 'examples', 'logs');
const CONFIG = join(root, 'examples', 'trailwarden.config.json');

const loaded = loadDetectionConfig(CONFIG, root);
if (!loaded.ok) throw new Error(`examples config: ${loaded.errors.join('; ')}`);
const config = loaded.config;

/** Every record of the example logs, in file order: thresholds, folds, incidents and pages of a real day. */
const exampleRecords = (): Record<string, unknown>[] => {
  const files = readdirSync(EXAMPLES, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name))
    .sort();
  return files.flatMap(
    (f) =>
      (
        JSON.parse((f.endsWith('.gz') ? gunzipSync(readFileSync(f)) : readFileSync(f)).toString('utf8')) as {
          Records: Record<string, unknown>[];
        }
      ).Records,
  );
};
const EXAMPLE_RECORDS = exampleRecords();

const DAY = 86_400_000;
const T0 = Date.parse('2026-10-01T00:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

/**
 * Console sign-ins of a few users from a few addresses over three weeks: failures in bursts (the failures
 * threshold), successes after failures and from new addresses after the learning period (history rules).
 */
const signIn = fc.record({
  user: fc.constantFrom('alice', 'bob', 'carol'),
  ip: fc.constantFrom('203.0.113.7', '203.0.113.8', '198.51.100.9', '192.0.2.10'),
  ok: fc.boolean(),
  t: fc.integer({ min: 0, max: 21 * DAY }),
});

const signInRecord = (s: { user: string; ip: string; ok: boolean; t: number }, i: number) =>
  fixture(s.ok ? 'signin/ConsoleLogin' : 'signin/ConsoleLogin-failure', {
    eventID: `login-${i}`,
    eventTime: iso(T0 + s.t),
    sourceIPAddress: s.ip,
    userIdentity: { userName: s.user, principalId: `AIDA${s.user.toUpperCase()}EXAMPLE` },
  });

/** Logging stopped on one of two trails, again and again: one finding per trail, the repeats folded into it. */
const stop = fc.record({ trail: fc.constantFrom('trail-a', 'trail-b'), t: fc.integer({ min: 0, max: 21 * DAY }) });

/**
 * Secret reads by a few roles: clustered within minutes on a few days (a dump of a dozen secrets crosses the
 * read-burst threshold), repeated (what a scan drops before the detector), some refused or by an AWS service.
 */
const secretRead = fc.record({
  role: fc.constantFrom('orders-api', 'billing', 'ci'),
  /** Sessions of one role (instances): its memory is the role's, a burst is counted per session. */
  session: fc.integer({ min: 0, max: 2 }),
  secret: fc.integer({ min: 0, max: 13 }),
  day: fc.integer({ min: 0, max: 2 }),
  at: fc.integer({ min: 0, max: 15 * 60_000 }),
  how: fc.constantFrom('ok', 'ok', 'ok', 'ok', 'denied', 'service'),
});

const secretReadRecord = (r: typeof secretRead extends fc.Arbitrary<infer T> ? T : never, i: number) =>
  fixture('secretsmanager/GetSecretValue', {
    eventID: `read-${i}`,
    eventTime: iso(T0 + r.day * DAY + r.at),
    userIdentity: {
      type: 'AssumedRole',
      principalId: `AROA3XFRBF23EXAMPLE7:session-${r.session}`,
      arn: `arn:aws:sts::111122223333:assumed-role/${r.role}/session-${r.session}`,
      accountId: '111122223333',
      ...(r.how === 'service' ? { invokedBy: 'rds.amazonaws.com' } : {}),
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          arn: `arn:aws:iam::111122223333:role/${r.role}`,
          accountId: '111122223333',
          userName: r.role,
        },
      },
    },
    requestParameters: { secretId: `prod/secret-${r.secret}` },
    ...(r.how === 'denied' ? { errorCode: 'AccessDeniedException', errorMessage: 'denied' } : {}),
  });

const corpus = fc.record({
  examples: fc.boolean(),
  signIns: fc.array(signIn, { maxLength: 120 }),
  stops: fc.array(stop, { maxLength: 12 }),
  reads: fc.array(secretRead, { maxLength: 160 }),
  /** Bytes per scan segment: small, so what the scan remembers of values seen starts afresh between files. */
  segmentBytes: fc.constantFrom(1, 4_000, 40_000, 32 * 1024 * 1024),
  /** Which file each record lands in, and the files' names: the order the scan reads them in. */
  files: fc.integer({ min: 2, max: 9 }),
  seed: fc.integer(),
  jobs: fc.integer({ min: 1, max: 4 }),
  batch: fc.constantFrom(7, 50, 333, 1000),
});

type Corpus = typeof corpus extends fc.Arbitrary<infer T> ? T : never;

/** The records spread over `files` files with shuffled names, as a directory. */
const writeCorpus = (c: Corpus): string => {
  const records: Record<string, unknown>[] = [
    ...(c.examples ? EXAMPLE_RECORDS : []),
    ...c.signIns.map(signInRecord),
    ...c.stops.map((s, i) =>
      stopLogging(`stop-${i}`, { eventTime: iso(T0 + s.t), requestParameters: { name: s.trail } }),
    ),
    ...c.reads.map(secretReadRecord),
  ];
  const rng = fc.sample(
    fc.array(fc.nat(), { minLength: records.length + c.files, maxLength: records.length + c.files }),
    {
      seed: c.seed,
      numRuns: 1,
    },
  )[0] as number[];
  const buckets: Record<string, unknown>[][] = Array.from({ length: c.files }, () => []);
  records.forEach((r, i) => {
    buckets[(rng[i] ?? 0) % c.files]?.push(r);
  });
  const tree: Record<string, string> = {};
  buckets.forEach((b, i) => {
    // A name unrelated to the contents: the walk's order is not the order of event time.
    tree[`logs/${String((rng[records.length + i] ?? 0) % 1000).padStart(3, '0')}-${i}.json`] = logFile(b);
  });
  return join(tempTree(tree), 'logs');
};

/**
 * One scan as `trailwarden scan` runs it (`prejudge`: the config goes to the engine, so rules that need nothing but
 * the event are judged where events are read), or the reference: no config, the detector judges every event some
 * rule listens to.
 */
const scanWith = async (dir: string, jobs: number, batchSize: number, prejudge = true, segmentBytes?: number) => {
  const sink = createCollectingSink({ keepStates: true });
  const detector = createDetector({
    catalogue,
    config,
    counters: createMemoryCounterStore(),
    ledger: createMemoryLedger(),
    sink,
  });
  let processed = 0;
  const batches: string[][] = [];
  const result = await runEngine(
    walk(dir),
    { batchSize, jobs, catalogue, ...(prejudge ? { config } : {}), ...(segmentBytes ? { segmentBytes } : {}) },
    {
      process: (events) => {
        processed += events.length;
        batches.push(events.map((e) => e.id));
        return detector.process(events);
      },
    },
  );
  return {
    result,
    processed,
    batches,
    findings: sink.findings(),
    states: sink.states(),
    incidents: sink.incidents(),
  };
};

describe('scan --jobs: exactly the findings of a single-threaded scan', () => {
  it('on generated corpora, for any file order, job count (1..4) and batch size', async () => {
    let workersUsed = 0;
    await fc.assert(
      fc.asyncProperty(corpus, async (c) => {
        const dir = writeCorpus(c);
        // The reference judges everything in the detector; the scan judges the stateless rules where it reads.
        const single = await scanWith(dir, 1, c.batch, false);
        const parallel = await scanWith(dir, c.jobs, c.batch, true, c.segmentBytes);
        if (parallel.result.jobs > 1) workersUsed++;
        // What reaches the detector does not depend on the threads either: the very same batches, event for event
        // (repeats of known values are dropped identically whichever thread read them).
        const oneThread = await scanWith(dir, 1, c.batch, true, c.segmentBytes);
        expect(parallel.batches).toEqual(oneThread.batches);
        // Every finding state (ids, counts, firstSeen/lastSeen, incident ids), every incident with its pages.
        expect(parallel.states).toEqual(single.states);
        expect(parallel.findings).toEqual(single.findings);
        expect(parallel.incidents).toEqual(single.incidents);
        expect(parallel.result.events).toBe(single.result.events);
        expect([parallel.result.minMs, parallel.result.maxMs]).toEqual([single.result.minMs, single.result.maxMs]);
      }),
      { numRuns: 12 },
    );
    expect(workersUsed).toBeGreaterThan(0);
  }, 300_000);

  it('judges the stateless rules where it reads: the detector sees a fraction of the events, with the same findings', async () => {
    const c: Corpus = {
      examples: true,
      signIns: [],
      stops: [],
      reads: [],
      segmentBytes: 32 * 1024 * 1024,
      files: 4,
      seed: 7,
      jobs: 2,
      batch: 333,
    };
    const dir = writeCorpus(c);
    const reference = await scanWith(dir, 1, 333, false);
    for (const jobs of [1, 3]) {
      const scan = await scanWith(dir, jobs, 333);
      expect(scan.states).toEqual(reference.states);
      expect(scan.incidents).toEqual(reference.incidents);
      expect(scan.result.events).toBe(reference.result.events);
      // Without judging on the spot the detector would get every event some rule listens to. Matches still go
      // (threshold rules count them), and so does the first read of each secret by each role and day; re-reads of
      // a value already seen are dropped too (`known-values.ts`): 170 of 936 (58 % before repeats were dropped).
      expect(scan.processed).toBeLessThan(reference.processed * 0.25);
      expect(scan.processed).toBeGreaterThanOrEqual(reference.findings.length);
    }
  }, 60_000);

  it('the generated corpora exercise thresholds, folds, history rules and incidents', async () => {
    const c: Corpus = {
      examples: true,
      signIns: [
        ...Array.from({ length: 6 }, (_, i) => ({
          user: 'alice' as const,
          ip: '203.0.113.7' as const,
          ok: false,
          t: DAY + i * 1000,
        })),
        { user: 'alice', ip: '203.0.113.7', ok: true, t: DAY + 7000 },
        { user: 'alice', ip: '198.51.100.9', ok: true, t: 20 * DAY },
      ],
      stops: [
        { trail: 'trail-a', t: 0 },
        { trail: 'trail-a', t: 1000 },
      ],
      // A dump: one role reads 12 secrets it never read within minutes, and re-reads two of them.
      reads: [...Array.from({ length: 12 }, (_, s) => s), 3, 5].map((secret, i) => ({
        role: 'ci' as const,
        session: 0,
        secret,
        day: 1,
        at: i * 10_000,
        how: 'ok' as const,
      })),
      segmentBytes: 32 * 1024 * 1024,
      files: 3,
      // A seed whose read order puts alice's first day before day 20: history learns in read order, so with
      // day 20 read first there is nothing to be new against (the examples' records shift the file split).
      seed: 3,
      jobs: 2,
      batch: 7,
    };
    const { findings, incidents } = await scanWith(writeCorpus(c), 2, 7);
    const rules = new Set(findings.map((f) => f.ruleId));
    expect(rules).toContain('signin.console-login-failures');
    expect(rules).toContain('signin.new-source');
    expect(rules).toContain('secretsmanager.secrets-retrieved-burst');
    expect(findings.some((f) => f.threshold !== null && f.count >= 5)).toBe(true);
    expect(findings.some((f) => f.threshold === null && f.count > 1)).toBe(true);
    expect(incidents.some((i) => i.pages.length > 0)).toBe(true);
  }, 60_000);

  it('prints the same findings for the examples with --jobs 1, 2 and 4', async () => {
    const run = (jobs: string) => runCli(['scan', EXAMPLES, '--format', 'jsonl', '--config', CONFIG, '--jobs', jobs]);
    const [one, two, four] = [await run('1'), await run('2'), await run('4')];
    expect(one.code).toBe(0);
    expect(one.stdout.split('\n').length).toBeGreaterThan(10);
    expect(two.stdout).toBe(one.stdout);
    expect(four.stdout).toBe(one.stdout);
    const summary = (s: string) => s.replace(/ in [\d.]+ s;/, ';');
    expect(summary(two.stderr)).toBe(summary(one.stderr));
  }, 120_000);
});

describe('scan --jobs: bad input', () => {
  it('names the file and line of a bad record read by a worker, and scans the other files', async () => {
    const dir = tempTree({
      'a.json': logFile([stopLogging('ev-a')]),
      'b.jsonl': `${JSON.stringify(stopLogging('ev-b', { requestParameters: { name: 'trail-b' } }))}\n{not json\n`,
      'c.json.gz': Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02]),
    });
    const { code, stdout, stderr } = await runCli(['scan', dir, '--format', 'jsonl', '--jobs', '3']);
    expect(code).toBe(0);
    expect(stdout.split('\n').filter((l) => l.length > 0)).toHaveLength(2);
    expect(stderr).toContain(`${join(dir, 'b.jsonl')}:2:`);
    expect(stderr).toMatch(new RegExp(`${join(dir, 'c.json.gz').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: corrupt`));
    expect(stderr).toMatch(/scanned 2 events in 2 files .*skipped: 1 bad line, 1 unreadable file/);
  }, 60_000);

  it('rejects a --jobs that is not a whole number from 1 to 64', async () => {
    for (const jobs of ['0', '65', '1.5', 'many']) {
      const { code, stderr } = await runCli(['scan', '.', '--jobs', jobs]);
      expect(code).toBe(2);
      expect(stderr).toContain('--jobs must be a whole number from 1 to 64');
    }
  });
});

describe('createPositionFeeder', () => {
  const ev = (id: string): AuditEvent => ({ id }) as AuditEvent;

  it('forms the batches createBatchFeeder forms from the whole stream, minus the events left out', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.boolean(), { maxLength: 30 }), { maxLength: 8 }),
        fc.integer({ min: 1, max: 12 }),
        async (chunks, batchSize) => {
          const whole: string[][] = [];
          const full = createBatchFeeder(batchSize, async (events) => {
            whole.push(events.map((e) => e.id));
          });
          const sparse: string[][] = [];
          const picked = createPositionFeeder(batchSize, async (events) => {
            sparse.push(events.map((e) => e.id));
          });
          let n = 0;
          for (const chunk of chunks) {
            const events = chunk.map(() => ev(`e${n++}`));
            await full.feed(events);
            const at = chunk.flatMap((keep, i) => (keep ? [i] : []));
            await picked.feed(
              events.length,
              at,
              at.map((i) => events[i] as AuditEvent),
            );
          }
          await full.end();
          await picked.end();
          const kept = new Set(chunks.flat().flatMap((keep, i) => (keep ? [`e${i}`] : [])));
          const expected = whole.map((b) => b.filter((id) => kept.has(id))).filter((b) => b.length > 0);
          expect(sparse).toEqual(expected);
        },
      ),
    );
  });
});

describe('segmentsOf', () => {
  it('cuts consecutive files into segments of about the given bytes on disk; stdin is a segment of its own', () => {
    const dir = tempTree({
      'a.json': 'x'.repeat(600),
      'b.json': 'x'.repeat(600),
      'c.json': 'x'.repeat(100),
      'd.json': '',
    });
    const file = (name: string) => ({ kind: 'file' as const, path: join(dir, name) });
    const stdin = { kind: 'stdin' as const, stream: Readable.from([]) };
    const skipped = { kind: 'skipped' as const, file: 'x.txt', reason: 'not a log file name' as const };
    expect(segmentsOf([file('a.json'), file('b.json'), file('c.json'), file('d.json')], 1000)).toEqual([0, 0, 1, 1]);
    expect(segmentsOf([file('a.json'), skipped, stdin, file('c.json'), file('missing.json')], 1000)).toEqual([
      0, 0, 1, 2, 2,
    ]);
    expect(segmentsOf([file('a.json'), file('b.json')], 1)).toEqual([0, 1]);
  });
});
