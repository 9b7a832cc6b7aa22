import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord, JsonValue } from '../core/cloudtrail.ts';
import { isJsonObject, isSuccess, stringParam } from '../core/cloudtrail.ts';
import type { DetectionConfig } from '../core/config.ts';
import { defineRule } from '../core/define-rule.ts';
import { callPolicyExposure, findParam } from '../core/policy-call.ts';
import type { PolicyExposure } from '../core/resource-policy.ts';
import { describeOpenedExposure, isOpenedExposure } from '../core/resource-policy.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

const POLICY_EVENTS = [
  'PutAccessPointPolicy',
  'PutAccessPointPolicyForObjectLambda',
  'PutMultiRegionAccessPointPolicy',
] as const;
const CREATE_EVENTS = ['CreateAccessPoint', 'CreateAccessPointForObjectLambda'] as const;

const accessPointArn = (e: CloudTrailRecord): string =>
  e.resources?.find((r) => r.ARN?.includes(':accesspoint/'))?.ARN ??
  stringParam(e.responseElements, 'accessPointArn') ??
  resourceArn(e, 's3', `accesspoint/${stringParam(e.requestParameters, 'name') ?? 'unknown'}`);

const exposureOf = (e: CloudTrailRecord, config: DetectionConfig): PolicyExposure | undefined =>
  e.eventName.startsWith('Create')
    ? undefined
    : callPolicyExposure(e, ['policy'], config.organization, accessPointArn(e));

const isFalse = (v: JsonValue | undefined): boolean => v === false || v === 'false';

/**
 * An internet-origin access point (no VpcConfiguration) created with its own Block Public Access turned off for
 * policies: the only thing that stops a later public access point policy is gone. Left out, every block is on.
 */
const createdUnblocked = (e: CloudTrailRecord): string | undefined => {
  if (!e.eventName.startsWith('Create')) return undefined;
  if (findParam(e.requestParameters, ['VpcConfiguration']) !== undefined) return undefined;
  const block = findParam(e.requestParameters, ['PublicAccessBlockConfiguration']);
  if (block === undefined || !isJsonObject(block)) return undefined;
  const off = ['BlockPublicPolicy', 'RestrictPublicBuckets'].filter((k) => isFalse(findParam(block, [k], 1)));
  return off.length > 0 ? `internet access point created with ${off.join(' and ')} off` : undefined;
};

const ORG = { id: 'o-a1b2c3d4e5', accounts: ['111122223333', '444455556666'] };
const AP = 'arn:aws:s3:eu-west-1:111122223333:accesspoint/reports-ap';
const withPolicy = (statement: Record<string, unknown>) => ({
  requestParameters: {
    PutAccessPointPolicyRequest: {
      Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Resource: `${AP}/object/*`, ...statement }] }),
    },
  },
});

export const rule = defineRule({
  id: 's3.access-point-opened',
  title: 'S3 access point opened to the public or to an account outside the org',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.5.23', 'A.8.3'],
  mitre: ['T1530'],
  on: { source: 's3', eventNames: [...POLICY_EVENTS, ...CREATE_EVENTS] },
  match: (e, ctx) => isSuccess(e) && (createdUnblocked(e) !== undefined || isOpenedExposure(exposureOf(e, ctx.config))),
  explain: (e, ctx) => {
    const unblocked = createdUnblocked(e);
    return [...(unblocked === undefined ? [] : [unblocked]), ...describeOpenedExposure(exposureOf(e, ctx.config))];
  },
  dedup: { key: accessPointArn },
  resources: (e) => [accessPointArn(e)],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An S3 access point (standard, Object Lambda or multi-Region) got a policy that lets everyone, or an account ' +
    'outside the organisation, reach the bucket through it; or an internet access point was created with its Block ' +
    'Public Access for policies turned off. Access points are a side door: the bucket policy can stay untouched.',
  runbook: [
    'Read the access point and its policy: `aws s3control get-access-point --account-id <acct> --name <ap>`, `aws s3control get-access-point-policy --account-id <acct> --name <ap>`.',
    'Unless documented, delete the policy (`aws s3control delete-access-point-policy`) or the access point itself.',
    'Check S3 data events (or server access logs) for requests through the access point from outside since the change.',
  ],
  rationale:
    'One successful call is enough. High by default, critical on high-criticality assets, like bucket policies. ' +
    'Public and outside-organisation follow the shared resource-policy analysis; the account-level Block Public Access ' +
    'may still stop a public policy, which the finding cannot see, so it is reported regardless.',
  falsePositives: ['Access points for documented partners, while organization.accounts is empty or out of date.'],
  cases: () => [
    { name: 'anyone may read through the access point', expect: 'match', event: fixture('s3/PutAccessPointPolicy') },
    {
      name: 'internet access point created without its public-policy blocks',
      expect: 'match',
      event: fixture('s3/CreateAccessPoint'),
    },
    {
      name: 'an outside account may read',
      expect: 'match',
      config: { organization: ORG },
      event: fixture(
        's3/PutAccessPointPolicy',
        withPolicy({
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::999988887777:role/etl' },
          Action: 's3:GetObject',
        }),
      ),
    },
    {
      name: 'VPC-only access point',
      expect: 'no-match',
      event: fixture('s3/CreateAccessPoint', {
        requestParameters: { CreateAccessPointRequest: { VpcConfiguration: { VpcId: 'vpc-0a1b2c3d4e5f60718' } } },
      }),
    },
    {
      name: 'access point created with the default blocks',
      expect: 'no-match',
      event: fixture('s3/CreateAccessPoint', {
        requestParameters: { CreateAccessPointRequest: { PublicAccessBlockConfiguration: undefined } },
      }),
    },
    {
      name: 'a member account may read',
      expect: 'no-match',
      config: { organization: ORG },
      event: fixture(
        's3/PutAccessPointPolicy',
        withPolicy({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::444455556666:root' }, Action: 's3:GetObject' }),
      ),
    },
    {
      name: 'PutAccessPointPolicy denied',
      expect: 'no-match',
      event: fixture('s3/PutAccessPointPolicy', { errorCode: 'AccessDenied', errorMessage: 'Access Denied' }),
    },
  ],
};
