import { isApprovedChange, unapprovedReasons } from '../core/approved.ts';
import { accountRootArn, partitionOf } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isServiceInvoked, isSuccess, principalArn, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';

/** Policy types that restrict what accounts may do; tag, backup, AI opt-out and chat policies are not guardrails. */
const GUARDRAIL_TYPES: ReadonlySet<string> = new Set([
  'SERVICE_CONTROL_POLICY',
  'RESOURCE_CONTROL_POLICY',
  'DECLARATIVE_POLICY_EC2',
]);
/** AWS's own allow-everything SCP: detaching it can only take permissions away. */
const FULL_AWS_ACCESS = 'p-FullAWSAccess';
/** Leaving the organisation sheds every guardrail at once; no pipeline is approved to do it. */
const LEAVE = 'LeaveOrganization';

const policyTypeOf = (e: CloudTrailRecord): string | undefined =>
  e.eventName === 'DisablePolicyType'
    ? stringParam(e.requestParameters, 'policyType')
    : stringParam(e.responseElements, 'policy', 'policySummary', 'type');

/**
 * Does this call loosen the guardrails? DetachPolicy and DeletePolicy do not say which kind of policy they touch,
 * so they count unless it is FullAWSAccess; UpdatePolicy and DisablePolicyType count when the type is a guardrail
 * (or not logged).
 */
const loosens = (e: CloudTrailRecord): boolean => {
  switch (e.eventName) {
    case 'DetachPolicy':
    case 'DeletePolicy':
      return stringParam(e.requestParameters, 'policyId') !== FULL_AWS_ACCESS;
    case 'UpdatePolicy':
    case 'DisablePolicyType': {
      const type = policyTypeOf(e);
      return type === undefined || GUARDRAIL_TYPES.has(type);
    }
    default:
      return true;
  }
};

/** One line for the finding: which policy, target, type or account. */
const whatChanged = (e: CloudTrailRecord): string => {
  const req = (key: string) => stringParam(e.requestParameters, key) ?? 'unknown';
  switch (e.eventName) {
    case 'DetachPolicy':
      return `policy ${req('policyId')} detached from ${req('targetId')}`;
    case 'DeletePolicy':
      return `policy ${req('policyId')} deleted`;
    case 'UpdatePolicy': {
      const name = stringParam(e.responseElements, 'policy', 'policySummary', 'name');
      return `${policyTypeOf(e) ?? 'policy'} ${req('policyId')}${name === undefined ? '' : ` (${name})`} rewritten`;
    }
    case 'DisablePolicyType':
      return `${req('policyType')} disabled on ${req('rootId')}`;
    case 'RemoveAccountFromOrganization':
      return `account ${req('accountId')} removed from the organisation`;
    default:
      return `account ${accountOf(e)} left the organisation`;
  }
};

/** The policy or root when the response names it; the account removed or leaving; else the acting account. */
const targetArns = (e: CloudTrailRecord): string[] => {
  const named =
    stringParam(e.responseElements, 'policy', 'policySummary', 'arn') ?? stringParam(e.responseElements, 'root', 'arn');
  if (named !== undefined) return [named];
  const removed = stringParam(e.requestParameters, 'accountId');
  return [accountRootArn(partitionOf(e.awsRegion), removed ?? accountOf(e))];
};

const viaPipeline = {
  userIdentity: {
    type: 'AssumedRole',
    principalId: 'AROACKCEVSQ6C2EXAMPLE:AWSCloudFormation',
    arn: 'arn:aws:sts::111122223333:assumed-role/deploy-role/AWSCloudFormation',
    accountId: '111122223333',
    accessKeyId: 'ASIAIOSFODNN7EXAMPLE',
    userName: undefined,
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: 'AROACKCEVSQ6C2EXAMPLE',
        arn: 'arn:aws:iam::111122223333:role/deploy-role',
        accountId: '111122223333',
        userName: 'deploy-role',
      },
      attributes: { creationDate: '2026-11-02T17:00:00Z', mfaAuthenticated: 'false' },
    },
    invokedBy: 'cloudformation.amazonaws.com',
  },
  sourceIPAddress: 'cloudformation.amazonaws.com',
  userAgent: 'cloudformation.amazonaws.com',
};

