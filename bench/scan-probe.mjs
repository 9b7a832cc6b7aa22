// The scan as users run it: bin/trailwarden.js starts the prebuilt CLI (dist/cli, `npm run build`) with plain
// node, so this probe does the same, with no TypeScript loader in the process: peak RSS and time are then what a
// user sees. Plain JavaScript for that reason; the result has the shape of probe.ts's (ProbeResult).
//   node bench/scan-probe.mjs OUT ARGS…
import { existsSync, writeFileSync } from 'node:fs';

const [out, ...args] = process.argv.slice(2);
const built = new URL('../dist/cli/main.mjs', import.meta.url);
if (out === undefined) {
  process.stderr.write('usage: scan-probe.mjs OUT ARGS…\n');
  process.exit(2);
}
if (!existsSync(built)) {
  process.stderr.write('scan-probe: dist/cli/main.mjs is missing: run `npm run build` first\n');
  process.exit(2);
}
const started = performance.now();
const { run } = await import(built.href);
await run(args);
const cpu = process.cpuUsage();
const result = {
  ms: performance.now() - started,
  cpuMs: (cpu.user + cpu.system) / 1000,
  maxRssKB: process.resourceUsage().maxRSS,
  events: -1,
  exitCode: Number(process.exitCode ?? 0),
};
writeFileSync(out, JSON.stringify(result));
