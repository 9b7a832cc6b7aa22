import type {
  BatchGetItemInput,
  BatchGetItemOutput,
  DeleteItemInput,
  DeleteItemOutput,
  GetItemInput,
  GetItemOutput,
  PutItemInput,
  PutItemOutput,
  QueryInput,
  QueryOutput,
  TransactWriteItemsInput,
  TransactWriteItemsOutput,
  UpdateItemInput,
  UpdateItemOutput,
} from '@aws-sdk/client-dynamodb';

/**
 * The DynamoDB data-plane operations the adapters may call. The JSON protocol's request and response bodies are
 * exactly the SDK's low-level inputs and outputs (AttributeValue maps), so the SDK's types describe them; they are
 * imported as types only and cost nothing at run time.
 */
export interface DynamoDbOperations {
  readonly GetItem: { readonly input: GetItemInput; readonly output: GetItemOutput };
  readonly BatchGetItem: { readonly input: BatchGetItemInput; readonly output: BatchGetItemOutput };
  readonly PutItem: { readonly input: PutItemInput; readonly output: PutItemOutput };
  readonly UpdateItem: { readonly input: UpdateItemInput; readonly output: UpdateItemOutput };
  readonly DeleteItem: { readonly input: DeleteItemInput; readonly output: DeleteItemOutput };
  readonly Query: { readonly input: QueryInput; readonly output: QueryOutput };
  readonly TransactWriteItems: { readonly input: TransactWriteItemsInput; readonly output: TransactWriteItemsOutput };
}

/** An operation map: operation name → its request and response bodies. */
export type OperationMap<Ops> = { readonly [Op in keyof Ops]: { readonly input: object; readonly output: object } };

/** A port onto DynamoDB: one call per JSON-protocol operation. Adapters take this, never an SDK client. */
export interface DynamoDb<Ops extends OperationMap<Ops> = DynamoDbOperations> {
  call<Op extends keyof Ops & string>(op: Op, input: Ops[Op]['input']): Promise<Ops[Op]['output']>;
}

/** The error names adapters branch on (the `__type` suffix DynamoDB returns, as the SDK names its exceptions). */
export type DynamoDbErrorName =
  | 'ConditionalCheckFailedException'
  | 'TransactionCanceledException'
  | 'ResourceNotFoundException'
  | 'ValidationException';

/**
 * Whether `err` is the DynamoDB error `name`. By name, not `instanceof`: any implementation of the port (the lean
 * HTTP client, an SDK client, a test double) reports the service's error name the same way.
 */
export const isDynamoDbError = (err: unknown, name: DynamoDbErrorName): boolean =>
  typeof err === 'object' && err !== null && (err as { readonly name?: unknown }).name === name;
