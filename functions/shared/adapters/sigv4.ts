import { createHash, createHmac } from 'node:crypto';

/**
 * AWS Signature Version 4 for the lean DynamoDB client's one kind of request: a POST of a JSON body to a path
 * without a query string. Written out (about 40 lines) instead of the `aws4` package, which also carries S3,
 * presigned URLs, query signing and a key cache the functions never use: 8 KB of the evaluate bundle, parsed at
 * every cold start. `test/functions/sigv4.test.ts` checks it against AWS's SigV4 test suite and against `aws4`
 * on many requests.
 */

export interface SigV4Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface SigV4Request {
  readonly method: string;
  /** `host[:port]` exactly as the Host header carries it. */
  readonly host: string;
  /** Already canonical: `/` or unreserved characters only (checked; anything else would need URI encoding). */
  readonly path: string;
  readonly service: string;
  readonly region: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Sent but not signed, as the SDKs do: proxies rewrite them, and a changed one must not invalidate a request. */
const UNSIGNED = new Set(['authorization', 'connection', 'user-agent', 'expect', 'x-amzn-trace-id', 'range']);
const CANONICAL_PATH = /^\/[A-Za-z0-9\-._~/]*$/;

const sha256 = (data: string): string => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

/** `20150830T123600Z`: ISO 8601 basic format, seconds precision, UTC. */
export const amzDate = (at: Date): string =>
  at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

/**
 * The headers to send: the request's own (names lower-cased), plus `host`, `x-amz-date`, `content-length` (for a
 * body), the session token when there is one, and `authorization`. Every header sent is signed but the few in `UNSIGNED`.
 */
export const signV4 = (
  req: SigV4Request,
  credentials: SigV4Credentials,
  at: Date = new Date(),
): Record<string, string> => {
  if (!CANONICAL_PATH.test(req.path)) throw new Error(`SigV4: path ${JSON.stringify(req.path)} is not canonical`);
  const date = amzDate(at);
  const day = date.slice(0, 8);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) headers[name.toLowerCase()] = value;
  headers.host = req.host;
  headers['x-amz-date'] = date;
  if (req.body !== '') headers['content-length'] = String(Buffer.byteLength(req.body, 'utf8'));
  if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
  delete headers.authorization;
  const signed = Object.keys(headers)
    .filter((name) => !UNSIGNED.has(name))
    .sort();
  const canonicalHeaders = signed.map((name) => `${name}:${String(headers[name]).trim().replace(/\s+/g, ' ')}\n`);
  const canonicalRequest = [
    req.method,
    req.path,
    '', // no query string
    canonicalHeaders.join(''),
    signed.join(';'),
    sha256(req.body),
  ].join('\n');
  const scope = `${day}/${req.region}/${req.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', date, scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(
    hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), req.region), req.service),
    'aws4_request',
  );
  const signature = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${signature}`;
  return headers;
};
