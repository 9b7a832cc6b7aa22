import { describe, expect, it } from 'vitest';
import type { CloudTrailRecord } from '../../../rules/core/cloudtrail.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../../rules/core/config.ts';
import { defineRule } from '../../../rules/core/define-rule.ts';
import { createDetector } from '../../../rules/core/detector.ts';
import { buildCatalogue } from '../../../rules/core/engine.ts';
import { fromRecord } from '../../../rules/core/events.ts';
import type { Finding } from '../../../rules/core/finding.ts';
import type { History, HistorySpec, Sighting } from '../../../rules/core/history.ts';
import {
  EMPTY_HISTORY,
  isNewAfterLearning,
  learnedFor,
  recordSightings,
  viewBefore,
} from '../../../rules/core/history.ts';
import { createMemoryCounterStore, createMemoryHistoryStore, createMemoryLedger } from '../../../rules/core/memory.ts';
import type { HistoryStore } from '../../../rules/core/ports.ts';
import type { AuditEvent } from '../../../rules/core/types.ts';

const T0 = Date.parse('2026-11-02T10:00:00Z');
const MIN = 60_000;

describe('recordSightings / viewBefore', () => {
  const spec: HistorySpec = { retainMs: 60 * MIN, distinctValues: false, max: 3 };
  const s = (id: string, minute: number): Sighting => ({ id, v: 'x', t: T0 + minute * MIN, last: T0 + minute * MIN });

  it('is independent of arrival order and of repeats', () => {
    const all = [s('a', 0), s('b', 5), s('c', 9)];
    const oneGo = recordSightings({ first: null, sightings: [] }, all, spec);
    const batches: Sighting[][] = [[s('c', 9)], [s('a', 0), s('c', 9)], [s('b', 5), s('a', 0)]];
    const shuffled = batches.reduce<History>((h, batch) => recordSightings(h, batch, spec), EMPTY_HISTORY);
    expect(shuffled).toEqual(oneGo);
  });

  it('in distinct mode, re-seeing a value soon after changes nothing, so the store need not write', () => {
    const DAY = 86_400_000;
    const sources: HistorySpec = { retainMs: 90 * DAY, distinctValues: true, max: 200 };
    const seenAt = (id: string, at: number): Sighting => ({ id, v: '192.0.2.10', t: at, last: at });
    const h = recordSightings(EMPTY_HISTORY, [seenAt('a', T0)], sources);
    expect(recordSightings(h, [seenAt('b', T0 + 3_600_000)], sources)).toEqual(h);
    const dayLater = recordSightings(h, [seenAt('c', T0 + DAY)], sources);
    expect(dayLater.sightings).toEqual([{ id: 'a', v: '192.0.2.10', t: T0, last: T0 + DAY }]);
  });

  it('keeps the newest `max` sightings', () => {
    const h = recordSightings({ first: null, sightings: [] }, [s('a', 0), s('b', 1), s('c', 2), s('d', 3)], spec);
    expect(h.sightings.map((x) => x.id)).toEqual(['b', 'c', 'd']);
    expect(h.first).toBe(T0);
  });

  it('shows an event only what came strictly before it, never itself', () => {
    const h = recordSightings({ first: null, sightings: [] }, [s('a', 0), s('b', 5)], spec);
    expect(viewBefore(h, { id: 'b', timeMs: T0 + 5 * MIN }).sightings.map((x) => x.id)).toEqual(['a']);
    expect(viewBefore(h, { id: 'a', timeMs: T0 })).toEqual({ first: null, sightings: [] });
  });
});

/** A behaviour rule: a successful login after at least 2 failures in the 10 minutes before it. */
const successAfterFailures = defineRule({
  id: 'test.success-after-failures',
  title: 'Success after failures',
  severity: 'critical',
  controls: ['A.8.5'],
  mitre: ['T1110'],
  on: { source: 'signin', eventNames: ['ConsoleLogin'] },
  history: {
    key: (e) => e.userIdentity.userName ?? 'unknown',
    remember: (e) => (e.errorMessage === undefined ? undefined : 'failure'),
    retainSeconds: 3600,
  },
  match: (e, ctx) =>
    e.errorMessage === undefined &&
    (ctx.history?.sightings.filter((s) => s.t >= Date.parse(e.eventTime) - 10 * MIN).length ?? 0) >= 2,
});

