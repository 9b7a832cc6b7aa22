import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, param, principalArn, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { explainSelfTampering, isSelfTampering } from '../core/self-protection.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_DEPLOY_ROLE, SELF_PROTECTION } from '../fixtures/self-protection.ts';

/** `tableName` is a name or, since DynamoDB accepts them, a table ARN. */
const table = (e: CloudTrailRecord): { name: string; arn: string } => {
  const raw = stringParam(e.requestParameters, 'tableName') ?? 'unknown-table';
  if (raw.startsWith('arn:')) return { name: raw.slice(raw.indexOf(':table/') + ':table/'.length), arn: raw };
  return { name: raw, arn: resourceArn(e, 'dynamodb', `table/${raw}`) };
};

const candidates = (e: CloudTrailRecord): string[] => {
  const { name, arn } = table(e);
  return [name, arn];
};

const effect = (e: CloudTrailRecord): string[] => {
  const req = e.requestParameters;
  const out: string[] = [];
  if (param(req, 'timeToLiveSpecification', 'enabled') === false) {
    out.push('TTL disabled: expired counters and dedup entries are no longer removed');
  }
  if (param(req, 'pointInTimeRecoverySpecification', 'pointInTimeRecoveryEnabled') === false) {
    out.push('point-in-time recovery disabled');
  }
  if (param(req, 'deletionProtectionEnabled') === false) {
    out.push('deletion protection disabled: the table can now be deleted');
  }
  return out;
};

