import { parentPort, workerData } from 'node:worker_threads';
import { selectorCatalogue } from '../../rules/core/engine.ts';
import { describeIoError, readInput } from '../sources.ts';
import type { WorkerItem, WorkerReply, WorkerSetup, WorkerTask } from './protocol.ts';
import { pick } from './protocol.ts';

/**
 * One scan worker: reads, gunzips and parses the files it is given and selects the events some rule (or the
 * drill-integrity check) can act on. Everything that depends on order (windows, dedup, history, incidents)
 * stays on the main thread, which receives these picks in file order.
 */

const port = parentPort;
if (port === null) throw new Error('scan worker started outside a worker thread');
const setup = workerData as WorkerSetup;
// Selectors, not rules: the worker loads no rule code, so it starts fast and picks exactly what they select.
const catalogue = selectorCatalogue(setup.selectors);

const scanFile = async (task: WorkerTask): Promise<WorkerReply> => {
  const items: WorkerItem[] = [];
  try {
    for await (const result of readInput({ kind: 'file', path: task.path }, task.batchSize)) {
      items.push(result.kind === 'events' ? pick(catalogue, result.events) : result);
    }
    return { task: task.task, items };
  } catch (err) {
    // readInput reports bad input as results; anything else is a fault of ours, named, never a dead worker.
    items.push({ kind: 'unreadable', file: task.path, message: `scan worker failed: ${describeIoError(err)}` });
    return { task: task.task, items };
  }
};

// One file at a time, in the order posted: the pool queues a few ahead so this thread never idles.
let chain: Promise<void> = Promise.resolve();
port.on('message', (task: WorkerTask) => {
  chain = chain.then(async () => port.postMessage(await scanFile(task)));
});
