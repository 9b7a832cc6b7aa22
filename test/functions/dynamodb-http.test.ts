import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';
import aws4 from 'aws4';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createHttpDynamoDb,
  type DynamoDbError,
  type HttpDynamoDbOptions,
  regionalEndpoint,
} from '../../functions/shared/adapters/dynamodb-http.ts';
import { isDynamoDbError } from '../../functions/shared/adapters/dynamodb-port.ts';
import { createStateTable, deleteTable, dynamoClient, type TestDynamoDb } from '../support/dynamodb.ts';

const CREDS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

interface Received {
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}
/** What the scripted server does with the n-th request: answer, reset the socket, or never answer. */
type Step =
  | { readonly status: number; readonly body: object; readonly crc?: 'right' | 'wrong' | 'none' }
  | { readonly reset: true }
  | { readonly hang: true };

const json = (status: number, body: object): Step => ({ status, body });
const awsError = (status: number, type: string, message: string, extra: object = {}): Step =>
  json(status, { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message, ...extra });

/** A local HTTP server playing DynamoDB's JSON protocol from a script, recording every request. */
const scriptedServer = async () => {
  let script: Step[] = [];
  const received: Received[] = [];
  const hung: ServerResponse[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const step = script.shift() ?? json(200, {});
      if ('reset' in step) {
        req.socket.destroy();
        return;
      }
      if ('hang' in step) {
        hung.push(res);
        return;
      }
      const payload = Buffer.from(JSON.stringify(step.body));
      const headers: Record<string, string> = { 'Content-Type': 'application/x-amz-json-1.0' };
      if (step.crc !== 'none') {
        const crc = crc32(payload) >>> 0;
        headers['x-amz-crc32'] = String(step.crc === 'wrong' ? (crc + 1) >>> 0 : crc);
      }
      res.writeHead(step.status, headers).end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    received,
    play: (steps: Step[]) => {
      script = [...steps];
      received.length = 0;
    },
    close: async () => {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};

describe('lean DynamoDB client over HTTP (scripted server)', () => {
  let server: Awaited<ReturnType<typeof scriptedServer>>;
  const sleeps: number[] = [];
  const clients: { destroy(): void }[] = [];
  const client = (options: HttpDynamoDbOptions = {}) => {
    const c = createHttpDynamoDb({
      endpoint: server.endpoint,
      region: 'eu-west-1',
      credentials: CREDS,
      random: () => 0.5,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      ...options,
    });
    clients.push(c);
    return c;
  };
  const get = { TableName: 't', Key: { pk: { S: 'counter#a' } }, ConsistentRead: true };
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => {
        throw new Error('expected the call to fail');
      },
      (e: unknown) => e as DynamoDbError,
    );

  beforeAll(async () => {
    server = await scriptedServer();
  });
  afterEach(() => {
    sleeps.length = 0;
    for (const c of clients.splice(0)) c.destroy();
  });
  afterAll(async () => {
    await server.close();
  });

  it('POSTs the JSON protocol: target header, content type, the input as the body, the output as the result', async () => {
    server.play([json(200, { Item: { pk: { S: 'counter#a' }, s: { S: '{}' } } })]);
    const out = await client().call('GetItem', get);
    expect(out).toEqual({ Item: { pk: { S: 'counter#a' }, s: { S: '{}' } } });
    expect(server.received).toHaveLength(1);
    const [req] = server.received;
    expect(req?.headers['x-amz-target']).toBe('DynamoDB_20120810.GetItem');
    expect(req?.headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(JSON.parse(req?.body ?? '')).toEqual(get);
  });

  it('signs what it sends: the server re-derives the same SigV4 from the received host, headers and body', async () => {
    server.play([json(200, {})]);
    await client({ credentials: { ...CREDS, sessionToken: 'session-token' } }).call('GetItem', get);
    const [req] = server.received;
    const auth = String(req?.headers.authorization);
    expect(auth).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/dynamodb\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/,
    );
    const signedHeaders = /SignedHeaders=([^,]+)/.exec(auth)?.[1]?.split(';') ?? [];
    // The token and the operation are signed, so neither can be swapped in transit.
    expect(signedHeaders).toEqual(
      expect.arrayContaining(['host', 'x-amz-date', 'x-amz-security-token', 'x-amz-target']),
    );
    expect(req?.headers['x-amz-security-token']).toBe('session-token');
    const headers = Object.fromEntries(signedHeaders.map((h) => [h, String(req?.headers[h])]));
    const resigned = aws4.sign(
      {
        host: headers.host,
        path: '/',
        method: 'POST',
        service: 'dynamodb',
        region: 'eu-west-1',
        body: req?.body,
        headers,
      },
      { ...CREDS, sessionToken: 'session-token' },
    );
    expect(resigned.headers?.Authorization).toBe(auth);
  });

  it('the signing library reproduces the AWS SigV4 test suite (get-vanilla)', () => {
    const signed = aws4.sign(
      {
        host: 'example.amazonaws.com',
        path: '/',
        method: 'GET',
        service: 'service',
        region: 'us-east-1',
        headers: { 'X-Amz-Date': '20150830T123600Z' },
      },
      CREDS,
    );
    expect(signed.headers?.Authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
  });

  it('retries a 5xx with exponential backoff and full jitter (base 100 ms)', async () => {
    server.play([
      awsError(500, 'InternalServerError', 'boom'),
      awsError(503, 'ServiceUnavailable', 'busy'),
      json(200, {}),
    ]);
    await expect(client().call('GetItem', get)).resolves.toEqual({});
    expect(server.received).toHaveLength(3);
    // random() = 0.5 of min(cap, 100 · 2^(n-1)).
    expect(sleeps).toEqual([50, 100]);
  });

  it.each(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded'])(
    'retries %s with the longer throttling base (500 ms)',
    async (type) => {
      server.play([awsError(400, type, 'slow down'), awsError(400, type, 'slow down'), json(200, { Attributes: {} })]);
      await expect(client().call('UpdateItem', { TableName: 't', Key: get.Key })).resolves.toEqual({ Attributes: {} });
      expect(server.received).toHaveLength(3);
      expect(sleeps).toEqual([250, 500]);
    },
  );

  it('caps the backoff at maxDelayMs', async () => {
    server.play([awsError(500, 'InternalServerError', 'x'), awsError(500, 'InternalServerError', 'x'), json(200, {})]);
    await client({ maxDelayMs: 120, random: () => 1 }).call('GetItem', get);
    expect(sleeps).toEqual([100, 120]);
  });

  it('gives up after maxAttempts and throws the last error, named by its __type', async () => {
    server.play([
      awsError(500, 'InternalServerError', 'one'),
      awsError(500, 'InternalServerError', 'two'),
      awsError(500, 'InternalServerError', 'three'),
      json(200, {}),
    ]);
    const err = await failure(client().call('GetItem', get));
    expect(server.received).toHaveLength(3);
    expect(err).toMatchObject({ name: 'InternalServerError', message: 'three', statusCode: 500, retryable: true });
  });

  it.each([
    ['ConditionalCheckFailedException', 'The conditional request failed'],
    ['ValidationException', 'One or more parameter values were invalid'],
    ['ResourceNotFoundException', 'Requested resource not found'],
  ])('never retries %s: one request, the error by name', async (type, message) => {
    server.play([awsError(400, type, message), json(200, {})]);
    const err = await failure(client().call('PutItem', { TableName: 't', Item: { pk: { S: 'x' } } }));
    expect(server.received).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ name: type, message, statusCode: 400, retryable: false });
    expect(isDynamoDbError(err, type as 'ValidationException')).toBe(true);
  });

  it('carries the body of a cancelled transaction (CancellationReasons) and of a failed condition (Item)', async () => {
    const reasons = [{ Code: 'None' }, { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' }];
    server.play([
      awsError(400, 'TransactionCanceledException', 'Transaction cancelled', { CancellationReasons: reasons }),
      // Some errors spell it `Message`.
      json(400, {
        __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException',
        Message: 'The conditional request failed',
        Item: { pk: { S: 'x' } },
      }),
    ]);
    const tx = await failure(client().call('TransactWriteItems', { TransactItems: [] }));
    expect(tx).toMatchObject({ name: 'TransactionCanceledException', CancellationReasons: reasons });
    const cond = await failure(client().call('PutItem', { TableName: 't', Item: { pk: { S: 'x' } } }));
    expect(cond).toMatchObject({
      name: 'ConditionalCheckFailedException',
      message: 'The conditional request failed',
      Item: { pk: { S: 'x' } },
    });
  });

  it('retries a reset connection (ECONNRESET)', async () => {
    server.play([{ reset: true }, json(200, { Item: { pk: { S: 'k' } } })]);
    await expect(client().call('GetItem', get)).resolves.toEqual({ Item: { pk: { S: 'k' } } });
    expect(server.received).toHaveLength(2);
    expect(sleeps).toEqual([50]);
  });

  it('times out a request that gets no answer, and retries it', async () => {
    server.play([{ hang: true }, json(200, {})]);
    const started = performance.now();
    await expect(client({ timeoutMs: 150 }).call('GetItem', get)).resolves.toEqual({});
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(server.received).toHaveLength(2);
  });

  it('fails with TimeoutError when every attempt hangs', async () => {
    server.play([{ hang: true }, { hang: true }]);
    const err = await failure(client({ timeoutMs: 100, maxAttempts: 2 }).call('GetItem', get));
    expect(err).toMatchObject({ name: 'TimeoutError', retryable: true });
    expect(server.received).toHaveLength(2);
  });

  it('checks x-amz-crc32: a corrupted response is retried, a missing header is accepted', async () => {
    server.play([
      { ...json(200, { Item: { pk: { S: 'bad' } } }), crc: 'wrong' },
      json(200, { Item: { pk: { S: 'ok' } } }),
    ]);
    await expect(client().call('GetItem', get)).resolves.toEqual({ Item: { pk: { S: 'ok' } } });
    expect(server.received).toHaveLength(2);
    server.play([
      { ...json(200, {}), crc: 'wrong' },
      { ...json(200, {}), crc: 'wrong' },
      { ...json(200, {}), crc: 'wrong' },
    ]);
    expect(await failure(client().call('GetItem', get))).toMatchObject({ name: 'CrcMismatch' });
    server.play([{ ...json(200, { Count: 0 }), crc: 'none' }]);
    await expect(client().call('Query', { TableName: 't' })).resolves.toEqual({ Count: 0 });
  });

  it('reads credentials from the Lambda environment per request, and fails clearly without them', async () => {
    const env: Record<string, string | undefined> = {
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AKIDFIRST',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'token-1',
    };
    const c = createHttpDynamoDb({ endpoint: server.endpoint, env });
    clients.push(c);
    server.play([json(200, {}), json(200, {})]);
    await c.call('GetItem', get);
    env.AWS_ACCESS_KEY_ID = 'AKIDSECOND';
    env.AWS_SESSION_TOKEN = 'token-2';
    await c.call('GetItem', get);
    expect(server.received.map((r) => r.headers['x-amz-security-token'])).toEqual(['token-1', 'token-2']);
    expect(server.received.map((r) => /Credential=(\w+)\//.exec(String(r.headers.authorization))?.[1])).toEqual([
      'AKIDFIRST',
      'AKIDSECOND',
    ]);
    server.play([]);
    const bare = createHttpDynamoDb({ endpoint: server.endpoint, env: { AWS_REGION: 'eu-west-1' } });
    clients.push(bare);
    expect(await failure(bare.call('GetItem', get))).toMatchObject({ name: 'CredentialsError', retryable: false });
    const noRegion = createHttpDynamoDb({ endpoint: server.endpoint, credentials: CREDS, env: {} });
    clients.push(noRegion);
    expect(await failure(noRegion.call('GetItem', get))).toMatchObject({ name: 'ConfigError' });
    expect(server.received).toHaveLength(0);
  });

  it('takes the endpoint from AWS_ENDPOINT_URL_DYNAMODB, as the SDK does', async () => {
    const c = createHttpDynamoDb({
      env: { AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_DYNAMODB: server.endpoint },
      credentials: CREDS,
    });
    clients.push(c);
    server.play([json(200, {})]);
    await c.call('GetItem', get);
    expect(server.received).toHaveLength(1);
  });

  it.each([
    ['us-east-1', 'https://dynamodb.us-east-1.amazonaws.com'],
    ['us-gov-west-1', 'https://dynamodb.us-gov-west-1.amazonaws.com'],
    ['cn-north-1', 'https://dynamodb.cn-north-1.amazonaws.com.cn'],
    ['us-iso-east-1', 'https://dynamodb.us-iso-east-1.c2s.ic.gov'],
  ])('regional endpoint of %s is %s', (region, url) => {
    expect(regionalEndpoint(region)).toBe(url);
  });
});

describe('lean DynamoDB client against DynamoDB Local', () => {
  let db: TestDynamoDb;
  let table: string;
  beforeAll(async () => {
    db = dynamoClient(inject('dynamoEndpoint'));
    table = await createStateTable(db);
  });
  afterAll(async () => {
    await deleteTable(db, table);
    db.destroy();
  });

  it('puts, gets, updates, queries and deletes an item', async () => {
    await db.call('PutItem', {
      TableName: table,
      Item: { pk: { S: 'history#a' }, s: { S: '{"n":1}' }, v: { N: '1' } },
    });
    const updated = await db.call('UpdateItem', {
      TableName: table,
      Key: { pk: { S: 'history#a' } },
      UpdateExpression: 'SET v = v + :one',
      ConditionExpression: 'v = :v',
      ExpressionAttributeValues: { ':one': { N: '1' }, ':v': { N: '1' } },
      ReturnValues: 'ALL_NEW',
    });
    expect(updated.Attributes).toEqual({ pk: { S: 'history#a' }, s: { S: '{"n":1}' }, v: { N: '2' } });
    const got = await db.call('GetItem', { TableName: table, Key: { pk: { S: 'history#a' } }, ConsistentRead: true });
    expect(got.Item?.v).toEqual({ N: '2' });
    const queried = await db.call('Query', {
      TableName: table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: 'history#a' } },
    });
    expect(queried.Count).toBe(1);
    await db.call('DeleteItem', { TableName: table, Key: { pk: { S: 'history#a' } } });
    const gone = await db.call('GetItem', { TableName: table, Key: { pk: { S: 'history#a' } }, ConsistentRead: true });
    expect(gone.Item).toBeUndefined();
  });

  it('maps a failed condition and a validation error to named errors', async () => {
    await db.call('PutItem', { TableName: table, Item: { pk: { S: 'dedup#c' } } });
    const cond = await db
      .call('PutItem', {
        TableName: table,
        Item: { pk: { S: 'dedup#c' } },
        ConditionExpression: 'attribute_not_exists(pk)',
      })
      .catch((e: unknown) => e);
    expect(isDynamoDbError(cond, 'ConditionalCheckFailedException')).toBe(true);
    const invalid = await db.call('GetItem', { TableName: table, Key: { nope: { S: 'x' } } }).catch((e: unknown) => e);
    expect(invalid).toMatchObject({ name: 'ValidationException', statusCode: 400, retryable: false });
  });
});