export const rule = defineRule({
  id: 'dynamodb.trailwarden-table-tampered',
  title: "Trailwarden's state table deleted or its protections changed",
  severity: 'critical',
  controls: ['A.8.16', 'A.8.15'],
  mitre: ['T1562.001', 'T1485'],
  // Not RestoreTableToPointInTime: it creates a new table and leaves this one alone. Not PutItem/DeleteItem:
  // data events, which EventBridge never receives from the management-event trail.
  on: {
    source: 'dynamodb',
    eventNames: ['DeleteTable', 'UpdateTable', 'UpdateTimeToLive', 'UpdateContinuousBackups'],
  },
  match: (e, ctx) => isSelfTampering(e, candidates(e), ctx.config),
  explain: (e, ctx) => [...explainSelfTampering(e, candidates(e), ctx.config), ...effect(e)],
  resources: (e) => [table(e).arn],
  dedup: { key: (e) => `${accountOf(e)}|${principalArn(e)}|${table(e).arn}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    "Trailwarden's DynamoDB state table (threshold windows, dedup, behaviour history) was deleted, changed " +
    '(UpdateTable: deletion protection, encryption, streams, capacity), had its TTL switched or point-in-time ' +
    "recovery disabled, by someone other than Trailwarden's deploy role. Without the table every event fails " +
    'evaluation; with its protections off it can be wiped without a trace of what it held. Writes to its items ' +
    '(PutItem, DeleteItem) are CloudTrail data events, not delivered to Trailwarden, so only the table itself is ' +
    'watched.',
  runbook: [
    'Put the settings back: `npx cdk deploy Trailwarden` restores deletion protection, TTL and point-in-time recovery. Check with `aws dynamodb describe-table --table-name <table> --query Table.[TableStatus,DeletionProtectionEnabled]`, `aws dynamodb describe-time-to-live --table-name <table>` and `aws dynamodb describe-continuous-backups --table-name <table>`.',
    'If the table was deleted: DynamoDB keeps a system backup of a table with point-in-time recovery for 35 days (`aws dynamodb list-backups --backup-type SYSTEM --table-name <table>`). Restore it under the same name (`aws dynamodb restore-table-from-backup --target-table-name <table> --backup-arn <arn>`) so the function finds it again, then re-enable deletion protection, TTL and PITR (a restore does not carry them). Without a backup, recreate the table empty: windows, dedup and history start again.',
    'Meanwhile every evaluation failed: check the dead-letter queue and redrive it once the table is back (`aws sqs start-message-move-task --source-arn <dlq-arn>`).',
    'Treat the actor as compromised unless the change is explained: review their calls since the session began and rotate the credentials behind them.',
    'Restrict `dynamodb:DeleteTable`, `dynamodb:UpdateTable`, `dynamodb:UpdateTimeToLive` and `dynamodb:UpdateContinuousBackups` on `table/<StackName>-*` to the deploy role with an SCP or permissions boundary.',
  ],
  rationale:
    'Critical on a single call, without a threshold: the state table is what makes thresholds, dedup and ' +
    'behaviour rules work (DESIGN §3, A.8.16), and disabling deletion protection is the step before deleting it. ' +
    'Every change by a principal other than the configured deploy roles matches, since nothing else should ' +
    'touch it. RestoreTableToPointInTime is not watched: it writes a new table and leaves this one as it was. ' +
    "Item writes are data events and cannot be watched from the management-event trail; the evaluate role's " +
    'own grant (GetItem, PutItem, UpdateItem; no DeleteItem or Scan) limits that path instead. Matches only when ' +
    '`detection.selfProtection` is configured.',
  falsePositives: [
    'An operator raising capacity or toggling a setting by hand during an incident: make the change in the stack instead.',
  ],
  cases: () => [
    {
      name: 'alice turns off deletion protection',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('dynamodb/UpdateTable-trailwarden'),
    },
    {
      name: 'alice deletes the state table',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('dynamodb/DeleteTable-trailwarden'),
    },
    {
      name: 'bob disables TTL in the console',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('dynamodb/UpdateTimeToLive-trailwarden'),
    },
    {
      name: 'point-in-time recovery disabled',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('dynamodb/UpdateContinuousBackups-trailwarden'),
    },
    {
      name: 'the table named by its ARN',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('dynamodb/DeleteTable-trailwarden', {
        requestParameters: {
          tableName:
            'arn:aws:dynamodb:eu-west-1:111122223333:table/Trailwarden-PipelineStateTableE241A088-1A2B3C4D5E6F7',
        },
      }),
    },
    {
      name: 'CloudFormation sets TTL during cdk deploy',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('dynamodb/UpdateTimeToLive-trailwarden', BY_DEPLOY_ROLE),
    },
    {
      name: 'a table that is not Trailwarden',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('dynamodb/DeleteTable-trailwarden', {
        requestParameters: { tableName: 'orders' },
        resources: [
          {
            accountId: '111122223333',
            type: 'AWS::DynamoDB::Table',
            ARN: 'arn:aws:dynamodb:eu-west-1:111122223333:table/orders',
          },
        ],
      }),
    },
    {
      name: 'DeleteTable refused by deletion protection',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('dynamodb/DeleteTable-trailwarden', {
        errorCode: 'ValidationException',
        errorMessage:
          'Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.',
        responseElements: null,
      }),
    },
    {
      name: 'UpdateTable denied',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('dynamodb/UpdateTable-trailwarden', {
        errorCode: 'AccessDeniedException',
        errorMessage:
          'User: arn:aws:iam::111122223333:user/alice is not authorized to perform: dynamodb:UpdateTable on resource: arn:aws:dynamodb:eu-west-1:111122223333:table/Trailwarden-PipelineStateTableE241A088-1A2B3C4D5E6F7 with an explicit deny in a service control policy',
        responseElements: null,
      }),
    },
    {
      name: 'restoring the table to a new table leaves it alone',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('dynamodb/DeleteTable-trailwarden', {
        eventName: 'RestoreTableToPointInTime',
        requestParameters: {
          tableName: undefined,
          sourceTableName: 'Trailwarden-PipelineStateTableE241A088-1A2B3C4D5E6F7',
          targetTableName: 'Trailwarden-state-restored',
          useLatestRestorableTime: true,
        },
        responseElements: null,
      }),
    },
    {
      name: 'selfProtection not configured',
      expect: 'no-match',
      event: fixture('dynamodb/DeleteTable-trailwarden'),
    },
  ],
};
