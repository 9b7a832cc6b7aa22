import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { gunzipSync } from 'node:zlib';
import { LOCAL_CONCURRENCY } from '../cli/commands/validate-trail.ts';
import { createDirTrailBucket } from '../cli/trail-dir-bucket.ts';
import { HOUR_MS, walkTrail } from '../rules/core/trail-walker.ts';
import { buildTrail, makeTrailKey, writeTrailDir } from '../test/support/trail-bucket.ts';

export interface TrailValidationFigures {
  readonly validateLogFilesPerSec: number;
  /** Uncompressed log bytes validated per second (read + gunzip + SHA-256, digests included), wall clock. */
  readonly validateMBps: number;
  /** The same per CPU-second of the whole process (every thread): what the load of a shared machine hides. */
  readonly validateMBpsPerCpu: number;
  /** SHA-256 alone over the same uncompressed bytes, in memory, one core: issue #12's floor. */
  readonly sha256MBps: number;
  /** gunzip + SHA-256 of the same files, in memory, one core: the work that cannot be avoided. */
  readonly gunzipSha256MBps: number;
  /** The same per CPU-second: against validateMBpsPerCpu it is the cost of streaming and parallelism. */
  readonly gunzipSha256MBpsPerCpu: number;
  /** The same, one worker thread per core: the most this machine can do. */
  readonly gunzipSha256AllCoresMBps: number;
  /**
   * The AWS CLI's own hashing loop (awscli validation.py `_download_log`: one file at a time, 2 KiB reads,
   * zlib + hashlib) run by python3 over the same files on disk, without its S3 requests; null without python3.
   */
  readonly awsCliLoopMBps: number | null;
  readonly validateLogFiles: number;
  readonly validateMB: number;
}

/** The AWS CLI's loop, verbatim in what it does per file; file names on stdin, MB/s of uncompressed output out. */
const AWS_CLI_LOOP = `
import hashlib, sys, time, zlib
files = sys.stdin.read().split('\\n')
best = None
for _ in range(3):
    start = time.perf_counter(); total = 0
    for name in files:
        with open(name, 'rb') as body:
            inflater = zlib.decompressobj(zlib.MAX_WBITS | 16); rolling = hashlib.sha256()
            for chunk in iter(lambda: body.read(2048), b''):
                data = inflater.decompress(chunk); rolling.update(data); total += len(data)
            rest = inflater.flush(); rolling.update(rest); total += len(rest); rolling.hexdigest()
    took = time.perf_counter() - start
    best = took if best is None else min(best, took)
print(total / 1e6 / best)
`;

const awsCliLoop = (files: readonly string[]): number | null => {
  const run = spawnSync('python3', ['-c', AWS_CLI_LOOP], { input: files.join('\n'), encoding: 'utf8' });
  const mbps = Number(run.stdout.trim());
  return run.status === 0 && Number.isFinite(mbps) ? Math.round(mbps * 10) / 10 : null;
};

