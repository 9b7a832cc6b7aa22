import { Writable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import { main } from '../main.ts';
import type { ScanThreadData, ScanThreadMessage } from './thread.ts';

/**
 * The thread `trailwarden scan` runs in (`thread.ts`): the command as the main thread would run it, with the terminal
 * the process has; what it writes goes to the main thread, which writes it out.
 */
const port = parentPort;
if (port === null) throw new Error('the scan thread started outside a worker thread');
const post = (message: ScanThreadMessage): void => port.postMessage(message);
const forward = (fd: 1 | 2): Writable =>
  new Writable({
    decodeStrings: false,
    write(chunk: string | Uint8Array, _encoding, done) {
      post({ kind: 'write', fd, chunk });
      done();
    },
  });
const { argv, isTTY } = workerData as ScanThreadData;
const exitCode = await main(argv, {
  stdout: forward(1),
  stderr: forward(2),
  stdin: process.stdin,
  isTTY,
  env: process.env,
});
post({ kind: 'done', exitCode });
