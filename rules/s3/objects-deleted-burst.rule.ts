import { partitionOf, s3BucketArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { BurstSpec } from '../core/destruction.ts';
import { byAccountAndActor, isCountedDeletion } from '../core/destruction.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { byAwsService, denied } from '../fixtures/overrides.ts';

const bucketArn = (e: CloudTrailRecord): string =>
  s3BucketArn(partitionOf(e.awsRegion), stringParam(e.requestParameters, 'bucketName') ?? 'unknown-bucket');

/** Per identity and bucket: an application deleting its own temporary files in another bucket does not add up. */
const byActorAndBucket = (e: CloudTrailRecord): string => `${byAccountAndActor(e)}|${bucketArn(e)}`;

/** Object deletions are far more frequent than resource deletions: the bar is an order of magnitude higher. */
const OBJECT_BURST: BurstSpec = {
  count: 50,
  windowSeconds: 300,
  byCriticality: {
    high: { count: 20, windowSeconds: 300 },
    medium: { count: 50, windowSeconds: 300 },
    low: { count: 200, windowSeconds: 600 },
  },
};

export const rule = defineRule({
  id: 's3.objects-deleted-burst',
  title: 'Burst of S3 object deletions by one identity in one bucket',
  severity: 'high',
  escalation: { high: 'critical', low: 'medium' },
  controls: ['A.8.10'],
  mitre: ['T1485', 'T1486'],
  on: { source: 's3', eventNames: ['DeleteObject'] },
  match: (e) => isCountedDeletion(e),
  threshold: { ...OBJECT_BURST, groupBy: byActorAndBucket },
  dedup: { key: byActorAndBucket },
  resources: (e) => [bucketArn(e)],
  explain: (e) =>
    stringParam(e.requestParameters, 'versionId') === undefined
      ? []
      : ['object versions deleted by version id: permanent, a delete marker would have been recoverable'],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'One identity deleted many objects (or object versions) one by one in one bucket within minutes, as seen in ' +
    'S3 data events where the trail records them: a bucket being emptied, the S3 ransomware pattern of deleting ' +
    'every object and version before leaving a ransom note.',
  runbook: [
    'Stop it: revoke the identity’s sessions or deactivate its access key.',
    'With versioning on, objects deleted without a version id only gained a delete marker: remove the markers to restore them (`aws s3api list-object-versions --bucket <bucket> --query "DeleteMarkers[?IsLatest]"`, then `aws s3api delete-object --bucket <bucket> --key <key> --version-id <marker-id>`). Versions deleted by id are gone: restore from replication or AWS Backup.',
    'Look for a ransom note (a new object such as FILES-DELETED.txt) and for the listing that preceded the deletions (ListObjectVersions).',
  ],
  rationale:
    'Deleting objects is what applications do all day, so the bar is high and counted per identity and bucket: 20 in 5 minutes on high-criticality assets, 50 in 5 minutes on medium, 200 in 10 minutes on low. ' +
    'Only trails that record S3 data events see these calls. Multi-object DeleteObjects calls (up to 1000 keys each) are s3.objects-bulk-deleted, one finding per call. Lifecycle expiry is done by S3 itself and never appears here. High, critical on high-criticality assets; one finding per burst.',
  falsePositives: [
    'Applications that clean up temporary objects with single deletes (suppress their role for that bucket, or raise its criticality pattern to low).',
    'One-off migrations moving data between buckets.',
  ],
  cases: () => [
    { name: 'alice deletes a ledger object', expect: 'match', event: fixture('s3/DeleteObject') },
    {
      name: 'a version deleted by id',
      expect: 'match',
      event: fixture('s3/DeleteObject', { requestParameters: { versionId: '3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY' } }),
    },
    {
      name: 'denied',
      expect: 'no-match',
      event: fixture('s3/DeleteObject', denied('AccessDenied', 's3:DeleteObject')),
    },
    {
      name: 'a service deleting on its own (S3 replication clean-up by AWS)',
      expect: 'no-match',
      event: fixture('s3/DeleteObject', byAwsService('s3')),
    },
    {
      name: 'reading an object is not deleting it',
      expect: 'no-match',
      event: fixture('s3/DeleteObject', { eventName: 'GetObject', readOnly: true }),
    },
  ],
};
