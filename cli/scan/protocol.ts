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
  /** The file's scan segment (`segmentsOf`): what the worker remembers of values seen starts afresh with each. */
  readonly segment: number;
}

/** The main thread took a reply of `task` (the worker's oldest not taken): the worker may read on ({@link REPLY_WINDOW}). */
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
 * What a worker may have sent that the main thread has not taken yet, over all the files it read (the last piece of
 * each included). The main thread takes files in input order, so a worker ahead of it stops at this bound: kept
 * events (two batches' worth, what the detector would hold) or pieces (a piece is one batch read, mostly an event
 * count with few or no events kept: a few hundred bytes). Bounded in kept events rather than pieces, a worker ahead
 * reads on through whole files while the main thread is busy with an earlier one (a large file read by another
 * worker), and the memory waiting on the main thread is at most jobs × this window, however many files are ahead.
 */
export const REPLY_WINDOW = { batches: 2, pieces: 1024 } as const;

/** Events kept in a piece: what the main thread holds until it takes it. */
export const keptIn = (items: readonly WorkerItem[]): number =>
  items.reduce((n, item) => n + (item.kind === 'picked' ? item.events.length : 0), 0);

export interface WorkerSetup {
  /** What each rule of the main thread's catalogue listens to (`rule.on`), in catalogue order. */
  readonly selectors: readonly EventSelector[];
  /**
   * Which of those rules the worker judges itself: by catalogue position, the id of a registered rule (the very
   * object `rules/index.ts` exports, and `judgedAlone`), or null for one the main thread must judge (memory, IP
   * intelligence, or a rule the worker cannot load). With the detector's config, which the rules read. Absent:
   * the worker judges nothing and keeps every event some rule listens to.
   */
  readonly judge?: {
    readonly config: DetectionConfig;
    readonly alone: readonly (string | null)[];
    /** By catalogue position, the id of a registered rule whose history declares `onlyNewValues`, else null. */
    readonly onlyNew: readonly (string | null)[];
  };
}
