import { describe, expect, it } from 'vitest';
import type { StoredObject } from '../../../rules/core/digest.ts';
import { evidenceBody, evidenceKey } from '../../../rules/core/evidence.ts';
import type { Finding } from '../../../rules/core/finding.ts';
import type { ResponseCase, ResponseView } from '../../../rules/core/response.ts';
import { readResponseEvidence, responseView } from '../../../rules/core/response.ts';
import { buildReview, parseQuarter, renderReviewMarkdown } from '../../../rules/core/review.ts';
import { DEFAULT_SLA } from '../../../rules/core/sla.ts';
import type { TriageRequest } from '../../../rules/core/triage.ts';
import { triageBody, triageDecision, triageKey } from '../../../rules/core/triage.ts';
import type { CatalogueRule, TuningMetrics } from '../../../rules/core/tuning.ts';
import { caseSla, caseTimes, computeMetrics, distribution, percentile } from '../../../rules/core/tuning.ts';
import { CONTROLS } from '../../../rules/core/vocabulary.ts';
import { sampleFinding } from '../../functions/support.ts';

const hex = (n: number): string => n.toString(16).padStart(32, '0');
const finding = (n: number, overrides: Partial<Finding>): Finding =>
  sampleFinding({ id: hex(n), eventIds: [`e${n}`], ...overrides });

const decision = (req: Partial<TriageRequest> & Pick<TriageRequest, 'action' | 'at'>): StoredObject => {
  const r = triageDecision({ by: 'alice', source: 'cli', ...req });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return { key: triageKey(r.decision, '2026-11-03T00:00:00Z'), bytes: triageBody(r.decision) };
};

const incident = (id: string, findings: readonly Finding[], pages: readonly string[]): StoredObject => ({
  key: `incidents/dt=2026-11-02/${id}.json`,
  bytes: JSON.stringify({
    schema: 'trailwarden.incident/v1',
    id,
    actorKey: 'arn:aws:iam::111122223333:user/mallory',
    account: '111122223333',
    drill: false,
    severity: 'critical',
    pagedSeverity: 'critical',
    openedAt: findings[0]?.firstSeen,
    lastSeen: findings.at(-1)?.lastSeen,
    findingIds: findings.map((f) => f.id),
    ruleIds: [...new Set(findings.map((f) => f.ruleId))],
    controls: ['A.8.15', 'A.8.2'],
    pages: pages.map((findingId, i) => ({ findingId, kind: i === 0 ? 'page' : 'escalation', severity: 'critical' })),
    revision: 2,
  }),
});

const CATALOGUE: CatalogueRule[] = [
  { id: 'cloudtrail.logging-stopped', controls: ['A.8.15'], owner: 'platform', threshold: null },
  {
    id: 'signin.console-login-failures',
    controls: ['A.8.5'],
    owner: 'iam-team',
    threshold: { count: 5, windowSeconds: 600 },
  },
  { id: 'iam.admin-granted', controls: ['A.8.2'], owner: 'iam-team', threshold: null },
  { id: 'iam.access-key-created', controls: ['A.8.2'], owner: 'iam-team', threshold: null },
];

