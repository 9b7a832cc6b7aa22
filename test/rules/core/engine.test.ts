import { describe, expect, it } from 'vitest';
import type { CloudTrailRecord } from '../../../rules/core/cloudtrail.ts';
import type { DetectionConfig } from '../../../rules/core/config.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../../rules/core/config.ts';
import { defineRule } from '../../../rules/core/define-rule.ts';
import { buildCatalogue, contextFor, describeError, evaluate, selectorCatalogue } from '../../../rules/core/engine.ts';
import { fromRecord, toAuditEvent } from '../../../rules/core/events.ts';
import type { GeoLookup } from '../../../rules/core/geo.ts';
import type { HistoryView } from '../../../rules/core/history.ts';
import type {
  AuditEvent,
  CloudTrailSelector,
  EventSelector,
  Rule,
  RuleContext,
  RuleDefinition,
  Verdict,
} from '../../../rules/core/types.ts';
import { TEST_RULE } from '../../support/test-rule.ts';

/**
 * The engine (rules/core/engine.ts): which rules an event reaches (dispatch), the context they judge it in, and
 * the guard around rule code. A rule dispatch misses is a detection that silently never runs; a rule that
 * escapes the guard fails the whole batch.
 */
const ACCOUNT = '111122223333';

const event = (overrides: Partial<Record<keyof CloudTrailRecord, unknown>> = {}): AuditEvent => {
  const parsed = fromRecord({
    eventTime: '2026-11-02T10:00:00Z',
    eventSource: 'iam.amazonaws.com',
    eventName: 'CreateUser',
    eventID: 'e-1',
    awsRegion: 'eu-west-1',
    recipientAccountId: ACCOUNT,
    userIdentity: { type: 'IAMUser', userName: 'alice', arn: `arn:aws:iam::${ACCOUNT}:user/alice` },
    requestParameters: { userName: 'bob' },
    ...overrides,
  });
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.event;
};

const envelope = { version: '0', id: 'cfg-1', account: ACCOUNT, time: '2026-11-02T10:05:00Z', region: 'eu-west-1' };
const configEvent = (detailType: string, detail: Record<string, unknown>): AuditEvent => {
  const parsed = toAuditEvent({ ...envelope, 'detail-type': detailType, detail });
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.event;
};
const itemChange = (resourceType: string) =>
  configEvent('Config Configuration Item Change', { configurationItem: { resourceType, resourceId: 'r' } });
const complianceChange = () => configEvent('Config Rules Compliance Change', { configRuleName: 'c', resourceId: 'r' });

const rule = (id: string, on: EventSelector): Rule => defineRule({ ...TEST_RULE, id, on, match: () => true });
/** A CloudTrail rule with its own functions, typed on the record. */
const ctRule = (id: string, on: CloudTrailSelector, extra: Partial<RuleDefinition<CloudTrailSelector>> = {}): Rule =>
  defineRule<CloudTrailSelector>({ ...TEST_RULE, id, on, match: () => true, ...extra });

const ids = (rules: readonly { readonly id: string }[]) => rules.map((r) => r.id);

