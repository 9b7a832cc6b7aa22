import { describe, expect, it } from 'vitest';
import type { CloudTrailRecord } from '../../../rules/core/cloudtrail.ts';
import { apiName, bothSpellings, domainArn, domainOf, nameServersOf } from '../../../rules/core/route53domains.ts';

const record = (overrides: Partial<CloudTrailRecord> = {}): CloudTrailRecord => ({
  eventTime: '2026-11-02T10:00:00Z',
  eventSource: 'route53domains.amazonaws.com',
  eventName: 'disableDomainTransferLock',
  awsRegion: 'us-east-1',
  eventID: '00000000-0000-4000-8000-000000000001',
  recipientAccountId: '111122223333',
  userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice' },
  ...overrides,
});

describe('Route 53 Domains event names', () => {
  it('lists the API spelling and the lower-case one CloudTrail writes, for each name', () => {
    expect(bothSpellings(['DisableDomainTransferLock', 'RetrieveDomainAuthCode'])).toEqual([
      'DisableDomainTransferLock',
      'disableDomainTransferLock',
      'RetrieveDomainAuthCode',
      'retrieveDomainAuthCode',
    ]);
    expect(bothSpellings([])).toEqual([]);
  });

  it.each([
    ['disableDomainTransferLock', 'DisableDomainTransferLock'],
    ['DisableDomainTransferLock', 'DisableDomainTransferLock'],
    ['x', 'X'],
  ])('%s is %s in the API', (eventName, api) => {
    expect(apiName(record({ eventName }))).toBe(api);
  });
});

describe('the domain a call names', () => {
  it.each([
    [{ domainName: { name: 'example.com' } }, 'example.com'],
    [{ domainName: 'example.org' }, 'example.org'],
    [{ domainName: { name: 7 } }, undefined],
    [{ other: 'example.com' }, undefined],
    [null, undefined],
  ])('%j → %s', (requestParameters, domain) => {
    expect(domainOf(record({ requestParameters }))).toBe(domain);
  });

  it('is named by an ARN in the partition of the call, or as unknown', () => {
    expect(domainArn(record({ requestParameters: { domainName: 'example.com' } }))).toBe(
      'arn:aws:route53domains:::domain/example.com',
    );
    expect(domainArn(record({ awsRegion: 'cn-north-1', requestParameters: { domainName: 'example.cn' } }))).toBe(
      'arn:aws-cn:route53domains:::domain/example.cn',
    );
    expect(domainArn(record({ requestParameters: null }))).toBe('arn:aws:route53domains:::domain/unknown');
  });
});

describe('name servers a call sets', () => {
  it('reads each name, skipping what is not a named object', () => {
    const requestParameters = {
      nameservers: [
        { name: 'ns1.attacker.example' },
        { name: 3 },
        'ns2',
        null,
        [{ name: 'x' }],
        { name: 'ns3.example' },
      ],
    };
    expect(nameServersOf(record({ requestParameters }))).toEqual(['ns1.attacker.example', 'ns3.example']);
  });

  it('is empty without a list', () => {
    expect(nameServersOf(record({ requestParameters: { nameservers: 'ns1' } }))).toEqual([]);
    expect(nameServersOf(record())).toEqual([]);
  });
});
