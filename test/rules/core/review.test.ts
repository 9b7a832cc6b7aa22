import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../rules/core/finding.ts';
import type { ResponseCase, ResponseView } from '../../../rules/core/response.ts';
import type { Review, ReviewRule } from '../../../rules/core/review.ts';
import { buildReview, parseQuarter, renderReviewMarkdown, suggestChange } from '../../../rules/core/review.ts';
import { DEFAULT_SLA } from '../../../rules/core/sla.ts';
import type { TriageState } from '../../../rules/core/triage.ts';
import type { CatalogueRule, RuleMetrics, TuningMetrics } from '../../../rules/core/tuning.ts';
import { sampleFinding } from '../../functions/support.ts';

/**
 * The quarterly review (rules/core/review.ts) on hand-built metrics and views, so each edge is its own case: the
 * quarter's days, what counts as silent, which false positives a suggestion rests on, and the Markdown an
 * auditor signs.
 */
const hex = (n: number): string => n.toString(16).padStart(32, '0');
const finding = (n: number, overrides: Partial<Finding> = {}): Finding =>
  sampleFinding({ id: hex(n), eventIds: [`e${n}`], ...overrides });

const metricsOf = (ruleId: string, overrides: Partial<RuleMetrics> = {}): RuleMetrics => ({
  ruleId,
  controls: ['A.8.2'],
  findings: 0,
  incidents: 0,
  pages: 0,
  suppressed: 0,
  resolved: 0,
  falsePositives: 0,
  falsePositiveRate: null,
  flagged: false,
  verdicts: {},
  mttaSeconds: null,
  p90TtaSeconds: null,
  mttrSeconds: null,
  p90TtrSeconds: null,
  missed: 0,
  ackWithinSla: 0,
  ackPastSla: 0,
  resolvedWithinSla: 0,
  resolvedPastSla: 0,
  openPastSla: 0,
  ...overrides,
});

const FP: TriageState = { status: 'resolved', verdict: 'false-positive', ignored: [] };
const TP: TriageState = { status: 'resolved', verdict: 'true-positive', ignored: [] };

const viewOf = (findings: readonly Finding[], states: Readonly<Record<string, TriageState>> = {}): ResponseView => ({
  cases: findings.map(
    (f): ResponseCase => ({
      id: f.id,
      kind: 'finding',
      severity: f.severity,
      openedAt: f.firstSeen,
      paged: false,
      drill: f.drill,
      findings: [f],
      pageFindingIds: [],
      state: states[f.id] ?? { status: 'new', ignored: [] },
    }),
  ),
  caseOf: new Map(findings.map((f) => [f.id, f.id])),
  findingState: new Map(Object.entries(states)),
  missed: [],
  orphans: [],
});

const tuning = (rules: readonly RuleMetrics[]): TuningMetrics => ({
  schema: 'trailwarden.metrics/v1' as TuningMetrics['schema'],
  from: '2026-10-01',
  to: '2026-12-31',
  asOf: '2027-01-01T00:00:00.000Z',
  sla: DEFAULT_SLA,
  totals: metricsOf('total'),
  rules,
  controls: [],
  missed: [],
});

describe('parseQuarter', () => {
  it.each([
    ['2026-Q1', '2026-01-01', '2026-03-31', '2026-07-01'],
    ['2028-Q1', '2028-01-01', '2028-03-31', '2028-07-01'],
    ['2026-Q2', '2026-04-01', '2026-06-30', '2026-10-01'],
    ['2026-Q3', '2026-07-01', '2026-09-30', '2027-01-01'],
    ['2026-Q4', '2026-10-01', '2026-12-31', '2027-04-01'],
  ])('%s runs from %s to %s; the next review is due by %s', (quarter, from, to, nextReview) => {
    expect(parseQuarter(quarter)).toEqual({ quarter, from, to, nextReview });
  });

  it.each(['2026-Q0', '2026-Q5', '26-Q1', 'x2026-Q1', '2026-Q1x', '2026-q1', ''])('refuses %j', (text) => {
    expect(parseQuarter(text)).toBeUndefined();
  });
});