describe('buildCatalogue: dispatch by service and event name', () => {
  it('reaches the exact rules of the service and name, and no others', () => {
    const catalogue = buildCatalogue([
      rule('iam.both', { source: 'iam', eventNames: ['CreateUser', 'DeleteUser'] }),
      rule('iam.create', { source: 'iam', eventNames: ['CreateUser'] }),
      rule('s3.create', { source: 's3', eventNames: ['CreateUser'] }),
    ]);
    expect(ids(catalogue.candidates(event()))).toEqual(['iam.both', 'iam.create']);
    expect(ids(catalogue.candidates(event({ eventName: 'DeleteUser' })))).toEqual(['iam.both']);
    expect(ids(catalogue.candidates(event({ eventSource: 's3.amazonaws.com' })))).toEqual(['s3.create']);
    expect(catalogue.candidates(event({ eventName: 'ListUsers' }))).toEqual([]);
    expect(catalogue.candidates(event({ eventSource: 'sts.amazonaws.com' }))).toEqual([]);
    // Asked again (answered from the per-source cache), the answers are the same.
    expect(ids(catalogue.candidates(event()))).toEqual(['iam.both', 'iam.create']);
    expect(ids(catalogue.candidates(event({ eventName: 'DeleteUser' })))).toEqual(['iam.both']);
    expect(ids(catalogue.rules)).toEqual(['iam.both', 'iam.create', 's3.create']);
  });

  it('takes the service from an eventSource only when it ends in .amazonaws.com', () => {
    const catalogue = buildCatalogue([
      rule('signin.login', { source: 'signin', eventNames: ['ConsoleLogin'] }),
      rule('any.login', { source: '*', eventNames: ['ConsoleLogin'], where: { userIdentityType: ['Root'] } }),
    ]);
    const login = (eventSource: string) =>
      ids(catalogue.candidates(event({ eventSource, eventName: 'ConsoleLogin', userIdentity: { type: 'IAMUser' } })));
    expect(login('signin.amazonaws.com')).toEqual(['signin.login']);
    expect(login('signin')).toEqual(['signin.login']);
    // A look-alike source is another service, not signin.
    expect(login('signin.amazonaws.com.example')).toEqual([]);
    expect(login('xsignin.amazonaws.com')).toEqual([]);
  });

  it('wildcard rules narrowed by user agent: a case-sensitive substring, and no user agent never matches', () => {
    const catalogue = buildCatalogue([
      rule('tools', {
        source: '*',
        eventNames: '*',
        where: { userAgentContains: ['TruffleHog', 'stratus-red-team_'] },
      }),
      rule('iam-create', { source: 'iam', eventNames: ['CreateUser'] }),
    ]);
    const at = (userAgent: unknown) => ids(catalogue.candidates(event(userAgent === undefined ? {} : { userAgent })));
    expect(at('TruffleHog')).toEqual(['iam-create', 'tools']);
    expect(at('Terraform/1.5 stratus-red-team_83c9 exec')).toEqual(['iam-create', 'tools']);
    expect(at('trufflehog')).toEqual(['iam-create']);
    expect(at('aws-cli/2.22.4')).toEqual(['iam-create']);
    expect(at(undefined)).toEqual(['iam-create']);
  });

  it('wildcard rules: by source or by name, narrowed by identity type and error code', () => {
    const catalogue = buildCatalogue([
      rule('exact', { source: 'signin', eventNames: ['ConsoleLogin'] }),
      rule('root-anywhere', { source: '*', eventNames: '*', where: { userIdentityType: ['Root'] } }),
      rule('root-login', { source: '*', eventNames: ['ConsoleLogin'], where: { userIdentityType: ['Root'] } }),
      rule('signin-failed', { source: 'signin', eventNames: '*', where: { errorCode: ['Failed'] } }),
      rule('iam-any', { source: 'iam', eventNames: '*' }),
      rule('both', {
        source: '*',
        eventNames: '*',
        where: { userIdentityType: ['IAMUser'], errorCode: ['AccessDenied'] },
      }),
    ]);
    const at = (overrides: Partial<Record<keyof CloudTrailRecord, unknown>>) =>
      ids(catalogue.candidates(event(overrides)));
    const root = { type: 'Root', arn: `arn:aws:iam::${ACCOUNT}:root` };
    expect(at({ eventSource: 'signin.amazonaws.com', eventName: 'ConsoleLogin', userIdentity: root })).toEqual([
      'exact',
      'root-anywhere',
      'root-login',
    ]);
    expect(
      at({ eventSource: 'signin.amazonaws.com', eventName: 'ConsoleLogin', userIdentity: root, errorCode: 'Failed' }),
    ).toEqual(['exact', 'root-anywhere', 'root-login', 'signin-failed']);
    // Not root, no error: only the exact rule.
    expect(at({ eventSource: 'signin.amazonaws.com', eventName: 'ConsoleLogin' })).toEqual(['exact']);
    // Another name from signin: the name-wildcard rule still sees it, the name-bound ones do not.
    expect(at({ eventSource: 'signin.amazonaws.com', eventName: 'CheckMfa', errorCode: 'Failed' })).toEqual([
      'signin-failed',
    ]);
    // Root elsewhere: the source-and-name wildcard, not the login one.
    expect(at({ eventSource: 'ec2.amazonaws.com', eventName: 'RunInstances', userIdentity: root })).toEqual([
      'root-anywhere',
    ]);
    // A source-only wildcard without a filter is listed with the exact ones, for every name of its service.
    expect(at({ eventName: 'AttachUserPolicy' })).toEqual(['iam-any']);
    // Both filters must pass.
    expect(at({ eventName: 'AttachUserPolicy', errorCode: 'AccessDenied' })).toEqual(['iam-any', 'both']);
    expect(
      at({ eventName: 'AttachUserPolicy', errorCode: 'AccessDenied', userIdentity: { type: 'AssumedRole' } }),
    ).toEqual(['iam-any']);
    expect(at({ eventName: 'AttachUserPolicy', errorCode: 'Throttling' })).toEqual(['iam-any']);
  });

  it('a named selector reaches every event of its names: its `where` is left to the predicate, as the EventBridge patterns do', () => {
    const catalogue = buildCatalogue([
      rule('named-root', { source: 'signin', eventNames: ['ConsoleLogin'], where: { userIdentityType: ['Root'] } }),
    ]);
    const login = event({ eventSource: 'signin.amazonaws.com', eventName: 'ConsoleLogin' });
    expect(ids(catalogue.candidates(login))).toEqual(['named-root']);
  });

  it('Config events reach the Config rules of their kind (item changes by resource type), never CloudTrail rules', () => {
    const catalogue = buildCatalogue([
      rule('bucket', { source: 'config.item-change', resourceTypes: ['AWS::S3::Bucket', 'AWS::S3::AccessPoint'] }),
      rule('bucket-too', { source: 'config.item-change', resourceTypes: ['AWS::S3::Bucket'] }),
      rule('compliance', { source: 'config.compliance-change' }),
      rule('everything', { source: '*', eventNames: '*', where: { userIdentityType: ['Root'] } }),
    ]);
    expect(ids(catalogue.candidates(itemChange('AWS::S3::Bucket')))).toEqual(['bucket', 'bucket-too']);
    expect(ids(catalogue.candidates(itemChange('AWS::S3::AccessPoint')))).toEqual(['bucket']);
    expect(catalogue.candidates(itemChange('AWS::EC2::Instance'))).toEqual([]);
    expect(ids(catalogue.candidates(complianceChange()))).toEqual(['compliance']);
    expect(ids(catalogue.candidates(event({ userIdentity: { type: 'Root' } })))).toEqual(['everything']);
  });

  it('refuses two rules with one id', () => {
    const on = { source: 'iam', eventNames: ['CreateUser'] } as const;
    expect(() => buildCatalogue([rule('same', on), rule('other', on), rule('same', on)])).toThrow(
      new Error('duplicate rule id: same'),
    );
  });
});

