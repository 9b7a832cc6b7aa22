import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { partitionOf, resourceArn, s3BucketArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, actorArn, isServiceInvoked, isSuccess, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

/**
 * The three ways EC2 writes a machine to S3: an instance (VM Import/Export, camel-case parameters), an AMI as a
 * VM image (`ExportImage`) and an AMI stored as an object (`CreateStoreImageTask`). The two image APIs are logged
 * in EC2's newer style, wrapped in `<Name>Request` with Pascal-case members; both spellings are read.
 */
const req = (e: CloudTrailRecord, ...path: string[]): string | undefined =>
  stringParam(e.requestParameters, `${e.eventName}Request`, ...path) ?? stringParam(e.requestParameters, ...path);

const sourceOf = (e: CloudTrailRecord): string | undefined =>
  e.eventName === 'CreateInstanceExportTask'
    ? (stringParam(e.requestParameters, 'instanceId') ??
      stringParam(e.responseElements, 'exportTask', 'instanceExport', 'instanceId'))
    : (req(e, 'ImageId') ?? req(e, 'imageId') ?? stringParam(e.responseElements, 'imageId'));

const bucketOf = (e: CloudTrailRecord): string | undefined =>
  stringParam(e.requestParameters, 'exportToS3', 's3Bucket') ??
  stringParam(e.responseElements, 'exportTask', 'exportToS3', 's3Bucket') ??
  req(e, 'S3ExportLocation', 'S3Bucket') ??
  req(e, 's3ExportLocation', 's3Bucket') ??
  req(e, 'Bucket') ??
  req(e, 'bucket') ??
  stringParam(e.responseElements, 's3ExportLocation', 's3Bucket');

const sourceResource = (id: string): string => (id.startsWith('ami-') ? `image/${id}` : `instance/${id}`);

export const rule = defineRule({
  id: 'ec2.instance-exported',
  title: 'EC2 instance or image exported to S3 outside the approved process',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.5.23', 'A.8.3'],
  mitre: ['T1537'],
  on: { source: 'ec2', eventNames: ['CreateInstanceExportTask', 'ExportImage', 'CreateStoreImageTask'] },
  match: (e, ctx) => isSuccess(e) && !isServiceInvoked(e) && isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [
    `${actorArn(e)} ran ${e.eventName} on ${sourceOf(e) ?? 'an unrecorded instance or image'}, writing it with its disks to s3://${bucketOf(e) ?? 'unknown-bucket'}: a full copy of the machine, readable anywhere the bucket is`,
    ...unapprovedReasons(e, ctx.config.approved),
  ],
  resources: (e) => {
    const source = sourceOf(e);
    const bucket = bucketOf(e);
    return [
      ...(source === undefined ? [] : [resourceArn(e, 'ec2', sourceResource(source))]),
      ...(bucket === undefined ? [] : [s3BucketArn(partitionOf(e.awsRegion), bucket)]),
    ];
  },
  dedup: { key: (e) => `${accountOf(e)}|${sourceOf(e) ?? ''}`, windowSeconds: 3600 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'EC2 started writing a whole machine to an S3 bucket, outside the approved process: an instance with its ' +
    'disks as a VM image (CreateInstanceExportTask), an AMI as a VM image (ExportImage) or an AMI stored as an ' +
    'object (CreateStoreImageTask). Everything on the machine (data, keys, cached credentials) leaves as one file.',
  runbook: [
    "Cancel the task if it is still running (`aws ec2 cancel-export-task --export-task-id <id>`, or `aws ec2 cancel-export-task` with the ExportImage task id from the finding's event); a store-image task finishes on its own: delete the object it wrote.",
    'Check who owns the destination bucket and who can read it (bucket policy, ACL grants to vm-import-export); delete the exported object if it is yours.',
    "Treat secrets on the instance or image as disclosed; revoke the caller's sessions and review its other calls.",
  ],
  rationale:
    'VM and image export are migration and archive tools almost no one uses day to day, and each is a complete ' +
    'exfiltration of a server in one call (T1537; Sigma aws_ec2_vm_export_failure, Elastic ' +
    'exfiltration_ec2_export_task, which reads all three APIs). The destination bucket only has to let the export ' +
    'service or the caller write, which an attacker arranges in their own account. High, critical on ' +
    'high-criticality accounts; approved migrations run through an automation role.',
  falsePositives: [
    'A planned migration off AWS run by hand: run it through an approved automation role, or suppress it with a date.',
    'AMI archiving to S3 (CreateStoreImageTask) run by hand instead of by the approved backup automation.',
  ],
  cases: () => [
    { name: 'an instance exported by an IAM user', expect: 'match', event: fixture('ec2/CreateInstanceExportTask') },
    { name: 'an AMI exported as a VM image', expect: 'match', event: fixture('ec2/ExportImage') },
    { name: 'an AMI stored to S3 as an object', expect: 'match', event: fixture('ec2/CreateStoreImageTask') },
    {
      name: 'ExportImage logged with camel-case parameters, in another region',
      expect: 'match',
      event: fixture('ec2/ExportImage', {
        awsRegion: 'us-gov-west-1',
        requestParameters: {
          ExportImageRequest: undefined,
          imageId: 'ami-0c1d2e3f4a5b6c7d8',
          s3ExportLocation: { s3Bucket: 'img-drop-51ab', s3Prefix: 'x/' },
        },
      }),
    },
    {
      name: 'the approved migration role exports',
      expect: 'no-match',
      event: fixture('ec2/CreateInstanceExportTask', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
    {
      name: 'the approved role archives an AMI',
      expect: 'no-match',
      event: fixture('ec2/CreateStoreImageTask', BY_APPROVED_DEPLOY),
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
    {
      name: 'ExportImage refused',
      expect: 'no-match',
      event: fixture('ec2/ExportImage', denied('Client.UnauthorizedOperation', 'ec2:ExportImage')),
    },
  ],
};
