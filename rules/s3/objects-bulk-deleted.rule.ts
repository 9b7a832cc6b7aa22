import { partitionOf, s3BucketArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { byAccountAndActor, deletionReasons, isUnapprovedDeletion } from '../core/destruction.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, byAwsService, denied } from '../fixtures/overrides.ts';

const bucketName = (e: CloudTrailRecord): string => stringParam(e.requestParameters, 'bucketName') ?? 'unknown-bucket';
const bucketArn = (e: CloudTrailRecord): string => s3BucketArn(partitionOf(e.awsRegion), bucketName(e));

export const rule = defineRule({
  id: 's3.objects-bulk-deleted',
  title: 'S3 objects deleted in bulk (DeleteObjects) outside the approved process',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.10'],
  mitre: ['T1485'],
  on: { source: 's3', eventNames: ['DeleteObjects'] },
  match: (e, ctx) => isUnapprovedDeletion(e, ctx.config, [bucketName(e), bucketArn(e)]),
  explain: (e, ctx) => deletionReasons(e, ctx.config),
  resources: (e) => [bucketArn(e)],
  // A sweep issues one call per thousand keys: fold them into one finding per identity and bucket.
  dedup: { key: (e) => `${byAccountAndActor(e)}|${bucketArn(e)}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A multi-object delete (DeleteObjects, up to 1000 keys or versions per call) was made in a bucket by someone ' +
    'other than the approved automation, as seen in S3 data events where the trail records them: how buckets are ' +
    'emptied by hand, by `aws s3 rm --recursive`, and by S3 ransomware in a single request.',
  runbook: [
    'CloudTrail does not list the keys a DeleteObjects call removed: compare `aws s3api list-object-versions --bucket <bucket>` with the inventory or replica to see what is gone.',
    'With versioning on, keys deleted without version ids only gained delete markers: remove the markers to restore them. Versions deleted by id are gone: restore from replication or AWS Backup.',
    'If the actor is not known to run clean-ups, revoke their sessions and look for a ransom note and a preceding ListObjectVersions.',
  ],
  rationale:
    'One DeleteObjects call can remove a thousand objects and every version of them, and S3 ransomware empties a bucket with a single call (T1485), so no threshold: each call outside the approved process is a finding, and repeats by the same identity on the same bucket fold into it for an hour. ' +
    'Medium, high on high-criticality buckets. Only trails that record S3 data events see these calls.',
  falsePositives: [
    'Applications that delete in batches under their own role (approve the role in `approved.automationRoles`, or suppress it for that bucket).',
    'Engineers emptying buckets with `aws s3 rm --recursive` before decommissioning them.',
  ],
  cases: () => [
    { name: 'alice empties the finance reports bucket', expect: 'match', event: fixture('s3/DeleteObjects') },
    {
      name: 'denied',
      expect: 'no-match',
      event: fixture('s3/DeleteObjects', denied('AccessDenied', 's3:DeleteObject')),
    },
    {
      name: 'approved automation deleting in batches',
      expect: 'no-match',
      event: fixture('s3/DeleteObjects', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
    {
      name: 'AWS acting on its own',
      expect: 'no-match',
      event: fixture('s3/DeleteObjects', byAwsService('s3')),
    },
  ],
};