describe('selectorCatalogue', () => {
  it('gives as many candidates per event as the catalogue of the rules themselves', () => {
    const rules = [
      rule('a', { source: 'iam', eventNames: ['CreateUser'] }),
      rule('b', { source: 'iam', eventNames: ['CreateUser'] }),
      rule('c', { source: 'config.compliance-change' }),
    ];
    const selectors = selectorCatalogue(rules.map((r) => r.on));
    const full = buildCatalogue(rules);
    for (const e of [event(), event({ eventName: 'DeleteUser' }), complianceChange()])
      expect(selectors.candidates(e).length).toBe(full.candidates(e).length);
    // Two rules may listen to the same thing: their selectors are still told apart.
    expect(ids(selectors.candidates(event()))).toEqual(['0', '1']);
  });
});

describe('contextFor', () => {
  const config = (criticality: DetectionConfig['criticality']): DetectionConfig => ({
    ...DEFAULT_DETECTION_CONFIG,
    criticality,
  });

  it('resolves criticality from the account, the resources and the tags of the event', () => {
    const none = { default: 'low', accounts: {}, resources: [] } as const;
    expect(contextFor(config(none), event(), []).criticality).toBe('low');
    expect(contextFor(config({ ...none, accounts: { [ACCOUNT]: 'medium' } }), event(), []).criticality).toBe('medium');
    const byArn = { ...none, resources: [{ pattern: 'arn:aws:s3:::prod-*', level: 'high' as const }] };
    expect(contextFor(config(byArn), event(), ['arn:aws:s3:::prod-logs']).criticality).toBe('high');
    expect(contextFor(config(byArn), event(), ['arn:aws:s3:::dev-logs']).criticality).toBe('low');
    const byTag = { ...none, tags: [{ key: 'env', value: 'prod', level: 'high' as const }] };
    expect(contextFor(config(byTag), event({ requestParameters: { tags: { env: 'prod' } } }), []).criticality).toBe(
      'high',
    );
    expect(contextFor(config(byTag), event({ requestParameters: { tags: { env: 'dev' } } }), []).criticality).toBe(
      'low',
    );
  });

  it('carries the config, and IP intelligence only when there is some', () => {
    const geo: GeoLookup = { lookup: () => undefined, source: 'test db' };
    const anonymisers = { kind: 'unavailable', source: 'file:x', error: 'gone' } as const;
    const plain = contextFor(DEFAULT_DETECTION_CONFIG, event(), []);
    expect(plain.config).toBe(DEFAULT_DETECTION_CONFIG);
    expect(Object.hasOwn(plain, 'geo')).toBe(false);
    expect(Object.hasOwn(plain, 'anonymisers')).toBe(false);
    expect(Object.hasOwn(contextFor(DEFAULT_DETECTION_CONFIG, event(), [], {}), 'geo')).toBe(false);
    const both = contextFor(DEFAULT_DETECTION_CONFIG, event(), [], { geo, anonymisers });
    expect([both.geo, both.anonymisers]).toEqual([geo, anonymisers]);
    const geoOnly = contextFor(DEFAULT_DETECTION_CONFIG, event(), [], { geo });
    expect(geoOnly.geo).toBe(geo);
    expect(Object.hasOwn(geoOnly, 'anonymisers')).toBe(false);
    const listOnly = contextFor(DEFAULT_DETECTION_CONFIG, event(), [], { anonymisers });
    expect(listOnly.anonymisers).toBe(anonymisers);
    expect(Object.hasOwn(listOnly, 'geo')).toBe(false);
  });
});

