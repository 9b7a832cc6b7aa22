import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../rules/core/finding.ts';
import type { OpenSilence } from '../../../rules/core/health.ts';
import { DEFAULT_INCIDENT_CONFIG } from '../../../rules/core/incident.ts';
import {
  createMemoryCounterStore,
  createMemoryExpectationStore,
  createMemoryHeartbeatStore,
  createMemoryHistoryStore,
  createMemoryIncidentStore,
  createMemoryLedger,
} from '../../../rules/core/memory.ts';
import { sampleFinding } from '../../functions/support.ts';

/**
 * The in-memory adapters (rules/core/memory.ts) the CLI runs on: each must keep the semantics its DynamoDB twin
 * promises, or `trailwarden scan` and the Lambda disagree on what pages.
 */
const T0 = Date.parse('2026-11-02T10:00:00Z');
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
const finding = (id: string, at: number, eventIds: readonly string[] = [`e-${id}`], extra: Partial<Finding> = {}) =>
  sampleFinding({
    id: id.padEnd(32, '0'),
    eventIds,
    firstSeen: iso(at),
    lastSeen: iso(at),
    count: eventIds.length,
    ...extra,
  });

describe('createMemoryCounterStore', () => {
  const params = { count: 2, windowMs: 10 * MIN, horizonMs: 20 * MIN };

  it('fires at the count, answers per key, and keeps only keys with state', async () => {
    const store = createMemoryCounterStore();
    const [first] = await store.observe([{ key: 'k', params, events: [{ id: 'a', t: T0 }] }]);
    expect(first).toEqual({ key: 'k', ok: true, fires: [] });
    expect(store.size()).toBe(1);
    const [second] = await store.observe([{ key: 'k', params, events: [{ id: 'b', t: T0 + MIN }] }]);
    expect(second?.ok && second.fires.length).toBe(1);
    await store.observe([{ key: 'empty', params, events: [] }]);
    expect(store.size()).toBe(1);
  });

  it('keeps a fired burst (its claim, nothing pending): a redelivery replays that fire, more events fold into it', async () => {
    const store = createMemoryCounterStore();
    const burst = [
      { id: 'a', t: T0 },
      { id: 'b', t: T0 + MIN },
    ];
    const [fired] = await store.observe([{ key: 'k', params, events: burst }]);
    const fire = { at: T0 + MIN, start: T0, ids: ['a', 'b'], replay: false };
    expect(fired).toEqual({ key: 'k', ok: true, fires: [fire] });
    // Both events went into the fire: only its claim is left, and it must be kept.
    expect(store.size()).toBe(1);
    const [redelivered] = await store.observe([{ key: 'k', params, events: burst }]);
    expect(redelivered).toEqual({ key: 'k', ok: true, fires: [{ ...fire, replay: true }] });
    const more = [
      { id: 'c', t: T0 + 2 * MIN },
      { id: 'd', t: T0 + 3 * MIN },
    ];
    const [inside] = await store.observe([{ key: 'k', params, events: more }]);
    expect(inside).toEqual({ key: 'k', ok: true, fires: [] });
  });
});

