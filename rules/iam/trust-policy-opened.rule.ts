import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isServiceInvoked, isSuccess, param } from '../core/cloudtrail.ts';
import type { DetectionConfig } from '../core/config.ts';
import { defineRule } from '../core/define-rule.ts';
import { iamNameKey, iamTargetArns } from '../core/iam-policy.ts';
import { isOpenedExposure, orgPolicyExposure } from '../core/resource-policy.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

/** `CreateRole` logs the trust policy as `assumeRolePolicyDocument`, `UpdateAssumeRolePolicy` as `policyDocument`. */
const trustPolicyOf = (e: CloudTrailRecord) =>
  e.eventName === 'CreateRole'
    ? param(e.requestParameters, 'assumeRolePolicyDocument')
    : param(e.requestParameters, 'policyDocument');

/**
 * Opened: anyone may assume the role (`"*"` with no condition that pins the caller), or an account outside the
 * organisation may (named as a principal, or `"*"` held to it), judged exactly as resource policies are. With no
 * organisation accounts configured, every account but the role's own is outside.
 */
const opensTrust = (e: CloudTrailRecord, config: DetectionConfig): boolean =>
  isOpenedExposure(orgPolicyExposure(trustPolicyOf(e), accountOf(e), config.organization));

const trustDocument = (principal: unknown, condition?: Record<string, unknown>): string =>
  JSON.stringify(
    {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: principal,
          Action: 'sts:AssumeRole',
          ...(condition ? { Condition: condition } : {}),
        },
      ],
    },
    null,
    4,
  );

const inOrg = { organization: { id: 'o-a1b2c3d4e5', accounts: ['111122223333', '444455556666'] } };