describe('suggestChange', () => {
  const flagged = metricsOf('signin.console-login-failures', { flagged: true, resolved: 5, falsePositives: 3 });
  const threshold: CatalogueRule = {
    id: 'signin.console-login-failures',
    controls: ['A.8.5'],
    threshold: { count: 5, windowSeconds: 600 },
  };
  const ci = { arn: 'arn:aws:iam::111122223333:user/ci', type: 'IAMUser', userName: 'ci' };

  it('says nothing for a rule below the line, unless it missed something', () => {
    expect(suggestChange(metricsOf('x.y'), undefined, [], '2027-04-01')).toBeNull();
    expect(suggestChange(metricsOf('x.y', { missed: 2 }), undefined, [], '2027-04-01')).toBe(
      '2 missed detection(s): check the rule still sees what it should',
    );
  });

  it('raises a threshold to one above the largest false positive, from a count at the threshold on', () => {
    const fps = [finding(1, { count: 5, actor: ci }), finding(2, { count: 3, actor: ci })];
    expect(suggestChange(flagged, threshold, fps, '2027-04-01')).toBe(
      'raise threshold.count from 5 to 6 in 600 s: every false positive had at most 5 events (check the 2 true positive(s) still reach it)',
    );
  });

  it('suggests a suppression when the false positives never reached the threshold (a threshold change would not help)', () => {
    const fps = [finding(1, { count: 4, actor: ci })];
    expect(suggestChange(flagged, threshold, fps, '2027-04-01')).toBe(
      'suppress signin.console-login-failures for principal arn:aws:iam::111122223333:user/ci (1 of 1 false positives), reason from the verdict notes, expires 2027-04-01',
    );
  });

  it('asks for a review when a flagged rule has no false-positive findings to learn from', () => {
    const text = 'review the rule: false positives without findings to learn from';
    expect(suggestChange(flagged, threshold, [], '2027-04-01')).toBe(text);
    expect(suggestChange(flagged, undefined, [], '2027-04-01')).toBe(text);
    expect(suggestChange(flagged, { ...threshold, threshold: null }, [], '2027-04-01')).toBe(text);
  });

  it('scopes the suppression to the principal with most false positives, ties by name', () => {
    const a = { arn: 'arn:aws:iam::111122223333:user/a', type: 'IAMUser' };
    const b = { arn: 'arn:aws:iam::111122223333:user/b', type: 'IAMUser' };
    const most = [finding(1, { actor: a }), finding(2, { actor: b }), finding(3, { actor: b })];
    expect(suggestChange(flagged, undefined, most, 'D')).toContain(
      'for principal arn:aws:iam::111122223333:user/b (2 of 3',
    );
    expect(suggestChange(flagged, undefined, [finding(1, { actor: b }), finding(2, { actor: a })], 'D')).toContain(
      'for principal arn:aws:iam::111122223333:user/a (1 of 2',
    );
    expect(suggestChange(flagged, undefined, [finding(1, { actor: a }), finding(2, { actor: b })], 'D')).toContain(
      'for principal arn:aws:iam::111122223333:user/a (1 of 2',
    );
  });

  // Evidence read back may carry a partial actor (or none): the type promises more than old objects hold.
  it.each<[string, Partial<Finding['actor']> | undefined, string]>([
    [
      'the ARN',
      { arn: 'arn:aws:iam::111122223333:user/x', type: 'IAMUser', userName: 'x' },
      'arn:aws:iam::111122223333:user/x',
    ],
    ['the user name without an ARN', { arn: '', type: 'IAMUser', userName: 'x', sourceIp: '203.0.113.9' }, 'x'],
    ['the address without a name', { type: 'AWSService', sourceIp: '203.0.113.9' }, '203.0.113.9'],
    ['unknown without any', { type: 'Unknown' }, 'unknown'],
    ['unknown without an actor', undefined, 'unknown'],
  ])('names the principal by %s', (_name, actor, principal) => {
    const f = { ...finding(1), actor } as unknown as Finding;
    expect(suggestChange(flagged, undefined, [f], 'D')).toContain(`for principal ${principal} (`);
  });
});

