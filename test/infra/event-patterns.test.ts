import { describe, expect, it } from 'vitest';
import {
  API_CALL,
  CONFIG_COMPLIANCE_CHANGE,
  CONFIG_ITEM_CHANGE,
  CONSOLE_SIGN_IN,
  type EventPatternJson,
  eventSourceOf,
  forwarderPatternsFor,
  type GeneratedPattern,
  GLOBAL_SERVICES,
  MAX_PATTERN_CHARS,
  matchesPattern,
  patternsFor,
  SERVICE_EVENT,
} from '../../infra/event-patterns.ts';
import type { EventSelector, Rule } from '../../rules/core/types.ts';
import { isCloudTrailSelector } from '../../rules/core/types.ts';
import { docsOf } from '../../rules/docs.ts';
import { RULES } from '../../rules/index.ts';
import { cloudTrailEnvelope, configEnvelope, syntheticEvents } from '../support/routing.ts';

const routed = (patterns: readonly GeneratedPattern[], event: unknown) =>
  patterns.some((p) => matchesPattern(p.pattern, event));

const isGlobal = (on: EventSelector) =>
  isCloudTrailSelector(on) && (on.source === '*' || (GLOBAL_SERVICES as readonly string[]).includes(on.source));

describe('patterns generated from the catalogue', () => {
  const selectors = RULES.map((r) => r.on);
  const patterns = patternsFor(selectors);
  const forwarded = forwarderPatternsFor(selectors);
  const rules = RULES.map((r) => [r.id, r] as const);

  it.each(rules)('%s: every event it declares is routed', (_id, rule: Rule) => {
    const events = syntheticEvents(rule.on);
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) expect(routed(patterns, event), JSON.stringify(event)).toBe(true);
  });

  it.each(rules)('%s: every positive case, as EventBridge delivers it, is routed', async (_id, rule: Rule) => {
    const positives = (await docsOf(rule)).cases().filter((c) => c.expect === 'match');
    expect(positives.length).toBeGreaterThan(0);
    for (const c of positives) {
      const on = rule.on;
      const event = isCloudTrailSelector(on)
        ? cloudTrailEnvelope(c.event as Record<string, unknown>)
        : configEnvelope('resourceTypes' in on ? CONFIG_ITEM_CHANGE : CONFIG_COMPLIANCE_CHANGE, c.event);
      expect(routed(patterns, event), `${c.name}`).toBe(true);
      if (isGlobal(on) && isCloudTrailSelector(on)) {
        const source = String((c.event as Record<string, unknown>).eventSource ?? '');
        const service = source.replace('.amazonaws.com', '');
        if ((GLOBAL_SERVICES as readonly string[]).includes(service)) {
          expect(routed(forwarded, event), `${c.name} (forwarder)`).toBe(true);
        }
      }
    }
  });

  it.each(rules.filter(([, r]) => isGlobal(r.on)))('%s: its global-service events are forwarded', (_id, rule) => {
    const events = syntheticEvents(rule.on).filter((e) =>
      (GLOBAL_SERVICES as readonly string[]).some(
        (s) => (e as { detail: { eventSource: string } }).detail.eventSource === eventSourceOf(s),
      ),
    );
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) expect(routed(forwarded, event), JSON.stringify(event)).toBe(true);
  });

  it('has no catch-all: each pattern filters on a source, name, identity, error, resource or compliance type', () => {
    for (const { id, pattern } of [...patterns, ...forwarded]) {
      const detail = pattern.detail as Record<string, unknown> | undefined;
      expect(detail, id).toBeDefined();
      const narrowing = [
        'eventSource',
        'eventName',
        'userIdentity',
        'errorCode',
        'userAgent',
        'configurationItem',
        'newEvaluationResult',
      ];
      expect(
        narrowing.some((k) => detail !== undefined && k in detail),
        id,
      ).toBe(true);
    }
  });

  it('routes no event the catalogue did not ask for', () => {
    const unrelated = cloudTrailEnvelope({
      eventType: 'AwsApiCall',
      eventSource: 'nothing-watches-this.amazonaws.com',
      eventName: 'DoNothingInteresting',
      userIdentity: { type: 'AssumedRole' },
    });
    expect(routed(patterns, unrelated)).toBe(false);
    expect(routed(patterns, { 'detail-type': 'Some Custom Event', source: 'my.app', detail: {} })).toBe(false);
  });

  /**
   * PutEvents refuses a custom event whose source starts with `aws.` (only AWS services emit those), so a route
   * that requires an `aws.` source cannot be fed a forged CloudTrail or Config event by a principal allowed to
   * put events on the bus.
   */
  describe('forged events (custom sources)', () => {
    const all = [
      ...patterns,
      ...forwarded,
      // Selectors the catalogue may not hold today: any service, and global services through the forwarder.
      ...patternsFor([{ source: '*', eventNames: '*', where: { userIdentityType: ['Root'] } }]),
      ...forwarderPatternsFor([
        { source: 'iam', eventNames: ['CreateUser'] },
        { source: '*', eventNames: '*', where: { errorCode: ['AccessDenied'] } },
      ]),
    ];
    const awsOnly = (value: unknown) =>
      typeof value === 'string'
        ? value.startsWith('aws.')
        : typeof value === 'object' && value !== null && 'prefix' in value && String(value.prefix).startsWith('aws.');

    it('pins every pattern to AWS sources only', () => {
      for (const { id, pattern } of all) {
        expect(Array.isArray(pattern.source), id).toBe(true);
        const values = pattern.source as readonly unknown[];
        expect(values.length, id).toBeGreaterThan(0);
        for (const v of values) expect(awsOnly(v), `${id}: ${JSON.stringify(v)}`).toBe(true);
      }
    });

    const forgedSources = ['trailwarden.drill', 'iam', 'custom.aws.iam', 'Aws.iam', 'aws', ''];
    it.each(rules)('%s: none of its events routes with a custom source', (_id, rule: Rule) => {
      const events = syntheticEvents(rule.on) as Record<string, unknown>[];
      for (const event of events) {
        expect(
          all.some((p) => matchesPattern(p.pattern, event)),
          JSON.stringify(event),
        ).toBe(true);
        for (const source of forgedSources) {
          expect(routed(all, { ...event, source }), `${source}: ${JSON.stringify(event)}`).toBe(false);
        }
        const { source: _, ...sourceless } = event;
        expect(routed(all, sourceless), JSON.stringify(sourceless)).toBe(false);
      }
    });

    it('routes no forged event for a wildcard selector either', () => {
      const root = cloudTrailEnvelope({
        eventType: 'AwsApiCall',
        eventSource: 'iam.amazonaws.com',
        eventName: 'CreateUser',
        userIdentity: { type: 'Root' },
      });
      expect(routed(all, root)).toBe(true);
      expect(routed(all, { ...root, source: 'my.app' })).toBe(false);
    });
  });

  it('forwards only global services and no Config events', () => {
    for (const { id, pattern } of forwarded) {
      const sources = (pattern.detail as { eventSource?: string[] }).eventSource;
      expect(sources, id).toBeDefined();
      for (const s of sources ?? []) expect(GLOBAL_SERVICES.map(eventSourceOf), id).toContain(s);
      expect(pattern['detail-type'], id).not.toContain(CONFIG_ITEM_CHANGE);
      expect(pattern['detail-type'], id).not.toContain(CONFIG_COMPLIANCE_CHANGE);
    }
  });

  it('stays within the EventBridge pattern size quota', () => {
    for (const { id, pattern } of [...patterns, ...forwarded]) {
      expect(JSON.stringify(pattern).length, id).toBeLessThanOrEqual(MAX_PATTERN_CHARS);
    }
  });

  it('asks for management events on CloudTrail patterns only', () => {
    const configTypes: unknown[] = [CONFIG_ITEM_CHANGE, CONFIG_COMPLIANCE_CHANGE];
    for (const p of patterns) {
      const config = (p.pattern['detail-type'] as readonly unknown[]).some((t) => configTypes.includes(t));
      expect(p.managementEvents, p.id).toBe(!config);
    }
  });

  it('gives every pattern a distinct id', () => {
    expect(new Set(patterns.map((p) => p.id)).size).toBe(patterns.length);
  });
});

