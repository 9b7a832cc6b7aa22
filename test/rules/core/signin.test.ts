import { describe, expect, it } from 'vitest';
import type { CloudTrailRecord } from '../../../rules/core/cloudtrail.ts';
import {
  accountOfUser,
  HIDDEN_USER,
  identityArns,
  isAddress,
  isHiddenUser,
  isServiceUserName,
  networkOf,
  personKey,
  personOf,
  signInResult,
} from '../../../rules/core/signin.ts';

/**
 * Who signed in, from where (rules/core/signin.ts): the identity shapes CloudTrail uses for each principal type,
 * and the address forms that say where someone is.
 */
const login = (
  userIdentity: CloudTrailRecord['userIdentity'],
  extra: Partial<CloudTrailRecord> = {},
): CloudTrailRecord => ({
  eventTime: '2026-11-02T10:00:00Z',
  eventID: 'e1',
  eventSource: 'signin.amazonaws.com',
  eventName: 'ConsoleLogin',
  awsRegion: 'us-east-1',
  recipientAccountId: '111122223333',
  userIdentity,
  ...extra,
});

describe('signInResult', () => {
  it('reads ConsoleLogin from the response, if it is a string', () => {
    expect(signInResult(login({ type: 'IAMUser' }, { responseElements: { ConsoleLogin: 'Failure' } }))).toBe('Failure');
    expect(signInResult(login({ type: 'IAMUser' }, { responseElements: { ConsoleLogin: 1 } }))).toBeUndefined();
    expect(signInResult(login({ type: 'IAMUser' }))).toBeUndefined();
  });
});

describe('isAddress', () => {
  it.each([
    ['198.51.100.23', true],
    ['1.2.3.4', true],
    ['2001:db8::1', true],
    ['::1', true],
    ['::ffff:198.51.100.23', true],
    ['2001:DB8::A', true],
    ['AWS Internal', false],
    ['signin.amazonaws.com', false],
    ['x198.51.100.23', false],
    ['198.51.100.23x', false],
    ['198.51.100', false],
    ['1234.1.1.1', false],
    ['g001:db8::1', false],
    ['2001:db8::1 ', false],
    ['', false],
  ])('%j → %s', (ip, expected) => {
    expect(isAddress(ip)).toBe(expected);
  });

  it('is false for no address', () => {
    expect(isAddress(undefined)).toBe(false);
  });
});

describe('accountOfUser', () => {
  it("prefers the identity's own account (a cross-account sign-in), else the record's", () => {
    expect(accountOfUser(login({ type: 'IAMUser', accountId: '444455556666' }))).toBe('444455556666');
    expect(accountOfUser(login({ type: 'IAMUser' }))).toBe('111122223333');
  });
});

describe('personOf', () => {
  it.each<[string, CloudTrailRecord['userIdentity'], string]>([
    ['root', { type: 'Root', arn: 'arn:aws:iam::111122223333:root' }, 'root'],
    [
      'an IAM user by name, lower-cased',
      { type: 'IAMUser', userName: 'Alice', arn: 'arn:aws:iam::1:user/x' },
      'user/alice',
    ],
    [
      'an IAM user without a name, by the ARN path end',
      { type: 'IAMUser', arn: 'arn:aws:iam::1:user/dev/Bob' },
      'user/bob',
    ],
    ['an IAM user with an ARN without a slash', { type: 'IAMUser', arn: 'arn:aws:iam::1:root' }, 'arn:aws:iam::1:root'],
    [
      'an IAM user with an ARN ending in a slash',
      { type: 'IAMUser', arn: 'arn:aws:iam::1:user/' },
      'arn:aws:iam::1:user/',
    ],
    ['an IAM user with only a principal id', { type: 'IAMUser', principalId: 'AIDAEXAMPLE' }, 'AIDAEXAMPLE'],
    ['an IAM user with nothing', { type: 'IAMUser' }, 'unknown'],
    [
      'a role session by session name',
      { type: 'AssumedRole', arn: 'arn:aws:sts::1:assumed-role/Admin/Alice@Example.com' },
      'session/alice@example.com',
    ],
    ['a role session by principal id', { type: 'AssumedRole', principalId: 'AROAEXAMPLE:Carol' }, 'session/carol'],
    ['a role session without a session', { type: 'AssumedRole', principalId: 'AROAEXAMPLE' }, 'AROAEXAMPLE'],
    ['a role session with nothing', { type: 'AssumedRole' }, 'unknown'],
    [
      'a role session whose ARN has no slash',
      { type: 'AssumedRole', arn: 'arn:aws:sts::1:odd', principalId: 'AROA:Dan' },
      'session/dan',
    ],
    [
      'a role session with an empty session name',
      { type: 'AssumedRole', arn: 'arn:aws:sts::1:assumed-role/Admin/', principalId: 'AROA:' },
      'arn:aws:sts::1:assumed-role/Admin/',
    ],
    [
      'a federated user by name',
      { type: 'FederatedUser', arn: 'arn:aws:sts::1:federated-user/Erin' },
      'federated-user/erin',
    ],
    ['a federated user by principal id', { type: 'FederatedUser', principalId: '1:Frank' }, 'federated-user/frank'],
    ['a federated user with only an id', { type: 'FederatedUser', principalId: 'Frank' }, 'Frank'],
    ['a federated user with nothing', { type: 'FederatedUser' }, 'unknown'],
    ['another type by ARN', { type: 'AWSService', arn: 'arn:aws:iam::1:x', principalId: 'p' }, 'arn:aws:iam::1:x'],
    ['another type by principal id', { type: 'AWSAccount', principalId: 'p' }, 'p'],
    ['another type with nothing', { type: 'AWSAccount' }, 'unknown'],
  ])('%s', (_name, identity, person) => {
    expect(personOf(login(identity))).toBe(person);
  });

  it('keys a person per account', () => {
    expect(personKey(login({ type: 'IAMUser', userName: 'Alice', accountId: '444455556666' }))).toBe(
      '444455556666|user/alice',
    );
  });
});

