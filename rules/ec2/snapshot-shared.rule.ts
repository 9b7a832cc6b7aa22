import { partitionOf, regionalArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isJsonObject, isSuccess, param, stringParam } from '../core/cloudtrail.ts';
import type { DetectionConfig } from '../core/config.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

/** `createVolumePermission.add.items[]`: `{ "group": "all" }` (public) or `{ "userId": "<account>" }`. */
const addedGrants = (e: CloudTrailRecord): { readonly group?: string; readonly userId?: string }[] => {
  const items = param(e.requestParameters, 'createVolumePermission', 'add', 'items');
  const list = Array.isArray(items) ? items : isJsonObject(items) ? [items] : [];
  return list.flatMap((item) =>
    isJsonObject(item)
      ? [
          {
            ...(typeof item.group === 'string' ? { group: item.group } : {}),
            ...(item.userId !== undefined && item.userId !== null ? { userId: String(item.userId) } : {}),
          },
        ]
      : [],
  );
};

/** Accounts granted that are neither the snapshot's own account nor organisation members. */
const outsideAccounts = (e: CloudTrailRecord, config: DetectionConfig): string[] => {
  const own = accountOf(e);
  const members = new Set(config.organization.accounts);
  return addedGrants(e).flatMap((g) =>
    g.userId !== undefined && g.userId !== own && !members.has(g.userId) ? [g.userId] : [],
  );
};

const isMadePublic = (e: CloudTrailRecord): boolean => addedGrants(e).some((g) => g.group?.toLowerCase() === 'all');

const snapshotOf = (e: CloudTrailRecord): string =>
  stringParam(e.requestParameters, 'snapshotId') ?? 'unknown-snapshot';

const ORG = ['111122223333', '444455556666'];
const shareWith = (...items: Record<string, string>[]) => ({
  requestParameters: { createVolumePermission: { add: { items } } },
});