describe('patternsFor', () => {
  it('groups named events by eventSource into one pattern per service', () => {
    const patterns = patternsFor([
      { source: 'iam', eventNames: ['CreateUser', 'AttachUserPolicy'] },
      { source: 'iam', eventNames: ['CreateUser', 'CreateAccessKey'] },
      { source: 'cloudtrail', eventNames: ['StopLogging'] },
    ]);
    expect(patterns).toEqual([
      {
        id: 'cloudtrail-cloudtrail',
        managementEvents: true,
        pattern: {
          source: ['aws.cloudtrail'],
          'detail-type': [API_CALL, SERVICE_EVENT],
          detail: { eventSource: ['cloudtrail.amazonaws.com'], eventName: ['StopLogging'] },
        },
      },
      {
        id: 'cloudtrail-iam',
        managementEvents: true,
        pattern: {
          source: ['aws.iam'],
          'detail-type': [API_CALL, SERVICE_EVENT],
          detail: {
            eventSource: ['iam.amazonaws.com'],
            eventName: ['AttachUserPolicy', 'CreateAccessKey', 'CreateUser'],
          },
        },
      },
    ]);
  });

  it('uses the sign-in detail-type for console sign-in', () => {
    const [p] = patternsFor([{ source: 'signin', eventNames: ['ConsoleLogin'] }]);
    expect(p?.pattern).toEqual({
      source: ['aws.signin'],
      'detail-type': [CONSOLE_SIGN_IN],
      detail: { eventSource: ['signin.amazonaws.com'], eventName: ['ConsoleLogin'] },
    });
  });

  it('filters wildcard selectors on their where clause', () => {
    const [root, denied] = patternsFor([
      { source: '*', eventNames: '*', where: { userIdentityType: ['Root'] } },
      { source: 'ec2', eventNames: '*', where: { errorCode: ['UnauthorizedOperation', 'AccessDenied'] } },
    ]);
    expect(root?.pattern).toEqual({
      source: [{ prefix: 'aws.' }],
      'detail-type': [API_CALL, CONSOLE_SIGN_IN, SERVICE_EVENT],
      detail: { userIdentity: { type: ['Root'] } },
    });
    expect(root?.managementEvents).toBe(true);
    expect(denied?.pattern).toEqual({
      source: ['aws.ec2'],
      'detail-type': [API_CALL, SERVICE_EVENT],
      detail: { eventSource: ['ec2.amazonaws.com'], errorCode: ['AccessDenied', 'UnauthorizedOperation'] },
    });
    expect(root?.id).toMatch(/^cloudtrail-filtered-[0-9a-f]{8}$/);
  });

  it('names filtered patterns after their content, not their position', () => {
    const root = { source: '*', eventNames: '*', where: { userIdentityType: ['Root'] } } as const;
    const other = { source: 's3', eventNames: '*', where: { errorCode: ['AccessDenied'] } } as const;
    const alone = patternsFor([root]).map((p) => p.id);
    const after = patternsFor([other, root]).map((p) => p.id);
    expect(after).toContain(alone[0]);
  });

  it('builds Config item-change and compliance-change patterns', () => {
    const patterns = patternsFor([
      { source: 'config.item-change', resourceTypes: ['AWS::S3::Bucket', 'AWS::EC2::SecurityGroup'] },
      { source: 'config.item-change', resourceTypes: ['AWS::S3::Bucket'] },
      { source: 'config.compliance-change' },
    ]);
    expect(patterns.map((p) => p.pattern)).toEqual([
      {
        source: ['aws.config'],
        'detail-type': [CONFIG_ITEM_CHANGE],
        detail: { configurationItem: { resourceType: ['AWS::EC2::SecurityGroup', 'AWS::S3::Bucket'] } },
      },
      {
        source: ['aws.config'],
        'detail-type': [CONFIG_COMPLIANCE_CHANGE],
        detail: { newEvaluationResult: { complianceType: ['NON_COMPLIANT'] } },
      },
    ]);
    expect(patterns.every((p) => !p.managementEvents)).toBe(true);
  });

  it('splits a service with many event names into several patterns under the size budget', () => {
    const names = Array.from({ length: 400 }, (_, i) => `SomeRatherLongEventName${String(i).padStart(4, '0')}`);
    const patterns = patternsFor([{ source: 'ec2', eventNames: names }]);
    expect(patterns.length).toBeGreaterThan(1);
    expect(patterns.map((p) => p.id).slice(0, 2)).toEqual(['cloudtrail-ec2', 'cloudtrail-ec2-2']);
    const covered = patterns.flatMap((p) => (p.pattern.detail as { eventName: string[] }).eventName);
    expect(covered.sort()).toEqual([...names].sort());
    for (const p of patterns) expect(JSON.stringify(p.pattern).length).toBeLessThanOrEqual(MAX_PATTERN_CHARS);
  });

  it('refuses a selector that would need a catch-all, or one that can never match', () => {
    expect(() => patternsFor([{ source: '*', eventNames: '*' }])).toThrow(/catch-all/);
    expect(() => patternsFor([{ source: 'iam', eventNames: '*', where: { userIdentityType: [] } }])).toThrow(
      /where.userIdentityType is empty/,
    );
    expect(() => patternsFor([{ source: 'iam', eventNames: [] }])).toThrow(/no event names/);
    expect(() => patternsFor([{ source: 'iam', eventNames: ['X'.repeat(3000)] }])).toThrow(/exceeds/);
  });

  it('forwards Route 53 Domains from us-east-1: both spellings of its registrar events, nothing else of the rule', () => {
    // The registrar API is served from us-east-1 only; AWS logs its actions with a lower-case first letter.
    const selectors = RULES.filter((r) => r.id.startsWith('route53domains.')).map((r) => r.on);
    expect(selectors.length).toBeGreaterThan(0);
    const forwarded = forwarderPatternsFor(selectors);
    for (const name of [
      'disableDomainTransferLock',
      'DisableDomainTransferLock',
      'transferDomainToAnotherAwsAccount',
    ]) {
      const event = cloudTrailEnvelope({
        eventType: 'AwsApiCall',
        eventSource: 'route53domains.amazonaws.com',
        eventName: name,
        awsRegion: 'us-east-1',
      });
      expect(routed(forwarded, event), name).toBe(true);
    }
    const read = cloudTrailEnvelope({
      eventType: 'AwsApiCall',
      eventSource: 'route53domains.amazonaws.com',
      eventName: 'getDomainDetail',
    });
    expect(routed(forwarded, read)).toBe(false);
    expect(forwarded.every((p) => JSON.stringify(p.pattern.source) === '["aws.route53domains"]')).toBe(true);
  });

  it('narrows a selector on every event by user agent: EventBridge wildcards, nothing else passes', () => {
    const on = { source: '*', eventNames: '*', where: { userAgentContains: ['TruffleHog', 'a*b'] } } as const;
    const [home] = patternsFor([on]);
    if (home === undefined) throw new Error('no pattern');
    expect(home.pattern.detail).toEqual({ userAgent: [{ wildcard: '*TruffleHog*' }, { wildcard: '*a\\*b*' }] });
    const call = (userAgent: string) =>
      cloudTrailEnvelope({
        eventType: 'AwsApiCall',
        eventSource: 'sts.amazonaws.com',
        eventName: 'GetCallerIdentity',
        userAgent,
      });
    expect(routed([home], call('TruffleHog'))).toBe(true);
    expect(routed([home], call('x TruffleHog/3.0 y'))).toBe(true);
    expect(routed([home], call('trufflehog'))).toBe(false);
    expect(routed([home], call('a*b'))).toBe(true);
    expect(routed([home], call('axxb'))).toBe(false);
    const forwarded = forwarderPatternsFor([on]);
    expect(forwarded.map((p) => p.pattern.detail)).toEqual([
      {
        eventSource: [...GLOBAL_SERVICES].map(eventSourceOf).sort(),
        userAgent: (home.pattern.detail as EventPatternJson).userAgent,
      },
    ]);
  });

  it('forwards Account Management EnableRegion from us-east-1', () => {
    const forwarded = forwarderPatternsFor(RULES.filter((r) => r.id === 'account.region-enabled').map((r) => r.on));
    const event = (eventName: string) =>
      cloudTrailEnvelope({
        eventType: 'AwsApiCall',
        eventSource: 'account.amazonaws.com',
        eventName,
        awsRegion: 'us-east-1',
      });
    expect(routed(forwarded, event('EnableRegion'))).toBe(true);
    expect(routed(forwarded, event('GetAlternateContact'))).toBe(false);
  });

  it('restricts the forwarder to global services: a * service becomes those services', () => {
    const patterns = forwarderPatternsFor([
      { source: 's3', eventNames: ['PutBucketPolicy'] },
      { source: 'iam', eventNames: ['CreateUser'] },
      { source: '*', eventNames: '*', where: { userIdentityType: ['Root'] } },
      { source: 'config.compliance-change' },
    ]);
    expect(patterns.map((p) => p.id)).toEqual(['cloudtrail-iam', expect.stringMatching(/^cloudtrail-filtered-/)]);
    const root = patterns[1]?.pattern.detail as { eventSource: string[] };
    expect(root.eventSource).toEqual([...GLOBAL_SERVICES].map(eventSourceOf).sort());
    expect(patterns[1]?.pattern.source).toEqual([...GLOBAL_SERVICES].map((s) => `aws.${s}`).sort());
  });
});

