import { describe, expect, it } from 'vitest';
import { workerSetupFor } from '../../../cli/scan/engine.ts';
import type { CloudTrailRecord } from '../../../rules/core/cloudtrail.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../../rules/core/config.ts';
import { defineRule } from '../../../rules/core/define-rule.ts';
import type { Prejudged } from '../../../rules/core/detector.ts';
import { judgedAlone, needsDetector, prejudgedOf } from '../../../rules/core/detector.ts';
import { buildCatalogue, catalogueOf } from '../../../rules/core/engine.ts';
import { fromRecord } from '../../../rules/core/events.ts';
import type { AuditEvent, Rule } from '../../../rules/core/types.ts';
import { RULES, catalogue as registered } from '../../../rules/index.ts';
import { TEST_RULE } from '../../support/test-rule.ts';

/**
 * What may be judged where events are read (a scan worker, or before the detector): only rules that need nothing
 * but the event. A rule with memory or IP intelligence is never judged there, so its events always reach the
 * detector; an event leaves out only when every candidate rule judged alone says no match.
 */

const stopLogging = defineRule({
  ...TEST_RULE,
  id: 'test.stop-logging',
  title: 'Stop logging',
  severity: 'critical',
  on: { source: 'cloudtrail', eventNames: ['StopLogging', 'DeleteTrail'] },
  match: (e) => e.errorCode === undefined,
});

const throwing = defineRule({
  ...TEST_RULE,
  id: 'test.throwing',
  title: 'Throws',
  severity: 'low',
  on: { source: 'cloudtrail', eventNames: ['DeleteTrail'] },
  match: () => {
    throw new Error('boom');
  },
});

/** Never matches on its own event: only its memory could make it match, so the detector must see its events. */
const remembering = defineRule({
  ...TEST_RULE,
  id: 'test.remembering',
  title: 'Remembers',
  severity: 'high',
  on: { source: 'cloudtrail', eventNames: ['StopLogging'] },
  history: { key: () => 'k', remember: () => 'v', retainSeconds: 3600 },
  match: (_e, ctx) => (ctx.history?.sightings.length ?? 0) > 5,
});

const readingIntel: Rule = { ...stopLogging, id: 'test.reading-intel', match: () => false, intel: ['geo'] };

let seq = 0;
const event = (overrides: Partial<CloudTrailRecord> & Pick<CloudTrailRecord, 'eventName'>): AuditEvent => {
  const parsed = fromRecord({
    eventTime: '2026-11-02T10:00:00Z',
    eventID: `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`,
    eventSource: 'cloudtrail.amazonaws.com',
    awsRegion: 'us-east-1',
    recipientAccountId: '111122223333',
    userIdentity: { type: 'IAMUser', userName: 'alice', arn: 'arn:aws:iam::111122223333:user/alice' },
    ...overrides,
  });
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.event;
};

const needs = (rules: readonly Rule[], e: AuditEvent): boolean =>
  needsDetector(catalogueOf(prejudgedOf(rules)), DEFAULT_DETECTION_CONFIG, e);

describe('judgedAlone', () => {
  it('is false for every registered rule with memory or IP intelligence, true for the rest', () => {
    for (const rule of RULES) {
      expect(judgedAlone(rule), rule.id).toBe(rule.history === null && rule.intel === undefined);
    }
    // The catalogue has both kinds, or the split would prove nothing.
    expect(RULES.filter((r) => !judgedAlone(r)).length).toBeGreaterThan(3);
    expect(RULES.filter(judgedAlone).length).toBeGreaterThan(100);
    expect([remembering, readingIntel].map(judgedAlone)).toEqual([false, false]);
    expect(judgedAlone(stopLogging)).toBe(true);
  });

  it('leaves a rule with memory or intelligence out of the entries judged on the spot', () => {
    const entries = prejudgedOf([stopLogging, remembering, readingIntel]);
    expect(entries.map((e: Prejudged) => [e.id, e.alone?.id])).toEqual([
      ['test.stop-logging', 'test.stop-logging'],
      ['test.remembering', undefined],
      ['test.reading-intel', undefined],
    ]);
  });
});

describe('needsDetector', () => {
  it('keeps an event a stateless rule matches and drops one it does not', () => {
    expect(needs([stopLogging], event({ eventName: 'StopLogging' }))).toBe(true);
    expect(needs([stopLogging], event({ eventName: 'StopLogging', errorCode: 'AccessDenied' }))).toBe(false);
  });

  it('drops an event no rule listens to', () => {
    expect(needs([stopLogging], event({ eventName: 'DescribeTrails' }))).toBe(false);
  });

  it('keeps every event a rule with memory is a candidate for, matching or not', () => {
    const denied = event({ eventName: 'StopLogging', errorCode: 'AccessDenied' });
    expect(needs([stopLogging, remembering], denied)).toBe(true);
    expect(needs([remembering], denied)).toBe(true);
  });

  it('keeps every event a rule reading IP intelligence is a candidate for', () => {
    expect(needs([readingIntel], event({ eventName: 'DeleteTrail', errorCode: 'AccessDenied' }))).toBe(true);
  });

  it('keeps an event a rule throws on, so the detector reports the error', () => {
    expect(needs([throwing], event({ eventName: 'DeleteTrail', errorCode: 'AccessDenied' }))).toBe(true);
    expect(needs([stopLogging], event({ eventName: 'DeleteTrail', errorCode: 'AccessDenied' }))).toBe(false);
  });

  it('keeps an event that claims to be a drill (the forged-drill check), whatever the rules', () => {
    const claim: AuditEvent = {
      ...event({ eventName: 'DescribeTrails' }),
      drillClaim: { kind: 'unsigned', marker: 'x' },
    };
    expect(needs([stopLogging], claim)).toBe(true);
  });
});

describe('what the scan workers may judge (workerSetupFor)', () => {
  it('names a registered rule only when it needs nothing but the event', async () => {
    const setup = await workerSetupFor({
      batchSize: 10,
      jobs: 2,
      catalogue: registered,
      config: DEFAULT_DETECTION_CONFIG,
    });
    const alone = setup.judge?.alone ?? [];
    expect(alone).toHaveLength(RULES.length);
    RULES.forEach((rule, i) => {
      expect(alone[i], rule.id).toBe(rule.history === null && rule.intel === undefined ? rule.id : null);
    });
    expect(setup.selectors).toEqual(RULES.map((r) => r.on));
  });

  it('leaves to the main thread a rule that is not the registered object of its id', async () => {
    const impostor = { ...RULES.find(judgedAlone), match: () => true } as Rule;
    const catalogue = buildCatalogue([impostor]);
    const setup = await workerSetupFor({ batchSize: 10, jobs: 2, catalogue, config: DEFAULT_DETECTION_CONFIG });
    expect(setup.judge?.alone).toEqual([null]);
  });

  it('judges nothing without a config, or with one that does not cross a thread unchanged', async () => {
    const withoutConfig = await workerSetupFor({ batchSize: 10, jobs: 2, catalogue: registered });
    expect(withoutConfig.judge).toBeUndefined();
    const odd = { ...DEFAULT_DETECTION_CONFIG, extra: new (class Matcher {})() } as typeof DEFAULT_DETECTION_CONFIG;
    const withOdd = await workerSetupFor({ batchSize: 10, jobs: 2, catalogue: registered, config: odd });
    expect(withOdd.judge).toBeUndefined();
  });
});
