import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { crc32 } from 'node:zlib';
import type { DynamoDb, DynamoDbOperations, OperationMap } from './dynamodb-port.ts';
import { signV4 } from './sigv4.ts';

/**
 * A lean DynamoDB client: the JSON protocol over node:https with a keep-alive agent, signed by `sigv4.ts` (SigV4 on
 * node:crypto). It replaces @aws-sdk/client-dynamodb in the functions because loading the SDK's DynamoDB stack
 * (smithy core, credential chains with their own STS/SSO clients, endpoint rule sets) was most of the evaluate
 * function's cold start. It keeps what the SDK did for us: env credentials, region and endpoint, retries with
 * backoff and full jitter on throttling, 5xx and network errors, the response CRC32, a request timeout, and
 * errors named by the service's `__type`.
 */

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface HttpDynamoDbOptions {
  /** Default: AWS_REGION, then AWS_DEFAULT_REGION. */
  readonly region?: string;
  /** e.g. DynamoDB Local's `http://127.0.0.1:8000`. Default: AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL, else the regional endpoint. */
  readonly endpoint?: string;
  /** Default: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, read per request (Lambda sets them). */
  readonly credentials?: Credentials;
  /** Attempts per call, the first included (default 3, as the SDK's standard retry mode). */
  readonly maxAttempts?: number;
  /** Time one attempt may take, connect to last byte (default 5,000 ms). */
  readonly timeoutMs?: number;
  /** Backoff bases (defaults 100 ms, and 500 ms after throttling, as the SDK) and cap (default 20 s). */
  readonly baseDelayMs?: number;
  readonly throttlingBaseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** For tests: the jitter source and the wait. */
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The lean client: the port, plus closing its kept-alive sockets. */
export interface HttpDynamoDb<Ops extends OperationMap<Ops> = DynamoDbOperations> extends DynamoDb<Ops> {
  destroy(): void;
}

/** A DynamoDB error: `name` is the service's `__type` after '#'; other fields of the body ride along. */
export class DynamoDbError extends Error {
  readonly statusCode: number | undefined;
  readonly retryable: boolean;
  /** TransactWriteItems: why each item failed. */
  readonly CancellationReasons?: readonly { readonly Code?: string; readonly Message?: string }[];
  /** ReturnValuesOnConditionCheckFailure: the item as it stood. */
  readonly Item?: Record<string, unknown>;

  constructor(
    name: string,
    message: string,
    p: { statusCode?: number; retryable: boolean; fields?: Record<string, unknown> },
  ) {
    super(message);
    Object.assign(this, p.fields ?? {});
    this.name = name;
    this.statusCode = p.statusCode;
    this.retryable = p.retryable;
  }
}

/** Errors DynamoDB returns when a call was throttled: worth a retry after a longer backoff. */
const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TransactionInProgressException',
]);
/** Socket-level failures a retry may cure (the request may or may not have reached DynamoDB). */
const NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENETUNREACH']);

/** The regional endpoint, partition-correct (China and the isolated partitions have their own DNS suffixes). */
export const regionalEndpoint = (region: string): string => {
  const suffix = region.startsWith('cn-')
    ? 'amazonaws.com.cn'
    : region.startsWith('us-isob-')
      ? 'sc2s.sgov.gov'
      : region.startsWith('us-iso-')
        ? 'c2s.ic.gov'
        : region.startsWith('eusc-')
          ? 'amazonaws.eu'
          : 'amazonaws.com';
  return `https://dynamodb.${region}.${suffix}`;
};

interface Response {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Whether a retry may cure `err`: throttling, 5xx, a timeout, a corrupted response, or a socket failure. */
const retryable = (err: unknown): boolean =>
  err instanceof DynamoDbError ? err.retryable : NETWORK.has(String((err as { code?: unknown } | null)?.code ?? ''));

/** Turns a non-2xx response into a named error; `__type` is e.g. `com.amazonaws.dynamodb.v20120810#ThrottlingException`. */
const responseError = (op: string, res: Response): DynamoDbError => {
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(res.body.toString('utf8')) as Record<string, unknown>;
  } catch {
    // Not JSON (a proxy or load balancer page): named by status below.
  }
  const type = typeof body.__type === 'string' ? body.__type : '';
  const name = type.slice(type.indexOf('#') + 1) || (res.status >= 500 ? 'InternalServerError' : `Http${res.status}`);
  const message = body.message ?? body.Message ?? `DynamoDB ${op} failed with HTTP ${res.status}`;
  const { __type: _type, message: _m, Message: _M, ...fields } = body;
  return new DynamoDbError(name, String(message), {
    statusCode: res.status,
    retryable: res.status >= 500 || THROTTLING.has(name),
    fields,
  });
};

