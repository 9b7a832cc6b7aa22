import { partitionOf } from '../core/arn.ts';
import type { CloudTrailRecord, JsonObject, JsonValue } from '../core/cloudtrail.ts';
import { accountOf, isJsonObject, isSuccess, param, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { outsideKeys } from '../core/kms-key.ts';
import type { Organization } from '../core/resource-policy.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

const objects = (v: JsonValue | undefined): JsonObject[] => (Array.isArray(v) ? v.filter(isJsonObject) : []);
const strings = (v: JsonValue | undefined): string[] =>
  Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];

/** CloudTrail records request parameters in camelCase; accept the API's PascalCase too, as replayed logs vary. */
const field = (o: JsonObject, camel: string): JsonValue | undefined =>
  o[camel] ?? o[`${camel.charAt(0).toUpperCase()}${camel.slice(1)}`];

/**
 * UpdateTrail settings that, when present with these values, make the trail record or protect less. A KMS key of
 * an account outside the organisation counts: whoever owns the key decides whether the logs can ever be read
 * again (and can schedule it for deletion).
 */
const weakenedTrailSettings = (e: CloudTrailRecord, organization: Organization): string[] => {
  const p = e.requestParameters;
  const found: string[] = [];
  const key = stringParam(p, 'kmsKeyId');
  if (key !== undefined && outsideKeys([key], accountOf(e), organization).length > 0) {
    found.push(`kmsKeyId ${key} belongs to an account outside the organisation`);
  }
  if (param(p, 'isMultiRegionTrail') === false) found.push('isMultiRegionTrail=false');
  if (param(p, 'includeGlobalServiceEvents') === false) found.push('includeGlobalServiceEvents=false');
  if (param(p, 'isOrganizationTrail') === false) found.push('isOrganizationTrail=false');
  if (param(p, 'enableLogFileValidation') === false) found.push('enableLogFileValidation=false');
  // An empty string is how UpdateTrail removes a setting.
  if (param(p, 'kmsKeyId') === '') found.push('kmsKeyId removed');
  if (param(p, 'cloudWatchLogsLogGroupArn') === '') found.push('cloudWatchLogsLogGroupArn removed');
  if (typeof param(p, 's3BucketName') === 'string') found.push('s3BucketName changed');
  return found;
};

/**
 * How completely one selector records write management events (the API calls that change things):
 * `full`, `partial` (some event sources excluded) or `none`. Read-only management events may be dropped to save
 * cost (WriteOnly) without counting as degraded.
 */
type Coverage = 'full' | 'partial' | 'none';
const RANK: Record<Coverage, number> = { none: 0, partial: 1, full: 2 };

const basicCoverage = (s: JsonObject): Coverage => {
  if (field(s, 'includeManagementEvents') === false) return 'none';
  const readWrite = field(s, 'readWriteType');
  if (readWrite !== undefined && readWrite !== 'All' && readWrite !== 'WriteOnly') return 'none';
  return strings(field(s, 'excludeManagementEventSources')).length > 0 ? 'partial' : 'full';
};

const advancedCoverage = (s: JsonObject): Coverage => {
  const fields = objects(field(s, 'fieldSelectors'));
  const named = (name: string) => fields.find((f) => field(f, 'field') === name);
  const category = named('eventCategory');
  if (category === undefined) return 'none';
  const equals = strings(field(category, 'equals'));
  const notEquals = strings(field(category, 'notEquals'));
  const management =
    equals.length > 0 ? equals.includes('Management') : notEquals.length > 0 && !notEquals.includes('Management');
  if (!management) return 'none';
  const readOnly = named('readOnly');
  if (readOnly !== undefined) {
    const only = strings(field(readOnly, 'equals'));
    if ((only.length > 0 && !only.includes('false')) || strings(field(readOnly, 'notEquals')).includes('false')) {
      return 'none';
    }
  }
  // On a trail, a management selector can only be narrowed further by excluding event sources.
  return fields.some((f) => !['eventCategory', 'readOnly'].includes(String(field(f, 'field')))) ? 'partial' : 'full';
};

const best = (all: Coverage[]): Coverage => all.reduce<Coverage>((a, b) => (RANK[b] > RANK[a] ? b : a), 'none');

