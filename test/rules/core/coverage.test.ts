import { describe, expect, it } from 'vitest';
import type { ObservedRuleCoverage } from '../../../rules/core/coverage.ts';
import { compareControls, computeCoverage, ruleCoverage, UNMONITORED_CONTROLS } from '../../../rules/core/coverage.ts';
import { defineRule } from '../../../rules/core/define-rule.ts';
import { buildCatalogue } from '../../../rules/core/engine.ts';
import type { CloudTrailSelector, RuleCase } from '../../../rules/core/types.ts';
import { fixture } from '../../../rules/fixtures/index.ts';

/**
 * Coverage (rules/core/coverage.ts) on a small catalogue: Annex A order, which rules and observation rules count
 * for a control, the severity spread, and when a control is a gap with its reason.
 */
const stop = defineRule<CloudTrailSelector>({
  id: 'cloudtrail.stopped',
  title: 'Trail stopped',
  severity: 'critical',
  controls: ['A.8.15', 'A.8.16'],
  mitre: [],
  on: { source: 'cloudtrail', eventNames: ['StopLogging'] },
  match: () => true,
});
const started = defineRule<CloudTrailSelector>({
  id: 'cloudtrail.started',
  title: 'Trail started',
  severity: 'low',
  controls: ['A.8.15'],
  mitre: [],
  on: { source: 'cloudtrail', eventNames: ['StartLogging'] },
  match: () => true,
});
const catalogue = buildCatalogue([stop, started]);
const stopCases: readonly RuleCase[] = [
  { name: 'stop matches', expect: 'match', event: fixture('cloudtrail/StopLogging') },
  { name: 'wrongly quiet', expect: 'no-match', event: fixture('cloudtrail/StopLogging') },
  { name: 'wrongly matching', expect: 'match', event: fixture('cloudtrail/StartLogging') },
];
const startCases: readonly RuleCase[] = [
  { name: 'start matches', expect: 'match', event: fixture('cloudtrail/StartLogging') },
];
const zero = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };

describe('compareControls', () => {
  it.each([
    ['A.8.2', 'A.8.10', -1],
    ['A.8.10', 'A.8.2', 1],
    ['A.5.23', 'A.8.2', -1],
    ['A.8.2', 'A.8.2', 0],
    ['A.8', 'A.8.1', -1],
    ['A.8.1', 'A.8', 1],
  ])('%s against %s', (a, b, sign) => {
    expect(Math.sign(compareControls(a, b))).toBe(sign);
  });
});

describe('ruleCoverage', () => {
  it('runs every case and names each failure with its reason', () => {
    expect(ruleCoverage(catalogue, stop, { cases: () => stopCases })).toEqual({
      id: 'cloudtrail.stopped',
      severity: 'critical',
      cases: {
        total: 3,
        passed: 1,
        failures: [
          { name: 'wrongly quiet', reason: 'expected no-match, got match' },
          {
            name: 'wrongly matching',
            reason: 'expected match, got no-match (the rule was not selected for this event: check `on`)',
          },
        ],
      },
    });
  });
});

describe('computeCoverage', () => {
  const observed: ObservedRuleCoverage = {
    id: 'cloudtrail.digest-gap',
    severity: 'high',
    controls: ['A.8.15'],
    cases: { total: 2, passed: 2, failures: [] },
  };
  const unmonitored = {
    'A.8.24': { title: 'Use of cryptography', why: 'KMS calls.' },
    // Also a mapped control: its title stays the vocabulary's, and once covered it carries no reason.
    'A.8.16': { title: 'Another title', why: 'would be monitored' },
  };
  // Computed inside each test, not at collection, so every run sees the code under test as it is then.
  const coverage = () =>
    computeCoverage(
      [
        [stop, { cases: () => stopCases }],
        [started, { cases: () => startCases }],
      ],
      catalogue,
      unmonitored,
      [observed],
    );
  const of = (control: string) => coverage().find((c) => c.control === control);

  it('lists every control once, in Annex A order', () => {
    const controls = coverage().map((c) => c.control);
    expect(controls).toEqual([...controls].sort(compareControls));
    expect(new Set(controls).size).toBe(controls.length);
    expect(controls).toContain('A.8.24');
  });

  it('counts each rule and observation rule of a control, with the severity spread', () => {
    expect(of('A.8.15')).toEqual({
      control: 'A.8.15',
      title: 'Logging',
      status: 'covered',
      rules: [
        ruleCoverage(catalogue, stop, { cases: () => stopCases }),
        { id: 'cloudtrail.started', severity: 'low', cases: { total: 1, passed: 1, failures: [] } },
        { id: 'cloudtrail.digest-gap', severity: 'high', cases: { total: 2, passed: 2, failures: [] } },
      ],
      severities: { ...zero, critical: 1, high: 1, low: 1 },
    });
  });

  it('keeps the vocabulary title for a control also named unmonitored, without a reason once covered', () => {
    const c = of('A.8.16');
    expect(c).toMatchObject({ title: 'Monitoring activities', status: 'covered' });
    expect(c && 'why' in c).toBe(false);
  });

  it('calls a control with no rule a gap, with the reason when one is known', () => {
    expect(of('A.8.24')).toEqual({
      control: 'A.8.24',
      title: 'Use of cryptography',
      status: 'gap',
      why: 'KMS calls.',
      rules: [],
      severities: zero,
    });
    const plain = of('A.8.2');
    expect(plain).toMatchObject({ status: 'gap', rules: [], severities: zero });
    expect(plain && 'why' in plain).toBe(false);
  });

  it('names the built-in unmonitored controls by default', () => {
    const defaults = computeCoverage([], catalogue);
    for (const [control, { title, why }] of Object.entries(UNMONITORED_CONTROLS)) {
      expect(defaults.find((c) => c.control === control)).toMatchObject({ title, why, status: 'gap' });
    }
  });
});
