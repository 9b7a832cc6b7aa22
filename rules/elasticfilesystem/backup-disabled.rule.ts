import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

const fileSystemArn = (e: CloudTrailRecord): string =>
  resourceArn(e, 'elasticfilesystem', `file-system/${stringParam(e.requestParameters, 'fileSystemId') ?? 'unknown'}`);

/** The status asked for; anything but ENABLED (DISABLED, or not recorded) counts as switched off. */
const requestedStatus = (e: CloudTrailRecord): string | undefined =>
  stringParam(e.requestParameters, 'backupPolicy', 'status')?.toUpperCase();

export const rule = defineRule({
  id: 'elasticfilesystem.backup-disabled',
  title: 'EFS automatic backups switched off outside the approved process',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.13'],
  mitre: ['T1490'],
  on: { source: 'elasticfilesystem', eventNames: ['PutBackupPolicy'] },
  match: (e, ctx) => requestedStatus(e) !== 'ENABLED' && isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [
    requestedStatus(e) === undefined
      ? `backup policy of ${fileSystemArn(e)} written without a recorded status: counted as switched off`
      : `automatic backups of ${fileSystemArn(e)} switched off (backupPolicy ${requestedStatus(e)}): AWS Backup stops its daily recovery points`,
    ...unapprovedReasons(e, ctx.config.approved),
  ],
  resources: (e) => [fileSystemArn(e)],
  dedup: { key: fileSystemArn },
});

const FIXTURE = 'elasticfilesystem/PutBackupPolicy';

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'The automatic backup policy of an EFS file system was switched off (PutBackupPolicy with status DISABLED) ' +
    'outside the approved process: AWS Backup no longer takes its daily recovery points, so a later deletion or ' +
    'encryption of the files cannot be undone from a recent copy.',
  runbook: [
    'Read the policy now: `aws efs describe-backup-policy --file-system-id <id>`, and the recovery points left: `aws backup list-recovery-points-by-resource --resource-arn <file-system-arn>`.',
    'Unless a change record explains it, switch backups back on: `aws efs put-backup-policy --file-system-id <id> --backup-policy Status=ENABLED`.',
    'Review the actor’s other calls: switching backups off comes before destroying data (DeleteFileSystem, mount target changes, AWS Backup recovery points deleted).',
  ],
  rationale:
    'Removing recovery is the preparation step of ransom and destruction (T1490), the EFS counterpart of RDS backup ' +
    'retention 0 (`rds.backup-protection-removed`); the Turbot tailpipe detection efs_file_system_backup_policy_disabled ' +
    'reads the same call. Switching backups on is not a finding. Outside the approved process; medium, high on ' +
    'high-criticality accounts; a record without the status fails closed.',
  falsePositives: ['A file system backed up by a separate AWS Backup plan instead: the policy is then redundant.'],
  cases: () => [
    { name: 'automatic backups switched off', expect: 'match', event: fixture(FIXTURE) },
    {
      name: 'lower-case status',
      expect: 'match',
      event: fixture(FIXTURE, { requestParameters: { backupPolicy: { status: 'disabled' } } }),
    },
    {
      name: 'oversized request omitted by CloudTrail: fails closed',
      expect: 'match',
      event: fixture(FIXTURE, { requestParameters: { reason: 'requestParameters too large', omitted: true } }),
    },
    {
      name: 'backups switched on',
      expect: 'no-match',
      event: fixture(FIXTURE, { requestParameters: { backupPolicy: { status: 'ENABLED' } } }),
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture(FIXTURE, denied('AccessDeniedException', 'elasticfilesystem:PutBackupPolicy')),
    },
    {
      name: 'the approved deploy role',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture(FIXTURE, BY_APPROVED_DEPLOY),
    },
  ],
};
