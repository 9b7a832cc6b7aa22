import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, actorArn, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { exportDestination, exportedTableArn, exportTarget } from '../core/dynamodb-export.ts';
import type { RuleContext, RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

const ORGANIZATION = { id: 'o-exampleorgid', accounts: ['111122223333', '444455556666'] };

/** A bucket of the table's own account or a member account: outside ones are the sibling rule's. */
const isInside = (e: CloudTrailRecord, ctx: RuleContext): boolean => {
  const kind = exportDestination(e, ctx.config.organization).kind;
  return kind === 'own' || kind === 'organization';
};

const toMember = (owner: string | undefined) => ({
  requestParameters: { s3BucketOwner: owner },
  responseElements: { exportDescription: { s3BucketOwner: owner } },
});

export const rule = defineRule({
  id: 'dynamodb.table-exported-outside-process',
  title: 'DynamoDB table exported inside the organisation outside the approved process',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.3', 'A.5.23'],
  mitre: ['T1530'],
  on: { source: 'dynamodb', eventNames: ['ExportTableToPointInTime'] },
  match: (e, ctx) => isInside(e, ctx) && isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => {
    const d = exportDestination(e, ctx.config.organization);
    return [
      `${actorArn(e)} exported ${exportedTableArn(e) ?? 'a table'} (${stringParam(e.requestParameters, 'exportType') ?? 'FULL_EXPORT'}) to ${exportTarget(e)}${d.kind === 'organization' ? `, in member account ${d.owner}` : ', in the same account'}`,
      ...unapprovedReasons(e, ctx.config.approved),
    ];
  },
  resources: (e) => {
    const arn = exportedTableArn(e);
    return arn === undefined ? [] : [arn];
  },
  dedup: { key: (e) => `${accountOf(e)}|${exportedTableArn(e) ?? actorArn(e)}`, windowSeconds: 3600 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A point-in-time export of a DynamoDB table (ExportTableToPointInTime, full or incremental) went to a bucket of ' +
    'the table’s own account or of a member account, by someone outside the approved process: the whole table ' +
    'copied into S3, where bucket policies, replication and presigned URLs decide who reads it next.',
  runbook: [
    'Find the export and its files: `aws dynamodb describe-export --export-arn <arn>` (bucket, prefix, item count).',
    'Check who can read the destination: its bucket policy, ACLs, replication and public access block ' +
      '(`aws s3api get-bucket-policy --bucket <bucket>`); a staging bucket is the usual next hop out.',
    'If nobody asked for it, delete the exported objects, revoke the caller’s sessions and review its other calls ' +
      '(S3 GetObject data events on the prefix show whether the files were read).',
  ],
  rationale:
    'dynamodb.table-exported-outside-organization pages (high) for any caller when the bucket belongs to a stranger. ' +
    'An export inside the organisation is often analytics, so it is a separate rule rather than a branch of that ' +
    'one: it needs the approved process (pipelines that export on a schedule are approved, a person exporting by ' +
    'hand is the finding) and a lower severity, and a rule has one severity and one verdict. It is the staging ' +
    'step of collection (T1530 data from cloud storage, staged where it can be read or moved on): medium, high on ' +
    'high-criticality accounts, one finding per table an hour. A record whose destination is unknown is judged by ' +
    'the outside rule (fail safe there), so the two never both fire.',
  falsePositives: [
    'Data engineers exporting a table by hand for a one-off analysis: route it through the approved pipeline role.',
    'AWS Glue or Athena jobs that call the export with a role not yet listed as approved automation.',
  ],
  cases: () => [
    {
      name: 'exported by hand to a bucket of a member account',
      expect: 'match',
      config: { organization: ORGANIZATION, approved: APPROVED_DEPLOYS },
      event: fixture('dynamodb/ExportTableToPointInTime', toMember('444455556666')),
    },
    {
      name: 'exported by hand to a bucket of the same account (no owner named)',
      expect: 'match',
      config: { organization: ORGANIZATION, approved: APPROVED_DEPLOYS },
      event: fixture('dynamodb/ExportTableToPointInTime', toMember(undefined)),
    },
    {
      name: 'exported to an outside account (the sibling rule’s)',
      expect: 'no-match',
      config: { organization: ORGANIZATION, approved: APPROVED_DEPLOYS },
      event: fixture('dynamodb/ExportTableToPointInTime'),
    },
    {
      name: 'refused',
      expect: 'no-match',
      config: { organization: ORGANIZATION, approved: APPROVED_DEPLOYS },
      event: fixture('dynamodb/ExportTableToPointInTime', {
        ...toMember('444455556666'),
        ...denied('AccessDeniedException', 'dynamodb:ExportTableToPointInTime'),
      }),
    },
    {
      name: 'the approved analytics pipeline',
      expect: 'no-match',
      config: { organization: ORGANIZATION, approved: APPROVED_DEPLOYS },
      event: fixture('dynamodb/ExportTableToPointInTime', { ...toMember('444455556666'), ...BY_APPROVED_DEPLOY }),
    },
  ],
};
