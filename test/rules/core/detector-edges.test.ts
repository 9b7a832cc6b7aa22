import { describe, expect, it } from 'vitest';
import type { CloudTrailRecord } from '../../../rules/core/cloudtrail.ts';
import { isSuccess } from '../../../rules/core/cloudtrail.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../../rules/core/config.ts';
import { defineRule } from '../../../rules/core/define-rule.ts';
import { createDetector, windowFor } from '../../../rules/core/detector.ts';
import { buildCatalogue } from '../../../rules/core/engine.ts';
import { fromRecord } from '../../../rules/core/events.ts';
import type { Finding } from '../../../rules/core/finding.ts';
import { createMemoryCounterStore, createMemoryHistoryStore, createMemoryLedger } from '../../../rules/core/memory.ts';
import type { FindingSink } from '../../../rules/core/ports.ts';
import type { AuditEvent, Rule } from '../../../rules/core/types.ts';
import { TEST_RULE } from '../../support/test-rule.ts';

/** Edges of the detector's threshold, dedup and lateness handling (table tests at the boundaries). */

const failedLogins = (dedupSeconds?: number) =>
  defineRule({
    ...TEST_RULE,
    id: 'test.failed-logins',
    title: 'Failed logins',
    severity: 'high',
    on: { source: 'signin', eventNames: ['ConsoleLogin'] },
    match: (e) => e.errorMessage !== undefined,
    threshold: { count: 3, windowSeconds: 300, groupBy: (e) => e.userIdentity.userName ?? 'unknown' },
    ...(dedupSeconds === undefined ? {} : { dedup: { key: () => 'all', windowSeconds: dedupSeconds } }),
  });

const stopLogging = (dedupSeconds: number) =>
  defineRule({
    ...TEST_RULE,
    id: 'test.stop-logging',
    title: 'Stop logging',
    severity: 'critical',
    on: { source: 'cloudtrail', eventNames: ['StopLogging'] },
    match: (e) => isSuccess(e),
    dedup: { key: () => 'trail', windowSeconds: dedupSeconds },
  });

let seq = 0;
const event = (overrides: Partial<CloudTrailRecord> & Pick<CloudTrailRecord, 'eventSource' | 'eventName'>) => {
  const parsed = fromRecord({
    eventTime: '2026-11-02T10:00:00Z',
    eventID: `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`,
    awsRegion: 'us-east-1',
    recipientAccountId: '111122223333',
    userIdentity: { type: 'IAMUser', userName: 'alice', arn: 'arn:aws:iam::111122223333:user/alice' },
    ...overrides,
  });
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.event;
};
const failure = (at: string, sourceIPAddress = '203.0.113.1') =>
  event({
    eventSource: 'signin.amazonaws.com',
    eventName: 'ConsoleLogin',
    eventTime: at,
    errorMessage: 'Failed authentication',
    sourceIPAddress,
    userIdentity: { type: 'IAMUser', userName: 'alice', arn: 'arn:aws:iam::111122223333:user/alice' },
  });
const stop = (at: string) =>
  event({ eventSource: 'cloudtrail.amazonaws.com', eventName: 'StopLogging', eventTime: at });
const burst = (hhmm: string) => ['00', '30', '59'].map((s) => failure(`2026-11-02T${hhmm}:${s}Z`));

const setup = (rules: readonly Rule[], sink?: FindingSink, latenessMs?: number) => {
  const delivered: Finding[] = [];
  const folded: Finding[] = [];
  const detector = createDetector({
    catalogue: buildCatalogue(rules),
    config: DEFAULT_DETECTION_CONFIG,
    counters: createMemoryCounterStore(),
    ledger: createMemoryLedger(),
    sink: sink ?? { deliver: async (f) => void delivered.push(f), fold: async (f) => void folded.push(f) },
    ...(latenessMs === undefined ? {} : { latenessMs }),
  });
  return { detector, delivered, folded };
};

