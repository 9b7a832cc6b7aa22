import { describe, expect, it } from 'vitest';
import { DEFAULT_DETECTION_CONFIG } from '../../../rules/core/config.ts';
import { defineRule } from '../../../rules/core/define-rule.ts';
import type { DrillPlan, DrillSkip, PlanOptions } from '../../../rules/core/drill.ts';
import {
  DRILL_SEVERITIES,
  drillCaseTable,
  planDrill,
  planRule,
  SEQUENCE_DELAY_SECONDS,
  withTableCases,
} from '../../../rules/core/drill.ts';
import { DRILL_TTL_MS, verifyDrillClaim } from '../../../rules/core/drill-auth.ts';
import { toAuditEvent } from '../../../rules/core/events.ts';
import type { ConfigItemSelector, Rule, RuleCase, RuleDocs } from '../../../rules/core/types.ts';
import { fixture } from '../../../rules/fixtures/index.ts';
import { TEST_RULE } from '../../support/test-rule.ts';

/**
 * Drill planning (rules/core/drill.ts) on small made-up rules, so each decision shows on its own: which rules and
 * cases are drilled, how many events, when, in which envelope, signed how, and why a rule is skipped.
 */
const KEY = 'k'.repeat(43);
const NOW = Date.parse('2026-11-25T12:00:00Z');
const stop = (overrides: Record<string, unknown> = {}) => fixture('cloudtrail/StopLogging', overrides);
const docs = (...cases: RuleCase[]): RuleDocs => ({
  description: '',
  runbook: [],
  rationale: '',
  falsePositives: [],
  cases: () => cases,
});
const hit = (over: Partial<RuleCase> = {}): RuleCase => ({ name: 'hit', expect: 'match', event: stop(), ...over });

const ids = () => {
  let n = 0;
  return () => `id${n++}`;
};
const opts = (over: Partial<PlanOptions> = {}): PlanOptions => ({
  nowMs: NOW,
  newId: ids(),
  auth: { key: KEY, run: 'run-1' },
  ...over,
});
const plan = (rule: Rule, d: RuleDocs, over: Partial<PlanOptions> = {}): DrillPlan => {
  const p = planRule(rule, d, opts(over));
  if (p?.kind !== 'plan') throw new Error(`not planned: ${JSON.stringify(p)}`);
  return p;
};
const skip = (rule: Rule, d: RuleDocs, over: Partial<PlanOptions> = {}): string => {
  const p = planRule(rule, d, opts(over));
  if (p?.kind !== 'skip') throw new Error(`not skipped: ${JSON.stringify(p)}`);
  return p.reason;
};
const bodies = (p: DrillPlan) => p.bodies.map((b) => JSON.parse(b) as Record<string, unknown>);
const events = (p: DrillPlan) =>
  bodies(p).map((b) => {
    const parsed = toAuditEvent(b);
    if (!parsed.ok) throw new Error(parsed.error);
    return parsed.event;
  });

const single = defineRule({
  ...TEST_RULE,
  id: 'test.single',
  severity: 'high',
  on: { source: 'cloudtrail', eventNames: ['StopLogging'] },
  match: () => true,
});

