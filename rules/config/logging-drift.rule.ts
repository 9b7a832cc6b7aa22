import type { JsonValue } from '../core/cloudtrail.ts';
import { isJsonObject } from '../core/cloudtrail.ts';
import type { ConfigItemChange } from '../core/config-events.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

const isOn = (v: JsonValue | undefined): boolean => v === true || (typeof v === 'string' && v.toLowerCase() === 'true');
const hasText = (v: JsonValue | undefined): boolean => typeof v === 'string' && v.trim() !== '';

/** Trail settings whose loss means the trail records, or protects, less. */
const COVERAGE_FLAGS = [
  'ismultiregiontrail',
  'includeglobalserviceevents',
  'isorganizationtrail',
  'logfilevalidationenabled',
];
const DESTINATIONS = ['cloudwatchlogsloggrouparn', 'kmskeyid'];

/**
 * What the change did to the trail, for the predicate and the finding: flags turned off, CloudWatch Logs
 * delivery or KMS encryption removed, logs redirected to another bucket. AWS Config records the trail's
 * settings (DescribeTrails), not whether it is logging: StopLogging is cloudtrail.logging-stopped's job.
 */
export const trailWeakenings = (d: ConfigItemChange): string[] =>
  Object.entries(d.configurationItemDiff?.changedProperties ?? {}).flatMap(([key, change]) => {
    if (!isJsonObject(change)) return [];
    const setting = key.toLowerCase().replace(/^configuration\./, '');
    const { previousValue: before, updatedValue: after } = change;
    if (COVERAGE_FLAGS.includes(setting) && isOn(before) && !isOn(after)) return [`${setting} turned off`];
    if (DESTINATIONS.includes(setting) && hasText(before) && !hasText(after)) return [`${setting} removed`];
    if (setting === 's3bucketname' && hasText(before) && before !== after) return [`logs moved to ${String(after)}`];
    return [];
  });

const DELETED: ReadonlySet<string> = new Set(['ResourceDeleted', 'ResourceDeletedNotRecorded']);

const changed = (key: string, previousValue: unknown, updatedValue: unknown, changeType = 'UPDATE') => ({
  configurationItemDiff: {
    changedProperties: {
      'Configuration.IsMultiRegionTrail': undefined,
      'Configuration.LogFileValidationEnabled': undefined,
      [key]: { previousValue, updatedValue, changeType },
    },
  },
});

export const rule = defineRule({
  id: 'config.logging-drift',
  title: 'Config: CloudTrail trail deleted or its coverage reduced',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.15', 'A.8.9'],
  mitre: ['T1562.008'],
  on: { source: 'config.item-change', resourceTypes: ['AWS::CloudTrail::Trail'] },
  match: (d) => DELETED.has(d.configurationItem.configurationItemStatus ?? '') || trailWeakenings(d).length > 0,
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'AWS Config recorded a CloudTrail trail being deleted, or changed so it records or protects less: no longer ' +
    'multi-region, organisation-wide or including global service events, log file validation off, CloudWatch ' +
    'Logs delivery or KMS encryption removed, or logs sent to another bucket.',
  runbook: [
    'Check the trail: `aws cloudtrail get-trail-status --name <trail-arn>` (IsLogging, LatestDeliveryTime) and `aws cloudtrail describe-trails --trail-name-list <trail-arn>`. A deleted trail is gone from both.',
    'Restore it from IaC (redeploy the stack or `terraform apply`), or by hand: `aws cloudtrail create-trail --name <name> --s3-bucket-name <bucket> --is-multi-region-trail --enable-log-file-validation --kms-key-id <key-arn>`, then `aws cloudtrail start-logging --name <name>`; or `aws cloudtrail update-trail` back to the previous settings.',
    'Find who changed it: the configuration item lists CloudTrail event ids in `relatedEvents`; if cloudtrail.logging-stopped or cloudtrail.trail-degraded did not fire too, find out why.',
    'Review every call the actor made since the change using another trail, CloudTrail Lake or event history (`aws cloudtrail lookup-events`, 90 days of management events); if the actor is not the approved deploy role, treat it as an incident.',
  ],
  rationale:
    'The Config-side twin of cloudtrail.logging-stopped and cloudtrail.trail-degraded: it catches changes made where CloudTrail events were not forwarded, or lost. Logging is the evidence every other control relies on (A.8.15), and the trail is part of the configuration baseline (A.8.9). ' +
    'High, critical on high-criticality accounts; no threshold. Only changes that reduce coverage or protection match (a setting turned off or removed, a new destination bucket); turning settings on, adding an SNS topic or re-tagging do not. ' +
    'Config does not record whether a trail is logging (its Trail item has no IsLogging), so StopLogging is left to the CloudTrail rule.',
  falsePositives: [
    'Planned migration to an organisation trail or a new log bucket (suppress with a dated, reasoned suppression).',
    'Duplicates of the CloudTrail logging rules for the same change: expected, and proof both paths work.',
  ],
  cases: () => [
    { name: 'trail deleted', expect: 'match', event: fixture('config-item/AWS-CloudTrail-Trail-deleted') },
    {
      name: 'multi-region and log file validation turned off',
      expect: 'match',
      event: fixture('config-item/AWS-CloudTrail-Trail-weakened'),
    },
    {
      name: 'deleted trail on a high-criticality account',
      expect: 'match',
      criticality: 'high',
      event: fixture('config-item/AWS-CloudTrail-Trail-deleted'),
    },
    {
      name: 'CloudWatch Logs delivery removed',
      expect: 'match',
      event: fixture(
        'config-item/AWS-CloudTrail-Trail-weakened',
        changed(
          'Configuration.CloudWatchLogsLogGroupArn',
          'arn:aws:logs:us-east-1:111122223333:log-group:aws-cloudtrail-logs:*',
          null,
          'DELETE',
        ),
      ),
    },
    {
      name: 'logs sent to a bucket in another account',
      expect: 'match',
      event: fixture(
        'config-item/AWS-CloudTrail-Trail-weakened',
        changed('Configuration.S3BucketName', 'example-cloudtrail-logs', 'collector-999988887777'),
      ),
    },
    {
      name: 'log file validation turned on',
      expect: 'no-match',
      event: fixture(
        'config-item/AWS-CloudTrail-Trail-weakened',
        changed('Configuration.LogFileValidationEnabled', false, true),
      ),
    },
    {
      name: 'SNS notifications added',
      expect: 'no-match',
      event: fixture(
        'config-item/AWS-CloudTrail-Trail-weakened',
        changed('Configuration.SnsTopicName', null, 'cloudtrail-deliveries', 'CREATE'),
      ),
    },
    {
      name: 'KMS key replaced by another key',
      expect: 'no-match',
      event: fixture(
        'config-item/AWS-CloudTrail-Trail-weakened',
        changed(
          'Configuration.KmsKeyId',
          'arn:aws:kms:us-east-1:111122223333:key/0d2f4b6a-8c1e-4a3b-9d5f-7e1a3c5b7d9f',
          'arn:aws:kms:us-east-1:111122223333:key/5e7a9c1b-3d4f-4a6b-8c0d-2e4f6a8b0c1d',
        ),
      ),
    },
    {
      name: 'new trail recorded',
      expect: 'no-match',
      event: fixture('config-item/AWS-CloudTrail-Trail-weakened', {
        configurationItemDiff: {
          changedProperties: {
            'Configuration.IsMultiRegionTrail': undefined,
            'Configuration.LogFileValidationEnabled': undefined,
          },
          changeType: 'CREATE',
        },
        configurationItem: { configurationItemStatus: 'ResourceDiscovered' },
      }),
    },
  ],
};
