import type { History } from './history.ts';
import { recordSightings } from './history.ts';
import type { HistoryRequest, HistoryResult, HistoryStore } from './ports.ts';

/**
 * A history store in front of another, for a caller that is the only writer of the keys it `owns` (a replay's
 * detect step: its keys live in the replay's own namespace, and one execution runs one detect at a time). It
 * remembers the history the store last returned for each owned key; when a batch adds nothing to it (the merge of
 * the batch's sightings into it is the same history), it answers from memory and the store is not asked at all.
 *
 * Why that is exact: the store's own answer would have been the same. It would read what it last returned (no
 * one else writes the key), merge the same sightings the same way (`recordSightings`, compared as JSON as the
 * DynamoDB adapter compares), find nothing changed and return it unwritten. Whatever changes goes to the store,
 * which reads and writes as always; a key the store failed (or a call that threw) is forgotten, so an unknown
 * outcome is read again. Calls run one after another, so an answer never races a write of the same key.
 *
 * Not for keys other writers share (the evaluate function's containers run side by side): there an answer from
 * memory could miss another container's sightings. Those keys pass straight through.
 */
export interface HistoryCacheOptions {
  /** Keys only this caller writes; any other key always goes to the store. */
  readonly owns: (key: string) => boolean;
  /** Sightings held at most (plus one per key): the least recently used keys go first, and cost a read again. */
  readonly maxSightings?: number;
}

export const DEFAULT_CACHED_SIGHTINGS = 100_000;

export const createOwnedHistoryCache = (inner: HistoryStore, options: HistoryCacheOptions): HistoryStore => {
  const max = options.maxSightings ?? DEFAULT_CACHED_SIGHTINGS;
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  const held = new Map<string, { readonly history: History; readonly json: string }>();
  let size = 0;
  const forget = (key: string): void => {
    const h = held.get(key);
    if (h === undefined) return;
    size -= h.history.sightings.length + 1;
    held.delete(key);
  };
  const keep = (key: string, history: History, json = JSON.stringify(history)): void => {
    forget(key);
    held.set(key, { history, json });
    size += history.sightings.length + 1;
    for (const oldest of held.keys()) {
      if (size <= max) break;
      forget(oldest);
    }
  };

  const recordNow = async (requests: readonly HistoryRequest[]): Promise<readonly HistoryResult[]> => {
    const answered: HistoryResult[] = [];
    const asked: HistoryRequest[] = [];
    for (const request of requests) {
      const known = options.owns(request.key) ? held.get(request.key) : undefined;
      if (
        known !== undefined &&
        JSON.stringify(recordSightings(known.history, request.sightings, request.spec)) === known.json
      ) {
        keep(request.key, known.history, known.json);
        answered.push({ key: request.key, ok: true, history: known.history });
      } else asked.push(request);
    }
    if (asked.length === 0) return answered;
    let results: readonly HistoryResult[];
    try {
      results = await inner.record(asked);
    } catch (err) {
      for (const request of asked) forget(request.key);
      throw err;
    }
    const byKey = new Map(results.map((r) => [r.key, r] as const));
    for (const { key } of asked) {
      const result = byKey.get(key);
      if (result?.ok === true && options.owns(key)) keep(key, result.history);
      else forget(key);
    }
    return [...answered, ...results];
  };

  let previous: Promise<unknown> = Promise.resolve();
  return {
    record: (requests) => {
      const run = previous.then(() => recordNow(requests));
      previous = run.catch(() => undefined);
      return run;
    },
  };
};
