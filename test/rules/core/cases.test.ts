import { describe, expect, it } from 'vitest';
import { caseEvent, runCase } from '../../../rules/core/cases.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../../rules/core/config.ts';
import { defineRule } from '../../../rules/core/define-rule.ts';
import { buildCatalogue } from '../../../rules/core/engine.ts';
import type {
  CloudTrailSelector,
  ConfigComplianceSelector,
  ConfigItemSelector,
  RuleCase,
} from '../../../rules/core/types.ts';
import { fixture } from '../../../rules/fixtures/index.ts';

/**
 * Inline rule cases (rules/core/cases.ts) go through the real path: the payload wrapped as it would arrive,
 * dispatch, then the predicate with the case's config, criticality and history. A case that cannot pass must
 * say why.
 */
const base = { title: 'T', severity: 'high', controls: ['A.8.15'], mitre: [] } as const;
const stopped = fixture('cloudtrail/StopLogging');

describe('caseEvent', () => {
  it('wraps a Config item as an item change and anything else Config as a compliance change', () => {
    const item = defineRule<ConfigItemSelector>({
      ...base,
      id: 'test.item',
      on: { source: 'config.item-change', resourceTypes: ['AWS::S3::Bucket'] },
      match: () => true,
    });
    const compliance = defineRule<ConfigComplianceSelector>({
      ...base,
      id: 'test.compliance',
      on: { source: 'config.compliance-change' },
      match: () => true,
    });
    const itemEvent = caseEvent(item, {
      name: 'a bucket',
      expect: 'match',
      event: { configurationItem: { resourceType: 'AWS::S3::Bucket', resourceId: 'b' } },
    });
    expect(itemEvent.ok && itemEvent.event).toMatchObject({
      kind: 'config-item-change',
      id: 'case-test.item-a bucket',
      account: '111122223333',
      region: 'us-east-1',
    });
    const complianceEvent = caseEvent(compliance, {
      name: 'non-compliant',
      expect: 'match',
      event: { configRuleName: 'r', newEvaluationResult: { complianceType: 'NON_COMPLIANT' } },
    });
    expect(complianceEvent.ok && complianceEvent.event.kind).toBe('config-compliance-change');
  });
});

describe('runCase', () => {
  const seen: unknown[] = [];
  const probe = defineRule<CloudTrailSelector>({
    ...base,
    id: 'test.probe',
    on: { source: 'cloudtrail', eventNames: ['StopLogging'] },
    match: (_e, ctx) => {
      seen.push({ criticality: ctx.criticality, history: ctx.history, regions: ctx.config.approvedRegions });
      return ctx.criticality === 'high';
    },
  });
  const remembering = defineRule<CloudTrailSelector>({
    ...base,
    id: 'test.remembering',
    on: { source: 'cloudtrail', eventNames: ['StopLogging'] },
    history: { key: () => 'k', remember: () => 'v', retainSeconds: 60 },
    match: (_e, ctx) => (ctx.history?.sightings.length ?? 0) > 0,
  });
  const throwing = defineRule<CloudTrailSelector>({
    ...base,
    id: 'test.throwing',
    on: { source: 'cloudtrail', eventNames: ['StopLogging'] },
    match: () => {
      throw new Error('boom');
    },
  });
  const throwingText = defineRule<CloudTrailSelector>({
    ...base,
    id: 'test.throwing-text',
    on: { source: 'cloudtrail', eventNames: ['StopLogging'] },
    match: () => {
      throw 'plain';
    },
  });
  const catalogue = buildCatalogue([probe, remembering, throwing, throwingText]);
  const run = (rule: typeof probe, c: RuleCase) => runCase(catalogue, rule, c);

  it('passes the case criticality to the predicate, else the configured one', () => {
    seen.length = 0;
    expect(run(probe, { name: 'high', expect: 'match', event: stopped, criticality: 'high' })).toEqual({
      kind: 'pass',
    });
    expect(run(probe, { name: 'default', expect: 'no-match', event: stopped })).toEqual({ kind: 'pass' });
    expect(seen.map((s) => (s as { criticality: string }).criticality)).toEqual([
      'high',
      DEFAULT_DETECTION_CONFIG.criticality.default,
    ]);
  });

  it('merges the case config over the base one', () => {
    seen.length = 0;
    const approvedRegions = ['eu-west-1'];
    run(probe, { name: 'configured', expect: 'no-match', event: stopped, config: { approvedRegions } });
    run(probe, { name: 'base', expect: 'no-match', event: stopped });
    expect(seen.map((s) => (s as { regions: unknown }).regions)).toEqual([
      approvedRegions,
      DEFAULT_DETECTION_CONFIG.approvedRegions,
    ]);
  });

  it('gives a behaviour rule the case history, or an empty one; other rules none', () => {
    seen.length = 0;
    run(probe, { name: 'no history', expect: 'no-match', event: stopped });
    expect((seen[0] as { history: unknown }).history).toBeUndefined();
    expect(run(remembering, { name: 'empty', expect: 'no-match', event: stopped })).toEqual({ kind: 'pass' });
    const history = { first: 0, sightings: [{ id: 'x', v: 'v', t: 0, last: 0 }] };
    expect(run(remembering, { name: 'remembered', expect: 'match', event: stopped, history })).toEqual({
      kind: 'pass',
    });
  });

  it('fails with the reason: a wrong expectation, an unselected rule, a throwing rule, an unparsable event', () => {
    expect(run(probe, { name: 'wrong', expect: 'match', event: stopped })).toEqual({
      kind: 'fail',
      reason: 'expected match, got no-match',
    });
    expect(run(probe, { name: 'unselected', expect: 'match', event: fixture('cloudtrail/StartLogging') })).toEqual({
      kind: 'fail',
      reason: 'expected match, got no-match (the rule was not selected for this event: check `on`)',
    });
    expect(run(throwing, { name: 'throws', expect: 'match', event: stopped })).toEqual({
      kind: 'fail',
      reason: 'rule threw: boom',
    });
    expect(run(throwingText, { name: 'throws text', expect: 'match', event: stopped })).toEqual({
      kind: 'fail',
      reason: 'rule threw: plain',
    });
    const broken = run(probe, { name: 'broken', expect: 'match', event: { eventName: 3 } });
    expect(broken.kind === 'fail' && broken.reason).toMatch(/^case event does not parse: /);
  });

  it('fails a case whose backdated preparation cannot teach the rule, naming why', () => {
    const prepare = [{ daysBefore: 1, event: stopped }];
    expect(run(probe, { name: 'teaches nothing', expect: 'no-match', event: stopped, prepare })).toEqual({
      kind: 'fail',
      reason: 'case preparation: the rule remembers nothing: a preparation would teach it nothing',
    });
    expect(
      run(remembering, {
        name: 'too old',
        expect: 'match',
        event: stopped,
        prepare: [{ daysBefore: 0, event: stopped }],
      }),
    ).toMatchObject({ kind: 'fail', reason: expect.stringMatching(/^case preparation: prepare\[0\]\.daysBefore/) });
    // A valid preparation is remembered: the remembering rule matches on what it was taught.
    expect(run(remembering, { name: 'taught', expect: 'match', event: stopped, prepare })).toEqual({ kind: 'pass' });
  });

  it('passes an expected no-match for an event the rule is not selected for', () => {
    expect(run(probe, { name: 'quiet', expect: 'no-match', event: fixture('cloudtrail/StartLogging') })).toEqual({
      kind: 'pass',
    });
  });
});
