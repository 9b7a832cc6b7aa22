import { createDeps, createHandler } from './evaluate.ts';

/** Lambda entry point. Env and config are parsed at init, so a misconfigured function fails fast and loudly. */
export const handler = createHandler(createDeps(process.env));
