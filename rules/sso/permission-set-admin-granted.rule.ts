import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { isServiceInvoked, isSuccess, param, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { analyzeIdentityPolicy, isAdminManagedPolicyArn } from '../core/iam-policy.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

const EVENTS = [
  'AttachManagedPolicyToPermissionSet',
  'PutInlinePolicyToPermissionSet',
  'DeletePermissionsBoundaryFromPermissionSet',
] as const;

/**
 * Why the call makes the permission set admin-equivalent, or nothing. An inline policy the record cannot show
 * (CloudTrail may omit or truncate it) counts, failing closed: the permission set was changed and nobody can say how.
 */
const adminReasons = (e: CloudTrailRecord): string[] => {
  switch (e.eventName) {
    case 'AttachManagedPolicyToPermissionSet': {
      const arn = stringParam(e.requestParameters, 'managedPolicyArn');
      return arn !== undefined && isAdminManagedPolicyArn(arn) ? [`managed policy ${arn} attached`] : [];
    }
    case 'PutInlinePolicyToPermissionSet': {
      const result = analyzeIdentityPolicy(param(e.requestParameters, 'inlinePolicy'));
      if (result.kind === 'admin') return [`inline policy grants admin through ${result.statements.join(', ')}`];
      return result.kind === 'invalid' ? [`inline policy could not be read (${result.error})`] : [];
    }
    case 'DeletePermissionsBoundaryFromPermissionSet':
      return ['permissions boundary removed'];
    default:
      return [];
  }
};

const permissionSet = (e: CloudTrailRecord): string[] => {
  const arn = stringParam(e.requestParameters, 'permissionSetArn');
  return arn === undefined ? [] : [arn];
};

export const rule = defineRule({
  id: 'sso.permission-set-admin-granted',
  title: 'IAM Identity Center permission set given administrator access',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.2'],
  mitre: ['T1098.003', 'T1484'],
  on: { source: 'sso', eventNames: [...EVENTS] },
  match: (e) => isSuccess(e) && !isServiceInvoked(e) && adminReasons(e).length > 0,
  explain: adminReasons,
  dedup: { key: (e) => permissionSet(e).join(' ') || 'unknown-permission-set' },
  resources: permissionSet,
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An IAM Identity Center permission set was made administrator-equivalent: AdministratorAccess or IAMFullAccess ' +
    'attached, an inline policy allowing everything, or its permissions boundary removed. Every user and group ' +
    'assigned it, in every account it is provisioned to, becomes admin at the next sign-in.',
  runbook: [
    'Read the permission set: `aws sso-admin list-managed-policies-in-permission-set --instance-arn <i> --permission-set-arn <ps>`, `get-inline-policy-for-permission-set`, `get-permissions-boundary-for-permission-set`.',
    'See who holds it: `aws sso-admin list-accounts-for-provisioned-permission-set` and `list-account-assignments` per account.',
    'Unless a change record explains it, detach the policy or restore the inline policy/boundary and re-provision (`provision-permission-set`).',
  ],
  rationale:
    'One successful call is enough, as iam.admin-granted: a permission set is an IAM role in every account it is ' +
    'provisioned to, so this is the same privilege escalation at organisation scale. An unreadable inline policy ' +
    'matches (fail closed).',
  falsePositives: [
    'The break-glass or platform-admin permission set being maintained: suppress that permission set ARN with a reason.',
  ],
  cases: () => [
    { name: 'AdministratorAccess attached', expect: 'match', event: fixture('sso/AttachManagedPolicyToPermissionSet') },
    { name: 'inline policy allows everything', expect: 'match', event: fixture('sso/PutInlinePolicyToPermissionSet') },
    {
      name: 'read-only managed policy attached',
      expect: 'no-match',
      event: fixture('sso/AttachManagedPolicyToPermissionSet', {
        requestParameters: { managedPolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
      }),
    },
    {
      name: 'inline policy scoped to one bucket',
      expect: 'no-match',
      event: fixture('sso/PutInlinePolicyToPermissionSet', {
        requestParameters: {
          inlinePolicy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::reports/*' }],
          }),
        },
      }),
    },
    {
      name: 'AttachManagedPolicyToPermissionSet denied',
      expect: 'no-match',
      event: fixture('sso/AttachManagedPolicyToPermissionSet', {
        errorCode: 'AccessDeniedException',
        errorMessage:
          'User: arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/bob is not authorized to perform: sso:AttachManagedPolicyToPermissionSet',
      }),
    },
  ],
};
