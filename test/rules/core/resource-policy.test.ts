import { describe, expect, it } from 'vitest';
import type { JsonObject, JsonValue } from '../../../rules/core/cloudtrail.ts';
import type { NamedPrincipals } from '../../../rules/core/resource-policy.ts';
import {
  accountOfPrincipal,
  accountsOutsideOrganization,
  addPermissionPolicy,
  analyzeResourcePolicy,
  describeOpenedExposure,
  isNarrowCidr,
  isOpenedExposure,
  isPublicPolicy,
  orgPolicyExposure,
  parsePolicyDocument,
  policyExposure,
  statementPrincipals,
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
    // Multi-digit octets in every position, at and past their limits.
    ['198.51.100.25/32', true],
    ['172.16.254.254', true],
    ['100.100.100.100/16', true],
    ['255.255.255.255', true],
    ['10.255.0.1', true],
    ['10.256.0.1', false],
    ['10.0.256.1', false],
    ['10.0.0.256', false],
    ['10.0.0.1000', false],
    ['1000.0.0.1', false],
    ['10.0.0', false],
    ['10.0.0.1.5', false],
    [' 198.51.100.25/32 ', true],
    ['198.51.100.0/', false],
    ['198.51.100.0/abc', false],
    ['198.51.100.0/0032', false],
    ['2001:db8::/32', true],
    ['2001:db8::/31', false],
    ['2001:db8::/129', false],
    ['2001:db8::1/128', true],
    ['::ffff:198.51.100.25', true],
    ['fe80::1%eth0', false],
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
    ['an empty aws:SourceIp list', everyone({ IpAddress: { 'aws:SourceIp': [] } })],
    [
      'a narrow range beside an invalid one in aws:SourceIp',
      everyone({ IpAddress: { 'aws:SourceIp': ['198.51.100.0/24', '10.256.0.0/16'] } }),
    ],
    [
      'two non-restricting keys in one operator block',
      everyone({ StringEquals: { 's3:prefix': 'home/', 'aws:RequestedRegion': 'eu-west-1' } }),
    ],
    ['a restricting key under an unknown operator', everyone({ NumericEquals: { 'aws:PrincipalAccount': '1' } })],
    ['a condition that is not an object', allow({ Principal: '*', Condition: 'none' })],
    [
      'an operator block that is not an object',
      allow({ Principal: '*', Condition: { StringEquals: 'aws:PrincipalOrgID' } }),
    ],
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
      'a restricting key beside another key in one operator block',
      everyone({ StringEquals: { 's3:prefix': 'home/', 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } }),
    ],
    [
      'a restricting key beside a negated operator',
      everyone({
        StringNotEquals: { 'aws:PrincipalAccount': '444455556666' },
        StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' },
      }),
    ],
    [
      'aws:SourceIp with multi-digit octets',
      everyone({ IpAddress: { 'aws:SourceIp': ['198.51.100.25/32', '172.16.254.0/24'] } }),
    ],
    ['an IpAddress operator written in another case', everyone({ ipaddress: { 'aws:SourceIp': '198.51.100.0/24' } })],
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

describe('statementPrincipals', () => {
  const none: NamedPrincipals = { everyone: false, aws: [], service: [], federated: [], canonicalUser: [] };
  it.each([
    ['a bare "*"', { Principal: '*' }, { ...none, everyone: true }],
    ['{"AWS": "*"}', { Principal: { AWS: '*' } }, { ...none, everyone: true, aws: ['*'] }],
    [
      'an AWS list holding "*"',
      { Principal: { AWS: ['arn:aws:iam::111122223333:root', '*'] } },
      { ...none, everyone: true, aws: ['arn:aws:iam::111122223333:root', '*'] },
    ],
    ['one account', { Principal: { AWS: '999988887777' } }, { ...none, aws: ['999988887777'] }],
    ['an account id written as a number', { Principal: { AWS: 999988887777 } }, { ...none, aws: ['999988887777'] }],
    [
      'every kind at once',
      {
        Principal: {
          AWS: ['arn:aws:iam::444455556666:role/deploy-role'],
          Service: ['lambda.amazonaws.com', 'ecs-tasks.amazonaws.com'],
          Federated: 'arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com',
          CanonicalUser: '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be',
        },
      },
      {
        everyone: false,
        aws: ['arn:aws:iam::444455556666:role/deploy-role'],
        service: ['lambda.amazonaws.com', 'ecs-tasks.amazonaws.com'],
        federated: ['arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com'],
        canonicalUser: ['79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be'],
      },
    ],
    [
      'NotPrincipal: everyone but the listed, who are not "named"',
      { NotPrincipal: { AWS: 'arn:aws:iam::111122223333:root' } },
      { ...none, everyone: true },
    ],
    ['no Principal at all (identity policy)', { Action: 's3:GetObject', Resource: '*' }, none],
    ['a Principal that is neither "*" nor an object', { Principal: 'lambda.amazonaws.com' }, none],
    ['an unknown kind', { Principal: { Aws: '*' } }, none],
  ] satisfies [string, JsonObject, NamedPrincipals][])('reads %s', (_name, statement, expected) => {
    expect(statementPrincipals(statement)).toEqual(expected);
  });
});