// One incident of two findings (paged, then escalated), four standalone sign-in bursts (older evidence without
// incidents: three false positives from one CI user, one true), a suppressed finding, a drill, a missed detection.
const inc = 'feedfacefeedfacefeedfacefeedface';
const f1 = finding(1, {
  firstSeen: '2026-11-02T10:00:00.000Z',
  lastSeen: '2026-11-02T10:00:00.000Z',
  severity: 'high',
});
const f2 = finding(2, {
  ruleId: 'iam.admin-granted',
  controls: ['A.8.2'],
  firstSeen: '2026-11-02T10:10:00.000Z',
  lastSeen: '2026-11-02T10:10:00.000Z',
});
const ci = { arn: 'arn:aws:iam::111122223333:user/ci', type: 'IAMUser', userName: 'ci' };
const signins = [3, 4, 5, 6].map((n) =>
  finding(n, {
    ruleId: 'signin.console-login-failures',
    controls: ['A.8.5'],
    severity: 'high',
    count: n === 6 ? 30 : 5 + n,
    actor: n === 6 ? { arn: 'arn:aws:iam::111122223333:user/eve', type: 'IAMUser' } : ci,
    firstSeen: `2026-11-0${n}T08:00:00.000Z`,
    lastSeen: `2026-11-0${n}T08:01:00.000Z`,
  }),
);
const suppressed = finding(7, {
  firstSeen: '2026-11-02T12:00:00.000Z',
  lastSeen: '2026-11-02T12:00:00.000Z',
  suppression: { status: 'active', reason: 'planned migration', expires: '2026-12-01' },
});
const drill = finding(8, { drill: true, firstSeen: '2026-11-02T13:00:00.000Z', lastSeen: '2026-11-02T13:00:00.000Z' });
const withIncident = (f: Finding) => ({ ...f, incidentId: inc });

const objects: StoredObject[] = [
  ...[withIncident(f1), withIncident(f2), ...signins, suppressed, drill].map((f) => ({
    key: evidenceKey(f),
    bytes: evidenceBody(f),
  })),
  incident(inc, [f1, f2], [f1.id, f2.id]),
  // The incident: acked after 10 min, resolved after 2 h (true positive).
  decision({ action: 'ack', target: inc, at: '2026-11-02T10:10:00Z' }),
  decision({ action: 'resolve', target: inc, verdict: 'true-positive', at: '2026-11-02T12:00:00Z' }),
  // Sign-ins: three false positives (resolved after 20, 40, 60 min), one true positive left open.
  decision({ action: 'resolve', target: hex(3), verdict: 'false-positive', at: '2026-11-03T08:20:00Z' }),
  decision({ action: 'resolve', target: hex(4), verdict: 'false-positive', at: '2026-11-04T08:40:00Z' }),
  decision({ action: 'resolve', target: hex(5), verdict: 'false-positive', at: '2026-11-05T09:00:00Z' }),
  decision({
    action: 'missed',
    ruleId: 'iam.access-key-created',
    note: 'key found on a paste site',
    at: '2026-11-04T09:00:00Z',
  }),
];

// Computed inside each test, not at import or in a hook: Stryker switches a mutant on for the tests that
// covered it, so anything derived outside a test would be judged on the original code.
const viewOf = (): ResponseView => responseView(readResponseEvidence(objects));
const metricsOf = (): TuningMetrics =>
  computeMetrics({
    view: viewOf(),
    sla: DEFAULT_SLA,
    from: '2026-11-01',
    to: '2026-11-30',
    asOf: '2026-11-07T00:00:00.000Z',
    catalogue: CATALOGUE,
  });
const rule = (id: string) => metricsOf().rules.find((r) => r.ruleId === id);

describe('percentiles', () => {
  it.each([
    [[], null],
    [[5], 5],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 9],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 10],
  ])('p90 of %j is %j (nearest rank)', (values, p90) => {
    expect(percentile(values, 90)).toBe(p90);
  });
  it('mean is rounded seconds', () => {
    expect(distribution([1, 2])).toEqual({ count: 2, meanSeconds: 2, p90Seconds: 2 });
  });
});

