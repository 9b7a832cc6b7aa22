import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HistorySpec, Sighting } from '../../../rules/core/history.ts';
import { createOwnedHistoryCache } from '../../../rules/core/history-cache.ts';
import { createMemoryHistoryStore } from '../../../rules/core/memory.ts';
import type { HistoryRequest, HistoryResult, HistoryStore } from '../../../rules/core/ports.ts';

const T0 = Date.parse('2026-11-02T10:00:00Z');
const MIN = 60_000;
const DAY = 1440 * MIN;
const perValue: HistorySpec = { retainMs: 90 * DAY, distinctValues: true, max: 200 };
const perEvent: HistorySpec = { retainMs: 30 * MIN, distinctValues: false, max: 5 };
const seen = (id: string, v: string, minute: number): Sighting => ({
  id,
  v,
  t: T0 + minute * MIN,
  last: T0 + minute * MIN,
});
const OWN = 'replay|r1|';
const owns = (key: string) => key.startsWith(OWN);

/** A store that records every key it was asked for, and can be told to fail a key or a whole call once. */
const spied = (inner: HistoryStore = createMemoryHistoryStore()) => {
  const asked: string[][] = [];
  const failKey = new Set<string>();
  let throwOnce = false;
  const store: HistoryStore = {
    record: async (requests) => {
      asked.push(requests.map((r) => r.key));
      if (throwOnce) {
        throwOnce = false;
        throw new Error('store down');
      }
      const results = await inner.record(requests.filter((r) => !failKey.has(r.key)));
      const failed: HistoryResult[] = requests
        .filter((r) => failKey.has(r.key))
        .map((r) => ({ key: r.key, ok: false, error: 'throttled' }));
      failKey.clear();
      return [...results, ...failed];
    },
  };
  return { store, asked, failKey, throwNext: () => (throwOnce = true) };
};

const byKey = (results: readonly HistoryResult[]) =>
  Object.fromEntries(results.map((r) => [r.key, r.ok ? r.history : r.error]));

