import { readInput } from '../../cli/sources.ts';

/**
 * `node [--max-old-space-size=N] --import tsx count-events.ts FILE`: reads one file as `scan` does and prints
 * what it read as JSON (events, first and last event id, notices), for tests that read under a small heap.
 */
const file = process.argv[2];
if (file === undefined) throw new Error('usage: count-events.ts FILE');
let events = 0;
let first: string | undefined;
let last: string | undefined;
const notices: string[] = [];
for await (const result of readInput({ kind: 'file', path: file }, 1000)) {
  if (result.kind === 'events') {
    events += result.events.length;
    first ??= result.events[0]?.id;
    last = result.events.at(-1)?.id ?? last;
  } else if (result.kind !== 'read') notices.push(`${result.kind}: ${'message' in result ? result.message : ''}`);
}
process.stdout.write(`${JSON.stringify({ events, first, last, notices })}\n`);
