import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { defineRule } from '../core/define-rule.ts';
import { iamTargetArns } from '../core/iam-policy.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';

/** CIS AWS Foundations "IAM policy changes" metric filter, plus the other ways to change what a principal may do. */
const CIS_POLICY_CHANGES = [
  'DeleteGroupPolicy',
  'DeleteRolePolicy',
  'DeleteUserPolicy',
  'PutGroupPolicy',
  'PutRolePolicy',
  'PutUserPolicy',
  'CreatePolicy',
  'DeletePolicy',
  'CreatePolicyVersion',
  'DeletePolicyVersion',
  'AttachRolePolicy',
  'DetachRolePolicy',
  'AttachUserPolicy',
  'DetachUserPolicy',
  'AttachGroupPolicy',
  'DetachGroupPolicy',
] as const;
const OTHER_PRIVILEGE_CHANGES = [
  'SetDefaultPolicyVersion',
  'PutRolePermissionsBoundary',
  'DeleteRolePermissionsBoundary',
  'PutUserPermissionsBoundary',
  'DeleteUserPermissionsBoundary',
  'UpdateAssumeRolePolicy',
  'AddUserToGroup',
  // Deleting a group takes its policies away from every member at once; Splunk watches it for IAM disruption.
  'DeleteGroup',
] as const;

const byHand = {
  userIdentity: {
    principalId: 'AROACKCEVSQ6C2EXAMPLE:alice',
    arn: 'arn:aws:sts::111122223333:assumed-role/deploy-role/alice',
    invokedBy: undefined,
  },
  sourceIPAddress: '203.0.113.24',
  userAgent:
    'aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.1 os/linux#6.8.0-1019-aws md/arch#x86_64 lang/python#3.12.6 md/command#iam.attach-role-policy',
};

