import { createDeps, createHandler } from './health.ts';

/** Lambda entry point (scheduled). Env is parsed at init, so a misconfigured function fails fast. */
export const handler = createHandler(createDeps(process.env));
