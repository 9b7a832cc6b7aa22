import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { iamTargetArns } from '../core/iam-policy.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';

/** The new user's ARN as IAM returned it (with its path), else built from the request. */
const newUserArn = (e: CloudTrailRecord): readonly string[] => {
  const arn = stringParam(e.responseElements, 'user', 'arn');
  return arn ? [arn] : iamTargetArns(e);
};

const viaCloudFormation = (): Record<string, unknown> => ({
  userIdentity: {
    ...(fixture('iam/AttachRolePolicy-cloudformation').userIdentity as Record<string, unknown>),
    userName: undefined,
  },
  sourceIPAddress: 'cloudformation.amazonaws.com',
  userAgent: 'cloudformation.amazonaws.com',
  tlsDetails: undefined,
});

export const rule = defineRule({
  id: 'iam.user-created',
  title: 'IAM user created outside the approved process',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.2'],
  mitre: ['T1136.003'],
  on: { source: 'iam', eventNames: ['CreateUser'] },
  explain: (e, ctx) => unapprovedReasons(e, ctx.config.approved),
  match: (e, ctx) => isUnapprovedChange(e, ctx.config.approved),
  resources: newUserArn,
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A new IAM user was created by someone other than the approved automation: a long-lived identity that can be ' +
    'given a password and access keys, and that nobody may be tracking.',
  runbook: [
    'Ask the actor for the request behind the new user; with Identity Center in place most organisations need no ' +
      'IAM users at all.',
    'See what the user has already been given: `aws iam list-access-keys --user-name <user>`, `aws iam ' +
      'get-login-profile --user-name <user>`, `aws iam list-attached-user-policies --user-name <user>`, ' +
      '`aws iam list-groups-for-user --user-name <user>`.',
    'If it is not approved: delete its keys, login profile, policies and group memberships, then the user ' +
      '(`aws iam delete-access-key`, `delete-login-profile`, `detach-user-policy`, `remove-user-from-group`, ' +
      '`delete-user --user-name <user>`), and review everything the actor did around the same time.',
    'If it is needed, recreate it through the approved pipeline so it is owned and reviewed.',
  ],
  rationale:
    'A new IAM user is a classic persistence step (T1136.003: create a cloud account) and DESIGN §3 asks for IAM ' +
    'users created outside approved automation to be reported. One new user is enough, so no threshold; medium by ' +
    'default and high on high-criticality accounts. The approved automation (deploy role through approved IaC) is ' +
    'excluded, as are failed calls; CloudFormation stacks deployed by anyone else still count.',
  falsePositives: [
    'Administrators creating a user by hand for a vendor integration that cannot use roles.',
    'Automation not yet listed in `approved.automationRoles` / `approved.iacUserAgents`.',
  ],
  cases: () => [
    { name: 'IAM user creates a user from the CLI', expect: 'match', event: fixture('iam/CreateUser') },
    {
      name: 'created on a high-criticality account',
      expect: 'match',
      criticality: 'high',
      event: fixture('iam/CreateUser', { requestParameters: { userName: 'break-glass-2', path: '/emergency/' } }),
    },
    {
      name: 'deploy role used by hand from the CLI is not the approved process',
      expect: 'match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('iam/CreateUser', {
        ...viaCloudFormation(),
        userIdentity: {
          ...(viaCloudFormation().userIdentity as Record<string, unknown>),
          principalId: 'AROACKCEVSQ6C2EXAMPLE:alice',
          arn: 'arn:aws:sts::111122223333:assumed-role/deploy-role/alice',
          invokedBy: undefined,
        },
        sourceIPAddress: '203.0.113.24',
        userAgent:
          'aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.1 os/linux#6.8.0-1019-aws md/arch#x86_64 lang/python#3.12.6 md/command#iam.create-user',
      }),
    },
    {
      name: 'approved deploy role through CloudFormation',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('iam/CreateUser', viaCloudFormation()),
    },
    {
      name: 'user name already taken',
      expect: 'no-match',
      event: fixture('iam/CreateUser', {
        errorCode: 'EntityAlreadyExistsException',
        errorMessage: 'User with name reporting-export already exists.',
        responseElements: null,
      }),
    },
    {
      name: 'CreateUser denied',
      expect: 'no-match',
      event: fixture('iam/CreateUser', {
        errorCode: 'AccessDenied',
        errorMessage:
          'User: arn:aws:iam::111122223333:user/alice is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::111122223333:user/reporting-export because no identity-based policy allows the iam:CreateUser action',
        responseElements: null,
      }),
    },
    {
      name: 'creating an access key is a sibling event the rule does not select',
      expect: 'no-match',
      event: fixture('iam/CreateAccessKey'),
    },
  ],
};
