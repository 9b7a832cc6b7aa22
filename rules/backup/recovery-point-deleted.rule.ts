import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { backupVaultArns } from '../core/backup.ts';
import { stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { byAccountAndActor } from '../core/destruction.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, byAwsService, denied } from '../fixtures/overrides.ts';

export const rule = defineRule({
  id: 'backup.recovery-point-deleted',
  title: 'AWS Backup recovery points deleted by hand',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.13', 'A.8.10'],
  mitre: ['T1490'],
  on: { source: 'backup', eventNames: ['DeleteRecoveryPoint'] },
  match: (e, ctx) => isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => unapprovedReasons(e, ctx.config.approved),
  resources: (e) => {
    const point = stringParam(e.requestParameters, 'recoveryPointArn');
    return [...backupVaultArns(e), ...(point === undefined ? [] : [point])];
  },
  // A sweep deletes recovery points one call each: they fold into one finding per identity for the hour.
  dedup: { key: byAccountAndActor },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'Recovery points were deleted from a backup vault by someone other than AWS Backup’s own lifecycle and the ' +
    'approved automation: the copies a restore would need, removed before their retention ended.',
  runbook: [
    'Stop it: revoke the identity’s sessions now; then put a vault lock on the vault (`aws backup put-backup-vault-lock-configuration --backup-vault-name <vault> --min-retention-days <n>`).',
    'List what is left: `aws backup list-recovery-points-by-backup-vault --backup-vault-name <vault>`, and the copies in other accounts or Regions (copy jobs).',
    'Look for the rest of the pattern by the same actor: backup plans changed, databases or buckets deleted, data re-encrypted under an outside key.',
  ],
  rationale:
    'AWS Backup expires recovery points on its own (as the service); a person deleting them is removing the way back (T1490), the first move of cloud ransomware. Every deletion outside the approved process matches, with no threshold, and further deletions by the same identity fold into one finding for an hour. High, critical on high-criticality accounts.',
  falsePositives: ['Backup administrators freeing storage by hand (prefer shorter lifecycles in the plan).'],
  cases: () => [
    { name: 'alice deletes a recovery point', expect: 'match', event: fixture('backup/DeleteRecoveryPoint') },
    {
      name: 'denied',
      expect: 'no-match',
      event: fixture('backup/DeleteRecoveryPoint', denied('AccessDeniedException', 'backup:DeleteRecoveryPoint')),
    },
    {
      name: 'vault lock refuses the deletion',
      expect: 'no-match',
      event: fixture('backup/DeleteRecoveryPoint', {
        errorCode: 'InvalidRequestException',
        errorMessage: 'Recovery point cannot be deleted due to the backup vault lock configuration.',
      }),
    },
    {
      name: 'AWS Backup expiring a recovery point at the end of its lifecycle',
      expect: 'no-match',
      event: fixture('backup/DeleteRecoveryPoint', byAwsService('backup')),
    },
    {
      name: 'approved automation',
      expect: 'no-match',
      event: fixture('backup/DeleteRecoveryPoint', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
  ],
};
