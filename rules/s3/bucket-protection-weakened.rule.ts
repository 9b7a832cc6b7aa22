import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { partitionOf, s3BucketArn } from '../core/arn.ts';
import type { CloudTrailRecord, JsonObject, JsonValue } from '../core/cloudtrail.ts';
import { isJsonObject, param, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';

/** Expiring every object sooner than this is data destruction, not housekeeping. */
const MIN_EXPIRATION_DAYS = 30;
/** A default Object Lock retention shorter than this cannot outlast an incident's detection and response. */
const MIN_RETENTION_DAYS = 7;
const DAY_MS = 24 * 3600 * 1000;

const listOf = (v: JsonValue | undefined): JsonObject[] =>
  (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter(isJsonObject);

const numberOf = (v: JsonValue | undefined): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
};

/**
 * MFA delete switched off, however the record spells it: `MfaDelete` (the S3 XML element), `MFADelete` (the SDKs'
 * name) or `mfaDeleteEnabled: false` (the flattened form Elastic's detection rule reads, beside the configuration).
 */
const mfaDeleteDisabled = (e: CloudTrailRecord, config: JsonObject): boolean => {
  const flag = param(e.requestParameters, 'mfaDeleteEnabled') ?? config.mfaDeleteEnabled;
  return config.MfaDelete === 'Disabled' || config.MFADelete === 'Disabled' || flag === false || flag === 'false';
};

const versioningWeakened = (e: CloudTrailRecord): boolean => {
  const config = param(e.requestParameters, 'VersioningConfiguration');
  const settings = isJsonObject(config) ? config : {};
  if (!isJsonObject(config) && param(e.requestParameters, 'mfaDeleteEnabled') === undefined) return false;
  return settings.Status === 'Suspended' || mfaDeleteDisabled(e, settings);
};

/**
 * Prefixes a lifecycle rule aims at every object or at the audit logs with. S3 prefixes are literal, so `*`
 * matches no key, yet it is what an intruder writes for "everything" (Stratus Red Team's cloudtrail-lifecycle-rule
 * sends `Prefix: "*"`): fail safe and read the intent. `AWSLogs/` is where CloudTrail, Config, VPC flow logs
 * and load balancers deliver: expiring it destroys the audit trail while the rest of the bucket stays.
 */
const WIDE_OR_AUDIT_PREFIX = /^(\/?\*?|\/?AWSLogs(\/.*)?)$/i;
const aimsWideOrAtLogs = (prefix: JsonValue | undefined): boolean =>
  prefix === undefined || (typeof prefix === 'string' && WIDE_OR_AUDIT_PREFIX.test(prefix));

/**
 * Does a lifecycle rule cover every object, or the audit logs? No filter, an empty filter, or a prefix (in the
 * filter or, in the older format, on the rule) that is empty, `*` or under `AWSLogs/`. Any tag, size or other
 * prefix narrows it.
 */
const coversAllObjects = (rule: JsonObject): boolean => {
  const filter = rule.Filter;
  if (filter === undefined || filter === null || filter === '') return aimsWideOrAtLogs(rule.Prefix ?? '');
  if (!isJsonObject(filter)) return false;
  return Object.entries(filter).every(([key, value]) => key === 'Prefix' && aimsWideOrAtLogs(value));
};

/** Expiration in days, or the days from the event to an expiration date (a date in the past expires at once). */
const expiresWithinDays = (rule: JsonObject, eventTime: string): number | undefined => {
  const expiration = rule.Expiration;
  if (!isJsonObject(expiration)) return undefined;
  const days = numberOf(expiration.Days);
  if (days !== undefined) return days;
  const date = typeof expiration.Date === 'string' ? Date.parse(expiration.Date) : Number.NaN;
  const now = Date.parse(eventTime);
  return Number.isNaN(date) || Number.isNaN(now) ? undefined : (date - now) / DAY_MS;
};

const lifecycleDestroys = (e: CloudTrailRecord): boolean =>
  listOf(param(e.requestParameters, 'LifecycleConfiguration', 'Rule')).some((rule) => {
    if (rule.Status !== 'Enabled' || !coversAllObjects(rule)) return false;
    const days = expiresWithinDays(rule, e.eventTime);
    return days !== undefined && days < MIN_EXPIRATION_DAYS;
  });

/**
 * The request replaces the whole Object Lock configuration: no default retention means the default rule is gone
 * (or was never set), and a short one means new objects are barely protected.
 */
const objectLockWeakened = (e: CloudTrailRecord): boolean => {
  const config = param(e.requestParameters, 'ObjectLockConfiguration');
  if (!isJsonObject(config)) return false;
  const retention = param(config, 'Rule', 'DefaultRetention');
  if (!isJsonObject(retention)) return true;
  const years = numberOf(retention.Years);
  const days = years !== undefined ? years * 365 : numberOf(retention.Days);
  return days !== undefined && days < MIN_RETENTION_DAYS;
};

const weakens = (e: CloudTrailRecord): boolean => {
  switch (e.eventName) {
    case 'DeleteBucketEncryption':
      return true;
    case 'PutBucketVersioning':
      return versioningWeakened(e);
    case 'PutBucketLifecycle':
      return lifecycleDestroys(e);
    default:
      return objectLockWeakened(e);
  }
};

/** One line for the finding: which protection went. */
const whatWeakened = (e: CloudTrailRecord): string => {
  switch (e.eventName) {
    case 'DeleteBucketEncryption':
      return 'default encryption configuration deleted (back to SSE-S3)';
    case 'PutBucketVersioning':
      return param(e.requestParameters, 'VersioningConfiguration', 'Status') === 'Suspended'
        ? 'versioning suspended'
        : 'MFA delete disabled';
    case 'PutBucketLifecycle':
      return `a lifecycle rule expires every object (or the AWSLogs/ audit logs) within ${MIN_EXPIRATION_DAYS} days`;
    default:
      return isJsonObject(param(e.requestParameters, 'ObjectLockConfiguration', 'Rule', 'DefaultRetention'))
        ? `Object Lock default retention under ${MIN_RETENTION_DAYS} days`
        : 'Object Lock default retention removed';
  }
};

const bucketOf = (e: CloudTrailRecord): string => stringParam(e.requestParameters, 'bucketName') ?? 'unknown-bucket';
const viaCloudFormation = {
  userIdentity: {
    type: 'AssumedRole',
    principalId: 'AROACKCEVSQ6C2EXAMPLE:AWSCloudFormation',
    arn: 'arn:aws:sts::111122223333:assumed-role/deploy-role/AWSCloudFormation',
    accessKeyId: 'ASIAIOSFODNN7EXAMPLE',
    userName: undefined,
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: 'AROACKCEVSQ6C2EXAMPLE',
        arn: 'arn:aws:iam::111122223333:role/deploy-role',
        accountId: '111122223333',
        userName: 'deploy-role',
      },
      attributes: { creationDate: '2026-11-02T16:20:00Z', mfaAuthenticated: 'false' },
    },
    invokedBy: 'cloudformation.amazonaws.com',
  },
  sourceIPAddress: 'cloudformation.amazonaws.com',
  userAgent: 'cloudformation.amazonaws.com',
};
const lifecycle = (...rules: Record<string, unknown>[]) => ({
  requestParameters: {
    // A list replaces the fixture's rule outright (objects would merge into it).
    LifecycleConfiguration: { Rule: rules, xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/' },
  },
});
const objectLock = (rule: Record<string, unknown> | undefined) => ({
  requestParameters: {
    ObjectLockConfiguration: {
      ObjectLockEnabled: 'Enabled',
      Rule: rule,
      xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/',
    },
  },
});

export const rule = defineRule({
  id: 's3.bucket-protection-weakened',
  title: 'S3 bucket data protection weakened (encryption, versioning, lifecycle, lock)',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.5.23'],
  mitre: ['T1485', 'T1490', 'T1562'],
  on: {
    source: 's3',
    // PutBucketLifecycleConfiguration (the current API) is logged as PutBucketLifecycle, like the old one.
    eventNames: ['DeleteBucketEncryption', 'PutBucketVersioning', 'PutBucketLifecycle', 'PutObjectLockConfiguration'],
  },
  match: (e, ctx) => isUnapprovedChange(e, ctx.config.approved) && weakens(e),
  explain: (e, ctx) => [whatWeakened(e), ...unapprovedReasons(e, ctx.config.approved)],
  dedup: { key: (e) => `${bucketOf(e)}|${e.eventName}` },
  resources: (e) => [s3BucketArn(partitionOf(e.awsRegion), bucketOf(e))],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A bucket lost a data-protection setting: default encryption deleted, versioning suspended or MFA delete ' +
    'disabled, a lifecycle rule that expires every object within 30 days, or an Object Lock configuration with ' +
    'no default retention or one shorter than 7 days. Outside the approved deployment process.',
  runbook: [
    "Read the bucket's current protection: `aws s3api get-bucket-encryption --bucket <bucket>`, `aws s3api get-bucket-versioning --bucket <bucket>`, `aws s3api get-bucket-lifecycle-configuration --bucket <bucket>`, `aws s3api get-object-lock-configuration --bucket <bucket>`.",
    'Unless a change record covers it, restore the setting: `aws s3api put-bucket-encryption --bucket <bucket> --server-side-encryption-configuration file://previous.json`, `aws s3api put-bucket-versioning --bucket <bucket> --versioning-configuration Status=Enabled`, `aws s3api delete-bucket-lifecycle --bucket <bucket>` (or put back the previous rules), `aws s3api put-object-lock-configuration --bucket <bucket> --object-lock-configuration file://previous.json`.',
    'A short expiration acts at the next lifecycle run (daily): if objects have already expired and versioning is on, restore them by deleting the delete markers (`aws s3api list-object-versions --bucket <bucket>`); without versioning they are gone.',
    'Look for the rest of a destruction or ransom sequence by the same actor: DeleteObjects, PutBucketPolicy denying the owner, CopyObject with SSE-C or a foreign KMS key, and s3.bucket-made-public findings.',
    'If the actor is not the bucket owner, treat it as an incident and review their calls; protect critical buckets with an SCP denying these actions outside break-glass.',
  ],
  rationale:
    'Each event removes a layer that lets data be recovered or keeps it under your keys, the preparation for ' +
    'destruction or ransom (T1485, T1490) and a form of impairing defences (T1562). One successful call is a ' +
    'finding, without a threshold, unless it came from an approved automation role through approved IaC tooling ' +
    '(planned changes) or from AWS itself. Medium by default, high on high-criticality assets: one setting alone ' +
    'does not lose data. Precision over recall: lifecycle rules match only when enabled, covering every object ' +
    '(no prefix, tag or size filter) and expiring current objects within 30 days (or on a date within 30 days of ' +
    'the event); transitions and noncurrent-version expirations never match. Object Lock lowering cannot be seen ' +
    'from one event (the old value is not logged), so the rule matches a configuration without default retention ' +
    'or with one under 7 days. Since 2023 S3 encrypts every object with SSE-S3 anyway, so DeleteBucketEncryption ' +
    'means losing your own KMS key control and audit trail rather than encryption at rest; it still matches. ' +
    'DeleteBucketReplication and DeleteBucketLifecycle are not protection changes and are not watched.',
  falsePositives: [
    'Scratch, cache or build-artifact buckets that expire everything quickly by design, configured by hand: move the change into IaC or suppress per bucket.',
    'Enabling Object Lock on an existing bucket without a default retention (retention set per object) looks the same as removing the default rule.',
    'Tearing down a bucket (suspending versioning before emptying it) outside the pipeline.',
  ],
  cases: () => [
    { name: 'default encryption deleted', expect: 'match', event: fixture('s3/DeleteBucketEncryption') },
    { name: 'versioning suspended', expect: 'match', event: fixture('s3/PutBucketVersioning-suspended') },
    {
      name: 'versioning suspended on a high-criticality bucket',
      expect: 'match',
      criticality: 'high',
      event: fixture('s3/PutBucketVersioning-suspended'),
    },
    {
      name: 'MFA delete disabled',
      expect: 'match',
      event: fixture('s3/PutBucketVersioning-suspended', {
        requestParameters: { VersioningConfiguration: { Status: 'Enabled', MfaDelete: 'Disabled' } },
      }),
    },
    {
      // Elastic's rule (defense_evasion_s3_mfa_delete_disabled) reads the change as `mfaDeleteEnabled: false`.
      name: 'MFA delete disabled, logged as mfaDeleteEnabled: false',
      expect: 'match',
      event: fixture('s3/PutBucketVersioning-suspended', {
        requestParameters: { mfaDeleteEnabled: false, VersioningConfiguration: { Status: 'Enabled' } },
      }),
    },
    {
      name: 'MFA delete disabled, spelled MFADelete as the SDKs spell it',
      expect: 'match',
      event: fixture('s3/PutBucketVersioning-suspended', {
        requestParameters: { VersioningConfiguration: { Status: 'Enabled', MFADelete: 'Disabled' } },
      }),
    },
    {
      name: 'MFA delete enabled (mfaDeleteEnabled: "true") is benign',
      expect: 'no-match',
      event: fixture('s3/PutBucketVersioning-suspended', {
        requestParameters: { mfaDeleteEnabled: 'true', VersioningConfiguration: { Status: 'Enabled' } },
      }),
    },
    {
      name: 'versioning enabled is benign',
      expect: 'no-match',
      event: fixture('s3/PutBucketVersioning-suspended', {
        requestParameters: { VersioningConfiguration: { Status: 'Enabled' } },
      }),
    },
    { name: 'every object expires after 1 day', expect: 'match', event: fixture('s3/PutBucketLifecycle') },
    {
      name: 'trail logs expire after 1 day with the literal prefix "*" (Stratus Red Team cloudtrail-lifecycle-rule)',
      expect: 'match',
      event: fixture('s3/PutBucketLifecycle-trail-logs'),
    },
    {
      name: 'only the CloudTrail logs under AWSLogs/ expire after 1 day',
      expect: 'match',
      event: fixture(
        's3/PutBucketLifecycle',
        lifecycle({
          ID: 'logs',
          Status: 'Enabled',
          Filter: { Prefix: 'AWSLogs/111122223333/CloudTrail/' },
          Expiration: { Days: 1 },
        }),
      ),
    },
    {
      name: 'every object expires after 7 days (old-style rule with an empty Prefix), among other rules',
      expect: 'match',
      event: fixture(
        's3/PutBucketLifecycle',
        lifecycle(
          {
            ID: 'archive',
            Status: 'Enabled',
            Filter: { Prefix: 'archive/' },
            Transition: { Days: 30, StorageClass: 'GLACIER' },
          },
          { ID: 'expire', Status: 'Enabled', Prefix: '', Expiration: { Days: '7' } },
        ),
      ),
    },
    {
      name: 'every object expires on a date a day after the change',
      expect: 'match',
      event: fixture(
        's3/PutBucketLifecycle',
        lifecycle({ ID: 'expire', Status: 'Enabled', Filter: '', Expiration: { Date: '2026-11-03T00:00:00Z' } }),
      ),
    },
    {
      name: 'expiring only a tmp/ prefix after 1 day is housekeeping',
      expect: 'no-match',
      event: fixture(
        's3/PutBucketLifecycle',
        lifecycle({ ID: 'tmp', Status: 'Enabled', Filter: { Prefix: 'tmp/' }, Expiration: { Days: 1 } }),
      ),
    },
    {
      name: 'expiring every object after 365 days is retention',
      expect: 'no-match',
      event: fixture(
        's3/PutBucketLifecycle',
        lifecycle({
          ID: 'retention',
          Status: 'Enabled',
          Filter: {},
          Expiration: { Days: 365 },
          NoncurrentVersionExpiration: { NoncurrentDays: 7 },
        }),
      ),
    },
    {
      name: 'a disabled 1-day rule',
      expect: 'no-match',
      event: fixture(
        's3/PutBucketLifecycle',
        lifecycle({ ID: 'expire-everything', Status: 'Disabled', Filter: { Prefix: '' }, Expiration: { Days: 1 } }),
      ),
    },
    {
      name: 'cleaning up incomplete uploads and delete markers only',
      expect: 'no-match',
      event: fixture(
        's3/PutBucketLifecycle',
        lifecycle({
          ID: 'cleanup',
          Status: 'Enabled',
          Filter: { Prefix: '' },
          Expiration: { ExpiredObjectDeleteMarker: true },
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
        }),
      ),
    },
    {
      name: 'Object Lock default retention cut to 1 day',
      expect: 'match',
      event: fixture('s3/PutObjectLockConfiguration'),
    },
    {
      name: 'Object Lock default retention removed',
      expect: 'match',
      event: fixture('s3/PutObjectLockConfiguration', objectLock(undefined)),
    },
    {
      name: 'Object Lock in compliance mode for a year',
      expect: 'no-match',
      event: fixture(
        's3/PutObjectLockConfiguration',
        objectLock({ DefaultRetention: { Mode: 'COMPLIANCE', Days: undefined, Years: 1 } }),
      ),
    },
    {
      name: 'DeleteBucketEncryption denied',
      expect: 'no-match',
      event: fixture('s3/DeleteBucketEncryption', { errorCode: 'AccessDenied', errorMessage: 'Access Denied' }),
    },
    {
      name: 'suspending versioning refused on an Object Lock bucket',
      expect: 'no-match',
      event: fixture('s3/PutBucketVersioning-suspended', {
        errorCode: 'InvalidBucketState',
        errorMessage:
          'An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.',
      }),
    },
    {
      name: 'lifecycle set by the approved pipeline through CloudFormation',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('s3/PutBucketLifecycle', viaCloudFormation),
    },
    {
      name: 'the deploy role used by hand is not the approved process',
      expect: 'match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('s3/PutBucketLifecycle', {
        ...viaCloudFormation,
        userIdentity: { ...viaCloudFormation.userIdentity, invokedBy: undefined },
        sourceIPAddress: '198.51.100.23',
        userAgent: 'aws-cli/2.22.4 md/command#s3api.put-bucket-lifecycle-configuration',
      }),
    },
    {
      name: 'a service acting on its own bucket (service-invoked)',
      expect: 'no-match',
      event: fixture('s3/PutBucketLifecycle', {
        userIdentity: {
          type: 'AWSService',
          invokedBy: 'athena.amazonaws.com',
          principalId: undefined,
          arn: undefined,
          accountId: undefined,
          accessKeyId: undefined,
          userName: undefined,
        },
        sourceIPAddress: 'athena.amazonaws.com',
        userAgent: 'athena.amazonaws.com',
      }),
    },
  ],
};
