import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { partitionOf, resourceArn, s3BucketArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, actorArn, isServiceInvoked, isSuccess, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

const instanceOf = (e: CloudTrailRecord): string | undefined =>
  stringParam(e.requestParameters, 'instanceId') ??
  stringParam(e.responseElements, 'exportTask', 'instanceExport', 'instanceId');
const bucketOf = (e: CloudTrailRecord): string | undefined =>
  stringParam(e.requestParameters, 'exportToS3', 's3Bucket') ??
  stringParam(e.responseElements, 'exportTask', 'exportToS3', 's3Bucket');

export const rule = defineRule({
  id: 'ec2.instance-exported',
  title: 'EC2 instance exported to S3 as a VM image outside the approved process',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.5.23', 'A.8.3'],
  mitre: ['T1537'],
  on: { source: 'ec2', eventNames: ['CreateInstanceExportTask'] },
  match: (e, ctx) => isSuccess(e) && !isServiceInvoked(e) && isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [
    `${actorArn(e)} exported instance ${instanceOf(e) ?? 'unknown'} with its disks to s3://${bucketOf(e) ?? 'unknown-bucket'} (${stringParam(e.requestParameters, 'targetEnvironment') ?? 'target not recorded'}): a full copy of the machine, readable anywhere the bucket is`,
    ...unapprovedReasons(e, ctx.config.approved),
  ],
  resources: (e) => {
    const instance = instanceOf(e);
    const bucket = bucketOf(e);
    return [
      ...(instance === undefined ? [] : [resourceArn(e, 'ec2', `instance/${instance}`)]),
      ...(bucket === undefined ? [] : [s3BucketArn(partitionOf(e.awsRegion), bucket)]),
    ];
  },
  dedup: { key: (e) => `${accountOf(e)}|${instanceOf(e) ?? ''}`, windowSeconds: 3600 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'CreateInstanceExportTask (VM Import/Export) started exporting an instance, disks and all, as a VM image to ' +
    'an S3 bucket, outside the approved process: everything on the machine (data, keys, cached credentials) ' +
    'leaves as one file.',
  runbook: [
    "Cancel the export if it is still running (`aws ec2 cancel-export-task --export-task-id <id>`, from the finding's event).",
    'Check who owns the destination bucket and who can read it (bucket policy, ACL grants to vm-import-export); delete the exported object if it is yours.',
    "Treat secrets on the instance as disclosed; revoke the caller's sessions and review its other calls.",
  ],
  rationale:
    'VM export is a migration tool almost no one uses day to day, and a complete exfiltration of a server in one ' +
    'call (T1537, Sigma aws_ec2_vm_export_failure). The destination bucket must grant the VM Import/Export service ' +
    'write access, which an attacker arranges in their own account. High, critical on high-criticality accounts; ' +
    'approved migrations run through an automation role.',
  falsePositives: [
    'A planned migration off AWS run by hand: run it through an approved automation role, or suppress it with a date.',
  ],
  cases: () => [
    { name: 'an instance exported by an IAM user', expect: 'match', event: fixture('ec2/CreateInstanceExportTask') },
    {
      name: 'the approved migration role exports',
      expect: 'no-match',
      event: fixture('ec2/CreateInstanceExportTask', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture(
        'ec2/CreateInstanceExportTask',
        denied('Client.UnauthorizedOperation', 'ec2:CreateInstanceExportTask'),
      ),
    },
  ],
};
