import { createDeps, createHandler } from './elevated-access.ts';

/** Lambda entry point (scheduled). Env is parsed at init, so a misconfigured function fails fast. */
export const handler = createHandler(createDeps(process.env));
