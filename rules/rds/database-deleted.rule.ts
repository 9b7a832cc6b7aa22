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
  id: 'rds.database-deleted',
  title: 'RDS or Aurora database deleted outside the approved process',
  severity: 'high',
  escalation: { high: 'critical', low: 'medium' },
  controls: ['A.8.10'],
  mitre: ['T1485'],
  on: { source: 'rds', eventNames: ['DeleteDBInstance', 'DeleteDBCluster'] },
  match: (e, ctx) => isUnapprovedDatabaseCall(e, ctx.config) && !isDeletedWithoutBackup(databaseDeletion(e)),
  explain: (e, ctx) => explainDatabaseDeletion(e, ctx.config),
  resources: rdsTargetArns,
  dedup: { key: databaseDedupKey },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An RDS instance or Aurora cluster was deleted by someone other than the approved deploy automation. A final ' +
    'snapshot was taken, so the data can be restored, but the service is down and the snapshot is now the only copy.',
  runbook: [
    'Secure the final snapshot before anything else: `aws rds describe-db-snapshots --db-snapshot-identifier <final-snapshot>`; copy it to the backup account or vault so the same actor cannot delete it.',
    'Find the change record. If there is none, ask the actor; if the actor did not make it, treat it as an incident, revoke their sessions and review their other calls (snapshot deletions, backup changes).',
    'Restore if the deletion was unwanted: `aws rds restore-db-instance-from-db-snapshot --db-instance-identifier <id> --db-snapshot-identifier <final-snapshot>` (or `restore-db-cluster-from-snapshot`).',
    'Turn on deletion protection for production databases (`aws rds modify-db-instance --db-instance-identifier <id> --deletion-protection`).',
  ],
  rationale:
    'Deleting a production database is destruction of service and data (T1485) even when a final snapshot survives: the snapshot is one call away from deletion too. ' +
    'One call is enough (no threshold); high, critical on high-criticality assets and medium on low ones. Only calls outside the approved process match. ' +
    'Deletions with no final snapshot or with the automated backups deleted are rds.database-deleted-without-backup (critical) instead, so one call is one finding.',
  falsePositives: [
    'Decommissioning a database by hand after a ticket (confirm the ticket; suppress with a dated, reasoned suppression).',
    'Deploy automation not yet listed in `approved.automationRoles` / `approved.iacUserAgents`.',
  ],
  cases: () => [
    {
      name: 'alice deletes the orders database, keeping a final snapshot',
      expect: 'match',
      event: fixture('rds/DeleteDBInstance'),
    },
    {
      name: 'high-criticality database',
      expect: 'match',
      criticality: 'high',
      event: fixture('rds/DeleteDBInstance'),
    },
    {
      name: 'final snapshot skipped: the without-backup rule takes it',
      expect: 'no-match',
      event: fixture('rds/DeleteDBInstance-skip-final-snapshot'),
    },
    {
      name: 'denied',
      expect: 'no-match',
      event: fixture(
        'rds/DeleteDBInstance',
        denied('AccessDenied', 'rds:DeleteDBInstance', 'arn:aws:rds:eu-west-1:111122223333:db:orders-prod'),
      ),
    },
    {
      name: 'approved deploy role through CloudFormation',
      expect: 'no-match',
      event: fixture('rds/DeleteDBInstance', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
    {
      name: 'stopping a database is not deleting it',
      expect: 'no-match',
      event: fixture('rds/DeleteDBInstance', { eventName: 'StopDBInstance' }),
    },
  ],
};