describe('createMemoryLedger', () => {
  const WINDOW = 60 * MIN;

  it('delivers a first finding, and again the stored one until it is marked delivered', async () => {
    const ledger = createMemoryLedger();
    const f = finding('a', T0);
    expect(await ledger.admit(f, 'key', WINDOW)).toEqual({ kind: 'deliver', finding: f });
    const retry = finding('a', T0, ['e-a', 'e-other']);
    expect(await ledger.admit(retry, 'key', WINDOW)).toEqual({ kind: 'deliver', finding: f });
  });

  it('after delivery, the same finding again is a duplicate that folds in its new events', async () => {
    const ledger = createMemoryLedger();
    const f = finding('a', T0);
    await ledger.admit(f, 'key', WINDOW);
    await ledger.delivered(f, 'key');
    const again = await ledger.admit(finding('a', T0, ['e-a', 'e-2']), 'key', WINDOW);
    expect(again.kind).toBe('duplicate');
    expect(again.finding.eventIds).toEqual(['e-a', 'e-2']);
    expect(again.finding.count).toBe(2);
    const third = await ledger.admit(finding('a', T0, ['e-3']), 'key', WINDOW);
    expect(third.finding.eventIds).toEqual(['e-a', 'e-2', 'e-3']);
  });

  it('folds another finding less than a window after the first, and opens a new one from a window on', async () => {
    const ledger = createMemoryLedger();
    await ledger.admit(finding('a', T0), 'key', WINDOW);
    const next = await ledger.admit(finding('b', T0 + WINDOW - 1), 'key', WINDOW);
    expect(next).toMatchObject({ kind: 'fold', finding: { id: 'a'.padEnd(32, '0'), count: 2 } });
    const fresh = finding('c', T0 + WINDOW);
    expect(await ledger.admit(fresh, 'key', WINDOW)).toEqual({ kind: 'deliver', finding: fresh });
  });

  it('measures the window either side: an earlier-dated finding folds too, moving firstSeen back', async () => {
    const ledger = createMemoryLedger();
    await ledger.admit(finding('a', T0), 'key', WINDOW);
    const before = await ledger.admit(finding('b', T0 - WINDOW + 1), 'key', WINDOW);
    expect(before).toMatchObject({ kind: 'fold', finding: { firstSeen: iso(T0 - WINDOW + 1), count: 2 } });
    const other = createMemoryLedger();
    await other.admit(finding('a', T0), 'key', WINDOW);
    expect((await other.admit(finding('b', T0 - WINDOW), 'key', WINDOW)).kind).toBe('deliver');
  });

  it('keys are independent', async () => {
    const ledger = createMemoryLedger();
    await ledger.admit(finding('a', T0), 'one', WINDOW);
    const other = finding('b', T0);
    expect(await ledger.admit(other, 'two', WINDOW)).toEqual({ kind: 'deliver', finding: other });
  });

  it('a delivered incident id is carried by later repeats; a delivery of another finding changes nothing', async () => {
    const ledger = createMemoryLedger();
    const f = finding('a', T0);
    await ledger.admit(f, 'key', WINDOW);
    await ledger.delivered(finding('z', T0), 'key');
    expect((await ledger.admit(f, 'key', WINDOW)).kind).toBe('deliver');
    await ledger.delivered({ ...f, incidentId: 'inc-1' }, 'key');
    const folded = await ledger.admit(finding('b', T0 + MIN), 'key', WINDOW);
    expect(folded).toMatchObject({ kind: 'fold', finding: { incidentId: 'inc-1' } });
    await ledger.delivered(f, 'missing-key');
    await expect(ledger.release(f, 'key')).resolves.toBeUndefined();
  });

  it('a delivery without an incident keeps the finding as it was', async () => {
    const ledger = createMemoryLedger();
    const f = finding('a', T0);
    await ledger.admit(f, 'key', WINDOW);
    await ledger.delivered(f, 'key');
    const dup = await ledger.admit(f, 'key', WINDOW);
    expect(dup).toEqual({ kind: 'duplicate', finding: f });
    expect('incidentId' in dup.finding).toBe(false);
  });
});

describe('createMemoryHistoryStore', () => {
  it('merges each batch into what the key remembered', async () => {
    const store = createMemoryHistoryStore();
    const spec = { retainMs: 60 * MIN, distinctValues: false, max: 10 };
    await store.record([{ key: 'k', spec, sightings: [{ id: 'a', v: 'x', t: T0, last: T0 }] }]);
    const [result] = await store.record([
      { key: 'k', spec, sightings: [{ id: 'b', v: 'y', t: T0 + MIN, last: T0 + MIN }] },
    ]);
    expect(result).toEqual({
      key: 'k',
      ok: true,
      history: {
        first: T0,
        sightings: [
          { id: 'a', v: 'x', t: T0, last: T0 },
          { id: 'b', v: 'y', t: T0 + MIN, last: T0 + MIN },
        ],
      },
    });
  });
});

