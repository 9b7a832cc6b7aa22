import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { describeOutsideKeys, encryptsWithOutsideKey, outsideKeysOf } from '../core/kms-key.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { denied } from '../fixtures/overrides.ts';

const ORGANIZATION = { organization: { id: 'o-exampleorgid', accounts: ['111122223333', '444455556666'] } };

/** The table changed or created: `tableName`, or the restore's `targetTableName`. */
const tableArn = (e: CloudTrailRecord): string => {
  const name =
    stringParam(e.requestParameters, 'tableName') ??
    stringParam(e.requestParameters, 'targetTableName') ??
    'unknown-table';
  return name.startsWith('arn:') ? name : resourceArn(e, 'dynamodb', `table/${name}`);
};

export const rule = defineRule({
  id: 'dynamodb.encrypted-with-outside-key',
  title: 'DynamoDB table encrypted under a KMS key outside the organisation',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.10', 'A.5.23'],
  mitre: ['T1486'],
  on: {
    source: 'dynamodb',
    eventNames: ['UpdateTable', 'CreateTable', 'RestoreTableFromBackup', 'RestoreTableToPointInTime'],
  },
  match: (e, ctx) => encryptsWithOutsideKey(e, ctx.config.organization),
  explain: (e, ctx) => describeOutsideKeys(outsideKeysOf(e, ctx.config.organization)),
  resources: (e) => [tableArn(e)],
  dedup: { key: (e) => `${accountOf(e)}|${tableArn(e)}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A DynamoDB table was switched to, created or restored under a KMS key in an account outside the ' +
    'organisation (`sSESpecification.kMSMasterKeyId`): the key owner can make every item unreadable.',
  runbook: [
    'Switch the table back to a key you own while the outside key still works: `aws dynamodb update-table --table-name <table> --sse-specification Enabled=true,SSEType=KMS,KMSMasterKeyId=<your-key-arn>`.',
    'Take an on-demand backup once it is back under your key, and check PITR is on (`aws dynamodb describe-continuous-backups --table-name <table>`).',
    'Revoke the identity’s sessions and review its other calls.',
  ],
  rationale:
    'DynamoDB re-encrypts a table in place when its key changes, so one UpdateTable hands control of the data to whoever owns the new key (T1486). No legitimate deploy needs a key outside the organisation, so one call is enough, even from approved automation. High, critical on high-criticality tables.',
  falsePositives: ['Organisation accounts missing from `organization.accounts` (add them).'],
  cases: () => [
    {
      name: 'table switched to a foreign key',
      expect: 'match',
      event: fixture('dynamodb/UpdateTable-outside-key'),
      config: ORGANIZATION,
    },
    {
      name: 'table switched to an own key by alias',
      expect: 'no-match',
      event: fixture('dynamodb/UpdateTable-outside-key', {
        requestParameters: { sSESpecification: { kMSMasterKeyId: 'alias/orders' } },
        responseElements: {
          tableDescription: {
            sSEDescription: {
              kMSMasterKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/7f3e9a2b-4c1d-4e8f-9a6b-2d5c8e1f0a3b',
            },
          },
        },
      }),
      config: ORGANIZATION,
    },
    {
      name: 'denied',
      expect: 'no-match',
      event: fixture('dynamodb/UpdateTable-outside-key', denied('AccessDeniedException', 'dynamodb:UpdateTable')),
      config: ORGANIZATION,
    },
  ],
};
