import type { GrantMemory } from '../../../rules/core/elevated-access.ts';
import type { GrantMemoryStore } from '../../../rules/core/ports.ts';
import { itemKey } from './dynamodb-keys.ts';
import type { DynamoDb } from './dynamodb-port.ts';
import { isDynamoDbError } from './dynamodb-port.ts';

/**
 * The elevated-access check's memory in the state table: one item per account (`elevated#<account>`) holding
 * the JSON list of remembered grants and a version. No TTL: a remembered expiry must outlive any deleted tag.
 * `save` writes only over the version it loaded, so overlapping runs cannot both act.
 */
export const createDynamoGrantMemoryStore = (client: DynamoDb, tableName: string): GrantMemoryStore => ({
  load: async (account) => {
    const out = await client.call('GetItem', {
      TableName: tableName,
      Key: { pk: { S: itemKey('elevated', account) } },
      ConsistentRead: true,
    });
    const raw = out.Item?.m?.S;
    return {
      memory: raw === undefined ? [] : (JSON.parse(raw) as GrantMemory[]),
      version: Number(out.Item?.v?.N ?? '0'),
    };
  },
  save: async (account, memory, version) => {
    try {
      await client.call('PutItem', {
        TableName: tableName,
        Item: {
          pk: { S: itemKey('elevated', account) },
          m: { S: JSON.stringify(memory) },
          v: { N: String(version + 1) },
        },
        ConditionExpression: version === 0 ? 'attribute_not_exists(pk)' : 'v = :v',
        ...(version === 0 ? {} : { ExpressionAttributeValues: { ':v': { N: String(version) } } }),
      });
      return true;
    } catch (err) {
      if (isDynamoDbError(err, 'ConditionalCheckFailedException')) return false;
      throw err;
    }
  },
});