describe('dedup of threshold findings', () => {
  it('a second burst inside the dedup window (one hour by default) folds into the first finding', async () => {
    const { detector, delivered, folded } = setup([failedLogins()]);
    await detector.process(burst('10:00'));
    // The window re-armed (10:20 is past 10:00:59 + 5 min): a new fire, but the same incident.
    await detector.process(burst('10:20'));
    expect(delivered).toHaveLength(1);
    expect(folded).toHaveLength(1);
    expect(folded[0]).toMatchObject({ id: delivered[0]?.id, count: 6, lastSeen: '2026-11-02T10:20:59.000Z' });
    // An hour after the first burst began, it pages again.
    await detector.process(burst('11:00'));
    expect(delivered.map((f) => f.firstSeen)).toEqual(['2026-11-02T10:00:00.000Z', '2026-11-02T11:00:00.000Z']);
  });

  it.each([
    { second: '10:09', pages: 1, why: 'inside a 10-minute dedup window' },
    { second: '10:10', pages: 2, why: 'exactly one dedup window later' },
  ])("uses the rule's own dedup window: second burst at $second → $pages page(s) ($why)", async ({ second, pages }) => {
    const { detector, delivered } = setup([failedLogins(600)]);
    await detector.process(burst('10:00'));
    await detector.process(burst(second));
    expect(delivered).toHaveLength(pages);
  });

  it.each([
    { second: '2026-11-02T10:09:59Z', pages: 1 },
    { second: '2026-11-02T10:10:00Z', pages: 2 },
  ])(
    'single-event findings: a repeat at $second after 10:00 with a 10-minute window → $pages',
    async ({ second, pages }) => {
      const { detector, delivered } = setup([stopLogging(600)]);
      await detector.process([stop('2026-11-02T10:00:00Z')]);
      await detector.process([stop(second)]);
      expect(delivered).toHaveLength(pages);
    },
  );
});

describe('which event describes a threshold finding', () => {
  it('the latest event that contributed to the fire, not a later one of the group nor the last in the batch', async () => {
    const { detector, delivered } = setup([failedLogins()]);
    const [a, b, c, after] = [
      failure('2026-11-02T10:00:00Z', '198.51.100.1'),
      failure('2026-11-02T10:01:00Z', '198.51.100.2'),
      failure('2026-11-02T10:02:00Z', '198.51.100.3'),
      failure('2026-11-02T10:03:00Z', '198.51.100.4'),
    ] as [AuditEvent, AuditEvent, AuditEvent, AuditEvent];
    await detector.process([c, a, after, b]);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]?.eventIds).toEqual([a.id, b.id, c.id]);
    expect(delivered[0]?.actor.sourceIp).toBe('198.51.100.3');
  });

  it('of contributing events at the same second, the later record of the batch', async () => {
    const { detector, delivered } = setup([failedLogins()]);
    await detector.process([
      failure('2026-11-02T10:00:00Z', '198.51.100.1'),
      failure('2026-11-02T10:01:00Z', '198.51.100.2'),
      failure('2026-11-02T10:01:00Z', '198.51.100.3'),
    ]);
    expect(delivered[0]?.actor.sourceIp).toBe('198.51.100.3');
  });

  it('when earlier events completed in an earlier batch, this batch’s event describes it, and only it is retried', async () => {
    let fail = true;
    const paged: Finding[] = [];
    const sink: FindingSink = {
      deliver: async (f) => {
        if (fail) throw new Error('SNS unavailable');
        paged.push(f);
      },
      fold: async () => {},
    };
    const { detector } = setup([failedLogins()], sink);
    const early = [failure('2026-11-02T10:00:00Z', '198.51.100.1'), failure('2026-11-02T10:01:00Z', '198.51.100.2')];
    const last = failure('2026-11-02T10:02:00Z', '198.51.100.3');
    await detector.process(early);
    const out = await detector.process([last]);
    expect(out.failures.map((f) => [f.stage, f.eventIds])).toEqual([['sink', [last.id]]]);
    fail = false;
    await detector.process([last]);
    expect(paged.map((f) => [f.actor.sourceIp, f.eventIds])).toEqual([
      ['198.51.100.3', [...early.map((e) => e.id), last.id]],
    ]);
  });
});