describe('describeError', () => {
  it('gives the message of an Error, the text of anything else, and never throws', () => {
    expect(describeError(new TypeError('bad type'))).toBe('bad type');
    expect(describeError('plain')).toBe('plain');
    expect(describeError(42)).toBe('42');
    expect(describeError(undefined)).toBe('undefined');
    const hostile = {
      toString: () => {
        throw new Error('no');
      },
    };
    expect(describeError(hostile)).toBe('unprintable error');
  });
});

describe('evaluate', () => {
  const on = { source: 'iam', eventNames: ['CreateUser'] } as const;
  const matching = (verdicts: readonly Verdict[]) => verdicts.flatMap((v) => (v.kind === 'match' ? [v] : []));

  it('gives nothing for an event no rule listens to', () => {
    const catalogue = buildCatalogue([ctRule('a', on)]);
    expect(evaluate(catalogue, DEFAULT_DETECTION_CONFIG, event({ eventName: 'ListUsers' }))).toEqual([]);
  });

  it('a single-event match carries resources, dedup key and details, plus the record fields the boundary dropped', () => {
    const catalogue = buildCatalogue([
      ctRule('a', on, { resources: () => ['arn:aws:iam::111122223333:user/bob'], explain: () => ['why'] }),
      ctRule('b', on, { match: () => false }),
    ]);
    const e = event();
    const noted: AuditEvent = { ...e, notes: ['userName (number)'] };
    const [match, noMatch] = evaluate(catalogue, DEFAULT_DETECTION_CONFIG, noted);
    expect(match).toMatchObject({
      kind: 'match',
      event: noted,
      facts: {
        resources: ['arn:aws:iam::111122223333:user/bob'],
        dedupKey: `${ACCOUNT}|arn:aws:iam::111122223333:user/alice`,
        details: ['why', 'record field userName (number)'],
      },
    });
    expect(match?.kind === 'match' && match.rule.id).toBe('a');
    expect(match?.kind === 'match' && match.ctx.criticality).toBe('medium');
    expect(noMatch).toEqual({ kind: 'no-match', rule: catalogue.rules[1] });
    const [clean] = matching(evaluate(catalogue, DEFAULT_DETECTION_CONFIG, e));
    expect(clean?.facts.details).toEqual(['why']);
  });

  it('a threshold match carries the group key, and the distinct value only when the rule counts one', () => {
    const catalogue = buildCatalogue([
      ctRule('counted', on, { threshold: { count: 2, windowSeconds: 60, groupBy: (r) => `g:${r.eventName}` } }),
      ctRule('distinct', on, {
        threshold: { count: 2, windowSeconds: 60, groupBy: () => 'g', distinct: (r) => r.awsRegion },
      }),
    ]);
    const [counted, distinct] = matching(evaluate(catalogue, DEFAULT_DETECTION_CONFIG, event()));
    expect(counted?.facts).toEqual({ resources: [], groupKey: 'g:CreateUser', details: [] });
    expect(Object.hasOwn(counted?.facts ?? {}, 'distinct')).toBe(false);
    expect(Object.hasOwn(counted?.facts ?? {}, 'dedupKey')).toBe(false);
    expect(distinct?.facts).toEqual({ resources: [], groupKey: 'g', distinct: 'eu-west-1', details: [] });
  });

  it('a throwing explanation costs no finding; a throwing rule is an error verdict and the others still run', () => {
    const catalogue = buildCatalogue([
      ctRule('explains-badly', on, {
        explain: () => {
          throw new Error('no detail');
        },
      }),
      ctRule('throws', on, {
        match: () => {
          throw new Error('boom');
        },
      }),
      ctRule('throws-in-key', on, {
        dedup: {
          key: () => {
            throw new Error('no key');
          },
        },
      }),
      ctRule('fine', on),
    ]);
    const e = event();
    const verdicts = evaluate(catalogue, DEFAULT_DETECTION_CONFIG, e);
    expect(verdicts.map((v) => [v.rule.id, v.kind])).toEqual([
      ['explains-badly', 'match'],
      ['throws', 'error'],
      ['throws-in-key', 'error'],
      ['fine', 'match'],
    ]);
    expect(verdicts[0]?.kind === 'match' && verdicts[0].facts.details).toEqual(['(explanation failed: no detail)']);
    expect(verdicts[1]).toEqual({ kind: 'error', rule: catalogue.rules[1], event: e, error: 'boom' });
    expect(verdicts[2]?.kind === 'error' && verdicts[2].error).toBe('no key');
  });

  it('a behaviour rule sees its history; with history unavailable it is skipped; other rules are never asked', () => {
    const remembers = {
      history: { key: () => 'k', remember: () => 'v', retainSeconds: 60 },
    } as const;
    const seen: (RuleContext['history'] | 'absent')[] = [];
    const catalogue = buildCatalogue([
      ctRule('behaviour', on, {
        ...remembers,
        match: (_r: CloudTrailRecord, ctx: RuleContext) => {
          seen.push(ctx.history ?? 'absent');
          return true;
        },
      }),
      ctRule('plain', on, {
        match: (_r: CloudTrailRecord, ctx: RuleContext) => {
          seen.push(Object.hasOwn(ctx, 'history') ? (ctx.history ?? 'absent') : 'absent');
          return true;
        },
      }),
    ]);
    const view: HistoryView = { first: 1, sightings: [] };
    const asked: string[] = [];
    const lookup = (answer: HistoryView | 'unavailable' | undefined) => (r: Rule) => {
      asked.push(r.id);
      return answer;
    };
    const e = event();
    expect(ids(evaluate(catalogue, DEFAULT_DETECTION_CONFIG, e, lookup(view)).map((v) => v.rule))).toEqual([
      'behaviour',
      'plain',
    ]);
    expect(seen).toEqual([view, 'absent']);
    expect(asked).toEqual(['behaviour']);
    seen.length = 0;
    const skipped = evaluate(catalogue, DEFAULT_DETECTION_CONFIG, e, lookup('unavailable'));
    expect(skipped.map((v) => [v.rule.id, v.kind])).toEqual([['plain', 'match']]);
    expect(seen).toEqual(['absent']);
    seen.length = 0;
    const [noHistory] = matching(evaluate(catalogue, DEFAULT_DETECTION_CONFIG, e, lookup(undefined)));
    expect(noHistory && Object.hasOwn(noHistory.ctx, 'history')).toBe(false);
    expect(matching(evaluate(catalogue, DEFAULT_DETECTION_CONFIG, e)).length).toBe(2);
  });

  it('hands the rules the IP intelligence it is given', () => {
    const geo: GeoLookup = { lookup: () => undefined, source: 'test db' };
    const catalogue = buildCatalogue([ctRule('a', on)]);
    const [match] = matching(evaluate(catalogue, DEFAULT_DETECTION_CONFIG, event(), undefined, { geo }));
    expect(match?.ctx.geo).toBe(geo);
  });
});
