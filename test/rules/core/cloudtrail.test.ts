import { describe, expect, it } from 'vitest';
import type { CloudTrailRecord, JsonValue } from '../../../rules/core/cloudtrail.ts';
import { checkRecord, isJsonObject, isServiceInvoked, principalArn } from '../../../rules/core/cloudtrail.ts';

const record = (overrides: Partial<CloudTrailRecord>): CloudTrailRecord => ({
  eventTime: '2026-11-02T10:00:00Z',
  eventSource: 'iam.amazonaws.com',
  eventName: 'AttachRolePolicy',
  eventID: 'e1',
  awsRegion: 'us-east-1',
  recipientAccountId: '111122223333',
  userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice', accountId: '111122223333' },
  ...overrides,
});

describe('isServiceInvoked', () => {
  it.each([
    ['a person', record({}), false],
    ['a service event', record({ eventType: 'AwsServiceEvent' }), true],
    ['an AWS service identity', record({ userIdentity: { type: 'AWSService', invokedBy: 'sso.amazonaws.com' } }), true],
    [
      'a service acting through invokedBy',
      record({ userIdentity: { type: 'AssumedRole', invokedBy: 'sso.amazonaws.com' } }),
      true,
    ],
    [
      'CloudFormation for a caller',
      record({ userIdentity: { type: 'AssumedRole', invokedBy: 'cloudformation.amazonaws.com' } }),
      false,
    ],
    [
      'Service Catalog for a caller',
      record({ userIdentity: { type: 'AssumedRole', invokedBy: 'servicecatalog.amazonaws.com' } }),
      false,
    ],
    [
      'the console (older records)',
      record({ userIdentity: { type: 'IAMUser', invokedBy: 'signin.amazonaws.com' } }),
      false,
    ],
    [
      'invokedBy that is not an AWS service',
      record({ userIdentity: { type: 'IAMUser', invokedBy: 'example.com' } }),
      false,
    ],
  ] as const)('%s → %s', (_name, e, expected) => {
    expect(isServiceInvoked(e)).toBe(expected);
  });
});

describe('principalArn', () => {
  it('names the role behind an assumed-role session, and the identity otherwise', () => {
    const role = 'arn:aws:iam::111122223333:role/deploy-role';
    const session = record({
      userIdentity: {
        type: 'AssumedRole',
        arn: 'arn:aws:sts::111122223333:assumed-role/deploy-role/ci',
        sessionContext: { sessionIssuer: { type: 'Role', arn: role } },
      },
    });
    expect(principalArn(session)).toBe(role);
    expect(principalArn(record({}))).toBe('arn:aws:iam::111122223333:user/alice');
  });
});

describe('checkRecord', () => {
  it.each([
    ['not an object', [], 'record is not a JSON object'],
    ['no eventID', { ...record({}), eventID: undefined }, 'record has no eventID'],
    ['bad eventTime', { ...record({}), eventTime: 'yesterday' }, 'record eventTime is not a timestamp: yesterday'],
    ['no userIdentity', { ...record({}), userIdentity: null }, 'record has no userIdentity'],
  ] as const)('rejects %s', (_name, value, error) => {
    expect(checkRecord(value)).toEqual({ ok: false, error });
  });

  it('accepts a record and fills a missing region', () => {
    const { awsRegion: _drop, ...noRegion } = record({});
    expect(checkRecord(noRegion)).toEqual({ ok: true, record: { ...noRegion, awsRegion: 'unknown' } });
  });
});

describe('isJsonObject', () => {
  it.each<[JsonValue | undefined, boolean]>([
    [{}, true],
    [{ a: 1 }, true],
    [[], false],
    [[{ a: 1 }], false],
    [null, false],
    [undefined, false],
    ['{}', false],
    [0, false],
    [true, false],
  ])('%j: %s', (v, expected) => {
    expect(isJsonObject(v)).toBe(expected);
  });
});
