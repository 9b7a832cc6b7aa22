import { partitionOf, s3BucketArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isJsonObject, isSuccess, param, stringParam } from '../core/cloudtrail.ts';
import type { DetectionConfig } from '../core/config.ts';
import { defineRule } from '../core/define-rule.ts';
import {
  analyzeResourcePolicy,
  describeOpenedExposure,
  orgPolicyExposure,
  stringsOf,
} from '../core/resource-policy.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

/** Canned ACLs that grant to AllUsers or AuthenticatedUsers (any AWS account in the world). */
const PUBLIC_CANNED_ACLS = new Set(['public-read', 'public-read-write', 'authenticated-read']);
const PUBLIC_GROUP_URI = /acs\.amazonaws\.com\/groups\/global\/(AllUsers|AuthenticatedUsers)\b/;
const GRANT_HEADERS = [
  'x-amz-grant-read',
  'x-amz-grant-write',
  'x-amz-grant-read-acp',
  'x-amz-grant-write-acp',
  'x-amz-grant-full-control',
];

/** CloudTrail logs request headers as a string or a one-element list (`"x-amz-acl": ["public-read"]`). */
const headerValues = (e: CloudTrailRecord, name: string): string[] => stringsOf(param(e.requestParameters, name));

const publicCannedAcl = (e: CloudTrailRecord): boolean =>
  headerValues(e, 'x-amz-acl').some((acl) => PUBLIC_CANNED_ACLS.has(acl.trim().toLowerCase()));

/** `x-amz-grant-read: uri="http://acs.amazonaws.com/groups/global/AllUsers"` and friends. */
const publicGrantHeader = (e: CloudTrailRecord): boolean =>
  GRANT_HEADERS.some((header) => headerValues(e, header).some((value) => PUBLIC_GROUP_URI.test(value)));

/** `AccessControlPolicy.AccessControlList.Grant` is one object or a list of them. */
const publicAclGrant = (e: CloudTrailRecord): boolean => {
  const grant = param(e.requestParameters, 'AccessControlPolicy', 'AccessControlList', 'Grant');
  const grants = Array.isArray(grant) ? grant : grant === undefined ? [] : [grant];
  return grants.some(
    (g) => isJsonObject(g) && isJsonObject(g.Grantee) && PUBLIC_GROUP_URI.test(String(g.Grantee.URI ?? '')),
  );
};

const publicPolicy = (e: CloudTrailRecord): boolean =>
  analyzeResourcePolicy(param(e.requestParameters, 'bucketPolicy')).kind === 'public';

/**
 * A bucket policy granting an account outside the organisation (Stratus Red Team's s3-backdoor-bucket-policy:
 * `Principal: {AWS: "arn:aws:iam::<other>:root"}`) exposes the data as surely as a public one, to someone who
 * needs no scanner. Judged with the shared resource-policy perimeter (`organization` in config; without it every
 * account but the bucket's own is outside).
 */
const outsidePolicy = (e: CloudTrailRecord, config: DetectionConfig) =>
  orgPolicyExposure(param(e.requestParameters, 'bucketPolicy'), accountOf(e), config.organization);

const bucketOf = (e: CloudTrailRecord): string => stringParam(e.requestParameters, 'bucketName') ?? 'unknown-bucket';

const everyoneReads = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'PublicRead',
      Effect: 'Allow',
      Principal: '*',
      Action: 's3:GetObject',
      Resource: 'arn:aws:s3:::example-reports/*',
    },
  ],
};
const withCondition = (condition: Record<string, unknown>) => ({
  Version: '2012-10-17',
  Statement: [{ ...everyoneReads.Statement[0], Condition: condition }],
});

