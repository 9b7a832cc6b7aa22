import type { ResourceLimits } from 'node:worker_threads';
import type { Io } from '../io.ts';
import { startWorker } from './start-worker.ts';

/**
 * Set only in the CLI bundle (scripts/build-cli.mjs): where the scan thread's module built beside it lies, relative
 * to this file. From the sources it is undefined, and the scan runs in the process's main thread.
 */
declare const TRAILWARDEN_PREBUILT_SCAN_THREAD: string | undefined;

/**
 * The heap of the thread `trailwarden scan` runs in. V8 lets a heap's garbage grow to a multiple of what is live
 * before it collects the old generation, and the multiple follows the heap's maximum (V8's `MaxGrowingFactor`): up
 * to 4× at the main thread's default maximum (4 GB on the bench machine), down to 1.3× for small ones. The main
 * thread's maximum cannot be set once it runs, so a scan runs in a thread of its own with this one, as do the
 * young generation's semi-spaces, which the main thread grows to 16 MB each while it loads the catalogue. 1 GB is
 * ample for what a scan holds (rule windows, dedup, history and findings; files are streamed) and keeps the heap
 * close to what is live: on the bench corpus a one-thread scan peaks at ~105 MB of RSS instead of ~135 MB, two
 * jobs at ~142 MB instead of ~175 MB (with the reader in this thread, `engine.ts`), at the same speed. A process
 * started with an explicit `--max-old-space-size` gives the scan thread that maximum. (A 4 MB young generation here,
 * with 2 MB in the workers, was measured too: 2 to 9 MB less, speed within the run-to-run spread but slower as
 * often as faster; not kept, since this thread parses every file of a one-job scan.)
 */
export const SCAN_THREAD_LIMITS = { maxOldGenerationSizeMb: 1024, maxYoungGenerationSizeMb: 8 } as const;

/** What the scan thread is started with: the command line after `scan`, and the terminal as the process sees it. */
export interface ScanThreadData {
  readonly argv: readonly string[];
  readonly isTTY: Io['isTTY'];
}

/**
 * What the scan thread posts: its output, stdout and stderr in the one order it wrote them (Node's own worker
 * streams are two channels, and a terminal showing both would see them interleaved differently), then the exit
 * code when the command returns.
 */
export type ScanThreadMessage =
  | { readonly kind: 'write'; readonly fd: 1 | 2; readonly chunk: string | Uint8Array }
  | { readonly kind: 'done'; readonly exitCode: number };

const HEAP_FLAG = /^--max[-_]old[-_]space[-_]size=(\d+)$/;

/**
 * The scan thread's limits: `SCAN_THREAD_LIMITS`, or with `--max-old-space-size=MB` given to this process (in
 * NODE_OPTIONS or on its command line, which node applies after NODE_OPTIONS: the last one wins) that maximum.
 */
export const scanThreadLimits = (
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string = process.env.NODE_OPTIONS ?? '',
): ResourceLimits => {
  const given = [...nodeOptions.split(/\s+/), ...execArgv].flatMap((a) => HEAP_FLAG.exec(a)?.[1] ?? []).at(-1);
  return given === undefined ? SCAN_THREAD_LIMITS : { ...SCAN_THREAD_LIMITS, maxOldGenerationSizeMb: Number(given) };
};

/** Where the prebuilt scan thread lies, or undefined when the CLI runs from its sources. */
const prebuiltThread = (): URL | undefined =>
  typeof TRAILWARDEN_PREBUILT_SCAN_THREAD === 'string'
    ? new URL(TRAILWARDEN_PREBUILT_SCAN_THREAD, import.meta.url)
    : undefined;

/**
 * Runs `trailwarden scan ARGS` in a thread of its own (`SCAN_THREAD_LIMITS`) and returns its exit code, or undefined
 * when the scan should run in this thread: from the sources (no prebuilt thread), or reading standard input
 * (`-`: a thread has no stdin of its own). Its output is written to `io` here, in the order it was written there;
 * an error in it is thrown here, as it would have been.
 */
export const scanInThread = async (args: readonly string[], io: Io): Promise<number | undefined> => {
  const entry = prebuiltThread();
  if (entry === undefined || args.includes('-')) return undefined;
  const workerData: ScanThreadData = { argv: ['scan', ...args], isTTY: io.isTTY };
  const worker = startWorker(entry, { workerData, resourceLimits: scanThreadLimits() });
  return new Promise<number>((resolve, reject) => {
    let exitCode: number | undefined;
    let failed: unknown;
    worker.on('message', (message: ScanThreadMessage) => {
      if (message.kind === 'write') {
        (message.fd === 1 ? io.stdout : io.stderr).write(message.chunk);
        return;
      }
      // Everything it wrote came before: nothing it still holds (a handle left open) may keep the process up.
      exitCode = message.exitCode;
      void worker.terminate();
    });
    worker.on('error', (err) => {
      failed = outOfMemory(err) ? new Error(outOfMemoryMessage(), { cause: err }) : err;
    });
    worker.on('exit', (code) => {
      // Once the command has returned, its output written, nothing after (its teardown) changes the outcome.
      if (exitCode !== undefined) resolve(exitCode);
      else reject(failed ?? new Error(`scan thread exited with code ${code} before it finished`));
    });
  });
};

const outOfMemory = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === 'ERR_WORKER_OUT_OF_MEMORY';

const outOfMemoryMessage = (): string =>
  `the scan ran out of memory (its heap is capped at ${scanThreadLimits().maxOldGenerationSizeMb} MB); ` +
  'run it as `node --max-old-space-size=MB bin/trailwarden.js scan …` to give it more';
