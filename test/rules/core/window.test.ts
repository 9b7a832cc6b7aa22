import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Fire, WindowEvent, WindowParams, WindowState } from '../../../rules/core/window.ts';
import { applyWindow, EMPTY_WINDOW, MAX_PENDING } from '../../../rules/core/window.ts';

const T = 300_000;
const params = (count: number, windowMs = T, horizonMs = Number.MAX_SAFE_INTEGER): WindowParams => ({
  count,
  windowMs,
  horizonMs,
});
const ev = (id: string, t: number, d?: string): WindowEvent => (d === undefined ? { id, t } : { id, t, d });

/** Feed events batch by batch, as the CLI and the Lambda do. */
const run = (batches: readonly (readonly WindowEvent[])[], p: WindowParams, start: WindowState = EMPTY_WINDOW) => {
  let state = start;
  const fires: Fire[] = [];
  for (const batch of batches) {
    const out = applyWindow(state, batch, p);
    state = out.state;
    fires.push(...out.fires);
  }
  return { state, fires, fresh: fires.filter((f) => !f.replay) };
};

/**
 * Brute-force oracle for in-order semantics: walk events by time; fire at the first event that closes a
 * window of `count` distinct un-consumed events spanning less than the window; then nothing before
 * fire + window counts (re-arm).
 */