describe('createOwnedHistoryCache', () => {
  it('answers a batch that adds nothing from memory, and asks the store for what changes', async () => {
    const spy = spied();
    const cache = createOwnedHistoryCache(spy.store, { owns });
    const a = `${OWN}rule#alice`;
    const b = `${OWN}rule#bob`;
    await cache.record([
      { key: a, spec: perValue, sightings: [seen('e1', 'secret-1', 0)] },
      { key: b, spec: perValue, sightings: [seen('e2', 'secret-9', 0)] },
    ]);
    // Alice reads the same secret again a minute later: distinct mode moves `last` only after ~a day, no change.
    const again = await cache.record([
      { key: a, spec: perValue, sightings: [seen('e3', 'secret-1', 1)] },
      { key: b, spec: perValue, sightings: [seen('e4', 'secret-10', 1)] },
    ]);
    expect(spy.asked).toEqual([[a, b], [b]]);
    expect(byKey(again)[a]).toEqual({ first: T0, sightings: [seen('e1', 'secret-1', 0)] });
    expect((byKey(again)[b] as { readonly sightings: readonly Sighting[] }).sightings.map((s) => s.v)).toEqual([
      'secret-9',
      'secret-10',
    ]);
    // Redelivered: nothing new anywhere, the store is not asked.
    await cache.record([{ key: b, spec: perValue, sightings: [seen('e4', 'secret-10', 1)] }]);
    expect(spy.asked).toHaveLength(2);
  });

  it('always asks the store for keys it does not own (other writers share them)', async () => {
    const spy = spied();
    const cache = createOwnedHistoryCache(spy.store, { owns });
    const live = 'rule#alice';
    for (let i = 0; i < 3; i++) await cache.record([{ key: live, spec: perValue, sightings: [] }]);
    expect(spy.asked).toEqual([[live], [live], [live]]);
  });

  it('forgets a key the store failed, and every key of a call that threw, so they are read again', async () => {
    const spy = spied();
    const cache = createOwnedHistoryCache(spy.store, { owns });
    const a = `${OWN}rule#a`;
    const b = `${OWN}rule#b`;
    const both = (n: number): HistoryRequest[] => [
      { key: a, spec: perValue, sightings: [seen(`a${n}`, 'x', 0)] },
      { key: b, spec: perValue, sightings: [seen(`b${n}`, 'y', 0)] },
    ];
    await cache.record(both(1));
    spy.failKey.add(a);
    // A new value for both: both asked, a fails.
    await cache.record([
      { key: a, spec: perValue, sightings: [seen('a2', 'new', 0)] },
      { key: b, spec: perValue, sightings: [seen('b2', 'new', 0)] },
    ]);
    // Nothing new: b is answered from memory, a (whose outcome is unknown) is read again.
    await cache.record(both(1));
    expect(spy.asked.slice(1)).toEqual([[a, b], [a]]);

    spy.throwNext();
    await expect(cache.record([{ key: b, spec: perValue, sightings: [seen('b3', 'newer', 0)] }])).rejects.toThrow(
      'store down',
    );
    await cache.record(both(1));
    expect(spy.asked.slice(3)).toEqual([[b], [b]]);
  });

  it('holds at most maxSightings (plus one a key), dropping the least recently used key first', async () => {
    const spy = spied();
    const cache = createOwnedHistoryCache(spy.store, { owns, maxSightings: 4 });
    const k = (n: number) => `${OWN}rule#${n}`;
    const one = (n: number): HistoryRequest => ({ key: k(n), spec: perValue, sightings: [seen(`e${n}`, 'v', 0)] });
    await cache.record([one(1)]);
    await cache.record([one(2)]); // 2 keys × (1 sighting + 1) = 4: both held
    await cache.record([one(1)]); // from memory; 1 is now the most recently used
    await cache.record([one(3)]); // 6 > 4: 2 is dropped
    await cache.record([one(1), one(2), one(3)]);
    expect(spy.asked).toEqual([[k(1)], [k(2)], [k(3)], [k(2)]]);
  });

  it('runs calls one after another, so an answer from memory never races a write of the same key', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const inner = createMemoryHistoryStore();
    const order: string[] = [];
    const slow: HistoryStore = {
      record: async (requests) => {
        order.push(`start ${requests.length}`);
        if (order.length === 1) await gate;
        order.push(`end ${requests.length}`);
        return inner.record(requests);
      },
    };
    const cache = createOwnedHistoryCache(slow, { owns });
    const key = `${OWN}rule#a`;
    const first = cache.record([{ key, spec: perValue, sightings: [seen('e1', 'x', 0)] }]);
    const second = cache.record([{ key, spec: perValue, sightings: [seen('e2', 'y', 0)] }]);
    await new Promise((r) => setTimeout(r, 10));
    expect(order).toEqual(['start 1']);
    release();
    const [, after] = await Promise.all([first, second]);
    expect(order).toEqual(['start 1', 'end 1', 'start 1', 'end 1']);
    expect(after.map((r) => (r.ok ? r.history.sightings.map((s) => s.v) : []))).toEqual([['x', 'y']]);
  });

  it('answers exactly what the store alone answers, whatever the batches (owned and shared keys, both modes)', async () => {
    const keys = [`${OWN}r#a`, `${OWN}r#b`, 'r#live', `${OWN}e#a`];
    const specOf = (key: string) => (key.includes('e#') ? perEvent : perValue);
    const sighting = fc.record({
      id: fc.integer({ min: 0, max: 30 }).map((n) => `e${n}`),
      v: fc.constantFrom('s1', 's2', 's3', 's4'),
      minute: fc.integer({ min: 0, max: 200 * 1440 }),
    });
    const batch = fc.array(
      fc.record({ key: fc.constantFrom(...keys), sightings: fc.array(sighting, { maxLength: 4 }) }),
      { maxLength: 4 },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(batch, { maxLength: 12 }), fc.integer({ min: 1, max: 12 }), async (batches, cap) => {
        const plain = createMemoryHistoryStore();
        const cached = createOwnedHistoryCache(createMemoryHistoryStore(), { owns, maxSightings: cap });
        for (const b of batches) {
          // One request per key and batch, as the detector sends them.
          const merged = new Map<string, Sighting[]>();
          for (const r of b) {
            merged.set(r.key, [...(merged.get(r.key) ?? []), ...r.sightings.map((s) => seen(s.id, s.v, s.minute))]);
          }
          const requests = [...merged].map(([key, sightings]) => ({ key, spec: specOf(key), sightings }));
          expect(byKey(await cached.record(requests))).toEqual(byKey(await plain.record(requests)));
        }
      }),
      { numRuns: 300 },
    );
  });
});
