import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { partitionOf, s3BucketArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, actorArn, isServiceInvoked, isSuccess, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

/** The snapshot (or cluster) ARN exported; the request requires it, the response repeats it. */
const sourceOf = (e: CloudTrailRecord): string | undefined =>
  stringParam(e.requestParameters, 'sourceArn') ?? stringParam(e.responseElements, 'sourceArn');

const bucketOf = (e: CloudTrailRecord): string | undefined =>
  stringParam(e.requestParameters, 's3BucketName') ?? stringParam(e.responseElements, 's3Bucket');

export const rule = defineRule({
  id: 'rds.snapshot-exported',
  title: 'RDS snapshot or cluster exported to S3 outside the approved process',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.5.23', 'A.8.3'],
  mitre: ['T1537', 'T1567.002'],
  on: { source: 'rds', eventNames: ['StartExportTask'] },
  match: (e, ctx) => isSuccess(e) && !isServiceInvoked(e) && isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [
    `${actorArn(e)} started exporting ${sourceOf(e) ?? 'an unrecorded snapshot'} to s3://${bucketOf(e) ?? 'unknown-bucket'}${stringParam(e.requestParameters, 's3Prefix') === undefined ? '' : `/${stringParam(e.requestParameters, 's3Prefix')}`} with role ${stringParam(e.requestParameters, 'iamRoleArn') ?? 'not recorded'}: every table, readable as Parquet wherever the bucket is`,
    ...unapprovedReasons(e, ctx.config.approved),
  ],
  resources: (e) => {
    const source = sourceOf(e);
    const bucket = bucketOf(e);
    return [
      ...(source === undefined ? [] : [source]),
      ...(bucket === undefined ? [] : [s3BucketArn(partitionOf(e.awsRegion), bucket)]),
    ];
  },
  dedup: { key: (e) => `${accountOf(e)}|${sourceOf(e) ?? ''}|${bucketOf(e) ?? ''}`, windowSeconds: 3600 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'StartExportTask began exporting an RDS or Aurora snapshot (or a live Aurora cluster) to an S3 bucket as ' +
    'Parquet, outside the approved process: the contents of every table, copied out without sharing the snapshot.',
  runbook: [
    "Cancel the export while it runs (`aws rds cancel-export-task --export-task-identifier <id>`, from the finding's event).",
    'Check who owns the destination bucket and who can read it (bucket policy, the export role’s write grant); an export lands in whatever bucket the role may write, including one in another account.',
    "Treat the exported tables as disclosed if the bucket is not yours; revoke the caller's sessions and review its other calls (a snapshot created just before is the usual first step).",
    'Deny rds:StartExportTask by SCP except for the approved analytics role.',
  ],
  rationale:
    'Exporting a snapshot to S3 needs no snapshot share, so rds.snapshot-shared never sees it, yet the whole ' +
    'database leaves in one call (T1537, T1567.002; Elastic exfiltration_rds_snapshot_export and ' +
    'collection_rds_snapshot_export). The record names the bucket but not its owner, so the call is judged by ' +
    'the approved process: analytics pipelines export through an automation role, a person or a stolen key does ' +
    'not. High, critical on high-criticality accounts.',
  falsePositives: [
    'An analyst exporting a snapshot by hand for a one-off report: run it through the approved analytics role, or suppress with a dated reason.',
  ],
  cases: () => [
    { name: 'a snapshot exported by an IAM user', expect: 'match', event: fixture('rds/StartExportTask') },
    {
      name: 'a live Aurora cluster exported from a GovCloud region',
      expect: 'match',
      event: fixture('rds/StartExportTask', {
        awsRegion: 'us-gov-west-1',
        requestParameters: { sourceArn: 'arn:aws-us-gov:rds:us-gov-west-1:111122223333:cluster:orders-aurora' },
      }),
    },
    {
      name: 'the approved analytics role exports',
      expect: 'no-match',
      event: fixture('rds/StartExportTask', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture('rds/StartExportTask', denied('AccessDenied', 'rds:StartExportTask')),
    },
    {
      name: 'the bucket refused the export role (an error, nothing exported)',
      expect: 'no-match',
      event: fixture('rds/StartExportTask', {
        errorCode: 'InvalidS3BucketFault',
        errorMessage: 'The S3 bucket exfil-drop-9c2e could not be accessed by the IAM role.',
        responseElements: null,
      }),
    },
  ],
};
