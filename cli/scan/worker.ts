import { parentPort, workerData } from 'node:worker_threads';
import { RULES } from '../../rules/index.ts';
import { describeIoError, readPicked } from '../sources.ts';
import { workerKeep } from './keep.ts';
import type { ToWorker, WorkerItem, WorkerReply, WorkerSetup, WorkerTask } from './protocol.ts';
import { keptIn, REPLY_WINDOW } from './protocol.ts';

/**
 * One scan worker: reads, gunzips and parses the files it is given and judges on the spot the rules that need
 * nothing but the event (no memory, no IP intelligence), so it sends on only the events the detector still needs
 * (`needsDetector`): matches, and candidates of the rules with memory or intelligence. Everything that depends
 * on order (windows, dedup, history, incidents) stays on the main thread, which receives these picks in file
 * order and judges each of them in full.
 */

const port = parentPort;
if (port === null) throw new Error('scan worker started outside a worker thread');
const setup = workerData as WorkerSetup;

const keepFor = workerKeep(setup, RULES);

/**
 * The kept events of each reply sent and not yet taken, oldest first, over every file this worker read: the main
 * thread takes files in input order, so the replies of files ahead of it wait here, and the window is the worker's,
 * not a file's. A worker ahead thus reads on through as many files as the window allows (most of a file's pieces
 * keep nothing) while another reads a large file the main thread is on, and what waits stays bounded whatever the
 * number of files ahead. Acks come in send order (the main thread takes this worker's files, and their pieces, in
 * order).
 */
const unacked: number[] = [];
let unackedEvents = 0;
let wake: (() => void) | undefined;

const send = async (task: WorkerTask, items: readonly WorkerItem[], last: boolean): Promise<void> => {
  const reply: WorkerReply = { task: task.task, items, last };
  port.postMessage(reply);
  const kept = keptIn(items);
  unacked.push(kept);
  unackedEvents += kept;
  // Backpressure: wait until the main thread takes pieces, so nothing queues without bound on either side.
  const maxEvents = REPLY_WINDOW.batches * task.batchSize;
  while (unacked.length >= REPLY_WINDOW.pieces || unackedEvents >= maxEvents) {
    await new Promise<void>((resolve) => {
      wake = resolve;
    });
  }
};

const scanFile = async (task: WorkerTask): Promise<void> => {
  let items: WorkerItem[] = [];
  try {
    for await (const result of readPicked({ kind: 'file', path: task.path }, task.batchSize, keepFor(task.segment))) {
      items.push(result);
      if (result.kind !== 'picked') continue;
      await send(task, items, false);
      items = [];
    }
  } catch (err) {
    // readInput reports bad input as results; anything else is a fault of ours, named, never a dead worker.
    items.push({ kind: 'unreadable', file: task.path, message: `scan worker failed: ${describeIoError(err)}` });
  }
  await send(task, items, true);
};

// One file at a time, in the order posted: the pool queues a few ahead so this thread never idles.
let chain: Promise<void> = Promise.resolve();
port.on('message', (message: ToWorker) => {
  if (message.kind === 'ack') {
    unackedEvents -= unacked.shift() ?? 0;
    const waiting = wake;
    wake = undefined;
    waiting?.();
    return;
  }
  chain = chain.then(() => scanFile(message));
});
