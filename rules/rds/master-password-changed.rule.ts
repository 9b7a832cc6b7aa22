import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { param } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { flagParam } from '../core/destruction.ts';
import { databaseDedupKey, rdsTargetArns, rdsTargetName } from '../core/rds.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

/**
 * CloudTrail replaces the new password with `HIDDEN_DUE_TO_SECURITY_REASONS` in the request and RDS answers with
 * `pendingModifiedValues.masterUserPassword: "****"`: the presence of either is the change, never its value.
 */
const setsPassword = (e: CloudTrailRecord): boolean =>
  param(e.requestParameters, 'masterUserPassword') !== undefined ||
  param(e.responseElements, 'pendingModifiedValues', 'masterUserPassword') !== undefined;

/** Turning Secrets Manager management off hands the password back to whoever sets it next. */
const unmanages = (e: CloudTrailRecord): boolean =>
  flagParam(e.requestParameters, 'manageMasterUserPassword') === false;

export const rule = defineRule({
  id: 'rds.master-password-changed',
  title: 'RDS master password reset outside the approved process',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.2', 'A.8.5'],
  mitre: ['T1098', 'T1078.004'],
  on: { source: 'rds', eventNames: ['ModifyDBInstance', 'ModifyDBCluster'] },
  match: (e, ctx) => isUnapprovedChange(e, ctx.config.approved) && (setsPassword(e) || unmanages(e)),
  explain: (e, ctx) => [
    setsPassword(e)
      ? `master user password of ${rdsTargetName(e)} reset (the value is hidden by CloudTrail)`
      : `master user password of ${rdsTargetName(e)} taken out of Secrets Manager management`,
    ...unapprovedReasons(e, ctx.config.approved),
  ],
  resources: rdsTargetArns,
  dedup: { key: databaseDedupKey },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'The master (administrator) password of an RDS instance or Aurora/Multi-AZ cluster was reset with ' +
    'ModifyDBInstance / ModifyDBCluster, or its management by Secrets Manager switched off, outside the approved ' +
    'process. Anyone who can call the API becomes the database’s administrator without knowing the old password.',
  runbook: [
    'Confirm with the database owner; if nobody reset it, rotate the password again at once (`aws rds modify-db-instance --db-instance-identifier <id> --manage-master-user-password --apply-immediately`, or `modify-db-cluster`).',
    'Look for sessions as the master user since the reset (database logs: `aws rds describe-db-log-files`, Performance Insights, or the engine’s audit log), and for snapshot restores or copies by the same actor (the Pacu pattern: restore a snapshot, reset its password, read it).',
    'Restrict rds:ModifyDBInstance / rds:ModifyDBCluster on production databases to the deploy role.',
  ],
  rationale:
    'Resetting the master password is the documented way back into a database whose password is lost, which is why ' +
    'attackers use it (Pacu rds__explore_snapshots restores a snapshot and resets its password to read the data). ' +
    'CloudTrail hides the value (`HIDDEN_DUE_TO_SECURITY_REASONS`), so the request field or the response’s pending ' +
    'value is the signal; turning off manageMasterUserPassword is included because it takes the password out of ' +
    'Secrets Manager’s rotation. Outside the approved process only; medium, high on high-criticality assets. A ' +
    'record without parameters is treated as a reset.',
  falsePositives: ['A DBA resetting a lost password by hand: record it and suppress per database with a dated reason.'],
  cases: () => [
    {
      name: 'instance master password reset',
      expect: 'match',
      event: fixture('rds/ModifyDBInstance-master-password'),
    },
    {
      name: 'Aurora cluster master password reset',
      expect: 'match',
      event: fixture('rds/ModifyDBCluster-master-password'),
    },
    {
      name: 'Secrets Manager management switched off',
      expect: 'match',
      event: fixture('rds/ModifyDBInstance-master-password', {
        requestParameters: { masterUserPassword: undefined, manageMasterUserPassword: false },
        responseElements: { pendingModifiedValues: { masterUserPassword: undefined } },
      }),
    },
    {
      name: 'instance class changed, password untouched',
      expect: 'no-match',
      event: fixture('rds/ModifyDBInstance-master-password', {
        requestParameters: { masterUserPassword: undefined, dBInstanceClass: 'db.r6g.large' },
        responseElements: { pendingModifiedValues: { masterUserPassword: undefined, dBInstanceClass: 'db.r6g.large' } },
      }),
    },
    {
      name: 'the managed secret rotated (RDS holds the password)',
      expect: 'no-match',
      event: fixture('rds/ModifyDBInstance-master-password', {
        requestParameters: { masterUserPassword: undefined, rotateMasterUserPassword: true },
        responseElements: { pendingModifiedValues: { masterUserPassword: undefined } },
      }),
    },
    {
      name: 'reset refused',
      expect: 'no-match',
      event: fixture(
        'rds/ModifyDBInstance-master-password',
        denied('AccessDenied', 'rds:ModifyDBInstance', 'arn:aws:rds:eu-west-1:111122223333:db:orders-db'),
      ),
    },
    {
      name: 'the approved deploy role rotates it',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('rds/ModifyDBInstance-master-password', BY_APPROVED_DEPLOY),
    },
  ],
};
