import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isServiceInvoked, isSuccess, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { iamNameKey, iamTargetArns } from '../core/iam-policy.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';

/**
 * Group names people give to privileged groups. A name is only a hint (CloudTrail does not say what the group
 * grants), so this is a deliberately broad substring match: it catches `Admins`, `platform-admins`,
 * `Administrators`, `PowerUsers`, `root-access`, `superusers`, at the price of the odd `badminton-club`.
 */
const ADMIN_GROUP_NAME = /admin|administrators|poweruser|root|superuser/i;

const groupOf = (e: CloudTrailRecord): string => stringParam(e.requestParameters, 'groupName') ?? '';

export const rule = defineRule({
  id: 'iam.user-added-to-admin-group',
  title: 'IAM user added to an administrative group',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.2'],
  mitre: ['T1098'],
  on: { source: 'iam', eventNames: ['AddUserToGroup'] },
  match: (e) => isSuccess(e) && !isServiceInvoked(e) && ADMIN_GROUP_NAME.test(groupOf(e)),
  resources: iamTargetArns,
  dedup: {
    key: (e) => `${accountOf(e)}|${iamNameKey(e, 'groupName')}|${iamNameKey(e, 'userName')}`,
  },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An IAM user was added to a group whose name marks it as administrative (admin, administrators, poweruser, ' +
    'root, superuser): the user now holds whatever that group grants, usually full control.',
  runbook: [
    'Confirm what the group grants and who is in it: `aws iam list-attached-group-policies --group-name <group>`, ' +
      '`aws iam list-group-policies --group-name <group>`, `aws iam get-group --group-name <group>`.',
    'Ask for the access request behind the membership. If there is none, remove it: `aws iam ' +
      'remove-user-from-group --group-name <group> --user-name <user>`.',
    'Review what the user did since joining (`aws cloudtrail lookup-events --lookup-attributes ' +
      'AttributeKey=Username,AttributeValue=<user>`), and whether the actor added itself or a dormant user ' +
      '(persistence).',
    'Prefer time-bound elevation (Identity Center permission sets, break-glass roles) over standing admin groups.',
  ],
  rationale:
    'Standing admin membership is exactly the privileged access A.8.2 wants reviewed, and adding a user to an admin ' +
    'group is a one-call escalation (T1098). CloudTrail does not record what the group grants, so the group name is ' +
    'the signal: a broad, case-insensitive substring match on admin / administrators / poweruser / root / superuser, ' +
    'which favours catching renamed admin groups over silence. It matches whoever makes the change, approved ' +
    'automation included, because every new admin deserves a person looking at it; high, critical on ' +
    'high-criticality accounts. Grants to groups with other names are still reported by iam.policy-changed.',
  falsePositives: [
    'Groups whose name merely contains one of the words (`badminton-club`, `grassroots-editors`, ' +
      '`admin-readonly`): rename the group or suppress it with a reason.',
    'Planned onboarding of a new administrator (should come with an access request).',
  ],
  cases: () => [
    { name: 'user added to platform-admins', expect: 'match', event: fixture('iam/AddUserToGroup') },
    {
      name: 'user added to Administrators, whatever the case',
      expect: 'match',
      criticality: 'high',
      event: fixture('iam/AddUserToGroup', { requestParameters: { groupName: 'ADMINISTRATORS' } }),
    },
    {
      name: 'user added to PowerUsers',
      expect: 'match',
      event: fixture('iam/AddUserToGroup', { requestParameters: { groupName: 'PowerUsers' } }),
    },
    {
      name: 'approved automation adding an admin still matches',
      expect: 'match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('iam/AddUserToGroup', {
        userIdentity: {
          ...(fixture('iam/AttachRolePolicy-cloudformation').userIdentity as Record<string, unknown>),
          userName: undefined,
        },
        sourceIPAddress: 'cloudformation.amazonaws.com',
        userAgent: 'cloudformation.amazonaws.com',
        tlsDetails: undefined,
      }),
    },
    {
      name: 'user added to an ordinary group',
      expect: 'no-match',
      event: fixture('iam/AddUserToGroup', { requestParameters: { groupName: 'developers' } }),
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
    {
      name: 'removing a user from an admin group is a sibling event the rule does not select',
      expect: 'no-match',
      event: fixture('iam/AddUserToGroup', { eventName: 'RemoveUserFromGroup' }),
    },
  ],
};
