import { describe, expect, it } from 'vitest';
import { accountRootArn, partitionOf, regionalArn, resourceArn, s3BucketArn } from '../../../rules/core/arn.ts';
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