const oracle = (events: readonly WindowEvent[], count: number, windowMs: number) => {
  const unique = [...new Map(events.map((e) => [e.id, e])).values()].sort(
    (a, b) => a.t - b.t || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  const fires: { at: number; start: number; ids: string[] }[] = [];
  let rearm = Number.NEGATIVE_INFINITY;
  unique.forEach((current, k) => {
    if (current.t < rearm) return;
    const window = unique.slice(0, k + 1).filter((e) => e.t >= rearm && current.t - e.t < windowMs);
    if (new Set(window.map((e) => e.d ?? e.id)).size < count) return;
    fires.push({ at: current.t, start: window[0]?.t ?? current.t, ids: window.map((e) => e.id) });
    rearm = current.t + windowMs;
  });
  return fires;
};

const strip = (fires: readonly Fire[]) => fires.map(({ at, start, ids }) => ({ at, start, ids: [...ids] }));

describe('applyWindow: threshold edges', () => {
  it.each([
    { n: 2, fires: 0 },
    { n: 3, fires: 1 },
    { n: 4, fires: 1 },
  ])('$n events inside the window with count 3 → $fires fire(s)', ({ n, fires }) => {
    const events = Array.from({ length: n }, (_, i) => ev(`e${i}`, 1_000 + i * 10_000));
    expect(run([events], params(3)).fresh).toHaveLength(fires);
  });

  it.each([
    { span: T - 1, fires: 1, why: 'last event 1 ms inside the window' },
    { span: T, fires: 0, why: 'window is half-open: exactly T apart is two windows' },
    { span: T + 1, fires: 0, why: 'just outside' },
  ])('span $span ms → $fires ($why)', ({ span, fires }) => {
    expect(run([[ev('a', 0), ev('b', span / 2), ev('c', span)]], params(3)).fresh).toHaveLength(fires);
  });

  it('fires once per burst, however long the burst within the window', () => {
    const burst = Array.from({ length: 50 }, (_, i) => ev(`b${i}`, i * 1_000));
    const { fresh } = run([burst], params(3));
    expect(fresh).toHaveLength(1);
    expect(fresh[0]).toMatchObject({ at: 2_000, start: 0, ids: ['b0', 'b1', 'b2'] });
  });

  it('re-arms exactly one window after the fire', () => {
    const first = [ev('a', 0), ev('b', 1), ev('c', 2)];
    const stillClaimed = [ev('d', 2 + T - 1), ev('e', 2 + T - 1), ev('f', 2 + T - 1)];
    const rearmed = [ev('g', 2 + T), ev('h', 2 + T + 1), ev('i', 2 + T + 2)];
    expect(run([first, stillClaimed], params(3)).fresh).toHaveLength(1);
    expect(run([first, rearmed], params(3)).fresh).toHaveLength(2);
  });

  it('catches a burst that straddles a fixed-period boundary (where anchored windows miss it)', () => {
    // Two events at the end of one 5-minute period and two at the start of the next.
    const events = [ev('a', T - 20_000), ev('b', T - 10_000), ev('c', T + 10_000), ev('d', T + 20_000)];
    expect(run([events], params(4)).fresh).toHaveLength(1);
  });

  it('a late event that completes a window fires, dated by its window', () => {
    const { fresh } = run([[ev('b', 60_000), ev('c', 120_000)], [ev('a', 10_000)]], params(3));
    expect(strip(fresh)).toEqual([{ at: 120_000, start: 10_000, ids: ['a', 'b', 'c'] }]);
  });

  it('a repeated eventID never counts twice', () => {
    const { fresh } = run(
      [
        [ev('a', 0), ev('a', 0)],
        [ev('a', 0), ev('b', 1)],
      ],
      params(3),
    );
    expect(fresh).toHaveLength(0);
  });

  it('redelivering an event that contributed to a fire replays that fire (so a failed page is retried)', () => {
    const first = run([[ev('a', 0), ev('b', 1), ev('c', 2)]], params(3));
    const again = run([[ev('b', 1)]], params(3), first.state);
    expect(again.fresh).toHaveLength(0);
    expect(strip(again.fires)).toEqual(strip(first.fires));
    expect(again.fires[0]?.replay).toBe(true);
  });

  it('counts distinct values when asked (password spraying: distinct users per IP)', () => {
    const sameUser = [ev('1', 0, 'alice'), ev('2', 1, 'alice'), ev('3', 2, 'alice')];
    const threeUsers = [ev('4', 3, 'alice'), ev('5', 4, 'bob'), ev('6', 5, 'carol')];
    expect(run([sameUser], params(3)).fresh).toHaveLength(0);
    expect(run([[...sameUser, ...threeUsers]], params(3)).fresh).toHaveLength(1);
  });

  it('prunes state behind the horizon and bounds stored events', () => {
    const p = params(3, T, 2 * T);
    const { state } = run([[ev('old', 0)], [ev('new', 10 * T)]], p);
    expect(state.pending.map((e) => e.id)).toEqual(['new']);
    const flood = Array.from({ length: MAX_PENDING + 500 }, (_, i) => ev(`f${i}`, i * T));
    expect(run([flood], params(3)).state.pending.length).toBe(MAX_PENDING);
  });
});

describe('applyWindow: edges of distinct counts, claims and lateness', () => {
  it.each([
    {
      why: 'a value seen twice stays counted while its later sighting is inside the window',
      events: [ev('1', 0, 'alice'), ev('2', 200_000, 'bob'), ev('3', 250_000, 'alice'), ev('4', 320_000, 'carol')],
      fires: [{ at: 320_000, start: 200_000, ids: ['2', '3', '4'] }],
    },
    {
      why: 'a value whose only sighting slid out no longer counts',
      events: [ev('1', 0, 'alice'), ev('2', 100_000, 'bob'), ev('3', 320_000, 'carol')],
      fires: [],
    },
    {
      why: 'one value many times is one value, however many events',
      events: [ev('1', 0, 'alice'), ev('2', 1, 'alice'), ev('3', 2, 'bob'), ev('4', 3, 'bob')],
      fires: [],
    },
    {
      why: 'a value that slid out counts again when seen again',
      events: [ev('1', 0, 'alice'), ev('2', 100_000, 'bob'), ev('3', 320_000, 'carol'), ev('4', 330_000, 'alice')],
      fires: [{ at: 330_000, start: 100_000, ids: ['2', '3', '4'] }],
    },
  ])('distinct, count 3: $why', ({ events, fires }) => {
    expect(strip(run([events], params(3)).fresh)).toEqual(fires);
  });

  it.each([
    { label: 'in one batch', split: false },
    { label: 'across batches', split: true },
  ])('an event exactly one window after a fire starts the next burst ($label)', ({ split }) => {
    const first = [ev('a', 0), ev('b', 1), ev('c', 2)];
    const next = [ev('g', 2 + T), ev('h', 2 + T + 1), ev('i', 2 + T + 2)];
    const { fresh } = run(split ? [first, next] : [[...first, ...next]], params(3));
    expect(strip(fresh)).toEqual([
      { at: 2, start: 0, ids: ['a', 'b', 'c'] },
      { at: 2 + T + 2, start: 2 + T, ids: ['g', 'h', 'i'] },
    ]);
  });

  it('a late event exactly one window before a fire is not part of its burst; one ms later it is', () => {
    const first = run([[ev('a', 0), ev('b', 1), ev('c', 2)]], params(3));
    const before = [ev('x', 2 - T - 2), ev('y', 2 - T - 1), ev('z', 2 - T)];
    expect(strip(run([before], params(3), first.state).fresh)).toEqual([
      { at: 2 - T, start: 2 - T - 2, ids: ['x', 'y', 'z'] },
    ]);
    const inside = [ev('x', 2 - T - 1), ev('y', 2 - T), ev('z', 2 - T + 1)];
    expect(run([inside], params(3), first.state).fresh).toEqual([]);
  });

  it('keeps an event exactly at the lateness horizon and drops one a millisecond older', () => {
    const horizon = T + 60_000;
    const p = params(2, T, horizon);
    const watermark = run([[ev('new', 10 * T)]], p).state;
    const atEdge = run([[ev('edge', 10 * T - horizon)]], p, watermark).state;
    expect(atEdge.pending.map((e) => e.id)).toEqual(['edge', 'new']);
    const tooOld = run([[ev('old', 10 * T - horizon - 1)]], p, watermark).state;
    expect(tooOld.pending.map((e) => e.id)).toEqual(['new']);
    // An event past the horizon is gone: it can no longer complete a window with a later straggler.
    expect(run([[ev('old2', 10 * T - horizon)]], p, tooOld).fresh).toHaveLength(0);
  });

  it('remembers a fire for redelivery until it is a whole horizon behind the newest event', () => {
    const horizon = T + 60_000;
    const p = params(3, T, horizon);
    const fired = run([[ev('a', 0), ev('b', 1), ev('c', 2)]], p);
    // A fire at 2 is kept while 2 + T > watermark - horizon.
    const lastKept = run([[ev('later', 2 + T + horizon - 1)]], p, fired.state);
    expect(lastKept.state.claims.map((c) => c.at)).toEqual([2]);
    expect(run([[ev('b', 1)]], p, lastKept.state).fires.map((f) => f.replay)).toEqual([true]);
    const dropped = run([[ev('later', 2 + T + horizon)]], p, fired.state);
    expect(dropped.state.claims).toEqual([]);
    // Too late to replay; and too old to count again.
    expect(run([[ev('b', 1)]], p, dropped.state).fires).toEqual([]);
  });

  it('a redelivered event replays its fire once, however often it appears in the batch', () => {
    const first = run([[ev('a', 0), ev('b', 1), ev('c', 2)]], params(3));
    const again = run([[ev('b', 1), ev('c', 2), ev('b', 1)]], params(3), first.state);
    expect(again.fires.map((f) => f.replay)).toEqual([true]);
  });

  it.each([
    ['in id order', ['a', 'b', 'c']],
    ['reversed', ['c', 'b', 'a']],
    ['shuffled', ['b', 'c', 'a']],
  ])('events at the same instant are taken in id order, whatever the input order (%s)', (_why, ids) => {
    // The fire's events decide the finding's event list and id: a redelivery in another order must agree.
    const { fresh, state } = run([ids.map((id) => ev(id, 1_000))], params(2));
    expect(strip(fresh)).toEqual([{ at: 1_000, start: 1_000, ids: ['a', 'b'] }]);
    expect(state.pending).toEqual([]);
  });

  it('the watermark only moves forward', () => {
    const { state } = run([[ev('a', 5 * T)], [ev('b', T)]], params(3));
    expect(state.watermark).toBe(5 * T);
  });
});

const eventsArb = fc
  .uniqueArray(
    fc.record({
      id: fc.uuid(),
      t: fc.integer({ min: 0, max: 40 * 60_000 }),
      d: fc.constantFrom('u1', 'u2', 'u3', 'u4', 'u5'),
    }),
    {
      minLength: 0,
      maxLength: 60,
      selector: (e) => e.id,
    },
  )
  .map((es) => es.map(({ id, t }) => ev(id, t)));
/** The same with a value each, for distinct thresholds (few values, so they repeat inside windows). */
const distinctEventsArb = fc
  .uniqueArray(
    fc.record({
      id: fc.uuid(),
      t: fc.integer({ min: 0, max: 40 * 60_000 }),
      d: fc.constantFrom('u1', 'u2', 'u3', 'u4', 'u5'),
    }),
    { minLength: 0, maxLength: 60, selector: (e) => e.id },
  )
  .map((es) => es.map(({ id, t, d }) => ev(id, t, d)));

const splitInto = (events: readonly WindowEvent[], cuts: readonly number[]) => {
  const points = [...new Set(cuts.map((c) => c % (events.length + 1)))].sort((a, b) => a - b);
  const batches: WindowEvent[][] = [];
  let from = 0;
  for (const p of [...points, events.length]) {
    batches.push(events.slice(from, p));
    from = p;
  }
  return batches;
};

const sorted = (events: readonly WindowEvent[]) =>
  [...events].sort((a, b) => a.t - b.t || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

describe('applyWindow: properties against the brute-force oracle', () => {
  const shape = fc.record({
    events: eventsArb,
    count: fc.integer({ min: 2, max: 6 }),
    windowMs: fc.integer({ min: 1, max: 15 }).map((m) => m * 60_000),
    cuts: fc.array(fc.nat(), { maxLength: 6 }),
  });

  it('in-order input, in any batching, equals the oracle exactly', () => {
    fc.assert(
      fc.property(shape, ({ events, count, windowMs, cuts }) => {
        const inOrder = sorted(events);
        const { fresh } = run(splitInto(inOrder, cuts), params(count, windowMs));
        expect(strip(fresh)).toEqual(oracle(inOrder, count, windowMs));
      }),
      { numRuns: 400 },
    );
  });

  it('distinct values, in-order input, in any batching, equal the oracle exactly', () => {
    fc.assert(
      fc.property(
        distinctEventsArb,
        fc.integer({ min: 2, max: 4 }),
        fc.integer({ min: 1, max: 15 }).map((m) => m * 60_000),
        fc.array(fc.nat(), { maxLength: 6 }),
        (events, count, windowMs, cuts) => {
          const inOrder = sorted(events);
          const { fresh } = run(splitInto(inOrder, cuts), params(count, windowMs));
          expect(strip(fresh)).toEqual(oracle(inOrder, count, windowMs));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('shuffled and duplicated input: fires iff the oracle does, each fire a real burst, never double', () => {
    fc.assert(
      fc.property(
        shape,
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.integer(),
        ({ events, count, windowMs, cuts }, dupPicks, seed) => {
          const duplicated = [
            ...events,
            ...dupPicks.flatMap((i) => (events.length ? [events[i % events.length] as WindowEvent] : [])),
          ];
          const shuffled =
            fc.sample(fc.shuffledSubarray(duplicated, { minLength: duplicated.length }), { seed, numRuns: 1 })[0] ??
            duplicated;
          const { fresh, state } = run(splitInto(shuffled, cuts), params(count, windowMs));
          const expected = oracle(events, count, windowMs);

          expect(fresh.length > 0).toBe(expected.length > 0);
          const byId = new Map(events.map((e) => [e.id, e]));
          const used = new Set<string>();
          for (const fire of fresh) {
            const members = fire.ids.map((id) => byId.get(id));
            expect(members.every((m) => m !== undefined)).toBe(true);
            const times = members.flatMap((m) => (m ? [m.t] : []));
            expect(Math.max(...times) - Math.min(...times)).toBeLessThan(windowMs);
            expect(new Set(fire.ids).size).toBe(fire.ids.length);
            expect(fire.ids.length).toBeGreaterThanOrEqual(count);
            for (const id of fire.ids) {
              expect(used.has(id)).toBe(false);
              used.add(id);
            }
          }
          for (const a of fresh)
            for (const b of fresh) if (a !== b) expect(Math.abs(a.at - b.at)).toBeGreaterThanOrEqual(windowMs);

          // Redelivering everything again never produces a new fire.
          expect(run([shuffled], params(count, windowMs), state).fresh).toHaveLength(0);
        },
      ),
      { numRuns: 400 },
    );
  });
});
