import { describe, expect, it } from 'vitest';
import type { CloudTrailRecord } from '../../../rules/core/cloudtrail.ts';
import {
  ADMIN_MANAGED_POLICY_NAMES,
  analyzeIdentityPolicy,
  iamNameKey,
  iamTargetArns,
  isActingIamUser,
  isAdminEquivalent,
  isAdminManagedPolicyArn,
  sameIamName,
  targetsAnotherIamUser,
} from '../../../rules/core/iam-policy.ts';

const doc = (...statements: Record<string, unknown>[]) => ({ Version: '2012-10-17', Statement: statements });
const allowAll = { Effect: 'Allow', Action: '*', Resource: '*' };

describe('isAdminEquivalent', () => {
  it.each([
    ['Action "*" on "*"', doc(allowAll)],
    ['Action "*:*" on "*"', doc({ Effect: 'Allow', Action: '*:*', Resource: '*' })],
    ['Action "iam:*" on "*" (can grant itself anything)', doc({ Effect: 'Allow', Action: 'iam:*', Resource: '*' })],
    ['action names in another case', doc({ Effect: 'Allow', Action: 'IAM:*', Resource: '*' })],
    [
      '"*" among other actions and resources',
      doc({ Effect: 'Allow', Action: ['s3:GetObject', '*'], Resource: ['arn:aws:s3:::b', '*'] }),
    ],
    ['NotAction with Allow on "*"', doc({ Effect: 'Allow', NotAction: ['iam:*', 'organizations:*'], Resource: '*' })],
    [
      'Action "*" on NotResource',
      doc({ Effect: 'Allow', Action: '*', NotResource: 'arn:aws:iam::111122223333:role/breakglass' }),
    ],
    [
      'a condition does not make it less admin',
      doc({ ...allowAll, Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } } }),
    ],
    ['a single statement object', { Version: '2012-10-17', Statement: allowAll }],
    ['a JSON string', JSON.stringify(doc(allowAll))],
    ['a pretty-printed JSON string', JSON.stringify(doc(allowAll), null, 4)],
    ['a URL-encoded JSON string', encodeURIComponent(JSON.stringify(doc(allowAll), null, 2))],
    [
      'an admin statement after a harmless one',
      doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }, allowAll),
    ],
  ])('admin: %s', (_name, document) => {
    expect(isAdminEquivalent(document)).toBe(true);
  });

  it.each([
    ['s3:GetObject on "*"', doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' })],
    ['iam:PassRole only', doc({ Effect: 'Allow', Action: 'iam:PassRole', Resource: '*' })],
    ['"*" on one bucket', doc({ Effect: 'Allow', Action: '*', Resource: 'arn:aws:s3:::example-bucket/*' })],
    ['iam:* on one role', doc({ Effect: 'Allow', Action: 'iam:*', Resource: 'arn:aws:iam::111122223333:role/app' })],
    ['NotAction on one bucket', doc({ Effect: 'Allow', NotAction: 's3:DeleteBucket', Resource: 'arn:aws:s3:::b' })],
    ['a Deny of everything', doc({ Effect: 'Deny', Action: '*', Resource: '*' })],
    ['service-wide wildcards short of IAM', doc({ Effect: 'Allow', Action: ['s3:*', 'ec2:*'], Resource: '*' })],
    ['no Resource at all', doc({ Effect: 'Allow', Action: '*' })],
  ])('not admin: %s', (_name, document) => {
    expect(isAdminEquivalent(document)).toBe(false);
  });

  it('names the admin statements', () => {
    const result = analyzeIdentityPolicy(
      doc(
        { Sid: 'Read', Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
        { Sid: 'Everything', ...allowAll },
        allowAll,
      ),
    );
    expect(result).toEqual({ kind: 'admin', statements: ['Everything', 'Statement[2]'] });
  });

  it.each([['{"Statement": ['], [''], [null], [{ Version: '2012-10-17' }]])(
    '%j is invalid, not admin, and does not throw',
    (input) => {
      expect(analyzeIdentityPolicy(input).kind).toBe('invalid');
      expect(isAdminEquivalent(input)).toBe(false);
    },
  );
});

