import { describeIoError, readPicked } from '../sources.ts';
import type { KeepFor } from './keep.ts';
import type { ToWorker, WorkerItem, WorkerReply, WorkerTask } from './protocol.ts';
import { keptIn, REPLY_WINDOW } from './protocol.ts';

/** A reader serving scan tasks: the messages it is sent, and a way to stop it (the reply it is on is dropped). */
export interface ScanServer {
  readonly receive: (message: ToWorker) => void;
  readonly stop: () => void;
}

/**
 * What a scan reader does with the tasks it is sent, in a worker (`worker.ts`) or in the scan's own thread
 * (`pool.ts`, `localReader`): reads, gunzips and parses each file in the order posted, keeps the events the detector
 * still needs (`keepFor`) and replies piece by piece, holding back at {@link REPLY_WINDOW}.
 */
export const createScanServer = (keepFor: KeepFor, post: (reply: WorkerReply) => void): ScanServer => {
  /**
   * The kept events of each reply sent and not yet taken, oldest first, over every file this reader read: the main
   * thread takes files in input order, so the replies of files ahead of it wait here, and the window is the
   * reader's, not a file's. A reader ahead thus reads on through as many files as the window allows (most of a
   * file's pieces keep nothing) while another reads a large file the main thread is on, and what waits stays
   * bounded whatever the number of files ahead. Acks come in send order (the main thread takes this reader's
   * files, and their pieces, in order).
   */
  const unacked: number[] = [];
  let unackedEvents = 0;
  let wake: (() => void) | undefined;
  let stopped = false;

  const send = async (task: WorkerTask, items: readonly WorkerItem[], last: boolean): Promise<void> => {
    if (stopped) return;
    post({ task: task.task, items, last });
    const kept = keptIn(items);
    unacked.push(kept);
    unackedEvents += kept;
    // Backpressure: wait until the main thread takes pieces, so nothing queues without bound on either side.
    const maxEvents = REPLY_WINDOW.batches * task.batchSize;
    while (!stopped && (unacked.length >= REPLY_WINDOW.pieces || unackedEvents >= maxEvents)) {
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  };

  const scanFile = async (task: WorkerTask): Promise<void> => {
    let items: WorkerItem[] = [];
    try {
      for await (const result of readPicked({ kind: 'file', path: task.path }, task.batchSize, keepFor(task.segment))) {
        if (stopped) return;
        items.push(result);
        if (result.kind !== 'picked') continue;
        await send(task, items, false);
        items = [];
      }
    } catch (err) {
      // readInput reports bad input as results; anything else is a fault of ours, named, never a dead reader.
      items.push({ kind: 'unreadable', file: task.path, message: `scan worker failed: ${describeIoError(err)}` });
    }
    await send(task, items, true);
  };

  const wakeUp = (): void => {
    const waiting = wake;
    wake = undefined;
    waiting?.();
  };

  // One file at a time, in the order posted: the pool queues a few ahead so this reader never idles.
  let chain: Promise<void> = Promise.resolve();
  return {
    receive: (message) => {
      if (message.kind === 'ack') {
        unackedEvents -= unacked.shift() ?? 0;
        wakeUp();
        return;
      }
      chain = chain.then(() => scanFile(message));
    },
    stop: () => {
      stopped = true;
      wakeUp();
    },
  };
};
