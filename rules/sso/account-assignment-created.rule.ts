import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';

/** Who got which permission set in which account, for the finding. */
const assignment = (e: CloudTrailRecord): string[] => {
  const p = e.requestParameters;
  const who = `${stringParam(p, 'principalType') ?? 'principal'} ${stringParam(p, 'principalId') ?? '?'}`;
  return [
    `${who} assigned ${stringParam(p, 'permissionSetArn') ?? 'a permission set'} in ${stringParam(p, 'targetType') ?? 'target'} ${stringParam(p, 'targetId') ?? '?'}`,
  ];
};

const resourcesOf = (e: CloudTrailRecord): string[] => {
  const ps = stringParam(e.requestParameters, 'permissionSetArn');
  return ps === undefined ? [] : [ps];
};

export const rule = defineRule({
  id: 'sso.account-assignment-created',
  title: 'IAM Identity Center account access granted outside the approved process',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.2', 'A.8.5'],
  mitre: ['T1098'],
  on: { source: 'sso', eventNames: ['CreateAccountAssignment'] },
  match: (e, ctx) => isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [...assignment(e), ...unapprovedReasons(e, ctx.config.approved)],
  dedup: {
    key: (e) =>
      `${stringParam(e.requestParameters, 'principalId') ?? '?'}|${stringParam(e.requestParameters, 'targetId') ?? '?'}|${stringParam(e.requestParameters, 'permissionSetArn') ?? '?'}`,
  },
  resources: resourcesOf,
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A user or group was given a permission set in an AWS account through IAM Identity Center by someone other ' +
    'than the approved automation: standing access was granted by hand, with no record of who approved it.',
  runbook: [
    'Identify the principal: `aws identitystore describe-user --identity-store-id <id> --user-id <principalId>` (or describe-group).',
    "Check the permission set's policies (`aws sso-admin list-managed-policies-in-permission-set`) to judge the privilege granted.",
    'Unless an access request covers it, remove it: `aws sso-admin delete-account-assignment` with the same parameters.',
  ],
  rationale:
    'Medium by default (high on high-criticality accounts): assignments are how access is normally granted, so ' +
    'only those made outside the approved process are reported; which permission sets are privileged is not visible ' +
    'in the event, so the finding names it for on-call to judge. Assigning an admin permission set is also an ' +
    "attacker's persistence step (T1098).",
  falsePositives: [
    'Identity Center administrators granting access by hand where no automation exists: add their role to approved.automationRoles or suppress with a reason.',
  ],
  cases: () => [
    { name: 'user assigned a permission set by hand', expect: 'match', event: fixture('sso/CreateAccountAssignment') },
    {
      name: 'assignment made by the approved deploy role through CloudFormation',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('sso/CreateAccountAssignment', {
        userIdentity: fixture('iam/AttachRolePolicy-cloudformation').userIdentity,
        sourceIPAddress: 'cloudformation.amazonaws.com',
        userAgent: 'cloudformation.amazonaws.com',
      }),
    },
    {
      name: 'CreateAccountAssignment denied',
      expect: 'no-match',
      event: fixture('sso/CreateAccountAssignment', {
        errorCode: 'AccessDeniedException',
        errorMessage:
          'User: arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/bob is not authorized to perform: sso:CreateAccountAssignment',
        responseElements: null,
      }),
    },
  ],
};
