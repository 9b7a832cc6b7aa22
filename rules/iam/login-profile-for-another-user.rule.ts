import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { accountOf } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { iamNameKey, iamTargetArns, targetsAnotherIamUser } from '../core/iam-policy.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';

/** The approved deploy role's identity as CloudFormation uses it, from the shared fixture. */
const deployRoleViaCloudFormation = (): Record<string, unknown> =>
  fixture('iam/AttachRolePolicy-cloudformation').userIdentity as Record<string, unknown>;

export const rule = defineRule({
  id: 'iam.login-profile-for-another-user',
  title: 'Console password created or reset for another IAM user',
  severity: 'medium',
  escalation: { high: 'critical' },
  controls: ['A.8.5', 'A.8.2'],
  mitre: ['T1098'],
  on: { source: 'iam', eventNames: ['CreateLoginProfile', 'UpdateLoginProfile'] },
  // Is the login profile someone else's? Without `userName` the call is about the caller itself; root, roles and
  // federated sessions are never the IAM user they name.
  explain: (e, ctx) => unapprovedReasons(e, ctx.config.approved),
  match: (e, ctx) => targetsAnotherIamUser(e) && isUnapprovedChange(e, ctx.config.approved),
  resources: iamTargetArns,
  dedup: { key: (e) => `${accountOf(e)}|${iamNameKey(e, 'userName')}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A console password (login profile) was created or changed for an IAM user by someone other than that user: ' +
    'an administrator resetting a password, or an attacker giving a dormant or programmatic user console access ' +
    'they control.',
  runbook: [
    'Ask the target user whether they asked for a new password, and the actor for the ticket. Programmatic users ' +
      '(service accounts) should never have a console password at all.',
    'If it was not requested: remove console access (`aws iam delete-login-profile --user-name <user>`) or force a ' +
      'reset (`aws iam update-login-profile --user-name <user> --password-reset-required`).',
    'Look for console sign-ins as the user since the change (`aws cloudtrail lookup-events --region us-east-1 ' +
      '--lookup-attributes AttributeKey=Username,AttributeValue=<user>`) and review what those sessions did.',
    'Check what the user can do (`aws iam list-attached-user-policies --user-name <user>`, `aws iam ' +
      'list-groups-for-user --user-name <user>`): a privileged target makes this an account-takeover attempt.',
  ],
  rationale:
    'Setting another user’s console password is how an attacker with iam:CreateLoginProfile / UpdateLoginProfile ' +
    'turns someone else’s identity into console access (T1098, a Stratus Red Team persistence and privilege ' +
    'escalation technique). Legitimate resets exist, so it is medium by default (DESIGN §3: password resets for ' +
    'privileged accounts are medium) and critical on high-criticality assets. Users changing their own password ' +
    '(ChangePassword, or UpdateLoginProfile on their own name) and the approved automation are excluded. Without ' +
    '`userName` the call is for the caller itself and does not match. A create and later resets of the same ' +
    'user within an hour fold into one finding.',
  falsePositives: [
    'Help-desk or administrator password resets for users locked out of the console.',
    'Onboarding that creates a console password for a new user outside the approved automation.',
  ],
  cases: () => [
    {
      name: 'IAM user creates a console password for another user',
      expect: 'match',
      event: fixture('iam/CreateLoginProfile'),
    },
    { name: 'SSO administrator resets a user’s password', expect: 'match', event: fixture('iam/UpdateLoginProfile') },
    {
      name: 'root sets a password for an IAM user',
      expect: 'match',
      event: fixture('iam/CreateLoginProfile', {
        userIdentity: {
          type: 'Root',
          principalId: '111122223333',
          arn: 'arn:aws:iam::111122223333:root',
          userName: undefined,
          accessKeyId: 'ASIAIOSFODNN7EXAMPLE',
        },
      }),
    },
    {
      name: 'an SSO session named after the user is still not that IAM user',
      expect: 'match',
      event: fixture('iam/UpdateLoginProfile', {
        userIdentity: {
          principalId: 'AROA4EXAMPLESSOADMIN:bob',
          arn: 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_AdministratorAccess_3f9a1c5e7b2d4f6a/bob',
        },
      }),
    },
    {
      name: 'user updates their own login profile',
      expect: 'no-match',
      event: fixture('iam/CreateLoginProfile', {
        eventName: 'UpdateLoginProfile',
        requestParameters: { userName: 'alice', passwordResetRequired: false },
        responseElements: null,
      }),
    },
    {
      name: 'own user name written in another case is still self',
      expect: 'no-match',
      event: fixture('iam/CreateLoginProfile', {
        requestParameters: { userName: 'Alice' },
        responseElements: { loginProfile: { userName: 'Alice', passwordResetRequired: false } },
      }),
    },
    {
      name: 'ChangePassword (a user changing their own password) is a sibling event the rule does not select',
      expect: 'no-match',
      event: fixture('iam/CreateLoginProfile', {
        eventName: 'ChangePassword',
        requestParameters: null,
        responseElements: null,
      }),
    },
    {
      name: 'creating a login profile denied',
      expect: 'no-match',
      event: fixture('iam/CreateLoginProfile', {
        errorCode: 'AccessDenied',
        errorMessage:
          'User: arn:aws:iam::111122223333:user/alice is not authorized to perform: iam:CreateLoginProfile on resource: user bob because no identity-based policy allows the iam:CreateLoginProfile action',
        responseElements: null,
      }),
    },
    {
      name: 'login profile already exists',
      expect: 'no-match',
      event: fixture('iam/CreateLoginProfile', {
        errorCode: 'EntityAlreadyExistsException',
        errorMessage: 'Login Profile for user bob already exists.',
        responseElements: null,
      }),
    },
    {
      name: 'approved automation through CloudFormation',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('iam/CreateLoginProfile', {
        userIdentity: { ...deployRoleViaCloudFormation(), userName: undefined },
        sourceIPAddress: 'cloudformation.amazonaws.com',
        userAgent: 'cloudformation.amazonaws.com',
        tlsDetails: undefined,
      }),
    },
  ],
};