describe('accountOfPrincipal', () => {
  it.each([
    ['a bare account id', '999988887777', '999988887777'],
    ['an account root ARN', 'arn:aws:iam::999988887777:root', '999988887777'],
    ['a role ARN with a path', 'arn:aws:iam::444455556666:role/ops/deploy-role', '444455556666'],
    ['a user ARN', 'arn:aws:iam::111122223333:user/alice', '111122223333'],
    ['an assumed-role session ARN', 'arn:aws:sts::999988887777:assumed-role/x/session', '999988887777'],
    ['a GovCloud ARN', 'arn:aws-us-gov:iam::111122223333:root', '111122223333'],
    ['surrounding spaces', ' 111122223333 ', '111122223333'],
    ['"*"', '*', undefined],
    ['a role unique id (deleted principal)', 'AROAIOSFODNN7EXAMPLE', undefined],
    ['an 11-digit number', '11112222333', undefined],
    ['a 13-digit number', '1111222233334', undefined],
    ['an ARN of another service', 'arn:aws:s3:::example-bucket', undefined],
    ['an IAM ARN with no account', 'arn:aws:iam::aws:policy/AdministratorAccess', undefined],
    ['an empty string', '', undefined],
  ])('reads %s', (_name, value, expected) => {
    expect(accountOfPrincipal(value)).toBe(expected);
  });
});

