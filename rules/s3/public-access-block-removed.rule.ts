import { accountRootArn, partitionOf, s3BucketArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isSuccess, param, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

const FLAGS = ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'] as const;

/**
 * `PutPublicAccessBlock` replaces the whole configuration and an omitted flag is false, so every flag must be
 * present and true for the call to be harmless. A record without the configuration cannot show that either.
 */
const weakens = (e: CloudTrailRecord): boolean =>
  FLAGS.some((flag) => {
    const value = param(e.requestParameters, 'PublicAccessBlockConfiguration', flag);
    return !(value === true || (typeof value === 'string' && value.toLowerCase() === 'true'));
  });

const isAccountLevel = (e: CloudTrailRecord): boolean => e.eventName.includes('Account');

const targetOf = (e: CloudTrailRecord): string =>
  isAccountLevel(e)
    ? `account/${accountOf(e)}`
    : `bucket/${stringParam(e.requestParameters, 'bucketName') ?? 'unknown-bucket'}`;

const allOn = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
};

export const rule = defineRule({
  id: 's3.public-access-block-removed',
  title: 'S3 Block Public Access turned off or deleted (bucket or account)',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.5.23'],
  mitre: ['T1562'],
  // Account-level settings are S3 Control calls, but CloudTrail records them under s3.amazonaws.com with these names.
  on: {
    source: 's3',
    eventNames: [
      'PutBucketPublicAccessBlock',
      'DeleteBucketPublicAccessBlock',
      'PutAccountPublicAccessBlock',
      'DeleteAccountPublicAccessBlock',
    ],
  },
  match: (e) => isSuccess(e) && (e.eventName.startsWith('Delete') || weakens(e)),
  dedup: { key: (e) => `${accountOf(e)}|${targetOf(e)}` },
  // The account-level setting has no ARN of its own: name the account (its root ARN) instead.
  resources: (e) =>
    isAccountLevel(e)
      ? [accountRootArn(partitionOf(e.awsRegion), accountOf(e))]
      : [s3BucketArn(partitionOf(e.awsRegion), stringParam(e.requestParameters, 'bucketName') ?? 'unknown-bucket')],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'S3 Block Public Access was deleted, or set with at least one of its four settings off, on a bucket or for ' +
    'the whole account. Nothing then stops a public bucket policy or ACL from exposing data.',
  runbook: [
    'Read the current settings: `aws s3api get-public-access-block --bucket <bucket>` or, for the account, `aws s3control get-public-access-block --account-id <account>`.',
    'If the change was not approved, turn all four back on: `aws s3api put-public-access-block --bucket <bucket> --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true` (account: `aws s3control put-public-access-block --account-id <account> --public-access-block-configuration ...`).',
    'Check what became public while it was off: `aws s3api get-bucket-policy-status --bucket <bucket>` for each affected bucket, and look for s3.bucket-made-public findings from the same principal.',
    'Review every call made by the actor around the change; removing the guard is usually the step before a public policy or ACL.',
    'Keep the account-level setting on and protect it with an SCP denying s3:PutAccountPublicAccessBlock outside a break-glass role.',
  ],
  rationale:
    'One successful call is enough, without a threshold: Block Public Access is the control that stops every other ' +
    'public-exposure mistake, and turning it off (T1562, impair defenses) is the usual step before exposing data. ' +
    'High by default, critical on high-criticality assets. Setting all four flags true is the only harmless Put; ' +
    'an omitted flag counts as off because the API treats it so.',
  falsePositives: [
    'A bucket that is meant to be public (static website, public dataset) being set up: suppress for that bucket with a dated reason.',
    'An account migrating to organisation-level S3 policies that deletes the account setting as part of the change.',
  ],
  cases: () => [
    {
      name: 'bucket setting put with BlockPublicPolicy and RestrictPublicBuckets off',
      expect: 'match',
      event: fixture('s3/PutBucketPublicAccessBlock-weakened'),
    },
    {
      name: 'bucket setting put with one flag omitted (treated as off)',
      expect: 'match',
      event: fixture('s3/PutBucketPublicAccessBlock-weakened', {
        requestParameters: {
          PublicAccessBlockConfiguration: {
            xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/',
            BlockPublicAcls: true,
            IgnorePublicAcls: true,
            BlockPublicPolicy: true,
          },
        },
      }),
    },
    {
      name: 'bucket setting weakened on a high-criticality bucket',
      expect: 'match',
      criticality: 'high',
      event: fixture('s3/PutBucketPublicAccessBlock-weakened'),
    },
    {
      name: 'all four flags set true is benign',
      expect: 'no-match',
      event: fixture('s3/PutBucketPublicAccessBlock-weakened', {
        requestParameters: { PublicAccessBlockConfiguration: allOn },
      }),
    },
    {
      name: 'all four flags true, logged as strings, is benign',
      expect: 'no-match',
      event: fixture('s3/PutBucketPublicAccessBlock-weakened', {
        requestParameters: {
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: 'true',
            IgnorePublicAcls: 'true',
            BlockPublicPolicy: 'true',
            RestrictPublicBuckets: 'true',
          },
        },
      }),
    },
    {
      name: 'PutBucketPublicAccessBlock denied',
      expect: 'no-match',
      event: fixture('s3/PutBucketPublicAccessBlock-weakened', {
        errorCode: 'AccessDenied',
        errorMessage: 'Access Denied',
      }),
    },
    { name: 'bucket setting deleted', expect: 'match', event: fixture('s3/DeleteBucketPublicAccessBlock') },
    {
      name: 'bucket setting deleted through CloudFormation still matches',
      expect: 'match',
      event: fixture('s3/DeleteBucketPublicAccessBlock', {
        userIdentity: { invokedBy: 'cloudformation.amazonaws.com' },
        sourceIPAddress: 'cloudformation.amazonaws.com',
        userAgent: 'cloudformation.amazonaws.com',
      }),
    },
    { name: 'account setting turned off', expect: 'match', event: fixture('s3/PutAccountPublicAccessBlock') },
    {
      name: 'account setting put with all four true is benign',
      expect: 'no-match',
      event: fixture('s3/PutAccountPublicAccessBlock', {
        requestParameters: {
          PublicAccessBlockConfiguration: { xmlns: 'http://awss3control.amazonaws.com/doc/2018-08-20/', ...allOn },
        },
      }),
    },
    { name: 'account setting deleted', expect: 'match', event: fixture('s3/DeleteAccountPublicAccessBlock') },
    {
      name: 'account setting delete denied by SCP',
      expect: 'no-match',
      event: fixture('s3/DeleteAccountPublicAccessBlock', {
        errorCode: 'AccessDenied',
        errorMessage:
          'User: arn:aws:iam::111122223333:user/alice is not authorized to perform: s3:PutAccountPublicAccessBlock with an explicit deny in a service control policy',
      }),
    },
  ],
};
