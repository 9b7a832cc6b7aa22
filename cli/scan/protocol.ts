import type { DetectionConfig } from '../../rules/core/config.ts';
import type { AuditEvent, EventSelector } from '../../rules/core/types.ts';
import type { ReadResult } from '../sources.ts';

/**
 * What a scan worker sends back for one file, in read order. Events are not sent one by one: only those the
 * detector still needs (`needsDetector`: a rule matched, or a rule with memory or IP intelligence is a candidate),
 * each with its index among the chunk's events, so the main thread can rebuild exactly the batches a
 * single-threaded scan would have formed.
 */
export type WorkerItem =
  | Exclude<ReadResult, { readonly kind: 'events' }>
  | {
      readonly kind: 'picked';
      /** Events read in this chunk, acted on or not. */
      readonly count: number;
      /** Indexes (within the chunk) of the events in `events`, ascending. */
      readonly at: readonly number[];
      readonly events: readonly AuditEvent[];
      /** Earliest and latest finite event time of the chunk (±Infinity when none): the scanned range. */
      readonly minMs: number;
      readonly maxMs: number;
    };

export interface WorkerTask {
  readonly kind: 'scan';
  readonly task: number;
  readonly path: string;
  readonly batchSize: number;
}

/** The main thread took a reply of `task`: the worker may read on (see {@link REPLY_WINDOW}). */
export interface WorkerAck {
  readonly kind: 'ack';
  readonly task: number;
}

export type ToWorker = WorkerTask | WorkerAck;

/**
 * A file's items come back in pieces as it is read (one per batch of events, with the notices before it), so
 * a 200 MB file never sits whole in a worker or in a message; `last` closes the file.
 */
export interface WorkerReply {
  readonly task: number;
  readonly items: readonly WorkerItem[];
  readonly last: boolean;
}

/**
 * Replies of one file a worker may have sent that the main thread has not taken yet. The main thread takes files
 * in input order, so a worker ahead of it stops after this many: read-ahead is bounded in pieces, not files.
 */
export const REPLY_WINDOW = 2;

export interface WorkerSetup {
  /** What each rule of the main thread's catalogue listens to (`rule.on`), in catalogue order. */
  readonly selectors: readonly EventSelector[];
  /**
   * Which of those rules the worker judges itself: by catalogue position, the id of a registered rule (the very
   * object `rules/index.ts` exports, and `judgedAlone`), or null for one the main thread must judge (memory, IP
   * intelligence, or a rule the worker cannot load). With the detector's config, which the rules read. Absent:
   * the worker judges nothing and keeps every event some rule listens to.
   */
  readonly judge?: { readonly config: DetectionConfig; readonly alone: readonly (string | null)[] };
}

export type Picked = Extract<WorkerItem, { readonly kind: 'picked' }>;

/** Whether the detector needs an event (`needsDetector`, or `actsOn` where nothing is judged on the spot). */
export type Keep = (e: AuditEvent) => boolean;

/** Picks from one chunk of events: those `keep` keeps, their indexes, and the chunk's time range. */
export const pick = (keep: Keep, events: readonly AuditEvent[]): Picked => {
  const at: number[] = [];
  const kept: AuditEvent[] = [];
  let minMs = Number.POSITIVE_INFINITY;
  let maxMs = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as AuditEvent;
    if (Number.isFinite(e.timeMs)) {
      if (e.timeMs < minMs) minMs = e.timeMs;
      if (e.timeMs > maxMs) maxMs = e.timeMs;
    }
    if (keep(e)) {
      at.push(i);
      kept.push(e);
    }
  }
  return { kind: 'picked', count: events.length, at, events: kept, minMs, maxMs };
};