export const rule = defineRule({
  id: 'iam.trust-policy-opened',
  title: 'Role trust policy opened to everyone or to an outside account',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.2', 'A.5.23'],
  mitre: ['T1098'],
  on: { source: 'iam', eventNames: ['CreateRole', 'UpdateAssumeRolePolicy'] },
  match: (e, ctx) => isSuccess(e) && !isServiceInvoked(e) && opensTrust(e, ctx.config),
  resources: iamTargetArns,
  dedup: { key: (e) => `${accountOf(e)}|${iamNameKey(e, 'roleName')}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A role was created, or its trust policy rewritten, so that anyone ("*" with no restricting condition) or an AWS ' +
    'account outside the organisation can assume it: whoever that is can now act with the role’s permissions.',
  runbook: [
    'Read the trust policy now in force: `aws iam get-role --role-name <role> --query Role.AssumeRolePolicyDocument`, ' +
      'and what the role may do: `aws iam list-attached-role-policies --role-name <role>`, `aws iam ' +
      'list-role-policies --role-name <role>`.',
    'Identify every principal it trusts. Unless the outside account is a documented partner (with an sts:ExternalId ' +
      'condition), restore the previous trust: `aws iam update-assume-role-policy --role-name <role> ' +
      '--policy-document file://previous-trust.json`.',
    'Check whether anyone outside already assumed it: `aws cloudtrail lookup-events --lookup-attributes ' +
      'AttributeKey=EventName,AttributeValue=AssumeRole` filtered on the role ARN, looking at userIdentity.accountId; ' +
      'revoke its sessions (console "Revoke active sessions") if so.',
    'Review the actor’s other recent IAM calls: an opened trust is a typical backdoor after an account compromise.',
  ],
  rationale:
    'A trust policy decides who can become the role, so opening it is a backdoor that survives password and key ' +
    'rotation (T1098) and hands cloud resources to outsiders (A.5.23). It is judged like every resource policy ' +
    '(`policyExposure` in rules/core/resource-policy.ts): Principal "*" held to a fixed caller inside the ' +
    'organisation (aws:PrincipalOrgID, aws:PrincipalAccount, …) is not opened, while sts:ExternalId alone does not ' +
    'count, since it is a shared secret rather than a caller identity. Outside accounts are those not in ' +
    '`organization.accounts` (or, when that list is empty, any account other than the role’s own). High with no ' +
    'threshold, critical on high-criticality assets; it matches even for the approved automation, because a new ' +
    'trust to an outsider always deserves review. Not covered: web-identity (OIDC) trusts without a `sub` ' +
    'condition, which name a Federated principal in the role’s own account.',
  falsePositives: [
    'Roles for SaaS vendors (monitoring, backup, security tools) that must trust the vendor’s account: expected to ' +
      'carry an sts:ExternalId condition; suppress per role with a reason.',
    'Cross-account roles to organisation members when `organization.accounts` is not configured.',
  ],
  cases: () => [
    {
      name: 'trust rewritten to an account outside the organisation',
      expect: 'match',
      event: fixture('iam/UpdateAssumeRolePolicy'),
    },
    {
      name: 'trust opened to AWS "*" guarded only by an external id',
      expect: 'match',
      criticality: 'high',
      event: fixture('iam/UpdateAssumeRolePolicy-public'),
    },
    {
      name: 'role created trusting an outside account (bare account id) alongside an org member',
      expect: 'match',
      config: inOrg,
      event: fixture('iam/CreateRole', {
        requestParameters: {
          assumeRolePolicyDocument: trustDocument({ AWS: ['arn:aws:iam::444455556666:root', '999988887777'] }),
        },
      }),
    },
    {
      name: 'URL-encoded trust document opened to a bare "*"',
      expect: 'match',
      event: fixture('iam/UpdateAssumeRolePolicy', {
        requestParameters: { policyDocument: encodeURIComponent(trustDocument('*')) },
      }),
    },
    {
      name: 'cross-account trust to another account when no organisation is configured',
      expect: 'match',
      event: fixture('iam/UpdateAssumeRolePolicy', {
        requestParameters: {
          policyDocument: trustDocument({ AWS: 'arn:aws:iam::444455556666:role/OrganizationAccountAccessRole' }),
        },
      }),
    },
    {
      name: '"*" held by aws:PrincipalAccount to an outside account',
      expect: 'match',
      config: inOrg,
      event: fixture('iam/UpdateAssumeRolePolicy', {
        requestParameters: {
          policyDocument: trustDocument({ AWS: '*' }, { StringEquals: { 'aws:PrincipalAccount': '999988887777' } }),
        },
      }),
    },
    {
      name: 'the same cross-account trust to an organisation member',
      expect: 'no-match',
      config: inOrg,
      event: fixture('iam/UpdateAssumeRolePolicy', {
        requestParameters: {
          policyDocument: trustDocument({ AWS: 'arn:aws:iam::444455556666:role/OrganizationAccountAccessRole' }),
        },
      }),
    },
    {
      name: '"*" held to the organisation by aws:PrincipalOrgID',
      expect: 'no-match',
      event: fixture('iam/UpdateAssumeRolePolicy', {
        requestParameters: {
          policyDocument: trustDocument({ AWS: '*' }, { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } }),
        },
      }),
    },
    { name: 'role created for Lambda (service principal)', expect: 'no-match', event: fixture('iam/CreateRole') },
    {
      name: 'trust to the role’s own account',
      expect: 'no-match',
      event: fixture('iam/UpdateAssumeRolePolicy', {
        requestParameters: { policyDocument: trustDocument({ AWS: 'arn:aws:iam::111122223333:root' }) },
      }),
    },
    {
      name: 'Deny for an outside account opens nothing',
      expect: 'no-match',
      event: fixture('iam/UpdateAssumeRolePolicy', {
        requestParameters: {
          policyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
              { Effect: 'Deny', Principal: { AWS: 'arn:aws:iam::999988887777:root' }, Action: 'sts:AssumeRole' },
            ],
          }),
        },
      }),
    },
    {
      name: 'UpdateAssumeRolePolicy denied',
      expect: 'no-match',
      event: fixture('iam/UpdateAssumeRolePolicy', {
        errorCode: 'AccessDenied',
        errorMessage:
          'User: arn:aws:iam::111122223333:user/alice is not authorized to perform: iam:UpdateAssumeRolePolicy on resource: role app-runtime because no identity-based policy allows the iam:UpdateAssumeRolePolicy action',
      }),
    },
    {
      name: 'trust naming a principal that does not exist is rejected by IAM',
      expect: 'no-match',
      event: fixture('iam/UpdateAssumeRolePolicy', {
        requestParameters: { policyDocument: trustDocument({ AWS: 'arn:aws:iam::999988887777:user/ghost' }) },
        errorCode: 'MalformedPolicyDocumentException',
        errorMessage: 'Invalid principal in policy: "AWS":"arn:aws:iam::999988887777:user/ghost"',
      }),
    },
  ],
};
