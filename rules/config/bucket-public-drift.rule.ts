import type { JsonObject, JsonValue } from '../core/cloudtrail.ts';
import { isJsonObject } from '../core/cloudtrail.ts';
import type { ConfigItemChange } from '../core/config-events.ts';
import { defineRule } from '../core/define-rule.ts';
import { analyzeResourcePolicy } from '../core/resource-policy.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

/** Config's supplementary values arrive as objects in notifications and as JSON strings from its query APIs. */
const objectOf = (v: JsonValue | undefined): JsonObject | undefined => {
  if (isJsonObject(v)) return v;
  if (typeof v !== 'string') return undefined;
  try {
    const parsed = JSON.parse(v) as JsonValue;
    return isJsonObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
};

const isOn = (v: JsonValue | undefined): boolean => v === true || (typeof v === 'string' && v.toLowerCase() === 'true');

interface Change {
  readonly key: string;
  readonly previous: JsonValue | undefined;
  readonly updated: JsonValue | undefined;
}
const changesOf = (d: ConfigItemChange): Change[] =>
  Object.entries(d.configurationItemDiff?.changedProperties ?? {}).flatMap(([key, v]) =>
    isJsonObject(v) ? [{ key, previous: v.previousValue, updated: v.updatedValue }] : [],
  );

const FLAGS = ['blockpublicacls', 'ignorepublicacls', 'blockpublicpolicy', 'restrictpublicbuckets'] as const;

/** Lower-cased flag name → value, from a Block Public Access configuration object (any key case). */
const flagsOf = (v: JsonValue | undefined): Map<string, boolean> =>
  new Map(Object.entries(objectOf(v) ?? {}).map(([k, value]) => [k.toLowerCase(), isOn(value)]));

/**
 * Did a Block Public Access flag go from on to off (or disappear)? `prefix` is where the configuration sits in
 * the diff: `SupplementaryConfiguration.PublicAccessBlockConfiguration` for a bucket, `Configuration` for the
 * account. Config diffs either one flag (`<prefix>.BlockPublicPolicy`) or the whole object (`<prefix>`).
 */
const blockPublicAccessTurnedOff = (changes: readonly Change[], prefix: string): boolean =>
  changes.some(({ key, previous, updated }) => {
    const k = key.toLowerCase();
    if (k === prefix) {
      const before = flagsOf(previous);
      const after = flagsOf(updated);
      return FLAGS.some((f) => before.get(f) === true && after.get(f) !== true);
    }
    const flag = k.startsWith(`${prefix}.`) ? k.slice(prefix.length + 1) : undefined;
    return flag !== undefined && (FLAGS as readonly string[]).includes(flag) && isOn(previous) && !isOn(updated);
  });

const BUCKET_BPA = 'supplementaryconfiguration.publicaccessblockconfiguration';
const DELETED: ReadonlySet<string> = new Set(['ResourceDeleted', 'ResourceDeletedNotRecorded']);

/** The bucket policy now in force, if Config recorded one (`BucketPolicy.policyText`, a JSON string). */
const currentPolicy = (d: ConfigItemChange): JsonValue | undefined =>
  objectOf(d.configurationItem.supplementaryConfiguration?.BucketPolicy)?.policyText ?? undefined;

/** The policy is public now, and this change is the one that touched it (or the bucket is new to Config). */
const madePublicByPolicy = (d: ConfigItemChange, changes: readonly Change[]): boolean => {
  const touched =
    d.configurationItemDiff?.changeType === 'CREATE' ||
    changes.some(({ key }) => key.toLowerCase().startsWith('supplementaryconfiguration.bucketpolicy'));
  const policy = currentPolicy(d);
  return touched && typeof policy === 'string' && analyzeResourcePolicy(policy).kind === 'public';
};

export const bucketPublicDrift = (d: ConfigItemChange): boolean => {
  const item = d.configurationItem;
  const changes = changesOf(d);
  if (item.resourceType === 'AWS::S3::AccountPublicAccessBlock') {
    return DELETED.has(item.configurationItemStatus ?? '') || blockPublicAccessTurnedOff(changes, 'configuration');
  }
  if (DELETED.has(item.configurationItemStatus ?? '')) return false;
  return blockPublicAccessTurnedOff(changes, BUCKET_BPA) || madePublicByPolicy(d, changes);
};

const orgOnlyPolicy = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'OrgRead',
      Effect: 'Allow',
      Principal: '*',
      Action: 's3:GetObject',
      Resource: 'arn:aws:s3:::example-reports/*',
      Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } },
    },
  ],
});
const allFlags = (value: boolean) => ({
  blockPublicAcls: value,
  ignorePublicAcls: value,
  blockPublicPolicy: value,
  restrictPublicBuckets: value,
});
const policyChangedTo = (policyText: string) => ({
  configurationItem: { supplementaryConfiguration: { BucketPolicy: { policyText } } },
  configurationItemDiff: {
    changedProperties: {
      'SupplementaryConfiguration.BucketPolicy.PolicyText': {
        previousValue: null,
        updatedValue: policyText,
        changeType: 'CREATE',
      },
    },
  },
});

