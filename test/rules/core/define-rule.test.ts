import { describe, expect, it } from 'vitest';
import type { CloudTrailRecord } from '../../../rules/core/cloudtrail.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../../rules/core/config.ts';
import { byPrincipal, defineRule, PARAMETERS_ABSENT_NOTE, payloadOf } from '../../../rules/core/define-rule.ts';
import { toAuditEvent } from '../../../rules/core/events.ts';
import type { AuditEvent, RuleContext } from '../../../rules/core/types.ts';
import { TEST_RULE } from '../../support/test-rule.ts';

const ctx: RuleContext = { criticality: 'medium', config: DEFAULT_DETECTION_CONFIG };
const base = { ...TEST_RULE, id: 'test.rule', on: { source: 'cloudtrail', eventNames: ['StopLogging'] } } as const;

const parse = (value: unknown): AuditEvent => {
  const parsed = toAuditEvent(value);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.event;
};

const record = (overrides: Partial<Record<keyof CloudTrailRecord, unknown>> = {}): AuditEvent =>
  parse({
    eventTime: '2026-11-02T10:00:00Z',
    eventSource: 'cloudtrail.amazonaws.com',
    eventName: 'StopLogging',
    eventID: 'e-1',
    awsRegion: 'eu-west-1',
    recipientAccountId: '111122223333',
    userIdentity: {
      type: 'AssumedRole',
      arn: 'arn:aws:sts::111122223333:assumed-role/ops/alice',
      sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/ops' } },
    },
    requestParameters: { name: 'org-trail' },
    ...overrides,
  });

const envelope = {
  version: '0',
  id: 'cfg-1',
  account: '444455556666',
  time: '2026-11-02T10:05:00Z',
  region: 'eu-west-1',
};
const itemChange = (configurationItem: Record<string, unknown>): AuditEvent =>
  parse({ ...envelope, 'detail-type': 'Config Configuration Item Change', detail: { configurationItem } });
const complianceChange = (detail: Record<string, unknown>): AuditEvent =>
  parse({ ...envelope, 'detail-type': 'Config Rules Compliance Change', detail });

