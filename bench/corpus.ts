import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { createGzip, gzip as gzipCallback } from 'node:zlib';
import type { OrgShape } from '../examples/day.ts';
import { planDay } from '../examples/day.ts';
import { deliveredAt, objectKey } from '../examples/generate.ts';
import type { CtRecord } from '../examples/model.ts';
import { at, byStartThenKey, MINUTE, rngFrom } from '../examples/model.ts';
import { team } from '../examples/org.ts';
import { scenarioPlan } from '../examples/scenarios.ts';

/**
 * The bench corpus: the example organisation scaled to a large one (100 teams of people, deploys and busy
 * workloads in the same two accounts), about a million events in gzipped CloudTrail log files of 1,000–5,000
 * records, with the example scenarios sprinkled over a few teams, plus one log file of over 200 MB of text (a
 * busy account's hour as one object: memory must stay bounded whatever the file size). Generated once into
 * .bench/ and reused while the generator and shape are unchanged.
 */

export const BENCH_SHAPE: OrgShape = { teams: 100, workloadFactor: 10 };
const SEED = 'trailwarden-bench';
/** Teams whose day also holds the example incidents. */
const SCENARIO_TEAMS = (i: number): boolean => i % 10 === 3;

const root = join(import.meta.dirname, '..');
export const BENCH_DIR = join(root, '.bench');
export const CORPUS_DIR = join(BENCH_DIR, 'corpus');
const MANIFEST = join(BENCH_DIR, 'corpus.json');

export interface Manifest {
  readonly version: string;
  readonly events: number;
  readonly files: number;
  readonly bytes: number;
}

/** Changes whenever the generator's code or the shape changes, so a stale corpus is never reused. */
export const corpusVersion = (): string => {
  const hash = createHash('sha256').update(JSON.stringify(BENCH_SHAPE));
  for (const file of ['model.ts', 'org.ts', 'day.ts', 'scenarios.ts', 'generate.ts']) {
    hash.update(readFileSync(join(root, 'examples', file)));
  }
  hash.update(readFileSync(import.meta.filename));
  return hash.digest('hex').slice(0, 16);
};

const gzip = promisify(gzipCallback);

