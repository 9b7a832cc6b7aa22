import { partitionOf, s3BucketArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, principalArn, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { explainSelfTampering, isSelfTampering } from '../core/self-protection.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_DEPLOY_ROLE, SELF_PROTECTION } from '../fixtures/self-protection.ts';

const EVENT_NAMES = [
  'PutBucketPolicy',
  'DeleteBucketPolicy',
  // The API is PutBucketLifecycleConfiguration; CloudTrail records it as PutBucketLifecycle.
  'PutBucketLifecycle',
  'PutObjectLockConfiguration',
  'PutBucketVersioning',
  'PutBucketLogging',
  'PutBucketEncryption',
  'DeleteBucketEncryption',
  'PutBucketPublicAccessBlock',
  'DeleteBucketPublicAccessBlock',
  'DeleteBucket',
] as const;

const bucketName = (e: CloudTrailRecord): string => stringParam(e.requestParameters, 'bucketName') ?? 'unknown-bucket';
const bucketArn = (e: CloudTrailRecord): string => s3BucketArn(partitionOf(e.awsRegion), bucketName(e));

/** CloudTrail logs the bucket's name; bucket names of a stack start with the lower-cased stack name. */
const candidates = (e: CloudTrailRecord): string[] => [bucketName(e), bucketArn(e)];

const EVIDENCE = 'trailwarden-pipelineevidencebucket74527613-a1b2c3d4e5f6';
const ACCESS_LOGS = 'trailwarden-pipelineaccesslogsbucket31ec11f4-b2c3d4e5f6a1';
/** Overrides moving an S3 fixture onto one of Trailwarden's buckets. */
const onBucket = (bucket: string) => ({
  requestParameters: { bucketName: bucket, Host: `${bucket}.s3.eu-west-1.amazonaws.com` },
  resources: [{ accountId: '111122223333', type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` }],
  tlsDetails: { clientProvidedHostHeader: `${bucket}.s3.eu-west-1.amazonaws.com` },
});

export const rule = defineRule({
  id: 's3.trailwarden-bucket-tampered',
  title: "Trailwarden's evidence or access-log bucket reconfigured or deleted",
  severity: 'critical',
  controls: ['A.8.16', 'A.8.15'],
  mitre: ['T1562.008', 'T1485'],
  on: { source: 's3', eventNames: EVENT_NAMES },
  match: (e, ctx) => isSelfTampering(e, candidates(e), ctx.config),
  explain: (e, ctx) => explainSelfTampering(e, candidates(e), ctx.config),
  resources: (e) => [bucketArn(e)],
  dedup: { key: (e) => `${accountOf(e)}|${principalArn(e)}|${bucketArn(e)}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    "One of Trailwarden's buckets (the Object-Lock evidence bucket, or the bucket holding its access logs) had " +
    'its policy, lifecycle, Object Lock default retention, versioning, access logging, encryption or Block Public ' +
    "Access changed or removed, or was deleted, by someone other than Trailwarden's deploy role. Evidence written " +
    'from then on may be shorter-lived, unencrypted, readable by others or unlogged. Objects already written stay ' +
    'locked in COMPLIANCE mode; object-level calls (PutObject, DeleteObject) are data events and not watched here.',
  runbook: [
    'Put the configuration back: `npx cdk deploy Trailwarden` restores the bucket policy (TLS only, log delivery), lifecycle, versioning, encryption, access logging and Block Public Access. Verify with `aws s3api get-bucket-policy`, `get-object-lock-configuration`, `get-bucket-versioning`, `get-bucket-encryption`, `get-bucket-logging` and `get-public-access-block` (each `--bucket <bucket>`).',
    'Find evidence written under the weakened settings: list object versions from the change onwards (`aws s3api list-object-versions --bucket <bucket> --prefix findings/`) and check their retention (`aws s3api get-object-retention --bucket <bucket> --key <key> --version-id <v>`). Re-archive any finding written with a shorter or no retention.',
    'If the bucket policy was opened, read the server access logs in the access-log bucket (prefix `evidence/`) for reads and deletes by outsiders since the change.',
    'Treat the actor as compromised unless the change is explained: review their calls since the session began and rotate the credentials behind them. Weakening the evidence store is preparation for erasing what it would prove.',
    'Restrict `s3:PutBucket*`, `s3:DeleteBucket*` and `s3:PutBucketObjectLockConfiguration` on `arn:aws:s3:::<stackname>-*` to the deploy role with an SCP.',
  ],
  rationale:
    'Critical on a single call, without a threshold: the evidence bucket is what Trailwarden hands an auditor ' +
    '(A.8.15), and its guarantees (COMPLIANCE-mode retention, encryption, no public access, access logs) hold ' +
    'only while its configuration does. Every change by a principal other than the configured deploy roles ' +
    'matches, including ones that look like tightening: nothing but the stack should configure these buckets. ' +
    'DeleteBucketLifecycle is not watched: without a lifecycle the buckets keep more, not less. Matches only ' +
    'when `detection.selfProtection` is configured.',
  falsePositives: [
    'Changes by an organisation-wide remediation (e.g. an automation enforcing a bucket policy baseline): add its role to `selfProtection.deployRoles` or exempt Trailwarden from it.',
  ],
  cases: () => [
    {
      name: "alice rewrites the evidence bucket's policy",
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('s3/PutBucketPolicy-trailwarden'),
    },
    {
      name: "the evidence bucket's policy deleted",
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('s3/PutBucketPolicy-trailwarden', {
        eventName: 'DeleteBucketPolicy',
        requestParameters: { bucketPolicy: undefined, policy: '' },
      }),
    },
    {
      name: 'bob deletes the evidence bucket in the console',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('s3/DeleteBucket-trailwarden'),
    },
    {
      name: "the evidence bucket's default retention cut to 1 day GOVERNANCE",
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('s3/PutObjectLockConfiguration', onBucket(EVIDENCE)),
    },
    {
      name: 'versioning suspended on the evidence bucket',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('s3/PutBucketVersioning-suspended', onBucket(EVIDENCE)),
    },
    {
      name: 'access logging of the evidence bucket turned off',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('s3/PutBucketLogging-disabled', onBucket(EVIDENCE)),
    },
    {
      name: 'encryption removed from the evidence bucket',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('s3/DeleteBucketEncryption', onBucket(EVIDENCE)),
    },
    {
      name: 'Block Public Access weakened on the evidence bucket',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('s3/PutBucketPublicAccessBlock-weakened', onBucket(EVIDENCE)),
    },
    {
      name: 'access logs set to expire after a day',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('s3/PutBucketLifecycle', onBucket(ACCESS_LOGS)),
    },
    {
      name: 'CloudFormation sets the bucket policy during cdk deploy',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('s3/PutBucketPolicy-trailwarden', BY_DEPLOY_ROLE),
    },
    {
      name: 'a bucket that is not Trailwarden',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('s3/PutBucketVersioning-suspended'),
    },
    {
      name: 'a bucket named like the stack but without its dash',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('s3/PutBucketVersioning-suspended', onBucket('trailwardenexports')),
    },
    {
      name: 'DeleteBucket refused: the bucket is not empty',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('s3/DeleteBucket-trailwarden', {
        errorCode: 'BucketNotEmpty',
        errorMessage: 'The bucket you tried to delete is not empty. You must delete all versions in the bucket.',
      }),
    },
    {
      name: 'PutBucketPolicy denied',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('s3/PutBucketPolicy-trailwarden', { errorCode: 'AccessDenied', errorMessage: 'Access Denied' }),
    },
    {
      name: 'selfProtection not configured',
      expect: 'no-match',
      event: fixture('s3/PutBucketPolicy-trailwarden'),
    },
  ],
};
