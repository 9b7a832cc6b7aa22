import { namespaceOf } from './detector.ts';
import { LAST_SEEN_STEP } from './history.ts';
import type { AuditEvent, Rule } from './types.ts';

/**
 * Repeats a scan may drop before the detector. A rule whose history declares `onlyNewValues` (the read-burst
 * rules' first reads, the first invoker of a model) never matches an event whose remembered value its key already
 * holds from an earlier time: an application re-reading its secret all day is such a repeat, and most of what those
 * rules listen to. An event is a repeat when an event before it in the scan (input order) with the same rule, key
 * and value has a smaller time within the same history step (a day for a 100-day memory, `LAST_SEEN_STEP`): that
 * earlier read reaches the detector first, so the value is in the history the repeat would be judged against,
 * and within one step the repeat would not even move its `last seen`.
 *
 * Why this gives the same events to the detector whatever the number of threads: a reader (a worker, or the scan's
 * own thread) drops an event only on an earlier event it saw itself, and the thread that feeds the detector drops
 * what arrives on the earlier events that arrived. The earliest event of a rule, key, value and step can be dropped
 * by no one, so it always arrives; hence an event is dropped, by someone, exactly when such an earlier, earlier-timed
 * event exists in the scan at all. Memory: the scan is cut into segments of consecutive files (`segmentsOf` in the
 * scan engine), every memory starts afresh with each, so it holds at most one segment's distinct reads.
 */
export interface KnownValues {
  /** Whether `e` repeats a value an `onlyNewValues` rule has seen before it (then it needs no detector); remembers it. */
  readonly seenBefore: (rule: Rule, e: AuditEvent) => boolean;
}

export const createKnownValues = (): KnownValues => {
  /** Earliest time seen per rule, key, value and step. */
  const earliest = new Map<string, number>();
  return {
    seenBefore: (rule, e) => {
      const history = rule.history;
      const at = e.timeMs;
      if (history === null || !history.onlyNewValues || !history.spec.distinctValues || !Number.isFinite(at))
        return false;
      const stepMs = history.spec.retainMs * LAST_SEEN_STEP;
      // No memory, no step: every value would share one step (a division by zero), so nothing is known.
      if (!(stepMs > 0)) return false;
      let key: string;
      let value: string | undefined;
      try {
        key = history.key(e);
        value = history.remember(e, {});
      } catch {
        // The detector reports a rule that throws; nothing is known about such an event. (Mutation: an empty catch
        // is equivalent, `value` stays undefined and the next line returns false.)
        return false;
      }
      if (value === undefined) return false;
      const step = Math.floor(at / stepMs);
      const id = `${namespaceOf(e)}${rule.id}\u0000${key}\u0000${value}\u0000${step}`;
      const first = earliest.get(id);
      // Stryker disable next-line ConditionalExpression: equivalent, `undefined < at` is false too
      if (first !== undefined && first < at) return true;
      // Not known: none seen yet, or only at this time or later, so this time is now the earliest.
      earliest.set(id, at);
      return false;
    },
  };
};

/**
 * The memory of one scan segment at a time (`segmentsOf` in the scan engine): a fresh `KnownValues` whenever the
 * segment changes. Each thread meets the segments in input order, so a segment never comes back.
 */
export const createSegmentedKnownValues = (): ((segment: number) => KnownValues) => {
  let current: number | undefined;
  let known = createKnownValues();
  return (segment) => {
    if (segment !== current) {
      current = segment;
      known = createKnownValues();
    }
    return known;
  };
};