describe('createMemoryExpectationStore', () => {
  it('remembers when each account/region was first expected, never moving it', async () => {
    const store = createMemoryExpectationStore();
    const first = await store.firstExpected([{ account: '111122223333', region: 'us-east-1' }], T0);
    expect([...first]).toEqual([['111122223333/us-east-1', T0]]);
    const later = await store.firstExpected(
      [
        { account: '111122223333', region: 'us-east-1' },
        { account: '111122223333', region: 'eu-west-1' },
      ],
      T0 + MIN,
    );
    expect([...later]).toEqual([
      ['111122223333/us-east-1', T0],
      ['111122223333/eu-west-1', T0 + MIN],
    ]);
  });
});

describe('createMemoryHeartbeatStore', () => {
  const silence = (lastEventMs: number, findingId = 'silence-1'): OpenSilence => ({
    findingId,
    lastEventMs,
    finding: finding('s', lastEventMs),
  });

  it('only moves a heartbeat forward, per account and region', async () => {
    const store = createMemoryHeartbeatStore();
    await store.advance([
      { account: 'A', region: 'r1', timeMs: T0 },
      { account: 'A', region: 'r2', timeMs: T0 + 5 },
    ]);
    await store.advance([
      { account: 'A', region: 'r1', timeMs: T0 - 1 },
      { account: 'A', region: 'r2', timeMs: T0 + 6 },
    ]);
    expect(await store.list()).toEqual([
      { account: 'A', region: 'r1', lastEventMs: T0 },
      { account: 'A', region: 'r2', lastEventMs: T0 + 6 },
    ]);
  });

  it('marks a silence only on the heartbeat it was judged on, and clears only that silence', async () => {
    const store = createMemoryHeartbeatStore();
    expect(await store.markSilent('A', 'r1', silence(T0))).toBe(false);
    await store.advance([{ account: 'A', region: 'r1', timeMs: T0 }]);
    expect(await store.markSilent('A', 'r1', silence(T0 - 1))).toBe(false);
    expect(await store.markSilent('A', 'r1', silence(T0))).toBe(true);
    expect((await store.list())[0]?.silence?.findingId).toBe('silence-1');
    expect(await store.clearSilence('A', 'r1', 'another')).toBe(false);
    expect(await store.clearSilence('B', 'r1', 'silence-1')).toBe(false);
    expect(await store.clearSilence('A', 'r1', 'silence-1')).toBe(true);
    expect(await store.list()).toEqual([{ account: 'A', region: 'r1', lastEventMs: T0 }]);
    expect(await store.clearSilence('A', 'r1', 'silence-1')).toBe(false);
  });

  it('keeps an open silence when the heartbeat moves on (the health function resolves it)', async () => {
    const store = createMemoryHeartbeatStore();
    await store.advance([{ account: 'A', region: 'r1', timeMs: T0 }]);
    await store.markSilent('A', 'r1', silence(T0));
    await store.advance([{ account: 'A', region: 'r1', timeMs: T0 + MIN }]);
    expect(await store.list()).toEqual([{ account: 'A', region: 'r1', lastEventMs: T0 + MIN, silence: silence(T0) }]);
  });
});

describe('createMemoryIncidentStore', () => {
  it('correlates per scope, counting a write only when a scope changed', async () => {
    const store = createMemoryIncidentStore();
    const a = finding('a', T0);
    const b = finding('b', T0 + MIN);
    const other = finding('c', T0, ['e-c'], {
      actor: { arn: 'arn:aws:iam::111122223333:user/eve', type: 'IAMUser', userName: 'eve' },
    });
    const results = await store.correlate([a, b, other], DEFAULT_INCIDENT_CONFIG);
    expect(results.map((r) => r.ok && [r.findingId, r.kind])).toEqual([
      [a.id, 'page'],
      [b.id, 'update'],
      [other.id, 'page'],
    ]);
    const [ra, rb, rc] = results;
    expect(ra?.ok && rb?.ok && ra.incident.id === rb.incident.id).toBe(true);
    expect(ra?.ok && rc?.ok && ra.incident.id !== rc.incident.id).toBe(true);
    expect(store.writes()).toBe(2);
    await store.correlate([a], DEFAULT_INCIDENT_CONFIG);
    expect(store.writes()).toBe(2);
  });
});