/** True when, after this PutEventSelectors, the trail no longer records every write management event. */
const dropsManagementEvents = (p: JsonObject | null | undefined): boolean => {
  if (!isJsonObject(p ?? undefined)) return false;
  const basic = param(p, 'eventSelectors') ?? param(p, 'EventSelectors');
  const advanced = param(p, 'advancedEventSelectors') ?? param(p, 'AdvancedEventSelectors');
  let coverage: Coverage;
  if (Array.isArray(advanced)) coverage = best(objects(advanced).map(advancedCoverage));
  else if (Array.isArray(basic)) coverage = best(objects(basic).map(basicCoverage));
  else return false;
  return coverage !== 'full';
};

/** A service acting on its own (service-linked resources), not a person; CloudFormation acting for a person counts. */
const serviceOwned = (e: CloudTrailRecord): boolean =>
  e.eventType === 'AwsServiceEvent' || e.userIdentity.type === 'AWSService';

const degraded = (e: CloudTrailRecord, organization: Organization): boolean => {
  switch (e.eventName) {
    case 'UpdateTrail':
      return weakenedTrailSettings(e, organization).length > 0;
    case 'PutEventSelectors':
      return dropsManagementEvents(e.requestParameters);
    case 'DeleteEventDataStore':
    case 'StopEventDataStoreIngestion':
      return true;
    default:
      return false;
  }
};

/** The trail or event data store touched, as an ARN when it can be built. */
const targetOf = (e: CloudTrailRecord): string | undefined => {
  const fromResponse = stringParam(e.responseElements, 'trailARN');
  if (fromResponse) return fromResponse;
  const p = e.requestParameters;
  const name = stringParam(p, 'name') ?? stringParam(p, 'trailName') ?? stringParam(p, 'eventDataStore');
  if (name === undefined || name === '') return undefined;
  if (name.startsWith('arn:')) return name;
  const kind = e.eventName.includes('EventDataStore') ? 'eventdatastore' : 'trail';
  return `arn:${partitionOf(e.awsRegion)}:cloudtrail:${e.awsRegion}:${accountOf(e)}:${kind}/${name}`;
};

