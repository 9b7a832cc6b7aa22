import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isServiceInvoked, isSuccess, param, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { iamTargetArns, isAdminEquivalent, isAdminManagedPolicyArn } from '../core/iam-policy.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';

const ATTACH = ['AttachUserPolicy', 'AttachRolePolicy', 'AttachGroupPolicy'] as const;
const PUT_INLINE = ['PutUserPolicy', 'PutRolePolicy', 'PutGroupPolicy'] as const;

const isOneOf = (list: readonly string[], name: string): boolean => list.includes(name);

/** CloudTrail logs `setAsDefault` as a boolean; accept the string form too. */
const setsDefault = (e: CloudTrailRecord): boolean => {
  const value = param(e.requestParameters, 'setAsDefault');
  return value === true || (typeof value === 'string' && value.toLowerCase() === 'true');
};

const grantsAdmin = (e: CloudTrailRecord): boolean => {
  if (isOneOf(ATTACH, e.eventName)) return isAdminManagedPolicyArn(stringParam(e.requestParameters, 'policyArn') ?? '');
  const document = param(e.requestParameters, 'policyDocument');
  if (isOneOf(PUT_INLINE, e.eventName)) return isAdminEquivalent(document);
  // CreatePolicyVersion: only a new default version changes what the attached principals may do.
  return setsDefault(e) && isAdminEquivalent(document);
};

const inline = (statement: Record<string, unknown>) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [statement] }, null, 4);

