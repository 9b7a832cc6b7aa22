import aws4 from 'aws4';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { amzDate, signV4 } from '../../functions/shared/adapters/sigv4.ts';

const CREDS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const SUITE_TIME = new Date('2015-08-30T12:36:00Z');
const suite = (method: string) =>
  signV4(
    {
      method,
      host: 'example.amazonaws.com',
      path: '/',
      service: 'service',
      region: 'us-east-1',
      headers: {},
      body: '',
    },
    CREDS,
    SUITE_TIME,
  );

describe('SigV4 signer (the lean DynamoDB client’s)', () => {
  it('reproduces the AWS SigV4 test suite: get-vanilla and post-vanilla', () => {
    expect(amzDate(SUITE_TIME)).toBe('20150830T123600Z');
    expect(suite('GET').authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
    expect(suite('POST').authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b',
    );
  });

  it('signs the session token, the target and the body length; leaves the user agent unsigned', () => {
    const headers = signV4(
      {
        method: 'POST',
        host: 'dynamodb.eu-west-1.amazonaws.com',
        path: '/',
        service: 'dynamodb',
        region: 'eu-west-1',
        headers: { 'X-Amz-Target': 'DynamoDB_20120810.GetItem', 'User-Agent': 'trailwarden' },
        body: '{"TableName":"t"}',
      },
      { ...CREDS, sessionToken: 'token' },
      SUITE_TIME,
    );
    expect(headers['x-amz-security-token']).toBe('token');
    expect(headers['content-length']).toBe('17');
    expect(headers['user-agent']).toBe('trailwarden');
    expect(/SignedHeaders=([^,]+)/.exec(headers.authorization ?? '')?.[1]).toBe(
      'content-length;host;x-amz-date;x-amz-security-token;x-amz-target',
    );
  });

  it('gives the signature aws4 gives for any DynamoDB request it makes (region, host, port, token, body, time)', () => {
    const request = fc.record({
      region: fc.constantFrom('us-east-1', 'eu-west-1', 'cn-north-1', 'us-gov-west-1'),
      host: fc.constantFrom(
        'dynamodb.us-east-1.amazonaws.com',
        '127.0.0.1:8000',
        'dynamodb.cn-north-1.amazonaws.com.cn',
      ),
      op: fc.constantFrom('GetItem', 'UpdateItem', 'TransactWriteItems'),
      // Header values are trimmed and inner runs of spaces folded before signing: tokens exercise that.
      token: fc.option(
        fc.oneof(
          fc.string({ minLength: 1, maxLength: 40 }).map((s) => s.trim() || 'x'),
          fc.constantFrom('with  two  spaces', 'tab\tinside', 'IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJH'),
        ),
        { nil: undefined },
      ),
      body: fc.json(),
      at: fc.date({
        min: new Date('2020-01-01T00:00:00Z'),
        max: new Date('2030-01-01T00:00:00Z'),
        noInvalidDate: true,
      }),
    });
    fc.assert(
      fc.property(request, ({ region, host, op, token, body, at }) => {
        const credentials = token === undefined ? CREDS : { ...CREDS, sessionToken: token };
        const base = {
          'Content-Type': 'application/x-amz-json-1.0',
          'X-Amz-Target': `DynamoDB_20120810.${op}`,
          'Accept-Encoding': 'identity',
        };
        const ours = signV4(
          { method: 'POST', host, path: '/', service: 'dynamodb', region, headers: base, body },
          credentials,
          at,
        );
        const theirs = aws4.sign(
          {
            host,
            path: '/',
            method: 'POST',
            service: 'dynamodb',
            region,
            body,
            headers: { ...base, 'X-Amz-Date': amzDate(at) },
          },
          credentials,
        );
        expect(ours.authorization).toBe(theirs.headers?.Authorization);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a path it would have to encode rather than sign it wrongly', () => {
    const sign = (path: string) =>
      signV4(
        { method: 'POST', host: 'h', path, service: 'dynamodb', region: 'us-east-1', headers: {}, body: '' },
        CREDS,
      );
    expect(() => sign('/a b')).toThrow('is not canonical');
    expect(() => sign('')).toThrow('is not canonical');
    expect(sign('/prefix/').authorization).toMatch(/^AWS4-HMAC-SHA256 /);
  });
});