describe('identityArns', () => {
  it.each<[string, CloudTrailRecord['userIdentity'], string, string[]]>([
    [
      'root by its ARN',
      { type: 'Root', arn: 'arn:aws:iam::111122223333:root' },
      'us-east-1',
      ['arn:aws:iam::111122223333:root'],
    ],
    [
      'root without an ARN, in its partition',
      { type: 'Root' },
      'us-gov-west-1',
      ['arn:aws-us-gov:iam::111122223333:root'],
    ],
    [
      'an IAM user by ARN',
      { type: 'IAMUser', arn: 'arn:aws:iam::1:user/a', userName: 'b' },
      'us-east-1',
      ['arn:aws:iam::1:user/a'],
    ],
    [
      'an IAM user without an ARN, built from the name in the account',
      { type: 'IAMUser', userName: 'b', accountId: '444455556666' },
      'cn-north-1',
      ['arn:aws-cn:iam::444455556666:user/b'],
    ],
    ['an IAM user with an empty name', { type: 'IAMUser', userName: '' }, 'us-east-1', []],
    ['a role without an ARN', { type: 'AssumedRole', userName: 'x' }, 'us-east-1', []],
    [
      'a role session and its role',
      {
        type: 'AssumedRole',
        arn: 'arn:aws:sts::1:assumed-role/Admin/alice',
        sessionContext: { sessionIssuer: { arn: 'arn:aws:iam::1:role/Admin' } },
      },
      'us-east-1',
      ['arn:aws:sts::1:assumed-role/Admin/alice', 'arn:aws:iam::1:role/Admin'],
    ],
    [
      'an empty ARN left out',
      { type: 'AssumedRole', arn: '', sessionContext: { sessionIssuer: { arn: 'arn:aws:iam::1:role/Admin' } } },
      'us-east-1',
      ['arn:aws:iam::1:role/Admin'],
    ],
  ])('%s', (_name, identity, region, arns) => {
    expect(identityArns(login(identity, { awsRegion: region }))).toEqual(arns);
  });
});

describe('isHiddenUser', () => {
  it('is the name CloudTrail puts for a mistyped user', () => {
    expect(isHiddenUser(login({ type: 'IAMUser', userName: HIDDEN_USER }))).toBe(true);
    expect(HIDDEN_USER).toBe('HIDDEN_DUE_TO_SECURITY_REASONS');
    expect(isHiddenUser(login({ type: 'IAMUser', userName: 'alice' }))).toBe(false);
  });
});

describe('networkOf', () => {
  it.each([
    ['198.51.100.255', '198.51.100.0/24'],
    ['198.51.256.1', undefined],
    ['256.1.1.1', undefined],
    ['2001:db8:85a3::', '2001:db8:85a3::/48'],
    ['::1', '0:0:0::/48'],
    ['2001:DB8:0A::1', '2001:db8:a::/48'],
    ['2001:db8::', '2001:db8:0::/48'],
    ['1:2', undefined],
    ['1:2:3', '1:2:3::/48'],
    ['1::2:3:4:5:6:7', '1:0:2::/48'],
    ['1:2::3:4:5:6', '1:2:0::/48'],
    ['1:2:3:4:5:6:7:8', '1:2:3::/48'],
    [undefined, undefined],
  ])('%s → %s', (ip, expected) => {
    expect(networkOf(ip)).toBe(expected);
  });
});

describe('isServiceUserName', () => {
  it("matches a glob against a name whatever its case or the pattern's", () => {
    expect(isServiceUserName('deploy', ['SVC-*', 'Deploy'])).toBe(true);
    expect(isServiceUserName(undefined, ['*'])).toBe(false);
    expect(isServiceUserName('deploy', [])).toBe(false);
  });
});
