import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isSuccess, param, stringParam } from '../core/cloudtrail.ts';
import type { DetectionConfig } from '../core/config.ts';
import { defineRule } from '../core/define-rule.ts';
import type { PolicyExposure } from '../core/resource-policy.ts';
import { describeOpenedExposure, isOpenedExposure, orgPolicyExposure } from '../core/resource-policy.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

/** CreateKey without a policy gets the default key policy (the own account only), so nothing opens. */
const exposureOf = (e: CloudTrailRecord, config: DetectionConfig): PolicyExposure | undefined =>
  orgPolicyExposure(param(e.requestParameters, 'policy'), accountOf(e), config.organization);

const keyArn = (e: CloudTrailRecord): string => {
  const created = stringParam(e.responseElements, 'keyMetadata', 'arn');
  if (created !== undefined) return created;
  const logged = e.resources?.find((r) => r.type === 'AWS::KMS::Key')?.ARN;
  if (logged !== undefined) return logged;
  const id = stringParam(e.requestParameters, 'keyId') ?? 'unknown-key';
  return id.startsWith('arn:') ? id : resourceArn(e, 'kms', `key/${id}`);
};

const ORG = { id: 'o-a1b2c3d4e5', accounts: ['111122223333', '444455556666'] };
const ownerStatement = {
  Sid: 'Enable IAM User Permissions',
  Effect: 'Allow',
  Principal: { AWS: 'arn:aws:iam::111122223333:root' },
  Action: 'kms:*',
  Resource: '*',
};
const withStatement = (statement: Record<string, unknown>) =>
  JSON.stringify({ Version: '2012-10-17', Id: 'key-consolepolicy-3', Statement: [ownerStatement, statement] }, null, 2);
const use = ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'];

