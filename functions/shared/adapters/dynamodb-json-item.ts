import type { DynamoDb } from './dynamodb-port.ts';
import { isDynamoDbError } from './dynamodb-port.ts';

/** Conflicting writers re-read and re-apply; more than this many conflicts in a row means something is wrong. */
const MAX_ATTEMPTS = 8;

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
}): Promise<JsonItemUpdate<R>> => {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const out = await p.client.call('GetItem', {
      TableName: p.tableName,
      Key: { pk: { S: p.pk } },
      ConsistentRead: true,
    });
    const version = Number(out.Item?.v?.N ?? '0');
    const raw = out.Item?.s?.S;
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