export const rule = defineRule({
  id: 'iam.policy-changed',
  title: 'IAM permissions changed outside the approved process',
  severity: 'medium',
  escalation: { high: 'critical' },
  controls: ['A.8.2'],
  mitre: ['T1098'],
  on: { source: 'iam', eventNames: [...CIS_POLICY_CHANGES, ...OTHER_PRIVILEGE_CHANGES] },
  match: (e, ctx) => isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => unapprovedReasons(e, ctx.config.approved),
  resources: iamTargetArns,
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An IAM policy, policy attachment, policy version, permissions boundary, role trust policy, group ' +
    'membership or group (deleted) changed, and the change did not come from an approved automation role through approved IaC ' +
    'tooling.',
  runbook: [
    'Identify the change and its target from the finding (eventName, requestParameters); get the current state, e.g. `aws iam list-attached-role-policies --role-name <role>`, `aws iam get-role-policy --role-name <role> --policy-name <name>`, `aws iam get-policy-version --policy-arn <arn> --version-id <v>`, `aws iam get-role --role-name <role>` (trust policy).',
    'Ask the actor or owner for the change record. If there is none, revert it: `aws iam detach-role-policy` / `delete-role-policy` / `set-default-policy-version --version-id <previous>` / `update-assume-role-policy --policy-document file://previous.json` / `remove-user-from-group`.',
    'If the target now has more access than before, check what it did with it: CloudTrail events by the target principal since the change.',
    'If the actor is not a known administrator, treat it as an incident: review all its recent calls and rotate its credentials (`aws iam update-access-key --status Inactive`, or revoke role sessions).',
    'Make the change again through the approved pipeline so the code stays the source of truth, or add the principal to `approved.automationRoles` if it is genuinely automation.',
  ],
  rationale:
    'Privilege changes should only come through the approved process (DESIGN §3): any change by another principal, ' +
    'or by the deploy role used by hand, is a finding without a threshold. Medium by default; critical on ' +
    'high-criticality assets ("any unauthorised privilege change"). CloudFormation-invoked calls are judged like ' +
    'any other, so deploying a stack is not a way around the rule; calls AWS makes on its own (service-linked ' +
    'roles) are not. Repeats by the same principal within an hour fold into one finding, so one unapproved ' +
    'deployment pages once.',
  falsePositives: [
    'Administrators making emergency changes by hand (break-glass): expected to be reviewed, not suppressed.',
    'Automation roles or IaC tools not yet listed in `approved.automationRoles` / `approved.iacUserAgents`.',
    'Identity Center users with administrator permission sets doing routine IAM work from the console.',
  ],
  cases: () => [
    { name: 'managed policy detached by a person', expect: 'match', event: fixture('iam/DetachRolePolicy') },
    { name: 'managed policy attached by a person', expect: 'match', event: fixture('iam/AttachRolePolicy-admin') },
    { name: 'inline policy put by a person', expect: 'match', event: fixture('iam/PutUserPolicy-s3-read') },
    { name: 'group deleted by a person', expect: 'match', event: fixture('iam/DeleteGroup') },
    { name: 'default policy version switched', expect: 'match', event: fixture('iam/SetDefaultPolicyVersion') },
    { name: 'permissions boundary replaced', expect: 'match', event: fixture('iam/PutRolePermissionsBoundary') },
    {
      name: 'permissions boundary removed',
      expect: 'match',
      event: fixture('iam/PutRolePermissionsBoundary', {
        eventName: 'DeleteRolePermissionsBoundary',
        requestParameters: { permissionsBoundary: undefined },
      }),
    },
    { name: 'role trust policy rewritten', expect: 'match', event: fixture('iam/UpdateAssumeRolePolicy') },
    { name: 'user added to a group', expect: 'match', event: fixture('iam/AddUserToGroup') },
    {
      name: 'change on a high-criticality asset',
      expect: 'match',
      criticality: 'high',
      event: fixture('iam/DetachRolePolicy'),
    },
    {
      name: 'AddUserToGroup denied',
      expect: 'no-match',
      event: fixture('iam/AddUserToGroup', {
        errorCode: 'AccessDenied',
        errorMessage:
          'User: arn:aws:iam::111122223333:user/alice is not authorized to perform: iam:AddUserToGroup on resource: group platform-admins because no identity-based policy allows the iam:AddUserToGroup action',
      }),
    },
    { name: 'tagging a role is not a privilege change', expect: 'no-match', event: fixture('iam/TagRole') },
    {
      name: 'Identity Center provisioning a permission set (service-linked role)',
      expect: 'no-match',
      event: fixture('iam/DetachRolePolicy', {
        eventName: 'PutRolePolicy',
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
            attributes: { creationDate: '2026-11-02T11:25:00Z', mfaAuthenticated: 'false' },
          },
          invokedBy: 'sso.amazonaws.com',
        },
        sourceIPAddress: 'sso.amazonaws.com',
        userAgent: 'sso.amazonaws.com',
        requestParameters: {
          roleName: 'AWSReservedSSO_ReadOnly_0123456789abcdef',
          policyArn: undefined,
          policyName: 'AwsSSOInlinePolicy',
          policyDocument:
            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}',
        },
      }),
    },
    {
      name: 'approved deploy role through CloudFormation',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('iam/AttachRolePolicy-cloudformation'),
    },
    {
      name: 'approved deploy role used by hand from the CLI',
      expect: 'match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('iam/AttachRolePolicy-cloudformation', byHand),
    },
    {
      name: 'a person deploying through CloudFormation with their own credentials',
      expect: 'match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('iam/AttachRolePolicy-cloudformation', {
        userIdentity: {
          type: 'IAMUser',
          principalId: 'AIDACKCEVSQ6C2EXAMPLE',
          arn: 'arn:aws:iam::111122223333:user/alice',
          userName: 'alice',
          sessionContext: undefined,
        },
      }),
    },
    {
      name: 'deploy role through CloudFormation when nothing is approved',
      expect: 'match',
      event: fixture('iam/AttachRolePolicy-cloudformation'),
    },
  ],
};