describe('matchesPattern', () => {
  const pattern: EventPatternJson = {
    'detail-type': ['A', 'B'],
    detail: { x: ['1'], nested: { y: ['2'] }, gone: [{ exists: false }] },
  };
  it.each([
    ['all fields match', { 'detail-type': 'B', detail: { x: '1', nested: { y: '2' } } }, true],
    [
      'an array value matches if any element does',
      { 'detail-type': 'A', detail: { x: ['0', '1'], nested: { y: '2' } } },
      true,
    ],
    ['a value differs', { 'detail-type': 'A', detail: { x: '9', nested: { y: '2' } } }, false],
    ['a nested field is missing', { 'detail-type': 'A', detail: { x: '1' } }, false],
    [
      'exists:false sees the field',
      { 'detail-type': 'A', detail: { x: '1', nested: { y: '2' }, gone: 'here' } },
      false,
    ],
    ['not an object', 'text', false],
  ])('%s', (_name, event, expected) => {
    expect(matchesPattern(pattern, event)).toBe(expected);
  });

  it.each([
    ['aws.iam', true],
    ['aws.', true],
    ['aws', false],
    ['custom.aws.iam', false],
    ['Aws.iam', false],
    [undefined, false],
    [42, false],
  ])('prefix aws. on source %s: %s', (source, expected) => {
    expect(matchesPattern({ source: [{ prefix: 'aws.' }] }, source === undefined ? {} : { source })).toBe(expected);
  });
});