describe('late events', () => {
  // Window 5 min; lateness 1 h (the default): a stored event is kept while it trails the group's newest event
  // by at most 65 minutes, so a straggler arriving later can still complete a burst with it.
  it.each([
    { first: '2026-11-02T10:05:00Z', pages: 1, why: 'exactly window + lateness behind the newest event: kept' },
    { first: '2026-11-02T10:04:59Z', pages: 0, why: 'one second further behind: dropped' },
  ])('an early event at $first, then two stragglers → $pages ($why)', async ({ first, pages }) => {
    const { detector, delivered } = setup([failedLogins()]);
    await detector.process([failure('2026-11-02T11:10:00Z')]);
    await detector.process([failure(first)]);
    await detector.process([failure('2026-11-02T10:06:00Z'), failure('2026-11-02T10:07:00Z')]);
    expect(delivered).toHaveLength(pages);
  });

  it('a shorter lateness, when configured, cuts off sooner', async () => {
    const run = async (latenessMs: number) => {
      const { detector, delivered } = setup([failedLogins()], undefined, latenessMs);
      await detector.process([failure('2026-11-02T11:10:00Z')]);
      await detector.process([failure('2026-11-02T10:30:00Z')]);
      await detector.process([failure('2026-11-02T10:31:00Z'), failure('2026-11-02T10:32:00Z')]);
      return delivered.length;
    };
    expect(await run(60 * 60_000)).toBe(1);
    expect(await run(30 * 60_000)).toBe(0);
  });
});

/** "A source never seen for this user": remembers every source address per user name. */
const newSourceRule = (id: string) =>
  defineRule({
    ...TEST_RULE,
    id,
    title: 'Sign-in from a new source',
    severity: 'medium',
    on: { source: 'signin', eventNames: ['ConsoleLogin'] },
    match: (e, ctx) =>
      e.errorMessage === undefined && !(ctx.history?.sightings ?? []).some((s) => s.v === e.sourceIPAddress),
    history: {
      key: (e) => {
        if (e.userIdentity.userName === 'broken') throw new Error('no key for this user');
        return e.userIdentity.userName ?? 'unknown';
      },
      remember: (e) => (e.sourceIPAddress === '192.0.2.99' ? undefined : e.sourceIPAddress),
      retainSeconds: 86_400,
      distinctValues: true,
    },
    dedup: { key: (e) => `${e.userIdentity.userName}|${e.sourceIPAddress}`, windowSeconds: 60 },
  });
const newSource = newSourceRule('test.new-source');
const login = (at: string, userName: string, sourceIPAddress: string) =>
  event({
    eventSource: 'signin.amazonaws.com',
    eventName: 'ConsoleLogin',
    eventTime: at,
    sourceIPAddress,
    userIdentity: { type: 'IAMUser', userName, arn: `arn:aws:iam::111122223333:user/${userName}` },
  });