describe('tuning metrics', () => {
  it('joins findings to their incident and leaves drills out', () => {
    expect(viewOf().cases.map((c) => [c.kind, c.id])).toContainEqual(['incident', inc]);
    expect(metricsOf().totals.findings).toBe(7);
    expect(metricsOf().totals.incidents).toBe(6);
  });

  it('counts pages per rule from the incident (page + escalation), never the suppressed finding', () => {
    expect(rule('cloudtrail.logging-stopped')).toMatchObject({ findings: 2, pages: 1, suppressed: 1, incidents: 2 });
    expect(rule('iam.admin-granted')).toMatchObject({ findings: 1, pages: 1 });
    expect(rule('signin.console-login-failures')).toMatchObject({ findings: 4, pages: 4 });
  });

  it('measures false positives per finding and flags a rule above 20 %', () => {
    expect(rule('signin.console-login-failures')).toMatchObject({
      resolved: 3,
      falsePositives: 3,
      falsePositiveRate: 1,
      flagged: true,
    });
    expect(rule('iam.admin-granted')).toMatchObject({ falsePositiveRate: 0, flagged: false });
  });

  it('measures time to acknowledge and resolve (mean and p90) and SLA results per case', () => {
    expect(rule('signin.console-login-failures')).toMatchObject({
      mttaSeconds: 2400,
      p90TtaSeconds: 3600,
      mttrSeconds: 2400,
      p90TtrSeconds: 3600,
      // High: acknowledge within 60 min, so the hour-long one is just within.
      ackWithinSla: 3,
      ackPastSla: 0,
      resolvedWithinSla: 3,
      openPastSla: 1,
    });
    // The incident is critical: acked in 10 min (SLA 15), resolved in 2 h (SLA 4 h).
    expect(rule('iam.admin-granted')).toMatchObject({
      mttaSeconds: 600,
      mttrSeconds: 7200,
      ackWithinSla: 1,
      resolvedWithinSla: 1,
    });
    // The suppressed critical finding nobody triaged is open past its SLA.
    expect(rule('cloudtrail.logging-stopped')?.openPastSla).toBe(1);
  });

  it('counts missed detections per rule and control', () => {
    expect(rule('iam.access-key-created')).toMatchObject({ findings: 0, missed: 1 });
    expect(metricsOf().controls.find((c) => c.control === 'A.8.2')?.missed).toBe(1);
    expect(metricsOf().missed).toEqual([
      expect.objectContaining({ ruleId: 'iam.access-key-created', note: 'key found on a paste site' }),
    ]);
  });

  it('keeps to the period', () => {
    const narrow = computeMetrics({
      view: viewOf(),
      sla: DEFAULT_SLA,
      from: '2026-11-04',
      to: '2026-11-04',
      asOf: metricsOf().asOf,
      catalogue: CATALOGUE,
    });
    expect(narrow.totals.findings).toBe(1);
    expect(narrow.totals.missed).toBe(1);
  });
});

describe('quarterly review', () => {
  const quarter = parseQuarter('2026-Q4');

  it('parses quarters and the next review date', () => {
    expect(quarter).toEqual({ quarter: '2026-Q4', from: '2026-10-01', to: '2026-12-31', nextReview: '2027-04-01' });
    expect(parseQuarter('2026-Q5')).toBeUndefined();
  });

  it('suggests the threshold the false positives stayed under, names silent rules and owners', () => {
    if (quarter === undefined) throw new Error('quarter');
    const q = computeMetrics({
      view: viewOf(),
      sla: DEFAULT_SLA,
      from: quarter.from,
      to: quarter.to,
      asOf: '2027-01-01T00:00:00.000Z',
      catalogue: CATALOGUE,
    });
    const review = buildReview({ quarter, metrics: q, view: viewOf(), catalogue: CATALOGUE });
    expect(review.aboveLine).toEqual(['signin.console-login-failures']);
    const signin = review.rules.find((r) => r.ruleId === 'signin.console-login-failures');
    expect(signin?.owner).toBe('iam-team');
    expect(signin?.suggestion).toBe(
      'raise threshold.count from 5 to 11 in 600 s: every false positive had at most 10 events (check the 0 true positive(s) still reach it)',
    );
    expect(review.silent).toEqual(['iam.access-key-created']);
    const md = renderReviewMarkdown(review);
    expect(md).toContain('# Trailwarden threshold review 2026-Q4');
    expect(md).toContain('Next review due: 2027-04-01');
    expect(md).toContain('- iam.access-key-created (owner iam-team; last finding never in this evidence)');
  });

  it('suggests a scoped, dated suppression when a rule without a threshold is above the line', () => {
    if (quarter === undefined) throw new Error('quarter');
    const fp = [9, 10, 11].map((n) =>
      finding(n, {
        ruleId: 'iam.admin-granted',
        controls: ['A.8.2'],
        actor: ci,
        firstSeen: `2026-11-1${n - 9}T08:00:00.000Z`,
        lastSeen: `2026-11-1${n - 9}T08:00:00.000Z`,
      }),
    );
    const more = [
      ...fp.map((f) => ({ key: evidenceKey(f), bytes: evidenceBody(f) })),
      ...fp.map((f) =>
        decision({
          action: 'resolve',
          target: f.id,
          verdict: 'false-positive',
          at: f.lastSeen.replace('08:00', '09:00'),
        }),
      ),
    ];
    const v = responseView(readResponseEvidence([...objects, ...more]));
    const q = computeMetrics({
      view: v,
      sla: DEFAULT_SLA,
      from: quarter.from,
      to: quarter.to,
      asOf: '2027-01-01T00:00:00.000Z',
      catalogue: CATALOGUE,
    });
    const review = buildReview({ quarter, metrics: q, view: v, catalogue: CATALOGUE });
    expect(review.rules.find((r) => r.ruleId === 'iam.admin-granted')?.suggestion).toBe(
      'suppress iam.admin-granted for principal arn:aws:iam::111122223333:user/ci (3 of 3 false positives), reason from the verdict notes, expires 2027-04-01',
    );
  });
});

