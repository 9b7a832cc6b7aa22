import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, param, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { iamTargetArns, isActingIamUser, sameIamName } from '../core/iam-policy.ts';
import { isAllow, parsePolicyDocument } from '../core/resource-policy.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';

const USER_GRANTS = ['AttachUserPolicy', 'PutUserPolicy', 'AddUserToGroup'] as const;
const ROLE_GRANTS = ['AttachRolePolicy', 'PutRolePolicy'] as const;

const isOneOf = (list: readonly string[], name: string): boolean => list.includes(name);

/**
 * Does the call change the caller's own permissions? An IAM user acting on its own user name, or a role session
 * acting on the role it was assumed from (the session issuer), in the same account.
 */
const targetsItself = (e: CloudTrailRecord): boolean => {
  const id = e.userIdentity;
  if (isOneOf(USER_GRANTS, e.eventName)) {
    return isActingIamUser(e, stringParam(e.requestParameters, 'userName'));
  }
  const issuer = id.sessionContext?.sessionIssuer;
  return (
    id.type === 'AssumedRole' &&
    issuer?.type === 'Role' &&
    (issuer.accountId === undefined || issuer.accountId === accountOf(e)) &&
    sameIamName(issuer.userName, stringParam(e.requestParameters, 'roleName'))
  );
};

/** An inline policy of nothing but `Deny` statements takes rights away; anything else may grant. */
const grants = (e: CloudTrailRecord): boolean => {
  if (e.eventName !== 'PutUserPolicy' && e.eventName !== 'PutRolePolicy') return true;
  const parsed = parsePolicyDocument(param(e.requestParameters, 'policyDocument'));
  return !parsed.ok || parsed.statements.some(({ body }) => isAllow(body));
};

export const rule = defineRule({
  id: 'iam.self-privilege-grant',
  title: 'Principal granted permissions to itself',
  severity: 'critical',
  controls: ['A.8.2'],
  mitre: ['T1548', 'T1098'],
  on: { source: 'iam', eventNames: [...USER_GRANTS, ...ROLE_GRANTS] },
  explain: (e, ctx) => unapprovedReasons(e, ctx.config.approved),
  match: (e, ctx) => targetsItself(e) && grants(e) && isUnapprovedChange(e, ctx.config.approved),
  resources: iamTargetArns,
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An IAM user attached or put a policy on itself or added itself to a group, or a role session attached or put ' +
    'a policy on its own role: the caller raised its own privileges.',
  runbook: [
    'See what was granted: `aws iam list-attached-user-policies --user-name <user>` / `aws iam get-user-policy ' +
      '--user-name <user> --policy-name <name>` / `aws iam list-groups-for-user --user-name <user>`, or for a role ' +
      '`aws iam list-attached-role-policies --role-name <role>` / `aws iam get-role-policy --role-name <role> ' +
      '--policy-name <name>`.',
    'Revert it unless there is an approved change: `aws iam detach-user-policy`, `aws iam delete-user-policy`, ' +
      '`aws iam remove-user-from-group`, `aws iam detach-role-policy`, `aws iam delete-role-policy`.',
    'Treat the credentials as compromised until shown otherwise: deactivate the user’s keys (`aws iam ' +
      'update-access-key --status Inactive`) or revoke the role’s sessions (console "Revoke active sessions", which ' +
      'puts the AWSRevokeOlderSessions deny), then review every call they made since the grant.',
    'Remove the permission that allowed it (iam:Attach*/Put*Policy or iam:AddUserToGroup on itself), e.g. with a ' +
      'permissions boundary or an SCP.',
  ],
  rationale:
    'A principal that can edit its own permissions can make itself anything: the canonical IAM privilege ' +
    'escalation (T1548, T1098; Rhino Security Labs methods 8–12). Critical whatever the asset, with no threshold, ' +
    'because legitimate IAM work is done by administrators on others or by the approved automation (excluded). An ' +
    'inline policy of only Deny statements grants nothing and does not match. Not covered: grants through a group ' +
    'the caller already belongs to, or through a new version of a managed policy attached to it, since CloudTrail ' +
    'does not say who holds the group or policy (iam.policy-changed still reports those).',
  falsePositives: [
    'An administrator adding a policy to their own IAM user for a one-off task (still worth a second pair of eyes).',
    'Automation roles that manage their own inline policy and are not yet listed in `approved.automationRoles`.',
  ],
  cases: () => [
    {
      name: 'instance role attaches AdministratorAccess to itself',
      expect: 'match',
      event: fixture('iam/AttachRolePolicy-self'),
    },
    {
      name: 'role session puts an inline policy on its own role',
      expect: 'match',
      event: fixture('iam/AttachRolePolicy-self', {
        eventName: 'PutRolePolicy',
        requestParameters: {
          roleName: 'ci-runner',
          policyArn: undefined,
          policyName: 'ci-extra',
          policyDocument: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}',
        },
      }),
    },
    {
      name: 'IAM user puts an inline policy on itself',
      expect: 'match',
      event: fixture('iam/PutUserPolicy-s3-read', { requestParameters: { userName: 'alice' } }),
    },
    {
      name: 'IAM user attaches a managed policy to itself, naming itself in another case',
      expect: 'match',
      event: fixture('iam/AttachUserPolicy-admin', { requestParameters: { userName: 'Alice' } }),
    },
    {
      name: 'IAM user adds itself to a group',
      expect: 'match',
      event: fixture('iam/AddUserToGroup', { requestParameters: { userName: 'alice' } }),
    },
    {
      name: 'IAM user grants a policy to another user',
      expect: 'no-match',
      event: fixture('iam/PutUserPolicy-s3-read'),
    },
    {
      name: 'role session attaches a policy to a different role',
      expect: 'no-match',
      event: fixture('iam/AttachRolePolicy-self', { requestParameters: { roleName: 'app-runtime' } }),
    },
    {
      name: 'IAM user touching a role that shares its name is not self',
      expect: 'no-match',
      event: fixture('iam/AttachRolePolicy-admin', { requestParameters: { roleName: 'alice' } }),
    },
    {
      name: 'a user putting a Deny-only policy on itself restricts, not grants',
      expect: 'no-match',
      event: fixture('iam/PutUserPolicy-s3-read', {
        requestParameters: {
          userName: 'alice',
          policyDocument:
            '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}]}',
        },
      }),
    },
    {
      name: 'self-attach denied',
      expect: 'no-match',
      event: fixture('iam/AttachRolePolicy-self', {
        errorCode: 'AccessDenied',
        errorMessage:
          'User: arn:aws:sts::111122223333:assumed-role/ci-runner/i-0a1b2c3d4e5f67890 is not authorized to perform: iam:AttachRolePolicy on resource: role ci-runner because no identity-based policy allows the iam:AttachRolePolicy action',
      }),
    },
    {
      name: 'detaching a policy from itself is a sibling event the rule does not select',
      expect: 'no-match',
      event: fixture('iam/AttachRolePolicy-self', { eventName: 'DetachRolePolicy' }),
    },
    {
      name: 'approved deploy role updating its own policy through CloudFormation',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('iam/AttachRolePolicy-cloudformation', { requestParameters: { roleName: 'deploy-role' } }),
    },
    {
      name: 'the same deploy-role change when nothing is approved',
      expect: 'match',
      event: fixture('iam/AttachRolePolicy-cloudformation', { requestParameters: { roleName: 'deploy-role' } }),
    },
  ],
};