export const rule = defineRule({
  id: 'cloudtrail.trail-degraded',
  title: 'CloudTrail trail or event data store weakened',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.15'],
  mitre: ['T1562.008'],
  on: {
    source: 'cloudtrail',
    eventNames: ['UpdateTrail', 'PutEventSelectors', 'DeleteEventDataStore', 'StopEventDataStoreIngestion'],
  },
  match: (e, ctx) => isSuccess(e) && !serviceOwned(e) && degraded(e, ctx.config.organization),
  dedup: { key: (e) => targetOf(e) ?? 'unknown-trail' },
  resources: (e) => {
    const target = targetOf(e);
    return target === undefined ? [] : [target];
  },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A trail was changed so it records or protects less (single-region, no global events, no log file validation, ' +
    'encryption or CloudWatch Logs delivery removed, logs encrypted with a key of an account outside the organisation, logs redirected to another bucket, management events no longer ' +
    'recorded), or a CloudTrail Lake event data store was deleted or stopped ingesting.',
  runbook: [
    'See what changed: the finding names the trail; compare `aws cloudtrail get-trail --name <trail>` and ' +
      '`aws cloudtrail get-event-selectors --trail-name <trail>` with the approved baseline in IaC.',
    'Restore the trail settings: `aws cloudtrail update-trail --name <trail> --is-multi-region-trail ' +
      '--include-global-service-events --enable-log-file-validation --kms-key-id <key> --s3-bucket-name <audit-bucket>`; ' +
      'restore management events with `aws cloudtrail put-event-selectors --trail-name <trail> --event-selectors ' +
      '\'[{"ReadWriteType":"All","IncludeManagementEvents":true}]\'` (or the baseline advanced selectors).',
    'If the bucket changed, check who owns the new bucket (`aws s3api get-bucket-acl --bucket <bucket>`): logs sent ' +
      'to a bucket outside the organisation are exfiltrated evidence.',
    'For a deleted event data store, restore it within the 7-day pending-deletion window: `aws cloudtrail ' +
      'restore-event-data-store --event-data-store <arn>`; for stopped ingestion, `aws cloudtrail ' +
      'start-event-data-store-ingestion --event-data-store <arn>`.',
    'Review everything the actor did while the trail was weakened; if it was not the approved deploy role, treat it ' +
      "as an incident and rotate the actor's credentials.",
  ],
  rationale:
    'Any weakening is a finding with no threshold: attackers degrade logging rather than stop it so the trail still ' +
    'looks healthy. Changing s3BucketName is included even though the previous value is unknown: redirecting logs to ' +
    'a bucket the attacker controls both blinds the owner and exfiltrates the evidence, and bucket changes are rare. ' +
    'Dropping read-only management events (WriteOnly) is accepted cost control; losing write events, or excluding an ' +
    'event source (KMS, RDS Data), is not. High, critical on high-criticality accounts, one step below stopping the ' +
    'trail outright.',
  falsePositives: [
    'Console edits of a trail resend every setting, so a trail that was already single-region or unvalidated reports ' +
      'its current value again.',
    'A planned bucket migration or a cost change excluding KMS events, made by the deploy role (suppress with a ' +
      'dated, reasoned suppression).',
  ],
  cases: () => [
    { name: 'UpdateTrail makes the trail single-region', expect: 'match', event: fixture('cloudtrail/UpdateTrail') },
    {
      name: 'UpdateTrail drops global service events (IAM, STS, sign-in)',
      expect: 'match',
      event: fixture('cloudtrail/UpdateTrail', {
        requestParameters: { isMultiRegionTrail: undefined, includeGlobalServiceEvents: false },
      }),
    },
    {
      name: 'UpdateTrail disables log file validation',
      expect: 'match',
      event: fixture('cloudtrail/UpdateTrail', {
        requestParameters: { isMultiRegionTrail: undefined, enableLogFileValidation: false },
      }),
    },
    {
      name: 'UpdateTrail removes KMS encryption (kmsKeyId "")',
      expect: 'match',
      event: fixture('cloudtrail/UpdateTrail', { requestParameters: { isMultiRegionTrail: undefined, kmsKeyId: '' } }),
    },
    {
      name: 'UpdateTrail encrypts the logs with a key of an account outside the organisation',
      expect: 'match',
      event: fixture('cloudtrail/UpdateTrail-outside-key'),
      config: { organization: { accounts: ['111122223333', '444455556666'] } },
    },
    {
      name: 'UpdateTrail moves to a key of a member account (the log archive) is benign',
      expect: 'no-match',
      event: fixture('cloudtrail/UpdateTrail-outside-key', {
        requestParameters: { kmsKeyId: 'arn:aws:kms:us-east-1:444455556666:key/0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e' },
      }),
      config: { organization: { accounts: ['111122223333', '444455556666'] } },
    },
    {
      name: 'UpdateTrail rotating to another key of the own account (alias) is benign',
      expect: 'no-match',
      event: fixture('cloudtrail/UpdateTrail-outside-key', {
        requestParameters: { kmsKeyId: 'alias/cloudtrail-2026' },
      }),
    },
    {
      name: 'UpdateTrail redirects logs to another bucket',
      expect: 'match',
      event: fixture('cloudtrail/UpdateTrail', {
        requestParameters: { isMultiRegionTrail: undefined, s3BucketName: 'log-sink-999988887777' },
      }),
    },
    {
      name: 'UpdateTrail turns an organisation trail into a single-account trail',
      expect: 'match',
      event: fixture('cloudtrail/UpdateTrail', {
        requestParameters: { isMultiRegionTrail: undefined, isOrganizationTrail: false },
      }),
    },
    {
      name: 'PutEventSelectors stops recording management events',
      expect: 'match',
      event: fixture('cloudtrail/PutEventSelectors'),
    },
    {
      name: 'PutEventSelectors keeps only read-only management events',
      expect: 'match',
      event: fixture('cloudtrail/PutEventSelectors', {
        requestParameters: {
          eventSelectors: [{ readWriteType: 'ReadOnly', includeManagementEvents: true, dataResources: [] }],
        },
      }),
    },
    {
      name: 'PutEventSelectors excludes KMS management events',
      expect: 'match',
      event: fixture('cloudtrail/PutEventSelectors', {
        requestParameters: {
          eventSelectors: [
            {
              readWriteType: 'All',
              includeManagementEvents: true,
              dataResources: [],
              excludeManagementEventSources: ['kms.amazonaws.com'],
            },
          ],
        },
      }),
    },
    {
      name: 'advanced selectors with no management selector (data events only)',
      expect: 'match',
      event: fixture('cloudtrail/PutEventSelectors-advanced'),
    },
    {
      name: 'advanced management selector limited to read-only events',
      expect: 'match',
      event: fixture('cloudtrail/PutEventSelectors-advanced', {
        requestParameters: {
          advancedEventSelectors: [
            {
              name: 'Management reads',
              fieldSelectors: [
                { field: 'eventCategory', equals: ['Management'] },
                { field: 'readOnly', equals: ['true'] },
              ],
            },
          ],
        },
      }),
    },
    { name: 'event data store deleted', expect: 'match', event: fixture('cloudtrail/DeleteEventDataStore') },
    {
      name: 'event data store ingestion stopped',
      expect: 'match',
      event: fixture('cloudtrail/StopEventDataStoreIngestion'),
    },
    {
      name: 'a CloudFormation stack weakening the trail is the deployer acting, not a service',
      expect: 'match',
      event: fixture('cloudtrail/UpdateTrail', {
        userIdentity: { invokedBy: 'cloudformation.amazonaws.com' },
        sourceIPAddress: 'cloudformation.amazonaws.com',
        userAgent: 'cloudformation.amazonaws.com',
        tlsDetails: undefined,
      }),
    },
    {
      name: 'UpdateTrail denied',
      expect: 'no-match',
      event: fixture('cloudtrail/UpdateTrail', {
        errorCode: 'AccessDenied',
        errorMessage:
          'User: arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/alice is not authorized to perform: cloudtrail:UpdateTrail',
        responseElements: null,
      }),
    },
    {
      name: 'UpdateTrail enabling log file validation is benign',
      expect: 'no-match',
      event: fixture('cloudtrail/UpdateTrail-enable-validation'),
    },
    {
      name: 'UpdateTrail that only renames the SNS topic is benign',
      expect: 'no-match',
      event: fixture('cloudtrail/UpdateTrail-enable-validation', {
        requestParameters: { enableLogFileValidation: undefined, snsTopicName: 'trail-notifications' },
      }),
    },
    {
      name: 'PutEventSelectors adding S3 data events while keeping management events is benign',
      expect: 'no-match',
      event: fixture('cloudtrail/PutEventSelectors-data-events'),
    },
    {
      name: 'WriteOnly management events (read-only dropped to save cost) is benign',
      expect: 'no-match',
      event: fixture('cloudtrail/PutEventSelectors-data-events', {
        requestParameters: {
          eventSelectors: [{ readWriteType: 'WriteOnly', includeManagementEvents: true, dataResources: [] }],
        },
      }),
    },
    {
      name: 'a ReadOnly selector beside a WriteOnly one still covers every management event',
      expect: 'no-match',
      event: fixture('cloudtrail/PutEventSelectors', {
        requestParameters: {
          eventSelectors: [
            { readWriteType: 'ReadOnly', includeManagementEvents: true, dataResources: [] },
            { readWriteType: 'WriteOnly', includeManagementEvents: true, dataResources: [] },
          ],
        },
      }),
    },
    {
      name: 'advanced selectors keeping management events beside data events are benign',
      expect: 'no-match',
      event: fixture('cloudtrail/PutEventSelectors-advanced', {
        requestParameters: {
          advancedEventSelectors: [
            { name: 'Management events', fieldSelectors: [{ field: 'eventCategory', equals: ['Management'] }] },
            {
              name: 'S3 object writes',
              fieldSelectors: [
                { field: 'eventCategory', equals: ['Data'] },
                { field: 'resources.type', equals: ['AWS::S3::Object'] },
              ],
            },
          ],
        },
      }),
    },
    {
      name: 'the service acting on its own trail (AWSService identity)',
      expect: 'no-match',
      event: fixture('cloudtrail/UpdateTrail', {
        userIdentity: {
          type: 'AWSService',
          invokedBy: 'cloudtrail.amazonaws.com',
          principalId: undefined,
          arn: undefined,
          accessKeyId: undefined,
          sessionContext: undefined,
        },
        sourceIPAddress: 'cloudtrail.amazonaws.com',
        userAgent: 'cloudtrail.amazonaws.com',
      }),
    },
    {
      name: 'StopLogging belongs to cloudtrail.logging-stopped',
      expect: 'no-match',
      event: fixture('cloudtrail/StopLogging'),
    },
  ],
};
