#!/usr/bin/env node
// The published entry point. It runs the CLI prebuilt as plain JavaScript (dist/cli, built by `npm run build`,
// which `prepare` runs on every install): no TypeScript loader in the process, so it starts faster and holds
// less memory. Without the build (an install without dev dependencies, or dist removed) it registers tsx and
// runs the TypeScript sources as they are.
import { existsSync } from 'node:fs';

const built = new URL('../dist/cli/main.mjs', import.meta.url);
let main;
if (process.env.TRAILWARDEN_FROM_SOURCE !== '1' && existsSync(built)) {
  main = await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  main = await import('../cli/main.ts');
}
await main.run();
