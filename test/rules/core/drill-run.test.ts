import { describe, expect, it } from 'vitest';
import type { DrillRuleResult } from '../../../rules/core/drill-run.ts';
import {
  buildDrillRun,
  DEFAULT_DRILLS_CONFIG,
  DRILL_FINDING_DEDUP_MS,
  DRILL_RULES,
  drillFailedOf,
  drillOverdueOf,
  drillRunBody,
  drillRunKey,
  lastPassedRun,
  parseDrillRunKey,
  parseDrillsConfig,
  slaSecondsFor,
  slaVerdict,
} from '../../../rules/core/drill-run.ts';
import { isEvidenceKey } from '../../../rules/core/evidence.ts';
import { findingId } from '../../../rules/core/finding.ts';

const DAY = 86_400_000;
const HOME = { account: '111122223333', region: 'eu-west-1' };
const T = Date.parse('2026-12-01T06:00:00.000Z');

const passed = (ruleId: string): DrillRuleResult => ({
  ruleId,
  status: 'passed',
  severity: 'high',
  caseName: 'c',
  eventIds: ['e1'],
  sentAt: new Date(T).toISOString(),
  archiveMs: 800,
  pageMs: 900,
  slaSeconds: 300,
  sla: 'met',
  detail: 'ok',
});

describe('drill SLA verdict', () => {
  it.each([
    [299_999, 300_000, 300, 'met'],
    [300_000, 300_000, 300, 'met'],
    [300_001, 10, 300, 'missed'],
    [10, 300_001, 300, 'missed'],
    [undefined, 10, 300, 'not-measured'],
    [10, undefined, 300, 'not-measured'],
  ] as const)('archive %s ms, page %s ms, SLA %s s: %s', (archive, page, sla, verdict) => {
    expect(slaVerdict(archive, page, sla)).toBe(verdict);
  });
});

describe('drill run record', () => {
  it('passes only when nothing failed and something ran', () => {
    const ok = buildDrillRun({
      runId: 'r1',
      trigger: 'schedule',
      startedMs: T,
      endedMs: T + 5000,
      rules: [passed('a.b')],
    });
    expect(ok).toMatchObject({
      status: 'passed',
      counts: { passed: 1, failed: 0, skipped: 0 },
      startedAt: '2026-12-01T06:00:00.000Z',
    });
    const nothing = buildDrillRun({
      runId: 'r2',
      trigger: 'schedule',
      startedMs: T,
      endedMs: T,
      rules: [{ ruleId: 'a.b', status: 'skipped', detail: 'x' }],
    });
    expect(nothing.status).toBe('failed');
    expect(drillFailedOf(nothing, HOME, 'k')?.finding.details).toContain(
      'No rule could be drilled: the run tested nothing.',
    );
    expect(drillFailedOf(ok, HOME, 'k')).toBeUndefined();
  });

  it('is keyed under drills/ by day with its status, and the key parses back', () => {
    const run = buildDrillRun({ runId: 'drill-x1', trigger: 'cli', startedMs: T, endedMs: T, rules: [passed('a.b')] });
    const key = drillRunKey(run);
    expect(key).toBe('drills/dt=2026-12-01/20261201T060000Z-drill-x1-passed.json');
    expect(isEvidenceKey(key)).toBe(true);
    expect(parseDrillRunKey(key)).toEqual({ startedMs: T, runId: 'drill-x1', status: 'passed' });
    expect(parseDrillRunKey('drills/dt=2026-12-01/notes.json')).toBeUndefined();
  });

  it('the newest passing run counts; failed runs do not', () => {
    expect(
      lastPassedRun([
        'drills/dt=2026-11-01/20261101T060000Z-a-passed.json',
        'drills/dt=2026-12-01/20261201T060000Z-b-failed.json',
        'drills/dt=2026-11-15/20261115T060000Z-c-passed.json',
      ]),
    ).toBe(Date.parse('2026-11-15T06:00:00Z'));
    expect(lastPassedRun(['drills/dt=2026-12-01/20261201T060000Z-b-failed.json'])).toBeUndefined();
  });
});

describe('drill overdue', () => {
  it.each([
    [35 * DAY - 1, false],
    [35 * DAY, false],
    [35 * DAY + 1, true],
  ])('last pass %s ms ago: overdue %s', (age, overdue) => {
    expect(drillOverdueOf(T - age, T, { overdueDays: 35 }, HOME) !== undefined).toBe(overdue);
  });

  it('pages once per overdue stretch: the id stays while no new drill passes', () => {
    const a = drillOverdueOf(T - 40 * DAY, T, { overdueDays: 35 }, HOME);
    const b = drillOverdueOf(T - 40 * DAY, T + DAY, { overdueDays: 35 }, HOME);
    expect(a?.finding.id).toBe(b?.finding.id);
    expect(a?.finding).toMatchObject({
      ruleId: 'trailwarden.drill-overdue',
      severity: 'high',
      controls: ['A.8.16'],
      drill: false,
    });
    expect(drillOverdueOf(undefined, T, { overdueDays: 35 }, HOME)?.finding.details?.[0]).toMatch(
      /^No passing drill is on record/,
    );
  });
});

