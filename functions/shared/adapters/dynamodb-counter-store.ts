import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { Clock, CounterRequest, CounterResult, CounterStore } from '../../../rules/core/ports.ts';
import type { WindowState } from '../../../rules/core/window.ts';
import { applyWindow, EMPTY_WINDOW } from '../../../rules/core/window.ts';
import { itemKey, mapLimit } from './dynamodb-keys.ts';

/** Conflicting writers re-read and re-apply; more than this many conflicts in a row means something is wrong. */
const MAX_ATTEMPTS = 8;

interface Stored {
  readonly state: WindowState;
  readonly version: number;
}

/**
 * `CounterStore` on DynamoDB: one item per (rule, group) key holding the window state. Each key is read
 * once and written once per batch (the detector pre-aggregates), with optimistic concurrency on `v` so
 * two handlers racing on one key can never both fire: the loser re-reads the winner's claim.
 */
export const createDynamoCounterStore = (
  client: DynamoDBClient,
  tableName: string,
  options: { readonly concurrency?: number; readonly clock?: Clock } = {},
): CounterStore => {
  const clock = options.clock ?? { now: () => Date.now() };
  const read = async (pk: string): Promise<Stored> => {
    const out = await client.send(
      new GetItemCommand({ TableName: tableName, Key: { pk: { S: pk } }, ConsistentRead: true }),
    );
    const item = out.Item;
    if (item === undefined) return { state: EMPTY_WINDOW, version: 0 };
    const state = JSON.parse(item.s?.S ?? '{}') as WindowState;
    return {
      state: { ...state, watermark: state.watermark ?? Number.NEGATIVE_INFINITY },
      version: Number(item.v?.N ?? '0'),
    };
  };

  const observeOne = async ({ key, params, events }: CounterRequest): Promise<CounterResult> => {
    const pk = itemKey('counter', key);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const stored = await read(pk);
      const { state, fires } = applyWindow(stored.state, events, params);
      // Nothing new (every event a redelivery): no write, so retries cost one read.
      if (fires.every((f) => f.replay) && sameState(stored.state, state)) return { key, ok: true, fires };
      // From the later of event time and now, so state for replayed old events is not born expired.
      const expiresAt = Math.ceil((Math.max(state.watermark, clock.now()) + params.horizonMs) / 1000) + 86_400;
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              pk: { S: pk },
              s: { S: JSON.stringify(state) },
              v: { N: String(stored.version + 1) },
              ttl: { N: String(expiresAt) },
            },
            ConditionExpression: stored.version === 0 ? 'attribute_not_exists(pk)' : 'v = :v',
            ...(stored.version === 0 ? {} : { ExpressionAttributeValues: { ':v': { N: String(stored.version) } } }),
          }),
        );
        return { key, ok: true, fires };
      } catch (err) {
        if (err instanceof ConditionalCheckFailedException) continue;
        return { key, ok: false, error: describe(err) };
      }
    }
    return { key, ok: false, error: `counter ${key}: still conflicting after ${MAX_ATTEMPTS} attempts` };
  };

  return {
    observe: (requests) => mapLimit(requests, options.concurrency ?? 16, observeOne),
  };
};

const sameState = (a: WindowState, b: WindowState): boolean => JSON.stringify(a) === JSON.stringify(b);

const describe = (err: unknown): string => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));
