import { mkdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { attackPlan } from './attack-hour.ts';
import { EXAMPLE_SHAPE, planDay } from './day.ts';
import type { Activity, CtRecord } from './model.ts';
import { byStartThenKey, DAY_START_MS, expand, hash32, MINUTE, rngFrom } from './model.ts';
import { team } from './org.ts';
import { scenarioPlan, trailGap } from './scenarios.ts';

/**
 * `npm run examples`: writes examples/logs — one day of CloudTrail for the example organisation, laid out
 * exactly as CloudTrail delivers to S3 — from a fixed seed. The same seed always gives the same files; the
 * example test regenerates them in memory and compares.
 */

export const EXAMPLE_SEED = 'trailwarden-examples-2026-11-02';
export const LOGS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'logs');

const SLOT = 5 * MINUTE;
/** Files are named by the end of their 5 minutes; the day's last file closes at 23:55 so it stays in the day. */
const LAST_SLOT = DAY_START_MS + 24 * 60 * MINUTE - 2 * SLOT;

/**
 * CloudTrail delivers a record a few minutes after the call, now and then much later: the file a record lands
 * in is chosen by event time plus a lag. Derived from the event id, so it does not disturb any random stream.
 */
export const deliveredAt = (r: CtRecord): number => {
  const h = hash32(r.eventID);
  const lag = 20_000 + (h % 200) * 1000 + (h % 61 === 0 ? 6 * MINUTE + (h % 9) * MINUTE : 0);
  return Date.parse(r.eventTime) + lag;
};

const pad = (n: number): string => String(n).padStart(2, '0');

/** `AWSLogs/<account>/CloudTrail/<region>/2026/11/02/<account>_CloudTrail_<region>_20261102T0915Z_<16>.json.gz` */
export const objectKey = (account: string, region: string, fileTimeMs: number, unique: string): string => {
  const d = new Date(fileTimeMs);
  const date = `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`;
  const dir = `AWSLogs/${account}/CloudTrail/${region}/${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}`;
  return `${dir}/${account}_CloudTrail_${region}_${date}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}Z_${unique}.json.gz`;
};

const UNIQUE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A log file's body, as CloudTrail writes it: one line, no trailing newline. */
export const logFileText = (records: readonly CtRecord[]): string => JSON.stringify({ Records: records });

/** Fixed level; Node's gzip writes no timestamp, so the bytes depend on the content alone. */
export const gzip = (text: string): Buffer => gzipSync(Buffer.from(text, 'utf8'), { level: 9 });

export interface LogFile {
  /** Relative to the logs directory, `/`-separated. */
  readonly path: string;
  readonly records: readonly CtRecord[];
  readonly text: string;
}

const byTime = (a: CtRecord, b: CtRecord): number =>
  a.eventTime < b.eventTime ? -1 : a.eventTime > b.eventTime ? 1 : 0;

/** Group records into 5-minute files per account and region, named as CloudTrail names them. */
export const deliver = (records: readonly CtRecord[], seed: string): LogFile[] => {
  const groups = new Map<string, { account: string; region: string; slot: number; records: CtRecord[] }>();
  for (const r of records) {
    const slot = Math.min(LAST_SLOT, Math.floor(deliveredAt(r) / SLOT) * SLOT);
    const key = `${r.recipientAccountId}|${r.awsRegion}|${slot}`;
    let group = groups.get(key);
    if (group === undefined) {
      group = { account: r.recipientAccountId, region: r.awsRegion, slot, records: [] };
      groups.set(key, group);
    }
    group.records.push(r);
  }
  const files: LogFile[] = [];
  for (const g of groups.values()) {
    const sorted = [...g.records].sort(byTime);
    const unique = rngFrom(seed, 'file', g.account, g.region, g.slot).chars(16, UNIQUE);
    files.push({
      path: objectKey(g.account, g.region, g.slot + SLOT, unique),
      records: sorted,
      text: logFileText(sorted),
    });
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
};

/** The example day's records: the benign day, plus the scenarios unless asked not to. */
export const exampleRecords = (options: { readonly scenarios: boolean } = { scenarios: true }): CtRecord[] => {
  const activities: Activity[] = planDay(EXAMPLE_SHAPE, EXAMPLE_SEED);
  if (options.scenarios) activities.push(...scenarioPlan(team(0)), ...attackPlan());
  activities.sort(byStartThenKey);
  const gap = options.scenarios ? trailGap(team(0)) : undefined;
  const records: CtRecord[] = [];
  expand(EXAMPLE_SEED, activities, (r) => {
    // While the trail is stopped, CloudTrail records nothing for the account.
    if (gap && r.recipientAccountId === gap.account) {
      const t = Date.parse(r.eventTime);
      if (t > gap.from && t < gap.to) return;
    }
    records.push(r);
  });
  return records;
};

/** The attack hour alone (the same records as in the example day), as CloudTrail delivers it. */
export const attackHourLogs = (): LogFile[] => {
  const records: CtRecord[] = [];
  expand(EXAMPLE_SEED, attackPlan(), (r) => records.push(r));
  return deliver(records, EXAMPLE_SEED);
};

/** Every example log file, in path order. */
export const generateExampleLogs = (options: { readonly scenarios: boolean } = { scenarios: true }): LogFile[] =>
  deliver(exampleRecords(options), EXAMPLE_SEED);

/** Replace examples/logs with freshly generated files. */
export const writeExampleLogs = (dir = LOGS_DIR): { files: number; records: number; bytes: number } => {
  rmSync(dir, { recursive: true, force: true });
  let records = 0;
  let bytes = 0;
  const files = generateExampleLogs();
  for (const file of files) {
    const target = join(dir, ...file.path.split('/'));
    mkdirSync(dirname(target), { recursive: true });
    const gz = gzip(file.text);
    writeFileSync(target, gz);
    records += file.records.length;
    bytes += gz.length;
  }
  return { files: files.length, records, bytes };
};

const invokedDirectly = (): boolean => {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
};

if (invokedDirectly()) {
  const { files, records, bytes } = writeExampleLogs();
  process.stdout.write(`wrote ${records} events in ${files} files (${(bytes / 1024).toFixed(0)} KiB) to ${LOGS_DIR}\n`);
}