export const rule = defineRule({
  id: 'config.bucket-public-drift',
  title: 'Config: S3 bucket made public or Block Public Access turned off',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.5.23', 'A.8.9'],
  mitre: ['T1530'],
  on: { source: 'config.item-change', resourceTypes: ['AWS::S3::Bucket', 'AWS::S3::AccountPublicAccessBlock'] },
  match: bucketPublicDrift,
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'AWS Config recorded a bucket whose Block Public Access settings were turned off or removed, a bucket ' +
    'whose policy was changed to one that grants access to everyone, or the account-level Block Public Access ' +
    'turned off or deleted. Config sees the result whatever path made it.',
  runbook: [
    'Confirm what is public now: `aws s3api get-bucket-policy-status --bucket <bucket>`, `aws s3api get-public-access-block --bucket <bucket>` and, for the account, `aws s3control get-public-access-block --account-id <account>`.',
    'Unless the bucket is an approved public bucket, block it at once: `aws s3api put-public-access-block --bucket <bucket> --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true` (account: `aws s3control put-public-access-block --account-id <account> --public-access-block-configuration ...`).',
    'Find who changed it: the configuration item lists CloudTrail event ids in `relatedEvents` (`aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventId,AttributeValue=<event-id>`). If s3.bucket-made-public or s3.public-access-block-removed did not fire too, find out why.',
    'Find out what was read while it was open: S3 server access logs or CloudTrail data events for the exposure window.',
  ],
  rationale:
    'The Config-side twin of s3.bucket-made-public and s3.public-access-block-removed, with the same severity for the same exposure: high, critical on high-criticality assets. It catches changes the CloudTrail rules missed (unforwarded regions, lost events). ' +
    'Only changes match: a Block Public Access flag going from on to off (or the configuration disappearing), or a bucket policy that this change made public (judged like S3 does, with the shared resource-policy helper). A bucket that was already public is not re-reported on every unrelated change. ' +
    'Bucket-level flags are reported even when account-level Block Public Access still holds, because that guardrail can be removed next.',
  falsePositives: [
    'Buckets meant to be public (static websites, public datasets): suppress per bucket with a dated reason.',
    'Duplicates of the CloudTrail S3 rules for the same change: expected, and proof both paths work.',
  ],
  cases: () => [
    {
      name: 'bucket Block Public Access flags turned off',
      expect: 'match',
      event: fixture('config-item/AWS-S3-Bucket-public-access-block-removed'),
    },
    {
      name: 'bucket policy changed to public read',
      expect: 'match',
      event: fixture('config-item/AWS-S3-Bucket-public-policy'),
    },
    {
      name: 'public policy on a high-criticality bucket',
      expect: 'match',
      criticality: 'high',
      event: fixture('config-item/AWS-S3-Bucket-public-policy'),
    },
    {
      name: 'bucket Block Public Access configuration deleted as a whole',
      expect: 'match',
      event: fixture('config-item/AWS-S3-Bucket-public-access-block-removed', {
        configurationItem: { supplementaryConfiguration: { PublicAccessBlockConfiguration: undefined } },
        configurationItemDiff: {
          changedProperties: {
            'SupplementaryConfiguration.PublicAccessBlockConfiguration.BlockPublicAcls': undefined,
            'SupplementaryConfiguration.PublicAccessBlockConfiguration.IgnorePublicAcls': undefined,
            'SupplementaryConfiguration.PublicAccessBlockConfiguration.BlockPublicPolicy': undefined,
            'SupplementaryConfiguration.PublicAccessBlockConfiguration.RestrictPublicBuckets': undefined,
            'SupplementaryConfiguration.PublicAccessBlockConfiguration': {
              previousValue: allFlags(true),
              updatedValue: null,
              changeType: 'DELETE',
            },
          },
        },
      }),
    },
    {
      name: 'account-level Block Public Access turned off',
      expect: 'match',
      event: fixture('config-item/AWS-S3-AccountPublicAccessBlock-disabled'),
    },
    {
      name: 'account-level Block Public Access deleted',
      expect: 'match',
      event: fixture('config-item/AWS-S3-AccountPublicAccessBlock-disabled', {
        configurationItem: { configurationItemStatus: 'ResourceDeleted', configuration: null },
        configurationItemDiff: { changeType: 'DELETE' },
      }),
    },
    {
      name: 'policy changed to one restricted to the organisation',
      expect: 'no-match',
      event: fixture('config-item/AWS-S3-Bucket-public-policy', policyChangedTo(orgOnlyPolicy)),
    },
    {
      name: 'Block Public Access turned back on',
      expect: 'no-match',
      event: fixture('config-item/AWS-S3-Bucket-public-access-block-removed', {
        configurationItem: { supplementaryConfiguration: { PublicAccessBlockConfiguration: allFlags(true) } },
        configurationItemDiff: {
          changedProperties: {
            'SupplementaryConfiguration.PublicAccessBlockConfiguration.BlockPublicAcls': {
              previousValue: false,
              updatedValue: true,
              changeType: 'UPDATE',
            },
            'SupplementaryConfiguration.PublicAccessBlockConfiguration.IgnorePublicAcls': undefined,
            'SupplementaryConfiguration.PublicAccessBlockConfiguration.BlockPublicPolicy': undefined,
            'SupplementaryConfiguration.PublicAccessBlockConfiguration.RestrictPublicBuckets': undefined,
          },
        },
      }),
    },
    {
      name: 'versioning changed on a bucket whose policy was already public',
      expect: 'no-match',
      event: fixture('config-item/AWS-S3-Bucket-public-policy', {
        configurationItemDiff: {
          changedProperties: {
            'SupplementaryConfiguration.BucketPolicy.PolicyText': undefined,
            'SupplementaryConfiguration.BucketVersioningConfiguration.Status': {
              previousValue: 'Suspended',
              updatedValue: 'Enabled',
              changeType: 'UPDATE',
            },
          },
        },
      }),
    },
    {
      name: 'account-level Block Public Access turned on',
      expect: 'no-match',
      event: fixture('config-item/AWS-S3-AccountPublicAccessBlock-disabled', {
        configurationItem: { configuration: allFlags(true) },
        configurationItemDiff: {
          changedProperties: {
            'Configuration.BlockPublicAcls': { previousValue: false, updatedValue: true, changeType: 'UPDATE' },
            'Configuration.BlockPublicPolicy': { previousValue: false, updatedValue: true, changeType: 'UPDATE' },
          },
        },
      }),
    },
    {
      name: 'bucket deleted',
      expect: 'no-match',
      event: fixture('config-item/AWS-S3-Bucket-public-policy', {
        configurationItem: { configurationItemStatus: 'ResourceDeleted', configuration: null },
        configurationItemDiff: { changeType: 'DELETE' },
      }),
    },
  ],
};