describe('defineRule defaults', () => {
  // Built inside each test, so a mutant in defineRule's own body is judged by the test that checks it.
  const plain = () => defineRule({ ...base, match: () => true });

  it('fills in what a rule leaves out', () => {
    const rule = plain();
    expect(rule.escalation).toEqual({});
    expect(rule.threshold).toBeNull();
    expect(rule.history).toBeNull();
    expect(rule.dedup.windowSeconds).toBe(3600);
    expect(rule.owner).toBe('security-engineering');
    expect(rule.explain(record(), ctx)).toEqual([]);
    // No intelligence declared: the key is absent (not undefined), as the optional property promises.
    expect(Object.hasOwn(rule, 'intel')).toBe(false);
  });

  it('carries the IP intelligence a rule declares', () => {
    expect(defineRule({ ...base, intel: ['anonymisers'], match: () => true }).intel).toEqual(['anonymisers']);
  });

  it('folds repeats by account and principal (the role behind a session)', () => {
    const rule = plain();
    expect(rule.dedup.key(record())).toBe('111122223333|arn:aws:iam::111122223333:role/ops');
    expect(byPrincipal(payloadOf(record()) as CloudTrailRecord)).toBe('arn:aws:iam::111122223333:role/ops');
  });

  it("names the record's resources that carry an ARN", () => {
    const rule = plain();
    expect(rule.resources(record())).toEqual([]);
    const withResources = record({
      resources: [{ ARN: 'arn:aws:cloudtrail:eu-west-1:111122223333:trail/org-trail' }, { type: 'AWS::X' }],
    });
    expect(rule.resources(withResources)).toEqual(['arn:aws:cloudtrail:eu-west-1:111122223333:trail/org-trail']);
  });

  it.each([
    [
      'an item change by ARN',
      itemChange({ resourceType: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::b', resourceId: 'b' }),
      '444455556666|arn:aws:s3:::b',
    ],
    [
      'an item change by resource id when it has no ARN',
      itemChange({ resourceType: 'AWS::S3::Bucket', resourceId: 'b' }),
      '444455556666|b',
    ],
    ['an item change naming nothing', itemChange({ resourceType: 'AWS::S3::Bucket', ARN: 7 }), '444455556666|unknown'],
    [
      'a compliance change by rule and resource',
      complianceChange({ configRuleName: 's3-public', resourceId: 'b' }),
      '444455556666|s3-public|b',
    ],
    [
      'a compliance change without a resource',
      complianceChange({ configRuleName: 's3-public' }),
      '444455556666|s3-public|unknown',
    ],
  ])('Config: keys and names %s', (_name, event, key) => {
    const configRule = defineRule({ ...base, on: { source: 'config.compliance-change' }, match: () => true });
    expect(configRule.dedup.key(event)).toBe(key);
    expect(configRule.resources(event)).toEqual([key.slice('444455556666|'.length)]);
  });

  it('hands a Config rule the detail, not the envelope', () => {
    const seen: unknown[] = [];
    const configRule = defineRule({
      ...base,
      on: { source: 'config.compliance-change' },
      match: (d) => {
        seen.push(d);
        return true;
      },
    });
    const event = complianceChange({ configRuleName: 's3-public' });
    configRule.match(event, ctx);
    expect(seen).toEqual([{ configRuleName: 's3-public' }]);
    expect(payloadOf(event)).toEqual({ configRuleName: 's3-public' });
  });
});

describe('defineRule carries what a rule declares', () => {
  it('threshold, history, dedup window, escalation and owner', () => {
    const rule = defineRule({
      ...base,
      escalation: { high: 'critical' },
      owner: 'platform',
      match: () => true,
      dedup: { key: (e) => e.eventName, windowSeconds: 60 },
      threshold: {
        count: 3,
        windowSeconds: 300,
        byCriticality: { high: { count: 2, windowSeconds: 600 } },
        groupBy: (e) => e.eventID,
        distinct: (e) => e.awsRegion,
      },
      history: {
        key: (e) => e.eventName,
        remember: (e) => e.awsRegion,
        retainSeconds: 90,
        distinctValues: true,
        max: 5,
      },
    });
    const e = record();
    expect(rule.escalation).toEqual({ high: 'critical' });
    expect(rule.owner).toBe('platform');
    expect([rule.dedup.key(e), rule.dedup.windowSeconds]).toEqual(['StopLogging', 60]);
    expect(rule.threshold).toMatchObject({
      count: 3,
      windowSeconds: 300,
      byCriticality: { high: { count: 2, windowSeconds: 600 } },
    });
    expect([rule.threshold?.groupBy(e), rule.threshold?.distinct?.(e)]).toEqual(['e-1', 'eu-west-1']);
    expect(rule.history?.spec).toEqual({ retainMs: 90_000, distinctValues: true, max: 5 });
    expect([rule.history?.key(e), rule.history?.remember(e, {})]).toEqual(['StopLogging', 'eu-west-1']);
  });

  it('history keeps 200 sightings of every value by default; a threshold without distinct counts events', () => {
    const rule = defineRule({
      ...base,
      match: () => true,
      threshold: { count: 3, windowSeconds: 300, groupBy: () => 'g' },
      history: { key: () => 'k', remember: () => undefined, retainSeconds: 1 },
    });
    expect(rule.history?.spec).toEqual({ retainMs: 1000, distinctValues: false, max: 200 });
    expect(rule.history?.remember(record(), {})).toBeUndefined();
    expect(rule.threshold?.distinct).toBeUndefined();
  });
});

describe('defineRule checks what rule functions return', () => {
  const wrong = <T>(v: unknown): T => v as T;
  const e = record();
  it.each<[string, () => unknown, string]>([
    [
      'a match that is not a boolean',
      () => defineRule({ ...base, match: () => wrong('yes') }).match(e, ctx),
      'test.rule: match returned string, not a boolean',
    ],
    [
      'a dedup key of null',
      () => defineRule({ ...base, match: () => true, dedup: { key: () => wrong(null) } }).dedup.key(e),
      'test.rule: dedup.key returned null, not a string',
    ],
    [
      'a group key that is a list',
      () =>
        defineRule({
          ...base,
          match: () => true,
          threshold: { count: 1, windowSeconds: 1, groupBy: () => wrong([]) },
        }).threshold?.groupBy(e),
      'test.rule: threshold.groupBy returned array, not a string',
    ],
    [
      'a distinct value that is a number',
      () =>
        defineRule({
          ...base,
          match: () => true,
          threshold: { count: 1, windowSeconds: 1, groupBy: () => 'g', distinct: () => wrong(5) },
        }).threshold?.distinct?.(e),
      'test.rule: threshold.distinct returned number, not a string',
    ],
    [
      'a history key that is an object',
      () =>
        defineRule({
          ...base,
          match: () => true,
          history: { key: () => wrong({}), remember: () => 'x', retainSeconds: 1 },
        }).history?.key(e),
      'test.rule: history.key returned object, not a string',
    ],
    [
      'a remembered value that is a boolean',
      () =>
        defineRule({
          ...base,
          match: () => true,
          history: { key: () => 'k', remember: () => wrong(true), retainSeconds: 1 },
        }).history?.remember(e, {}),
      'test.rule: history.remember returned boolean, not a string',
    ],
    [
      'resources that are not a list',
      () => defineRule({ ...base, match: () => true, resources: () => wrong('arn') }).resources(e),
      'test.rule: resources returned string, not a list of strings',
    ],
    [
      'resources holding a number',
      () => defineRule({ ...base, match: () => true, resources: () => wrong(['a', 7]) }).resources(e),
      'test.rule: resources returned a list holding number',
    ],
    [
      'a match that is not a boolean, on a call whose parameters are absent',
      () => defineRule({ ...base, match: () => wrong(1) }).match(record({ requestParameters: null }), ctx),
      'test.rule: match returned number, not a boolean',
    ],
    [
      'an explanation that is not a list',
      () => defineRule({ ...base, match: () => true, explain: () => wrong('why') }).explain(e, ctx),
      'test.rule: explain returned string, not a list of strings',
    ],
  ])('%s is a TypeError naming the rule and function', (_name, call, message) => {
    expect(call).toThrow(new TypeError(message));
  });
});

describe('requestParameters absent (fail closed)', () => {
  const absent = record({ requestParameters: null });
  const missing = record({ requestParameters: undefined });
  const denied = record({ requestParameters: null, errorCode: 'AccessDenied' });
  const readsParams = defineRule({ ...base, match: (r) => r.requestParameters?.name === 'other' });
  const couldNot = `${PARAMETERS_ABSENT_NOTE}: the rule could not check them, so it treats the call as the dangerous case.`;
  const unknown = `${PARAMETERS_ABSENT_NOTE}: what the call changed is not known.`;

  it('a predicate that read the missing parameters and said no matches, and says why', () => {
    expect(readsParams.match(absent, ctx)).toBe(true);
    expect(readsParams.match(missing, ctx)).toBe(true);
    expect(readsParams.explain(absent, ctx)).toEqual([couldNot]);
  });

  it('with parameters, or on a denied call, the predicate alone decides and nothing is noted', () => {
    expect(readsParams.match(record(), ctx)).toBe(false);
    expect(readsParams.explain(record(), ctx)).toEqual([]);
    expect(readsParams.match(denied, ctx)).toBe(false);
    expect(readsParams.explain(denied, ctx)).toEqual([]);
  });

  it('a check with `in` or a copy of the record counts as a read', () => {
    const viaIn = defineRule({ ...base, match: (r) => 'requestParameters' in r && false });
    const viaCopy = defineRule({ ...base, match: (r) => Object.keys({ ...r }).length < 0 });
    expect(viaIn.match(absent, ctx)).toBe(true);
    expect(viaCopy.match(absent, ctx)).toBe(true);
  });

  it('a verdict reached without reading them stands, and nothing is noted', () => {
    const byName = defineRule({ ...base, match: (r) => r.eventName === 'DeleteTrail' });
    expect(byName.match(absent, ctx)).toBe(false);
    expect(byName.explain(absent, ctx)).toEqual([]);
  });

  it('a match that read them says what changed is not known, before its own details', () => {
    const matchesAnyway = defineRule({
      ...base,
      match: (r) => r.requestParameters === null || r.requestParameters === undefined,
      explain: () => ['own detail'],
    });
    expect(matchesAnyway.match(absent, ctx)).toBe(true);
    expect(matchesAnyway.explain(absent, ctx)).toEqual([unknown, 'own detail']);
  });

  it('naming functions that did not read them add no note', () => {
    const namesWithout = defineRule({
      ...base,
      match: () => true,
      resources: (r) => [r.eventSource],
      dedup: { key: (r) => r.eventName },
    });
    expect(namesWithout.explain(absent, ctx)).toEqual([]);
  });

  it('so does a match whose resources, dedup key or explanation needed them', () => {
    const byResource = defineRule({
      ...base,
      match: () => true,
      resources: (r) => [String(r.requestParameters?.name)],
    });
    const byKey = defineRule({ ...base, match: () => true, dedup: { key: (r) => String(r.requestParameters?.name) } });
    const byExplain = defineRule({
      ...base,
      match: () => true,
      explain: (r) => [`trail ${String(r.requestParameters?.name)}`],
    });
    expect(byResource.explain(absent, ctx)).toEqual([unknown]);
    expect(byKey.explain(absent, ctx)).toEqual([unknown]);
    expect(byExplain.explain(absent, ctx)).toEqual([unknown, 'trail undefined']);
  });

  it('a naming function that throws counts as needing them; a throwing explanation is reported, not thrown', () => {
    const throwsNaming = defineRule({
      ...base,
      match: () => true,
      resources: () => {
        throw new Error('no name');
      },
    });
    expect(throwsNaming.explain(absent, ctx)).toEqual([unknown]);
    const throwsExplain = defineRule({
      ...base,
      match: () => true,
      explain: () => {
        throw new Error('no detail');
      },
    });
    expect(throwsExplain.explain(absent, ctx)).toEqual([unknown, '(explanation failed: no detail)']);
    const throwsText = defineRule({
      ...base,
      match: () => true,
      explain: () => {
        throw 'plain';
      },
    });
    expect(throwsText.explain(absent, ctx)).toEqual([unknown, '(explanation failed: plain)']);
  });
});
