import { describe, expect, it } from 'vitest';
import type { HistorySpec, Sighting } from '../../../rules/core/history.ts';
import { EMPTY_HISTORY, recordSightings, viewBefore } from '../../../rules/core/history.ts';

/**
 * The edges of rules/core/history.ts Stryker showed untested: which sighting represents a value, how far `last`
 * must move to be written, retention and the cap at their exact limits, the order kept, and what a view hides.
 */
const T0 = Date.parse('2026-11-02T10:00:00Z');
const MIN = 60_000;
const perEvent: HistorySpec = { retainMs: 60 * MIN, distinctValues: false, max: 10 };
// A hundredth of 100 minutes: `last` moves only by more than one minute.
const distinct: HistorySpec = { retainMs: 100 * MIN, distinctValues: true, max: 10 };
const seen = (id: string, minute: number, v = 'x', lastMinute = minute): Sighting => ({
  id,
  v,
  t: T0 + minute * MIN,
  last: T0 + lastMinute * MIN,
});
const ids = (sightings: readonly Sighting[]) => sightings.map((s) => s.id);

describe('recordSightings', () => {
  it('adds nothing (and keeps no learning start) for no sightings', () => {
    expect(recordSightings(EMPTY_HISTORY, [], perEvent)).toEqual({ first: null, sightings: [] });
  });

  it('in distinct mode, one batch keeps a value once: the earliest sighting, seen last at the latest', () => {
    for (const batch of [
      [seen('a', 0), seen('b', 5)],
      [seen('b', 5), seen('a', 0)],
    ]) {
      expect(recordSightings(EMPTY_HISTORY, batch, distinct).sightings).toEqual([seen('a', 0, 'x', 5)]);
    }
  });

  it('in distinct mode, an earlier sighting arriving later takes over the value, keeping the stored last', () => {
    const stored = recordSightings(EMPTY_HISTORY, [seen('late', 10)], distinct);
    expect(recordSightings(stored, [seen('early', 5)], distinct).sightings).toEqual([seen('early', 5, 'x', 10)]);
  });

  it('in distinct mode, two sightings of a value at the same moment keep the same one whatever the order', () => {
    const one = recordSightings(EMPTY_HISTORY, [seen('b', 0), seen('a', 0)], distinct);
    const other = recordSightings(EMPTY_HISTORY, [seen('a', 0), seen('b', 0)], distinct);
    expect(one).toEqual(other);
    const stored = recordSightings(recordSightings(EMPTY_HISTORY, [seen('b', 0)], distinct), [seen('a', 0)], distinct);
    expect(stored).toEqual(one);
    expect(ids(one.sightings)).toEqual(['a']);
  });

  it('in distinct mode, the earlier sighting represents the value even when its id sorts later', () => {
    for (const batch of [
      [seen('b', 0), seen('a', 5)],
      [seen('a', 5), seen('b', 0)],
    ]) {
      expect(recordSightings(EMPTY_HISTORY, batch, distinct).sightings).toEqual([seen('b', 0, 'x', 5)]);
    }
  });

  it('in distinct mode, moves `last` only by more than a hundredth of the retention', () => {
    const h = recordSightings(EMPTY_HISTORY, [seen('a', 0)], distinct);
    expect(recordSightings(h, [{ ...seen('b', 1), t: T0 + MIN, last: T0 + MIN }], distinct)).toEqual(h);
    const moved = recordSightings(h, [{ id: 'c', v: 'x', t: T0 + MIN + 1, last: T0 + MIN + 1 }], distinct);
    expect(moved.sightings).toEqual([{ ...seen('a', 0), last: T0 + MIN + 1 }]);
  });

  it('forgets what was last seen more than the retention before the newest, and keeps what is exactly that old', () => {
    const h = recordSightings(EMPTY_HISTORY, [seen('old', 0), seen('edge', 10), seen('new', 70)], perEvent);
    expect(ids(h.sightings)).toEqual(['edge', 'new']);
    expect(h.first).toBe(T0);
  });

  it('caps at `max`, keeping the newest; among equally new ones, the smallest ids', () => {
    const cap: HistorySpec = { ...perEvent, max: 2 };
    for (const batch of [
      [seen('c', 5), seen('a', 5), seen('b', 5)],
      [seen('b', 5), seen('c', 5), seen('a', 5)],
    ]) {
      expect(ids(recordSightings(EMPTY_HISTORY, batch, cap).sightings)).toEqual(['a', 'b']);
    }
  });

  it('keeps sightings in time order, then by id', () => {
    const h = recordSightings(EMPTY_HISTORY, [seen('a', 9), seen('z', 0), seen('c', 4), seen('b', 4)], perEvent);
    expect(ids(h.sightings)).toEqual(['z', 'b', 'c', 'a']);
  });
});

describe('recordSightings order among values first seen together', () => {
  it('orders by id, not by when each was last seen', () => {
    const h = recordSightings(EMPTY_HISTORY, [seen('c', 4, 'x', 9), seen('b', 4, 'y', 5)], distinct);
    expect(ids(h.sightings)).toEqual(['b', 'c']);
  });
});

describe('viewBefore', () => {
  const h = recordSightings(EMPTY_HISTORY, [seen('a', 0), seen('b', 5), seen('c', 5)], perEvent);

  it('shows the learning start to a later event only', () => {
    expect(viewBefore(h, { id: 'z', timeMs: T0 + MIN }).first).toBe(T0);
    expect(viewBefore(h, { id: 'z', timeMs: T0 }).first).toBeNull();
  });

  it("hides sightings at the same moment, and the event's own sighting whenever it was", () => {
    expect(ids(viewBefore(h, { id: 'c', timeMs: T0 + 5 * MIN }).sightings)).toEqual(['a']);
    expect(ids(viewBefore(h, { id: 'b', timeMs: T0 + 9 * MIN }).sightings)).toEqual(['a', 'c']);
  });
});
