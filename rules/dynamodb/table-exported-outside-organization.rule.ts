import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, actorArn, isSuccess, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { exportDestination, exportedTableArn, exportTarget } from '../core/dynamodb-export.ts';
import type { RuleContext, RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { denied } from '../fixtures/overrides.ts';

const ORGANIZATION = { organization: { id: 'o-exampleorgid', accounts: ['111122223333', '444455556666'] } };

/** Outside the organisation, or unknown because CloudTrail recorded neither request nor answer (fail safe). */
const isOutside = (e: CloudTrailRecord, ctx: RuleContext): boolean => {
  const kind = exportDestination(e, ctx.config.organization).kind;
  return kind === 'outside' || kind === 'unknown';
};

const ownerOf = (e: CloudTrailRecord, ctx: RuleContext): string => {
  const d = exportDestination(e, ctx.config.organization);
  return d.kind === 'unknown' ? 'not recorded' : d.owner;
};

export const rule = defineRule({
  id: 'dynamodb.table-exported-outside-organization',
  title: 'DynamoDB table exported to a bucket of an account outside the organisation',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.5.23', 'A.8.3'],
  mitre: ['T1537'],
  on: { source: 'dynamodb', eventNames: ['ExportTableToPointInTime'] },
  // Any caller, approved or not: no deploy sends a table's contents to a stranger's bucket.
  match: (e, ctx) => isSuccess(e) && isOutside(e, ctx),
  explain: (e, ctx) => [
    `${actorArn(e)} exported ${exportedTableArn(e) ?? 'a table'} (${stringParam(e.requestParameters, 'exportType') ?? 'FULL_EXPORT'}) to ${exportTarget(e)}, owned by account ${ownerOf(e, ctx)}, which is not in organization.accounts`,
  ],
  resources: (e) => {
    const arn = exportedTableArn(e);
    return arn === undefined ? [] : [arn];
  },
  dedup: {
    key: (e) =>
      `${accountOf(e)}|${exportedTableArn(e) ?? ''}|${stringParam(e.requestParameters, 's3BucketOwner') ?? ''}`,
    windowSeconds: 3600,
  },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A point-in-time export of a DynamoDB table (ExportTableToPointInTime) was sent to an S3 bucket owned by an ' +
    "account that is neither the table's own nor in organization.accounts: the whole table, copied out in one call.",
  runbook: [
    'Identify the destination account and bucket in the finding; an unknown account means the data has left.',
    'An export cannot be recalled once it completes: treat the table contents as disclosed (notify data owners, assess personal data).',
    "Revoke the caller's sessions, review its other calls, and deny dynamodb:ExportTableToPointInTime by SCP except for the approved analytics role.",
  ],
  rationale:
    'Exports to another account need the s3BucketOwner parameter, so the record says where the data went; the ' +
    'organisation logic is the one the S3 and KMS rules use (organization.accounts). Exfiltration of a whole ' +
    'table (T1537, Sigma aws_dynamodb_table_exported_to_s3) in one call: high, critical on high-criticality ' +
    'accounts. Exports inside the account or organisation are dynamodb.table-exported-outside-process (medium, ' +
    'outside the approved process only). A record with neither request nor answer fails safe: the destination is ' +
    'unknown, so it is treated as outside.',
  falsePositives: [
    'A data-sharing agreement with a partner account: add the account to organization.accounts only if it is yours; otherwise suppress the rule for that table with a dated reason.',
  ],
  cases: () => [
    {
      name: 'exported to a bucket of an outside account',
      expect: 'match',
      event: fixture('dynamodb/ExportTableToPointInTime'),
      config: ORGANIZATION,
    },
    {
      name: 'no organisation configured: another account is outside',
      expect: 'match',
      event: fixture('dynamodb/ExportTableToPointInTime'),
    },
    {
      name: 'exported to a bucket of a member account',
      expect: 'no-match',
      event: fixture('dynamodb/ExportTableToPointInTime', {
        requestParameters: { s3BucketOwner: '444455556666' },
        responseElements: { exportDescription: { s3BucketOwner: '444455556666' } },
      }),
      config: ORGANIZATION,
    },
    {
      name: 'exported to a bucket in the same account (no owner given)',
      expect: 'no-match',
      event: fixture('dynamodb/ExportTableToPointInTime', {
        requestParameters: { s3BucketOwner: undefined },
        responseElements: { exportDescription: { s3BucketOwner: undefined } },
      }),
    },
    {
      name: 'request left out as too large and no answer recorded (destination unknown: fail safe)',
      expect: 'match',
      event: fixture('dynamodb/ExportTableToPointInTime', {
        requestParameters: {
          tableArn: undefined,
          s3Bucket: undefined,
          s3BucketOwner: undefined,
          exportFormat: undefined,
          exportType: undefined,
          reason: 'requestParameters too large',
          omitted: true,
        },
        responseElements: null,
      }),
      config: ORGANIZATION,
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture(
        'dynamodb/ExportTableToPointInTime',
        denied('AccessDeniedException', 'dynamodb:ExportTableToPointInTime'),
      ),
    },
  ],
};
