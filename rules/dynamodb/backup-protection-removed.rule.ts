import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { deletionReasons, flagParam, isUnapprovedDeletion } from '../core/destruction.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';
import { SELF_PROTECTION } from '../fixtures/self-protection.ts';

/** The table: `tableName` (a name or an ARN), or the table a backup ARN belongs to. */
const tableArn = (e: CloudTrailRecord): string => {
  const name = stringParam(e.requestParameters, 'tableName');
  if (name !== undefined) return name.startsWith('arn:') ? name : resourceArn(e, 'dynamodb', `table/${name}`);
  const backup = stringParam(e.requestParameters, 'backupArn');
  return backup?.replace(/\/backup\/.*$/, '') ?? resourceArn(e, 'dynamodb', 'table/unknown-table');
};
const candidates = (e: CloudTrailRecord): string[] => [
  stringParam(e.requestParameters, 'tableName') ?? '',
  tableArn(e),
  tableArn(e).split('/')[1] ?? '',
];

/** What the call removed: PITR, deletion protection, or an on-demand backup. */
const removed = (e: CloudTrailRecord): string[] => {
  const req = e.requestParameters;
  if (e.eventName === 'DeleteBackup')
    return [`on-demand backup deleted: ${stringParam(req, 'backupArn') ?? 'unknown'}`];
  return [
    ...(flagParam(req, 'pointInTimeRecoverySpecification', 'pointInTimeRecoveryEnabled') === false
      ? ['point-in-time recovery disabled: the 35-day restore window is gone']
      : []),
    ...(flagParam(req, 'deletionProtectionEnabled') === false ? ['deletion protection removed'] : []),
  ];
};

export const rule = defineRule({
  id: 'dynamodb.backup-protection-removed',
  title: 'DynamoDB point-in-time recovery, deletion protection or a backup removed',
  severity: 'high',
  escalation: { high: 'critical', low: 'medium' },
  controls: ['A.8.13'],
  mitre: ['T1490'],
  on: { source: 'dynamodb', eventNames: ['UpdateContinuousBackups', 'UpdateTable', 'DeleteBackup'] },
  match: (e, ctx) => removed(e).length > 0 && isUnapprovedDeletion(e, ctx.config, candidates(e)),
  explain: (e, ctx) => [...removed(e), ...deletionReasons(e, ctx.config)],
  resources: (e) => [tableArn(e)],
  dedup: { key: (e) => `${accountOf(e)}|${tableArn(e)}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'Outside the approved process, a DynamoDB table had point-in-time recovery disabled (UpdateContinuousBackups) ' +
    'or deletion protection removed (UpdateTable), or an on-demand backup was deleted (DeleteBackup).',
  runbook: [
    'Turn them back on: `aws dynamodb update-continuous-backups --table-name <table> --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true` and `aws dynamodb update-table --table-name <table> --deletion-protection-enabled`.',
    'Take an on-demand backup now (`aws dynamodb create-backup --table-name <table> --backup-name <name>`): re-enabling PITR starts a new window, the old one is lost.',
    'Find the change record. If there is none, treat it as an incident: revoke the actor’s sessions and watch for DeleteTable and other backup deletions.',
  ],
  rationale:
    'Disabling PITR drops the 35-day restore window, removing deletion protection is the step before DeleteTable, and deleting backups removes the copies: all inhibit recovery (T1490, A.8.13). One call is enough: high, critical on high-criticality tables, medium on low ones. Only calls outside the approved process match. Trailwarden’s own state table is dynamodb.trailwarden-table-tampered’s, never both.',
  falsePositives: ['Tables being decommissioned by hand after a ticket.'],
  cases: () => [
    {
      name: 'alice disables point-in-time recovery',
      expect: 'match',
      event: fixture('dynamodb/UpdateContinuousBackups'),
    },
    {
      name: 'bob removes deletion protection',
      expect: 'match',
      event: fixture('dynamodb/UpdateTable-deletion-protection-off'),
    },
    { name: 'alice deletes an on-demand backup', expect: 'match', event: fixture('dynamodb/DeleteBackup') },
    {
      name: 'enabling point-in-time recovery',
      expect: 'no-match',
      event: fixture('dynamodb/UpdateContinuousBackups', {
        requestParameters: { pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true } },
      }),
    },
    {
      name: 'capacity change is not a protection change',
      expect: 'no-match',
      event: fixture('dynamodb/UpdateTable-deletion-protection-off', {
        requestParameters: { deletionProtectionEnabled: undefined, billingMode: 'PROVISIONED' },
      }),
    },
    {
      name: 'denied',
      expect: 'no-match',
      event: fixture(
        'dynamodb/UpdateContinuousBackups',
        denied('AccessDeniedException', 'dynamodb:UpdateContinuousBackups'),
      ),
    },
    {
      name: 'approved deploy role through CloudFormation',
      expect: 'no-match',
      event: fixture('dynamodb/UpdateTable-deletion-protection-off', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
    {
      name: "Trailwarden's own table is the tamper rule's",
      expect: 'no-match',
      event: fixture('dynamodb/UpdateContinuousBackups-trailwarden'),
      config: SELF_PROTECTION,
    },
  ],
};
