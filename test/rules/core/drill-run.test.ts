import { describe, expect, it } from 'vitest';
import type { DrillRuleResult } from '../../../rules/core/drill-run.ts';
import {
  buildDrillRun,
  DEFAULT_DRILLS_CONFIG,
  drillFailedOf,
  drillOverdueOf,
  drillRunKey,
  lastPassedRun,
  parseDrillRunKey,
  parseDrillsConfig,
  slaVerdict,
} from '../../../rules/core/drill-run.ts';
import { isEvidenceKey } from '../../../rules/core/evidence.ts';

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
