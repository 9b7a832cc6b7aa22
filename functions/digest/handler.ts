import { createDeps, createHandler } from './digest.ts';

/** Lambda entry point (scheduled, hourly). Env is parsed at init, so a misconfigured function fails fast. */
export const handler = createHandler(createDeps(process.env));
