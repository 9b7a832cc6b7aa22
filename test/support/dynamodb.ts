import { randomBytes } from 'node:crypto';
import type {
  CreateTableInput,
  CreateTableOutput,
  DeleteTableInput,
  DeleteTableOutput,
  DescribeTableInput,
  DescribeTableOutput,
  DescribeTimeToLiveInput,
  DescribeTimeToLiveOutput,
  ListTablesInput,
  ListTablesOutput,
  UpdateTimeToLiveInput,
  UpdateTimeToLiveOutput,
} from '@aws-sdk/client-dynamodb';
import { createHttpDynamoDb, type HttpDynamoDb } from '../../functions/shared/adapters/dynamodb-http.ts';
import { type DynamoDbOperations, isDynamoDbError } from '../../functions/shared/adapters/dynamodb-port.ts';

/** The product's operations plus the table administration tests need (types only, as in the port). */
export interface TestDynamoDbOperations extends DynamoDbOperations {
  readonly CreateTable: { readonly input: CreateTableInput; readonly output: CreateTableOutput };
  readonly DeleteTable: { readonly input: DeleteTableInput; readonly output: DeleteTableOutput };
  readonly DescribeTable: { readonly input: DescribeTableInput; readonly output: DescribeTableOutput };
  readonly UpdateTimeToLive: { readonly input: UpdateTimeToLiveInput; readonly output: UpdateTimeToLiveOutput };
  readonly DescribeTimeToLive: { readonly input: DescribeTimeToLiveInput; readonly output: DescribeTimeToLiveOutput };
  readonly ListTables: { readonly input: ListTablesInput; readonly output: ListTablesOutput };
}

export type TestDynamoDb = HttpDynamoDb<TestDynamoDbOperations>;

/**
 * The functions' own DynamoDB client (functions/shared/adapters/dynamodb-http.ts) pointed at DynamoDB Local, with
 * fake static credentials (the engine runs with -sharedDb): tests exercise the code path the Lambdas run.
 */
export const dynamoClient = (endpoint: string, options: { maxAttempts?: number; timeoutMs?: number } = {}) =>
  createHttpDynamoDb<TestDynamoDbOperations>({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    ...options,
  });

/**
 * Creates a table shaped like the product's state table — `pk` (S) hash key, on-demand billing — under a unique
 * name (`prefix-<random>`), waits until it is ACTIVE, and returns the name. TTL on `ttl` only when asked: the
 * tests' events are dated in the past (fixtures of 2026-11-02), so every item's `ttl` is already behind the real
 * clock, and DynamoDB Local's sweeper would delete items at moments no test chose (a ledger entry vanishing
 * between two handler runs made "pages once across containers" page twice, now and then).
 */
export const createStateTable = async (
  client: TestDynamoDb,
  prefix = 'trailwarden-state',
  options: { readonly ttl?: boolean } = {},
): Promise<string> => {
  const name = `${prefix}-${randomBytes(6).toString('hex')}`;
  await client.call('CreateTable', {
    TableName: name,
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { Table } = await client.call('DescribeTable', { TableName: name });
    if (Table?.TableStatus === 'ACTIVE') break;
    if (Date.now() > deadline) throw new Error(`table ${name} did not become ACTIVE: ${Table?.TableStatus}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  if (options.ttl === true) {
    await client.call('UpdateTimeToLive', {
      TableName: name,
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    });
  }
  return name;
};

/** Deletes a table; a table that is already gone is fine. */
export const deleteTable = async (client: TestDynamoDb, name: string): Promise<void> => {
  try {
    await client.call('DeleteTable', { TableName: name });
  } catch (error) {
    if (!isDynamoDbError(error, 'ResourceNotFoundException')) throw error;
  }
};