describe('drills config', () => {
  it('defaults to a monthly schedule', () => {
    expect(parseDrillsConfig(undefined)).toEqual({ ok: true, drills: DEFAULT_DRILLS_CONFIG });
    expect(DEFAULT_DRILLS_CONFIG.schedule).toBe('cron(0 6 1 * ? *)');
  });
  it('names every problem by path', () => {
    const bad = parseDrillsConfig({
      schedule: 'monthly',
      maxWaitMinutes: 20,
      latencySeconds: { low: 5, high: 0 },
      x: 1,
    });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.errors).toEqual([
      'drills.x: unknown key (known keys: schedule, rules, maxWaitMinutes, latencySeconds, overdueDays)',
      'drills.schedule: must be cron(…) or rate(N minutes|hours|days) (got "monthly")',
      'drills.maxWaitMinutes: must be a whole number from 1 to 13 (got 20)',
      'drills.latencySeconds.low: only critical and high are drilled',
      'drills.latencySeconds.high: must be whole seconds from 1 to 3600 (got 0)',
    ]);
  });
  it('keeps what it is given', () => {
    const ok = parseDrillsConfig({
      schedule: 'rate(7 days)',
      rules: ['cloudtrail.logging-stopped'],
      latencySeconds: { critical: 60 },
    });
    expect(ok).toEqual({
      ok: true,
      drills: {
        ...DEFAULT_DRILLS_CONFIG,
        schedule: 'rate(7 days)',
        rules: ['cloudtrail.logging-stopped'],
        latencySeconds: { critical: 60, high: 300 },
      },
    });
  });
});

