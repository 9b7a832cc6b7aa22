import { createDeps, createHandler } from './trail-integrity.ts';

/** Lambda entry point (SQS of new-digest events, and the hourly schedule). Env is parsed at init: fails fast. */
export const handler = createHandler(createDeps(process.env));
