import type { DetectionConfig } from '../../rules/core/config.ts';
import type { EventSelector } from '../../rules/core/types.ts';
import type { Keep, Picked, PickedResult } from '../sources.ts';

export type { Keep, Picked };

/**
 * What a scan worker sends back for one file, in read order (`readPicked`). Events are not sent one by one: only
 * those the detector still needs (`needsDetector`: a rule matched, or a rule with memory or IP intelligence is a
 * candidate), each with its index among its batch's events, so the main thread can rebuild exactly the batches a
 * single-threaded scan would have formed.
 */
export type WorkerItem = PickedResult;

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
