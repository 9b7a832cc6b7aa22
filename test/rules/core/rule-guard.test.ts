import { describe, expect, it } from 'vitest';
import type { CloudTrailRecord } from '../../../rules/core/cloudtrail.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../../rules/core/config.ts';
import { defineRule } from '../../../rules/core/define-rule.ts';
import { createDetector } from '../../../rules/core/detector.ts';
import { buildCatalogue } from '../../../rules/core/engine.ts';
import { toAuditEvent } from '../../../rules/core/events.ts';
import type { Finding } from '../../../rules/core/finding.ts';
import { createMemoryCounterStore, createMemoryLedger } from '../../../rules/core/memory.ts';
import type { AuditEvent, Rule } from '../../../rules/core/types.ts';
import { fixture } from '../../../rules/fixtures/index.ts';
import { catalogue as realCatalogue } from '../../../rules/index.ts';
import { TEST_RULE } from '../../support/test-rule.ts';

/**
 * A rule that throws, or returns the wrong type, in any of its functions is an error for that rule and event,
 * reported by the detector; it never escapes `process`, and the other rules on the same event still deliver.
 */
const base = { ...TEST_RULE, on: { source: 'cloudtrail', eventNames: ['StopLogging'] } } as const;

const boom = (): never => {
  throw new Error('boom');
};
/** What a rule copying an open `requestParameters` value might return: TypeScript cannot see it. */
const wrong = <T>(v: unknown): T => v as T;

const good = defineRule({ ...base, id: 'test.good', title: 'Good', severity: 'critical', match: () => true });

const broken: readonly (readonly [string, Rule])[] = [
  ['match throws', defineRule({ ...base, id: 'test.b', title: 'B', severity: 'low', match: boom })],
  [
    'match returns a string',
    defineRule({ ...base, id: 'test.b', title: 'B', severity: 'low', match: () => wrong('yes') }),
  ],
  [
    'resources throws',
    defineRule({ ...base, id: 'test.b', title: 'B', severity: 'low', match: () => true, resources: boom }),
  ],
  [
    'resources returns numbers',
    defineRule({ ...base, id: 'test.b', title: 'B', severity: 'low', match: () => true, resources: () => wrong([7]) }),
  ],
  [
    'dedup key throws',
    defineRule({ ...base, id: 'test.b', title: 'B', severity: 'low', match: () => true, dedup: { key: boom } }),
  ],
  [
    'dedup key returns an object',
    defineRule({
      ...base,
      id: 'test.b',
      title: 'B',
      severity: 'low',
      match: () => true,
      dedup: { key: () => wrong({}) },
    }),
  ],
  [
    'groupBy throws',
    defineRule({
      ...base,
      id: 'test.b',
      title: 'B',
      severity: 'low',
      match: () => true,
      threshold: { count: 1, windowSeconds: 60, groupBy: boom },
    }),
  ],
  [
    'distinct returns a number',
    defineRule({
      ...base,
      id: 'test.b',
      title: 'B',
      severity: 'low',
      match: () => true,
      threshold: { count: 1, windowSeconds: 60, groupBy: () => 'g', distinct: () => wrong(5) },
    }),
  ],
  [
    'history key throws',
    defineRule({
      ...base,
      id: 'test.b',
      title: 'B',
      severity: 'low',
      match: () => true,
      history: { key: boom, remember: () => 'x', retainSeconds: 60 },
    }),
  ],
  [
    'history remember throws',
    defineRule({
      ...base,
      id: 'test.b',
      title: 'B',
      severity: 'low',
      match: () => false,
      history: { key: () => 'k', remember: boom, retainSeconds: 60 },
    }),
  ],
  [
    'a thrown object that cannot be printed',
    defineRule({
      ...base,
      id: 'test.b',
      title: 'B',
      severity: 'low',
      match: () => {
        throw Object.create(null);
      },
    }),
  ],
];

const stopLogging = (overrides: Partial<Record<keyof CloudTrailRecord, unknown>> = {}): AuditEvent => {
  const parsed = toAuditEvent({
    eventTime: '2026-11-02T10:00:00Z',
    eventSource: 'cloudtrail.amazonaws.com',
    eventName: 'StopLogging',
    eventID: 'e-1',
    awsRegion: 'eu-west-1',
    recipientAccountId: '111122223333',
    userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/mallory' },
    ...overrides,
  });
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.event;
};

const run = async (rules: readonly Rule[], events: readonly AuditEvent[]) => {
  const delivered: Finding[] = [];
  const detector = createDetector({
    catalogue: buildCatalogue(rules),
    config: DEFAULT_DETECTION_CONFIG,
    counters: createMemoryCounterStore(),
    ledger: createMemoryLedger(),
    sink: { deliver: async (f) => void delivered.push(f), fold: async () => {} },
  });
  const outcome = await detector.process(events);
  return { outcome, delivered };
};

describe('a throwing rule never escapes the detector', () => {
  it.each(broken)('%s: a rule error; the other rule still delivers', async (_name, rule) => {
    const { outcome, delivered } = await run([rule, good], [stopLogging()]);
    expect(outcome.ruleErrors).toEqual([{ ruleId: 'test.b', eventId: 'e-1', error: expect.any(String) }]);
    expect(delivered.map((f) => f.ruleId)).toEqual(['test.good']);
    expect(outcome.failures).toEqual([]);
  });

  it('names the rule and function whose output had the wrong type', async () => {
    const [, dedup] = broken.find(([name]) => name === 'dedup key returns an object') ?? [];
    const { outcome } = await run(dedup ? [dedup] : [], [stopLogging()]);
    expect(outcome.ruleErrors[0]?.error).toBe('test.b: dedup.key returned object, not a string');
  });

  it('a throwing explain costs no finding: the failure is in its details', async () => {
    const explained = defineRule({
      ...base,
      id: 'test.e',
      title: 'E',
      severity: 'low',
      match: () => true,
      explain: boom,
    });
    const { outcome, delivered } = await run([explained], [stopLogging()]);
    expect(outcome.ruleErrors).toEqual([]);
    expect(delivered[0]?.details).toContain('(explanation failed: boom)');
  });
});

describe('records with wrong-typed fields, through the real catalogue', () => {
  it('a non-string userName: signin.mfa-failed still pages, and says which field it ignored', async () => {
    const parsed = toAuditEvent(fixture('signin/ConsoleLogin-mfa-failure', { userIdentity: { userName: [] } }));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const { outcome, delivered } = await run(realCatalogue.rules, [parsed.event]);
    expect(outcome.ruleErrors).toEqual([]);
    const finding = delivered.find((f) => f.ruleId === 'signin.mfa-failed');
    expect(finding?.details).toContain('record field userIdentity.userName: array, not string; ignored');
  });

  it('a non-string recipientAccountId and userIdentity.arn: the finding is well-typed', async () => {
    const event = stopLogging({
      recipientAccountId: 7,
      userIdentity: { type: 'IAMUser', arn: {}, accountId: '111122223333' },
    });
    const { delivered } = await run(realCatalogue.rules, [event]);
    const finding = delivered.find((f) => f.ruleId === 'cloudtrail.logging-stopped');
    expect(finding?.account).toBe('111122223333');
    expect(typeof finding?.actor.arn).toBe('string');
  });
});