let seq = 0;
const login = (minute: number, ok: boolean): AuditEvent => {
  const record: CloudTrailRecord = {
    eventTime: new Date(T0 + minute * MIN).toISOString(),
    eventID: `evt-${++seq}`,
    eventSource: 'signin.amazonaws.com',
    eventName: 'ConsoleLogin',
    awsRegion: 'us-east-1',
    recipientAccountId: '111122223333',
    userIdentity: { type: 'IAMUser', userName: 'alice', arn: 'arn:aws:iam::111122223333:user/alice' },
    ...(ok ? {} : { errorMessage: 'Failed authentication' }),
  };
  const parsed = fromRecord(record);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.event;
};

const setup = (history: HistoryStore = createMemoryHistoryStore()) => {
  const delivered: Finding[] = [];
  const detector = createDetector({
    catalogue: buildCatalogue([successAfterFailures]),
    config: DEFAULT_DETECTION_CONFIG,
    counters: createMemoryCounterStore(),
    ledger: createMemoryLedger(),
    history,
    sink: { deliver: async (f) => void delivered.push(f), fold: async () => {} },
  });
  return { detector, delivered };
};

describe('learnedFor / isNewAfterLearning', () => {
  const DAY = 1440 * MIN;
  const known = (first: number | null, values: readonly string[] = []) => ({
    first,
    sightings: values.map((v, i) => ({ id: `s${i}`, v, t: T0 - DAY, last: T0 - DAY })),
  });
  it.each([
    ['no memory', undefined, false],
    ['a memory with no first sighting', known(null), false],
    ['first seen a millisecond short of 7 days', known(T0 - 7 * DAY + 1), false],
    ['first seen exactly 7 days before', known(T0 - 7 * DAY), true],
    ['first seen 30 days before', known(T0 - 30 * DAY), true],
  ])('%s: learned %s', (_name, h, learned) => {
    expect(learnedFor(h, T0, 7)).toBe(learned);
    // Novelty needs learning first: an unseen value is new exactly when the key has been learnt.
    expect(isNewAfterLearning('unseen', T0, h, 7)).toBe(learned);
  });
  it('a remembered value is never new; another one is', () => {
    const h = known(T0 - 30 * DAY, ['192.0.2.10', '192.0.2.11']);
    expect(isNewAfterLearning('192.0.2.11', T0, h, 7)).toBe(false);
    expect(isNewAfterLearning('192.0.2.12', T0, h, 7)).toBe(true);
  });
});

describe('detector with behaviour history', () => {
  it('fires on success after failures, across batches', async () => {
    const { detector, delivered } = setup();
    await detector.process([login(0, false)]);
    await detector.process([login(1, false)]);
    await detector.process([login(2, true)]);
    expect(delivered.map((f) => f.ruleId)).toEqual(['test.success-after-failures']);
  });

  it('gives the same answer whatever the order inside a batch', async () => {
    const { detector, delivered } = setup();
    await detector.process([login(5, true), login(4, false), login(3, false)]);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]?.firstSeen).toBe('2026-11-02T10:05:00.000Z');
  });

  it('does not fire when the failures come after the success, or are too old', async () => {
    const { detector, delivered } = setup();
    await detector.process([login(0, true), login(1, false), login(2, false)]);
    await detector.process([login(30, false), login(31, false), login(45, true)]);
    expect(delivered).toEqual([]);
  });

  it('a store failure fails those events for retry and skips the rule; the retry decides', async () => {
    const memory = createMemoryHistoryStore();
    let down = true;
    const flaky: HistoryStore = {
      record: async (requests) =>
        down
          ? requests.map((r) => ({ key: r.key, ok: false as const, error: 'ThrottlingException' }))
          : memory.record(requests),
    };
    const { detector, delivered } = setup(flaky);
    const batch = [login(0, false), login(1, false), login(2, true)];
    const outcome = await detector.process(batch);
    expect(outcome.failures).toEqual([
      { stage: 'history', eventIds: batch.map((e) => e.id), error: 'ThrottlingException' },
    ]);
    expect(delivered).toEqual([]);
    down = false;
    expect((await detector.process(batch)).failures).toEqual([]);
    await detector.process(batch);
    expect(delivered).toHaveLength(1);
  });
});
