#!/usr/bin/env node
// Builds the CLI as plain JavaScript (`npm run build`, run by `prepare` on every `npm ci` / `npm install`), so
// bin/trailwarden.js starts it with plain node: no TypeScript loader in the process, ~30 MB less resident memory,
// and a faster start. Plain JavaScript so it runs before anything else is set up. Writes:
//   dist/cli/main.mjs (+ chunks)  cli/main.ts and everything it imports, lazy commands kept lazy (code splitting)
//   dist/cli/scan-thread.mjs      the thread a scan runs in (cli/scan/thread.ts), sharing main.mjs's chunks
//   dist/cli/scan-worker.cjs      the scan worker (cli/scan/worker.ts) as one script, as worker-source.ts makes it
// Packages stay in node_modules (imported at run time). Without esbuild (an install without dev dependencies)
// nothing is built and the bin runs the sources through tsx, as before.
import { rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'cli');

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  process.stderr.write('build-cli: esbuild is not installed; the CLI will run from source through tsx\n');
  process.exit(0);
}

/**
 * Each module keeps its own `import.meta.url` (the sources find package.json, docs and data files relative to
 * themselves): in the bundle it becomes that source file's URL, worked out from where the bundle lies.
 */
const ownUrl = {
  name: 'own-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const rel = relative(outdir, args.path).split('\\').join('/');
      return {
        contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`),
        loader: 'ts',
      };
    });
  },
};

rmSync(outdir, { recursive: true, force: true });
const common = { bundle: true, platform: 'node', target: 'node20', logLevel: 'warning' };
await esbuild.build({
  ...common,
  packages: 'external',
  // The scan thread (cli/scan/thread.ts) is an entry of its own, sharing the main entry's chunks.
  entryPoints: { main: join(root, 'cli', 'main.ts'), 'scan-thread': join(root, 'cli', 'scan', 'thread-entry.ts') },
  outdir,
  format: 'esm',
  splitting: true,
  outExtension: { '.js': '.mjs' },
  // Chunks beside the entry: every output file then lies in `outdir`, which the plugin's URLs are relative to.
  chunkNames: '[name]-[hash]',
  plugins: [ownUrl],
  // The scan engine starts its workers from the script built beside it instead of bundling one at run time.
  // (relative to cli/scan/worker-source.ts, whose `import.meta.url` the plugin keeps).
  define: {
    TRAILWARDEN_PREBUILT_SCAN_THREAD: JSON.stringify(
      relative(join(root, 'cli', 'scan'), join(outdir, 'scan-thread.mjs'))
        .split('\\')
        .join('/'),
    ),
    TRAILWARDEN_PREBUILT_WORKER: JSON.stringify(
      relative(join(root, 'cli', 'scan'), join(outdir, 'scan-worker.cjs'))
        .split('\\')
        .join('/'),
    ),
  },
});
await esbuild.build({
  ...common,
  // One self-contained script, exactly as worker-source.ts bundles it at run time (which is silent too: the rule
  // files' fixture helpers use import.meta, but only in their cases, which a scan never calls).
  logLevel: 'error',
  entryPoints: [join(root, 'cli', 'scan', 'worker.ts')],
  outfile: join(outdir, 'scan-worker.cjs'),
  format: 'cjs',
});
