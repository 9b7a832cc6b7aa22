import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { History } from '../../../rules/core/history.ts';
import { EMPTY_HISTORY, recordSightings } from '../../../rules/core/history.ts';
import type { Clock, HistoryRequest, HistoryResult, HistoryStore } from '../../../rules/core/ports.ts';
import { itemKey, mapLimit } from './dynamodb-keys.ts';

const MAX_ATTEMPTS = 8;
const DAY_S = 86_400;

/**
 * `HistoryStore` on DynamoDB: one item per (rule, key) holding the remembered sightings, read once and
 * written at most once per batch, with optimistic concurrency on `v` (a racing writer re-reads and merges,
 * so no sighting is lost). The item expires a day after its newest sighting leaves retention (counted from
 * now at the earliest, so replayed old events do not write already-expired items).
 */
export const createDynamoHistoryStore = (
  client: DynamoDBClient,
  tableName: string,
  options: { readonly concurrency?: number; readonly clock?: Clock } = {},
): HistoryStore => {
  const clock = options.clock ?? { now: () => Date.now() };
  const read = async (pk: string): Promise<{ history: History; version: number }> => {
    const out = await client.send(
      new GetItemCommand({ TableName: tableName, Key: { pk: { S: pk } }, ConsistentRead: true }),
    );
    const item = out.Item;
    if (item === undefined) return { history: EMPTY_HISTORY, version: 0 };
    return { history: JSON.parse(item.h?.S ?? '{}') as History, version: Number(item.v?.N ?? '0') };
  };

  const recordOne = async ({ key, spec, sightings }: HistoryRequest): Promise<HistoryResult> => {
    const pk = itemKey('history', key);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const stored = await read(pk);
      const history = recordSightings(stored.history, sightings, spec);
      // Redelivered sightings change nothing: no write, so retries cost one read.
      if (JSON.stringify(history) === JSON.stringify(stored.history)) return { key, ok: true, history };
      const newest = Math.max(0, ...history.sightings.map((s) => s.last));
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              pk: { S: pk },
              h: { S: JSON.stringify(history) },
              v: { N: String(stored.version + 1) },
              ttl: { N: String(Math.ceil((Math.max(newest, clock.now()) + spec.retainMs) / 1000) + DAY_S) },
            },
            ConditionExpression: stored.version === 0 ? 'attribute_not_exists(pk)' : 'v = :v',
            ...(stored.version === 0 ? {} : { ExpressionAttributeValues: { ':v': { N: String(stored.version) } } }),
          }),
        );
        return { key, ok: true, history };
      } catch (err) {
        if (err instanceof ConditionalCheckFailedException) continue;
        return { key, ok: false, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
      }
    }
    return { key, ok: false, error: `history ${key}: still conflicting after ${MAX_ATTEMPTS} attempts` };
  };

  return { record: (requests) => mapLimit(requests, options.concurrency ?? 16, recordOne) };
};
