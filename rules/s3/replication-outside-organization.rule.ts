import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { partitionOf, s3BucketArn } from '../core/arn.ts';
import type { CloudTrailRecord, JsonObject } from '../core/cloudtrail.ts';
import { accountOf, isJsonObject, isServiceInvoked, isSuccess, param, stringParam } from '../core/cloudtrail.ts';
import type { DetectionConfig } from '../core/config.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

interface Destination {
  readonly bucket: string;
  /** `Destination.Account`: sent only with an owner override; the bucket ARN never names its account. */
  readonly account?: string;
}

/** The enabled rules' destinations. `ReplicationConfiguration.Rule` is one object or a list, as in the S3 XML. */
const destinations = (e: CloudTrailRecord): Destination[] => {
  const rules = param(e.requestParameters, 'ReplicationConfiguration', 'Rule');
  const list: JsonObject[] = (Array.isArray(rules) ? rules : [rules]).filter(isJsonObject);
  return list.flatMap((r) => {
    const d = r.Destination;
    if (r.Status === 'Disabled' || !isJsonObject(d)) return [];
    const account = d.Account === undefined || d.Account === null ? undefined : String(d.Account);
    return [{ bucket: typeof d.Bucket === 'string' ? d.Bucket : 'unknown-bucket', ...(account ? { account } : {}) }];
  });
};

const outsideDestinations = (e: CloudTrailRecord, config: DetectionConfig): Destination[] => {
  const members = new Set([accountOf(e), ...config.organization.accounts]);
  return destinations(e).filter((d) => d.account !== undefined && !members.has(d.account));
};

/** Destinations whose owner the record cannot tell: the bucket may be anyone's that lets the role write. */
const unnamedDestinations = (e: CloudTrailRecord): Destination[] =>
  destinations(e).filter((d) => d.account === undefined);

const bucketOf = (e: CloudTrailRecord): string => stringParam(e.requestParameters, 'bucketName') ?? 'unknown-bucket';

const ORG = { accounts: ['111122223333', '444455556666'] };
const toDestination = (Destination: Record<string, unknown>) => ({
  requestParameters: { ReplicationConfiguration: { Rule: { Destination } } },
});

export const rule = defineRule({
  id: 's3.replication-outside-organization',
  title: 'S3 bucket replicated outside the organisation or to a bucket of unknown owner',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.5.23', 'A.8.3'],
  mitre: ['T1537'],
  on: { source: 's3', eventNames: ['PutBucketReplication'] },
  match: (e, ctx) =>
    isSuccess(e) &&
    !isServiceInvoked(e) &&
    (outsideDestinations(e, ctx.config).length > 0 ||
      (unnamedDestinations(e).length > 0 && isUnapprovedChange(e, ctx.config.approved))),
  explain: (e, ctx) => [
    ...outsideDestinations(e, ctx.config).map(
      (d) => `every new object is copied to ${d.bucket} in account ${d.account}, outside the organisation`,
    ),
    ...(outsideDestinations(e, ctx.config).length === 0
      ? unnamedDestinations(e).map(
          (d) => `every new object is copied to ${d.bucket}, whose owner the request does not name`,
        )
      : []),
    ...unapprovedReasons(e, ctx.config.approved),
  ],
  dedup: { key: (e) => `${accountOf(e)}|${bucketOf(e)}` },
  resources: (e) => [s3BucketArn(partitionOf(e.awsRegion), bucketOf(e))],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'PutBucketReplication set a replication rule whose destination account (`Destination.Account`) is neither the ' +
    "bucket's own account nor in organization.accounts; or, outside the approved process, a destination given only " +
    "as a bucket ARN (which never names its owner, and the attacker's own bucket works as long as its policy lets " +
    'the replication role write).',
  runbook: [
    'See the configuration: `aws s3api get-bucket-replication --bucket <bucket>`; remove it unless it is a documented ' +
      'one: `aws s3api delete-bucket-replication --bucket <bucket>`.',
    "Find the destination's owner: `aws s3api get-bucket-replication` names the bucket; a bucket outside your " +
      'accounts answers HeadBucket with 403 from every one of them.',
    'Objects written since the call have been copied; existing ones only if a Batch Replication job ran ' +
      '(look for s3:CreateJob by the same principal). Treat the data as disclosed.',
    'Check who could pass the replication role (iam:PassRole) and restrict s3:PutReplicationConfiguration by SCP.',
  ],
  rationale:
    'Replication is a management-plane call that turns every later write into an exfiltration with no data events ' +
    '(hackingthe.cloud S3 replication exfiltration; Splunk aws_exfiltration_via_bucket_replication). Splunk reads ' +
    '`ReplicationConfiguration.Rule.Destination.Bucket`; the account is known only when the owner override sends ' +
    'it. High, critical on high-criticality accounts; disabled rules are not judged.',
  falsePositives: [
    'Replication to a partner or backup account not yet in organization.accounts: add the account, or make the ' +
      'change through the approved deployment role.',
    'Same-account or in-organisation replication set by hand without Destination.Account: matches until it goes ' +
      'through the approved process.',
  ],
  cases: () => [
    {
      name: 'replicated to an outside account (owner override)',
      expect: 'match',
      event: fixture('s3/PutBucketReplication'),
      config: { organization: ORG },
    },
    {
      name: 'destination bucket only, by a person',
      expect: 'match',
      event: fixture('s3/PutBucketReplication', toDestination({ Account: null, AccessControlTranslation: null })),
      config: { organization: ORG },
    },
    {
      name: 'rules as a list, the second one outside',
      expect: 'match',
      event: fixture('s3/PutBucketReplication', {
        requestParameters: {
          ReplicationConfiguration: {
            Rule: [
              { ID: 'dr', Status: 'Enabled', Destination: { Bucket: 'arn:aws:s3:::dr-copy', Account: '444455556666' } },
              { ID: 'x', Status: 'Enabled', Destination: { Bucket: 'arn:aws:s3:::x', Account: '999988887777' } },
            ],
          },
        },
      }),
      config: { organization: ORG },
    },
    {
      name: 'replicated to a sister account of the organisation',
      expect: 'no-match',
      event: fixture('s3/PutBucketReplication', toDestination({ Account: '444455556666' })),
      config: { organization: ORG },
    },
    {
      name: 'outside rule present but disabled',
      expect: 'no-match',
      event: fixture('s3/PutBucketReplication', {
        requestParameters: { ReplicationConfiguration: { Rule: { Status: 'Disabled' } } },
      }),
      config: { organization: ORG },
    },
    {
      name: 'destination bucket only, by the approved pipeline',
      expect: 'no-match',
      event: fixture('s3/PutBucketReplication', {
        ...BY_APPROVED_DEPLOY,
        ...toDestination({ Account: null, AccessControlTranslation: null }),
      }),
      config: { organization: ORG, approved: APPROVED_DEPLOYS },
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture('s3/PutBucketReplication', denied('AccessDenied', 's3:PutReplicationConfiguration')),
      config: { organization: ORG },
    },
  ],
};