describe('policyExposure', () => {
  const own = '111122223333';
  const org = ['111122223333', '444455556666'];
  const orgId = 'o-a1b2c3d4e5';
  const grant = (statement: Record<string, unknown>) => ({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*', ...statement }],
  });
  const toEveryone = (condition: Record<string, unknown>) => grant({ Principal: '*', Condition: condition });

  it.each([
    ['Principal "*" with no condition', grant({ Principal: '*' }), 'public', []],
    ['{"AWS": "*"} with only a TLS condition', toEveryone({ Bool: { 'aws:SecureTransport': 'true' } }), 'public', []],
    [
      'an outside account root',
      grant({ Principal: { AWS: 'arn:aws:iam::999988887777:root' } }),
      'outside-org',
      ['999988887777'],
    ],
    [
      'an outside account id written as a number',
      grant({ Principal: { AWS: 999988887777 } }),
      'outside-org',
      ['999988887777'],
    ],
    [
      'an outside assumed-role session',
      grant({ Principal: { AWS: 'arn:aws:sts::999988887777:assumed-role/reader/x' } }),
      'outside-org',
      ['999988887777'],
    ],
    ['an organisation member', grant({ Principal: { AWS: 'arn:aws:iam::444455556666:root' } }), 'private', []],
    ['the own account', grant({ Principal: { AWS: '111122223333' } }), 'private', []],
    ['a role unique id (deleted principal)', grant({ Principal: { AWS: 'AROAIOSFODNN7EXAMPLE' } }), 'private', []],
    [
      '"*" held to an outside account',
      toEveryone({ StringEquals: { 'aws:PrincipalAccount': '999988887777' } }),
      'outside-org',
      ['999988887777'],
    ],
    [
      '"*" held to the own account or an outside one',
      toEveryone({ StringEquals: { 'aws:PrincipalAccount': ['111122223333', '999988887777'] } }),
      'outside-org',
      ['999988887777'],
    ],
    [
      '"*" held to roles in an outside account',
      toEveryone({ ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::999988887777:role/*' } }),
      'outside-org',
      ['999988887777'],
    ],
    ['"*" held to the organisation', toEveryone({ StringEquals: { 'aws:PrincipalOrgID': orgId } }), 'private', []],
    [
      '"*" held to another organisation',
      toEveryone({ StringEquals: { 'aws:PrincipalOrgID': 'o-zz9y8x7w6v' } }),
      'outside-org',
      ['o-zz9y8x7w6v'],
    ],
    [
      '"*" held to an OU path in another organisation',
      toEveryone({ 'ForAnyValue:StringLike': { 'aws:PrincipalOrgPaths': 'o-zz9y8x7w6v/r-ab12/*' } }),
      'outside-org',
      ['o-zz9y8x7w6v'],
    ],
    [
      '"*" held to the KMS caller account (AWS-managed key pattern)',
      toEveryone({
        StringEquals: { 'kms:CallerAccount': '111122223333', 'kms:ViaService': 'ec2.eu-west-1.amazonaws.com' },
      }),
      'private',
      [],
    ],
    [
      '"*" held to an outside KMS caller account',
      toEveryone({ StringEquals: { 'kms:CallerAccount': '999988887777' } }),
      'outside-org',
      ['999988887777'],
    ],
    ['"*" held to a VPC endpoint', toEveryone({ StringEquals: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } }), 'private', []],
    [
      '"*" held to an exact bucket (no account in the ARN)',
      toEveryone({ ArnEquals: { 'aws:SourceArn': 'arn:aws:s3:::example-logs' } }),
      'private',
      [],
    ],
    [
      '"*" held to an outside account and to a VPC endpoint of ours',
      toEveryone({
        StringEquals: { 'aws:SourceAccount': '999988887777', 'aws:SourceVpce': 'vpce-1a2b3c4d' },
      }),
      'private',
      [],
    ],
    [
      'a service acting for a topic in an outside account',
      grant({
        Principal: { Service: 'sns.amazonaws.com' },
        Condition: { ArnEquals: { 'aws:SourceArn': 'arn:aws:sns:eu-west-1:999988887777:exfil' } },
      }),
      'outside-org',
      ['999988887777'],
    ],
    [
      'a service acting for a resource of the own account',
      grant({
        Principal: { Service: 'events.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': '111122223333' } },
      }),
      'private',
      [],
    ],
    ['a service with no condition', grant({ Principal: { Service: 'cloudtrail.amazonaws.com' } }), 'private', []],
    [
      'an outside account held to the organisation (cannot be met)',
      grant({
        Principal: { AWS: 'arn:aws:iam::999988887777:root' },
        Condition: { StringEquals: { 'aws:PrincipalOrgID': orgId } },
      }),
      'private',
      [],
    ],
    [
      'an outside account held to an office range (still outside)',
      grant({
        Principal: { AWS: 'arn:aws:iam::999988887777:root' },
        Condition: { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } },
      }),
      'outside-org',
      ['999988887777'],
    ],
    [
      'a Deny naming an outside account',
      grant({ Effect: 'Deny', Principal: { AWS: 'arn:aws:iam::999988887777:root' } }),
      'private',
      [],
    ],
  ] as const)('%s → %s', (_name, policy, kind, accounts) => {
    const result = policyExposure(policy, own, org, orgId);
    expect(result.kind).toBe(kind);
    expect(result.accounts).toEqual(accounts);
  });

  it('treats every other account as outside when no organisation accounts are configured', () => {
    const member = grant({ Principal: { AWS: 'arn:aws:iam::444455556666:root' } });
    expect(policyExposure(member, own, []).kind).toBe('outside-org');
    expect(policyExposure(grant({ Principal: { AWS: own } }), own, []).kind).toBe('private');
  });

  it('cannot place an organisation condition without the organisation id', () => {
    const other = toEveryone({ StringEquals: { 'aws:PrincipalOrgID': 'o-zz9y8x7w6v' } });
    expect(policyExposure(other, own, org).kind).toBe('private');
  });

  it('reports public before outside-org, naming the public statements and every outside account', () => {
    const result = policyExposure(
      {
        Statement: [
          { Sid: 'Partner', Effect: 'Allow', Principal: { AWS: '999988887777' }, Action: 'sqs:*', Resource: '*' },
          { Sid: 'Anyone', Effect: 'Allow', Principal: '*', Action: 'sqs:SendMessage', Resource: '*' },
        ],
      },
      own,
      org,
    );
    expect(result).toEqual({ kind: 'public', statements: ['Anyone'], accounts: ['999988887777'] });
  });

  it('names the statements that reach outside, by Sid or position', () => {
    const result = policyExposure(
      JSON.stringify({
        Statement: [
          { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' },
          {
            Effect: 'Allow',
            Principal: { AWS: 'arn:aws:iam::999988887777:root' },
            Action: 'kms:Decrypt',
            Resource: '*',
          },
        ],
      }),
      own,
      org,
    );
    expect(result).toEqual({ kind: 'outside-org', statements: ['Statement[1]'], accounts: ['999988887777'] });
  });

  it.each([['{not json'], [''], [null], [{ Version: '2012-10-17' }]])(
    'reports %j as invalid, never throws',
    (input) => {
      expect(policyExposure(input, own, org).kind).toBe('invalid');
    },
  );

  it('agrees with analyzeResourcePolicy on what is public', () => {
    const policies = [
      grant({ Principal: '*' }),
      grant({ NotPrincipal: { AWS: 'arn:aws:iam::111122223333:root' } }),
      toEveryone({ StringLike: { 'aws:PrincipalOrgID': 'o-*' } }),
      toEveryone({ IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } }),
      toEveryone({ StringEquals: { 'aws:PrincipalOrgID': orgId } }),
      toEveryone({ StringEquals: { 'kms:CallerAccount': '111122223333' } }),
      grant({ Principal: { AWS: '999988887777' } }),
    ];
    for (const policy of policies) {
      expect(policyExposure(policy, own, org, orgId).kind === 'public').toBe(
        analyzeResourcePolicy(policy).kind === 'public',
      );
    }
    expect(analyzeResourcePolicy(toEveryone({ StringEquals: { 'kms:CallerAccount': '111122223333' } })).kind).toBe(
      'not-public',
    );
  });
});

describe('orgPolicyExposure / isOpenedExposure / describeOpenedExposure', () => {
  const own = '111122223333';
  const organization = { id: 'o-a1b2c3d4e5', accounts: ['111122223333', '444455556666'] };
  const grant = (Sid: string, Principal: unknown) => ({
    Version: '2012-10-17',
    Statement: [{ Sid, Effect: 'Allow', Principal, Action: 'sqs:SendMessage', Resource: '*' }],
  });

  it.each<[string, unknown, boolean, string[]]>([
    ['no policy set', undefined, false, []],
    ['a null policy', null, false, []],
    ['a policy that cannot be read', '{"Statement": [', false, []],
    ['a private policy', grant('Own', { AWS: 'arn:aws:iam::111122223333:root' }), false, []],
    ['an organisation member', grant('Sister', { AWS: '444455556666' }), false, []],
    ['everyone', grant('Everyone', '*'), true, ['public through Everyone']],
    [
      'an outside account',
      grant('Partner', { AWS: 'arn:aws:iam::999988887777:root' }),
      true,
      ['open outside the organisation through Partner', 'accounts outside the organisation: 999988887777'],
    ],
  ])('%s', (_name, policy, opened, lines) => {
    const x = orgPolicyExposure(policy, own, organization);
    expect(isOpenedExposure(x)).toBe(opened);
    expect(describeOpenedExposure(x)).toEqual(lines);
  });

  it('is undefined only when there is no policy to judge', () => {
    expect(orgPolicyExposure(undefined, own, organization)).toBeUndefined();
    expect(orgPolicyExposure(null, own, organization)).toBeUndefined();
    expect(orgPolicyExposure('not json', own, organization)?.kind).toBe('invalid');
  });

  it('judges against the configured organisation as policyExposure does', () => {
    const policy = grant('Sister', { AWS: '444455556666' });
    expect(orgPolicyExposure(policy, own, organization)).toEqual(
      policyExposure(policy, own, organization.accounts, organization.id),
    );
    // With no organisation accounts configured, every other account is outside.
    expect(orgPolicyExposure(policy, own, { accounts: [] })?.kind).toBe('outside-org');
  });

  it('names what opened the resource in place of the statement labels when asked', () => {
    const x = orgPolicyExposure(grant('Everyone', '*'), own, organization);
    expect(describeOpenedExposure(x, 'statement public-invoke (principal *)')).toEqual([
      'public through statement public-invoke (principal *)',
    ]);
  });
});

describe('addPermissionPolicy', () => {
  const queue = 'arn:aws:sqs:eu-west-1:111122223333:orders';

  it('writes the statement SQS and SNS AddPermission add', () => {
    expect(
      addPermissionPolicy({
        label: 'partner',
        accounts: ['999988887777'],
        actions: ['SQS:SendMessage'],
        resource: queue,
      }),
    ).toEqual({
      Statement: [
        {
          Sid: 'partner',
          Effect: 'Allow',
          Principal: { AWS: ['999988887777'] },
          Action: ['SQS:SendMessage'],
          Resource: queue,
        },
      ],
    });
  });

  it('labels an unlabelled grant AddPermission', () => {
    const policy = addPermissionPolicy({ label: undefined, accounts: ['999988887777'], actions: [], resource: queue });
    expect(policy?.Statement).toEqual([expect.objectContaining({ Sid: 'AddPermission' })]);
  });

  it('grants nothing without an account', () => {
    expect(addPermissionPolicy({ label: 'x', accounts: [], actions: ['SQS:*'], resource: queue })).toBeUndefined();
  });
});

describe('accountsOutsideOrganization', () => {
  const org = { accounts: ['111122223333', '444455556666'] };
  it.each<[string, string[], { readonly accounts: readonly string[] }, string[]]>([
    ['a stranger, trimmed', [' 999988887777 '], org, ['999988887777']],
    ['own and member accounts are inside', ['111122223333', '444455556666'], org, []],
    ['all (public, any case) is not an account', ['All', 'ALL', 'all'], org, []],
    [
      'no organisation configured: every other account is outside',
      ['444455556666', '111122223333'],
      { accounts: [] },
      ['444455556666'],
    ],
  ])('%s', (_name, values, organization, expected) => {
    expect(accountsOutsideOrganization(values, '111122223333', organization)).toEqual(expected);
  });
});