describe('isAdminManagedPolicyArn', () => {
  it('lists the admin managed policies', () => {
    expect(ADMIN_MANAGED_POLICY_NAMES).toEqual(['AdministratorAccess', 'IAMFullAccess']);
  });

  it.each([
    ['arn:aws:iam::aws:policy/AdministratorAccess', true],
    ['arn:aws:iam::aws:policy/IAMFullAccess', true],
    ['arn:aws-us-gov:iam::aws:policy/AdministratorAccess', true],
    ['arn:aws-cn:iam::aws:policy/IAMFullAccess', true],
    ['arn:aws:iam::aws:policy/ReadOnlyAccess', false],
    ['arn:aws:iam::aws:policy/AdministratorAccess-Amplify', false],
    ['arn:aws:iam::aws:policy/job-function/ViewOnlyAccess', false],
    ['arn:aws:iam::111122223333:policy/AdministratorAccess', false],
    ['AdministratorAccess', false],
    ['', false],
  ] as const)('%s → %s', (arn, expected) => {
    expect(isAdminManagedPolicyArn(arn)).toBe(expected);
  });
});

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

describe('iamTargetArns', () => {
  it.each([
    [
      'a role and a managed policy',
      record({ requestParameters: { roleName: 'app', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' } }),
      ['arn:aws:iam::111122223333:role/app', 'arn:aws:iam::aws:policy/ReadOnlyAccess'],
    ],
    [
      'a user and a group',
      record({ requestParameters: { userName: 'bob', groupName: 'admins' } }),
      ['arn:aws:iam::111122223333:user/bob', 'arn:aws:iam::111122223333:group/admins'],
    ],
    [
      'a permissions boundary',
      record({ requestParameters: { roleName: 'app', permissionsBoundary: 'arn:aws:iam::111122223333:policy/b' } }),
      ['arn:aws:iam::111122223333:role/app', 'arn:aws:iam::111122223333:policy/b'],
    ],
    [
      'the partition of the caller',
      record({
        userIdentity: { type: 'IAMUser', arn: 'arn:aws-us-gov:iam::111122223333:user/alice' },
        requestParameters: { roleName: 'app' },
      }),
      ['arn:aws-us-gov:iam::111122223333:role/app'],
    ],
    ['nothing to name', record({ requestParameters: null }), []],
  ] as const)('%s', (_name, e, expected) => {
    expect(iamTargetArns(e)).toEqual(expected);
  });
});

describe('sameIamName', () => {
  it.each<[string | undefined, string | undefined, boolean]>([
    ['alice', 'alice', true],
    ['Alice', 'aLICE', true],
    ['alice', 'bob', false],
    ['alice', undefined, false],
    [undefined, 'alice', false],
    [undefined, undefined, false],
    ['', '', false],
  ])('%j and %j: %s', (a, b, expected) => {
    expect(sameIamName(a, b)).toBe(expected);
  });
});

describe('isActingIamUser / targetsAnotherIamUser / iamNameKey', () => {
  const alice = { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice', userName: 'alice' };
  const root = { type: 'Root', arn: 'arn:aws:iam::111122223333:root' };
  const session = {
    type: 'AssumedRole',
    arn: 'arn:aws:sts::111122223333:assumed-role/alice/alice',
    sessionContext: { sessionIssuer: { type: 'Role', userName: 'alice' } },
  };

  it.each<[string, CloudTrailRecord['userIdentity'], string | undefined, boolean, boolean]>([
    ['an IAM user naming itself', alice, 'alice', true, false],
    ['an IAM user naming itself in another case', alice, 'ALICE', true, false],
    ['an IAM user naming another user', alice, 'bob', false, true],
    ['no user named: the caller itself', alice, undefined, false, false],
    ['an empty user name: the caller itself', alice, '', false, false],
    ['root is never the IAM user it names', root, 'alice', false, true],
    ['a role session is never the IAM user it names', session, 'alice', false, true],
  ])('%s', (_name, userIdentity, userName, acting, another) => {
    const e = record({ userIdentity, requestParameters: userName === undefined ? {} : { userName } });
    expect(isActingIamUser(e, userName)).toBe(acting);
    expect(targetsAnotherIamUser(e)).toBe(another);
  });

  it.each<[Record<string, string>, 'userName' | 'roleName' | 'groupName', string]>([
    [{ userName: 'Alice' }, 'userName', 'alice'],
    [{ roleName: 'Deploy-Role' }, 'roleName', 'deploy-role'],
    [{ groupName: 'Admins', userName: 'bob' }, 'groupName', 'admins'],
    [{}, 'userName', ''],
  ])('%j %s key: %j', (requestParameters, field, expected) => {
    expect(iamNameKey(record({ requestParameters }), field)).toBe(expected);
  });
});

describe('edges the mutation run showed', () => {
  it.each([
    ['Action " * " padded with spaces', doc({ Effect: 'Allow', Action: ' * ', Resource: '*' })],
    ['Action "iam:* " with a trailing space', doc({ Effect: 'Allow', Action: ['iam:* '], Resource: '*' })],
  ])('admin: %s', (_name, document) => {
    expect(isAdminEquivalent(document)).toBe(true);
  });

  it('a harmless policy is exactly "not-admin", with nothing else', () => {
    expect(analyzeIdentityPolicy(doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }))).toEqual({
      kind: 'not-admin',
    });
  });

  it('an admin managed policy ARN padded with spaces is still admin', () => {
    expect(isAdminManagedPolicyArn('  arn:aws:iam::aws:policy/AdministratorAccess\n')).toBe(true);
  });

  it.each<[string, CloudTrailRecord['userIdentity'], string]>([
    [
      'a session with no ARN of its own takes the partition of its issuing role',
      {
        type: 'AssumedRole',
        sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws-cn:iam::111122223333:role/deploy' } },
      },
      'arn:aws-cn:iam::111122223333:role/app',
    ],
    ['an identity with no ARN at all: the aws partition', { type: 'AWSAccount' }, 'arn:aws:iam::111122223333:role/app'],
    [
      'a session context with no issuer: the aws partition',
      { type: 'AssumedRole', sessionContext: {} },
      'arn:aws:iam::111122223333:role/app',
    ],
    [
      'a value that is not an ARN says nothing about the partition',
      { type: 'IAMUser', arn: 'urn:aws-cn:iam::111122223333:user/alice' },
      'arn:aws:iam::111122223333:role/app',
    ],
    [
      'an ARN with an empty partition: the aws partition',
      { type: 'IAMUser', arn: 'arn::iam::111122223333:user/alice' },
      'arn:aws:iam::111122223333:role/app',
    ],
  ])('%s', (_name, userIdentity, expected) => {
    expect(iamTargetArns(record({ userIdentity, requestParameters: { roleName: 'app' } }))).toEqual([expected]);
  });

  it('a policyArn or boundary that is not an ARN is not named', () => {
    const e = record({ requestParameters: { policyArn: 'AdministratorAccess', permissionsBoundary: 'b' } });
    expect(iamTargetArns(e)).toEqual([]);
  });

  it('only an IAM user is the IAM user it names, even when another identity carries a userName', () => {
    const federated = {
      type: 'FederatedUser',
      userName: 'alice',
      arn: 'arn:aws:sts::111122223333:federated-user/alice',
    };
    expect(isActingIamUser(record({ userIdentity: federated }), 'alice')).toBe(false);
  });

  const alice = { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice', userName: 'alice' };
  it.each<[string, Record<string, unknown> | null, Record<string, unknown> | null, boolean]>([
    ['IAM answers it issued the key to another user', { accessKey: { userName: 'bob' } }, {}, true],
    ['IAM answers it issued the login profile to another user', { loginProfile: { userName: 'bob' } }, {}, true],
    [
      'the answer decides over the request: the key went to the caller',
      { accessKey: { userName: 'alice' } },
      { userName: 'bob' },
      false,
    ],
    [
      "a key with no user in the answer (root's own key) targets nobody else",
      { accessKey: {} },
      { userName: 'bob' },
      false,
    ],
    [
      'a login profile with no user in the answer targets nobody else',
      { loginProfile: { createDate: 'x' } },
      { userName: 'bob' },
      false,
    ],
    ['an answer of null is no answer: the request decides', { accessKey: null }, { userName: 'bob' }, true],
    [
      'an answer that is an array is no answer: the request decides',
      { accessKey: [{ userName: 'alice' }] },
      { userName: 'bob' },
      true,
    ],
    ['no answer at all: the request decides', null, { userName: 'bob' }, true],
  ])('%s', (_name, responseElements, requestParameters, expected) => {
    const e = record({
      userIdentity: alice,
      responseElements: responseElements as CloudTrailRecord['responseElements'],
      requestParameters: requestParameters as CloudTrailRecord['requestParameters'],
    });
    expect(targetsAnotherIamUser(e)).toBe(expected);
  });
});