export const rule = defineRule({
  id: 'iam.admin-granted',
  title: 'Administrator-equivalent permissions granted',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.2'],
  mitre: ['T1098.003'],
  on: { source: 'iam', eventNames: [...ATTACH, ...PUT_INLINE, 'CreatePolicyVersion'] },
  match: (e) => isSuccess(e) && !isServiceInvoked(e) && grantsAdmin(e),
  dedup: { key: (e) => `${accountOf(e)}|${iamTargetArns(e).join(' ')}` },
  resources: iamTargetArns,
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A user, role or group was given administrator-equivalent access: AdministratorAccess or IAMFullAccess ' +
    'attached, an inline policy allowing "*", "*:*", "iam:*" or NotAction on every resource, or such a document ' +
    'made the default version of a managed policy.',
  runbook: [
    'Confirm who now holds admin: `aws iam list-attached-role-policies --role-name <role>` (or `list-attached-user-policies` / `list-attached-group-policies`, `get-role-policy`, `get-policy-version`), and for groups `aws iam get-group --group-name <group>` to see every member who inherited it.',
    'If there is no approved request for the grant, remove it: `aws iam detach-role-policy --role-name <role> --policy-arn <arn>`, `aws iam delete-role-policy --role-name <role> --policy-name <name>`, or `aws iam set-default-policy-version --policy-arn <arn> --version-id <previous>`.',
    'Revoke sessions that may already use it: for roles, `aws iam put-role-policy` with the AWSRevokeOlderSessions deny (console: "Revoke active sessions"); for users, deactivate their keys.',
    'Review every call made by the grantee and by the actor since the grant; an admin grant is the usual step before persistence (new users, keys, trust policies).',
    'Replace standing admin with a least-privilege policy or a time-bound break-glass process.',
  ],
  rationale:
    'Any successful admin grant is high without a threshold, critical on high-criticality assets: admin equivalence ' +
    'is the end state of privilege escalation (T1098.003). It matches even when the approved automation made it, ' +
    'because admin grants always deserve a person looking at them; AWS acting on its own (service-linked roles) is ' +
    'excluded. SetDefaultPolicyVersion is not judged here: CloudTrail does not record the document of the version ' +
    'being made default, so iam.policy-changed reports it. A CreatePolicyVersion that is not set as default grants ' +
    'nothing yet and does not match (the later SetDefaultPolicyVersion is caught by iam.policy-changed).',
  falsePositives: [
    'The approved deploy pipeline granting admin to its own execution or bootstrap role (e.g. CDK bootstrap): it still matches by design; suppress the specific role with a dated, reasoned suppression.',
    'Break-glass procedures that attach AdministratorAccess temporarily: expected, and exactly what should be reviewed.',
    'PowerUser-style inline policies (NotAction: iam:* on "*") match because they grant nearly everything.',
  ],
  cases: () => [
    { name: 'AdministratorAccess attached to a role', expect: 'match', event: fixture('iam/AttachRolePolicy-admin') },
    { name: 'IAMFullAccess attached to a user', expect: 'match', event: fixture('iam/AttachUserPolicy-admin') },
    {
      name: 'AdministratorAccess attached to a group in GovCloud',
      expect: 'match',
      event: fixture('iam/AttachRolePolicy-admin', {
        eventName: 'AttachGroupPolicy',
        awsRegion: 'us-gov-west-1',
        requestParameters: {
          roleName: undefined,
          groupName: 'platform-admins',
          policyArn: 'arn:aws-us-gov:iam::aws:policy/AdministratorAccess',
        },
      }),
    },
    {
      name: 'admin grant on a high-criticality asset',
      expect: 'match',
      criticality: 'high',
      event: fixture('iam/AttachRolePolicy-admin'),
    },
    { name: 'inline "*" on "*" put on a role', expect: 'match', event: fixture('iam/PutRolePolicy-admin') },
    {
      name: 'inline NotAction on "*" put on a group',
      expect: 'match',
      event: fixture('iam/PutRolePolicy-admin', {
        eventName: 'PutGroupPolicy',
        requestParameters: {
          roleName: undefined,
          groupName: 'developers',
          policyDocument: inline({ Effect: 'Allow', NotAction: ['iam:*', 'organizations:*'], Resource: '*' }),
        },
      }),
    },
    {
      name: 'inline admin policy logged URL-encoded',
      expect: 'match',
      event: fixture('iam/PutRolePolicy-admin', {
        requestParameters: {
          policyDocument: encodeURIComponent(inline({ Effect: 'Allow', Action: '*:*', Resource: '*' })),
        },
      }),
    },
    {
      name: 'new default policy version with iam:* on "*"',
      expect: 'match',
      event: fixture('iam/CreatePolicyVersion-admin'),
    },
    {
      name: 'admin policy version created but not set as default',
      expect: 'no-match',
      event: fixture('iam/CreatePolicyVersion-admin', {
        requestParameters: { setAsDefault: false },
        responseElements: { policyVersion: { isDefaultVersion: false } },
      }),
    },
    {
      name: 'ReadOnlyAccess attached',
      expect: 'no-match',
      event: fixture('iam/AttachRolePolicy-admin', {
        requestParameters: { policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
      }),
    },
    {
      name: 'customer policy that shares the AdministratorAccess name',
      expect: 'no-match',
      event: fixture('iam/AttachRolePolicy-admin', {
        requestParameters: { policyArn: 'arn:aws:iam::111122223333:policy/AdministratorAccess' },
      }),
    },
    { name: 'inline s3:GetObject on "*"', expect: 'no-match', event: fixture('iam/PutUserPolicy-s3-read') },
    {
      name: 'inline iam:PassRole only',
      expect: 'no-match',
      event: fixture('iam/PutRolePolicy-admin', {
        requestParameters: { policyDocument: inline({ Effect: 'Allow', Action: 'iam:PassRole', Resource: '*' }) },
      }),
    },
    {
      name: 'AttachRolePolicy denied',
      expect: 'no-match',
      event: fixture('iam/AttachRolePolicy-admin', {
        errorCode: 'AccessDenied',
        errorMessage:
          'User: arn:aws:iam::111122223333:user/alice is not authorized to perform: iam:AttachRolePolicy on resource: role app-runtime because no identity-based policy allows the iam:AttachRolePolicy action',
      }),
    },
    {
      name: 'approved deploy role through CloudFormation still matches',
      expect: 'match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('iam/AttachRolePolicy-cloudformation', {
        requestParameters: { policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
      }),
    },
    {
      name: 'Identity Center provisioning an admin permission set (service-linked role)',
      expect: 'no-match',
      event: fixture('iam/AttachRolePolicy-admin', {
        userIdentity: {
          type: 'AssumedRole',
          principalId: 'AROA3XFRBF23SSOEXAMPLE:AWS-SSO',
          arn: 'arn:aws:sts::111122223333:assumed-role/AWSServiceRoleForSSO/AWS-SSO',
          accessKeyId: 'ASIAIOSFODNN7EXAMPLE',
          userName: undefined,
          sessionContext: {
            sessionIssuer: {
              type: 'Role',
              principalId: 'AROA3XFRBF23SSOEXAMPLE',
              arn: 'arn:aws:iam::111122223333:role/aws-service-role/sso.amazonaws.com/AWSServiceRoleForSSO',
              accountId: '111122223333',
              userName: 'AWSServiceRoleForSSO',
            },
            attributes: { creationDate: '2026-11-02T11:00:00Z', mfaAuthenticated: 'false' },
          },
          invokedBy: 'sso.amazonaws.com',
        },
        sourceIPAddress: 'sso.amazonaws.com',
        userAgent: 'sso.amazonaws.com',
        requestParameters: { roleName: 'AWSReservedSSO_AdministratorAccess_0123456789abcdef' },
      }),
    },
    {
      name: 'SetDefaultPolicyVersion is left to iam.policy-changed',
      expect: 'no-match',
      event: fixture('iam/SetDefaultPolicyVersion'),
    },
  ],
};