export const rule = defineRule({
  id: 'organizations.guardrail-changed',
  title: 'AWS Organizations guardrail loosened or account left the organisation',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.5.23'],
  mitre: ['T1562', 'T1666'],
  on: {
    source: 'organizations',
    eventNames: [
      'DetachPolicy',
      'DeletePolicy',
      'UpdatePolicy',
      'DisablePolicyType',
      'RemoveAccountFromOrganization',
      LEAVE,
    ],
  },
  match: (e, ctx) =>
    isSuccess(e) &&
    !isServiceInvoked(e) &&
    (e.eventName === LEAVE || !isApprovedChange(e, ctx.config.approved)) &&
    loosens(e),
  explain: (e, ctx) => [whatChanged(e), ...(e.eventName === LEAVE ? [] : unapprovedReasons(e, ctx.config.approved))],
  // A principal's policy edits fold together; leaving or removing an account always pages on its own.
  dedup: {
    key: (e) =>
      `${accountOf(e)}|${principalArn(e)}|${e.eventName === LEAVE || e.eventName === 'RemoveAccountFromOrganization' ? e.eventName : 'policy'}`,
  },
  resources: targetArns,
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A service or resource control policy was detached, deleted or rewritten, a guardrail policy type was ' +
    'disabled on the root, an account was removed from the organisation, or an account left it. Each sheds ' +
    'preventive controls (deny-leave, deny-disable-CloudTrail/GuardDuty, region locks) from the accounts below.',
  runbook: [
    'Identify what changed: `aws organizations describe-policy --policy-id <p-id>` (UpdatePolicy: compare with the previous content in version control), `aws organizations list-targets-for-policy --policy-id <p-id>`, `aws organizations list-roots` (PolicyTypes enabled), `aws organizations describe-account --account-id <id>`.',
    'Unless a change record covers it, restore the guardrail: `aws organizations attach-policy --policy-id <p-id> --target-id <ou-or-account>`, `aws organizations update-policy --policy-id <p-id> --content file://previous.json`, `aws organizations enable-policy-type --root-id <r-id> --policy-type SERVICE_CONTROL_POLICY` (then re-attach every SCP: disabling the type detached them all).',
    'For LeaveOrganization or RemoveAccountFromOrganization: the account no longer has organisation SCPs, the organisation trail or delegated security services. Contact the account owner at once; if unplanned, sign in with its root credentials, lock it down and invite it back (`aws organizations invite-account-to-organization --target Id=<account>,Type=ACCOUNT`).',
    'Review everything the actor and the affected accounts did after the change: guardrails are removed to do what they forbade (stop CloudTrail, disable GuardDuty, leave the organisation, use blocked regions).',
    'Protect the management account: only a break-glass role should change SCPs outside the pipeline, and a deny-LeaveOrganization SCP should cover every member account.',
  ],
  rationale:
    'Organisation guardrails are the preventive layer every other control relies on, and removing them is how an ' +
    'intruder with admin rights in one account prepares to switch off logging or walk away with the account ' +
    '(T1562, T1666). One successful change is a finding, without a threshold. High by default, critical on ' +
    'high-criticality assets. SCP changes made by an approved automation role through approved IaC tooling, and ' +
    'calls AWS makes itself (Control Tower, service-linked roles), are the approved process and do not match; ' +
    'LeaveOrganization always matches, since no pipeline should take an account out. DetachPolicy and DeletePolicy ' +
    'do not log the policy type, so they match for every policy except FullAWSAccess (detaching it only takes ' +
    'permissions away); UpdatePolicy and DisablePolicyType match for SCPs, RCPs and declarative policies, and when ' +
    "the type is not logged. A principal's policy edits within an hour fold into one finding; leaving and removing " +
    'accounts page separately.',
  falsePositives: [
    'Administrators reorganising OUs or rewriting SCPs by hand in the management account (move the change into the pipeline, or list the tool in approved.*).',
    'Tag, backup or AI opt-out policies detached or deleted by hand (the event does not say the type).',
    'Accounts closed or transferred on purpose (mergers, divestments, sandbox clean-up).',
  ],
  cases: () => [
    { name: 'SCP detached from an OU by hand', expect: 'match', event: fixture('organizations/DetachPolicy') },
    { name: 'SCP deleted', expect: 'match', event: fixture('organizations/DeletePolicy') },
    { name: 'SCP rewritten to allow everything', expect: 'match', event: fixture('organizations/UpdatePolicy') },
    {
      name: 'SCP policy type disabled on the root',
      expect: 'match',
      event: fixture('organizations/DisablePolicyType'),
    },
    {
      name: 'account removed from the organisation',
      expect: 'match',
      criticality: 'high',
      event: fixture('organizations/RemoveAccountFromOrganization'),
    },
    {
      name: 'member account left the organisation',
      expect: 'match',
      event: fixture('organizations/LeaveOrganization'),
    },
    {
      name: 'LeaveOrganization matches even from an approved role through CloudFormation',
      expect: 'match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('organizations/LeaveOrganization', {
        ...viaPipeline,
        recipientAccountId: '111122223333',
      }),
    },
    {
      name: 'LeaveOrganization denied by the deny-leave SCP',
      expect: 'no-match',
      event: fixture('organizations/LeaveOrganization', {
        errorCode: 'AccessDenied',
        errorMessage:
          'User: arn:aws:sts::444455556666:assumed-role/OrganizationAccountAccessRole/bob is not authorized to perform: organizations:LeaveOrganization on resource: * with an explicit deny in a service control policy',
      }),
    },
    {
      name: 'DetachPolicy denied',
      expect: 'no-match',
      event: fixture('organizations/DetachPolicy', {
        errorCode: 'AccessDeniedException',
        errorMessage: "You don't have permissions to access this resource.",
      }),
    },
    {
      name: 'detaching FullAWSAccess only takes permissions away',
      expect: 'no-match',
      event: fixture('organizations/DetachPolicy', { requestParameters: { policyId: 'p-FullAWSAccess' } }),
    },
    {
      name: 'tag policy updated',
      expect: 'no-match',
      event: fixture('organizations/UpdatePolicy', {
        responseElements: {
          policy: {
            policySummary: {
              arn: 'arn:aws:organizations::111122223333:policy/o-a1b2c3d4e5/tag_policy/p-e5f6a7b8',
              name: 'cost-centre-tags',
              type: 'TAG_POLICY',
            },
          },
        },
      }),
    },
    {
      name: 'tag policy type disabled',
      expect: 'no-match',
      event: fixture('organizations/DisablePolicyType', { requestParameters: { policyType: 'TAG_POLICY' } }),
    },
    {
      name: 'SCP detached by the approved pipeline through CloudFormation',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('organizations/DetachPolicy', viaPipeline),
    },
    {
      name: 'the deploy role used by hand is not the approved process',
      expect: 'match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('organizations/DetachPolicy', {
        ...viaPipeline,
        userIdentity: { ...viaPipeline.userIdentity, invokedBy: undefined },
        sourceIPAddress: '198.51.100.23',
        userAgent: 'aws-cli/2.22.4 md/command#organizations.detach-policy',
      }),
    },
    {
      name: 'Control Tower detaching a guardrail SCP (service-invoked)',
      expect: 'no-match',
      event: fixture('organizations/DetachPolicy', {
        userIdentity: {
          type: 'AssumedRole',
          principalId: 'AROAEXAMPLECTADMIN001:AWSControlTowerAdminSession',
          arn: 'arn:aws:sts::111122223333:assumed-role/AWSControlTowerAdmin/AWSControlTowerAdminSession',
          accessKeyId: 'ASIAEXAMPLECT7EXAMPLE',
          userName: undefined,
          invokedBy: 'controltower.amazonaws.com',
        },
        sourceIPAddress: 'controltower.amazonaws.com',
        userAgent: 'controltower.amazonaws.com',
      }),
    },
  ],
};
