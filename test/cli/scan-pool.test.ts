import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { localKeep } from '../../cli/scan/keep.ts';
import type { FilePool } from '../../cli/scan/pool.ts';
import { createFilePool } from '../../cli/scan/pool.ts';
import type { WorkerItem } from '../../cli/scan/protocol.ts';
import { REPLY_WINDOW } from '../../cli/scan/protocol.ts';
import { workerSource } from '../../cli/scan/worker-source.ts';
import { benign, logFile, stopLogging, tempTree } from './helpers.ts';

/**
 * The scan's file pool on its own: workers read files ahead of the main thread, and what they have sent and it has
 * not taken is bounded per worker ({@link REPLY_WINDOW}), however many files are queued ahead.
 */
const SELECTORS = [{ source: 'cloudtrail', eventNames: ['StopLogging'] }] as const;

const kept = (i: number) => stopLogging(`stop-${i}`);
const ignored = (i: number) => benign(`start-${i}`);

const files = (count: number, perFile: number, record: (i: number) => unknown): string[] => {
  const dir = tempTree(
    Object.fromEntries(
      Array.from({ length: count }, (_, f) => [
        `f${String(f).padStart(3, '0')}.json`,
        logFile(Array.from({ length: perFile }, (_, i) => record(f * perFile + i))),
      ]),
    ),
  );
  return Array.from({ length: count }, (_, f) => join(dir, `f${String(f).padStart(3, '0')}.json`));
};

/** Polls until what waits has not changed for a while: the workers have stopped (window) or finished. */
const settled = async (pool: FilePool): Promise<{ pieces: number; kept: number }> => {
  let last = JSON.stringify(pool.waiting());
  let quiet = 0;
  for (let i = 0; i < 400 && quiet < 8; i++) {
    await new Promise((r) => setTimeout(r, 50));
    const now = JSON.stringify(pool.waiting());
    quiet = now === last ? quiet + 1 : 0;
    last = now;
  }
  return pool.waiting();
};

/** Takes every file's pieces in order, as the main thread does; counts what was read and kept. */
const drain = async (scans: readonly ReturnType<FilePool['scan']>[]) => {
  let events = 0;
  let picked = 0;
  for (const scan of scans) {
    for (let items = await scan.next(); items !== undefined; items = await scan.next())
      for (const item of items as readonly WorkerItem[])
        if (item.kind === 'picked') {
          events += item.count;
          picked += item.events.length;
        }
  }
  return { events, picked };
};

describe('scan file pool: what workers send ahead of the main thread', () => {
  let pool: FilePool | undefined;
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  it('holds at most one window of kept events per worker, however many files are queued ahead', async () => {
    // Files smaller than the window: a window per file would let every one of them be read and wait here.
    const batchSize = 50;
    const paths = files(40, 60, kept);
    pool = createFilePool(2, { selectors: [...SELECTORS] }, await workerSource());
    const scans = paths.map((p) => pool?.scan(p, batchSize, 0) as ReturnType<FilePool['scan']>);
    const waiting = await settled(pool);
    // Each worker stops once its untaken replies keep two batches of events; the piece that crosses adds at most one.
    expect(waiting.kept).toBeGreaterThanOrEqual(2 * REPLY_WINDOW.batches * batchSize);
    expect(waiting.kept).toBeLessThan(2 * (REPLY_WINDOW.batches + 1) * batchSize);
    // Taking the files in order lets the workers read on to the end: nothing lost, nothing stuck.
    expect(await drain(scans)).toEqual({ events: 40 * 60, picked: 40 * 60 });
  }, 60_000);

  it('reads in the scan thread too, which holds a window of its own like a worker', async () => {
    const batchSize = 50;
    const paths = files(40, 60, kept);
    const setup = { selectors: [...SELECTORS] };
    // One worker and a reader in this thread (what `--jobs 2` runs).
    pool = createFilePool(1, setup, await workerSource(), undefined, localKeep([], undefined, setup));
    const scans = paths.map((p) => pool?.scan(p, batchSize, 0) as ReturnType<FilePool['scan']>);
    const waiting = await settled(pool);
    // A worker alone stops short of three batches' worth: two readers each filled their window.
    expect(waiting.kept).toBeGreaterThanOrEqual(2 * REPLY_WINDOW.batches * batchSize);
    expect(waiting.kept).toBeLessThan(2 * (REPLY_WINDOW.batches + 1) * batchSize);
    expect(await drain(scans)).toEqual({ events: 40 * 60, picked: 40 * 60 });
  }, 60_000);

  it('reads on through whole files that keep nothing, up to the piece bound', async () => {
    const paths = files(30, 40, ignored);
    pool = createFilePool(1, { selectors: [...SELECTORS] }, await workerSource());
    // Batches of 1 event: 1,200 pieces, more than the window's pieces, none keeping an event.
    const scans = paths.map((p) => pool?.scan(p, 1, 0) as ReturnType<FilePool['scan']>);
    const waiting = await settled(pool);
    expect(waiting).toEqual({ pieces: REPLY_WINDOW.pieces, kept: 0 });
    expect(await drain(scans)).toEqual({ events: 30 * 40, picked: 0 });
  }, 60_000);
});
