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

/** Per task, the kept events of each reply sent and not yet taken (oldest first), and who waits for one to be taken. */
interface Credit {
  readonly unacked: number[];
  events: number;
  wake: (() => void) | undefined;
}
const credits = new Map<number, Credit>();

const send = async (task: WorkerTask, items: readonly WorkerItem[], last: boolean): Promise<void> => {
  const reply: WorkerReply = { task: task.task, items, last };
  port.postMessage(reply);
  if (last) {
    credits.delete(task.task);
    return;
  }
  let credit = credits.get(task.task);
  if (credit === undefined) {
    credit = { unacked: [], events: 0, wake: undefined };
    credits.set(task.task, credit);
  }
  const kept = keptIn(items);
  credit.unacked.push(kept);
  credit.events += kept;
  // Backpressure: wait until the main thread takes pieces, so nothing queues without bound on either side.
  const maxEvents = REPLY_WINDOW.batches * task.batchSize;
  while (credit.unacked.length >= REPLY_WINDOW.pieces || credit.events >= maxEvents) {
    const waiting = credit;
    await new Promise<void>((resolve) => {
      waiting.wake = resolve;
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
    const credit = credits.get(message.task);
    if (credit === undefined) return;
    credit.events -= credit.unacked.shift() ?? 0;
    const wake = credit.wake;
    credit.wake = undefined;
    wake?.();
    return;
  }
  chain = chain.then(() => scanFile(message));
});
