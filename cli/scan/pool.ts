import type { ResourceLimits } from 'node:worker_threads';
import { Worker } from 'node:worker_threads';
import type { KeepFor } from './keep.ts';
import type { ToWorker, WorkerItem, WorkerReply, WorkerSetup, WorkerTask } from './protocol.ts';
import { keptIn } from './protocol.ts';
import { createScanServer } from './serve.ts';
import { startWorker } from './start-worker.ts';
import type { WorkerSource } from './worker-source.ts';

/** Files queued at each worker, so a worker never waits on a round trip for its next file. */
const DEPTH = 2;

/** One file being read by a worker: its items in read order, piece by piece. */
export interface FileScan {
  /** The next piece of the file's items; `undefined` once the file is read. */
  readonly next: () => Promise<readonly WorkerItem[] | undefined>;
}

/** Scan readers (workers, and the scan's own thread) that read files; each file's items come back in read order. */
export interface FilePool {
  readonly scan: (path: string, batchSize: number, segment: number) => FileScan;
  /** What the readers have sent and the main thread has not taken yet: pieces, and the events kept in them. */
  readonly waiting: () => { readonly pieces: number; readonly kept: number };
  readonly close: () => Promise<void>;
}

/** What the pool needs of a reader: a worker thread, or `localReader` in the scan's own thread. */
interface Reader {
  readonly postMessage: (message: ToWorker) => void;
  readonly on: (event: 'message', listener: (reply: WorkerReply) => void) => unknown;
  readonly terminate: () => Promise<unknown>;
}

interface Piece {
  readonly items: readonly WorkerItem[];
  /** The reader to tell once the piece is taken (it holds back until then); none for a file's last piece. */
  readonly ackTo: Reader | undefined;
}

interface Job {
  readonly task: WorkerTask;
  readonly pieces: Piece[];
  ended: boolean;
  wake: (() => void) | undefined;
}

interface Slot {
  worker: Reader;
  /** Tasks posted to the worker, oldest first: it works through them in order. */
  readonly posted: Job[];
}

const deliver = (job: Job, piece: Piece, last: boolean): void => {
  job.pieces.push(piece);
  if (last) job.ended = true;
  const wake = job.wake;
  job.wake = undefined;
  wake?.();
};

/**
 * A reader in the scan's own thread, served as a worker is (`serve.ts`) and spoken to as one: messages either way
 * are delivered in order, a microtask later, as a port would. It reads while the scan's thread would otherwise wait
 * for the workers (it awaits its reads and the main thread's takes, like any other task), and costs no thread: a
 * worker is ~20 MB of resident memory before it reads a byte (its isolate and the rule catalogue).
 */
export const localReader = (keepFor: KeepFor): Reader => {
  const listeners: ((reply: WorkerReply) => void)[] = [];
  const server = createScanServer(keepFor, (reply) =>
    queueMicrotask(() => {
      for (const listener of listeners) listener(reply);
    }),
  );
  return {
    postMessage: (message) => queueMicrotask(() => server.receive(message)),
    // It never dies as a thread can: a fault in a read is reported as the file's, in its replies.
    on: (_event, listener) => listeners.push(listener),
    terminate: async () => {
      server.stop();
    },
  };
};

/**
 * `jobs` worker threads, and with `local` (its keep) one more reader in this thread (`localReader`); files go to
 * whichever has the fewest queued. A worker that dies (out of memory, a crash in a native module) never kills the
 * scan: the file it was reading is reported unreadable after what it had sent, the files queued behind it go to a
 * fresh worker. `resourceLimits` caps each worker's heap (a worker over it dies and is replaced, as above).
 */
export const createFilePool = (
  jobs: number,
  setup: WorkerSetup,
  source: WorkerSource,
  resourceLimits?: ResourceLimits,
  local?: KeepFor,
): FilePool => {
  const queue: Job[] = [];
  const slots: Slot[] = [];
  let nextTask = 0;
  /** Files scanned and not yet taken to their end. */
  const open = new Set<Job>();
  let closing = false;

  const post = (worker: Reader, message: ToWorker): void => worker.postMessage(message);

  const dispatch = (slot: Slot): void => {
    while (slot.posted.length < DEPTH) {
      const job = queue.shift();
      if (job === undefined) return;
      slot.posted.push(job);
      post(slot.worker, job.task);
    }
  };
  const dispatchAll = (): void => {
    // The least loaded first, so files spread evenly.
    for (const slot of [...slots].sort((a, b) => a.posted.length - b.posted.length)) dispatch(slot);
  };

  const receive = (slot: Slot, worker: Reader, reply: WorkerReply): void => {
    const at = slot.posted.findIndex((j) => j.task.task === reply.task);
    if (at < 0) return;
    const job = slot.posted[at] as Job;
    if (reply.last) slot.posted.splice(at, 1);
    deliver(job, { items: reply.items, ackTo: worker }, reply.last);
    if (reply.last) dispatchAll();
  };

  const spawn = (slot: Slot): void => {
    const options = { workerData: setup, ...(resourceLimits ? { resourceLimits } : {}) };
    const worker =
      source.kind === 'script'
        ? startWorker(source.code, { ...options, eval: true })
        : new Worker(source.entry, options);
    slot.worker = worker;
    const fail = (why: string): void => {
      if (closing || slot.worker !== worker) return;
      const [lost, ...rest] = slot.posted.splice(0);
      queue.unshift(...rest);
      if (lost !== undefined) {
        deliver(
          lost,
          {
            items: [{ kind: 'unreadable', file: lost.task.path, message: `scan worker failed: ${why}` }],
            ackTo: undefined,
          },
          true,
        );
      }
      void worker.terminate();
      spawn(slot);
      dispatchAll();
    };
    worker.on('message', (reply: WorkerReply) => receive(slot, worker, reply));
    worker.on('error', (err) => fail(err instanceof Error ? err.message : String(err)));
    worker.on('exit', (code) => fail(`exited with code ${code}`));
  };

  for (let i = 0; i < jobs; i++) {
    const slot = { posted: [] } as unknown as Slot;
    spawn(slot);
    slots.push(slot);
  }
  if (local !== undefined) {
    const slot: Slot = { worker: localReader(local), posted: [] };
    slot.worker.on('message', (reply) => receive(slot, slot.worker, reply));
    slots.push(slot);
  }

  return {
    scan: (path, batchSize, segment) => {
      const job: Job = {
        task: { kind: 'scan', task: nextTask++, path, batchSize, segment },
        pieces: [],
        ended: false,
        wake: undefined,
      };
      queue.push(job);
      open.add(job);
      dispatchAll();
      const next = async (): Promise<readonly WorkerItem[] | undefined> => {
        while (job.pieces.length === 0) {
          if (job.ended) {
            open.delete(job);
            return undefined;
          }
          await new Promise<void>((resolve) => {
            job.wake = resolve;
          });
        }
        const piece = job.pieces.shift() as Piece;
        if (piece.ackTo !== undefined) post(piece.ackTo, { kind: 'ack', task: job.task.task });
        return piece.items;
      };
      return { next };
    },
    waiting: () => {
      let pieces = 0;
      let kept = 0;
      for (const job of open) {
        pieces += job.pieces.length;
        for (const piece of job.pieces) kept += keptIn(piece.items);
      }
      return { pieces, kept };
    },
    close: async () => {
      closing = true;
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
};
