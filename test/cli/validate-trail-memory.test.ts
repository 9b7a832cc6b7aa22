import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTrail, makeTrailKey, writeTrailDir } from '../support/trail-bucket.ts';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const BUCKET = 'company-cloudtrail';
const START = Date.UTC(2026, 10, 2, 1, 0, 7);
const HOURS = 25;
const LOGS_PER_HOUR = 80;
/** Uncompressed size of the one large log file. */
const BIG_MB = 256;

/**
 * A log file of `mb` MB uncompressed, cheap to make: one gzip member of 1 MB of records, repeated (gzip allows
 * concatenated members and the hash is over the whole uncompressed content, as for any log file).
 */
const bigLog = (mb: number) => {
  const records = [];
  let text = '';
  for (let i = 0; text.length < 1_000_000; i++) {
    records.push({ eventID: `e-${i}`, eventName: 'GetObject', requestParameters: { key: `k/${i}` } });
    if (records.length % 500 === 0) text = JSON.stringify({ Records: records });
  }
  const chunk = Buffer.from(text.slice(0, 1_000_000));
  const member = gzipSync(chunk);
  const hash = createHash('sha256');
  for (let i = 0; i < mb; i++) hash.update(chunk);
  return { gzipped: Buffer.concat(Array.from({ length: mb }, () => member)), sha256: hash.digest('hex') };
};

let dir: string;
let keysFile: string;
let logFiles = 0;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'trailwarden-validate-memory-'));
  const key = makeTrailKey();
  const big = bigLog(BIG_MB);
  const trail = buildTrail(
    {
      bucket: BUCKET,
      startMs: START,
      hours: HOURS,
      logsPerHour: LOGS_PER_HOUR,
      logContent: (n) => {
        if (n === 0) return big;
        const body = JSON.stringify({ Records: [{ eventID: `small-${n}`, eventName: 'ListBuckets' }] });
        return { gzipped: gzipSync(body), sha256: createHash('sha256').update(body).digest('hex') };
      },
    },
    key,
  );
  logFiles = trail.logKeys.length;
  writeTrailDir(dir, trail.objects);
  keysFile = join(dir, 'keys.json');
  writeFileSync(keysFile, JSON.stringify({ PublicKeyList: [key.listEntry] }));
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('validate-trail memory', () => {
  it(`validates ${HOURS} digests, ~2,000 log files and a ${BIG_MB} MB one in a child process with a 48 MB heap`, async () => {
    const to = new Date(START + (HOURS - 1) * 3_600_000).toISOString();
    const args = [
      '--max-old-space-size=48',
      join(root, 'test', 'support', 'peak-rss.mjs'),
      'validate-trail',
      dir,
      '--bucket',
      BUCKET,
      '--from',
      '2026-11-02T00:00:00Z',
      '--to',
      to,
      '--public-keys',
      keysFile,
      '--concurrency',
      '16',
    ];
    const { stdout, stderr } = await run(process.execPath, args, { cwd: root, maxBuffer: 16 * 1024 * 1024 });
    expect(stdout).toContain(`${HOURS + 1}/${HOURS + 1} digest files valid`);
    expect(stdout).toContain(`${logFiles}/${logFiles} log files valid`);
    expect(logFiles).toBeGreaterThan(1900);
    const peakKB = Number(/peak-rss-kb (\d+)/.exec(stderr)?.[1]);
    // Holding the large file's uncompressed content whole would take it past this; streamed, it stays near the
    // runtime's own footprint (~140 MB here, the SDK and tsx included) whatever the number and size of files.
    expect(peakKB / 1024).toBeLessThan(BIG_MB * 0.85);
    console.log(`validate-trail peak RSS ${Math.round(peakKB / 1024)} MB`);
  }, 180_000);
});
