import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

/** S3 records the job itself: only its own service event counts, never a record shaped by a caller. */
const isS3JobEvent = (e: CloudTrailRecord): boolean =>
  e.eventType === 'AwsServiceEvent' && e.userIdentity.invokedBy === 's3.amazonaws.com';

export const rule = defineRule({
  id: 's3.batch-job-created',
  title: 'S3 Batch Operations job created',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.5.23', 'A.8.3'],
  mitre: ['T1537', 'T1485'],
  on: { source: 's3', eventNames: ['JobCreated'] },
  match: (e) => isS3JobEvent(e),
  explain: (e) => [
    `an S3 Batch Operations job was created in account ${accountOf(e)}, ${e.awsRegion}: one job copies, re-encrypts, replicates or deletes every object of a manifest, up to billions; CloudTrail's JobCreated names no caller and no operation`,
  ],
  // One finding per account and region an hour: a job is set up, cloned and retried in a burst.
  dedup: { key: (e) => `${accountOf(e)}|${e.awsRegion}`, windowSeconds: 3600 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'S3 recorded a new Batch Operations job (its own `JobCreated` service event). A job runs one operation over ' +
    'every object of a manifest: copy to another bucket (any account that lets the job role write), replicate, ' +
    're-encrypt, change ACLs or delete versions, so it is a bulk exfiltration or destruction path that needs no ' +
    'bucket policy or replication change.',
  runbook: [
    'Describe the job (`aws s3control list-jobs --account-id <account>` then `aws s3control describe-job --account-id <account> --job-id <id>`): its operation, manifest, target bucket and role.',
    'If the operation copies or replicates to a bucket you do not own, or deletes or re-encrypts objects, cancel it (`aws s3control update-job-status --requested-job-status Cancelled`) and treat the objects processed as disclosed or damaged.',
    "Find the caller through the job role's recent AssumeRole and the s3:CreateJob grants; revoke its sessions if the job was not planned.",
  ],
  rationale:
    'Batch Operations moves or changes data at a scale no single API call does, and an attacker who can pass a ' +
    'role uses it for exfiltration without a share (Splunk aws_exfiltration_via_batch_service reads the same ' +
    'JobCreated event; T1537, T1485 for deleting jobs). CloudTrail records the job only as S3’s own service ' +
    'event, with no caller and no operation (the S3 user guide lists only job status events for Batch ' +
    'Operations), so the rule cannot tell an approved job from an attacker’s: medium, a record to check, high on ' +
    'high-criticality accounts. Dedup per account and region an hour.',
  falsePositives: [
    'Planned batch jobs (storage-class moves, tagging, re-encryption projects): suppress the rule for the account and a date range, with the change reference.',
    'S3 Replication’s batch replication of existing objects creates a job too.',
  ],
  cases: () => [
    { name: 'a Batch Operations job created', expect: 'match', event: fixture('s3/JobCreated') },
    {
      name: 'a job created in another region of a member account',
      expect: 'match',
      event: fixture('s3/JobCreated', { awsRegion: 'ap-south-1', recipientAccountId: '444455556666' }),
    },
    {
      name: 'a later status change of the same job',
      expect: 'no-match',
      event: fixture('s3/JobCreated', { eventName: 'JobStatusChanged' }),
    },
    {
      name: 'a record named JobCreated but shaped as a caller’s API call is not S3’s',
      expect: 'no-match',
      event: fixture('s3/JobCreated', {
        eventType: 'AwsApiCall',
        userIdentity: {
          type: 'IAMUser',
          arn: 'arn:aws:iam::111122223333:user/alice',
          accountId: '111122223333',
          invokedBy: undefined,
        },
      }),
    },
  ],
};