describe('behaviour memory', () => {
  it('keeps each key’s memory apart: a source one user used is still new for another', async () => {
    const { detector, delivered } = setup([newSource]);
    await detector.process([login('2026-11-02T10:00:00Z', 'alice', '198.51.100.7')]);
    await detector.process([
      login('2026-11-02T11:00:00Z', 'alice', '198.51.100.7'),
      login('2026-11-02T11:00:00Z', 'bob', '198.51.100.7'),
    ]);
    expect(delivered.map((f) => [f.actor.userName, f.firstSeen])).toEqual([
      ['alice', '2026-11-02T10:00:00.000Z'],
      ['bob', '2026-11-02T11:00:00.000Z'],
    ]);
  });

  it('keeps rules’ memories apart, even under the same key', async () => {
    const twin = newSourceRule('test.new-source-twin');
    const { detector, delivered } = setup([newSource, twin]);
    await detector.process([login('2026-11-02T10:00:00Z', 'alice', '198.51.100.7')]);
    expect(delivered.map((f) => f.ruleId).sort()).toEqual(['test.new-source', 'test.new-source-twin']);
  });

  it('remembers nothing for an event the rule chooses not to remember', async () => {
    const { detector, delivered } = setup([newSource]);
    await detector.process([login('2026-11-02T10:00:00Z', 'alice', '192.0.2.99')]);
    await detector.process([login('2026-11-02T11:00:00Z', 'alice', '192.0.2.99')]);
    expect(delivered).toHaveLength(2);
  });

  it('a store that cannot be read skips the rule for those events and names them for retry', async () => {
    const events = [login('2026-11-02T10:00:00Z', 'alice', '198.51.100.7')];
    const delivered: Finding[] = [];
    const detector = createDetector({
      catalogue: buildCatalogue([newSource]),
      config: DEFAULT_DETECTION_CONFIG,
      counters: createMemoryCounterStore(),
      ledger: createMemoryLedger(),
      sink: { deliver: async (f) => void delivered.push(f), fold: async () => {} },
      history: {
        record: async () => {
          throw new Error('ProvisionedThroughputExceededException');
        },
      },
    });
    const out = await detector.process(events);
    expect(delivered).toEqual([]);
    expect(out.failures).toEqual([
      { stage: 'history', eventIds: [events[0]?.id], error: 'ProvisionedThroughputExceededException' },
    ]);
    expect(out.matches).toBe(0);
    expect(out.ruleErrors).toEqual([]);
  });

  it.each([
    ['answers for a key nobody asked about, and not for ours', [{ key: 'stray', ok: false as const, error: 'x' }]],
    ['answers nothing', []],
  ])('a store that %s: the rule is skipped and the events retried, never a crash', async (_why, answer) => {
    const events = [login('2026-11-02T10:00:00Z', 'alice', '198.51.100.7')];
    const detector = createDetector({
      catalogue: buildCatalogue([newSource]),
      config: DEFAULT_DETECTION_CONFIG,
      counters: createMemoryCounterStore(),
      ledger: createMemoryLedger(),
      sink: { deliver: async () => {}, fold: async () => {} },
      history: { record: async () => answer },
    });
    const out = await detector.process(events);
    expect(out.failures).toContainEqual({
      stage: 'history',
      eventIds: [events[0]?.id],
      error: 'no answer from the history store for test.new-source#alice',
    });
    expect(out.matches).toBe(0);
  });

  it('what a rule remembers comes only from what it chose to remember', async () => {
    const firstEver = defineRule({
      ...TEST_RULE,
      id: 'test.first-ever',
      title: 'First sign-in ever',
      severity: 'low',
      on: { source: 'signin', eventNames: ['ConsoleLogin'] },
      match: (_e, ctx) => (ctx.history?.sightings ?? []).length === 0,
      history: {
        key: (e) => e.userIdentity.userName ?? 'unknown',
        remember: (e) => (e.sourceIPAddress === '192.0.2.99' ? undefined : e.sourceIPAddress),
        retainSeconds: 86_400,
      },
      dedup: { key: (e) => e.eventTime, windowSeconds: 1 },
    });
    const { detector, delivered } = setup([firstEver]);
    await detector.process([login('2026-11-02T10:00:00Z', 'alice', '192.0.2.99')]);
    await detector.process([login('2026-11-02T10:30:00Z', 'alice', '192.0.2.99')]);
    await detector.process([login('2026-11-02T11:00:00Z', 'alice', '198.51.100.7')]);
    await detector.process([login('2026-11-02T11:30:00Z', 'alice', '198.51.100.7')]);
    expect(delivered.map((f) => f.firstSeen)).toEqual([
      '2026-11-02T10:00:00.000Z',
      '2026-11-02T10:30:00.000Z',
      '2026-11-02T11:00:00.000Z',
    ]);
  });

  it('a rule whose `remember` throws is a rule error for that event (retried)', async () => {
    const forgetful = defineRule({
      ...TEST_RULE,
      id: 'test.forgetful',
      title: 'Throws while remembering',
      severity: 'low',
      on: { source: 'signin', eventNames: ['ConsoleLogin'] },
      match: () => false,
      history: {
        key: () => 'k',
        remember: () => {
          throw new Error('cannot remember');
        },
        retainSeconds: 60,
      },
    });
    const { detector } = setup([forgetful]);
    const e = login('2026-11-02T10:00:00Z', 'alice', '198.51.100.7');
    const out = await detector.process([e]);
    expect(out.ruleErrors).toEqual([{ ruleId: 'test.forgetful', eventId: e.id, error: 'cannot remember' }]);
  });

  it('a key that throws never reaches the store', async () => {
    const keys: string[] = [];
    const memory = createMemoryHistoryStore();
    const detector = createDetector({
      catalogue: buildCatalogue([newSource]),
      config: DEFAULT_DETECTION_CONFIG,
      counters: createMemoryCounterStore(),
      ledger: createMemoryLedger(),
      sink: { deliver: async () => {}, fold: async () => {} },
      history: {
        record: async (requests) => {
          keys.push(...requests.map((r) => String(r.key)));
          return memory.record(requests);
        },
      },
    });
    await detector.process([
      login('2026-11-02T10:00:00Z', 'broken', '198.51.100.7'),
      login('2026-11-02T10:00:00Z', 'alice', '198.51.100.7'),
    ]);
    expect(keys).toEqual(['test.new-source#alice']);
  });

  it('asks the store nothing when no behaviour rule sees the batch', async () => {
    let calls = 0;
    const detector = createDetector({
      catalogue: buildCatalogue([stopLogging(600)]),
      config: DEFAULT_DETECTION_CONFIG,
      counters: createMemoryCounterStore(),
      ledger: createMemoryLedger(),
      sink: { deliver: async () => {}, fold: async () => {} },
      history: {
        record: async (requests) => {
          calls++;
          return requests.map((r) => ({ key: r.key, ok: true as const, history: { first: null, sightings: [] } }));
        },
      },
    });
    await detector.process([stop('2026-11-02T10:00:00Z')]);
    expect(calls).toBe(0);
  });

  it('a rule whose memory key throws is a rule error for that event (retried), never silently skipped', async () => {
    const { detector, delivered } = setup([newSource]);
    const broken = login('2026-11-02T10:00:00Z', 'broken', '198.51.100.7');
    const fine = login('2026-11-02T10:00:00Z', 'alice', '198.51.100.7');
    const out = await detector.process([broken, fine]);
    expect(out.ruleErrors).toEqual([{ ruleId: 'test.new-source', eventId: broken.id, error: 'no key for this user' }]);
    expect(delivered.map((f) => f.actor.userName)).toEqual(['alice']);
    // Alone in its batch too: never judged without its memory.
    const again = await detector.process([login('2026-11-02T10:01:00Z', 'broken', '198.51.100.8')]);
    expect(again.ruleErrors.map((r) => r.error)).toEqual(['no key for this user']);
    expect(delivered).toHaveLength(1);
  });
});

