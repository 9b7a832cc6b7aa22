import { describe, expect, it } from 'vitest';
import type { CloudTrailRecord } from '../../../rules/core/cloudtrail.ts';
import { accountInArn, callPolicyExposure, findParam, policyParam } from '../../../rules/core/policy-call.ts';

const record = (requestParameters: CloudTrailRecord['requestParameters']): CloudTrailRecord =>
  ({
    eventVersion: '1.10',
    eventTime: '2026-11-02T10:00:00Z',
    eventID: 'e1',
    eventSource: 'glacier.amazonaws.com',
    eventName: 'SetVaultAccessPolicy',
    awsRegion: 'eu-west-1',
    recipientAccountId: '111122223333',
    userIdentity: { type: 'IAMUser', accountId: '111122223333' },
    requestParameters,
  }) as CloudTrailRecord;

const open = JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: '*', Action: 'glacier:*' }] });

describe('findParam', () => {
  it('finds a field whatever its casing, inside wrappers, breadth first', () => {
    expect(findParam({ PutAccessPointPolicyRequest: { Policy: 'p' } }, ['policy'])).toBe('p');
    expect(findParam({ resourceARN: 'a', nested: { resourceArn: 'b' } }, ['resourceArn'])).toBe('a');
    expect(findParam({ a: { b: { c: { policy: 'deep' } } } }, ['policy'])).toBeUndefined();
    expect(findParam({ policy: null }, ['policy'])).toBeUndefined();
    expect(findParam(null, ['policy'])).toBeUndefined();
  });
});

describe('policyParam', () => {
  it("unwraps Glacier's policy.policy envelope to the document", () => {
    expect(policyParam(record({ policy: { policy: open } }), ['policy'])).toBe(open);
  });
  it('keeps a document given as an object', () => {
    const doc = { Statement: [{ Effect: 'Allow', Principal: '*' }] };
    expect(policyParam(record({ policy: doc }), ['policy'])).toEqual(doc);
  });
});

describe('callPolicyExposure', () => {
  const org = { accounts: ['111122223333'] };
  it('judges the wrapped policy as public', () => {
    expect(callPolicyExposure(record({ policy: { policy: open } }), ['policy'], org)?.kind).toBe('public');
  });
  it('owns the resource by the account in its ARN, not the caller', () => {
    const grant = JSON.stringify({
      Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::444455556666:root' }, Action: 'x:Y' }],
    });
    const e = record({ policy: grant });
    expect(callPolicyExposure(e, ['policy'], org)?.kind).toBe('outside-org');
    expect(callPolicyExposure(e, ['policy'], org, 'arn:aws:dynamodb:eu-west-1:444455556666:table/t')?.kind).toBe(
      'private',
    );
  });
  it('is undefined when the call carried no policy', () => {
    expect(callPolicyExposure(record({ vaultName: 'v' }), ['policy'], org)).toBeUndefined();
  });
  it('reads accounts out of ARNs only when there is one', () => {
    expect(accountInArn('arn:aws-cn:kinesis:cn-north-1:111122223333:stream/s')).toBe('111122223333');
    expect(accountInArn('arn:aws:s3:::bucket')).toBeUndefined();
  });
});

describe('policy-call edges', () => {
  it('searches exactly `depth` objects down, three by default', () => {
    const deep = { a: { b: { policy: 'third' } } };
    expect(findParam(deep, ['policy'])).toBe('third');
    expect(findParam(deep, ['policy'], 2)).toBeUndefined();
    expect(findParam({ a: { policy: 'second' } }, ['policy'], 2)).toBe('second');
    expect(findParam({ policy: 'first' }, ['policy'], 0)).toBeUndefined();
  });

  it('takes a shallower match before a deeper one, and skips lists and empty values', () => {
    expect(findParam({ wrapper: { policy: 'deep' }, Policy: 'shallow' }, ['policy'])).toBe('shallow');
    expect(findParam({ list: [{ policy: 'in a list' }], policy: undefined }, ['policy'])).toBeUndefined();
    expect(findParam({ other: 'x', nested: { POLICY: 'found' } }, ['Policy', 'document'])).toBe('found');
    expect(findParam({ policy: '' }, ['policy'])).toBe('');
  });

  it('unwraps at most two envelopes, and stops at a document or when nothing is inside', () => {
    expect(policyParam(record({ policy: { policy: { policy: open } } }), ['policy'])).toBe(open);
    const three = { policy: { policy: { policy: { policy: open } } } };
    expect(policyParam(record(three), ['policy'])).toEqual({ policy: open });
    const doc = { Statement: [], policy: 'not me' };
    expect(policyParam(record({ policy: doc }), ['policy'])).toEqual(doc);
    expect(policyParam(record({ policy: { other: open } }), ['policy'])).toEqual({ other: open });
  });

  it.each([
    [undefined, undefined],
    ['arn:aws:iam::aws:policy/AdministratorAccess', undefined],
    ['arn:aws:dynamodb:eu-west-1:11112222333:table/t', undefined],
    ['arn:aws:dynamodb:eu-west-1:1111222233334:table/t', undefined],
    ['arn:aws:dynamodb:eu-west-1:x111122223333:table/t', undefined],
    ['444455556666', undefined],
    ['arn:aws:dynamodb:eu-west-1:444455556666:table/t', '444455556666'],
  ])('the account in %j is %j', (arn, account) => {
    expect(accountInArn(arn)).toBe(account);
  });
});