describe('distribution', () => {
  it('sorts before taking the p90 and rounds the mean', () => {
    expect(distribution([30, 10, 20, 1, 2, 3, 4, 5, 6, 7])).toEqual({ count: 10, meanSeconds: 9, p90Seconds: 20 });
    expect(distribution([])).toEqual({ count: 0, meanSeconds: null, p90Seconds: null });
  });
});

describe('caseTimes / caseSla', () => {
  const opened = '2026-11-02T10:00:00.000Z';
  const at = (minutes: number): string => new Date(Date.parse(opened) + minutes * 60_000).toISOString();
  const responseCase = (severity: Finding['severity'], state: Partial<ResponseCase['state']> = {}): ResponseCase => ({
    id: 'c',
    kind: 'finding',
    severity,
    openedAt: opened,
    paged: true,
    drill: false,
    findings: [],
    pageFindingIds: [],
    state: { status: 'new', ignored: [], ...state },
  });

  it('measures seconds from opening, never negative', () => {
    expect(caseTimes(responseCase('high'))).toEqual({});
    expect(caseTimes(responseCase('high', { acknowledgedAt: at(10) }))).toEqual({ tta: 600 });
    expect(caseTimes(responseCase('high', { acknowledgedAt: at(10), resolvedAt: at(90) }))).toEqual({
      tta: 600,
      ttr: 5400,
    });
    // A decision timestamped before the finding opened (clock skew) is zero, not negative.
    expect(caseTimes(responseCase('high', { acknowledgedAt: at(-5) }))).toEqual({ tta: 0 });
  });

  // Critical: acknowledge within 15 min, resolve within 240 min.
  it.each<[string, Partial<ResponseCase['state']>, number, Record<string, boolean>]>([
    [
      'acked at the SLA exactly, resolved at it exactly',
      { acknowledgedAt: at(15), resolvedAt: at(240) },
      300,
      { acked: true, resolved: true, ackLate: false, resolveLate: false, openPastSla: false },
    ],
    [
      'acked a minute late, resolved a minute late',
      { acknowledgedAt: at(16), resolvedAt: at(241) },
      300,
      { acked: true, resolved: true, ackLate: true, resolveLate: true, openPastSla: false },
    ],
    [
      'open, judged at the ack SLA',
      {},
      15,
      { acked: false, resolved: false, ackLate: false, resolveLate: false, openPastSla: false },
    ],
    [
      'open, judged a minute past the ack SLA',
      {},
      16,
      { acked: false, resolved: false, ackLate: true, resolveLate: false, openPastSla: true },
    ],
    [
      'acked in time, judged at the resolve SLA',
      { acknowledgedAt: at(5) },
      240,
      { acked: true, resolved: false, ackLate: false, resolveLate: false, openPastSla: false },
    ],
    [
      'acked in time, judged a minute past the resolve SLA',
      { acknowledgedAt: at(5) },
      241,
      { acked: true, resolved: false, ackLate: false, resolveLate: true, openPastSla: true },
    ],
  ])('%s', (_name, state, judgedAtMinutes, expected) => {
    expect(caseSla(responseCase('critical', state), DEFAULT_SLA, at(judgedAtMinutes))).toEqual(expected);
  });

  it('takes the target of the case severity', () => {
    // 30 min to acknowledge: late for critical (15), in time for high (60).
    expect(caseSla(responseCase('critical', { acknowledgedAt: at(30) }), DEFAULT_SLA, at(30)).ackLate).toBe(true);
    expect(caseSla(responseCase('high', { acknowledgedAt: at(30) }), DEFAULT_SLA, at(30)).ackLate).toBe(false);
  });
});