export const rule = defineRule({
  id: 's3.bucket-made-public',
  title: 'S3 bucket made public, or opened outside the organisation, by policy or ACL',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.5.23'],
  mitre: ['T1530'],
  on: { source: 's3', eventNames: ['PutBucketPolicy', 'PutBucketAcl', 'CreateBucket'] },
  explain: (e, ctx) => {
    const policy = analyzeResourcePolicy(param(e.requestParameters, 'bucketPolicy'));
    if (policy.kind === 'public') return [`public policy statements: ${policy.statements.join(', ')}`];
    const outside = outsidePolicy(e, ctx.config);
    if (outside?.kind === 'outside-org') return describeOpenedExposure(outside);
    return publicCannedAcl(e) || publicGrantHeader(e) || publicAclGrant(e)
      ? ['ACL grants access to AllUsers or AuthenticatedUsers']
      : [];
  },
  match: (e, ctx) => {
    if (!isSuccess(e)) return false;
    switch (e.eventName) {
      case 'PutBucketPolicy':
        return publicPolicy(e) || outsidePolicy(e, ctx.config)?.kind === 'outside-org';
      case 'PutBucketAcl':
        return publicAclGrant(e) || publicCannedAcl(e) || publicGrantHeader(e);
      default:
        return publicCannedAcl(e) || publicGrantHeader(e);
    }
  },
  dedup: { key: bucketOf },
  resources: (e) => [s3BucketArn(partitionOf(e.awsRegion), bucketOf(e))],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A bucket policy, bucket ACL or canned ACL now grants access to everyone (Principal "*" with no restricting ' +
    'condition, or the AllUsers / AuthenticatedUsers groups), so anyone on the internet can reach the bucket ' +
    'unless Block Public Access still stops it; or a bucket policy now grants an account outside the ' +
    'organisation, which Block Public Access never stops.',
  runbook: [
    'Confirm what is now public: `aws s3api get-bucket-policy-status --bucket <bucket>`, `aws s3api get-bucket-policy --bucket <bucket>` and `aws s3api get-bucket-acl --bucket <bucket>`.',
    'If the exposure is not an approved public bucket, block it at once: `aws s3api put-public-access-block --bucket <bucket> --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true`.',
    'Remove the public grant: `aws s3api delete-bucket-policy --bucket <bucket>` (or put back the previous policy) and `aws s3api put-bucket-acl --bucket <bucket> --acl private`.',
    'Check account-level Block Public Access is still on: `aws s3control get-public-access-block --account-id <account>`.',
    'Find out what was read while it was open: S3 server access logs or CloudTrail data events (GetObject/ListObjects from outside the organisation) for the exposure window.',
    'If the actor is not the owner of the bucket or the approved deploy role, treat it as an incident: review every call by that principal and rotate its credentials.',
  ],
  rationale:
    'A single successful call is enough: a public bucket is exposed the moment the call returns and scanners find ' +
    'new public buckets within minutes. High by default, critical on high-criticality assets (data at risk). ' +
    'Policies follow S3\'s own "meaning of public": an Allow to "*" stays private only when a condition pins it to ' +
    'fixed values of keys such as aws:PrincipalOrgID, aws:SourceVpce or a narrow aws:SourceIp. Deny statements ' +
    '(e.g. TLS-only) never count. A policy that cannot be parsed does not match (a successful call means S3 ' +
    'accepted it, so this only happens when CloudTrail truncated it).',
  falsePositives: [
    'Buckets meant to be public (static websites, public datasets): approve them with a dated, reasoned suppression for that bucket.',
    'A public Allow made private in practice by a separate Deny statement (data-perimeter pattern) still matches: only the Allow statements are judged.',
    'CloudFront access through a public policy instead of Origin Access Control: move to OAC rather than suppress.',
  ],
  cases: () => [
    { name: 'public bucket policy (Principal "*")', expect: 'match', event: fixture('s3/PutBucketPolicy-public') },
    {
      name: 'policy granting an account outside the organisation (Stratus Red Team s3-backdoor-bucket-policy)',
      expect: 'match',
      event: fixture('s3/PutBucketPolicy-external-account'),
      config: { organization: { accounts: ['111122223333', '444455556666'] } },
    },
    {
      name: 'policy granting another account of the organisation',
      expect: 'no-match',
      event: fixture('s3/PutBucketPolicy-external-account'),
      config: { organization: { accounts: ['111122223333', '444455556666', '999988887777'] } },
    },
    {
      name: 'public bucket policy logged as a JSON string',
      expect: 'match',
      event: fixture('s3/PutBucketPolicy-public', {
        requestParameters: { bucketPolicy: JSON.stringify(everyoneReads) },
      }),
    },
    {
      name: 'public bucket policy on a high-criticality bucket',
      expect: 'match',
      criticality: 'high',
      event: fixture('s3/PutBucketPolicy-public'),
    },
    {
      name: 'Principal "*" with an org condition that is only a wildcard',
      expect: 'match',
      event: fixture('s3/PutBucketPolicy-public', {
        requestParameters: { bucketPolicy: withCondition({ StringLike: { 'aws:PrincipalOrgID': 'o-*' } }) },
      }),
    },
    {
      name: 'policy restricted to the organisation (aws:PrincipalOrgID)',
      expect: 'no-match',
      event: fixture('s3/PutBucketPolicy-public', {
        requestParameters: { bucketPolicy: withCondition({ StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } }) },
      }),
    },
    {
      name: 'policy restricted to a VPC endpoint (aws:SourceVpce), as a string',
      expect: 'no-match',
      event: fixture('s3/PutBucketPolicy-public', {
        requestParameters: {
          bucketPolicy: JSON.stringify(withCondition({ StringEquals: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } })),
        },
      }),
    },
    {
      name: 'Deny-only Principal "*" (TLS-only policy)',
      expect: 'no-match',
      event: fixture('s3/PutBucketPolicy-public', {
        requestParameters: {
          bucketPolicy: {
            Statement: [
              {
                Sid: 'DenyInsecureTransport',
                Effect: 'Deny',
                Principal: '*',
                Action: 's3:*',
                Resource: ['arn:aws:s3:::example-reports', 'arn:aws:s3:::example-reports/*'],
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              },
            ],
          },
        },
      }),
    },
    {
      name: 'policy granting one named account of the organisation (cross-account, not public)',
      expect: 'no-match',
      event: fixture('s3/PutBucketPolicy-public', {
        requestParameters: {
          bucketPolicy: {
            Statement: [
              {
                Effect: 'Allow',
                Principal: { AWS: 'arn:aws:iam::444455556666:root' },
                Action: 's3:GetObject',
                Resource: 'arn:aws:s3:::example-reports/*',
              },
            ],
          },
        },
      }),
      config: { organization: { accounts: ['111122223333', '444455556666'] } },
    },
    {
      name: 'PutBucketPolicy denied (Block Public Access refused it)',
      expect: 'no-match',
      event: fixture('s3/PutBucketPolicy-public', { errorCode: 'AccessDenied', errorMessage: 'Access Denied' }),
    },
    {
      name: 'public policy deployed through CloudFormation still matches',
      expect: 'match',
      event: fixture('s3/PutBucketPolicy-public', {
        userIdentity: {
          type: 'AssumedRole',
          principalId: 'AROACKCEVSQ6C2EXAMPLE:AWSCloudFormation',
          arn: 'arn:aws:sts::111122223333:assumed-role/deploy-role/AWSCloudFormation',
          accountId: '111122223333',
          accessKeyId: 'ASIAIOSFODNN7EXAMPLE',
          sessionContext: {
            sessionIssuer: {
              type: 'Role',
              principalId: 'AROACKCEVSQ6C2EXAMPLE',
              arn: 'arn:aws:iam::111122223333:role/deploy-role',
              accountId: '111122223333',
              userName: 'deploy-role',
            },
            attributes: { creationDate: '2026-11-02T10:10:00Z', mfaAuthenticated: 'false' },
          },
          invokedBy: 'cloudformation.amazonaws.com',
        },
        sourceIPAddress: 'cloudformation.amazonaws.com',
        userAgent: 'cloudformation.amazonaws.com',
      }),
    },
    { name: 'ACL grant to AllUsers', expect: 'match', event: fixture('s3/PutBucketAcl-public') },
    {
      name: 'ACL grant to AuthenticatedUsers as a single Grant object',
      expect: 'match',
      event: fixture('s3/PutBucketAcl-public', {
        requestParameters: {
          AccessControlPolicy: {
            AccessControlList: {
              Grant: {
                Grantee: {
                  'xsi:type': 'Group',
                  'xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance',
                  URI: 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers',
                },
                Permission: 'READ_ACP',
              },
            },
          },
        },
      }),
    },
    {
      name: 'canned ACL public-read on PutBucketAcl',
      expect: 'match',
      event: fixture('s3/PutBucketAcl-public', {
        requestParameters: { AccessControlPolicy: undefined, 'x-amz-acl': ['public-read'] },
      }),
    },
    {
      name: 'ACL granting only the owner and log delivery',
      expect: 'no-match',
      event: fixture('s3/PutBucketAcl-public', {
        requestParameters: {
          AccessControlPolicy: {
            AccessControlList: {
              Grant: [
                {
                  Grantee: {
                    'xsi:type': 'CanonicalUser',
                    ID: '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be',
                  },
                  Permission: 'FULL_CONTROL',
                },
                {
                  Grantee: { 'xsi:type': 'Group', URI: 'http://acs.amazonaws.com/groups/s3/LogDelivery' },
                  Permission: 'WRITE',
                },
              ],
            },
          },
        },
      }),
    },
    {
      name: 'canned ACL private',
      expect: 'no-match',
      event: fixture('s3/PutBucketAcl-public', {
        requestParameters: { AccessControlPolicy: undefined, 'x-amz-acl': ['private'] },
      }),
    },
    {
      name: 'PutBucketAcl denied',
      expect: 'no-match',
      event: fixture('s3/PutBucketAcl-public', { errorCode: 'AccessDenied', errorMessage: 'Access Denied' }),
    },
    {
      name: 'CreateBucket with canned ACL public-read-write',
      expect: 'match',
      event: fixture('s3/CreateBucket', { requestParameters: { 'x-amz-acl': ['public-read-write'] } }),
    },
    {
      name: 'CreateBucket granting read to AllUsers by header',
      expect: 'match',
      event: fixture('s3/CreateBucket', {
        requestParameters: { 'x-amz-grant-read': 'uri="http://acs.amazonaws.com/groups/global/AllUsers"' },
      }),
    },
    { name: 'CreateBucket with no ACL (private by default)', expect: 'no-match', event: fixture('s3/CreateBucket') },
    {
      name: 'CreateBucket with a public ACL refused (ACLs disabled by Object Ownership)',
      expect: 'no-match',
      event: fixture('s3/CreateBucket', {
        requestParameters: { 'x-amz-acl': ['public-read'] },
        errorCode: 'InvalidBucketAclWithObjectOwnership',
        errorMessage: "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
      }),
    },
  ],
};
