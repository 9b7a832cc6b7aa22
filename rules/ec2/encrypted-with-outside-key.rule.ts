import { accountRootArn, partitionOf } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { describeOutsideKeys, encryptsWithOutsideKey, outsideKeysOf } from '../core/kms-key.ts';
import { ec2Arns } from '../core/network.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { denied } from '../fixtures/overrides.ts';

const ORGANIZATION = { organization: { id: 'o-exampleorgid', accounts: ['111122223333', '444455556666'] } };

/** The snapshot or volume the call produced; the account's default key setting is the account itself. */
const affected = (e: CloudTrailRecord): string[] => {
  const res = e.responseElements;
  const made = [
    ...ec2Arns(e, 'snapshot', stringParam(res, 'snapshotId')),
    ...ec2Arns(e, 'volume', stringParam(res, 'volumeId')),
    ...ec2Arns(e, 'image', stringParam(res, 'imageId')),
  ];
  return made.length > 0 ? made : [accountRootArn(partitionOf(e.awsRegion), accountOf(e))];
};

export const rule = defineRule({
  id: 'ec2.encrypted-with-outside-key',
  title: 'EBS data encrypted under a KMS key outside the organisation',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.10', 'A.5.23'],
  mitre: ['T1486'],
  on: { source: 'ec2', eventNames: ['ModifyEbsDefaultKmsKeyId', 'CopySnapshot', 'CreateVolume', 'CopyImage'] },
  match: (e, ctx) => encryptsWithOutsideKey(e, ctx.config.organization),
  explain: (e, ctx) => describeOutsideKeys(outsideKeysOf(e, ctx.config.organization)),
  resources: affected,
  dedup: { key: (e) => `${accountOf(e)}|${e.awsRegion}|${e.eventName}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    "The region's default EBS encryption key was changed to a KMS key in an account outside the organisation, or " +
    'a snapshot, volume or image copy was encrypted under one: new volumes (or the copies) can then only be read ' +
    "with the key owner's consent.",
  runbook: [
    'For the default key: `aws ec2 reset-ebs-default-kms-key-id --region <region>` (back to `alias/aws/ebs`) or set your own key; check with `aws ec2 get-ebs-default-kms-key-id`.',
    'Find volumes and snapshots created under the outside key since the change (`aws ec2 describe-volumes --filters Name=encrypted,Values=true --query "Volumes[?KmsKeyId==\'<key-arn>\']"`) and copy them under your own key while the outside key still allows it.',
    'Revoke the identity’s sessions and review its other calls: the originals are usually deleted next.',
  ],
  rationale:
    'Pointing the EBS default key, or a snapshot copy, at a key someone else owns hands them the ability to make the data unreadable (T1486). No legitimate deploy needs a key outside the organisation, so one call is enough, even from approved automation. Keys by bare id or alias are the caller’s own. High, critical on high-criticality assets. Changing the default to a key you own is not watched (ec2.ebs-default-encryption-disabled covers turning encryption off).',
  falsePositives: ['Organisation accounts missing from `organization.accounts` (add them).'],
  cases: () => [
    {
      name: 'default EBS key changed to a foreign key',
      expect: 'match',
      event: fixture('ec2/ModifyEbsDefaultKmsKeyId', {
        requestParameters: {
          ModifyEbsDefaultKmsKeyIdRequest: {
            KmsKeyId: 'arn:aws:kms:eu-west-1:999988887777:key/5b2c8e1f-7a3d-4c6b-9e0f-1d2c3b4a5e6f',
          },
        },
        responseElements: {
          ModifyEbsDefaultKmsKeyIdResponse: {
            kmsKeyId: 'arn:aws:kms:eu-west-1:999988887777:key/5b2c8e1f-7a3d-4c6b-9e0f-1d2c3b4a5e6f',
          },
        },
      }),
      config: ORGANIZATION,
    },
    {
      name: 'snapshot copied under a foreign key',
      expect: 'match',
      event: fixture('ec2/CopySnapshot-outside-key'),
      config: ORGANIZATION,
    },
    {
      name: 'default EBS key changed to an own key',
      expect: 'no-match',
      event: fixture('ec2/ModifyEbsDefaultKmsKeyId'),
      config: ORGANIZATION,
    },
    {
      name: 'denied',
      expect: 'no-match',
      event: fixture('ec2/CopySnapshot-outside-key', denied('Client.UnauthorizedOperation', 'ec2:CopySnapshot')),
      config: ORGANIZATION,
    },
    {
      name: 'snapshot copied under an own key by alias',
      expect: 'no-match',
      event: fixture('ec2/CopySnapshot-outside-key', { requestParameters: { kmsKeyId: 'alias/backups' } }),
      config: ORGANIZATION,
    },
  ],
};
