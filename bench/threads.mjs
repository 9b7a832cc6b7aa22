#!/usr/bin/env node
// CPU time per thread and peak RSS of one command, read from /proc while it runs (Linux only):
//   node bench/threads.mjs [--label L] -- COMMAND ARGS…
// On a machine shared with other work, wall time says little; the CPU each thread spent says where the work
// is done (the main thread against the scan workers), and peak RSS is not load-sensitive. Prints one JSON line.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
if (dash < 0 || dash === argv.length - 1) {
  process.stderr.write('usage: node bench/threads.mjs [--label L] -- COMMAND ARGS…\n');
  process.exit(2);
}
const labelAt = argv.indexOf('--label');
const label = labelAt >= 0 && labelAt < dash ? argv[labelAt + 1] : argv.slice(dash + 1).join(' ');
const [command, ...args] = argv.slice(dash + 1);

const TICK_S = 0.01; // USER_HZ is 100 on Linux
const threads = new Map(); // tid → { comm, ticks }
let peakKB = 0;
let pid;

const read = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

const poll = () => {
  if (pid === undefined) return;
  const status = read(`/proc/${pid}/status`);
  const hwm = status === undefined ? undefined : /VmHWM:\s+(\d+)/.exec(status);
  if (hwm) peakKB = Math.max(peakKB, Number(hwm[1]));
  let tids;
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return;
  }
  for (const tid of tids) {
    const stat = read(`/proc/${pid}/task/${tid}/stat`);
    if (stat === undefined) continue;
    // comm may hold spaces: the fields after it start past the last ')'.
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
    threads.set(tid, { comm, ticks });
  }
};

const started = performance.now();
const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
pid = child.pid;
let stderr = '';
child.stderr.on('data', (d) => {
  stderr += d;
});
const timer = setInterval(poll, 50);
const code = await new Promise((resolve) => child.on('exit', (c) => resolve(c)));
clearInterval(timer);
const ms = performance.now() - started;

const main = threads.get(String(pid))?.ticks ?? 0;
const byComm = {};
let total = 0;
for (const [tid, t] of threads) {
  total += t.ticks;
  if (tid === String(pid)) continue;
  byComm[t.comm] = Math.round(((byComm[t.comm] ?? 0) + t.ticks * TICK_S) * 100) / 100;
}
const summary = /scanned .*/.exec(stderr)?.[0];
process.stdout.write(
  `${JSON.stringify({
    label,
    exit: code,
    wallS: Math.round(ms) / 1000,
    cpuS: Math.round(total * TICK_S * 100) / 100,
    mainCpuS: Math.round(main * TICK_S * 100) / 100,
    mainShare: total === 0 ? 0 : Math.round((main / total) * 1000) / 1000,
    otherThreadsCpuS: byComm,
    peakRssMB: Math.round(peakKB / 1024),
    ...(summary ? { summary } : {}),
  })}\n`,
);
if (code !== 0) process.stderr.write(stderr.slice(-2000));
