import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { deletionReasons, isUnapprovedDeletion } from '../core/destruction.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

const fileSystemArn = (e: CloudTrailRecord): string =>
  resourceArn(e, 'elasticfilesystem', `file-system/${stringParam(e.requestParameters, 'fileSystemId') ?? 'unknown'}`);

export const rule = defineRule({
  id: 'elasticfilesystem.file-system-deleted',
  title: 'EFS file system deleted outside the approved process',
  severity: 'high',
  escalation: { high: 'critical', low: 'medium' },
  controls: ['A.8.10'],
  mitre: ['T1485'],
  on: { source: 'elasticfilesystem', eventNames: ['DeleteFileSystem'] },
  match: (e, ctx) =>
    isUnapprovedDeletion(e, ctx.config, [stringParam(e.requestParameters, 'fileSystemId') ?? '', fileSystemArn(e)]),
  explain: (e, ctx) => deletionReasons(e, ctx.config),
  resources: (e) => [fileSystemArn(e)],
  dedup: { key: fileSystemArn },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An Amazon EFS file system was deleted by someone other than the approved deploy automation. Its files are ' +
    'gone; only AWS Backup recovery points or a replica can bring them back.',
  runbook: [
    'Find a copy: `aws backup list-recovery-points-by-resource --resource-arn <file-system-arn>` and any replication destination (`aws efs describe-replication-configurations`). Restore with `aws backup start-restore-job`.',
    'Find the change record. If there is none, treat it as an incident: revoke the actor’s sessions and review their other calls (DeleteMountTarget just before is normal; DeleteRecoveryPoint is not).',
  ],
  rationale:
    'Deleting a file system destroys every file on it (T1485). One call is enough: high, critical on high-criticality assets, medium on low ones. Only calls outside the approved process match.',
  falsePositives: ['Decommissioning by hand after a ticket; sandbox clean-up (set those accounts to low criticality).'],
  cases: () => [
    { name: 'alice deletes a file system', expect: 'match', event: fixture('elasticfilesystem/DeleteFileSystem') },
    {
      name: 'denied',
      expect: 'no-match',
      event: fixture(
        'elasticfilesystem/DeleteFileSystem',
        denied('AccessDenied', 'elasticfilesystem:DeleteFileSystem'),
      ),
    },
    {
      name: 'mount targets still present: EFS refuses',
      expect: 'no-match',
      event: fixture('elasticfilesystem/DeleteFileSystem', {
        errorCode: 'FileSystemInUse',
        errorMessage: 'File system fs-0e1d2c3b4a5968778 has mount targets.',
      }),
    },
    {
      name: 'approved deploy role through CloudFormation',
      expect: 'no-match',
      event: fixture('elasticfilesystem/DeleteFileSystem', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
  ],
};
