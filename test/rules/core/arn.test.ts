import { describe, expect, it } from 'vitest';
import {
  accountRootArn,
  parseArn,
  partitionOf,
  regionalArn,
  resourceArn,
  s3BucketArn,
} from '../../../rules/core/arn.ts';
import type { CloudTrailRecord } from '../../../rules/core/cloudtrail.ts';

describe('partitionOf', () => {
  it.each([
    ['us-east-1', 'aws'],
    ['eu-west-1', 'aws'],
    ['ap-southeast-2', 'aws'],
    ['us-gov-west-1', 'aws-us-gov'],
    ['us-gov-east-1', 'aws-us-gov'],
    ['cn-north-1', 'aws-cn'],
    ['cn-northwest-1', 'aws-cn'],
    // Not a GovCloud or China region name, so the commercial partition.
    ['us-govcloud-1', 'aws'],
    ['eu-cn-1', 'aws'],
    ['unknown', 'aws'],
    ['', 'aws'],
  ])('%j is in %s', (region, partition) => {
    expect(partitionOf(region)).toBe(partition);
  });
});

const record = (awsRegion: string, recipientAccountId?: string): CloudTrailRecord => ({
  eventTime: '2026-11-02T10:00:00Z',
  eventSource: 'kms.amazonaws.com',
  eventName: 'PutKeyPolicy',
  eventID: 'e1',
  awsRegion,
  recipientAccountId,
  userIdentity: { type: 'IAMUser', accountId: '444455556666' },
});

describe('ARN builders', () => {
  it.each([
    [
      'a regional resource',
      regionalArn('aws', 'kms', 'eu-west-1', '111122223333', 'key/1234'),
      'arn:aws:kms:eu-west-1:111122223333:key/1234',
    ],
    [
      'no account (public EC2 images and snapshots)',
      regionalArn('aws-cn', 'ec2', 'cn-north-1', '', 'snapshot/snap-1'),
      'arn:aws-cn:ec2:cn-north-1::snapshot/snap-1',
    ],
    [
      "the event's region, partition and account",
      resourceArn(record('us-gov-west-1', '111122223333'), 'kms', 'key/1234'),
      'arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/1234',
    ],
    [
      'the caller account when no recipient account is logged',
      resourceArn(record('eu-west-1'), 'logs', 'log-group:/aws/cloudtrail'),
      'arn:aws:logs:eu-west-1:444455556666:log-group:/aws/cloudtrail',
    ],
    [
      'another account named by the call',
      resourceArn(record('cn-north-1', '111122223333'), 'ecr', 'repository/app', '999988887777'),
      'arn:aws-cn:ecr:cn-north-1:999988887777:repository/app',
    ],
    ['a bucket', s3BucketArn('aws', 'example-bucket'), 'arn:aws:s3:::example-bucket'],
    ['a GovCloud bucket', s3BucketArn('aws-us-gov', 'logs'), 'arn:aws-us-gov:s3:::logs'],
    ['an account', accountRootArn('aws', '111122223333'), 'arn:aws:iam::111122223333:root'],
    ['a China account', accountRootArn('aws-cn', '111122223333'), 'arn:aws-cn:iam::111122223333:root'],
  ])('%s', (_name, got, expected) => {
    expect(got).toBe(expected);
  });
});

describe('ARNs without a region', () => {
  // Built inside the test (the table above is built while the file loads, before any test runs).
  it('names a bucket with neither region nor account, and an account by its root', () => {
    expect(s3BucketArn('aws-cn', 'logs')).toBe('arn:aws-cn:s3:::logs');
    expect(accountRootArn('aws-us-gov', '111122223333')).toBe('arn:aws-us-gov:iam::111122223333:root');
  });
});

describe('parseArn', () => {
  it.each([
    [
      'arn:aws:iam::111122223333:role/app',
      {
        partition: 'aws',
        service: 'iam',
        region: '',
        account: '111122223333',
        resource: 'role/app',
        resourceType: 'role',
      },
    ],
    [
      'arn:aws-us-gov:logs:us-gov-west-1:111122223333:log-group:/aws/cloudtrail',
      {
        partition: 'aws-us-gov',
        service: 'logs',
        region: 'us-gov-west-1',
        account: '111122223333',
        resource: 'log-group:/aws/cloudtrail',
        resourceType: 'log-group',
      },
    ],
    [
      'arn:aws:s3:::my-bucket',
      { partition: 'aws', service: 's3', region: '', account: '', resource: 'my-bucket', resourceType: '' },
    ],
    [
      // An AWS managed policy is owned by `aws`, not by an account.
      'arn:aws:iam::aws:policy/AdministratorAccess',
      {
        partition: 'aws',
        service: 'iam',
        region: '',
        account: 'aws',
        resource: 'policy/AdministratorAccess',
        resourceType: 'policy',
      },
    ],
    [
      // The type is the leading word only: a dotted bucket with a key path has none.
      'arn:aws-cn:s3:::my.bucket/key',
      { partition: 'aws-cn', service: 's3', region: '', account: '', resource: 'my.bucket/key', resourceType: '' },
    ],
    [
      'arn:aws:ec2:eu-west-1:111122223333:security-group/sg-1',
      {
        partition: 'aws',
        service: 'ec2',
        region: 'eu-west-1',
        account: '111122223333',
        resource: 'security-group/sg-1',
        resourceType: 'security-group',
      },
    ],
  ])('%s', (arn, parts) => {
    expect(parseArn(arn)).toEqual(parts);
  });

  it.each([
    ['not an ARN', 'my-bucket'],
    ['text before the ARN', 'see arn:aws:s3:::my-bucket'],
    ['another partition family', 'arn:gcp:s3:::my-bucket'],
    ['an 11-digit account', 'arn:aws:iam::11112222333:role/app'],
    ['a 13-digit account', 'arn:aws:iam::1111222233334:role/app'],
    ['no service', 'arn:aws::eu-west-1:111122223333:key/1'],
    ['no resource', 'arn:aws:iam::111122223333:'],
    ['a line break in the resource', 'arn:aws:s3:::my-bucket\nforged'],
  ])('%s is not an ARN', (_name, arn) => {
    expect(parseArn(arn)).toBeUndefined();
  });
});
