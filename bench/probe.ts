import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/**
 * Runs in a fresh child process (so peak RSS is this process's own) and writes what it measured to the file
 * named by its first argument:
 *   probe.ts OUT scan ARGS…   `run` from cli/main.ts through tsx (the bench runs the scan with scan-probe.mjs)
 *   probe.ts OUT floor DIR    the floor: read, gunzip, JSON.parse and walk every record, no rules
 */

export interface ProbeResult {
  readonly ms: number;
  /** CPU time of the whole process (every thread, user + system): what a shared machine cannot inflate. */
  readonly cpuMs: number;
  readonly maxRssKB: number;
  readonly events: number;
  readonly exitCode: number;
}

const files = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && d.name.endsWith('.json.gz'))
    .map((d) => join(d.parentPath, d.name))
    .sort();

/** The least any scanner must do: the same chunk size as the CLI's gunzip, one parse per file. */
const floor = (dir: string): number => {
  let events = 0;
  let touched = 0;
  for (const file of files(dir)) {
    const text = gunzipSync(readFileSync(file), { chunkSize: 256 * 1024 }).toString('utf8');
    const doc = JSON.parse(text) as { Records: { eventName?: string; eventSource?: string }[] };
    for (const record of doc.Records) {
      events++;
      // Touch each record as any reader would, so the loop is not optimised away.
      touched += (record.eventName?.length ?? 0) + (record.eventSource?.length ?? 0);
    }
  }
  if (touched === 0 && events > 0) throw new Error('records had no eventName');
  return events;
};

const [out, mode, ...args] = process.argv.slice(2);
if (out === undefined || (mode !== 'scan' && mode !== 'floor')) {
  process.stderr.write('usage: probe.ts OUT scan ARGS… | probe.ts OUT floor DIR\n');
  process.exit(2);
}
const started = performance.now();
let events = -1;
if (mode === 'scan') {
  const { run } = await import('../cli/main.ts');
  await run(args);
} else {
  events = floor(args[0] ?? '.');
}
const result: ProbeResult = {
  ms: performance.now() - started,
  cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
  maxRssKB: process.resourceUsage().maxRSS,
  events,
  exitCode: Number(process.exitCode ?? 0),
};
writeFileSync(out, JSON.stringify(result));
