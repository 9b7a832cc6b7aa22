import { Worker } from 'node:worker_threads';
import type { WorkerItem, WorkerReply, WorkerSetup, WorkerTask } from './protocol.ts';

const ENTRY = new URL('./worker-entry.mjs', import.meta.url);
/** Files queued at each worker, so a worker never waits on a round trip for its next file. */
const DEPTH = 2;

/** Scan workers that read files; a file's items come back whole, in read order. */
export interface FilePool {
  readonly scan: (path: string, batchSize: number) => Promise<readonly WorkerItem[]>;
  readonly close: () => Promise<void>;
}

interface Job {
  readonly task: WorkerTask;
  readonly done: (items: readonly WorkerItem[]) => void;
}

interface Slot {
  worker: Worker;
  /** Tasks posted to the worker, oldest first: it works through them in order. */
  readonly posted: Job[];
}

/**
 * `jobs` worker threads. A worker that dies (out of memory, a crash in a native module) never kills the scan:
 * the file it was reading is reported unreadable, the files queued behind it go to a fresh worker.
 */
export const createFilePool = (jobs: number, setup: WorkerSetup): FilePool => {
  const queue: Job[] = [];
  const slots: Slot[] = [];
  let nextTask = 0;
  let closing = false;

  const dispatch = (slot: Slot): void => {
    while (slot.posted.length < DEPTH) {
      const job = queue.shift();
      if (job === undefined) return;
      slot.posted.push(job);
      slot.worker.postMessage(job.task);
    }
  };
  const dispatchAll = (): void => {
    // The least loaded first, so files spread evenly.
    for (const slot of [...slots].sort((a, b) => a.posted.length - b.posted.length)) dispatch(slot);
  };

  const spawn = (slot: Slot): void => {
    const worker = new Worker(ENTRY, { workerData: setup });
    slot.worker = worker;
    const fail = (why: string): void => {
      if (closing || slot.worker !== worker) return;
      const [lost, ...rest] = slot.posted.splice(0);
      queue.unshift(...rest);
      lost?.done([{ kind: 'unreadable', file: lost.task.path, message: `scan worker failed: ${why}` }]);
      void worker.terminate();
      spawn(slot);
      dispatchAll();
    };
    worker.on('message', (reply: WorkerReply) => {
      const at = slot.posted.findIndex((j) => j.task.task === reply.task);
      if (at < 0) return;
      const [job] = slot.posted.splice(at, 1);
      job?.done(reply.items);
      dispatchAll();
    });
    worker.on('error', (err) => fail(err instanceof Error ? err.message : String(err)));
    worker.on('exit', (code) => fail(`exited with code ${code}`));
  };

  for (let i = 0; i < jobs; i++) {
    const slot = { posted: [] } as unknown as Slot;
    spawn(slot);
    slots.push(slot);
  }

  return {
    scan: (path, batchSize) =>
      new Promise((done) => {
        queue.push({ task: { task: nextTask++, path, batchSize }, done });
        dispatchAll();
      }),
    close: async () => {
      closing = true;
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
};
