import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { backupVaultArns } from '../core/backup.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isServiceInvoked, isSuccess, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

/** Removing a vault lock has no place in any deployment: it matches even for approved automation. */
const removesLock = (e: CloudTrailRecord): boolean => e.eventName === 'DeleteBackupVaultLockConfiguration';

export const rule = defineRule({
  id: 'backup.vault-protection-removed',
  title: 'AWS Backup vault deleted, or its lock or access policy removed',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.13'],
  mitre: ['T1490'],
  on: {
    source: 'backup',
    eventNames: ['DeleteBackupVault', 'DeleteBackupVaultLockConfiguration', 'DeleteBackupVaultAccessPolicy'],
  },
  match: (e, ctx) =>
    removesLock(e) ? isSuccess(e) && !isServiceInvoked(e) : isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) =>
    removesLock(e)
      ? ['vault lock removed: recovery points can be deleted before their retention ends']
      : unapprovedReasons(e, ctx.config.approved),
  resources: backupVaultArns,
  dedup: {
    key: (e) => `${accountOf(e)}|${e.awsRegion}|${stringParam(e.requestParameters, 'backupVaultName') ?? 'unknown'}`,
  },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A backup vault was deleted, its Vault Lock removed (recovery points can be deleted early again), or its ' +
    'access policy removed (the deny statements that usually protect recovery points from deletion are gone). ' +
    'Removing a lock always matches; the other two match outside the approved process.',
  runbook: [
    'Put the protection back at once: `aws backup put-backup-vault-lock-configuration --backup-vault-name <vault> --min-retention-days <n>` (compliance mode once the grace time passes), and the access policy from IaC (`aws backup put-backup-vault-access-policy`).',
    'List the recovery points and watch for deletions: `aws backup list-recovery-points-by-backup-vault --backup-vault-name <vault>`; CloudTrail DeleteRecoveryPoint by the same actor is the next step of the attack.',
    'Revoke the actor’s sessions unless a change record explains the change.',
  ],
  rationale:
    'Vault locks and deny-delete vault policies are what keep recovery points alive when an administrator account is stolen; removing them is inhibiting recovery (T1490) and comes right before the deletions. One call is enough (no threshold): high, critical on high-criticality accounts. A vault can only be deleted once empty, so a deleted vault also means its recovery points are already gone.',
  falsePositives: [
    'Vault locks in governance mode removed by hand while testing retention settings.',
    'Empty vaults of retired workloads deleted by hand.',
  ],
  cases: () => [
    {
      name: 'alice removes the vault lock',
      expect: 'match',
      event: fixture('backup/DeleteBackupVaultLockConfiguration'),
    },
    {
      name: 'vault lock removed even by the approved deploy role',
      expect: 'match',
      event: fixture('backup/DeleteBackupVaultLockConfiguration', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
    { name: 'vault access policy removed', expect: 'match', event: fixture('backup/DeleteBackupVaultAccessPolicy') },
    { name: 'vault deleted', expect: 'match', event: fixture('backup/DeleteBackupVault') },
    {
      name: 'denied',
      expect: 'no-match',
      event: fixture(
        'backup/DeleteBackupVaultLockConfiguration',
        denied('AccessDeniedException', 'backup:DeleteBackupVaultLockConfiguration'),
      ),
    },
    {
      name: 'lock in compliance mode past its grace time: AWS Backup refuses',
      expect: 'no-match',
      event: fixture('backup/DeleteBackupVaultLockConfiguration', {
        errorCode: 'InvalidRequestException',
        errorMessage:
          'Backup vault lock configuration cannot be deleted for vaults in compliance mode after the grace time.',
      }),
    },
    {
      name: 'approved deploy role deletes a stack vault',
      expect: 'no-match',
      event: fixture('backup/DeleteBackupVault', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
  ],
};