describe('drill run edges', () => {
  const failed = (ruleId: string, detail: string): DrillRuleResult => ({
    ruleId,
    status: 'failed',
    severity: 'high',
    caseName: 'c',
    eventIds: ['e1'],
    sentAt: new Date(T).toISOString(),
    slaSeconds: 300,
    sla: 'missed',
    detail,
  });

  it('counts each outcome and fails a run with any failure', () => {
    const run = buildDrillRun({
      runId: 'r3',
      trigger: 'on-demand',
      startedMs: T,
      endedMs: T + 90_000,
      rules: [passed('a.b'), failed('c.d', 'no page within 10 min'), { ruleId: 'e.f', status: 'skipped', detail: 's' }],
    });
    expect(run).toEqual({
      schema: 'trailwarden.drill-run/v1',
      runId: 'r3',
      trigger: 'on-demand',
      startedAt: '2026-12-01T06:00:00.000Z',
      endedAt: '2026-12-01T06:01:30.000Z',
      status: 'failed',
      counts: { passed: 1, failed: 1, skipped: 1 },
      rules: run.rules,
    });
    expect(drillRunBody(run)).toBe(`${JSON.stringify(run, null, 2)}\n`);
  });

  it('turns a failed run into one high finding that names each failed rule and the record', () => {
    const run = buildDrillRun({
      runId: 'r4',
      trigger: 'schedule',
      startedMs: T,
      endedMs: T + 60_000,
      rules: [passed('a.b'), failed('c.d', 'no page'), failed('e.f', 'page after 400 s (SLA 300 s)')],
    });
    const c = drillFailedOf(run, HOME, 'drills/dt=2026-12-01/x.json');
    expect(c).toEqual({
      finding: {
        schema: 'trailwarden.finding/v1',
        id: findingId('trailwarden.drill-failed', '111122223333/eu-west-1/r4', T),
        ruleId: 'trailwarden.drill-failed',
        title: DRILL_RULES['trailwarden.drill-failed'].title,
        description: DRILL_RULES['trailwarden.drill-failed'].description,
        severity: 'high',
        criticality: 'high',
        controls: ['A.8.16'],
        mitre: [],
        account: '111122223333',
        region: 'eu-west-1',
        actor: { arn: 'trailwarden:drill', type: 'Trailwarden' },
        resources: ['drills/dt=2026-12-01/x.json'],
        eventIds: [],
        eventName: 'Drill',
        groupKey: '111122223333/eu-west-1/r4',
        firstSeen: '2026-12-01T06:00:00.000Z',
        lastSeen: '2026-12-01T06:01:00.000Z',
        count: 1,
        threshold: null,
        runbook: DRILL_RULES['trailwarden.drill-failed'].runbook,
        details: ['Drill run r4: 1 passed, 2 failed, 0 skipped.', 'c.d: no page', 'e.f: page after 400 s (SLA 300 s)'],
        drill: false,
      },
      dedupKey: 'trailwarden.drill-failed|111122223333/eu-west-1/r4',
      dedupWindowMs: DRILL_FINDING_DEDUP_MS,
    });
  });

  it('says how long ago the last passing drill was, and opens a never-drilled stretch at its period', () => {
    const c = drillOverdueOf(T - 40 * DAY - 5_000, T, { overdueDays: 35 }, HOME);
    expect(c?.finding).toMatchObject({
      groupKey: '111122223333/eu-west-1/drills',
      resources: [],
      eventName: 'Drill',
      firstSeen: new Date(T - 40 * DAY - 5_000).toISOString(),
      details: ['Last passing drill: 2026-10-22T05:59:55.000Z (40 days ago; allowed 35).'],
    });
    const never = drillOverdueOf(undefined, T, { overdueDays: 35 }, HOME);
    const period = 35 * DAY;
    expect(never?.finding).toMatchObject({
      firstSeen: new Date(Math.floor(T / period) * period).toISOString(),
      details: ['No passing drill is on record under drills/ (allowed: one every 35 days).'],
    });
    expect(drillOverdueOf(undefined, T + DAY, { overdueDays: 35 }, HOME)?.finding.id).toBe(never?.finding.id);
  });

  it.each([
    ['drills/dt=2026-12-01/20261201T060000Z-run-1-failed.json', { startedMs: T, runId: 'run-1', status: 'failed' }],
    ['drills/dt=2026-12-01/20261399T060000Z-r-passed.json', undefined],
    ['drills/dt=2026-12-01/20261201T060000Z-r-passed.json.bak', undefined],
    ['x/drills/dt=2026-12-01/20261201T060000Z-r-passed.json', undefined],
    ['drills/dt=2026-12-01/20261201T060000Z-r-aborted.json', undefined],
  ])('parseDrillRunKey(%s)', (key, parsed) => {
    expect(parseDrillRunKey(key)).toEqual(parsed);
  });

  it('finds the newest passing run whatever the listing order', () => {
    const keys = [
      'drills/dt=2026-11-15/20261115T060000Z-c-passed.json',
      'drills/dt=2026-11-01/20261101T060000Z-a-passed.json',
      'notes/readme.json',
    ];
    expect(lastPassedRun(keys)).toBe(Date.parse('2026-11-15T06:00:00Z'));
    expect(lastPassedRun([...keys].reverse())).toBe(Date.parse('2026-11-15T06:00:00Z'));
  });

  it.each<[string, unknown, string[]]>([
    ['not an object', 'monthly', ['drills: must be an object (got "monthly")']],
    [
      'rules that are not rule ids',
      { rules: ['Not A Rule'] },
      ['drills.rules: must be a list of rule ids (got ["Not A Rule"])'],
    ],
    ['rules not a list', { rules: 'a.b' }, ['drills.rules: must be a list of rule ids (got "a.b")']],
    [
      'a wait of 0 minutes',
      { maxWaitMinutes: 0 },
      ['drills.maxWaitMinutes: must be a whole number from 1 to 13 (got 0)'],
    ],
    [
      'a fractional wait',
      { maxWaitMinutes: 2.5 },
      ['drills.maxWaitMinutes: must be a whole number from 1 to 13 (got 2.5)'],
    ],
    [
      'an overdue period of 0 days',
      { overdueDays: 0 },
      ['drills.overdueDays: must be a whole number from 1 to 366 (got 0)'],
    ],
    [
      'an overdue period over a year',
      { overdueDays: 367 },
      ['drills.overdueDays: must be a whole number from 1 to 366 (got 367)'],
    ],
    [
      'latencies not an object',
      { latencySeconds: [60] },
      ['drills.latencySeconds: must be {critical?, high?} (got [60])'],
    ],
    [
      'a latency over an hour',
      { latencySeconds: { critical: 3601 } },
      ['drills.latencySeconds.critical: must be whole seconds from 1 to 3600 (got 3601)'],
    ],
    [
      'a schedule that is not text',
      { schedule: 5 },
      ['drills.schedule: must be cron(…) or rate(N minutes|hours|days) (got 5)'],
    ],
    [
      'a rate in weeks',
      { schedule: 'rate(1 week)' },
      ['drills.schedule: must be cron(…) or rate(N minutes|hours|days) (got "rate(1 week)")'],
    ],
  ])('refuses %s', (_name, input, errors) => {
    expect(parseDrillsConfig(input)).toEqual({ ok: false, errors });
  });

  it('takes the bounds themselves', () => {
    expect(
      parseDrillsConfig({
        schedule: 'rate(1 hour)',
        maxWaitMinutes: 13,
        overdueDays: 366,
        latencySeconds: { critical: 1, high: 3600 },
      }),
    ).toEqual({
      ok: true,
      drills: {
        schedule: 'rate(1 hour)',
        rules: [],
        maxWaitMinutes: 13,
        overdueDays: 366,
        latencySeconds: { critical: 1, high: 3600 },
      },
    });
    expect(parseDrillsConfig({ maxWaitMinutes: 1, overdueDays: 1 })).toMatchObject({ ok: true });
  });

  it('takes the SLA of the severity drilled', () => {
    const config = { ...DEFAULT_DRILLS_CONFIG, latencySeconds: { critical: 60, high: 600 } };
    expect(slaSecondsFor('critical', config)).toBe(60);
    expect(slaSecondsFor('high', config)).toBe(600);
  });
});
