import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isSuccess, param, stringParam } from '../core/cloudtrail.ts';
import type { DetectionConfig } from '../core/config.ts';
import { defineRule } from '../core/define-rule.ts';
import type { PolicyExposure } from '../core/resource-policy.ts';
import { describeOpenedExposure, isOpenedExposure, orgPolicyExposure } from '../core/resource-policy.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

const repositoryArn = (e: CloudTrailRecord): string => {
  const registry = stringParam(e.requestParameters, 'registryId') ?? accountOf(e);
  const name = stringParam(e.requestParameters, 'repositoryName') ?? 'unknown-repository';
  return resourceArn(e, 'ecr', `repository/${name}`, registry);
};

const exposureOf = (e: CloudTrailRecord, config: DetectionConfig): PolicyExposure | undefined => {
  // The registry (account) owning the repository, which may differ from the caller's when registryId is given.
  const owner = stringParam(e.requestParameters, 'registryId') ?? accountOf(e);
  return orgPolicyExposure(param(e.requestParameters, 'policyText'), owner, config.organization);
};

const ORG = { id: 'o-a1b2c3d4e5', accounts: ['111122223333', '444455556666'] };
const pull = ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'];
const policyWith = (statement: Record<string, unknown>) => ({
  requestParameters: { policyText: JSON.stringify({ Version: '2008-10-17', Statement: [statement] }, null, 2) },
});

export const rule = defineRule({
  id: 'ecr.repository-policy-opened',
  title: 'ECR repository policy opened to the public or to an account outside the org',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.5.23'],
  mitre: ['T1530', 'T1525', 'T1098'],
  on: { source: 'ecr', eventNames: ['SetRepositoryPolicy'] },
  match: (e, ctx) => isSuccess(e) && isOpenedExposure(exposureOf(e, ctx.config)),
  explain: (e, ctx) => describeOpenedExposure(exposureOf(e, ctx.config)),
  dedup: { key: repositoryArn },
  resources: (e) => [repositoryArn(e)],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'SetRepositoryPolicy gave an ECR repository a policy that lets everyone use it (Principal "*" with no ' +
    'restricting condition) or that grants an account outside the organisation. Pull actions expose the images ' +
    '(and anything baked into them); push actions let outsiders replace them.',
  runbook: [
    'Read the policy now in force: `aws ecr get-repository-policy --repository-name <name>`.',
    'Unless the grant is documented, remove it: `aws ecr delete-repository-policy --repository-name <name>`, or put back the previous one with `aws ecr set-repository-policy --repository-name <name> --policy-text file://previous.json`.',
    'If pull was granted, assume the images were downloaded: rotate any credential, key or token baked into them, and check CloudTrail for BatchGetImage/GetDownloadUrlForLayer from other accounts.',
    'If push was granted, check for images pushed from outside (`aws ecr describe-images --repository-name <name>` for unexpected tags or digests, PutImage events from other accounts) and redeploy from known-good digests.',
    'If the actor is not the repository owner or the approved deploy role, review their other calls and treat it as an incident.',
  ],
  rationale:
    'One successful call is enough, with no threshold. High by default, critical on high-criticality assets: private ' +
    'images routinely carry source code, configuration and secrets, and a writable repository is a supply-chain ' +
    'foothold (T1525). "Public" follows S3 Block Public Access\'s reading, so the common cross-account pull policy ' +
    'held to aws:PrincipalOrgID does not match. "Outside the organisation" means an account that is neither the ' +
    "registry's own nor in organization.accounts; with that list empty, every other account counts as outside. " +
    'Policies that cannot be parsed do not match.',
  falsePositives: [
    'Images published on purpose to customers or partners from a private repository: suppress per repository with a reason, or move them to ECR Public.',
    'Cross-account pulls by sister accounts while organization.accounts is empty or out of date.',
    'Lambda or other AWS services pulling images (Principal Service with aws:sourceArn of your own functions) do not match.',
  ],
  cases: () => [
    { name: 'anyone may pull', expect: 'match', event: fixture('ecr/SetRepositoryPolicy') },
    {
      name: 'repository opened on a high-criticality asset',
      expect: 'match',
      criticality: 'high',
      event: fixture('ecr/SetRepositoryPolicy'),
    },
    {
      name: 'an outside account may push',
      expect: 'match',
      config: { organization: ORG },
      event: fixture(
        'ecr/SetRepositoryPolicy',
        policyWith({
          Sid: 'partner-push',
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::999988887777:root' },
          Action: ['ecr:PutImage', 'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload'],
        }),
      ),
    },
    {
      name: 'every account in the organisation may pull (aws:PrincipalOrgID)',
      expect: 'no-match',
      config: { organization: ORG },
      event: fixture(
        'ecr/SetRepositoryPolicy',
        policyWith({
          Sid: 'org-pull',
          Effect: 'Allow',
          Principal: '*',
          Action: pull,
          Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } },
        }),
      ),
    },
    {
      name: 'Lambda of the own account may pull',
      expect: 'no-match',
      event: fixture(
        'ecr/SetRepositoryPolicy',
        policyWith({
          Sid: 'LambdaECRImageRetrievalPolicy',
          Effect: 'Allow',
          Principal: { Service: 'lambda.amazonaws.com' },
          Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
          Condition: { StringLike: { 'aws:sourceArn': 'arn:aws:lambda:eu-west-1:111122223333:function:*' } },
        }),
      ),
    },
    {
      name: 'a member account may pull',
      expect: 'no-match',
      config: { organization: ORG },
      event: fixture(
        'ecr/SetRepositoryPolicy',
        policyWith({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::444455556666:root' }, Action: pull }),
      ),
    },
    {
      name: 'SetRepositoryPolicy denied',
      expect: 'no-match',
      event: fixture('ecr/SetRepositoryPolicy', {
        errorCode: 'AccessDeniedException',
        errorMessage:
          'User: arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/bob is not authorized to perform: ecr:SetRepositoryPolicy on resource: arn:aws:ecr:eu-west-1:111122223333:repository/orders-api because no identity-based policy allows the ecr:SetRepositoryPolicy action',
        responseElements: null,
      }),
    },
  ],
};
