import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

/** What each call removes, the request field naming it, and its ARN resource type. */
const REMOVED = {
  DeleteBackupVaultNotifications: { what: 'vault notifications', field: 'backupVaultName', type: 'backup-vault' },
  DeleteReportPlan: { what: 'Backup Audit Manager report plan', field: 'reportPlanName', type: 'report-plan' },
  DeleteFramework: { what: 'Backup Audit Manager framework', field: 'frameworkName', type: 'framework' },
} as const;
type Removal = keyof typeof REMOVED;

const removalOf = (e: CloudTrailRecord) => REMOVED[e.eventName as Removal];
const nameOf = (e: CloudTrailRecord): string => stringParam(e.requestParameters, removalOf(e).field) ?? 'unknown';

export const rule = defineRule({
  id: 'backup.monitoring-removed',
  title: 'AWS Backup notifications, report plan or audit framework removed',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.13', 'A.8.16'],
  mitre: ['T1562.001', 'T1490'],
  on: { source: 'backup', eventNames: Object.keys(REMOVED) },
  match: (e, ctx) => isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [
    `${removalOf(e).what} ${nameOf(e)} removed: failed or deleted backups no longer raise alerts or reports`,
    ...unapprovedReasons(e, ctx.config.approved),
  ],
  dedup: { key: (e) => `${accountOf(e)}|${e.awsRegion}|${e.eventName}|${nameOf(e)}` },
  resources: (e) => [resourceArn(e, 'backup', `${removalOf(e).type}:${nameOf(e)}`)],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    "A backup vault's event notifications (SNS on failed jobs, deleted recovery points), a Backup Audit Manager " +
    'report plan or an audit framework was deleted outside the approved process: backups can then be changed or ' +
    'deleted without the alert or compliance report that would have shown it.',
  runbook: [
    'Put the notifications back from IaC: `aws backup put-backup-vault-notifications --backup-vault-name <vault> ' +
      '--sns-topic-arn <topic> --backup-vault-events BACKUP_JOB_FAILED RECOVERY_POINT_MODIFIED ...`; recreate ' +
      'report plans and frameworks from IaC.',
    "Review the actor's other Backup calls since (DeleteRecoveryPoint, UpdateBackupPlan, vault policy and lock " +
      'changes): removing the alerting first is the usual order.',
    'Restrict backup:Delete* to the backup administrators by SCP.',
  ],
  rationale:
    'Blinding backup monitoring precedes anti-recovery actions (Elastic defense_evasion_backup_monitoring_or_' +
    'audit_disabled). The ISO guidance asks that backup failures be detected (A.8.13). Rare calls, no threshold: ' +
    'medium, high on high-criticality accounts.',
  falsePositives: ['Reconfiguring notifications or audit reports by hand: prefer IaC through the approved role.'],
  cases: () => [
    {
      name: 'vault notifications deleted by a user',
      expect: 'match',
      event: fixture('backup/DeleteBackupVaultNotifications'),
    },
    { name: 'report plan deleted', expect: 'match', event: fixture('backup/DeleteReportPlan') },
    {
      name: 'audit framework deleted',
      expect: 'match',
      event: fixture('backup/DeleteReportPlan', {
        eventName: 'DeleteFramework',
        requestParameters: { reportPlanName: null, frameworkName: 'backup-controls-a1b2c3d4' },
      }),
    },
    {
      name: 'notifications set (not removed) is a sibling event the rule does not select',
      expect: 'no-match',
      event: fixture('backup/DeleteBackupVaultNotifications', { eventName: 'PutBackupVaultNotifications' }),
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture(
        'backup/DeleteBackupVaultNotifications',
        denied('AccessDeniedException', 'backup:DeleteBackupVaultNotifications'),
      ),
    },
    {
      name: 'approved pipeline',
      expect: 'no-match',
      event: fixture('backup/DeleteReportPlan', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
  ],
};
