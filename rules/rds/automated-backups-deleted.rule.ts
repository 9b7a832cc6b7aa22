import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { byAccountAndActor, deletionReasons, isUnapprovedDeletion } from '../core/destruction.ts';
import { rdsTargetArns } from '../core/rds.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, byAwsService, denied } from '../fixtures/overrides.ts';

/** Which retained backups went: the resource id or ARN sent, and the database they belonged to when RDS says. */
const whatWent = (e: CloudTrailRecord): string => {
  const req = e.requestParameters;
  const named =
    stringParam(req, 'dbiResourceId') ??
    stringParam(req, 'dbClusterResourceId') ??
    stringParam(req, 'dBInstanceAutomatedBackupsArn') ??
    stringParam(req, 'dBClusterAutomatedBackupsArn') ??
    'not recorded';
  const database =
    stringParam(e.responseElements, 'dBInstanceIdentifier') ?? stringParam(e.responseElements, 'dBClusterIdentifier');
  return `retained automated backups ${named}${database === undefined ? '' : ` of ${database}`} deleted: no point-in-time restore of that database is left`;
};

export const rule = defineRule({
  id: 'rds.automated-backups-deleted',
  title: 'RDS retained automated backups deleted by hand',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.13', 'A.8.10'],
  mitre: ['T1490', 'T1485'],
  on: { source: 'rds', eventNames: ['DeleteDBInstanceAutomatedBackup', 'DeleteDBClusterAutomatedBackup'] },
  match: (e, ctx) => isUnapprovedDeletion(e, ctx.config, rdsTargetArns(e)),
  explain: (e, ctx) => [whatWent(e), ...deletionReasons(e, ctx.config)],
  resources: rdsTargetArns,
  // A sweep deletes them one call each: they fold into one finding per identity for the hour.
  dedup: { key: byAccountAndActor },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'Someone other than the approved automation deleted the retained automated backups of an RDS instance or ' +
    'Aurora cluster (DeleteDBInstanceAutomatedBackup, DeleteDBClusterAutomatedBackup): the daily snapshots and ' +
    'transaction logs RDS keeps after a database is deleted, the last way to restore it.',
  runbook: [
    'Stop it: revoke the identity’s sessions now; check whether the database itself was deleted just before (rds.database-deleted) and by whom.',
    'List what is left: `aws rds describe-db-instance-automated-backups`, `aws rds describe-db-cluster-automated-backups`, manual snapshots and AWS Backup recovery points; copy the newest to another account.',
    'Look for the rest of the pattern by the same actor: retention set to 0, deletion protection removed, snapshots shared or deleted.',
  ],
  rationale:
    'Retained automated backups expire on their own at the end of the retention period (RDS does that as AWS); a ' +
    'person deleting them early removes the way back (T1490), a classic step before or after destroying a ' +
    'database (Panther AWS.RDS.AutomatedBackupDeleted). Every deletion outside the approved process matches, with ' +
    'no threshold, and further deletions by the same identity fold into one finding for an hour; ' +
    'rds.snapshots-deleted-burst still counts them with snapshots. High, critical on high-criticality accounts.',
  falsePositives: ['Cleaning up the backups of a decommissioned database by hand before their retention ends.'],
  cases: () => [
    {
      name: 'alice deletes the retained backups of a deleted instance',
      expect: 'match',
      event: fixture('rds/DeleteDBInstanceAutomatedBackup'),
    },
    {
      name: 'Panther test event: an Aurora cluster’s retained backups deleted',
      expect: 'match',
      event: fixture('rds/DeleteDBClusterAutomatedBackup-panther'),
    },
    {
      name: 'approved deploy role removing them through CloudFormation',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('rds/DeleteDBInstanceAutomatedBackup', BY_APPROVED_DEPLOY),
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture(
        'rds/DeleteDBInstanceAutomatedBackup',
        denied('AccessDenied', 'rds:DeleteDBInstanceAutomatedBackup'),
      ),
    },
    {
      name: 'RDS expiring them at the end of retention',
      expect: 'no-match',
      event: fixture('rds/DeleteDBInstanceAutomatedBackup', byAwsService('rds')),
    },
  ],
};