describe('counters, ledger and sink failures', () => {
  const threeUsers = (users: readonly string[]) =>
    users.flatMap((u) =>
      ['00', '30', '59'].map((s) =>
        event({
          eventSource: 'signin.amazonaws.com',
          eventName: 'ConsoleLogin',
          eventTime: `2026-11-02T10:00:${s}Z`,
          errorMessage: 'Failed authentication',
          userIdentity: { type: 'IAMUser', userName: u, arn: `arn:aws:iam::111122223333:user/${u}` },
        }),
      ),
    );

  it('each group pages on its own: bursts by two users are two findings', async () => {
    const { detector, delivered } = setup([failedLogins()]);
    await detector.process(threeUsers(['alice', 'bob']));
    expect(delivered.map((f) => f.groupKey).sort()).toEqual(['alice', 'bob']);
  });

  it('a counter store that throws fails every counted event, and nothing else', async () => {
    const burstEvents = threeUsers(['alice']);
    const stopEvent = stop('2026-11-02T10:00:00Z');
    const delivered: Finding[] = [];
    const detector = createDetector({
      catalogue: buildCatalogue([failedLogins(), stopLogging(600)]),
      config: DEFAULT_DETECTION_CONFIG,
      counters: {
        observe: async () => {
          throw new Error('counter table unavailable');
        },
      },
      ledger: createMemoryLedger(),
      sink: { deliver: async (f) => void delivered.push(f), fold: async () => {} },
    });
    const out = await detector.process([...burstEvents, stopEvent]);
    expect(out.failures).toEqual([
      {
        stage: 'counter',
        eventIds: burstEvents.map((e) => e.id),
        error: 'counter table unavailable',
        ruleId: 'test.failed-logins',
      },
    ]);
    expect(delivered.map((f) => f.ruleId)).toEqual(['test.stop-logging']);
  });

  it('a counter key that failed fails only its own group; the other group pages', async () => {
    const events = threeUsers(['alice', 'bob']);
    const memory = createMemoryCounterStore();
    const delivered: Finding[] = [];
    const detector = createDetector({
      catalogue: buildCatalogue([failedLogins()]),
      config: DEFAULT_DETECTION_CONFIG,
      counters: {
        observe: async (requests) => {
          const results = await memory.observe(requests.filter((r) => !r.key.includes('#alice#')));
          // A result for a key nobody asked about is ignored.
          return [
            ...results,
            { key: 'test.failed-logins#alice#3/300', ok: false as const, error: 'throttled' },
            { key: 'no-such-key', ok: false as const, error: 'stray' },
          ];
        },
      },
      ledger: createMemoryLedger(),
      sink: { deliver: async (f) => void delivered.push(f), fold: async () => {} },
    });
    const out = await detector.process(events);
    expect(out.failures).toEqual([
      {
        stage: 'counter',
        eventIds: events.slice(0, 3).map((e) => e.id),
        error: 'throttled',
        ruleId: 'test.failed-logins',
      },
    ]);
    expect(delivered.map((f) => f.groupKey)).toEqual(['bob']);
  });

  it('asks the counter store nothing when no threshold rule matched', async () => {
    let calls = 0;
    const detector = createDetector({
      catalogue: buildCatalogue([stopLogging(600)]),
      config: DEFAULT_DETECTION_CONFIG,
      counters: {
        observe: async () => {
          calls++;
          return [];
        },
      },
      ledger: createMemoryLedger(),
      sink: { deliver: async () => {}, fold: async () => {} },
    });
    await detector.process([stop('2026-11-02T10:00:00Z')]);
    expect(calls).toBe(0);
  });

  it('a threshold rule whose grouping throws is a rule error for that event', async () => {
    const fragile = defineRule({
      ...TEST_RULE,
      id: 'test.failed-logins',
      title: 'Failed logins',
      severity: 'high',
      on: { source: 'signin', eventNames: ['ConsoleLogin'] },
      match: (e) => e.errorMessage !== undefined,
      threshold: {
        count: 3,
        windowSeconds: 300,
        groupBy: () => {
          throw new Error('no group');
        },
      },
    });
    const { detector } = setup([fragile]);
    const e = failure('2026-11-02T10:00:00Z');
    const out = await detector.process([e]);
    expect(out.ruleErrors).toEqual([{ ruleId: 'test.failed-logins', eventId: e.id, error: 'no group' }]);
    expect(out.failures).toEqual([]);
  });

  it.each([
    { failing: 'admit', stage: 'ledger' },
    { failing: 'delivered', stage: 'ledger' },
    { failing: 'deliver', stage: 'sink' },
  ] as const)(
    'a failing $failing is reported as stage $stage, against the finding’s event',
    async ({ failing, stage }) => {
      const memory = createMemoryLedger();
      const boom = async () => {
        throw new Error(`${failing} failed`);
      };
      const detector = createDetector({
        catalogue: buildCatalogue([stopLogging(600)]),
        config: DEFAULT_DETECTION_CONFIG,
        counters: createMemoryCounterStore(),
        ledger: {
          ...memory,
          ...(failing === 'admit' ? { admit: boom } : failing === 'delivered' ? { delivered: boom } : {}),
        },
        sink: { deliver: failing === 'deliver' ? boom : async () => {}, fold: async () => {} },
      });
      const e = stop('2026-11-02T10:00:00Z');
      const out = await detector.process([e]);
      expect(out.failures).toEqual([
        {
          stage,
          eventIds: [e.id],
          error: `${failing} failed`,
          ruleId: 'test.stop-logging',
          findingId: expect.stringMatching(/^[0-9a-f]{32}$/),
        },
      ]);
      expect(out.delivered).toEqual([]);
    },
  );

  it('reports what it delivered and folded, as the sink saw it', async () => {
    const { detector, delivered, folded } = setup([stopLogging(600)]);
    const out = await detector.process([stop('2026-11-02T10:00:00Z'), stop('2026-11-02T10:05:00Z')]);
    expect(out.delivered).toEqual(delivered);
    expect(out.folded).toEqual(folded);
    expect([out.delivered.length, out.folded.length]).toEqual([1, 1]);
  });

  it.each([
    ['10:03', '10:09', '10:00', '10:06'],
    ['10:09', '10:06', '10:03', '10:00'],
    ['10:00', '10:09', '10:06', '10:03'],
  ])(
    'the earliest event of a batch pages and later ones fold into it in time order (%s, %s, %s, %s)',
    async (...times) => {
      const { detector, delivered, folded } = setup([stopLogging(600)]);
      await detector.process(times.map((t) => stop(`2026-11-02T${t}:00Z`)));
      expect(delivered.map((f) => f.firstSeen)).toEqual(['2026-11-02T10:00:00.000Z']);
      expect(folded.map((f) => f.lastSeen)).toEqual([
        '2026-11-02T10:03:00.000Z',
        '2026-11-02T10:06:00.000Z',
        '2026-11-02T10:09:00.000Z',
      ]);
    },
  );
});

describe('windowFor', () => {
  it('a rule without a threshold fires on every event', () => {
    expect(windowFor(stopLogging(600), { criticality: 'high', config: DEFAULT_DETECTION_CONFIG })).toEqual({
      count: 1,
      windowSeconds: 0,
    });
  });
});
