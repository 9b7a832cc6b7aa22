import type { UpdateItemInput } from '@aws-sdk/client-dynamodb';
import type { OpenSilence } from '../../../rules/core/health.ts';
import type { ExpectationStore, Heartbeat, HeartbeatStore } from '../../../rules/core/ports.ts';
import { itemKey, mapLimit } from './dynamodb-keys.ts';
import type { DynamoDb } from './dynamodb-port.ts';
import { isDynamoDbError } from './dynamodb-port.ts';

/** Names every account+region that ever sent an event: the health function reads it instead of scanning. */
const INDEX_PK = itemKey('heartbeat', 'index');
const beatPk = (account: string, region: string) => itemKey('heartbeat', `${account}/${region}`);

/**
 * `HeartbeatStore` on DynamoDB: one item per account+region, `t` = newest event time. Each batch sends one
 * conditional UpdateItem per account+region that only moves `t` forward, so racing handlers and late events
 * never move it back; the index item is touched only the first time an account+region is seen.
 */
export const createDynamoHeartbeatStore = (
  client: DynamoDb,
  tableName: string,
  options: { readonly concurrency?: number } = {},
): HeartbeatStore => {
  const concurrency = options.concurrency ?? 16;

  const advanceOne = async ({ account, region, timeMs }: { account: string; region: string; timeMs: number }) => {
    let created: boolean;
    try {
      const out = await client.call('UpdateItem', {
        TableName: tableName,
        Key: { pk: { S: beatPk(account, region) } },
        UpdateExpression: 'SET t = :t, a = :a, r = :r',
        ConditionExpression: 'attribute_not_exists(t) OR t < :t',
        ExpressionAttributeValues: { ':t': { N: String(timeMs) }, ':a': { S: account }, ':r': { S: region } },
        ReturnValues: 'UPDATED_OLD',
      });
      created = out.Attributes?.t === undefined;
    } catch (err) {
      if (isDynamoDbError(err, 'ConditionalCheckFailedException')) return; // already at or past this time
      throw err;
    }
    if (created) {
      await client.call('UpdateItem', {
        TableName: tableName,
        Key: { pk: { S: INDEX_PK } },
        UpdateExpression: 'ADD k :k',
        ExpressionAttributeValues: { ':k': { SS: [`${account}/${region}`] } },
      });
    }
  };

  const readOne = async (key: string): Promise<Heartbeat | undefined> => {
    const slash = key.indexOf('/');
    const account = key.slice(0, slash);
    const region = key.slice(slash + 1);
    const out = await client.call('GetItem', {
      TableName: tableName,
      Key: { pk: { S: beatPk(account, region) } },
      ConsistentRead: true,
    });
    const t = out.Item?.t?.N;
    if (t === undefined) return undefined;
    const s = out.Item?.s?.S;
    return { account, region, lastEventMs: Number(t), ...(s ? { silence: JSON.parse(s) as OpenSilence } : {}) };
  };

  const conditional = async (input: UpdateItemInput): Promise<boolean> => {
    try {
      await client.call('UpdateItem', input);
      return true;
    } catch (err) {
      if (isDynamoDbError(err, 'ConditionalCheckFailedException')) return false;
      throw err;
    }
  };

  return {
    advance: async (beats) => {
      await mapLimit(beats, concurrency, advanceOne);
    },
    list: async () => {
      const index = await client.call('GetItem', {
        TableName: tableName,
        Key: { pk: { S: INDEX_PK } },
        ConsistentRead: true,
      });
      const keys = [...(index.Item?.k?.SS ?? [])].sort();
      const beats = await mapLimit(keys, concurrency, readOne);
      return beats.filter((b): b is Heartbeat => b !== undefined);
    },
    markSilent: (account, region, silence) =>
      conditional({
        TableName: tableName,
        Key: { pk: { S: beatPk(account, region) } },
        UpdateExpression: 'SET s = :s, sid = :id',
        ConditionExpression: 't = :t',
        ExpressionAttributeValues: {
          ':s': { S: JSON.stringify(silence) },
          ':id': { S: silence.findingId },
          ':t': { N: String(silence.lastEventMs) },
        },
      }),
    clearSilence: (account, region, findingId) =>
      conditional({
        TableName: tableName,
        Key: { pk: { S: beatPk(account, region) } },
        UpdateExpression: 'REMOVE s, sid',
        ConditionExpression: 'sid = :id',
        ExpressionAttributeValues: { ':id': { S: findingId } },
      }),
  };
};

/**
 * `ExpectationStore` on DynamoDB: one item per account+region that was expected before it was heard from,
 * `since` set on the first call and never moved (`if_not_exists`), so the silence of an account that never sent
 * anything has a fixed start. Asked only for the unheard pairs, which are few once events flow.
 */
export const createDynamoExpectationStore = (
  client: DynamoDb,
  tableName: string,
  options: { readonly concurrency?: number } = {},
): ExpectationStore => ({
  firstExpected: async (pairs, nowMs) => {
    const out = new Map<string, number>();
    await mapLimit(pairs, options.concurrency ?? 16, async ({ account, region }) => {
      const res = await client.call('UpdateItem', {
        TableName: tableName,
        Key: { pk: { S: itemKey('heartbeat', `expected/${account}/${region}`) } },
        UpdateExpression: 'SET since = if_not_exists(since, :now)',
        ExpressionAttributeValues: { ':now': { N: String(nowMs) } },
        ReturnValues: 'ALL_NEW',
      });
      out.set(`${account}/${region}`, Number(res.Attributes?.since?.N ?? nowMs));
    });
    return out;
  },
});
