import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isSuccess, param, stringParam } from '../core/cloudtrail.ts';
import type { DetectionConfig } from '../core/config.ts';
import { defineRule } from '../core/define-rule.ts';
import { accountsOutsideOrganization, stringsOf } from '../core/resource-policy.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

const isCluster = (e: CloudTrailRecord): boolean => e.eventName === 'ModifyDBClusterSnapshotAttribute';

/** Only the `restore` attribute shares a manual snapshot; `valuesToAdd` holds account ids or `all`. */
const addedRestoreValues = (e: CloudTrailRecord): string[] =>
  stringParam(e.requestParameters, 'attributeName')?.toLowerCase() === 'restore'
    ? stringsOf(param(e.requestParameters, 'valuesToAdd')).map((v) => v.trim())
    : [];

const isMadePublic = (e: CloudTrailRecord): boolean => addedRestoreValues(e).some((v) => v.toLowerCase() === 'all');

const outsideAccounts = (e: CloudTrailRecord, config: DetectionConfig): string[] =>
  accountsOutsideOrganization(addedRestoreValues(e), accountOf(e), config.organization);

/** The identifier may be a name (own snapshot) or an ARN. */
const snapshotOf = (e: CloudTrailRecord): string =>
  stringParam(e.requestParameters, isCluster(e) ? 'dBClusterSnapshotIdentifier' : 'dBSnapshotIdentifier') ??
  'unknown-snapshot';

const snapshotArn = (e: CloudTrailRecord): string => {
  const id = snapshotOf(e);
  if (id.startsWith('arn:')) return id;
  return resourceArn(e, 'rds', `${isCluster(e) ? 'cluster-snapshot' : 'snapshot'}:${id}`);
};

const ORG = ['111122223333', '444455556666'];
const sharing = (values: string[]) => ({ requestParameters: { valuesToAdd: values } });

export const rule = defineRule({
  id: 'rds.snapshot-shared',
  title: 'RDS snapshot made public or shared outside the organisation',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.5.23'],
  mitre: ['T1537'],
  on: { source: 'rds', eventNames: ['ModifyDBSnapshotAttribute', 'ModifyDBClusterSnapshotAttribute'] },
  match: (e, ctx) => isSuccess(e) && (isMadePublic(e) || outsideAccounts(e, ctx.config).length > 0),
  explain: (e, ctx) => [
    ...(isMadePublic(e) ? ['made public: restore attribute includes "all"'] : []),
    ...(outsideAccounts(e, ctx.config).length > 0
      ? [`shared outside the organisation with ${outsideAccounts(e, ctx.config).join(', ')}`]
      : []),
  ],
  dedup: { key: snapshotArn },
  resources: (e) => [snapshotArn(e)],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'ModifyDBSnapshotAttribute or ModifyDBClusterSnapshotAttribute added "all" (anyone can copy or restore the ' +
    'database) or an account outside the organisation to the "restore" attribute of a manual DB or cluster ' +
    'snapshot. The values added are in requestParameters.valuesToAdd.',
  runbook: [
    'See who can restore the snapshot: `aws rds describe-db-snapshot-attributes --db-snapshot-identifier <id>` (cluster: `aws rds describe-db-cluster-snapshot-attributes --db-cluster-snapshot-identifier <id>`).',
    'Unless the share is documented, revoke it at once: `aws rds modify-db-snapshot-attribute --db-snapshot-identifier <id> --attribute-name restore --values-to-remove <account|all>` (cluster: `aws rds modify-db-cluster-snapshot-attribute --db-cluster-snapshot-identifier <id> --attribute-name restore --values-to-remove <account|all>`).',
    "Assume the grantee already copied it: check the snapshot's encryption (`aws rds describe-db-snapshots --db-snapshot-identifier <id>`). An unencrypted snapshot is fully exposed; an encrypted one also needs the KMS key, so check that key's policy for the same account.",
    'Find the source database and the data it holds; rotate the database master and application credentials, which the restored copy contains.',
    "Review the actor's calls around the share (CreateDBSnapshot, CopyDBSnapshot, other attribute changes): snapshot-then-share is a classic exfiltration path (T1537). Treat it as an incident if nobody owns the share.",
  ],
  rationale:
    'One successful share is enough, with no threshold: the grantee can copy the snapshot at once and keep it after ' +
    'the share is revoked. High by default, critical on high-criticality assets (a database copy is usually the ' +
    'most sensitive data an account holds). Only the "restore" attribute shares data; removals never match. ' +
    '"Outside the organisation" means an account that is neither the event\'s own account nor in ' +
    'organization.accounts; when that list is empty, every other account counts as outside, so configure it to ' +
    'keep shares with DR or analytics accounts in the organisation from matching.',
  falsePositives: [
    'Sharing with a vendor or a migration target outside the organisation on purpose: suppress for that snapshot with a dated reason.',
    'Shares with sister accounts while organization.accounts is empty or out of date.',
  ],
  cases: () => [
    {
      name: 'DB snapshot shared with an outside account',
      expect: 'match',
      config: { organization: { accounts: ORG } },
      event: fixture('rds/ModifyDBSnapshotAttribute'),
    },
    { name: 'cluster snapshot made public', expect: 'match', event: fixture('rds/ModifyDBClusterSnapshotAttribute') },
    {
      name: 'DB snapshot made public on a high-criticality asset',
      expect: 'match',
      criticality: 'high',
      event: fixture('rds/ModifyDBSnapshotAttribute', sharing(['all'])),
    },
    {
      name: 'one outside account among organisation members',
      expect: 'match',
      config: { organization: { accounts: ORG } },
      event: fixture('rds/ModifyDBSnapshotAttribute', sharing(['444455556666', '999988887777'])),
    },
    {
      name: 'shared with an organisation member (DR account)',
      expect: 'no-match',
      config: { organization: { accounts: ORG } },
      event: fixture('rds/ModifyDBSnapshotAttribute', sharing(['444455556666'])),
    },
    {
      name: 'shared with a sister account when no organisation accounts are configured',
      expect: 'match',
      event: fixture('rds/ModifyDBSnapshotAttribute', sharing(['444455556666'])),
    },
    {
      name: 'removing a share is benign',
      expect: 'no-match',
      event: fixture('rds/ModifyDBClusterSnapshotAttribute', {
        requestParameters: { valuesToAdd: undefined, valuesToRemove: ['all'] },
        responseElements: { dBClusterSnapshotAttributes: [{ attributeName: 'restore', attributeValues: [] }] },
      }),
    },
    {
      name: 'an attribute other than restore',
      expect: 'no-match',
      event: fixture('rds/ModifyDBSnapshotAttribute', {
        requestParameters: { attributeName: 'copy-tags', valuesToAdd: ['all'] },
      }),
    },
    {
      name: 'making an encrypted snapshot public is refused',
      expect: 'no-match',
      event: fixture('rds/ModifyDBSnapshotAttribute', {
        ...sharing(['all']),
        errorCode: 'InvalidParameterValue',
        errorMessage: 'The snapshot orders-db-manual-2026-11-01 is encrypted and cannot be shared publicly.',
        responseElements: null,
      }),
    },
    {
      name: 'share denied',
      expect: 'no-match',
      event: fixture('rds/ModifyDBSnapshotAttribute', {
        errorCode: 'AccessDenied',
        errorMessage:
          'User: arn:aws:iam::111122223333:user/alice is not authorized to perform: rds:ModifyDBSnapshotAttribute on resource: arn:aws:rds:eu-west-1:111122223333:snapshot:orders-db-manual-2026-11-01',
        responseElements: null,
      }),
    },
  ],
};