/** gunzip + SHA-256 of `files` spread over one worker per core; seconds of the best of three rounds. */
const allCores = async (files: readonly Uint8Array[], rounds: number): Promise<number> => {
  const cores = availableParallelism();
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { createHash } = require('node:crypto');
    const { gunzipSync } = require('node:zlib');
    parentPort.on('message', () => {
      for (const b of workerData) createHash('sha256').update(gunzipSync(b, { chunkSize: 256 * 1024 })).digest();
      parentPort.postMessage('done');
    });`;
  const workers = Array.from(
    { length: cores },
    (_, w) => new Worker(source, { eval: true, workerData: files.filter((_, i) => i % cores === w) }),
  );
  try {
    const round = () =>
      Promise.all(
        workers.map(
          (worker) =>
            new Promise<void>((resolve) => {
              worker.once('message', () => resolve());
              worker.postMessage('go');
            }),
        ),
      );
    await round(); // warm-up: the workers' start is not the work
    let min = Number.POSITIVE_INFINITY;
    for (let i = 0; i < rounds; i++) {
      const t = performance.now();
      await round();
      min = Math.min(min, performance.now() - t);
    }
    return min / 1000;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
};

/** The first `count` gzip log files of the bench corpus, in path order. */
const corpusFiles = (corpusDir: string, count: number): string[] =>
  readdirSync(corpusDir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.json.gz'))
    .sort()
    .slice(0, count)
    .map((f) => join(corpusDir, f));

/**
 * `validate-trail`'s speed over a generated trail on disk (the directory adapter: no network in the bench) whose
 * log files are the bench corpus's CloudTrail-like files (realistic sizes and compression, ~10×), against what
 * the same bytes cost at the least: SHA-256 alone (the issue's floor), and gunzip + SHA-256 on one core and on
 * every core. Log hashes are over the uncompressed content, so gunzip cannot be skipped.
 */
export const benchTrailValidation = async (
  corpusDir: string,
  hours = 12,
  logsPerHour = 8,
): Promise<TrailValidationFigures> => {
  const key = makeTrailKey();
  const start = Date.UTC(2026, 10, 2, 1, 0, 7);
  // One hour is empty and one file is a backfill: (hours - 1) × logsPerHour + 1 log files.
  const sources = corpusFiles(corpusDir, (hours - 1) * logsPerHour + 1).map((f) => {
    const gzipped = readFileSync(f);
    return { gzipped, sha256: createHash('sha256').update(gunzipSync(gzipped)).digest('hex') };
  });
  if (sources.length === 0) throw new Error(`no corpus files in ${corpusDir}`);
  const trail = buildTrail(
    {
      bucket: 'bench-trail',
      startMs: start,
      hours,
      logsPerHour,
      logContent: (n) => sources[n % sources.length] ?? { gzipped: new Uint8Array(), sha256: '' },
    },
    key,
  );
  const dir = mkdtempSync(join(tmpdir(), 'trailwarden-bench-trail-'));
  try {
    writeTrailDir(dir, trail.objects);
    const gz = trail.logKeys.map((k) => trail.objects.get(k)?.bytes ?? new Uint8Array());
    const plain = gz.map((b) => gunzipSync(b));
    const bytes = plain.reduce((n, b) => n + b.length, 0);
    const best = async (fn: () => Promise<void> | void): Promise<{ s: number; cpuS: number }> => {
      let min = Number.POSITIVE_INFINITY;
      let minCpu = Number.POSITIVE_INFINITY;
      for (let i = 0; i < 3; i++) {
        const cpu = process.cpuUsage();
        const t = performance.now();
        await fn();
        min = Math.min(min, performance.now() - t);
        const used = process.cpuUsage(cpu);
        minCpu = Math.min(minCpu, (used.user + used.system) / 1000);
      }
      return { s: min / 1000, cpuS: minCpu / 1000 };
    };
    const sha = await best(() => {
      for (const b of plain) createHash('sha256').update(b).digest();
    });
    plain.length = 0;
    const gunzipSha = await best(() => {
      for (const b of gz)
        createHash('sha256')
          .update(gunzipSync(b, { chunkSize: 256 * 1024 }))
          .digest();
    });
    const allCoresS = await allCores(gz, 3);
    let valid = 0;
    const walk = await best(async () => {
      const s = await walkTrail(
        createDirTrailBucket(dir, 'bench-trail'),
        {
          bucket: 'bench-trail',
          prefix: '',
          fromMs: start - HOUR_MS,
          toMs: start + hours * HOUR_MS,
          keys: new Map([[key.publicKey.fingerprint, key.publicKey]]),
          concurrency: LOCAL_CONCURRENCY,
        },
        () => {},
      );
      valid = s.logs.valid;
    });
    if (valid !== trail.logKeys.length)
      throw new Error(`bench trail: ${valid}/${trail.logKeys.length} log files valid`);
    const mb = bytes / 1e6;
    const rate = (s: number) => Math.round((mb / s) * 10) / 10;
    return {
      validateLogFilesPerSec: Math.round(valid / walk.s),
      validateMBps: rate(walk.s),
      validateMBpsPerCpu: rate(walk.cpuS),
      sha256MBps: rate(sha.s),
      gunzipSha256MBps: rate(gunzipSha.s),
      gunzipSha256MBpsPerCpu: rate(gunzipSha.cpuS),
      gunzipSha256AllCoresMBps: rate(allCoresS),
      awsCliLoopMBps: awsCliLoop(trail.logKeys.map((k) => join(dir, ...k.split('/')))),
      validateLogFiles: valid,
      validateMB: Math.round(mb * 10) / 10,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

/** How many times the time of `slower` the time of `faster` is, from their speeds. */
const times = (faster: number, slower: number | null): string =>
  slower === null || slower === 0 ? '–' : `${(faster / slower).toFixed(2)}×`;

/** The bench table's lines for validate-trail: each figure and the ratios to each floor. */
export const trailValidationRows = (t: TrailValidationFigures): [string, string, string][] => [
  [
    'validate-trail',
    `${t.validateLogFilesPerSec} log files/s, ${t.validateMBps} MB/s (${t.validateLogFiles} files, ${t.validateMB} MB); ${t.validateMBpsPerCpu} MB per CPU-s`,
    '',
  ],
  [
    '  floor: SHA-256 alone, 1 core',
    `${t.sha256MBps} MB/s; validate-trail takes ${times(t.sha256MBps, t.validateMBps)} its time`,
    `≤ 1.3× ${t.sha256MBps / t.validateMBps <= 1.3 ? 'met' : 'NOT MET (gunzip alone is slower than this floor)'}`,
  ],
  [
    '  gunzip + SHA-256, 1 core',
    `${t.gunzipSha256MBps} MB/s (${t.gunzipSha256MBpsPerCpu} MB per CPU-s); validate-trail takes ${times(t.gunzipSha256MBps, t.validateMBps)} its time, ${times(t.gunzipSha256MBpsPerCpu, t.validateMBpsPerCpu)} its CPU`,
    '',
  ],
  [
    `  gunzip + SHA-256, ${availableParallelism()} cores`,
    `${t.gunzipSha256AllCoresMBps} MB/s (the most this machine can do); validate-trail takes ${times(t.gunzipSha256AllCoresMBps, t.validateMBps)} its time`,
    '',
  ],
  [
    '  AWS CLI hashing loop (python3)',
    t.awsCliLoopMBps === null
      ? 'not measured (no python3)'
      : `${t.awsCliLoopMBps} MB/s, one file at a time, before any S3 request; validate-trail is ${times(t.validateMBps, t.awsCliLoopMBps)} as fast`,
    '',
  ],
];

// `tsx bench/trail-validate.ts`: just this part of the bench (generates the corpus first if it is missing).
if (process.argv[1]?.endsWith('trail-validate.ts')) {
  const { CORPUS_DIR, ensureCorpus } = await import('./corpus.ts');
  await ensureCorpus((line) => process.stderr.write(`${line}\n`));
  const figures = await benchTrailValidation(CORPUS_DIR);
  for (const [k, v, t] of trailValidationRows(figures))
    process.stdout.write(`${`${k.padEnd(34)} ${v}  ${t}`.trimEnd()}\n`);
  process.stdout.write(`${JSON.stringify({ ...figures, loadAvg1m: Math.round((loadavg()[0] ?? 0) * 10) / 10 })}\n`);
}