export const rule = defineRule({
  id: 'kms.key-policy-opened',
  title: 'KMS key policy opened to the public or to an account outside the org',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.5.23'],
  mitre: ['T1098', 'T1530'],
  on: { source: 'kms', eventNames: ['PutKeyPolicy', 'CreateKey'] },
  match: (e, ctx) => isSuccess(e) && isOpenedExposure(exposureOf(e, ctx.config)),
  explain: (e, ctx) => describeOpenedExposure(exposureOf(e, ctx.config)),
  dedup: { key: keyArn },
  resources: (e) => [keyArn(e)],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'PutKeyPolicy, or CreateKey with a policy, gave a KMS key a policy that lets everyone use it (Principal "*" ' +
    'with no restricting condition) or that grants an account outside the organisation. Anyone it reaches can ' +
    'decrypt data encrypted under the key, or encrypt with it.',
  runbook: [
    'Read the policy now in force: `aws kms get-key-policy --key-id <key-arn> --policy-name default --output text`, and find the statements that name "*" or outside accounts.',
    'Unless the grant is documented (a partner that must decrypt a shared bucket or snapshot), put the previous policy back: `aws kms put-key-policy --key-id <key-arn> --policy-name default --policy file://previous.json`. Grants made meanwhile survive: `aws kms list-grants --key-id <key-arn>` and `aws kms revoke-grant` any from outside accounts.',
    'Find what the key protects (S3 buckets, EBS snapshots, RDS snapshots, secrets using it) and whether any of that was shared with the same accounts: look for ec2.snapshot-shared, rds.snapshot-shared and s3 findings in the window.',
    'Check how the key was used from outside: CloudTrail Decrypt/GenerateDataKey/CreateGrant events on this key whose userIdentity.accountId is not yours.',
    'If the actor is not a key administrator, treat it as an incident and review all their calls.',
  ],
  rationale:
    'One successful call is enough, with no threshold: a key is the last control in front of data encrypted under ' +
    'it, and opening it to another account is how encrypted snapshots and buckets are exfiltrated or held to ' +
    'ransom. High by default, critical on high-criticality assets. "Public" follows the same reading as S3 Block ' +
    'Public Access (Principal "*" held to kms:CallerAccount, aws:PrincipalOrgID or a VPC endpoint is not public, so ' +
    'the AWS-managed key pattern does not match). "Outside the organisation" means an account that is neither the ' +
    "key's own nor in organization.accounts; with that list empty, every other account counts as outside. A policy " +
    'that cannot be parsed (truncated by CloudTrail) does not match.',
  falsePositives: [
    'Keys shared on purpose with an account outside the organisation (a partner, a vendor backup service, a log archive in another organisation): suppress per key with a reason.',
    'Cross-account grants to sister accounts while organization.accounts is empty or out of date.',
  ],
  cases: () => [
    {
      name: 'key policy granting use to an outside account',
      expect: 'match',
      config: { organization: ORG },
      event: fixture('kms/PutKeyPolicy'),
    },
    {
      name: 'key policy granting use to everyone',
      expect: 'match',
      event: fixture('kms/PutKeyPolicy', {
        requestParameters: {
          policy: withStatement({
            Sid: 'Everyone',
            Effect: 'Allow',
            Principal: { AWS: '*' },
            Action: use,
            Resource: '*',
          }),
        },
      }),
    },
    {
      name: 'key opened to everyone on a high-criticality asset',
      expect: 'match',
      criticality: 'high',
      event: fixture('kms/PutKeyPolicy', {
        requestParameters: {
          policy: withStatement({ Effect: 'Allow', Principal: '*', Action: 'kms:*', Resource: '*' }),
        },
      }),
    },
    {
      name: 'CreateKey with a policy granting an outside account',
      expect: 'match',
      config: { organization: ORG },
      event: fixture('kms/CreateKey', {
        requestParameters: {
          policy: withStatement({
            Sid: 'Partner',
            Effect: 'Allow',
            Principal: { AWS: 'arn:aws:iam::999988887777:role/backup-reader' },
            Action: use,
            Resource: '*',
          }),
        },
      }),
    },
    {
      name: 'Principal "*" held to the own account (AWS-managed key pattern)',
      expect: 'no-match',
      event: fixture('kms/PutKeyPolicy', {
        requestParameters: {
          policy: withStatement({
            Sid: 'Allow access through EBS for all principals in the account',
            Effect: 'Allow',
            Principal: { AWS: '*' },
            Action: use,
            Resource: '*',
            Condition: {
              StringEquals: { 'kms:CallerAccount': '111122223333', 'kms:ViaService': 'ec2.eu-west-1.amazonaws.com' },
            },
          }),
        },
      }),
    },
    {
      name: 'key shared with an organisation member',
      expect: 'no-match',
      config: { organization: ORG },
      event: fixture('kms/PutKeyPolicy', {
        requestParameters: {
          policy: withStatement({
            Effect: 'Allow',
            Principal: { AWS: 'arn:aws:iam::444455556666:root' },
            Action: use,
            Resource: '*',
          }),
        },
      }),
    },
    { name: 'CreateKey with the default key policy', expect: 'no-match', event: fixture('kms/CreateKey') },
    {
      name: 'CreateKey without a policy (default policy)',
      expect: 'no-match',
      event: fixture('kms/CreateKey', { requestParameters: { policy: undefined } }),
    },
    {
      name: 'PutKeyPolicy denied',
      expect: 'no-match',
      event: fixture('kms/PutKeyPolicy', {
        errorCode: 'AccessDeniedException',
        errorMessage:
          'User: arn:aws:iam::111122223333:user/alice is not authorized to perform: kms:PutKeyPolicy on resource: arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab because no identity-based policy allows the kms:PutKeyPolicy action',
      }),
    },
    {
      name: 'key opened through CloudFormation still matches',
      expect: 'match',
      config: { organization: ORG },
      event: fixture('kms/PutKeyPolicy', {
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
            attributes: { creationDate: '2026-11-02T14:40:02Z', mfaAuthenticated: 'false' },
          },
          invokedBy: 'cloudformation.amazonaws.com',
        },
        sourceIPAddress: 'cloudformation.amazonaws.com',
        userAgent: 'cloudformation.amazonaws.com',
      }),
    },
  ],
};
