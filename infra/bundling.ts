import { copyFileSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { BuildOptions, Metafile } from 'esbuild';
import { buildSync } from 'esbuild';
import { SDK_EXTERNALS } from './sdk-externals.ts';

/** The file Lambda loads (`index.handler`); chunks a handler `import()`s sit beside it in `chunks/`. */
export const HANDLER_FILE = 'index.mjs';

/**
 * How every function is bundled, by the CDK asset and by the bench alike: ESM for Node 24, minified, the runtime's
 * AWS SDK left out (DynamoDB goes through the functions' own client, infra/sdk-externals.ts), and split: what a
 * handler `import()`s becomes its own chunk, loaded on first use instead of compiled at cold start (the evaluate
 * function's rules, rules/core/lazy-catalogue.ts; the S3 and SNS adapters).
 */
export const functionBuildOptions = (entry: string, outdir: string): BuildOptions => ({
  entryPoints: { index: entry },
  outdir,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  minify: true,
  sourcemap: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  mainFields: ['module', 'main'],
  external: [...SDK_EXTERNALS],
  // No createRequire banner: split, it would repeat in every chunk, and no bundled dependency calls require() (the
  // bundle test fails on esbuild's dynamic-require shim, which is what such a dependency would bring).
  logLevel: 'silent',
  metafile: true,
});

/** Bundles one handler into `outdir` and copies the files it reads at run time beside `index.mjs`. */
export const bundleFunction = (entry: string, outdir: string, files: readonly string[] = []): Metafile => {
  mkdirSync(outdir, { recursive: true });
  const { metafile, errors } = buildSync(functionBuildOptions(entry, outdir));
  if (errors.length > 0 || metafile === undefined)
    throw new Error(`bundling ${entry} failed: ${errors.map((e) => e.text).join('; ')}`);
  for (const file of files) copyFileSync(file, join(outdir, basename(file)));
  return metafile;
};
