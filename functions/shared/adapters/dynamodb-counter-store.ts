import type { Clock, CounterRequest, CounterResult, CounterStore } from '../../../rules/core/ports.ts';
import type { WindowState } from '../../../rules/core/window.ts';
import { applyWindow, EMPTY_WINDOW } from '../../../rules/core/window.ts';
import { updateJsonItem } from './dynamodb-json-item.ts';
import { itemKey, mapLimit } from './dynamodb-keys.ts';
import type { DynamoDb } from './dynamodb-port.ts';

/**
 * `CounterStore` on DynamoDB: one item per (rule, group) key holding the window state. Each key is read
 * once and written at most once per batch (the detector pre-aggregates), with optimistic concurrency so
 * two handlers racing on one key can never both fire: the loser re-reads the winner's claim.
 */
export const createDynamoCounterStore = (
  client: DynamoDb,
  tableName: string,
  options: { readonly concurrency?: number; readonly clock?: Clock } = {},
): CounterStore => {
  const clock = options.clock ?? { now: () => Date.now() };

  const observeOne = async ({ key, params, events }: CounterRequest): Promise<CounterResult> => {
    const outcome = await updateJsonItem({
      client,
      tableName,
      pk: itemKey('counter', key),
      empty: EMPTY_WINDOW,
      // JSON has no -Infinity: a window that never saw an event stores its watermark as null.
      decode: (s: WindowState) => ({ ...s, watermark: s.watermark ?? Number.NEGATIVE_INFINITY }),
      apply: (current) => {
        const { state, fires } = applyWindow(current, events, params);
        // Nothing new (every event a redelivery): no write, so retries cost one read.
        const unchanged = fires.every((f) => f.replay) && JSON.stringify(current) === JSON.stringify(state);
        return { next: state, result: fires, unchanged };
      },
      // From the later of event time and now, so state for replayed old events is not born expired.
      expiresAt: (state) => Math.ceil((Math.max(state.watermark, clock.now()) + params.horizonMs) / 1000) + 86_400,
    });
    return outcome.ok ? { key, ok: true, fires: outcome.result } : { key, ok: false, error: outcome.error };
  };

  return {
    observe: (requests) => mapLimit(requests, options.concurrency ?? 16, observeOne),
  };
};
