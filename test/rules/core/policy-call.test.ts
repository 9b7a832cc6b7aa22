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
