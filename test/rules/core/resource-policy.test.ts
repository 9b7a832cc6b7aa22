import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../../rules/core/cloudtrail.ts';
import {
  analyzeResourcePolicy,
  isNarrowCidr,
  isPublicPolicy,
  parsePolicyDocument,
  stringsOf,
} from '../../../rules/core/resource-policy.ts';

const bucket = 'arn:aws:s3:::example-bucket/*';
const allow = (extra: Record<string, unknown>) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: bucket, ...extra }],
});
const everyone = (condition?: Record<string, unknown>) =>
  allow({ Principal: '*', ...(condition ? { Condition: condition } : {}) });

describe('parsePolicyDocument', () => {
  it.each([
    ['object', { Statement: { Effect: 'Allow' } }, 1],
    ['JSON string', '{"Statement":[{"Effect":"Allow"},{"Effect":"Deny"}]}', 2],
    ['JSON string with whitespace', '\n  {"Statement": {"Effect": "Allow"}}  \n', 1],
    ['URL-encoded string', encodeURIComponent('{"Statement":[{"Effect":"Allow","Sid":"a b"}]}'), 1],
    ['form-encoded string (+ for spaces)', '%7B%22Statement%22%3A+%7B%22Effect%22%3A+%22Allow%22%7D%7D', 1],
  ] as const)('reads a %s', (_name, input, count) => {
    const parsed = parsePolicyDocument(input);
    expect(parsed.ok && parsed.statements.length).toBe(count);
  });

  it.each([
    ['invalid JSON', '{"Statement": [', 'not valid JSON'],
    ['bad URL encoding', '%E0%A4%A', 'not valid JSON'],
    ['empty string', '  ', 'empty'],
    ['a number', 42, 'not a JSON object'],
    ['null', null, 'not a JSON object'],
    ['an array', [{ Effect: 'Allow' }], 'not a JSON object'],
    ['no Statement', { Version: '2012-10-17' }, 'no Statement'],
    ['a statement that is not an object', { Statement: ['Allow'] }, 'Statement[0] is not an object'],
  ] as const)('rejects %s without throwing', (_name, input, error) => {
    const parsed = parsePolicyDocument(input);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toContain(error);
  });

  it('labels statements by Sid, else by position', () => {
    const parsed = parsePolicyDocument({ Statement: [{ Sid: 'Named' }, { Sid: '' }, {}] });
    expect(parsed.ok && parsed.statements.map((s) => s.label)).toEqual(['Named', 'Statement[1]', 'Statement[2]']);
  });
});

describe('stringsOf', () => {
  it.each([
    ['a string', 's3:GetObject', ['s3:GetObject']],
    ['a list', ['a', 'b'], ['a', 'b']],
    ['a number (account id written unquoted)', 111122223333, ['111122223333']],
    ['nothing', undefined, []],
    ['an object', { AWS: '*' }, []],
  ] satisfies [string, JsonValue | undefined, string[]][])('reads %s', (_name, value, expected) => {
    expect(stringsOf(value)).toEqual(expected);
  });
});

describe('isNarrowCidr', () => {
  it.each([
    ['203.0.113.0/24', true],
    ['203.0.113.7', true],
    ['10.0.0.0/8', true],
    ['2001:db8::/48', true],
    ['2001:db8::1', true],
    ['0.0.0.0/0', false],
    ['0.0.0.0/1', false],
    ['10.0.0.0/7', false],
    ['::/0', false],
    ['2000::/3', false],
    ['203.0.113.0/33', false],
    ['256.0.0.1/32', false],
    ['not-an-ip', false],
    ['203.0.113.0/24/1', false],
    ['', false],
  ] as const)('%s → %s', (cidr, expected) => {
    expect(isNarrowCidr(cidr)).toBe(expected);
  });
});

