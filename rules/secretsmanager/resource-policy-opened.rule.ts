import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isSuccess, param, stringParam } from '../core/cloudtrail.ts';
import type { DetectionConfig } from '../core/config.ts';
import { defineRule } from '../core/define-rule.ts';
import type { PolicyExposure } from '../core/resource-policy.ts';
import { describeOpenedExposure, isOpenedExposure, orgPolicyExposure } from '../core/resource-policy.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

/** The response names the secret's full ARN; the request may hold only its name. */
const secretArn = (e: CloudTrailRecord): string => {
  const returned = stringParam(e.responseElements, 'aRN') ?? stringParam(e.responseElements, 'arn');
  if (returned !== undefined) return returned;
  const id = stringParam(e.requestParameters, 'secretId') ?? 'unknown-secret';
  return id.startsWith('arn:') ? id : resourceArn(e, 'secretsmanager', `secret:${id}`);
};

const exposureOf = (e: CloudTrailRecord, config: DetectionConfig): PolicyExposure | undefined =>
  orgPolicyExposure(param(e.requestParameters, 'resourcePolicy'), accountOf(e), config.organization);

const ORG = { id: 'o-a1b2c3d4e5', accounts: ['111122223333', '444455556666'] };
const policyWith = (statement: Record<string, unknown>, blockPublicPolicy = true) => ({
  requestParameters: {
    resourcePolicy: JSON.stringify({ Version: '2012-10-17', Statement: [statement] }, null, 4),
    blockPublicPolicy,
  },
});
const read = { Action: 'secretsmanager:GetSecretValue', Resource: '*' };

export const rule = defineRule({
  id: 'secretsmanager.resource-policy-opened',
  title: 'Secret resource policy opened to the public or to an account outside the org',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.5.23'],
  mitre: ['T1555.006', 'T1098'],
  on: { source: 'secretsmanager', eventNames: ['PutResourcePolicy'] },
  match: (e, ctx) => isSuccess(e) && isOpenedExposure(exposureOf(e, ctx.config)),
  explain: (e, ctx) => describeOpenedExposure(exposureOf(e, ctx.config)),
  dedup: { key: secretArn },
  resources: (e) => [secretArn(e)],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'PutResourcePolicy gave a Secrets Manager secret a policy that lets everyone use it (Principal "*" with no ' +
    'restricting condition) or that grants an account outside the organisation, typically ' +
    'secretsmanager:GetSecretValue: the grantee can read the credential.',
  runbook: [
    'Read the policy now in force: `aws secretsmanager get-resource-policy --secret-id <arn>`.',
    'Unless the grant is documented, remove it: `aws secretsmanager delete-resource-policy --secret-id <arn>` (or put back the previous policy with `aws secretsmanager put-resource-policy --secret-id <arn> --resource-policy file://previous.json --block-public-policy`).',
    'Assume the secret was read: look for GetSecretValue on it from other accounts in CloudTrail (userIdentity.accountId not yours), then rotate it: `aws secretsmanager rotate-secret --secret-id <arn>` and update whatever uses the credential.',
    "Check the secret's KMS key policy for the same accounts: reading an encrypted secret from another account also needs kms:Decrypt on a customer managed key.",
    'If the actor is not the secret owner or the approved deploy role, review their other calls and treat it as an incident.',
  ],
  rationale:
    'One successful call is enough, with no threshold: a secret is a credential, and one read from outside is a ' +
    'compromise. High by default, critical on high-criticality assets. "Public" follows S3 Block Public Access\'s ' +
    'reading (Principal "*" held to aws:PrincipalOrgID, a VPC endpoint or own-account keys is not public); ' +
    'Secrets Manager itself rejects public policies when BlockPublicPolicy is set, so a public match means someone ' +
    'turned that off. "Outside the organisation" means an account that is neither the secret\'s own nor in ' +
    'organization.accounts; with that list empty, every other account counts as outside. Policies that cannot be ' +
    'parsed do not match.',
  falsePositives: [
    'Secrets shared on purpose with a partner or vendor account outside the organisation: suppress per secret with a reason.',
    'Cross-account reads by sister accounts while organization.accounts is empty or out of date.',
  ],
  cases: () => [
    {
      name: 'outside account may read the secret',
      expect: 'match',
      config: { organization: ORG },
      event: fixture('secretsmanager/PutResourcePolicy'),
    },
    {
      name: 'anyone may read the secret (BlockPublicPolicy off)',
      expect: 'match',
      event: fixture(
        'secretsmanager/PutResourcePolicy',
        policyWith({ Effect: 'Allow', Principal: '*', ...read }, false),
      ),
    },
    {
      name: 'secret opened on a high-criticality asset',
      expect: 'match',
      criticality: 'high',
      event: fixture('secretsmanager/PutResourcePolicy'),
    },
    {
      name: 'a role in an organisation member may read',
      expect: 'no-match',
      config: { organization: ORG },
      event: fixture(
        'secretsmanager/PutResourcePolicy',
        policyWith({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::444455556666:role/deploy-role' }, ...read }),
      ),
    },
    {
      name: 'anyone in the organisation may read (aws:PrincipalOrgID)',
      expect: 'no-match',
      config: { organization: ORG },
      event: fixture(
        'secretsmanager/PutResourcePolicy',
        policyWith({
          Effect: 'Allow',
          Principal: { AWS: '*' },
          ...read,
          Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } },
        }),
      ),
    },
    {
      name: 'a deny-only policy',
      expect: 'no-match',
      event: fixture(
        'secretsmanager/PutResourcePolicy',
        policyWith({
          Effect: 'Deny',
          Principal: '*',
          ...read,
          Condition: { StringNotEquals: { 'aws:PrincipalAccount': '111122223333' } },
        }),
      ),
    },
    {
      name: 'public policy refused by BlockPublicPolicy',
      expect: 'no-match',
      event: fixture('secretsmanager/PutResourcePolicy', {
        ...policyWith({ Effect: 'Allow', Principal: '*', ...read }),
        errorCode: 'PublicPolicyException',
        errorMessage: 'This resource policy contains an unsupported operation.',
        responseElements: null,
      }),
    },
    {
      name: 'PutResourcePolicy denied',
      expect: 'no-match',
      event: fixture('secretsmanager/PutResourcePolicy', {
        errorCode: 'AccessDenied',
        errorMessage:
          'User: arn:aws:iam::111122223333:user/alice is not authorized to perform: secretsmanager:PutResourcePolicy on resource: prod/orders/db because no identity-based policy allows the secretsmanager:PutResourcePolicy action',
        responseElements: null,
      }),
    },
  ],
};
