import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createDirTrailBucket } from '../cli/trail-dir-bucket.ts';
import { HOUR_MS, walkTrail } from '../rules/core/trail-walker.ts';
import { buildTrail, makeTrailKey, writeTrailDir } from '../test/support/trail-bucket.ts';

export interface TrailValidationFigures {
  readonly validateLogFilesPerSec: number;
  /** Uncompressed log bytes validated per second (download/read + gunzip + SHA-256, digests included). */
  readonly validateMBps: number;
  /** SHA-256 alone over the same uncompressed bytes, in memory, one core: the floor. */
  readonly sha256MBps: number;
  readonly validateLogFiles: number;
  readonly validateMB: number;
}

/**
 * `validate-trail`'s speed over a generated trail on disk (the directory adapter: no network in the bench),
 * against the SHA-256 speed of this machine over the same bytes.
 */
export const benchTrailValidation = async (
  hours = 12,
  logsPerHour = 8,
  recordsPerLog = 1500,
): Promise<TrailValidationFigures> => {
  const key = makeTrailKey();
  const start = Date.UTC(2026, 10, 2, 1, 0, 7);
  const trail = buildTrail({ bucket: 'bench-trail', startMs: start, hours, logsPerHour, recordsPerLog }, key);
  const dir = mkdtempSync(join(tmpdir(), 'trailwarden-bench-trail-'));
  try {
    writeTrailDir(dir, trail.objects);
    const plain = trail.logKeys.map((k) => gunzipSync(trail.objects.get(k)?.bytes ?? new Uint8Array()));
    const bytes = plain.reduce((n, b) => n + b.length, 0);
    const best = async (fn: () => Promise<void> | void): Promise<number> => {
      let min = Number.POSITIVE_INFINITY;
      for (let i = 0; i < 3; i++) {
        const t = performance.now();
        await fn();
        min = Math.min(min, performance.now() - t);
      }
      return min / 1000;
    };
    const floorS = await best(() => {
      for (const b of plain) createHash('sha256').update(b).digest();
    });
    let valid = 0;
    const walkS = await best(async () => {
      const s = await walkTrail(
        createDirTrailBucket(dir, 'bench-trail'),
        {
          bucket: 'bench-trail',
          prefix: '',
          fromMs: start - HOUR_MS,
          toMs: start + hours * HOUR_MS,
          keys: new Map([[key.publicKey.fingerprint, key.publicKey]]),
        },
        () => {},
      );
      valid = s.logs.valid;
    });
    if (valid !== trail.logKeys.length)
      throw new Error(`bench trail: ${valid}/${trail.logKeys.length} log files valid`);
    const mb = bytes / 1e6;
    return {
      validateLogFilesPerSec: Math.round(valid / walkS),
      validateMBps: Math.round((mb / walkS) * 10) / 10,
      sha256MBps: Math.round((mb / floorS) * 10) / 10,
      validateLogFiles: valid,
      validateMB: Math.round(mb * 10) / 10,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

// `tsx bench/trail-validate.ts`: just this part of the bench.
if (process.argv[1]?.endsWith('trail-validate.ts')) {
  process.stdout.write(`${JSON.stringify(await benchTrailValidation())}\n`);
}
