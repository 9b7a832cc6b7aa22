import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { deletionReasons, isUnapprovedDeletion } from '../core/destruction.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';
import { SELF_PROTECTION } from '../fixtures/self-protection.ts';

/** `tableName` is a name or (since 2023) a table ARN. */
const tableArn = (e: CloudTrailRecord): string => {
  const name = stringParam(e.requestParameters, 'tableName') ?? 'unknown-table';
  return name.startsWith('arn:') ? name : resourceArn(e, 'dynamodb', `table/${name}`);
};
const candidates = (e: CloudTrailRecord): string[] => [
  stringParam(e.requestParameters, 'tableName') ?? 'unknown-table',
  tableArn(e),
];

export const rule = defineRule({
  id: 'dynamodb.table-deleted',
  title: 'DynamoDB table deleted outside the approved process',
  severity: 'high',
  escalation: { high: 'critical', low: 'medium' },
  controls: ['A.8.10'],
  mitre: ['T1485'],
  on: { source: 'dynamodb', eventNames: ['DeleteTable'] },
  match: (e, ctx) => isUnapprovedDeletion(e, ctx.config, candidates(e)),
  explain: (e, ctx) => deletionReasons(e, ctx.config),
  resources: (e) => [tableArn(e)],
  dedup: { key: (e) => `${accountOf(e)}|${tableArn(e)}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A DynamoDB table was deleted by someone other than the approved deploy automation. Its items are gone; only ' +
    'on-demand backups or AWS Backup recovery points taken before the deletion can bring them back.',
  runbook: [
    'Find what can be restored: `aws dynamodb list-backups --table-name <table>` and `aws backup list-recovery-points-by-resource --resource-arn <table-arn>`; with point-in-time recovery on, the deleted table can be restored for 35 days (`aws dynamodb restore-table-to-point-in-time --source-table-arn <table-arn> --target-table-name <table> --use-latest-restorable-time`).',
    'Find the change record. If there is none, treat it as an incident: revoke the actor’s sessions, rotate their credentials, and review their other calls (DeleteBackup, UpdateContinuousBackups, other DeleteTable calls).',
    'Prevent it: turn on deletion protection (`aws dynamodb update-table --table-name <table> --deletion-protection-enabled`) for production tables.',
  ],
  rationale:
    'Deleting a table destroys its data (T1485). One call is enough (no threshold): high, critical on high-criticality assets, medium on low ones. ' +
    "Only calls outside the approved process match: stacks delete their tables on teardown. Trailwarden's own state table is dynamodb.trailwarden-table-tampered (critical), never both.",
  falsePositives: [
    'Developers removing scratch tables by hand (set sandbox accounts to low criticality).',
    'Deploy automation not yet listed in `approved.automationRoles` / `approved.iacUserAgents`.',
  ],
  cases: () => [
    { name: 'alice deletes the customer-orders table', expect: 'match', event: fixture('dynamodb/DeleteTable') },
    {
      name: 'table named by ARN',
      expect: 'match',
      event: fixture('dynamodb/DeleteTable', {
        requestParameters: { tableName: 'arn:aws:dynamodb:eu-west-1:111122223333:table/customer-orders' },
      }),
    },
    {
      name: 'denied',
      expect: 'no-match',
      event: fixture('dynamodb/DeleteTable', denied('AccessDeniedException', 'dynamodb:DeleteTable')),
    },
    {
      name: 'deletion protection on: DynamoDB refuses',
      expect: 'no-match',
      event: fixture('dynamodb/DeleteTable', {
        errorCode: 'ValidationException',
        errorMessage:
          'Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.',
        responseElements: null,
      }),
    },
    {
      name: 'approved deploy role through CloudFormation',
      expect: 'no-match',
      event: fixture('dynamodb/DeleteTable', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
    {
      name: "Trailwarden's own table is the tamper rule's, not this one's",
      expect: 'no-match',
      event: fixture('dynamodb/DeleteTable-trailwarden'),
      config: SELF_PROTECTION,
    },
  ],
};
