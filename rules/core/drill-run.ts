import type { Finding } from './finding.ts';
import { findingId } from './finding.ts';
import type { CheckMeta, Severity } from './types.ts';
import { unknownKeys } from './unknown-keys.ts';

/**
 * Scheduled drills as evidence (issue 17 §1), pure: the record one drill run leaves under `drills/`, the
 * latency verdict of each rule against its severity's drill SLA, and the two findings that say alert tests did
 * not run or failed (A.8.16). No I/O and no clock: times come in as epoch ms.
 */

export const DRILL_PREFIX = 'drills/';
export const DRILL_RUN_SCHEMA = 'trailwarden.drill-run/v1';

/** Drill settings (config `drills`): when the drill function runs, which rules, how long it waits, its SLAs. */
export interface DrillsConfig {
  /** An EventBridge schedule expression: `cron(…)` or `rate(…)` (default: 06:00 UTC on the 1st of each month). */
  readonly schedule: string;
  /** Rule ids to drill (default: every critical and high rule that can be drilled). */
  readonly rules: readonly string[];
  /** How long one run waits for pages before it calls a rule failed, in minutes (1..13: Lambda stops at 15). */
  readonly maxWaitMinutes: number;
  /** Longest acceptable time from a drill event's send to its archived finding and to its page, per severity. */
  readonly latencySeconds: Readonly<Record<'critical' | 'high', number>>;
  /** A passing drill older than this many days is overdue (default 35: monthly plus slack). */
  readonly overdueDays: number;
}

export const DEFAULT_DRILLS_CONFIG: DrillsConfig = {
  schedule: 'cron(0 6 1 * ? *)',
  rules: [],
  maxWaitMinutes: 10,
  latencySeconds: { critical: 120, high: 300 },
  overdueDays: 35,
};

export const DRILLS_KEYS = ['schedule', 'rules', 'maxWaitMinutes', 'latencySeconds', 'overdueDays'];

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const SCHEDULE = /^(cron\([^()]+\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\))$/;
const RULE_ID = /^[a-z0-9-]+\.[a-z0-9-]+$/;
const show = (v: unknown): string => JSON.stringify(v) ?? String(v);

export type DrillsConfigParse =
  | { readonly ok: true; readonly drills: DrillsConfig }
  | { readonly ok: false; readonly errors: readonly string[] };

