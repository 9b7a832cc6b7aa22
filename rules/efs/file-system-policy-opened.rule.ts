import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { isSuccess, stringParam } from '../core/cloudtrail.ts';
import type { DetectionConfig } from '../core/config.ts';
import { defineRule } from '../core/define-rule.ts';
import { callPolicyExposure } from '../core/policy-call.ts';
import type { PolicyExposure } from '../core/resource-policy.ts';
import { describeOpenedExposure, isOpenedExposure } from '../core/resource-policy.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

const fileSystemArn = (e: CloudTrailRecord): string =>
  resourceArn(e, 'elasticfilesystem', `file-system/${stringParam(e.requestParameters, 'fileSystemId') ?? 'unknown'}`);

const exposureOf = (e: CloudTrailRecord, config: DetectionConfig): PolicyExposure | undefined =>
  callPolicyExposure(e, ['policy'], config.organization);

const ORG = { id: 'o-a1b2c3d4e5', accounts: ['111122223333', '444455556666'] };
const FS = 'arn:aws:elasticfilesystem:eu-west-1:111122223333:file-system/fs-0a1b2c3d4e5f60718';
const withPolicy = (...statements: Record<string, unknown>[]) => ({
  requestParameters: { policy: JSON.stringify({ Version: '2012-10-17', Statement: statements }) },
});

export const rule = defineRule({
  id: 'efs.file-system-policy-opened',
  title: 'EFS file system policy opened to the public or to an account outside the org',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.5.23', 'A.8.3'],
  mitre: ['T1530', 'T1098'],
  on: { source: 'elasticfilesystem', eventNames: ['PutFileSystemPolicy'] },
  match: (e, ctx) => isSuccess(e) && isOpenedExposure(exposureOf(e, ctx.config)),
  explain: (e, ctx) => describeOpenedExposure(exposureOf(e, ctx.config)),
  dedup: { key: fileSystemArn },
  resources: (e) => [fileSystemArn(e)],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'PutFileSystemPolicy gave an EFS file system a policy that lets any principal mount (and write, or mount as ' +
    'root) without a restricting condition, or that grants an account outside the organisation. Anyone with a ' +
    "network path to a mount target (peered or shared VPCs, another account's VPC) can then read and change the files.",
  runbook: [
    'Read the policy now in force: `aws efs describe-file-system-policy --file-system-id <fs-id>`.',
    'Unless documented, put back the previous one (`aws efs put-file-system-policy --file-system-id <fs-id> --policy file://previous.json`) or remove it (`aws efs delete-file-system-policy`).',
    'Check which VPCs can reach the mount targets (`aws efs describe-mount-targets`, their security groups) and look for mounts from unknown clients in VPC flow logs.',
    'If the actor is not the file system owner or the approved deploy role, review their other calls and treat it as an incident.',
  ],
  rationale:
    'One successful call is enough. High by default, critical on high-criticality assets: file shares hold ' +
    'application data and home directories. The console\'s default "prevent anonymous access" policy (Principal "*" ' +
    'held to elasticfilesystem:AccessedViaMountTarget) is not public, as IAM Access Analyzer also judges; neither ' +
    'are Deny-only policies such as enforcing TLS.',
  falsePositives: [
    'Shared file systems mounted from sister accounts while organization.accounts is empty or out of date.',
  ],
  cases: () => [
    { name: 'anyone may mount as root', expect: 'match', event: fixture('elasticfilesystem/PutFileSystemPolicy') },
    {
      name: 'an outside account may mount',
      expect: 'match',
      config: { organization: ORG },
      event: fixture(
        'elasticfilesystem/PutFileSystemPolicy',
        withPolicy({
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::999988887777:root' },
          Action: 'elasticfilesystem:ClientMount',
          Resource: FS,
        }),
      ),
    },
    {
      name: 'console default: everyone, only through a mount target, plus TLS enforced',
      expect: 'no-match',
      event: fixture(
        'elasticfilesystem/PutFileSystemPolicy',
        withPolicy(
          {
            Effect: 'Allow',
            Principal: { AWS: '*' },
            Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
            Resource: FS,
            Condition: { Bool: { 'elasticfilesystem:AccessedViaMountTarget': 'true' } },
          },
          {
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: '*',
            Resource: FS,
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ),
      ),
    },
    {
      name: 'PutFileSystemPolicy denied',
      expect: 'no-match',
      event: fixture('elasticfilesystem/PutFileSystemPolicy', {
        errorCode: 'AccessDenied',
        errorMessage: `User: arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/bob is not authorized to perform: elasticfilesystem:PutFileSystemPolicy on the specified resource`,
        responseElements: null,
      }),
    },
  ],
};
