import { createDeps } from './deps.ts';
import { createHandler } from './drill.ts';

/** Lambda entry point: the schedule, or an on-demand invoke (`{ "rules": ["…"] }` to drill some rules only). */
export const handler = createHandler(createDeps(process.env));
