import { partitionOf, s3BucketArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { isServiceInvoked, isSuccess, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { byAccountAndActor } from '../core/destruction.ts';
import { describeOutsideKeys, encryptsWithOutsideKey, outsideKeysOf } from '../core/kms-key.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { denied } from '../fixtures/overrides.ts';

const bucketArn = (e: CloudTrailRecord): string =>
  s3BucketArn(partitionOf(e.awsRegion), stringParam(e.requestParameters, 'bucketName') ?? 'unknown-bucket');

/**
 * SSE-C: the object is encrypted under a key the caller sends with the request and AWS never keeps (CloudTrail
 * records only the algorithm and an HMAC of the key). Read on the destination header only: the
 * `x-amz-copy-source-…` variant merely reads a source already so encrypted.
 */
const SSE_C = 'x-amz-server-side-encryption-customer-algorithm';
const usesCustomerKey = (e: CloudTrailRecord): boolean =>
  isSuccess(e) &&
  !isServiceInvoked(e) &&
  (stringParam(e.requestParameters, SSE_C) !== undefined ||
    stringParam(e.additionalEventData, 'SSEApplied') === 'SSE_C');

const ORGANIZATION = { organization: { id: 'o-exampleorgid', accounts: ['111122223333', '444455556666'] } };
const MEMBER_KEY = 'arn:aws:kms:eu-west-1:444455556666:key/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';

export const rule = defineRule({
  id: 's3.encrypted-with-outside-key',
  title: 'S3 data encrypted under a key outside the organisation (KMS or SSE-C)',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.10', 'A.5.23'],
  mitre: ['T1486'],
  on: { source: 's3', eventNames: ['PutBucketEncryption', 'PutObject', 'CopyObject', 'CreateMultipartUpload'] },
  match: (e, ctx) => encryptsWithOutsideKey(e, ctx.config.organization) || usesCustomerKey(e),
  explain: (e, ctx) => [
    ...describeOutsideKeys(outsideKeysOf(e, ctx.config.organization)),
    ...(usesCustomerKey(e)
      ? [
          `${e.eventName} wrote ${stringParam(e.requestParameters, 'key') ?? 'an object'} with SSE-C: only the caller holds the key, AWS keeps none`,
        ]
      : []),
  ],
  resources: (e) => [bucketArn(e)],
  // Re-encrypting a bucket object by object is one decision: one finding per identity and bucket.
  dedup: { key: (e) => `${byAccountAndActor(e)}|${bucketArn(e)}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    "A bucket's default encryption was set to a KMS key in an account outside the organisation, or objects were " +
    'written or copied (PutObject, CopyObject, CreateMultipartUpload data events) under such a key, or with SSE-C ' +
    '(a key the caller sends and AWS never keeps): whoever holds the key decides whether the data can ever be ' +
    'read again, the cloud ransomware pattern.',
  runbook: [
    'Put the bucket default back to a key you own: `aws s3api put-bucket-encryption --bucket <bucket> --server-side-encryption-configuration \'{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms","KMSMasterKeyID":"<your-key-arn>"}}]}\'`.',
    'Find objects already written under the outside key (`aws s3api head-object` shows `SSEKMSKeyId`; S3 Inventory lists the key per object) and restore earlier versions encrypted under your key (`aws s3api list-object-versions`), or copy them back while the outside key still allows decryption.',
    'SSE-C: objects overwritten with a customer key cannot be read without it; restore the previous versions (`aws s3api list-object-versions`, then copy the prior version back) and check for a lifecycle rule added to expire them (the same campaigns add one).',
    'Revoke the identity’s sessions: re-encryption with a foreign key is usually followed by deleting the originals and a ransom note.',
    'Prevent it: a bucket policy or SCP denying `s3:PutObject` unless `s3:x-amz-server-side-encryption-aws-kms-key-id` is one of your keys, and `kms:*` grants only inside the organisation.',
  ],
  rationale:
    'Cloud ransomware needs no malware: it re-encrypts data under a KMS key the victim does not own, then that key is withheld or deleted (T1486). A key outside the organisation (configured `organization.accounts`; with none configured, any account but the bucket owner’s) has no legitimate place in a bucket default or an object write, so one call is enough, even from approved automation. ' +
    'SSE-C is the same attack with a key outside KMS altogether (Codefinger-style campaigns; Elastic impact_s3_unusual_object_encryption_with_sse_c reads `x-amz-server-side-encryption-customer-algorithm`); CloudTrail keeps only an HMAC of the key, so no one but the caller can decrypt, and it matches whoever the caller. ' +
    'Keys referred to by bare id or alias resolve in the caller’s own account and never match; keys in member accounts are inside. High, critical on high-criticality buckets; object writes only appear where the trail records S3 data events.',
  falsePositives: [
    'Cross-organisation data exchange where a partner supplies the key (document it and suppress that bucket with a dated reason).',
    'Organisation accounts missing from `organization.accounts` (add them).',
    'An application that encrypts with SSE-C by design (rare; S3 now blocks SSE-C on new buckets by default): one finding per identity and bucket per dedup window; suppress that role and bucket with a dated reason.',
  ],
  cases: () => [
    {
      name: 'bucket default encryption set to a key in a foreign account',
      expect: 'match',
      event: fixture('s3/PutBucketEncryption-outside-key'),
      config: ORGANIZATION,
    },
    {
      name: 'object written under a foreign key (data event)',
      expect: 'match',
      event: fixture('s3/PutObject-outside-key'),
      config: ORGANIZATION,
    },
    {
      name: 'object copied onto itself under a foreign key (data event)',
      expect: 'match',
      event: fixture('s3/CopyObject-outside-key'),
      config: ORGANIZATION,
    },
    {
      name: 'object overwritten with SSE-C (customer-provided key, data event)',
      expect: 'match',
      event: fixture('s3/PutObject-sse-c'),
      config: ORGANIZATION,
    },
    {
      name: 'SSE-C seen only in additionalEventData',
      expect: 'match',
      event: fixture('s3/PutObject-sse-c', {
        requestParameters: { 'x-amz-server-side-encryption-customer-algorithm': undefined },
      }),
    },
    {
      name: 'copy that reads an SSE-C source into a default-encrypted object',
      expect: 'no-match',
      event: fixture('s3/PutObject-sse-c', {
        eventName: 'CopyObject',
        requestParameters: {
          'x-amz-server-side-encryption-customer-algorithm': undefined,
          'x-amz-copy-source-server-side-encryption-customer-algorithm': 'AES256',
        },
        additionalEventData: { SSEApplied: 'Default_SSE_S3' },
      }),
      config: ORGANIZATION,
    },
    {
      name: 'SSE-C write refused',
      expect: 'no-match',
      event: fixture('s3/PutObject-sse-c', denied('AccessDenied', 's3:PutObject')),
      config: ORGANIZATION,
    },
    {
      name: 'no organisation configured: any other account is outside',
      expect: 'match',
      event: fixture('s3/PutBucketEncryption-outside-key', {
        requestParameters: {
          ServerSideEncryptionConfiguration: {
            Rule: { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: MEMBER_KEY } },
          },
        },
      }),
    },
    {
      name: 'key in a member account of the organisation',
      expect: 'no-match',
      event: fixture('s3/PutBucketEncryption-outside-key', {
        requestParameters: {
          ServerSideEncryptionConfiguration: {
            Rule: { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: MEMBER_KEY } },
          },
        },
      }),
      config: ORGANIZATION,
    },
    {
      name: 'own key by alias',
      expect: 'no-match',
      event: fixture('s3/PutObject-outside-key', {
        requestParameters: { 'x-amz-server-side-encryption-aws-kms-key-id': 'alias/finance' },
        responseElements: {
          'x-amz-server-side-encryption-aws-kms-key-id':
            'arn:aws:kms:eu-west-1:111122223333:key/7f3e9a2b-4c1d-4e8f-9a6b-2d5c8e1f0a3b',
        },
      }),
      config: ORGANIZATION,
    },
    {
      name: 'SSE-S3 default encryption names no key',
      expect: 'no-match',
      event: fixture('s3/PutBucketEncryption-outside-key', {
        requestParameters: {
          ServerSideEncryptionConfiguration: {
            Rule: { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256', KMSMasterKeyID: undefined } },
          },
        },
      }),
      config: ORGANIZATION,
    },
    {
      name: 'denied',
      expect: 'no-match',
      event: fixture('s3/PutBucketEncryption-outside-key', denied('AccessDenied', 's3:PutEncryptionConfiguration')),
      config: ORGANIZATION,
    },
    {
      name: 'KMS refuses the foreign key',
      expect: 'no-match',
      event: fixture('s3/PutObject-outside-key', {
        errorCode: 'KMS.AccessDeniedException',
        errorMessage: 'User is not authorized to perform kms:GenerateDataKey',
        responseElements: null,
      }),
      config: ORGANIZATION,
    },
  ],
};
