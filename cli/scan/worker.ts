import { parentPort, workerData } from 'node:worker_threads';
import { RULES } from '../../rules/index.ts';
import { workerKeep } from './keep.ts';
import type { ToWorker, WorkerReply, WorkerSetup } from './protocol.ts';
import { createScanServer } from './serve.ts';

/**
 * One scan worker: reads, gunzips and parses the files it is given and judges on the spot the rules that need
 * nothing but the event (no memory, no IP intelligence), so it sends on only the events the detector still needs
 * (`needsDetector`): matches, and candidates of the rules with memory or intelligence. Everything that depends
 * on order (windows, dedup, history, incidents) stays on the scan's thread, which receives these picks in file
 * order and judges each of them in full. The reading itself is `serve.ts`'s, which the scan's thread runs too.
 */

const port = parentPort;
if (port === null) throw new Error('scan worker started outside a worker thread');
const setup = workerData as WorkerSetup;

const server = createScanServer(workerKeep(setup, RULES), (reply: WorkerReply) => port.postMessage(reply));
port.on('message', (message: ToWorker) => server.receive(message));
