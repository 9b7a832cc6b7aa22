import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/**
 * Set only in the CLI bundle (scripts/build-cli.mjs): where the worker script built beside it lies, relative to
 * this file. From the sources it is undefined, and the worker is bundled from them when a scan starts.
 */
declare const TRAILWARDEN_PREBUILT_WORKER: string | undefined;

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

/** How a scan worker is started: from one bundled script, or through tsx from the TypeScript sources. */
export type WorkerSource =
  | { readonly kind: 'script'; readonly code: string }
  | { readonly kind: 'tsx'; readonly entry: URL };

const TSX_ENTRY: WorkerSource = { kind: 'tsx', entry: new URL('./worker-entry.mjs', import.meta.url) };

let cached: Promise<WorkerSource> | undefined;

/**
 * The worker's code as one CommonJS script, bundled by esbuild from the sources (about 40 KB, some 200 ms once per
 * process). A worker started from it needs no tsx: tsx's loader hooks cost each worker a loader thread and tens
 * of megabytes, and peak RSS counts every thread. Without esbuild (an install without dev dependencies), workers
 * run the sources through tsx as the CLI does.
 */
export const workerSource = (): Promise<WorkerSource> => {
  cached ??= (async (): Promise<WorkerSource> => {
    if (typeof TRAILWARDEN_PREBUILT_WORKER === 'string') {
      try {
        return { kind: 'script', code: await readFile(new URL(TRAILWARDEN_PREBUILT_WORKER, import.meta.url), 'utf8') };
      } catch {
        // Built without its worker (or the file was removed): bundle it from the sources below.
      }
    }
    try {
      const { build } = await import('esbuild');
      const out = await build({
        entryPoints: [WORKER],
        bundle: true,
        platform: 'node',
        format: 'cjs',
        target: 'node20',
        write: false,
        logLevel: 'silent',
      });
      const code = out.outputFiles[0]?.text;
      return code === undefined ? TSX_ENTRY : { kind: 'script', code };
    } catch {
      return TSX_ENTRY;
    }
  })();
  return cached;
};
