import { describe, expect, it } from 'vitest';
import type { StoredObject } from '../../../rules/core/digest.ts';
import { evidenceBody, evidenceKey } from '../../../rules/core/evidence.ts';
import type { Finding } from '../../../rules/core/finding.ts';
import { readResponseEvidence, responseView } from '../../../rules/core/response.ts';
import { buildReview, parseQuarter, renderReviewMarkdown } from '../../../rules/core/review.ts';
import { DEFAULT_SLA } from '../../../rules/core/sla.ts';
import type { TriageRequest } from '../../../rules/core/triage.ts';
import { triageBody, triageDecision, triageKey } from '../../../rules/core/triage.ts';
import type { CatalogueRule } from '../../../rules/core/tuning.ts';
import { computeMetrics, distribution, percentile } from '../../../rules/core/tuning.ts';
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

const view = responseView(readResponseEvidence(objects));
const metrics = computeMetrics({
  view,
  sla: DEFAULT_SLA,
  from: '2026-11-01',
  to: '2026-11-30',
  asOf: '2026-11-07T00:00:00.000Z',
  catalogue: CATALOGUE,
});
const rule = (id: string) => metrics.rules.find((r) => r.ruleId === id);

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
    expect(view.cases.map((c) => [c.kind, c.id])).toContainEqual(['incident', inc]);
    expect(metrics.totals.findings).toBe(7);
    expect(metrics.totals.incidents).toBe(6);
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
    expect(metrics.controls.find((c) => c.control === 'A.8.2')?.missed).toBe(1);
    expect(metrics.missed).toEqual([
      expect.objectContaining({ ruleId: 'iam.access-key-created', note: 'key found on a paste site' }),
    ]);
  });

  it('keeps to the period', () => {
    const narrow = computeMetrics({
      view,
      sla: DEFAULT_SLA,
      from: '2026-11-04',
      to: '2026-11-04',
      asOf: metrics.asOf,
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
      view,
      sla: DEFAULT_SLA,
      from: quarter.from,
      to: quarter.to,
      asOf: '2027-01-01T00:00:00.000Z',
      catalogue: CATALOGUE,
    });
    const review = buildReview({ quarter, metrics: q, view, catalogue: CATALOGUE });
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