describe('planRule: one event', () => {
  it('is a signed CloudTrail envelope at the case time moved by whole weeks to now at the latest', () => {
    // The case is dated 2026-11-02T09:52:18Z (a Monday): three weeks later is the latest not after NOW.
    const p = plan(single, docs(hit()));
    expect([p.kind, p.caseName, p.criticality, p.severity, p.eventIds, p.sequence]).toEqual([
      'plan',
      'hit',
      'medium',
      'high',
      ['id0'],
      undefined,
    ]);
    expect(p.config).toBe(DEFAULT_DETECTION_CONFIG);
    const [envelope] = bodies(p);
    expect(envelope).toMatchObject({
      version: '0',
      id: 'drill-id0',
      'detail-type': 'AWS API Call via CloudTrail',
      source: 'aws.cloudtrail',
      account: '111122223333',
      time: '2026-11-23T09:52:18Z',
      region: 'us-east-1',
      resources: [],
      detail: { ...stop(), eventID: 'id0', eventTime: '2026-11-23T09:52:18Z' },
      drill: { v: 1, run: 'run-1', expires: new Date(NOW + DRILL_TTL_MS).toISOString() },
    });
    const [e] = events(p);
    if (e?.drillClaim === undefined) throw new Error('no claim');
    expect(verifyDrillClaim(e.drillClaim, e, KEY, NOW)).toEqual({ ok: true });
  });

  it('takes the account and region of the record, and the signature lifetime it is given', () => {
    const p = plan(single, docs(hit({ event: stop({ recipientAccountId: '444455556666', awsRegion: 'eu-west-1' }) })), {
      auth: { key: KEY, run: 'r', ttlMs: 60_000 },
    });
    expect(bodies(p)[0]).toMatchObject({
      account: '444455556666',
      region: 'eu-west-1',
      drill: { run: 'r', expires: new Date(NOW + 60_000).toISOString() },
    });
  });

  it('falls back to the drill account and us-east-1 when the record names neither', () => {
    const p = plan(single, docs(hit({ event: stop({ recipientAccountId: 7, awsRegion: 8 }) })));
    expect(bodies(p)[0]).toMatchObject({ account: '111122223333', region: 'us-east-1' });
  });

  it('ends at now when the case has no readable eventTime; deployed drills move by days, not weeks', () => {
    const undated = plan(single, docs(hit({ event: stop({ eventTime: 'soon' }) })));
    expect(bodies(undated)[0]?.time).toBe('2026-11-25T12:00:00Z');
    const deployed = plan(single, docs(hit()), { deployed: true });
    expect(bodies(deployed)[0]?.time).toBe('2026-11-25T09:52:18Z');
  });

  it('gives fresh random ids by default', () => {
    const p = planRule(single, docs(hit()), { nowMs: NOW, auth: { key: KEY, run: 'r' } });
    expect(p?.kind === 'plan' && p.eventIds[0]).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('planRule: which rules and cases', () => {
  const medium = defineRule({
    ...TEST_RULE,
    id: 'test.medium',
    severity: 'medium',
    on: { source: 'cloudtrail', eventNames: ['StopLogging'] },
    match: () => true,
  });
  const escalating = defineRule({
    ...TEST_RULE,
    id: 'test.escalating',
    severity: 'medium',
    escalation: { high: 'critical' },
    on: { source: 'cloudtrail', eventNames: ['StopLogging'] },
    match: () => true,
  });

  it('drills critical and high by default; another severity only when asked', () => {
    expect(DRILL_SEVERITIES).toEqual(['critical', 'high']);
    expect(planRule(medium, docs(hit()), opts())).toBeUndefined();
    expect(plan(medium, docs(hit()), { severities: ['medium'] }).severity).toBe('medium');
    expect(planRule(single, docs(hit()), opts({ severities: ['critical'] }))).toBeUndefined();
  });

  it('is undefined for a rule without positive cases', () => {
    expect(planRule(single, docs({ name: 'no', expect: 'no-match', event: stop() }), opts())).toBeUndefined();
  });

  it('drills a rule that pages only when escalated at the criticality that escalates it', () => {
    const p = plan(escalating, docs(hit()));
    expect([p.criticality, p.severity, p.config.criticality.default]).toEqual(['high', 'critical', 'high']);
  });

  it('prefers a case at a paging criticality, and carries its criticality and config', () => {
    const p = plan(
      escalating,
      docs(
        hit({ name: 'plain' }),
        hit({ name: 'critical asset', criticality: 'high', config: { approvedRegions: ['eu-west-1'] } }),
      ),
    );
    expect([p.caseName, p.criticality, p.severity]).toEqual(['critical asset', 'high', 'critical']);
    expect(p.config).toMatchObject({
      approvedRegions: ['eu-west-1'],
      criticality: { default: 'high', accounts: {}, resources: [], tags: [] },
    });
    expect(p.config.suppressions).toEqual(DEFAULT_DETECTION_CONFIG.suppressions);
  });

  it('deployed: a case with config or a criticality travels as a signed overlay; one no overlay may carry is skipped, saying why', () => {
    const withRegions = plan(single, docs(hit({ config: { approvedRegions: ['eu-west-1'] } })), { deployed: true });
    expect(withRegions.overlay).toEqual({ config: { approvedRegions: ['eu-west-1'] } });
    // The plan's config is the base with the overlay applied; the base is what it was planned against.
    expect(withRegions.base).toEqual(DEFAULT_DETECTION_CONFIG);
    expect(withRegions.config.approvedRegions).toEqual(['eu-west-1']);
    // Every body carries the overlay inside its (v2) signature.
    for (const b of withRegions.bodies) {
      expect(JSON.parse(b).drill).toMatchObject({ v: 2, overlay: { config: { approvedRegions: ['eu-west-1'] } } });
    }
    const high = plan(single, docs(hit({ criticality: 'high' })), { deployed: true });
    expect(high.overlay).toEqual({ criticality: 'high' });
    expect(JSON.parse(high.bodies[0] ?? '{}').drill).toMatchObject({ v: 2, overlay: { criticality: 'high' } });
    // A case without either signs v1, as before.
    expect(JSON.parse(plan(single, docs(hit()), { deployed: true }).bodies[0] ?? '{}').drill.v).toBe(1);
    const suppressions = [{ ruleId: 'test.single', reason: 'ten chars or more', expires: '2099-01-01' }];
    expect(skip(single, docs(hit({ config: { suppressions } })), { deployed: true })).toBe(
      'every positive case needs config a signed drill overlay may not carry: suppressions (they would hide what the drill must prove pages)',
    );
    const p = plan(
      single,
      docs(hit({ name: 'a', config: { suppressions } }), hit({ name: 'b', config: { approvedRegions: [] } })),
      { deployed: true },
    );
    expect(p.caseName).toBe('b');
    // Not deployed, the first case is fine (run with its own config, no overlay: it could not travel).
    const local = plan(single, docs(hit({ name: 'a', config: { suppressions } })));
    expect([local.caseName, local.overlay]).toEqual(['a', undefined]);
  });

  it('skips a case that needs history it does not say how to build; an empty history needs none', () => {
    const seen = { first: NOW - 1000, sightings: [] };
    const sighted = { first: null, sightings: [{ id: 'x', v: 'v', t: 1, last: 1 }] };
    expect(skip(single, docs(hit({ history: seen }), hit({ history: sighted })))).toBe(
      'every positive case needs remembered history and none declares how to build it (before / prepare)',
    );
    expect(plan(single, docs(hit({ history: { first: null, sightings: [] } }))).eventIds).toHaveLength(1);
  });

  it('skips a rule whose drill events do not match, naming the case', () => {
    const never = { ...single, id: 'test.never', match: () => false } satisfies Rule;
    expect(skip(never, docs(hit()))).toBe('case "hit": the drill events do not match');
    // A rule object as built elsewhere, without defineRule's guard: its throw must not escape the planner.
    const throwing = {
      ...single,
      id: 'test.throwing',
      match: () => {
        throw new Error('boom');
      },
    } satisfies Rule;
    expect(skip(throwing, docs(hit()))).toBe('case "hit": the drill events do not match');
  });

  it('a later case is tried when an earlier one fails', () => {
    const picky = defineRule({
      ...TEST_RULE,
      id: 'test.picky',
      severity: 'high',
      on: { source: 'cloudtrail', eventNames: ['StopLogging'] },
      match: (e) => e.awsRegion === 'eu-west-1',
    });
    const p = plan(picky, docs(hit({ name: 'us' }), hit({ name: 'eu', event: stop({ awsRegion: 'eu-west-1' }) })));
    expect(p.caseName).toBe('eu');
  });
});

describe('planRule: thresholds', () => {
  const counting = defineRule({
    ...TEST_RULE,
    id: 'test.counting',
    severity: 'high',
    on: { source: 'cloudtrail', eventNames: ['StopLogging'] },
    threshold: {
      count: 3,
      windowSeconds: 300,
      byCriticality: { high: { count: 2, windowSeconds: 601 } },
      groupBy: () => 'g',
    },
    match: () => true,
  });

  it('sends count events spread inside the window, the last at the end time', () => {
    const p = plan(counting, docs(hit()));
    const times = events(p).map((e) => e.timeMs);
    const end = Date.parse('2026-11-23T09:52:18Z');
    expect(times).toEqual([end - 200_000, end - 100_000, end]);
    expect(p.eventIds).toEqual(['id0', 'id1', 'id2']);
    // Without a distinct threshold, the case's event is sent as it is.
    expect(events(p).map((e) => (e.kind === 'cloudtrail' ? e.record.sourceIPAddress : ''))).toEqual([
      '203.0.113.66',
      '203.0.113.66',
      '203.0.113.66',
    ]);
  });

  it('uses the criticality-specific count and window, with the step floored to whole ms', () => {
    const p = plan(counting, docs(hit({ criticality: 'high' })));
    const times = events(p).map((e) => e.timeMs);
    // 601 s / 2 = 300.5 s: floored to 300 500 ms, then CloudTrail's whole seconds.
    expect(times[1]).toBe(Date.parse('2026-11-23T09:52:18Z'));
    expect(times[0]).toBe(Date.parse('2026-11-23T09:47:17Z'));
  });

  it('a threshold that groups the drill events apart is skipped', () => {
    const apart = defineRule({
      ...TEST_RULE,
      id: 'test.apart',
      severity: 'high',
      on: { source: 'cloudtrail', eventNames: ['StopLogging'] },
      threshold: { count: 2, windowSeconds: 60, groupBy: (e) => e.eventID },
      match: () => true,
    });
    expect(skip(apart, docs(hit()))).toBe('case "hit": no variation gives 2 distinct values in one group');
  });

  const distinctBy = (id: string, distinct: (e: Record<string, unknown>) => string, count = 3) =>
    defineRule({
      ...TEST_RULE,
      id,
      severity: 'high',
      on: { source: 'cloudtrail', eventNames: ['StopLogging'] },
      threshold: { count, windowSeconds: 300, groupBy: () => 'g', distinct: (e) => distinct(e as never) },
      match: () => true,
    });

  it('varies the source address first for a distinct threshold', () => {
    const p = plan(
      distinctBy('test.ips', (e) => String(e.sourceIPAddress)),
      docs(hit()),
    );
    expect(events(p).map((e) => (e.kind === 'cloudtrail' ? e.record.sourceIPAddress : ''))).toEqual([
      '198.51.100.1',
      '198.51.100.2',
      '198.51.100.3',
    ]);
  });

  it('has 250 source addresses: 250 distinct events can be drilled, 251 cannot by address alone', () => {
    const ip = (e: Record<string, unknown>) => String(e.sourceIPAddress);
    const p = plan(distinctBy('test.ips', ip, 250), docs(hit()));
    const ips = events(p).map((e) => (e.kind === 'cloudtrail' ? e.record.sourceIPAddress : ''));
    expect([ips[0], ips[248], ips[249]]).toEqual(['198.51.100.1', '198.51.100.249', '198.51.100.250']);
    expect(skip(distinctBy('test.ips', ip, 251), docs(hit()))).toBe(
      'case "hit": no variation gives 251 distinct values in one group',
    );
  });

  it('then the user name, suffixed -drillN (drill-user when the record names none)', () => {
    const byUser = distinctBy('test.users', (e) => String((e.userIdentity as { userName?: unknown }).userName));
    const named = plan(byUser, docs(hit({ event: stop({ userIdentity: { type: 'IAMUser', userName: 'bob' } }) })));
    expect(events(named).map((e) => (e.kind === 'cloudtrail' ? e.record.userIdentity?.userName : ''))).toEqual([
      'bob-drill0',
      'bob-drill1',
      'bob-drill2',
    ]);
    const anonymous = plan(byUser, docs(hit({ event: stop({ userIdentity: 'nobody' }) })));
    expect(events(anonymous).map((e) => (e.kind === 'cloudtrail' ? e.record.userIdentity?.userName : ''))).toEqual([
      'drill-user-drill0',
      'drill-user-drill1',
      'drill-user-drill2',
    ]);
    // The rest of the identity is kept.
    expect(events(named)[0]?.kind === 'cloudtrail' && events(named)[0]).toMatchObject({
      record: { userIdentity: { type: 'IAMUser' } },
    });
  });

  it('then each string of requestParameters, however deep, suffixed -drillN', () => {
    const secretOf = (e: Record<string, unknown>) =>
      String(((e.requestParameters as { list?: { ids?: string[] }[] }).list?.[1]?.ids ?? [])[0]);
    const event = stop({
      requestParameters: { name: 'trail', count: 3, list: [{ ids: ['a'] }, { ids: ['secret', 'b'], n: null }] },
    });
    const p = plan(distinctBy('test.params', secretOf), docs(hit({ event })));
    const params = events(p).map((e) => (e.kind === 'cloudtrail' ? e.record.requestParameters : undefined));
    expect(params).toEqual(
      [0, 1, 2].map((i) => ({
        name: 'trail',
        count: 3,
        list: [{ ids: ['a'] }, { ids: [`secret-drill${i}`, 'b'], n: null }],
      })),
    );
  });

  it('a variation under which only some events match is refused', () => {
    const firstOnly = defineRule({
      ...TEST_RULE,
      id: 'test.first-only',
      severity: 'high',
      on: { source: 'cloudtrail', eventNames: ['StopLogging'] },
      threshold: { count: 2, windowSeconds: 60, groupBy: () => 'g', distinct: (e) => String(e.sourceIPAddress) },
      match: (e) => e.sourceIPAddress === '198.51.100.1',
    });
    expect(skip(firstOnly, docs(hit()))).toBe('case "hit": the drill events do not match');
  });

  it('a variation that stops the events matching is passed over for the next', () => {
    const onlyOneIp = defineRule({
      ...TEST_RULE,
      id: 'test.one-ip',
      severity: 'high',
      on: { source: 'cloudtrail', eventNames: ['StopLogging'] },
      threshold: {
        count: 2,
        windowSeconds: 60,
        groupBy: () => 'g',
        distinct: (e) => String(e.requestParameters?.name),
      },
      match: (e) => e.sourceIPAddress === '203.0.113.66',
    });
    const p = plan(onlyOneIp, docs(hit()));
    expect(
      events(p).map((e) =>
        e.kind === 'cloudtrail' ? [e.record.sourceIPAddress, e.record.requestParameters?.name] : [],
      ),
    ).toEqual([
      ['203.0.113.66', 'arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail-drill0'],
      ['203.0.113.66', 'arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail-drill1'],
    ]);
  });

  it('gives up on a distinct threshold no variation satisfies, and strings nested too deep are not varied', () => {
    const deep = { a: { b: { c: { d: 'x' } } } };
    const deepOf = (e: Record<string, unknown>) =>
      String(JSON.stringify((e.requestParameters as { a?: unknown } | null)?.a));
    const rule = defineRule({
      ...TEST_RULE,
      id: 'test.deep',
      severity: 'high',
      on: { source: 'cloudtrail', eventNames: ['StopLogging'] },
      threshold: { count: 2, windowSeconds: 60, groupBy: () => 'g', distinct: (e) => deepOf(e as never) },
      match: () => true,
    });
    expect(skip(rule, docs(hit({ event: stop({ requestParameters: { a: { b: { c: { d: { e: 'x' } } } } } }) })))).toBe(
      'case "hit": no variation gives 2 distinct values in one group',
    );
    expect(plan(rule, docs(hit({ event: stop({ requestParameters: deep }) }))).bodies).toHaveLength(2);
    expect(skip(rule, docs(hit({ event: stop({ requestParameters: null }) })))).toMatch(/no variation/);
  });
});

describe('planRule: sequences', () => {
  const remembering = defineRule({
    ...TEST_RULE,
    id: 'test.remembering',
    severity: 'high',
    on: { source: 'cloudtrail', eventNames: ['ConsoleLogin'] },
    history: { key: () => 'k', remember: (e) => e.sourceIPAddress, retainSeconds: 400 * 86_400 },
    match: (_e, ctx) => (ctx.history?.sightings.length ?? 0) > 0,
  });
  const login = (over: Record<string, unknown> = {}) => fixture('signin/ConsoleLogin', over);
  const needs = { first: NOW - 1, sightings: [{ id: 'x', v: '198.51.100.1', t: 1, last: 1 }] };

  it('before: the earlier events a minute apart, then the case event, signed, as a sequence', () => {
    const p = plan(remembering, docs(hit({ event: login(), history: needs, before: [login(), login()] })));
    expect(SEQUENCE_DELAY_SECONDS).toBe(30);
    expect(p.sequence).toBe(true);
    expect(p.eventIds).toEqual(['id0', 'id1', 'id2']);
    const times = events(p).map((e) => e.timeMs);
    const end = Date.parse('2026-11-23T08:59:12Z');
    expect(times).toEqual([end - 120_000, end - 60_000, end]);
    expect(events(p).every((e) => e.drillClaim?.kind === 'signed')).toBe(true);
    expect(events(p).map((e) => e.id)).toEqual(p.eventIds);
    const deployed = plan(remembering, docs(hit({ event: login(), before: [login()] })), { deployed: true });
    expect(events(deployed).map((e) => e.timeMs)).toEqual([
      Date.parse('2026-11-25T08:58:12Z'),
      Date.parse('2026-11-25T08:59:12Z'),
    ]);
  });

  it('before: an earlier payload that is no record is sent unsigned, as it is', () => {
    const p = plan(remembering, docs(hit({ event: login(), history: needs, before: ['junk'] })));
    expect(bodies(p)[0]?.drill).toBeUndefined();
    expect(bodies(p)[1]?.drill).toBeDefined();
  });

  it('prepare: the records days before, then the event, all signed, as a sequence', () => {
    const p = plan(
      remembering,
      docs(
        hit({
          event: login(),
          history: needs,
          prepare: [
            { daysBefore: 2, event: login() },
            { daysBefore: 1, event: login() },
          ],
        }),
      ),
    );
    expect(p.sequence).toBe(true);
    expect(p.eventIds).toEqual(['id0', 'id1', 'id2']);
    const end = Date.parse('2026-11-23T08:59:12Z');
    expect(events(p).map((e) => e.timeMs)).toEqual([end - 2 * 86_400_000, end - 86_400_000, end]);
    expect(events(p).map((e) => e.id)).toEqual(p.eventIds);
    expect(events(p).every((e) => e.drillClaim?.kind === 'signed')).toBe(true);
    const deployed = plan(remembering, docs(hit({ event: login(), prepare: [{ daysBefore: 1, event: login() }] })), {
      deployed: true,
    });
    expect(events(deployed).map((e) => e.timeMs)[1]).toBe(Date.parse('2026-11-25T08:59:12Z'));
  });

  it('prepare: a preparation the rule cannot take is skipped with its errors', () => {
    const prepare = [
      { daysBefore: 0, event: login() },
      { daysBefore: 1, event: 2 },
    ];
    expect(skip(remembering, docs(hit({ event: login(), prepare })))).toBe(
      'case "hit": prepare[0].daysBefore must be more than 0 and at most 366 (got 0); prepare[1].event is not a CloudTrail record',
    );
  });

  it('a sequence whose last event the rule does not select is skipped, for before and prepare alike', () => {
    const configEvent = { configurationItem: { resourceType: 'AWS::S3::Bucket' } };
    expect(skip(remembering, docs(hit({ event: 'junk', before: [login()] })))).toBe(
      'case "hit": the drill\'s last event is not one the rule selects',
    );
    expect(skip(remembering, docs(hit({ event: 'junk', prepare: [{ daysBefore: 1, event: login() }] })))).toBe(
      'case "hit": the drill\'s last event is not one the rule selects',
    );
    const configRule = defineRule<ConfigItemSelector>({
      ...TEST_RULE,
      id: 'test.config-seq',
      severity: 'high',
      on: { source: 'config.item-change', resourceTypes: ['AWS::S3::Bucket'] },
      history: { key: () => 'k', remember: () => 'v', retainSeconds: 60 },
      match: () => true,
    });
    expect(plan(configRule, docs(hit({ event: configEvent, before: [configEvent] }))).sequence).toBe(true);
  });
});

describe('planRule: Config rules', () => {
  const item = defineRule<ConfigItemSelector>({
    ...TEST_RULE,
    id: 'test.item',
    severity: 'high',
    on: { source: 'config.item-change', resourceTypes: ['AWS::S3::Bucket'] },
    match: () => true,
  });
  const compliance = defineRule({
    ...TEST_RULE,
    id: 'test.compliance',
    severity: 'high',
    on: { source: 'config.compliance-change' },
    match: () => true,
  });
  const detail = { configurationItem: { resourceType: 'AWS::S3::Bucket', resourceId: 'b' } };

  it('sends the detail in a Config envelope from the drill account', () => {
    const p = plan(item, docs(hit({ event: detail })));
    expect(bodies(p)[0]).toMatchObject({
      version: '0',
      id: 'id0',
      'detail-type': 'Config Configuration Item Change',
      source: 'aws.config',
      account: '111122223333',
      time: '2026-11-25T12:00:00Z',
      region: 'us-east-1',
      resources: [],
      detail,
    });
    const c = plan(compliance, docs(hit({ event: { configRuleName: 'r' } })));
    expect(bodies(c)[0]?.['detail-type']).toBe('Config Rules Compliance Change');
  });
});

describe('drillCaseTable, withTableCases and planDrill', () => {
  const low = defineRule({
    ...TEST_RULE,
    id: 'test.low',
    severity: 'low',
    on: { source: 'cloudtrail', eventNames: ['StopLogging'] },
    match: () => true,
  });
  const escalatingLow = { ...low, id: 'test.escalating-low', escalation: { high: 'high' } } satisfies Rule;

  it('keeps the positive cases (with their config: it travels as the overlay) of every rule that can page, without their intel', () => {
    const table = drillCaseTable([
      [single, docs(hit({ intel: {} }), hit({ name: 'cfg', config: {} }), { name: 'n', expect: 'no-match', event: 1 })],
      [low, docs(hit())],
      [escalatingLow, docs(hit())],
      [{ ...single, id: 'test.no-cases' } satisfies Rule, docs()],
    ]);
    expect(Object.keys(table)).toEqual(['test.single', 'test.escalating-low']);
    expect(table['test.single']).toEqual([
      { name: 'hit', expect: 'match', event: stop() },
      { name: 'cfg', expect: 'match', event: stop(), config: {} },
    ]);
    expect(Object.keys(table['test.single']?.[0] ?? {})).not.toContain('intel');
  });

  it('pairs the rules the table names with its cases, and plans every drilled rule in order', () => {
    const paired = withTableCases([low, single], { 'test.single': [hit()] });
    expect(paired.map(([r, d]) => [r.id, d.cases()])).toEqual([['test.single', [hit()]]]);
    // Only the cases: the table carries no documentation.
    expect(paired[0]?.[1]).toMatchObject({ description: '', runbook: [], rationale: '', falsePositives: [] });
    const plans = planDrill(
      [
        [low, docs(hit())],
        [single, docs(hit())],
        [{ ...single, id: 'test.never', match: () => false } satisfies Rule, docs(hit())],
      ],
      opts(),
    );
    expect(plans.map((p) => [p.kind, p.rule.id])).toEqual([
      ['plan', 'test.single'],
      ['skip', 'test.never'],
    ]);
    expect((plans[1] as DrillSkip).reason).toMatch(/do not match/);
  });
});
