import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DynamoDbError } from '../../functions/shared/adapters/dynamodb-http.ts';
import { createStateTable, deleteTable, dynamoClient, type TestDynamoDb } from './dynamodb.ts';

/** Proves the engine started by global-setup covers every DynamoDB call the product makes. */
describe('DynamoDB Local (global setup)', () => {
  let client: TestDynamoDb;
  let table: string;
  beforeAll(async () => {
    client = dynamoClient(inject('dynamoEndpoint'));
    table = await createStateTable(client);
  });
  afterAll(async () => {
    await deleteTable(client, table);
    client.destroy();
  });

  it('creates unique state tables, with TTL on `ttl` only when asked (fixture-dated items would expire at random)', async () => {
    expect(table).toMatch(/^trailwarden-state-[0-9a-f]{12}$/);
    const other = await createStateTable(client, 'trailwarden-state', { ttl: true });
    try {
      expect(other).not.toBe(table);
      const withTtl = await client.call('DescribeTimeToLive', { TableName: other });
      expect(withTtl.TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' });
    } finally {
      await deleteTable(client, other);
    }
    const ttl = await client.call('DescribeTimeToLive', { TableName: table });
    expect(ttl.TimeToLiveDescription?.TimeToLiveStatus).toBe('DISABLED');
  });

  it('rejects a second conditional put, returning the old item on request', async () => {
    const put = () =>
      client.call('PutItem', {
        TableName: table,
        Item: { pk: { S: 'dedup#1' }, ttl: { N: '4102444800' } },
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      });
    await put();
    const error = await put().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ name: 'ConditionalCheckFailedException' });
    expect((error as DynamoDbError).Item).toEqual({
      pk: { S: 'dedup#1' },
      ttl: { N: '4102444800' },
    });
  });

  it('increments a counter with UpdateItem ADD', async () => {
    const add = () =>
      client.call('UpdateItem', {
        TableName: table,
        Key: { pk: { S: 'counter#1' } },
        UpdateExpression: 'ADD #n :one',
        ExpressionAttributeNames: { '#n': 'n' },
        ExpressionAttributeValues: { ':one': { N: '1' } },
        ReturnValues: 'UPDATED_NEW',
      });
    await add();
    const second = await add();
    expect(second.Attributes).toEqual({ n: { N: '2' } });
  });

  it('commits a TransactWriteItems atomically and cancels it whole when a condition fails', async () => {
    await client.call('TransactWriteItems', {
      TransactItems: [
        {
          Put: {
            TableName: table,
            Item: { pk: { S: 'tx#a' } },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        {
          Update: {
            TableName: table,
            Key: { pk: { S: 'tx#b' } },
            UpdateExpression: 'SET v = :v',
            ExpressionAttributeValues: { ':v': { S: 'one' } },
          },
        },
      ],
    });
    const again = await client
      .call('TransactWriteItems', {
        TransactItems: [
          {
            Update: {
              TableName: table,
              Key: { pk: { S: 'tx#b' } },
              UpdateExpression: 'SET v = :v',
              ExpressionAttributeValues: { ':v': { S: 'two' } },
            },
          },
          {
            Put: {
              TableName: table,
              Item: { pk: { S: 'tx#a' } },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(again).toMatchObject({ name: 'TransactionCanceledException' });
    expect((again as DynamoDbError).CancellationReasons?.map((r) => r.Code)).toEqual([
      'None',
      'ConditionalCheckFailed',
    ]);
    const b = await client.call('GetItem', { TableName: table, Key: { pk: { S: 'tx#b' } } });
    expect(b.Item?.v).toEqual({ S: 'one' });
  });
});