describe('buildReview', () => {
  const quarter = { quarter: '2026-Q4', from: '2026-10-01', to: '2026-12-31', nextReview: '2027-04-01' };
  const catalogue: CatalogueRule[] = [
    { id: 'iam.admin-granted', controls: ['A.8.2'], owner: 'iam-team', threshold: null },
  ];
  const at = (day: string) => ({ firstSeen: `${day}T08:00:00.000Z`, lastSeen: `${day}T09:00:00.000Z` });

  it('copies the metrics, names the owner and the latest finding, and lists rules above the line', () => {
    const m = metricsOf('iam.admin-granted', {
      findings: 4,
      incidents: 3,
      pages: 2,
      suppressed: 1,
      falsePositiveRate: 0.5,
      falsePositives: 1,
      resolved: 2,
      flagged: true,
      mttaSeconds: 60,
      mttrSeconds: 600,
      ackWithinSla: 1,
      ackPastSla: 2,
      resolvedWithinSla: 3,
      resolvedPastSla: 4,
      openPastSla: 5,
      missed: 6,
    });
    const f = finding(1, { ruleId: 'iam.admin-granted', ...at('2026-12-01') });
    const review = buildReview({ quarter, metrics: tuning([m]), view: viewOf([f], { [f.id]: FP }), catalogue });
    const expected: ReviewRule = {
      ruleId: 'iam.admin-granted',
      owner: 'iam-team',
      findings: 4,
      incidents: 3,
      pages: 2,
      suppressed: 1,
      falsePositiveRate: 0.5,
      falsePositives: 1,
      resolved: 2,
      aboveLine: true,
      mttaSeconds: 60,
      mttrSeconds: 600,
      ackWithinSla: 1,
      ackPastSla: 2,
      resolvedWithinSla: 3,
      resolvedPastSla: 4,
      openPastSla: 5,
      missed: 6,
      lastFinding: '2026-12-01T09:00:00.000Z',
      silent: false,
      suggestion:
        'suppress iam.admin-granted for principal arn:aws:iam::111122223333:user/mallory (1 of 1 false positives), reason from the verdict notes, expires 2027-04-01',
    };
    expect(review).toEqual({
      schema: 'trailwarden.review/v1',
      quarter: '2026-Q4',
      from: '2026-10-01',
      to: '2026-12-31',
      asOf: '2027-01-01T00:00:00.000Z',
      falsePositiveLine: 0.2,
      silentDays: 90,
      rules: [expected],
      aboveLine: ['iam.admin-granted'],
      silent: [],
      nextReview: '2027-04-01',
    });
  });

  it('calls an owner missing from the catalogue unknown, and a rule with no finding silent', () => {
    const review = buildReview({ quarter, metrics: tuning([metricsOf('x.gone')]), view: viewOf([]), catalogue });
    expect(review.rules[0]).toMatchObject({ owner: 'unknown', lastFinding: null, silent: true });
    expect(review.silent).toEqual(['x.gone']);
    expect(review.aboveLine).toEqual([]);
  });

  it('takes the latest finding up to the quarter end, leaving drills and later findings out', () => {
    const findings = [
      finding(1, { ruleId: 'iam.admin-granted', ...at('2026-11-01') }),
      finding(2, { ruleId: 'iam.admin-granted', ...at('2026-12-31') }),
      finding(3, { ruleId: 'iam.admin-granted', ...at('2026-11-15') }),
      finding(4, {
        ruleId: 'iam.admin-granted',
        ...at('2026-12-31'),
        firstSeen: '2027-01-01T00:00:00.000Z',
        lastSeen: '2027-01-02T00:00:00.000Z',
      }),
      finding(5, {
        ruleId: 'iam.admin-granted',
        ...at('2026-12-31'),
        lastSeen: '2026-12-31T23:00:00.000Z',
        drill: true,
      }),
      finding(6, { ruleId: 'other.rule', ...at('2026-12-31'), lastSeen: '2026-12-31T23:30:00.000Z' }),
    ];
    const review = buildReview({
      quarter,
      metrics: tuning([metricsOf('iam.admin-granted')]),
      view: viewOf(findings),
      catalogue,
    });
    expect(review.rules[0]?.lastFinding).toBe('2026-12-31T09:00:00.000Z');
  });

  it('is silent from exactly 90 days without a finding before the end of the quarter', () => {
    const lastAt = (lastSeen: string) =>
      buildReview({
        quarter,
        metrics: tuning([metricsOf('iam.admin-granted')]),
        view: viewOf([finding(1, { ruleId: 'iam.admin-granted', firstSeen: '2026-09-01T00:00:00.000Z', lastSeen })]),
        catalogue,
      }).rules[0]?.silent;
    // The quarter ends at 2027-01-01T00:00Z; 90 days before that is 2026-10-03T00:00Z.
    expect(lastAt('2026-10-03T00:00:00.000Z')).toBe(false);
    expect(lastAt('2026-10-02T23:59:59.999Z')).toBe(true);
  });

  it("bases a suggestion on the rule's own false positives first seen in the quarter", () => {
    const flagged = metricsOf('iam.admin-granted', { flagged: true });
    const mine = (n: number, day: string, actor: string) =>
      finding(n, { ruleId: 'iam.admin-granted', ...at(day), actor: { arn: actor, type: 'IAMUser' } });
    const findings = [
      { ...mine(1, '2026-10-01', 'first-day'), firstSeen: '2026-10-01T00:00:00.000Z' },
      mine(2, '2026-12-31', 'last-day'),
      mine(3, '2026-09-30', 'before'),
      { ...mine(4, '2026-12-31', 'after'), firstSeen: '2027-01-01T00:00:00.000Z' },
      mine(5, '2026-11-01', 'true-positive'),
      mine(6, '2026-11-01', 'undecided'),
      { ...mine(7, '2026-11-01', 'other-rule'), ruleId: 'other.rule' },
    ];
    const states = { [hex(1)]: FP, [hex(2)]: FP, [hex(3)]: FP, [hex(4)]: FP, [hex(5)]: TP, [hex(7)]: FP };
    const review = buildReview({ quarter, metrics: tuning([flagged]), view: viewOf(findings, states), catalogue });
    expect(review.rules[0]?.suggestion).toBe(
      'suppress iam.admin-granted for principal first-day (1 of 2 false positives), reason from the verdict notes, expires 2027-04-01',
    );
  });
});

