import { randomBytes } from 'node:crypto';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';

/** A DynamoDB client for DynamoDB Local (fake static credentials; the engine runs with -sharedDb). */
export const dynamoClient = (endpoint: string) =>
  new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });

/**
 * Creates a table shaped like the product's state table — `pk` (S) hash key, on-demand billing, TTL
 * on `ttl` — under a unique name (`prefix-<random>`), waits until it is ACTIVE, and returns the name.
 */
export const createStateTable = async (client: DynamoDBClient, prefix = 'trailwarden-state'): Promise<string> => {
  const name = `${prefix}-${randomBytes(6).toString('hex')}`;
  await client.send(
    new CreateTableCommand({
      TableName: name,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  const waited = await waitUntilTableExists({ client, minDelay: 1, maxDelay: 1, maxWaitTime: 30 }, { TableName: name });
  if (waited.state !== 'SUCCESS') throw new Error(`table ${name} did not become ACTIVE: ${waited.state}`);
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: name,
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    }),
  );
  return name;
};

/** Deletes a table; a table that is already gone is fine. */
export const deleteTable = async (client: DynamoDBClient, name: string): Promise<void> => {
  try {
    await client.send(new DeleteTableCommand({ TableName: name }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
};