export const rule = defineRule({
  id: 'ec2.snapshot-shared',
  title: 'EBS snapshot made public or shared outside the organisation',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.5.23'],
  mitre: ['T1537'],
  on: { source: 'ec2', eventNames: ['ModifySnapshotAttribute'] },
  match: (e, ctx) => isSuccess(e) && (isMadePublic(e) || outsideAccounts(e, ctx.config).length > 0),
  explain: (e, ctx) => [
    ...(isMadePublic(e) ? ['made public: createVolumePermission for group "all"'] : []),
    ...(outsideAccounts(e, ctx.config).length > 0
      ? [`shared outside the organisation with ${outsideAccounts(e, ctx.config).join(', ')}`]
      : []),
  ],
  dedup: { key: (e) => `${accountOf(e)}|${snapshotOf(e)}` },
  resources: (e) => [regionalArn(partitionOf(e.awsRegion), 'ec2', e.awsRegion, '', `snapshot/${snapshotOf(e)}`)],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'ModifySnapshotAttribute added createVolumePermission for the group "all" (anyone can create a volume from ' +
    'the snapshot and read the disk) or for an AWS account that is neither the snapshot owner nor a member of ' +
    'the organisation. The accounts added are in requestParameters.createVolumePermission.add.items.',
  runbook: [
    'See who can use the snapshot now: `aws ec2 describe-snapshot-attribute --snapshot-id <snap-id> --attribute createVolumePermission`.',
    'Unless the share is a documented one (vendor support, migration), revoke it at once: `aws ec2 modify-snapshot-attribute --snapshot-id <snap-id> --attribute createVolumePermission --operation-type remove --user-ids <account>` (public: `--group-names all`), or `aws ec2 reset-snapshot-attribute --snapshot-id <snap-id> --attribute createVolumePermission`.',
    'Find what the snapshot holds: `aws ec2 describe-snapshots --snapshot-ids <snap-id>` (VolumeId, Description, Encrypted, KmsKeyId) and the instance the volume belonged to. An unencrypted snapshot was readable by the grantee the moment the call returned; an encrypted one needs the KMS key too, so check its key policy for the same account.',
    'Turn on EBS snapshot Block Public Access in every region: `aws ec2 enable-snapshot-block-public-access --state block-all-sharing`.',
    'Review every call by the actor around the share (CreateSnapshot, CopySnapshot, other ModifySnapshotAttribute calls); sharing a fresh snapshot of a production volume with an unknown account is a classic exfiltration path (T1537). Treat it as an incident if nobody owns the share.',
  ],
  rationale:
    'One successful share is enough, with no threshold: the grantee can copy the snapshot at once and keep the copy ' +
    'after the share is revoked, so the data must be assumed gone. High by default, critical on high-criticality ' +
    'assets. "Outside the organisation" means an account that is neither the event\'s own account nor listed in ' +
    'organization.accounts; when that list is empty, every other account counts as outside, so configure it to stop ' +
    'routine intra-organisation sharing (DR or backup accounts) from matching. Removals and shares with organisation ' +
    'members never match. Service-invoked shares (Data Lifecycle Manager cross-account policies) still match: the ' +
    'exposure is the same whoever makes it.',
  falsePositives: [
    'Sharing with a vendor or support account on purpose, or a migration to an account outside the organisation: suppress for that snapshot or account with a dated reason.',
    'organization.accounts not configured (or out of date): every share with a sister account matches until it is.',
    'Public community snapshots published on purpose (rare): suppress per snapshot.',
  ],
  cases: () => [
    {
      name: 'shared with an account outside the organisation',
      expect: 'match',
      event: fixture('ec2/ModifySnapshotAttribute'),
      config: { organization: { accounts: ORG } },
    },
    {
      name: 'made public (group all)',
      expect: 'match',
      event: fixture('ec2/ModifySnapshotAttribute', shareWith({ group: 'all' })),
    },
    {
      name: 'public share on a high-criticality asset',
      expect: 'match',
      criticality: 'high',
      event: fixture('ec2/ModifySnapshotAttribute', shareWith({ group: 'all' })),
    },
    {
      name: 'one outside account among organisation members',
      expect: 'match',
      config: { organization: { accounts: ORG } },
      event: fixture('ec2/ModifySnapshotAttribute', shareWith({ userId: '444455556666' }, { userId: '999988887777' })),
    },
    {
      name: 'shared with an organisation member (DR account)',
      expect: 'no-match',
      config: { organization: { accounts: ORG } },
      event: fixture('ec2/ModifySnapshotAttribute', shareWith({ userId: '444455556666' })),
    },
    {
      name: 'shared with a sister account when no organisation accounts are configured (counts as outside)',
      expect: 'match',
      event: fixture('ec2/ModifySnapshotAttribute', shareWith({ userId: '444455556666' })),
    },
    {
      name: 'removing a share is benign',
      expect: 'no-match',
      event: fixture('ec2/ModifySnapshotAttribute', {
        requestParameters: {
          createVolumePermission: { add: undefined, remove: { items: [{ userId: '999988887777' }] } },
        },
      }),
    },
    {
      name: 'public share refused by snapshot Block Public Access',
      expect: 'no-match',
      event: fixture('ec2/ModifySnapshotAttribute', {
        ...shareWith({ group: 'all' }),
        errorCode: 'Client.OperationNotPermitted',
        errorMessage: 'Public sharing of snapshots is blocked by block public access for snapshots.',
        responseElements: null,
      }),
    },
    {
      name: 'share denied',
      expect: 'no-match',
      event: fixture('ec2/ModifySnapshotAttribute', {
        errorCode: 'Client.UnauthorizedOperation',
        errorMessage: 'You are not authorized to perform this operation.',
        responseElements: null,
      }),
    },
    {
      name: 'Data Lifecycle Manager sharing with an outside account (service-invoked) still matches',
      expect: 'match',
      config: { organization: { accounts: ORG } },
      event: fixture('ec2/ModifySnapshotAttribute', {
        userIdentity: {
          type: 'AssumedRole',
          principalId: 'AROAEXAMPLEDLMROLEID1:DLMSession',
          arn: 'arn:aws:sts::111122223333:assumed-role/AWSDataLifecycleManagerDefaultRole/DLMSession',
          accountId: '111122223333',
          accessKeyId: 'ASIAEXAMPLEDLM7EXAMPLE',
          userName: undefined,
          invokedBy: 'dlm.amazonaws.com',
        },
        sourceIPAddress: 'dlm.amazonaws.com',
        userAgent: 'dlm.amazonaws.com',
      }),
    },
  ],
};