describe('renderReviewMarkdown', () => {
  const row = (ruleId: string, overrides: Partial<ReviewRule> = {}): ReviewRule => ({
    ruleId,
    owner: 'iam-team',
    findings: 0,
    incidents: 0,
    pages: 0,
    suppressed: 0,
    falsePositiveRate: null,
    falsePositives: 0,
    resolved: 0,
    aboveLine: false,
    mttaSeconds: null,
    mttrSeconds: null,
    ackWithinSla: 0,
    ackPastSla: 0,
    resolvedWithinSla: 0,
    resolvedPastSla: 0,
    openPastSla: 0,
    missed: 0,
    lastFinding: null,
    silent: false,
    suggestion: null,
    ...overrides,
  });
  const review = (rules: readonly ReviewRule[]): Review => ({
    schema: 'trailwarden.review/v1',
    quarter: '2026-Q4',
    from: '2026-10-01',
    to: '2026-12-31',
    asOf: '2027-01-01T00:00:00.000Z',
    falsePositiveLine: 0.2,
    silentDays: 90,
    rules,
    aboveLine: rules.filter((r) => r.aboveLine).map((r) => r.ruleId),
    silent: rules.filter((r) => r.silent).map((r) => r.ruleId),
    nextReview: '2027-04-01',
  });

  it('renders every section, with the active rules, suggestions and silent rules', () => {
    const md = renderReviewMarkdown(
      review([
        row('signin.failures', {
          owner: 'team|a\r\nb',
          findings: 5,
          incidents: 4,
          pages: 3,
          falsePositiveRate: 0.4567,
          aboveLine: true,
          ackWithinSla: 2,
          ackPastSla: 1,
          resolvedWithinSla: 1,
          resolvedPastSla: 3,
          openPastSla: 1,
          suggestion: 'raise it',
        }),
        row('iam.missed-one', { missed: 1, falsePositiveRate: 0, suggestion: '1 missed detection(s)' }),
        row('iam.quiet', { silent: true, lastFinding: '2026-06-01T00:00:00.000Z' }),
        row('iam.never', { silent: true }),
      ]),
    );
    expect(md).toBe(
      [
        '# Trailwarden threshold review 2026-Q4',
        '',
        '- Period: 2026-10-01 to 2026-12-31 (UTC), measured as of 2027-01-01T00:00:00.000Z',
        '- False-positive line: 20 %; silent: no finding for 90 days up to 2026-12-31',
        '- Rules with findings or missed detections: 2 of 4',
        '- Next review due: 2027-04-01',
        '',
        '## Volume, false positives and SLA per rule',
        '',
        '| Rule | Owner | Findings | Incidents | Pages | FP rate | Ack within SLA | Resolved within SLA | Open past SLA | Missed |',
        '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
        '| signin.failures | team\\|a b | 5 | 4 | 3 | 45.7 % **above line** | 2/3 | 1/4 | 1 | 0 |',
        '| iam.missed-one | iam-team | 0 | 0 | 0 | 0.0 % | 0/0 | 0/0 | 0 | 1 |',
        '',
        '## Above the 20 % line: suggested changes',
        '',
        '- **signin.failures** (owner team|a\r\nb): raise it',
        '- **iam.missed-one** (owner iam-team): 1 missed detection(s)',
        '',
        '## Silent for 90 days (candidates to retire, or to drill)',
        '',
        '- iam.quiet (owner iam-team; last finding 2026-06-01T00:00:00.000Z)',
        '- iam.never (owner iam-team; last finding never in this evidence)',
        '',
        '## Sign-off',
        '',
        '| Role | Name | Date | Decision |',
        '| --- | --- | --- | --- |',
        '| Rule owner | | | |',
        '| ISMS manager | | | |',
        '',
      ].join('\n'),
    );
  });

  it('says so when no rule is active, none has a suggestion and none is silent', () => {
    const md = renderReviewMarkdown(review([row('iam.a'), row('iam.b', { falsePositiveRate: null })]));
    expect(md).toContain('- Rules with findings or missed detections: 0 of 2\n');
    expect(md).toContain(
      '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n| (none) | | | | | | | | | |\n\n',
    );
    expect(md).toContain('suggested changes\n\nNone: every rule with verdicts is at or below the line.\n\n');
    expect(md).toContain('(candidates to retire, or to drill)\n\nNone.\n\n## Sign-off');
    expect(md).not.toContain('| iam.a |');
  });

  it('shows a missing false-positive rate as a dash', () => {
    expect(renderReviewMarkdown(review([row('iam.a', { findings: 1 })]))).toContain(
      '| iam.a | iam-team | 1 | 0 | 0 | - | 0/0 | 0/0 | 0 | 0 |',
    );
  });
});
