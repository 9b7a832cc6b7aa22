import { defineRule } from '../core/define-rule.ts';
import {
  databaseDedupKey,
  databaseDeletion,
  explainDatabaseDeletion,
  isDeletedWithoutBackup,
  isUnapprovedDatabaseCall,
  rdsTargetArns,
} from '../core/rds.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

export const rule = defineRule({
  id: 'rds.database-deleted-without-backup',
  title: 'RDS or Aurora database deleted without a final snapshot or with its backups',
  severity: 'critical',
  escalation: { low: 'high' },
  controls: ['A.8.10', 'A.8.13'],
  mitre: ['T1485', 'T1490'],
  on: { source: 'rds', eventNames: ['DeleteDBInstance', 'DeleteDBCluster'] },
  match: (e, ctx) => isUnapprovedDatabaseCall(e, ctx.config) && isDeletedWithoutBackup(databaseDeletion(e)),
  explain: (e, ctx) => explainDatabaseDeletion(e, ctx.config),
  resources: rdsTargetArns,
  dedup: { key: databaseDedupKey },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An RDS instance or Aurora cluster was deleted outside the approved process with its final snapshot skipped, ' +
    'or with its automated backups explicitly deleted with it: the data is gone with no copy RDS keeps.',
  runbook: [
    'Look for anything left to restore from, at once: `aws rds describe-db-snapshots --db-instance-identifier <id>` (or `describe-db-cluster-snapshots --db-cluster-identifier <id>`), `aws rds describe-db-instance-automated-backups --db-instance-identifier <id>`, and recovery points in AWS Backup (`aws backup list-recovery-points-by-resource --resource-arn <arn>`).',
    'Restore the newest copy (`aws rds restore-db-instance-from-db-snapshot` / `restore-db-cluster-from-snapshot`, or `restore-db-instance-to-point-in-time` from retained automated backups) and repoint the application.',
    'Treat the actor as compromised unless a change record explains it: revoke their sessions, rotate their credentials, and review their calls since the session began (ransomware deletes the backups first: look for DeleteDBSnapshot, DeleteRecoveryPoint, backup retention set to 0).',
    'Prevent it: turn on deletion protection for production databases, deny `rds:DeleteDBInstance`, `rds:DeleteDBCluster` and `rds:DeleteDBInstanceAutomatedBackup` outside the deploy role with an SCP, and copy backups to a vault in another account (AWS Backup cross-account copy with a vault lock).',
  ],
  rationale:
    'A database deleted with its final snapshot skipped, or with its automated backups deleted on purpose, leaves nothing RDS can restore: the destructive end of T1485, and the reason cloud ransomware deletes backups first (T1490). ' +
    'One call is enough (no threshold). Critical, high on low-criticality assets (test accounts). Only calls outside the approved process match: teardown of ephemeral databases by the deploy pipeline is routine. ' +
    'Fail safe: a record without request parameters counts as deleted without a snapshot. A deletion that keeps a final snapshot is rds.database-deleted (high), so one call raises one finding.',
  falsePositives: [
    'Engineers deleting test databases by hand with --skip-final-snapshot (set those accounts to low criticality, or use the pipeline).',
    'Deploy automation not yet listed in `approved.automationRoles` / `approved.iacUserAgents`.',
  ],
  cases: () => [
    {
      name: 'bob deletes the orders database from the console, skipping the final snapshot and deleting automated backups',
      expect: 'match',
      event: fixture('rds/DeleteDBInstance-skip-final-snapshot'),
    },
    { name: 'Aurora cluster deleted with skipFinalSnapshot', expect: 'match', event: fixture('rds/DeleteDBCluster') },
    {
      name: 'final snapshot taken but automated backups explicitly deleted',
      expect: 'match',
      event: fixture('rds/DeleteDBInstance', {
        requestParameters: { deleteAutomatedBackups: true },
      }),
    },
    {
      name: 'skipFinalSnapshot logged as a string by a query-API client',
      expect: 'match',
      event: fixture('rds/DeleteDBCluster', { requestParameters: { skipFinalSnapshot: 'true' } }),
    },
    {
      name: 'request parameters not recorded: fail safe',
      expect: 'match',
      event: fixture('rds/DeleteDBCluster', { requestParameters: null }),
    },
    {
      name: 'final snapshot taken, backups left to the default: rds.database-deleted instead',
      expect: 'no-match',
      event: fixture('rds/DeleteDBInstance'),
    },
    {
      name: 'denied',
      expect: 'no-match',
      event: fixture(
        'rds/DeleteDBInstance-skip-final-snapshot',
        denied('AccessDenied', 'rds:DeleteDBInstance', 'arn:aws:rds:eu-west-1:111122223333:db:orders-prod'),
      ),
    },
    {
      name: 'deletion protection on: RDS refuses',
      expect: 'no-match',
      event: fixture('rds/DeleteDBCluster', {
        errorCode: 'InvalidParameterCombination',
        errorMessage: 'Cannot delete protected Cluster, please disable deletion protection and try again.',
        responseElements: null,
      }),
    },
    {
      name: 'approved deploy role tears down a stack database',
      expect: 'no-match',
      event: fixture('rds/DeleteDBCluster', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
  ],
};