/** Files per account and region, cut at a random 1,000–5,000 records, written as gzip as they fill. */
const createDelivery = (dir: string) => {
  const rng = rngFrom(SEED, 'delivery');
  const streams = new Map<string, { account: string; region: string; lines: string[]; target: number; last: number }>();
  const inFlight = new Set<Promise<void>>();
  let files = 0;
  let bytes = 0;
  let events = 0;

  const write = async (account: string, region: string, lines: string[], last: number): Promise<void> => {
    const slotEnd = Math.ceil(last / (5 * MINUTE)) * 5 * MINUTE;
    const key = objectKey(
      account,
      region,
      slotEnd,
      rngFrom(SEED, 'file', files).chars(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'),
    );
    files++;
    events += lines.length;
    const body = await gzip(Buffer.from(`{"Records":[${lines.join(',')}]}`), { level: 6 });
    bytes += body.length;
    const target = join(dir, ...key.split('/'));
    mkdirSync(dirname(target), { recursive: true });
    await writeFile(target, body);
  };

  const flush = async (key: string): Promise<void> => {
    const s = streams.get(key);
    if (s === undefined || s.lines.length === 0) return;
    const job = write(s.account, s.region, s.lines, s.last);
    s.lines = [];
    s.target = rng.int(1000, 5000);
    inFlight.add(job);
    void job.finally(() => inFlight.delete(job));
    // gzip runs on the thread pool: a few files at a time keeps both cores busy and memory bounded.
    if (inFlight.size >= 4) await Promise.race(inFlight);
  };

  return {
    add: async (r: CtRecord, delivered: number): Promise<void> => {
      const key = `${r.recipientAccountId}|${r.awsRegion}`;
      let s = streams.get(key);
      if (s === undefined) {
        s = { account: r.recipientAccountId, region: r.awsRegion, lines: [], target: rng.int(1000, 5000), last: 0 };
        streams.set(key, s);
      }
      s.lines.push(JSON.stringify(r));
      s.last = Math.max(s.last, delivered);
      if (s.lines.length >= s.target) await flush(key);
    },
    end: async (): Promise<{ files: number; bytes: number; events: number }> => {
      for (const key of [...streams.keys()].sort()) await flush(key);
      await Promise.all(inFlight);
      return { files, bytes, events };
    },
  };
};

/** Uncompressed size of the one large log file. */
export const LARGE_FILE_BYTES = 200 * 1024 * 1024;

/**
 * The large log file: records of another day of the same organisation (its own seed, so no event repeats the
 * corpus's), in start order, written as one `{"Records":[…]}` document through a gzip stream until it holds
 * {@link LARGE_FILE_BYTES} of text.
 */
export const writeLargeFile = async (dir: string): Promise<{ events: number; bytes: number }> => {
  const seed = `${SEED}-large`;
  const key = objectKey('111122223333', 'us-east-1', at(12), 'LargeFile0000000');
  const target = join(dir, ...key.split('/'));
  mkdirSync(dirname(target), { recursive: true });
  const gzip = createGzip({ level: 6 });
  const out = createWriteStream(target);
  gzip.pipe(out);
  let text = 0;
  let events = 0;
  let parts: string[] = ['{"Records":['];
  const drain = async (): Promise<void> => {
    const chunk = parts.join('');
    parts = [];
    text += Buffer.byteLength(chunk);
    if (!gzip.write(chunk)) await new Promise<void>((resolve) => gzip.once('drain', () => resolve()));
  };
  for (const activity of planDay(BENCH_SHAPE, seed)) {
    if (text >= LARGE_FILE_BYTES) break;
    const records: CtRecord[] = [];
    activity.run({ rng: rngFrom(seed, activity.key), emit: (r) => records.push(r) });
    for (const r of records) {
      parts.push(events === 0 ? JSON.stringify(r) : `,${JSON.stringify(r)}`);
      events++;
    }
    if (parts.length >= 1000) await drain();
  }
  parts.push(']}');
  await drain();
  await new Promise<void>((resolve, reject) => {
    out.once('finish', () => resolve());
    out.once('error', reject);
    gzip.end();
  });
  return { events, bytes: out.bytesWritten };
};

/**
 * Generate the corpus. Activities are expanded in start order; records wait in per-minute buckets of their
 * delivery time and go to their file once no later activity can add to that minute, so files come out in
 * delivery order as CloudTrail's do, with the usual few minutes of disorder inside them.
 */
export const generateCorpus = async (dir: string, log: (line: string) => void): Promise<Manifest> => {
  const activities = planDay(BENCH_SHAPE, SEED);
  for (let i = 0; i < BENCH_SHAPE.teams; i++) if (SCENARIO_TEAMS(i)) activities.push(...scenarioPlan(team(i)));
  activities.sort(byStartThenKey);
  const delivery = createDelivery(dir);
  const pending = new Map<number, { r: CtRecord; at: number }[]>();
  let watermark = Number.NEGATIVE_INFINITY;
  const flushBefore = async (minute: number): Promise<void> => {
    for (const m of [...pending.keys()].filter((k) => k < minute).sort((a, b) => a - b)) {
      const bucket = pending.get(m) ?? [];
      pending.delete(m);
      bucket.sort((a, b) => a.at - b.at);
      for (const { r, at } of bucket) await delivery.add(r, at);
    }
  };
  let done = 0;
  for (const activity of activities) {
    const minute = Math.floor(activity.at / MINUTE);
    if (minute > watermark) {
      await flushBefore(minute);
      watermark = minute;
    }
    activity.run({
      rng: rngFrom(SEED, activity.key),
      emit: (r) => {
        const at = deliveredAt(r);
        const m = Math.max(watermark, Math.floor(at / MINUTE));
        let bucket = pending.get(m);
        if (bucket === undefined) {
          bucket = [];
          pending.set(m, bucket);
        }
        bucket.push({ r, at });
      },
    });
    if (++done % 20_000 === 0) log(`  planned activity ${done} of ${activities.length}`);
  }
  await flushBefore(Number.POSITIVE_INFINITY);
  const { files, bytes, events } = await delivery.end();
  log('  writing the large log file …');
  const large = await writeLargeFile(dir);
  return { version: corpusVersion(), events: events + large.events, files: files + 1, bytes: bytes + large.bytes };
};

/** The corpus in .bench/corpus, generated only when missing or made by another generator version. */
export const ensureCorpus = async (log: (line: string) => void): Promise<Manifest & { readonly reused: boolean }> => {
  const version = corpusVersion();
  if (existsSync(MANIFEST) && existsSync(CORPUS_DIR)) {
    const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8')) as Manifest;
    if (manifest.version === version) return { ...manifest, reused: true };
  }
  log(`generating the bench corpus (version ${version}) into ${CORPUS_DIR} …`);
  rmSync(MANIFEST, { force: true });
  rmSync(CORPUS_DIR, { recursive: true, force: true });
  const tmp = `${CORPUS_DIR}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const manifest = await generateCorpus(tmp, log);
  renameSync(tmp, CORPUS_DIR);
  writeFileSync(MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`);
  return { ...manifest, reused: false };
};
