import type { JsonValue } from '../core/cloudtrail.ts';
import { isJsonObject } from '../core/cloudtrail.ts';
import type { ConfigItemChange } from '../core/config-events.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

/** Config's supplementary values arrive as objects in notifications and as JSON strings from its query APIs. */
const parsedValue = (v: JsonValue | undefined): JsonValue | undefined => {
  if (typeof v !== 'string' || !/^\s*[{[]/.test(v)) return v;
  try {
    return JSON.parse(v) as JsonValue;
  } catch {
    return v;
  }
};

/**
 * How strongly data at rest is protected: 0 none, 1 a key the service manages (SSE-S3 `AES256`, SSE-SQS),
 * 2 a KMS key (`aws:kms`, `aws:kms:dsse`, or any `KmsMasterKeyId`), which the account controls, audits and
 * can revoke.
 */
type Strength = 0 | 1 | 2;

const isOn = (v: JsonValue | undefined): boolean => v === true || (typeof v === 'string' && v.toLowerCase() === 'true');
const hasText = (v: JsonValue | undefined): boolean => typeof v === 'string' && v.trim() !== '';

/** The strongest protection named anywhere in a value, reading key names (`kmsMasterKeyID`, `sseAlgorithm`). */
const strengthIn = (value: JsonValue | undefined, keyName = ''): Strength => {
  const v = parsedValue(value);
  const key = keyName.toLowerCase();
  if (key.endsWith('kmsmasterkeyid')) return hasText(v) ? 2 : 0;
  if (key.endsWith('sqsmanagedsseenabled')) return isOn(v) ? 1 : 0;
  if (typeof v === 'string') {
    const s = v.toLowerCase();
    return s.startsWith('aws:kms') ? 2 : s === 'aes256' ? 1 : 0;
  }
  const children: [string, JsonValue | undefined][] = Array.isArray(v)
    ? v.map((c) => [keyName, c])
    : isJsonObject(v)
      ? Object.entries(v)
      : [];
  return children.reduce<Strength>((best, [k, c]) => Math.max(best, strengthIn(c, k)) as Strength, 0);
};

/** Where each watched resource type keeps its encryption setting, in the diff and in the configuration. */
const WATCHED: Readonly<
  Record<string, { readonly diffKey: RegExp; readonly current: (d: ConfigItemChange) => Strength }>
> = {
  'AWS::S3::Bucket': {
    diffKey: /^supplementaryconfiguration\.serversideencryptionconfiguration(\.|$)/i,
    current: (d) =>
      strengthIn(d.configurationItem.supplementaryConfiguration?.ServerSideEncryptionConfiguration, 'rules'),
  },
  'AWS::SQS::Queue': {
    diffKey: /^configuration\.(kmsmasterkeyid|sqsmanagedsseenabled)$/i,
    current: (d) =>
      Math.max(
        strengthIn(d.configurationItem.configuration?.KmsMasterKeyId, 'KmsMasterKeyId'),
        strengthIn(d.configurationItem.configuration?.SqsManagedSseEnabled, 'SqsManagedSseEnabled'),
      ) as Strength,
  },
  'AWS::SNS::Topic': {
    diffKey: /^configuration\.kmsmasterkeyid$/i,
    current: (d) => strengthIn(d.configurationItem.configuration?.KmsMasterKeyId, 'KmsMasterKeyId'),
  },
};

const LIVE_STATUSES: ReadonlySet<string> = new Set(['OK', 'ResourceDiscovered']);

/**
 * Encryption at rest was removed or weakened by this change: the diff shows the encryption setting changing,
 * its previous value protected the data more strongly than the configuration now does. The current state
 * alone never matches (a bucket that has always used SSE-S3 is a posture question for Config rules, not
 * drift), and neither does a deleted resource.
 */
export const encryptionWeakened = (d: ConfigItemChange): boolean => {
  const item = d.configurationItem;
  const watched = WATCHED[item.resourceType];
  if (watched === undefined || !LIVE_STATUSES.has(item.configurationItemStatus ?? 'OK')) return false;
  let before: Strength = 0;
  let touched = false;
  for (const [key, change] of Object.entries(d.configurationItemDiff?.changedProperties ?? {})) {
    if (!watched.diffKey.test(key) || !isJsonObject(change)) continue;
    touched = true;
    before = Math.max(before, strengthIn(change.previousValue, key)) as Strength;
  }
  return touched && before > watched.current(d);
};

const kmsKey = 'arn:aws:kms:eu-west-1:111122223333:key/7f3e9a2b-4c1d-4e8f-9a6b-2d5c8e1f0a3b';
const rule0 = (sseAlgorithm: string, kmsMasterKeyID: string | null) => ({
  applyServerSideEncryptionByDefault: { sseAlgorithm, kmsMasterKeyID },
  bucketKeyEnabled: sseAlgorithm !== 'AES256',
});
const bucketEncryption = (before: Record<string, unknown>, after: Record<string, unknown>) => ({
  configurationItem: { supplementaryConfiguration: { ServerSideEncryptionConfiguration: { rules: [after] } } },
  configurationItemDiff: {
    changedProperties: {
      'SupplementaryConfiguration.ServerSideEncryptionConfiguration.Rules.0': {
        previousValue: before,
        updatedValue: after,
        changeType: 'UPDATE',
      },
    },
  },
});

export const rule = defineRule({
  id: 'config.encryption-removed-drift',
  title: 'Config: encryption at rest removed or weakened on a bucket, queue or topic',
  severity: 'medium',
  controls: ['A.8.9'],
  mitre: ['T1562'],
  on: { source: 'config.item-change', resourceTypes: ['AWS::S3::Bucket', 'AWS::SQS::Queue', 'AWS::SNS::Topic'] },
  match: encryptionWeakened,
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'AWS Config recorded a change that removed or weakened default encryption at rest: an S3 bucket moved from ' +
    'a KMS key to S3-managed keys (or lost its encryption configuration), an SQS queue lost its KMS key or its ' +
    'SQS-managed encryption, or an SNS topic lost its KMS key.',
  runbook: [
    'Confirm the setting now: `aws s3api get-bucket-encryption --bucket <bucket>`, `aws sqs get-queue-attributes --queue-url <url> --attribute-names KmsMasterKeyId SqsManagedSseEnabled`, or `aws sns get-topic-attributes --topic-arn <arn>`.',
    'Find who changed it: the configuration item lists CloudTrail event ids in `relatedEvents` (`aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventId,AttributeValue=<event-id>`), and the change record for it.',
    'Restore the previous key unless the change was approved: `aws s3api put-bucket-encryption --bucket <bucket> --server-side-encryption-configuration \'{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms","KMSMasterKeyID":"<key-arn>"},"BucketKeyEnabled":true}]}\'`, `aws sqs set-queue-attributes --queue-url <url> --attributes KmsMasterKeyId=<key-arn>`, `aws sns set-topic-attributes --topic-arn <arn> --attribute-name KmsMasterKeyId --attribute-value <key-arn>`.',
    'Objects and messages written in between are not re-encrypted by restoring the default: re-copy S3 objects written since the change (`aws s3 cp s3://<bucket>/<prefix> s3://<bucket>/<prefix> --recursive --sse aws:kms --sse-kms-key-id <key-arn>`).',
  ],
  rationale:
    '"Removed" is defined by the change, not the state: the configuration item diff must show the encryption setting changing from a stronger to a weaker protection (KMS key → service-managed key → none). State alone is what AWS Config rules and rule-noncompliant report. ' +
    'S3 buckets can no longer be unencrypted (since January 2023 every bucket has at least SSE-S3, and DeleteBucketEncryption resets to it), so for S3 the realistic removal is losing the KMS key, with its key policy, audit trail and revocation. ' +
    'RDS instances, EBS volumes and EFS file systems are not watched: their encryption is fixed at creation and cannot be removed in place, so Config never records such a diff; an unencrypted replacement is a new resource for Config rules to judge. ' +
    'Medium: no data is exposed by the change itself, but a control the A.8.9 baseline relies on was weakened, outside any review the diff would show.',
  falsePositives: [
    'Deliberate moves to service-managed encryption to cut KMS costs (record the decision; suppress per resource with a reason).',
    'Re-creating a queue or topic through IaC without its key attribute: fix the template.',
  ],
  cases: () => [
    {
      name: 'bucket moved from a KMS key to SSE-S3',
      expect: 'match',
      event: fixture('config-item/AWS-S3-Bucket-encryption-downgraded'),
    },
    {
      name: 'bucket lost its encryption configuration entirely (recorded before S3 encrypted every bucket)',
      expect: 'match',
      event: fixture('config-item/AWS-S3-Bucket-encryption-downgraded', {
        configurationItem: { supplementaryConfiguration: { ServerSideEncryptionConfiguration: undefined } },
        configurationItemDiff: {
          changedProperties: {
            'SupplementaryConfiguration.ServerSideEncryptionConfiguration.Rules.0': undefined,
            'SupplementaryConfiguration.ServerSideEncryptionConfiguration': {
              previousValue: { rules: [rule0('AES256', null)] },
              updatedValue: null,
              changeType: 'DELETE',
            },
          },
        },
      }),
    },
    {
      name: 'queue lost its KMS key and has no SQS-managed encryption',
      expect: 'match',
      event: fixture('config-item/AWS-SQS-Queue-encryption-removed'),
    },
    {
      name: 'queue moved from its KMS key to SQS-managed encryption',
      expect: 'match',
      event: fixture('config-item/AWS-SQS-Queue-encryption-removed', {
        configurationItem: { configuration: { SqsManagedSseEnabled: 'true' } },
      }),
    },
    {
      name: 'topic lost its KMS key',
      expect: 'match',
      event: fixture('config-item/AWS-SNS-Topic-encryption-removed'),
    },
    {
      name: 'bucket switched to another KMS key',
      expect: 'no-match',
      event: fixture(
        'config-item/AWS-S3-Bucket-encryption-downgraded',
        bucketEncryption(
          rule0('aws:kms', kmsKey),
          rule0('aws:kms', 'arn:aws:kms:eu-west-1:111122223333:key/0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e'),
        ),
      ),
    },
    {
      name: 'bucket moved from SSE-S3 to a KMS key',
      expect: 'no-match',
      event: fixture(
        'config-item/AWS-S3-Bucket-encryption-downgraded',
        bucketEncryption(rule0('AES256', null), rule0('aws:kms', kmsKey)),
      ),
    },
    {
      name: 'tags changed on a bucket that uses SSE-S3 (state alone is not drift)',
      expect: 'no-match',
      event: fixture('config-item/AWS-S3-Bucket-encryption-downgraded', {
        configurationItemDiff: {
          changedProperties: {
            'SupplementaryConfiguration.ServerSideEncryptionConfiguration.Rules.0': undefined,
            'SupplementaryConfiguration.BucketTaggingConfiguration.TagSets.0': {
              previousValue: null,
              updatedValue: { tags: { team: 'analytics', costcentre: '4410' } },
              changeType: 'CREATE',
            },
          },
        },
      }),
    },
    {
      name: 'queue deleted',
      expect: 'no-match',
      event: fixture('config-item/AWS-SQS-Queue-encryption-removed', {
        configurationItem: { configurationItemStatus: 'ResourceDeleted', configuration: null },
        configurationItemDiff: { changeType: 'DELETE' },
      }),
    },
  ],
};
