import type { History } from '../../../rules/core/history.ts';
import { EMPTY_HISTORY, recordSightings } from '../../../rules/core/history.ts';
import type { Clock, HistoryRequest, HistoryResult, HistoryStore } from '../../../rules/core/ports.ts';
import type { StoredJson } from './dynamodb-json-item.ts';
import { readJsonItems, updateJsonItem } from './dynamodb-json-item.ts';
import { itemKey, mapLimit } from './dynamodb-keys.ts';
import type { DynamoDb } from './dynamodb-port.ts';

const DAY_S = 86_400;

/**
 * `HistoryStore` on DynamoDB: one item per (rule, key) holding the remembered sightings, read once per batch
 * (batched: `readJsonItems`) and written at most once per batch, with optimistic concurrency (a racing writer re-reads and merges, so no
 * sighting is lost). The item expires a day after its newest sighting leaves retention (counted from now at
 * the earliest, so replayed old events do not write already-expired items).
 */
export const createDynamoHistoryStore = (
  client: DynamoDb,
  tableName: string,
  options: { readonly concurrency?: number; readonly clock?: Clock } = {},
): HistoryStore => {
  const clock = options.clock ?? { now: () => Date.now() };

  const recordOne = async (
    { key, spec, sightings }: HistoryRequest,
    read: ReadonlyMap<string, StoredJson>,
  ): Promise<HistoryResult> => {
    const pk = itemKey('history', key);
    const outcome = await updateJsonItem<History, History>({
      client,
      tableName,
      pk,
      read: read.get(pk),
      empty: EMPTY_HISTORY,
      apply: (current) => {
        const next = recordSightings(current, sightings, spec);
        // Redelivered sightings change nothing: no write, so retries cost one read.
        return { next, result: next, unchanged: JSON.stringify(next) === JSON.stringify(current) };
      },
      expiresAt: (history) => {
        const newest = Math.max(0, ...history.sightings.map((s) => s.last));
        return Math.ceil((Math.max(newest, clock.now()) + spec.retainMs) / 1000) + DAY_S;
      },
    });
    return outcome.ok ? { key, ok: true, history: outcome.result } : { key, ok: false, error: outcome.error };
  };

  return {
    // Every key of a batch is read (a predicate may need any of them), but with one BatchGetItem per 100 keys
    // instead of a GetItem each; only changed histories are written, one conditional PutItem each.
    record: async (requests) => {
      const read = await readJsonItems(
        client,
        tableName,
        requests.map((r) => itemKey('history', r.key)),
      );
      return mapLimit(requests, options.concurrency ?? 16, (r) => recordOne(r, read));
    },
  };
};
