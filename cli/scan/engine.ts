import { statSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import type { DetectionConfig } from '../../rules/core/config.ts';
import type { BatchOutcome } from '../../rules/core/detector.ts';
import { judgedAlone, needsDetector, prejudgedOf } from '../../rules/core/detector.ts';
import type { Catalogue } from '../../rules/core/engine.ts';
import { catalogueOf } from '../../rules/core/engine.ts';
import { createSegmentedKnownValues } from '../../rules/core/known-values.ts';
import type { AuditEvent, Rule } from '../../rules/core/types.ts';
import { createPositionFeeder } from '../batches.ts';
import type { Picked, ReadResult, WalkResult } from '../sources.ts';
import { readPicked } from '../sources.ts';
import type { KeepFor } from './keep.ts';
import { localKeep } from './keep.ts';
import type { FileScan } from './pool.ts';
import { createFilePool } from './pool.ts';
import type { WorkerItem, WorkerSetup } from './protocol.ts';
import { workerSource } from './worker-source.ts';

/** Anything read that is not an event: bad lines, unreadable files, a file read to its end, a walk skip. */
export type ScanNotice =
  | Exclude<ReadResult, { readonly kind: 'events' }>
  | Extract<WalkResult, { readonly kind: 'skipped' | 'unreadable' }>;

export interface EngineOptions {
  readonly batchSize: number;
  /**
   * Threads reading files: this one and `jobs - 1` workers; 1 reads in this thread alone (and so does a scan of a
   * single file).
   */
  readonly jobs: number;
  /** The catalogue the detector runs: the workers select events with its rules' selectors. */
  readonly catalogue: Catalogue;
  /**
   * How many files may be queued for the readers ahead of the one the detector is on (default 64). Memory is
   * bounded by the readers' reply window (`REPLY_WINDOW`), not by this: a file ahead costs a queue entry. With only
   * 2 per job, one reader idled while the other read the bench corpus's 200 MB file (~1.4 s) once it had read the
   * few files queued behind it; 64 ahead is ~3 % faster with two jobs (3 alternating runs each: 7.9–8.1 s against
   * 8.2–8.5 s), at the same peak RSS.
   */
  readonly readAhead?: number;
  /**
   * The detector's config. With it, the rules that need nothing but the event (`judgedAlone`) are judged where the
   * events are read, and only the events the detector still needs reach `process` (`needsDetector`). Only for a
   * detector without a clock, as `trailwarden scan`'s. Absent: every event some rule listens to reaches it.
   */
  readonly config?: DetectionConfig;
  /** Bytes on disk per scan segment (`segmentsOf`; default `SEGMENT_BYTES`): tests make it small. */
  readonly segmentBytes?: number;
}

export interface EngineHooks {
  /**
   * Each batch, exactly as a single-threaded scan forms it, less the events it could do nothing with: those no rule
   * listens to and, with `config`, those every candidate rule judged alone found no match in.
   */
  readonly process: (events: readonly AuditEvent[]) => Promise<BatchOutcome>;
  readonly onOutcome?: (outcome: BatchOutcome) => void;
  /** Every notice, in the order a single-threaded scan meets them. */
  readonly onNotice?: (notice: ScanNotice) => void;
  /** After each chunk of events is counted. */
  readonly onEvents?: (count: number) => void;
}

export interface EngineResult {
  readonly events: number;
  /** Earliest and latest finite event time (±Infinity when none). */
  readonly minMs: number;
  readonly maxMs: number;
  /** Threads that read the files (1: this one). */
  readonly jobs: number;
}

/**
 * The scan engine: inputs (files, directories walked, stdin) → batches → the detector. With `jobs > 1` worker
 * threads (`jobs - 1`) and this thread read and parse the files, judge the rules that need nothing but the event and
 * keep only the events the detector still needs (`needsDetector`); this thread takes
 * their results in input order and cuts batches at the very event positions a single-threaded read would,
 * so windows, dedup, history and incidents see exactly what they would have seen: the same findings, ids,
 * counts, incidents and pages. `trailwarden scan` runs on this; so can anything that scans a set of files.
 */
export const runEngine = async (
  inputs: Iterable<WalkResult> | AsyncIterable<WalkResult>,
  options: EngineOptions,
  hooks: EngineHooks,
): Promise<EngineResult> => {
  const all: WalkResult[] = [];
  for await (const input of inputs) all.push(input);
  const files = all.filter((i) => i.kind === 'file').length;
  const jobs = Math.max(1, Math.min(options.jobs, files));
  const setup = await workerSetupFor(options);
  const keepFor = localKeep(options.catalogue.rules, options.config, setup);
  const scan: Scan = { inputs: all, segments: segmentsOf(all, options.segmentBytes), keepFor };
  return jobs === 1 ? inThread(scan, options, hooks) : inWorkers(scan, options, hooks, jobs, setup);
};

/** What both ways of reading need: the inputs in order, the segment of each (`segmentsOf`), how readers keep. */
interface Scan {
  readonly inputs: readonly WalkResult[];
  readonly segments: readonly number[];
  readonly keepFor: KeepFor;
}

/**
 * Consecutive inputs of about this many bytes on disk form a segment: what the scan remembers of values seen
 * (`known-values.ts`) starts afresh with each, so its memory is bounded by a segment's reads, however large the
 * scan (32 MiB of gzip is about 200,000 CloudTrail events).
 */
export const SEGMENT_BYTES = 32 * 1024 * 1024;

/**
 * The segment of each input, from the inputs alone (sizes on disk, in input order), so every thread agrees on it:
 * a new segment starts once the files before it in the current one reach `SEGMENT_BYTES`; standard input is a
 * segment of its own.
 */
export const segmentsOf = (inputs: readonly WalkResult[], segmentBytes = SEGMENT_BYTES): number[] => {
  let segment = 0;
  let bytes = 0;
  return inputs.map((input) => {
    if (input.kind === 'stdin') {
      segment += 1;
      bytes = segmentBytes;
      return segment;
    }
    if (input.kind !== 'file') return segment;
    if (bytes >= segmentBytes) {
      segment += 1;
      bytes = 0;
    }
    bytes += sizeOnDisk(input.path);
    return segment;
  });
};

const sizeOnDisk = (path: string): number => {
  try {
    return statSync(path).size;
  } catch {
    // Unreadable: the read reports it; it adds nothing to the segment.
    return 0;
  }
};

const process = async (hooks: EngineHooks, events: readonly AuditEvent[]): Promise<void> => {
  const outcome = await hooks.process(events);
  hooks.onOutcome?.(outcome);
};

/** The kept events of one picked batch, with their positions. */
type PickedEvents = Pick<Picked, 'at' | 'events'>;

/**
 * Across the whole scan, in the thread that feeds the detector: an event kept only because an `onlyNewValues` rule
 * listens to it is dropped when an earlier kept event already showed the value (`known-values.ts`). It sees the
 * kept events in input order whatever the number of threads, so it drops the same ones.
 */
const repeatFilter = (options: EngineOptions): ((segment: number, picked: PickedEvents) => PickedEvents) => {
  const config = options.config;
  const catalogue = catalogueOf(prejudgedOf(options.catalogue.rules));
  if (config === undefined || !catalogue.rules.some((r) => r.onlyNew !== undefined)) return (_, p) => p;
  const knownIn = createSegmentedKnownValues();
  const repeatable = (e: AuditEvent): boolean => catalogue.candidates(e).some((c) => c.onlyNew !== undefined);
  return (segment, picked) => {
    const known = knownIn(segment);
    if (!picked.events.some(repeatable)) return picked;
    const at: number[] = [];
    const events: AuditEvent[] = [];
    picked.events.forEach((e, k) => {
      if (repeatable(e) && !needsDetector(catalogue, config, e, known)) return;
      at.push(picked.at[k] as number);
      events.push(e);
    });
    return { at, events };
  };
};

/**
 * What the workers need to judge the rules that need nothing but the event: the config (when it crosses a thread
 * unchanged) and, per rule, its id when it is the registered rule of that id (a worker loads the registry, so a
 * rule built elsewhere, as a test's, is left to this thread).
 */
export const workerSetupFor = async (options: EngineOptions): Promise<WorkerSetup> => {
  const selectors = options.catalogue.rules.map((r) => r.on);
  const config = options.config;
  if (config === undefined) return { selectors };
  let copy: unknown;
  try {
    copy = structuredClone(config);
  } catch {
    return { selectors };
  }
  if (!isDeepStrictEqual(copy, config)) return { selectors };
  const { RULES } = await import('../../rules/index.ts');
  const registry = new Map(RULES.map((r) => [r.id, r]));
  const registered = (r: Rule): boolean => registry.get(r.id) === r;
  const alone = options.catalogue.rules.map((r) => (registered(r) && judgedAlone(r) ? r.id : null));
  const onlyNew = options.catalogue.rules.map((r) => (registered(r) && r.history?.onlyNewValues ? r.id : null));
  return { selectors, judge: { config, alone, onlyNew } };
};

/** One thread reads every input, judges the rules that need nothing but the event, and feeds the detector. */
const inThread = async (scan: Scan, options: EngineOptions, hooks: EngineHooks): Promise<EngineResult> => {
  const range = { events: 0, minMs: Number.POSITIVE_INFINITY, maxMs: Number.NEGATIVE_INFINITY };
  const unrepeated = repeatFilter(options);
  // The events are picked as they are parsed (the others die young), and batched by their positions, as the
  // workers' picks are: the same batches as a feeder of every event, less the events the detector does not need.
  const feeder = createPositionFeeder(options.batchSize, (events) => process(hooks, events));
  for (const [i, input] of scan.inputs.entries()) {
    if (input.kind === 'skipped' || input.kind === 'unreadable') {
      hooks.onNotice?.(input);
      continue;
    }
    const segment = scan.segments[i] as number;
    for await (const result of readPicked(input, options.batchSize, scan.keepFor(segment))) {
      if (result.kind === 'picked') {
        range.events += result.count;
        if (result.minMs < range.minMs) range.minMs = result.minMs;
        if (result.maxMs > range.maxMs) range.maxMs = result.maxMs;
        hooks.onEvents?.(result.count);
        const { at, events } = unrepeated(segment, result);
        await feeder.feed(result.count, at, events);
      } else hooks.onNotice?.(result);
    }
  }
  await feeder.end();
  return { ...range, jobs: 1 };
};

/**
 * Heap caps for each scan worker: a worker holds a piece of one file at a time (about 100 MB of old space is
 * ample; a maximum this small also makes V8 collect the old generation at 1.3× what is live, as `thread.ts` says),
 * and a small young generation keeps each thread's resident memory low; peak RSS counts every thread. A worker
 * still costs ~20 MB before it reads a byte (its isolate and the rule catalogue), hence the reader in this thread.
 * (A 2 MB young generation was measured too: 1 to 4 MB less at two jobs but 2 to 5 % slower, 4 alternating runs
 * each, its CPU up as much; not kept.)
 */
const WORKER_LIMITS = { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 4 } as const;

const inWorkers = async (
  scan: Scan,
  options: EngineOptions,
  hooks: EngineHooks,
  jobs: number,
  setup: WorkerSetup,
): Promise<EngineResult> => {
  const inputs = scan.inputs;
  const range = { events: 0, minMs: Number.POSITIVE_INFINITY, maxMs: Number.NEGATIVE_INFINITY };
  const feeder = createPositionFeeder(options.batchSize, (events) => process(hooks, events));
  const unrepeated = repeatFilter(options);
  const take = async (segment: number, item: WorkerItem): Promise<void> => {
    if (item.kind !== 'picked') {
      hooks.onNotice?.(item);
      return;
    }
    range.events += item.count;
    if (item.minMs < range.minMs) range.minMs = item.minMs;
    if (item.maxMs > range.maxMs) range.maxMs = item.maxMs;
    hooks.onEvents?.(item.count);
    const { at, events } = unrepeated(segment, item);
    await feeder.feed(item.count, at, events);
  };

  // This thread is one of the readers: `jobs - 1` workers and a reader here, which reads while the detector would
  // otherwise wait (it judges ~1 % of the events; the reading is the rest). Its own keep, as each worker has one.
  const local = localKeep(options.catalogue.rules, options.config, setup);
  const pool = createFilePool(jobs - 1, setup, await workerSource(), WORKER_LIMITS, local);
  const readAhead = Math.max(1, options.readAhead ?? 64);
  // Results are taken strictly in input order. Files run ahead by at most `readAhead`; each reader holds at most
  // REPLY_WINDOW here (two batches' worth of kept events, or 1,024 pieces) before it waits, so memory stays bounded
  // however many files there are and however large each is.
  const ahead: (FileScan | undefined)[] = [];
  let next = 0;
  const fill = (): void => {
    while (ahead.length < readAhead && next < inputs.length) {
      const segment = scan.segments[next] as number;
      const input = inputs[next++] as WalkResult;
      ahead.push(input.kind === 'file' ? pool.scan(input.path, options.batchSize, segment) : undefined);
    }
  };
  try {
    fill();
    for (const [i, input] of inputs.entries()) {
      const file = ahead.shift();
      fill();
      const segment = scan.segments[i] as number;
      if (input.kind === 'skipped' || input.kind === 'unreadable') hooks.onNotice?.(input);
      else if (input.kind === 'stdin') {
        // Standard input cannot be handed to a worker: read here, picked the same way, at its place in order.
        const keep = scan.keepFor(segment);
        for await (const result of readPicked(input, options.batchSize, keep)) await take(segment, result);
      } else if (file !== undefined) {
        for (let items = await file.next(); items !== undefined; items = await file.next()) {
          for (const item of items) await take(segment, item);
        }
      }
    }
    await feeder.end();
  } finally {
    await pool.close();
  }
  return { ...range, jobs };
};