describe('analyzeResourcePolicy', () => {
  it.each([
    ['Principal "*"', everyone()],
    ['Principal {"AWS": "*"}', allow({ Principal: { AWS: '*' } })],
    ['Principal {"AWS": ["*", account]}', allow({ Principal: { AWS: ['arn:aws:iam::111122223333:root', '*'] } })],
    ['NotPrincipal with Allow', allow({ NotPrincipal: { AWS: 'arn:aws:iam::111122223333:root' } })],
    ['a single statement object', { Statement: { Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: '*' } }],
    ['the same policy as a JSON string', JSON.stringify(everyone())],
    ['an org condition with a wildcard', everyone({ StringLike: { 'aws:PrincipalOrgID': 'o-*' } })],
    ['an org condition of "*"', everyone({ StringEquals: { 'aws:PrincipalOrgID': '*' } })],
    [
      'an org condition mixing a fixed value and "*"',
      everyone({ StringLike: { 'aws:PrincipalOrgID': ['o-a1b2c3d4e5', '*'] } }),
    ],
    [
      'an account wildcard in aws:PrincipalArn',
      everyone({ ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/reader' } }),
    ],
    ['a wildcard bucket in aws:SourceArn', everyone({ ArnLike: { 'aws:SourceArn': 'arn:aws:s3:::logs-*' } })],
    [
      'a wildcard org in aws:PrincipalOrgPaths',
      everyone({ 'ForAnyValue:StringLike': { 'aws:PrincipalOrgPaths': 'o-*/r-ab12/*' } }),
    ],
    ['a wildcard role id in aws:userid', everyone({ StringLike: { 'aws:userid': 'AROA*' } })],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, not a template placeholder
    ['a policy variable', everyone({ StringEquals: { 'aws:PrincipalAccount': '${aws:PrincipalAccount}' } })],
    ['the whole internet in aws:SourceIp', everyone({ IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } })],
    ['a /1 in aws:SourceIp', everyone({ IpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '0.0.0.0/1'] } })],
    ['NotIpAddress (everyone but a range)', everyone({ NotIpAddress: { 'aws:SourceIp': '203.0.113.0/24' } })],
    ['a negated org condition', everyone({ StringNotEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } })],
    [
      '…IfExists (met by a caller without the key)',
      everyone({ StringEqualsIfExists: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } }),
    ],
    [
      'ForAllValues (met by an empty set)',
      everyone({ 'ForAllValues:StringEquals': { 'aws:PrincipalOrgPaths': 'o-a1b2c3d4e5/r-ab12/' } }),
    ],
    ['a condition on a key that does not identify the caller', everyone({ Bool: { 'aws:SecureTransport': 'true' } })],
    ['aws:SourceVpce tested with IpAddress', everyone({ IpAddress: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } })],
    ['an empty value list', everyone({ StringEquals: { 'aws:PrincipalOrgID': [] } })],
  ])('public: %s', (_name, policy) => {
    expect(analyzeResourcePolicy(policy).kind).toBe('public');
  });

  it.each([
    ['a named account', allow({ Principal: { AWS: 'arn:aws:iam::444455556666:root' } })],
    ['a service principal', allow({ Principal: { Service: 'cloudtrail.amazonaws.com' } })],
    ['aws:PrincipalOrgID', everyone({ StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } })],
    ['aws:PrincipalOrgID, key in another case', everyone({ StringEquals: { 'AWS:principalorgid': 'o-a1b2c3d4e5' } })],
    [
      'aws:PrincipalOrgPaths under one org',
      everyone({ 'ForAnyValue:StringLike': { 'aws:PrincipalOrgPaths': 'o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*' } }),
    ],
    ['aws:PrincipalAccount', everyone({ StringEquals: { 'aws:PrincipalAccount': ['111122223333', '444455556666'] } })],
    ['aws:PrincipalAccount as a number', everyone({ StringEquals: { 'aws:PrincipalAccount': 111122223333 } })],
    [
      'aws:PrincipalArn with a role wildcard in one account',
      everyone({ ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::111122223333:role/*' } }),
    ],
    ['aws:SourceVpce', everyone({ StringEquals: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } })],
    ['aws:SourceVpc', everyone({ StringEquals: { 'aws:SourceVpc': 'vpc-111bbb22' } })],
    [
      'aws:SourceArn in one account',
      everyone({ ArnLike: { 'aws:SourceArn': 'arn:aws:cloudtrail:*:111122223333:trail/*' } }),
    ],
    ['aws:SourceArn of an exact bucket', everyone({ ArnEquals: { 'aws:SourceArn': 'arn:aws:s3:::example-logs' } })],
    ['aws:SourceAccount', everyone({ StringEquals: { 'aws:SourceAccount': '111122223333' } })],
    ['aws:SourceOwner', everyone({ StringEquals: { 'aws:SourceOwner': '111122223333' } })],
    ['aws:userid of one role’s sessions', everyone({ StringLike: { 'aws:userid': 'AROAEXAMPLEID:*' } })],
    [
      'aws:SourceIp with office ranges',
      everyone({ IpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '2001:db8::/48'] } }),
    ],
    [
      'ForAnyValue on a fixed account',
      everyone({ 'ForAnyValue:StringEquals': { 'aws:PrincipalAccount': '111122223333' } }),
    ],
    [
      'one restricting key among others',
      everyone({ Bool: { 'aws:SecureTransport': 'true' }, StringEquals: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } }),
    ],
    [
      'Deny-only Principal "*" (TLS-only policy)',
      {
        Statement: [
          {
            Sid: 'DenyInsecureTransport',
            Effect: 'Deny',
            Principal: '*',
            Action: 's3:*',
            Resource: [bucket, 'arn:aws:s3:::example-bucket'],
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      },
    ],
    [
      'NotPrincipal with Deny',
      {
        Statement: [
          { Effect: 'Deny', NotPrincipal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: '*', Resource: '*' },
        ],
      },
    ],
    ['an effect other than Allow', allow({ Effect: 'allow', Principal: '*' })],
  ])('not public: %s', (_name, policy) => {
    expect(analyzeResourcePolicy(policy).kind).toBe('not-public');
  });

  it('names every statement that made it public, by Sid or position', () => {
    const result = analyzeResourcePolicy({
      Statement: [
        { Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: bucket },
        { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::444455556666:root' }, Action: 's3:*', Resource: bucket },
        { Effect: 'Allow', Principal: { AWS: ['*'] }, Action: 's3:PutObject', Resource: bucket },
      ],
    });
    expect(result).toEqual({ kind: 'public', statements: ['PublicRead', 'Statement[2]'] });
  });

  it.each([['{not json'], [''], [17], [{ Version: '2012-10-17' }]])('reports %j as invalid, never throws', (input) => {
    const result = analyzeResourcePolicy(input);
    expect(result.kind).toBe('invalid');
    expect(isPublicPolicy(input)).toBe(false);
  });
});
