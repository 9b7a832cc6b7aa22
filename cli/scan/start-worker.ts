import type { WorkerOptions } from 'node:worker_threads';
import { Worker } from 'node:worker_threads';

/**
 * A worker with the parent's Node options (source maps, stack limits) but not `--input-type`: the bundled scan worker
 * is CommonJS, and a parent started with `--input-type=module` would make it ESM (the scan thread, `thread.ts`, is
 * a file, which the option refuses). A worker refuses V8 options given explicitly (`node --max-old-space-size=…
 * trailwarden scan`): then it starts with none.
 */
export const startWorker = (target: string | URL, options: WorkerOptions): Worker => {
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
  try {
    return new Worker(target, { ...options, execArgv });
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw err;
    return new Worker(target, { ...options, execArgv: [] });
  }
};