describe('tuning metrics in full', () => {
  it('gives every figure of the totals', () => {
    expect(metricsOf().totals).toEqual({
      findings: 7,
      incidents: 6,
      pages: 6,
      suppressed: 1,
      resolved: 5,
      falsePositives: 3,
      falsePositiveRate: 0.6,
      flagged: true,
      verdicts: { 'true-positive': 2, 'false-positive': 3 },
      // Acks: 10, 20, 40, 60 min; resolutions: 20, 40, 60, 120 min.
      mttaSeconds: 1950,
      p90TtaSeconds: 3600,
      mttrSeconds: 3600,
      p90TtrSeconds: 7200,
      ackWithinSla: 4,
      ackPastSla: 0,
      resolvedWithinSla: 4,
      resolvedPastSla: 0,
      openPastSla: 2,
      missed: 1,
    });
  });

  it('names the period, the moment judged and the SLA, and lists every rule in id order', () => {
    const m = metricsOf();
    expect(m).toMatchObject({
      schema: 'trailwarden.metrics/v1',
      from: '2026-11-01',
      to: '2026-11-30',
      asOf: '2026-11-07T00:00:00.000Z',
      sla: DEFAULT_SLA,
    });
    expect(m.rules.map((r) => [r.ruleId, r.controls])).toEqual([
      ['cloudtrail.logging-stopped', ['A.8.15']],
      ['iam.access-key-created', ['A.8.2']],
      ['iam.admin-granted', ['A.8.2']],
      ['signin.console-login-failures', ['A.8.5']],
    ]);
    expect(m.missed).toEqual([
      {
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
        ruleId: 'iam.access-key-created',
        at: '2026-11-04T09:00:00.000Z',
        note: 'key found on a paste site',
      },
    ]);
  });

  it('gives each Annex A control its title and the figures of the findings mapped to it', () => {
    const control = (id: string) => metricsOf().controls.find((c) => c.control === id);
    expect(metricsOf().controls).toHaveLength(Object.keys(CONTROLS).length);
    expect(control('A.8.5')).toMatchObject({
      title: CONTROLS['A.8.5'],
      findings: 4,
      incidents: 4,
      pages: 4,
      falsePositives: 3,
      missed: 0,
    });
    // The incident's two findings carry A.8.15 and A.8.2: each control counts its own findings and pages.
    expect(control('A.8.2')).toMatchObject({ findings: 1, incidents: 1, pages: 1, missed: 1 });
    expect(control('A.8.15')).toMatchObject({ findings: 2, incidents: 2, pages: 1, suppressed: 1 });
    expect(control('A.5.23')).toMatchObject({
      findings: 0,
      incidents: 0,
      pages: 0,
      falsePositiveRate: null,
      flagged: false,
    });
  });

  it('without a period takes all the evidence; without a catalogue, a rule takes its controls from its findings', () => {
    const m = computeMetrics({ view: viewOf(), sla: DEFAULT_SLA, asOf: '2026-11-07T00:00:00.000Z' });
    expect(m).toMatchObject({ from: null, to: null });
    expect(m.totals.findings).toBe(7);
    expect(m.rules.map((r) => [r.ruleId, r.controls])).toEqual([
      ['cloudtrail.logging-stopped', ['A.8.15']],
      // Known only from the missed detection, with no catalogue to name its controls.
      ['iam.access-key-created', []],
      ['iam.admin-granted', ['A.8.2']],
      ['signin.console-login-failures', ['A.8.5']],
    ]);
  });

  it.each([
    // The period's bounds are whole UTC days: the first and the last day count in full.
    // The incident's two findings and the suppressed one; the drill that day is left out.
    ['2026-11-02', '2026-11-02', 3],
    ['2026-11-03', '2026-11-03', 1],
    ['2026-11-03', '2026-11-05', 3],
    ['2026-11-07', '2026-11-30', 0],
  ])('a period from %s to %s holds %i findings', (from, to, n) => {
    expect(
      computeMetrics({ view: viewOf(), sla: DEFAULT_SLA, from, to, asOf: '2026-12-01T00:00:00.000Z' }).totals.findings,
    ).toBe(n);
  });

  it('counts a page only for a case that paged, for the findings that paged', () => {
    const quiet = finding(20, { severity: 'medium', firstSeen: '2026-11-02T15:00:00.000Z' });
    const v = responseView(readResponseEvidence([...objects, { key: evidenceKey(quiet), bytes: evidenceBody(quiet) }]));
    const m = computeMetrics({ view: v, sla: DEFAULT_SLA, asOf: '2026-11-07T00:00:00.000Z', catalogue: CATALOGUE });
    expect(m.rules.find((r) => r.ruleId === 'cloudtrail.logging-stopped')).toMatchObject({ findings: 3, pages: 1 });
    expect(m.totals.pages).toBe(6);
  });
});

