import type { BatchGetItemOutput, GetItemOutput } from '@aws-sdk/client-dynamodb';
import type { DynamoDb } from './dynamodb-port.ts';
import { isDynamoDbError } from './dynamodb-port.ts';

/** Conflicting writers re-read and re-apply; more than this many conflicts in a row means something is wrong. */
const MAX_ATTEMPTS = 8;

/** An item as a consistent read found it: its version (0 when absent) and its JSON state, if any. */
export interface StoredJson {
  readonly version: number;
  readonly raw: string | undefined;
}

const storedOf = (item: GetItemOutput['Item']): StoredJson => ({
  version: Number(item?.v?.N ?? '0'),
  raw: item?.s?.S,
});

/** BatchGetItem takes at most 100 keys. */
const BATCH_GET_MAX = 100;
/** Rounds of re-asking for keys DynamoDB left unprocessed (throttling, 16 MB responses) before giving up on them. */
const BATCH_GET_ROUNDS = 4;

/**
 * Consistent reads of many JSON items, 100 keys a request: what `updateJsonItem` would read first, for a whole
 * batch at once. Keys DynamoDB leaves unprocessed are asked for again a few times; a key still missing from the
 * answer (or every key of a request that failed) is simply absent, and `updateJsonItem` then reads it itself, so
 * a failed batch read costs requests, never correctness.
 */
export const readJsonItems = async (
  client: DynamoDb,
  tableName: string,
  pks: readonly string[],
): Promise<Map<string, StoredJson>> => {
  const found = new Map<string, StoredJson>();
  const unique = [...new Set(pks)];
  for (let i = 0; i < unique.length; i += BATCH_GET_MAX) {
    let pending = unique.slice(i, i + BATCH_GET_MAX);
    for (let round = 0; round < BATCH_GET_ROUNDS && pending.length > 0; round++) {
      let out: BatchGetItemOutput;
      try {
        out = await client.call('BatchGetItem', {
          RequestItems: { [tableName]: { Keys: pending.map((pk) => ({ pk: { S: pk } })), ConsistentRead: true } },
        });
      } catch {
        break;
      }
      const returned = new Map((out.Responses?.[tableName] ?? []).map((item) => [item.pk?.S, item] as const));
      const unprocessed = new Set((out.UnprocessedKeys?.[tableName]?.Keys ?? []).map((k) => k.pk?.S));
      for (const pk of pending) if (!unprocessed.has(pk)) found.set(pk, storedOf(returned.get(pk)));
      pending = pending.filter((pk) => unprocessed.has(pk));
    }
  }
  return found;
};

export type JsonItemUpdate<R> =
  | { readonly ok: true; readonly result: R }
  | { readonly ok: false; readonly error: string };

/**
 * Optimistic read-modify-write of one item holding JSON state (`s`) with a version (`v`) and an expiry (`ttl`):
 * read consistently, apply the pure update, skip the write when nothing changed (a redelivered batch costs one
 * read), and write on condition that nobody wrote in between. A racing writer makes the condition fail, so we
 * re-read and re-apply: no update is ever lost, and two handlers never both act on the same old state.
 */
export const updateJsonItem = async <S, R>(p: {
  readonly client: DynamoDb;
  readonly tableName: string;
  readonly pk: string;
  readonly empty: S;
  /** Turns what was stored back into state (e.g. values JSON cannot hold, such as -Infinity). */
  readonly decode?: (stored: S) => S;
  readonly apply: (current: S) => { readonly next: S; readonly result: R; readonly unchanged: boolean };
  /** Epoch seconds after which DynamoDB may delete the item. */
  readonly expiresAt: (next: S) => number;
  /** The item as a consistent read just found it (`readJsonItems`): the first attempt then reads nothing itself. */
  readonly read?: StoredJson;
}): Promise<JsonItemUpdate<R>> => {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    // A conflict means the prefetched read is stale: every later attempt reads again.
    const { version, raw } =
      attempt === 1 && p.read !== undefined
        ? p.read
        : storedOf(
            (
              await p.client.call('GetItem', {
                TableName: p.tableName,
                Key: { pk: { S: p.pk } },
                ConsistentRead: true,
              })
            ).Item,
          );
    const current = raw === undefined ? p.empty : (p.decode ?? ((s: S) => s))(JSON.parse(raw) as S);
    const { next, result, unchanged } = p.apply(current);
    if (unchanged) return { ok: true, result };
    try {
      await p.client.call('PutItem', {
        TableName: p.tableName,
        Item: {
          pk: { S: p.pk },
          s: { S: JSON.stringify(next) },
          v: { N: String(version + 1) },
          ttl: { N: String(p.expiresAt(next)) },
        },
        ConditionExpression: version === 0 ? 'attribute_not_exists(pk)' : 'v = :v',
        ...(version === 0 ? {} : { ExpressionAttributeValues: { ':v': { N: String(version) } } }),
      });
      return { ok: true, result };
    } catch (err) {
      if (isDynamoDbError(err, 'ConditionalCheckFailedException')) continue;
      return { ok: false, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
    }
  }
  return { ok: false, error: `${p.pk}: still conflicting after ${MAX_ATTEMPTS} attempts` };
};