const wholeIn = (v: unknown, min: number, max: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

/** Validate `drills`; every problem at once, by path. Rule ids are checked against the catalogue by the caller. */
export const parseDrillsConfig = (input: unknown, path = 'drills'): DrillsConfigParse => {
  if (input === undefined) return { ok: true, drills: DEFAULT_DRILLS_CONFIG };
  if (!isRecord(input)) return { ok: false, errors: [`${path}: must be an object (got ${show(input)})`] };
  const errors: string[] = [];
  unknownKeys(input, DRILLS_KEYS, `${path}.`, (p, msg) => errors.push(`${p}: ${msg}`));
  const d = DEFAULT_DRILLS_CONFIG;
  const schedule = input.schedule ?? d.schedule;
  if (typeof schedule !== 'string' || !SCHEDULE.test(schedule)) {
    errors.push(`${path}.schedule: must be cron(…) or rate(N minutes|hours|days) (got ${show(schedule)})`);
  }
  const rules = input.rules ?? d.rules;
  if (!Array.isArray(rules) || rules.some((r) => typeof r !== 'string' || !RULE_ID.test(r))) {
    errors.push(`${path}.rules: must be a list of rule ids (got ${show(rules)})`);
  }
  const maxWait = input.maxWaitMinutes ?? d.maxWaitMinutes;
  if (!wholeIn(maxWait, 1, 13))
    errors.push(`${path}.maxWaitMinutes: must be a whole number from 1 to 13 (got ${show(maxWait)})`);
  const overdue = input.overdueDays ?? d.overdueDays;
  if (!wholeIn(overdue, 1, 366))
    errors.push(`${path}.overdueDays: must be a whole number from 1 to 366 (got ${show(overdue)})`);
  const rawLatency = input.latencySeconds ?? {};
  const latency = { ...d.latencySeconds };
  if (!isRecord(rawLatency))
    errors.push(`${path}.latencySeconds: must be {critical?, high?} (got ${show(rawLatency)})`);
  else {
    for (const [k, v] of Object.entries(rawLatency)) {
      if (k !== 'critical' && k !== 'high')
        errors.push(`${path}.latencySeconds.${k}: only critical and high are drilled`);
      else if (!wholeIn(v, 1, 3600))
        errors.push(`${path}.latencySeconds.${k}: must be whole seconds from 1 to 3600 (got ${show(v)})`);
      else latency[k] = v;
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    drills: {
      schedule: schedule as string,
      rules: rules as string[],
      maxWaitMinutes: maxWait as number,
      latencySeconds: latency,
      overdueDays: overdue as number,
    },
  };
};

export type SlaVerdict = 'met' | 'missed' | 'not-measured';

/** One rule's outcome in a run. Latencies are from the send of the rule's first drill event. */
export type DrillRuleResult =
  | {
      readonly ruleId: string;
      readonly status: 'passed' | 'failed';
      readonly severity: Severity;
      readonly caseName: string;
      readonly eventIds: readonly string[];
      readonly sentAt: string;
      readonly findingId?: string;
      readonly evidenceKey?: string;
      /** Send → the finding's evidence object (S3 LastModified). */
      readonly archiveMs?: number;
      /** Send → the page on the drill subscription (SNS Timestamp). */
      readonly pageMs?: number;
      readonly slaSeconds: number;
      readonly sla: SlaVerdict;
      /** Why it failed, or what was checked. */
      readonly detail: string;
    }
  | { readonly ruleId: string; readonly status: 'skipped'; readonly detail: string };

export interface DrillRunRecord {
  readonly schema: typeof DRILL_RUN_SCHEMA;
  readonly runId: string;
  /** `schedule` (EventBridge), `on-demand` (someone invoked the function), `cli` (`trailwarden drill`). */
  readonly trigger: 'schedule' | 'on-demand' | 'cli';
  readonly startedAt: string;
  readonly endedAt: string;
  /** Passed when no rule failed and at least one rule ran. */
  readonly status: 'passed' | 'failed';
  readonly counts: { readonly passed: number; readonly failed: number; readonly skipped: number };
  readonly rules: readonly DrillRuleResult[];
}

/** The verdict on one drilled rule's latencies: both measured and within the SLA, else missed or unmeasured. */
export const slaVerdict = (
  archiveMs: number | undefined,
  pageMs: number | undefined,
  slaSeconds: number,
): SlaVerdict => {
  if (archiveMs === undefined || pageMs === undefined) return 'not-measured';
  return Math.max(archiveMs, pageMs) <= slaSeconds * 1000 ? 'met' : 'missed';
};

export const slaSecondsFor = (severity: Severity, config: DrillsConfig): number =>
  severity === 'critical' ? config.latencySeconds.critical : config.latencySeconds.high;

/**
 * The run's record. A rule that was seen end to end but missed its SLA fails: the alert fired, too late to
 * count. A run with no rule drilled at all fails too: it tested nothing.
 */
export const buildDrillRun = (p: {
  readonly runId: string;
  readonly trigger: DrillRunRecord['trigger'];
  readonly startedMs: number;
  readonly endedMs: number;
  readonly rules: readonly DrillRuleResult[];
}): DrillRunRecord => {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  for (const r of p.rules) counts[r.status]++;
  return {
    schema: DRILL_RUN_SCHEMA,
    runId: p.runId,
    trigger: p.trigger,
    startedAt: new Date(p.startedMs).toISOString(),
    endedAt: new Date(p.endedMs).toISOString(),
    status: counts.failed === 0 && counts.passed > 0 ? 'passed' : 'failed',
    counts,
    rules: p.rules,
  };
};

const basic = (iso: string): string => iso.replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');

/**
 * `drills/dt=<day started>/<start, basic ISO>-<run id>-<status>.json`: the status sits in the key so the health
 * function finds the newest passing run from a listing alone; the day partition keeps it in the digest chain.
 */
export const drillRunKey = (r: Pick<DrillRunRecord, 'runId' | 'startedAt' | 'status'>): string =>
  `${DRILL_PREFIX}dt=${r.startedAt.slice(0, 10)}/${basic(r.startedAt)}-${r.runId}-${r.status}.json`;

/** The run's start and status from its key, or undefined for any other key. */
export const parseDrillRunKey = (
  key: string,
): { readonly startedMs: number; readonly runId: string; readonly status: 'passed' | 'failed' } | undefined => {
  const m = /^drills\/dt=\d{4}-\d{2}-\d{2}\/(\d{8}T\d{6}Z)-(.+)-(passed|failed)\.json$/.exec(key);
  if (m === null) return undefined;
  const [, when = '', runId = '', status = ''] = m;
  const iso = `${when.slice(0, 4)}-${when.slice(4, 6)}-${when.slice(6, 8)}T${when.slice(9, 11)}:${when.slice(11, 13)}:${when.slice(13, 15)}Z`;
  const startedMs = Date.parse(iso);
  if (Number.isNaN(startedMs)) return undefined;
  return { startedMs, runId, status: status as 'passed' | 'failed' };
};

export const drillRunBody = (r: DrillRunRecord): string => `${JSON.stringify(r, null, 2)}\n`;

export const DRILL_RULES = {
  'trailwarden.drill-failed': {
    title: 'Alert drill failed',
    description:
      'A drill sent critical and high rules their own simulated events through the real pipeline, and at least one rule did not produce, archive and page its finding within its SLA: that alert may not fire for a real event.',
    severity: 'high',
    controls: ['A.8.16'],
    mitre: [],
    runbook: [
      'Read the drill record (`trailwarden drills --source s3://BUCKET`): which rules failed, and why.',
      'A rule with no page: check the evaluate function errors, the event queue DLQ and the findings topic subscriptions.',
      'A rule over its SLA: check queue depth and function throttling; rerun the drill (invoke the drill function).',
    ],
  },
  'trailwarden.drill-overdue': {
    title: 'Alert tests not run',
    description:
      'No passing drill of the critical and high rules is on record for longer than the configured period: nobody has shown recently that the alerts fire and reach the pager.',
    severity: 'high',
    controls: ['A.8.16'],
    mitre: [],
    runbook: [
      'Check the drill schedule (EventBridge) and the drill function errors.',
      'Run a drill now: invoke the drill function, or `trailwarden drill --invoke`.',
      'A failed drill does not clear this: fix the failing rules first (`trailwarden.drill-failed`).',
    ],
  },
} as const satisfies Record<string, CheckMeta>;
export type DrillRuleId = keyof typeof DRILL_RULES;

/** How long repeats of a drill finding fold instead of paging again. */
export const DRILL_FINDING_DEDUP_MS = 24 * 3_600_000;

export interface DrillCandidate {
  readonly finding: Finding;
  readonly dedupKey: string;
  readonly dedupWindowMs: number;
}

const drillFinding = (
  ruleId: DrillRuleId,
  where: { readonly account: string; readonly region: string },
  groupKey: string,
  windowStartMs: number,
  nowMs: number,
  resources: readonly string[],
  details: readonly string[],
): DrillCandidate => {
  const rule = DRILL_RULES[ruleId];
  const key = `${where.account}/${where.region}/${groupKey}`;
  return {
    finding: {
      schema: 'trailwarden.finding/v1',
      id: findingId(ruleId, key, windowStartMs),
      ruleId,
      title: rule.title,
      description: rule.description,
      severity: rule.severity,
      criticality: 'high',
      controls: rule.controls,
      mitre: rule.mitre,
      account: where.account,
      region: where.region,
      actor: { arn: 'trailwarden:drill', type: 'Trailwarden' },
      resources,
      eventIds: [],
      eventName: 'Drill',
      groupKey: key,
      firstSeen: new Date(windowStartMs).toISOString(),
      lastSeen: new Date(nowMs).toISOString(),
      count: 1,
      threshold: null,
      runbook: rule.runbook,
      details,
      // Not a drill finding: a failed drill is a real problem and pages like any other.
      drill: false,
    },
    dedupKey: `${ruleId}|${key}`,
    dedupWindowMs: DRILL_FINDING_DEDUP_MS,
  };
};

/** The high finding for a failed run (one per run: its id is the run's); undefined for a passing one. */
export const drillFailedOf = (
  run: DrillRunRecord,
  where: { readonly account: string; readonly region: string },
  evidenceKey: string,
): DrillCandidate | undefined => {
  if (run.status === 'passed') return undefined;
  const failed = run.rules.filter((r) => r.status === 'failed');
  const details =
    failed.length === 0
      ? ['No rule could be drilled: the run tested nothing.']
      : failed.map((r) => `${r.ruleId}: ${r.detail}`);
  return drillFinding(
    'trailwarden.drill-failed',
    where,
    run.runId,
    Date.parse(run.startedAt),
    Date.parse(run.endedAt),
    [evidenceKey],
    [
      `Drill run ${run.runId}: ${run.counts.passed} passed, ${run.counts.failed} failed, ${run.counts.skipped} skipped.`,
      ...details,
    ],
  );
};

const DAY_MS = 86_400_000;

/**
 * The overdue finding when the newest passing run started more than `overdueDays` before `nowMs` (or none is on
 * record). Its window starts at that run (or at the start of the current overdue period when there is none), so
 * every health check during one overdue stretch gives the same id: paged once, then folded.
 */
export const drillOverdueOf = (
  lastPassedMs: number | undefined,
  nowMs: number,
  config: Pick<DrillsConfig, 'overdueDays'>,
  where: { readonly account: string; readonly region: string },
): DrillCandidate | undefined => {
  const periodMs = config.overdueDays * DAY_MS;
  if (lastPassedMs !== undefined && nowMs - lastPassedMs <= periodMs) return undefined;
  const windowStart = lastPassedMs ?? Math.floor(nowMs / periodMs) * periodMs;
  return drillFinding(
    'trailwarden.drill-overdue',
    where,
    'drills',
    windowStart,
    nowMs,
    [],
    [
      lastPassedMs === undefined
        ? `No passing drill is on record under ${DRILL_PREFIX} (allowed: one every ${config.overdueDays} days).`
        : `Last passing drill: ${new Date(lastPassedMs).toISOString()} (${Math.floor((nowMs - lastPassedMs) / DAY_MS)} days ago; allowed ${config.overdueDays}).`,
    ],
  );
};

/** The newest passing run among evidence keys (a listing of `drills/`), or undefined. */
export const lastPassedRun = (keys: readonly string[]): number | undefined => {
  let newest: number | undefined;
  for (const k of keys) {
    const p = parseDrillRunKey(k);
    if (p?.status === 'passed' && (newest === undefined || p.startedMs > newest)) newest = p.startedMs;
  }
  return newest;
};