describe('tuning metrics at the edges', () => {
  const opened = '2026-11-02T10:00:00.000Z';
  const at = (minutes: number): string => new Date(Date.parse(opened) + minutes * 60_000).toISOString();
  const metricsFor = (extra: StoredObject[], from?: string, to?: string) =>
    computeMetrics({
      view: responseView(readResponseEvidence(extra)),
      sla: DEFAULT_SLA,
      asOf: '2026-11-09T00:00:00.000Z',
      catalogue: CATALOGUE,
      ...(from === undefined ? {} : { from }),
      ...(to === undefined ? {} : { to }),
    });
  const critical = (n: number) => finding(n, { firstSeen: opened, lastSeen: opened });
  const stored = (f: Finding): StoredObject => ({ key: evidenceKey(f), bytes: evidenceBody(f) });

  it('counts an acknowledgement and a resolution past their SLA as late', () => {
    const m = metricsFor([
      stored(critical(30)),
      decision({ action: 'ack', target: hex(30), at: at(20) }),
      decision({ action: 'resolve', target: hex(30), verdict: 'true-positive', at: at(300) }),
    ]);
    expect(m.totals).toMatchObject({ ackWithinSla: 0, ackPastSla: 1, resolvedWithinSla: 0, resolvedPastSla: 1 });
  });

  it('flags a rule only above one false positive in five', () => {
    const five = [31, 32, 33, 34, 35].map(critical);
    const verdicts = (falsePositives: number) =>
      five.map((f, i) =>
        decision({
          action: 'resolve',
          target: f.id,
          verdict: i < falsePositives ? 'false-positive' : 'true-positive',
          at: at(30),
        }),
      );
    const rate = (falsePositives: number) =>
      metricsFor([...five.map(stored), ...verdicts(falsePositives)]).rules.find(
        (r) => r.ruleId === 'cloudtrail.logging-stopped',
      );
    expect(rate(1)).toMatchObject({ falsePositiveRate: 0.2, flagged: false });
    expect(rate(2)).toMatchObject({ falsePositiveRate: 0.4, flagged: true });
    // Nothing resolved: no rate, nothing to flag.
    expect(metricsFor(five.map(stored)).rules[0]).toMatchObject({ falsePositiveRate: null, flagged: false });
  });

  it('holds a finding opened at midnight in the day it opens, not the day before', () => {
    const midnight = finding(70, { firstSeen: '2026-11-03T00:00:00.000Z', lastSeen: '2026-11-03T00:00:00.000Z' });
    expect(metricsFor([stored(midnight)], '2026-11-03', '2026-11-03').totals.findings).toBe(1);
    expect(metricsFor([stored(midnight)], '2026-11-02', '2026-11-02').totals.findings).toBe(0);
    expect(metricsFor([stored(midnight)], '2026-11-04', '2026-11-05').totals.findings).toBe(0);
  });

  it('counts a missed detection in its period and for its rule only', () => {
    const missed = decision({ action: 'missed', ruleId: 'iam.admin-granted', note: 'seen late', at: at(60) });
    expect(metricsFor([missed], '2026-11-03', '2026-11-30').totals.missed).toBe(0);
    const m = metricsFor([missed], '2026-11-02', '2026-11-02');
    expect(m.totals.missed).toBe(1);
    expect(m.rules.map((r) => [r.ruleId, r.missed])).toEqual([
      ['cloudtrail.logging-stopped', 0],
      ['iam.access-key-created', 0],
      ['iam.admin-granted', 1],
      ['signin.console-login-failures', 0],
    ]);
  });

  it('keeps a missed detection that names no rule in the totals, under no rule', () => {
    const noRule: StoredObject = {
      key: 'triage/dt=2026-11-02/m.json',
      bytes: JSON.stringify({
        schema: 'trailwarden.triage/v1',
        id: 'f'.repeat(32),
        target: 'f'.repeat(32),
        action: 'missed',
        note: 'nobody said which rule',
        by: 'alice',
        at: at(5),
        source: 'cli',
      }),
    };
    const m = metricsFor([noRule]);
    expect(m.totals.missed).toBe(1);
    expect(m.rules.map((r) => r.ruleId)).toEqual(CATALOGUE.map((r) => r.id).sort());
    expect(m.missed).toEqual([{ id: 'f'.repeat(32), ruleId: '', at: at(5), note: 'nobody said which rule' }]);
  });

  it('leaves a drill finding out even inside a real incident, and counts pages only of real findings', () => {
    const real = { ...critical(40), incidentId: inc };
    const drilled = { ...finding(41, { firstSeen: opened, lastSeen: opened, drill: true }), incidentId: inc };
    const m = metricsFor([
      stored(real),
      stored(drilled),
      // The incident lists a page for a finding whose object is missing: nothing to count it against.
      incident(inc, [real, drilled], [real.id, drilled.id, hex(49)]),
    ]);
    expect(m.totals).toMatchObject({ findings: 1, pages: 1 });
  });

  it('counts no page for a case that did not page, whatever page ids it lists', () => {
    const f = critical(50);
    const base = responseView(readResponseEvidence([stored(f)]));
    const [c] = base.cases;
    if (c === undefined) throw new Error('case');
    const view: ResponseView = { ...base, cases: [{ ...c, paged: false }] };
    const m = computeMetrics({ view, sla: DEFAULT_SLA, asOf: '2026-11-09T00:00:00.000Z' });
    expect(m.totals.pages).toBe(0);
  });

  it('takes a finding with no recorded state as unresolved', () => {
    const base = responseView(readResponseEvidence([stored(critical(60))]));
    const view: ResponseView = { ...base, findingState: new Map() };
    expect(computeMetrics({ view, sla: DEFAULT_SLA, asOf: '2026-11-09T00:00:00.000Z' }).totals).toMatchObject({
      findings: 1,
      resolved: 0,
    });
  });
});
