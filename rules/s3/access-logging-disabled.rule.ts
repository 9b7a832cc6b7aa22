import { partitionOf, s3BucketArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isServiceInvoked, isSuccess, param, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

/**
 * PutBucketLogging replaces the whole logging configuration: a `BucketLoggingStatus` without `LoggingEnabled` turns
 * server access logging off. The `logging: ""` key is only the `?logging` query string and is present on every
 * PutBucketLogging record, enabling ones included, so it says nothing. A record without `BucketLoggingStatus` at all
 * cannot show what was set and does not match.
 */
const disablesLogging = (e: CloudTrailRecord): boolean => {
  const status = param(e.requestParameters, 'BucketLoggingStatus');
  if (typeof status !== 'object' || status === null || Array.isArray(status)) return false;
  const enabled = param(e.requestParameters, 'BucketLoggingStatus', 'LoggingEnabled');
  return enabled === undefined || enabled === null || enabled === '';
};

const bucketOf = (e: CloudTrailRecord): string => stringParam(e.requestParameters, 'bucketName') ?? 'unknown-bucket';

export const rule = defineRule({
  id: 's3.access-logging-disabled',
  title: 'S3 server access logging turned off on a bucket',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.15'],
  mitre: ['T1562.008'],
  on: { source: 's3', eventNames: ['PutBucketLogging'] },
  match: (e) => isSuccess(e) && !isServiceInvoked(e) && disablesLogging(e),
  dedup: { key: (e) => `${accountOf(e)}|${bucketOf(e)}` },
  resources: (e) => [s3BucketArn(partitionOf(e.awsRegion), bucketOf(e))],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'PutBucketLogging was called with an empty BucketLoggingStatus (no LoggingEnabled), so the bucket no longer ' +
    'writes server access logs: object-level reads and writes stop being recorded unless CloudTrail data events ' +
    'cover the bucket.',
  runbook: [
    'Confirm the state: `aws s3api get-bucket-logging --bucket <bucket>` returns nothing when logging is off.',
    'If the change was not approved, turn logging back on to the approved log bucket: `aws s3api put-bucket-logging ' +
      '--bucket <bucket> --bucket-logging-status \'{"LoggingEnabled":{"TargetBucket":"<log-bucket>","TargetPrefix":"<bucket>/"}}\'`.',
    'Check whether CloudTrail data events cover the bucket (`aws cloudtrail get-event-selectors --trail-name <trail>`); ' +
      'if not, the gap has no object-level record at all, so review what the actor did next (GetObject bursts, ' +
      'PutBucketPolicy, DeleteObject) through the management events and the bucket inventory.',
    'If the actor is not the approved deploy role, treat it as an incident and rotate its credentials.',
  ],
  rationale:
    'No threshold: turning off access logs on a bucket is a classic step before reading or deleting data quietly ' +
    '(T1562.008). Medium at medium criticality because CloudTrail management events still record who did it and ' +
    'data events may still cover the objects; high on high-criticality buckets, where the access log is often the ' +
    'only object-level evidence. Only a configuration without LoggingEnabled matches: changing the target bucket or ' +
    "prefix keeps logging on and is routine. Changes through CloudFormation still match: removing a bucket's " +
    'LoggingConfiguration from a template turns logging off just the same.',
  falsePositives: [
    'Decommissioning a bucket (logging is turned off before the bucket is emptied and deleted).',
    'Moving a bucket from server access logs to CloudTrail data events, done by the deploy role: suppress for that ' +
      'bucket with a dated reason.',
  ],
  cases: () => [
    {
      name: 'logging turned off (empty BucketLoggingStatus)',
      expect: 'match',
      event: fixture('s3/PutBucketLogging-disabled'),
    },
    {
      name: 'logging turned off on a high-criticality bucket',
      expect: 'match',
      criticality: 'high',
      event: fixture('s3/PutBucketLogging-disabled'),
    },
    {
      name: 'logging turned off by removing it from a CloudFormation template still matches',
      expect: 'match',
      event: fixture('s3/PutBucketLogging-disabled', {
        userIdentity: {
          type: 'AssumedRole',
          principalId: 'AROACKCEVSQ6C2EXAMPLE:AWSCloudFormation',
          arn: 'arn:aws:sts::111122223333:assumed-role/deploy-role/AWSCloudFormation',
          sessionContext: {
            sessionIssuer: {
              principalId: 'AROACKCEVSQ6C2EXAMPLE',
              arn: 'arn:aws:iam::111122223333:role/deploy-role',
              userName: 'deploy-role',
            },
          },
          invokedBy: 'cloudformation.amazonaws.com',
        },
        sourceIPAddress: 'cloudformation.amazonaws.com',
        userAgent: 'cloudformation.amazonaws.com',
        tlsDetails: undefined,
      }),
    },
    {
      name: 'PutBucketLogging denied',
      expect: 'no-match',
      event: fixture('s3/PutBucketLogging-disabled', {
        errorCode: 'AccessDenied',
        errorMessage: 'Access Denied',
        additionalEventData: { bytesTransferredOut: 243 },
      }),
    },
    {
      name: 'enabling logging (the logging="" query key is on every record) is benign',
      expect: 'no-match',
      event: fixture('s3/PutBucketLogging'),
    },
    {
      name: 'changing the target prefix keeps logging on',
      expect: 'no-match',
      event: fixture('s3/PutBucketLogging', {
        requestParameters: {
          BucketLoggingStatus: {
            LoggingEnabled: {
              TargetBucket: 'example-access-logs-111122223333-eu-west-1',
              TargetPrefix: 'logs/example-customer-exports/',
              TargetObjectKeyFormat: { PartitionedPrefix: { PartitionDateSource: 'EventTime' } },
            },
          },
        },
      }),
    },
    {
      name: 'a record without BucketLoggingStatus cannot show logging was turned off',
      expect: 'no-match',
      event: fixture('s3/PutBucketLogging-disabled', { requestParameters: { BucketLoggingStatus: undefined } }),
    },
    {
      name: 'an AWS service acting on its own is not a person turning logging off',
      expect: 'no-match',
      event: fixture('s3/PutBucketLogging-disabled', {
        userIdentity: {
          type: 'AWSService',
          invokedBy: 'config.amazonaws.com',
          principalId: undefined,
          arn: undefined,
          accountId: undefined,
          accessKeyId: undefined,
          sessionContext: undefined,
        },
        sourceIPAddress: 'config.amazonaws.com',
        userAgent: 'config.amazonaws.com',
        tlsDetails: undefined,
      }),
    },
  ],
};
