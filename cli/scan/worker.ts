import { isDeepStrictEqual } from 'node:util';
import { parentPort, workerData } from 'node:worker_threads';
import { actsOn, needsDetector } from '../../rules/core/detector.ts';
import { catalogueOf, selectorCatalogue } from '../../rules/core/engine.ts';
import type { Rule } from '../../rules/core/types.ts';
import { RULES } from '../../rules/index.ts';
import { describeIoError, readPicked } from '../sources.ts';
import type { Keep, ToWorker, WorkerItem, WorkerReply, WorkerSetup, WorkerTask } from './protocol.ts';
import { REPLY_WINDOW } from './protocol.ts';

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

/** The main thread's catalogue, each rule judged here only where the setup names a registered rule for it. */
const keepOf = (s: WorkerSetup): Keep => {
  const judge = s.judge;
  if (judge === undefined) {
    const selecting = selectorCatalogue(s.selectors);
    return (e) => actsOn(selecting, e);
  }
  const registry = new Map<string, Rule>(RULES.map((r) => [r.id, r]));
  const entries = s.selectors.map((on, i) => {
    const id = judge.alone[i];
    const rule = id === null || id === undefined ? undefined : registry.get(id);
    // Dispatch by the main thread's selector, judged only by the rule registered under that id for that selector.
    return { id: String(i), on, alone: rule !== undefined && isDeepStrictEqual(rule.on, on) ? rule : undefined };
  });
  const catalogue = catalogueOf(entries);
  return (e) => needsDetector(catalogue, judge.config, e);
};
const keep = keepOf(setup);

/** Replies sent per task and not yet taken, and who waits for one to be taken. */
const credits = new Map<number, { unacked: number; wake: (() => void) | undefined }>();

const send = async (task: number, items: readonly WorkerItem[], last: boolean): Promise<void> => {
  const reply: WorkerReply = { task, items, last };
  port.postMessage(reply);
  if (last) {
    credits.delete(task);
    return;
  }
  let credit = credits.get(task);
  if (credit === undefined) {
    credit = { unacked: 0, wake: undefined };
    credits.set(task, credit);
  }
  credit.unacked++;
  // Backpressure: wait until the main thread takes a piece, so nothing queues without bound on either side.
  while (credit.unacked >= REPLY_WINDOW) {
    const waiting = credit;
    await new Promise<void>((resolve) => {
      waiting.wake = resolve;
    });
  }
};

const scanFile = async (task: WorkerTask): Promise<void> => {
  let items: WorkerItem[] = [];
  try {
    for await (const result of readPicked({ kind: 'file', path: task.path }, task.batchSize, keep)) {
      items.push(result);
      if (result.kind !== 'picked') continue;
      await send(task.task, items, false);
      items = [];
    }
  } catch (err) {
    // readInput reports bad input as results; anything else is a fault of ours, named, never a dead worker.
    items.push({ kind: 'unreadable', file: task.path, message: `scan worker failed: ${describeIoError(err)}` });
  }
  await send(task.task, items, true);
};

// One file at a time, in the order posted: the pool queues a few ahead so this thread never idles.
let chain: Promise<void> = Promise.resolve();
port.on('message', (message: ToWorker) => {
  if (message.kind === 'ack') {
    const credit = credits.get(message.task);
    if (credit === undefined) return;
    credit.unacked--;
    const wake = credit.wake;
    credit.wake = undefined;
    wake?.();
    return;
  }
  chain = chain.then(() => scanFile(message));
});
