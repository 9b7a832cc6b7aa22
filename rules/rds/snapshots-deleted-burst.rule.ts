import { defineRule } from '../core/define-rule.ts';
import { byAccountAndActor, deletionBurst, isCountedDeletion } from '../core/destruction.ts';
import { rdsTargetArns } from '../core/rds.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { byAwsService, denied } from '../fixtures/overrides.ts';

export const rule = defineRule({
  id: 'rds.snapshots-deleted-burst',
  title: 'Burst of RDS snapshot or automated backup deletions by one identity',
  severity: 'high',
  escalation: { high: 'critical', low: 'medium' },
  controls: ['A.8.13', 'A.8.10'],
  mitre: ['T1490', 'T1485'],
  on: {
    source: 'rds',
    eventNames: [
      'DeleteDBSnapshot',
      'DeleteDBClusterSnapshot',
      'DeleteDBInstanceAutomatedBackup',
      'DeleteDBClusterAutomatedBackup',
    ],
  },
  match: (e) => isCountedDeletion(e),
  threshold: deletionBurst(),
  dedup: { key: byAccountAndActor },
  resources: rdsTargetArns,
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'One identity deleted several RDS or Aurora snapshots or retained automated backups within minutes: the ' +
    'recovery points of the databases, removed the way ransomware removes them before it strikes.',
  runbook: [
    'Stop the sweep: revoke the identity’s sessions (or deactivate its access key) now.',
    'List what survives for each database: `aws rds describe-db-snapshots --db-instance-identifier <id>`, `describe-db-cluster-snapshots`, and AWS Backup recovery points; copy the newest to a vault in another account.',
    'Check the databases themselves next: backup retention set to 0 and deletion protection removed are the next steps of the same attack (rds.backup-protection-removed).',
  ],
  rationale:
    'Deleting one old snapshot is housekeeping; several within minutes is removal of recovery points (T1490), the step before destroying or ransoming the databases. Counted per account and acting identity: 3 in 10 minutes on high-criticality assets, 5 in 10 minutes on medium, 10 in 15 minutes on low. ' +
    'RDS expiring automated snapshots at the end of the retention period does so as AWS and is excluded. High, critical on high-criticality assets; one finding per burst.',
  falsePositives: ['Scripts pruning manual snapshots past their retention (move them to AWS Backup lifecycle rules).'],
  cases: () => [
    { name: 'alice deletes a manual snapshot', expect: 'match', event: fixture('rds/DeleteDBSnapshot') },
    {
      name: 'alice deletes an Aurora cluster snapshot',
      expect: 'match',
      event: fixture('rds/DeleteDBClusterSnapshot'),
    },
    {
      name: 'alice deletes the retained automated backups of a deleted instance',
      expect: 'match',
      event: fixture('rds/DeleteDBInstanceAutomatedBackup'),
    },
    {
      name: 'denied',
      expect: 'no-match',
      event: fixture('rds/DeleteDBSnapshot', denied('AccessDenied', 'rds:DeleteDBSnapshot')),
    },
    {
      name: 'RDS expiring its own automated snapshot',
      expect: 'no-match',
      event: fixture('rds/DeleteDBSnapshot', byAwsService('rds')),
    },
    {
      name: 'taking a snapshot is the safe direction',
      expect: 'no-match',
      event: fixture('rds/DeleteDBSnapshot', { eventName: 'CreateDBSnapshot' }),
    },
  ],
};
