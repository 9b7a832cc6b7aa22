import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, actorArn, isServiceInvoked, isSuccess, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

/**
 * Locations a transfer can leave to: an S3 bucket (its ARN never names the owner), or a server anywhere
 * (S3-compatible object storage, Azure Blob, SMB, NFS, HDFS). EFS and FSx locations are file systems of the
 * account itself and stay out.
 */
const LOCATIONS = [
  'CreateLocationS3',
  'CreateLocationObjectStorage',
  'CreateLocationAzureBlob',
  'CreateLocationSmb',
  'CreateLocationNfs',
  'CreateLocationHdfs',
];

const p = (e: CloudTrailRecord, key: string): string | undefined => stringParam(e.requestParameters, key);

/** Where the new location points: a bucket ARN, a container URL, or a server and its path. */
const endpoint = (e: CloudTrailRecord): string =>
  p(e, 's3BucketArn') ??
  p(e, 'containerUrl') ??
  ([p(e, 'serverHostname'), p(e, 'bucketName') ?? p(e, 'subdirectory')].filter((v) => v !== undefined).join('/') ||
    'an unrecorded endpoint');

const target = (e: CloudTrailRecord): string =>
  e.eventName === 'CreateTask'
    ? `a task copying ${p(e, 'sourceLocationArn') ?? 'an unrecorded source'} to ${p(e, 'destinationLocationArn') ?? 'an unrecorded destination'}`
    : `a location at ${endpoint(e)}`;

const createdArn = (e: CloudTrailRecord): string | undefined =>
  stringParam(e.responseElements, e.eventName === 'CreateTask' ? 'taskArn' : 'locationArn');

export const rule = defineRule({
  id: 'datasync.transfer-created',
  title: 'DataSync task or outside location created outside the approved process',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.5.23', 'A.8.3'],
  mitre: ['T1537', 'T1567.002'],
  on: { source: 'datasync', eventNames: ['CreateTask', ...LOCATIONS] },
  match: (e, ctx) => isSuccess(e) && !isServiceInvoked(e) && isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [
    `${actorArn(e)} created ${target(e)} (${e.eventName}): DataSync copies whole buckets and file systems to it without any share or policy change`,
    ...unapprovedReasons(e, ctx.config.approved),
  ],
  resources: (e) => {
    const arn = createdArn(e);
    return arn === undefined ? [] : [arn];
  },
  // A transfer is set up as a burst (two locations, then the task): one finding per caller and hour.
  dedup: { key: (e) => `${accountOf(e)}|${actorArn(e)}`, windowSeconds: 3600 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'Outside the approved process, someone created an AWS DataSync task or a location a task can copy to: an S3 ' +
    'bucket (whose ARN never names its owner) or a server anywhere on the internet (S3-compatible object storage, ' +
    'Azure Blob, SMB, NFS, HDFS). A task then moves whole buckets and file systems out at line rate, with no ' +
    'bucket policy, snapshot share or replication rule to notice.',
  runbook: [
    "List the caller's DataSync tasks and locations (`aws datasync list-tasks`, `aws datasync describe-location-*`) and who owns each endpoint; delete tasks and locations nobody approved (`aws datasync delete-task`, `delete-location`).",
    'Check for task executions already started (`aws datasync list-task-executions --task-arn <arn>`): a finished execution means the data has left; treat it as disclosed.',
    "Revoke the caller's sessions and review its other calls; deny datasync:Create* by SCP except for the approved migration role.",
  ],
  rationale:
    'DataSync is a migration service: routine migrations run from an automation role, rarely by a person. An ' +
    'attacker uses it to exfiltrate without any share (Splunk aws_exfiltration_via_datasync_task; T1537, ' +
    'T1567.002): an object-storage or Azure location points at their server, an S3 location at their bucket. ' +
    'Neither the location nor the task record can prove the endpoint is yours, so every creation outside the ' +
    'approved process is a finding, refused attempts are not (nothing was created). High, critical on ' +
    'high-criticality accounts.',
  falsePositives: [
    'A one-off migration set up by hand in the console: run it through the approved migration role, or suppress the rule for that account with a date.',
  ],
  cases: () => [
    {
      name: 'an object-storage location at an outside server',
      expect: 'match',
      event: fixture('datasync/CreateLocationObjectStorage'),
    },
    { name: 'a task copying a bucket to that location', expect: 'match', event: fixture('datasync/CreateTask') },
    {
      name: 'an S3 location for a bucket of unknown owner, in another region',
      expect: 'match',
      event: fixture('datasync/CreateLocationS3'),
    },
    {
      name: 'parameters not recorded: still a finding',
      expect: 'match',
      event: fixture('datasync/CreateTask', { requestParameters: null }),
    },
    {
      name: 'the approved migration role creates the task',
      expect: 'no-match',
      event: fixture('datasync/CreateTask', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture(
        'datasync/CreateLocationObjectStorage',
        denied('AccessDeniedException', 'datasync:CreateLocationObjectStorage'),
      ),
    },
  ],
};
