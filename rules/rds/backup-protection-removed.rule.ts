import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { deletionReasons, flagParam, numberParam } from '../core/destruction.ts';
import { databaseDedupKey, isUnapprovedDatabaseCall, rdsTargetArns } from '../core/rds.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

/** What the modification switched off: automated backups (retention 0) and/or deletion protection. */
const removed = (e: CloudTrailRecord): string[] => [
  ...(numberParam(e.requestParameters, 'backupRetentionPeriod') === 0
    ? ['automated backups switched off (backupRetentionPeriod: 0): existing automated backups are deleted']
    : []),
  ...(flagParam(e.requestParameters, 'deletionProtection') === false ? ['deletion protection removed'] : []),
];

export const rule = defineRule({
  id: 'rds.backup-protection-removed',
  title: 'RDS or Aurora automated backups switched off or deletion protection removed',
  severity: 'high',
  escalation: { high: 'critical', low: 'medium' },
  controls: ['A.8.13'],
  mitre: ['T1490'],
  on: { source: 'rds', eventNames: ['ModifyDBInstance', 'ModifyDBCluster'] },
  match: (e, ctx) => removed(e).length > 0 && isUnapprovedDatabaseCall(e, ctx.config),
  explain: (e, ctx) => [...removed(e), ...deletionReasons(e, ctx.config)],
  resources: rdsTargetArns,
  dedup: { key: databaseDedupKey },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A database was modified outside the approved process to stop automated backups (retention set to 0, which ' +
    'also deletes the existing ones) or to drop deletion protection: the two safeguards removed before a database ' +
    'is destroyed.',
  runbook: [
    'Turn them back on: `aws rds modify-db-instance --db-instance-identifier <id> --backup-retention-period 7 --deletion-protection --apply-immediately` (or `modify-db-cluster`).',
    'Take a manual snapshot now (`aws rds create-db-snapshot`): automated backups deleted by a retention of 0 are gone, and point-in-time recovery restarts from the new first backup.',
    'Find the change record. If there is none, treat it as an incident: revoke the actor’s sessions and watch for DeleteDBInstance / DeleteDBCluster and snapshot deletions.',
  ],
  rationale:
    'Setting backup retention to 0 disables automated backups and deletes the existing ones, and removing deletion protection is the step before a deletion: both inhibit recovery (T1490, A.8.13). One call is enough (no threshold): high, critical on high-criticality databases, medium on low ones. Only calls outside the approved process match. Other modifications (instance class, parameters, retention above 0) do not.',
  falsePositives: [
    'Temporarily disabling backups for a bulk load (restore them afterwards; confirm the ticket).',
    'Removing deletion protection by hand before a planned decommission.',
  ],
  cases: () => [
    {
      name: 'Panther negative: a storage change; the response shows retention 0 and no deletion protection, unchanged',
      expect: 'no-match',
      event: fixture('rds/ModifyDBInstance-panther-storage'),
    },
    {
      name: 'alice sets backup retention to 0',
      expect: 'match',
      event: fixture('rds/ModifyDBInstance-backup-retention-0'),
    },
    {
      name: 'bob removes deletion protection from the Aurora cluster',
      expect: 'match',
      event: fixture('rds/ModifyDBCluster-deletion-protection-off'),
    },
    {
      name: 'retention logged as a string',
      expect: 'match',
      event: fixture('rds/ModifyDBInstance-backup-retention-0', { requestParameters: { backupRetentionPeriod: '0' } }),
    },
    {
      name: 'retention shortened but still on',
      expect: 'no-match',
      event: fixture('rds/ModifyDBInstance-backup-retention-0', { requestParameters: { backupRetentionPeriod: 1 } }),
    },
    {
      name: 'deletion protection turned on',
      expect: 'no-match',
      event: fixture('rds/ModifyDBCluster-deletion-protection-off', {
        requestParameters: { deletionProtection: true },
      }),
    },
    {
      name: 'denied',
      expect: 'no-match',
      event: fixture('rds/ModifyDBInstance-backup-retention-0', denied('AccessDenied', 'rds:ModifyDBInstance')),
    },
    {
      name: 'approved deploy role through CloudFormation',
      expect: 'no-match',
      event: fixture('rds/ModifyDBCluster-deletion-protection-off', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
  ],
};