export const createHttpDynamoDb = <Ops extends OperationMap<Ops> = DynamoDbOperations>(
  options: HttpDynamoDbOptions = {},
): HttpDynamoDb<Ops> => {
  const env = options.env ?? process.env;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 3);
  const timeoutMs = options.timeoutMs ?? 5_000;
  const baseDelayMs = options.baseDelayMs ?? 100;
  const throttlingBaseDelayMs = options.throttlingBaseDelayMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 20_000;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  // As the SDK's node handler: sockets kept alive between calls and invocations, so a warm call skips TLS.
  const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 50 });
  const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 50 });

  let target: { url: URL; region: string } | undefined;
  const resolveTarget = (): { url: URL; region: string } => {
    if (target !== undefined) return target;
    const region = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
    if (!region) {
      throw new DynamoDbError('ConfigError', 'DynamoDB: no region (set AWS_REGION)', { retryable: false });
    }
    const endpoint = options.endpoint ?? env.AWS_ENDPOINT_URL_DYNAMODB ?? env.AWS_ENDPOINT_URL;
    target = { url: new URL(endpoint ?? regionalEndpoint(region)), region };
    return target;
  };

  const credentials = (): Credentials => {
    if (options.credentials !== undefined) return options.credentials;
    const accessKeyId = env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
    if (!accessKeyId || !secretAccessKey) {
      throw new DynamoDbError(
        'CredentialsError',
        'DynamoDB: no credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)',
        {
          retryable: false,
        },
      );
    }
    const sessionToken = env.AWS_SESSION_TOKEN;
    return sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
  };

  const attempt = (op: string, body: string): Promise<Response> => {
    const { url, region } = resolveTarget();
    const secure = url.protocol === 'https:';
    const headers = signV4(
      {
        method: 'POST',
        host: url.host,
        path: url.pathname || '/',
        service: 'dynamodb',
        region,
        body,
        headers: {
          'Content-Type': 'application/x-amz-json-1.0',
          'X-Amz-Target': `DynamoDB_20120810.${op}`,
          // The CRC32 DynamoDB sends is of the bytes as sent: ask for them uncompressed.
          'Accept-Encoding': 'identity',
          'User-Agent': 'trailwarden',
        },
      },
      credentials(),
    );
    return new Promise<Response>((resolve, reject) => {
      const req = (secure ? httpsRequest : httpRequest)({
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port || undefined,
        path: url.pathname || '/',
        method: 'POST',
        headers,
        agent: secure ? httpsAgent : httpAgent,
      });
      // One deadline for the whole attempt (connect, send, wait, read): a stalled socket fails and is retried.
      const timer = setTimeout(() => {
        const err = new DynamoDbError('TimeoutError', `DynamoDB ${op}: no response within ${timeoutMs} ms`, {
          retryable: true,
        });
        req.destroy(err);
      }, timeoutMs);
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        });
      });
      req.end(body);
    });
  };

  /** One attempt's outcome: the parsed body, or the error and whether a retry may cure it. */
  const once = async (op: string, body: string): Promise<object> => {
    const res = await attempt(op, body);
    const expected = res.headers['x-amz-crc32'];
    if (expected !== undefined && crc32(res.body) >>> 0 !== Number(expected)) {
      // Corrupted in transit: the SDK retries this too.
      throw new DynamoDbError('CrcMismatch', `DynamoDB ${op}: response CRC32 does not match x-amz-crc32`, {
        statusCode: res.status,
        retryable: true,
      });
    }
    if (res.status < 200 || res.status >= 300) throw responseError(op, res);
    return res.body.length === 0 ? {} : (JSON.parse(res.body.toString('utf8')) as object);
  };

  const call = async (op: string, input: object): Promise<object> => {
    const body = JSON.stringify(input);
    for (let n = 1; ; n++) {
      try {
        return await once(op, body);
      } catch (err) {
        if (n >= maxAttempts || !retryable(err)) throw err;
        const base = err instanceof DynamoDbError && THROTTLING.has(err.name) ? throttlingBaseDelayMs : baseDelayMs;
        // Full jitter: uniformly random up to the exponential bound, so a burst of throttled callers spreads out.
        await sleep(random() * Math.min(maxDelayMs, base * 2 ** (n - 1)));
      }
    }
  };

  return {
    call: call as HttpDynamoDb<Ops>['call'],
    destroy: () => {
      httpsAgent.destroy();
      httpAgent.destroy();
    },
  };
};
