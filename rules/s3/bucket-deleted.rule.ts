import { partitionOf, s3BucketArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { deletionReasons, isUnapprovedDeletion } from '../core/destruction.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';
import { SELF_PROTECTION } from '../fixtures/self-protection.ts';

const bucketName = (e: CloudTrailRecord): string => stringParam(e.requestParameters, 'bucketName') ?? 'unknown-bucket';
const bucketArn = (e: CloudTrailRecord): string => s3BucketArn(partitionOf(e.awsRegion), bucketName(e));

export const rule = defineRule({
  id: 's3.bucket-deleted',
  title: 'S3 bucket deleted outside the approved process',
  severity: 'high',
  escalation: { high: 'critical', low: 'medium' },
  controls: ['A.8.10'],
  mitre: ['T1485'],
  on: { source: 's3', eventNames: ['DeleteBucket'] },
  match: (e, ctx) => isUnapprovedDeletion(e, ctx.config, [bucketName(e), bucketArn(e)]),
  explain: (e, ctx) => deletionReasons(e, ctx.config),
  resources: (e) => [bucketArn(e)],
  dedup: { key: bucketArn },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An S3 bucket was deleted by someone other than the approved deploy automation. S3 deletes only empty ' +
    'buckets, so every object (and every version) in it was deleted first; the name is free for anyone to claim.',
  runbook: [
    'Recreate the bucket under the same name at once if anything (CloudFront, applications, other accounts) still points at it: anyone can register a deleted bucket name and receive that traffic.',
    'Find the object deletions that emptied it: DeleteObjects / DeleteObject data events, or a lifecycle rule set shortly before (PutBucketLifecycle). Restore from replicas or AWS Backup (`aws backup list-recovery-points-by-resource --resource-arn <bucket-arn>`).',
    'Find the change record. If there is none, treat it as an incident: revoke the actor’s sessions and review their other calls.',
  ],
  rationale:
    'A deleted bucket is the last step of emptying it (T1485), and frees its name for takeover. One call is enough: high, critical on high-criticality assets, medium on low ones. ' +
    "Only calls outside the approved process match. Trailwarden's own buckets are s3.trailwarden-bucket-tampered (critical), never both.",
  falsePositives: [
    'Clean-up of temporary buckets by hand (set sandbox accounts to low criticality).',
    'Deploy automation not yet listed in `approved.automationRoles` / `approved.iacUserAgents`.',
  ],
  cases: () => [
    { name: 'alice deletes the finance reports bucket', expect: 'match', event: fixture('s3/DeleteBucket') },
    {
      name: 'denied',
      expect: 'no-match',
      event: fixture('s3/DeleteBucket', denied('AccessDenied', 's3:DeleteBucket')),
    },
    {
      name: 'bucket not empty: S3 refuses',
      expect: 'no-match',
      event: fixture('s3/DeleteBucket', {
        errorCode: 'BucketNotEmpty',
        errorMessage: 'The bucket you tried to delete is not empty',
      }),
    },
    {
      name: 'approved deploy role through CloudFormation',
      expect: 'no-match',
      event: fixture('s3/DeleteBucket', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
    {
      name: "Trailwarden's evidence bucket is the tamper rule's, not this one's",
      expect: 'no-match',
      event: fixture('s3/DeleteBucket-trailwarden'),
      config: SELF_PROTECTION,
    },
  ],
};
