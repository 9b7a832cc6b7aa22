import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { stringParam } from '../core/cloudtrail.ts';
import type { DetectionConfig } from '../core/config.ts';
import { resolveCriticality } from '../core/config.ts';
import { defineRule } from '../core/define-rule.ts';
import { functionNameOf } from '../core/software.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

// Lambda's CloudTrail event names carry the API version the call was made through.
const EVENTS = [
  'CreateFunction20150331',
  'UpdateFunctionConfiguration20150331v2',
  'UpdateFunctionConfiguration20150331',
] as const;

/**
 * Role names that say "administrator" (`admin`, `Administrator…`, the organisation's cross-account admin role):
 * the only privilege a role ARN shows. What the role may really do is not in the event; list privileged roles by
 * ARN pattern at high criticality for the rest.
 */
const ADMIN_NAME = /admin|^OrganizationAccountAccessRole$/i;

const roleOf = (e: CloudTrailRecord): string | undefined => stringParam(e.requestParameters, 'role');

/** Why the role counts as privileged, or undefined. */
const privilege = (role: string, config: DetectionConfig): string | undefined => {
  const name = role.slice(role.lastIndexOf('/') + 1);
  if (ADMIN_NAME.test(name)) return `role name ${name} says administrator`;
  // Only resource patterns speak for the role: the account's own criticality says nothing about it.
  const level = resolveCriticality({ default: 'low', accounts: {}, resources: config.criticality.resources }, '', [
    role,
  ]);
  return level === 'high' ? `role ${role} is a high-criticality resource in config` : undefined;
};

/** Create always names a role; an update is judged only when it sets one. */
const passedPrivilege = (e: CloudTrailRecord, config: DetectionConfig): string | undefined => {
  const role = roleOf(e);
  return role === undefined ? undefined : privilege(role, config);
};

const functionArn = (e: CloudTrailRecord): string => {
  const returned = stringParam(e.responseElements, 'functionArn');
  if (returned !== undefined) return returned;
  const name = functionNameOf(e);
  return name.startsWith('arn:') ? name : resourceArn(e, 'lambda', `function:${name}`);
};

export const rule = defineRule({
  id: 'lambda.privileged-role-passed',
  title: 'Lambda function given a privileged role outside the approved process',
  severity: 'high',
  escalation: { low: 'medium', high: 'critical' },
  controls: ['A.8.2'],
  mitre: ['T1078.004', 'T1648'],
  on: { source: 'lambda', eventNames: EVENTS },
  match: (e, ctx) => isUnapprovedChange(e, ctx.config.approved) && passedPrivilege(e, ctx.config) !== undefined,
  explain: (e, ctx) => [
    `${e.eventName.startsWith('Create') ? 'function created' : 'function reconfigured'} with ${passedPrivilege(e, ctx.config) ?? `role ${roleOf(e) ?? '(not recorded)'}`}: its code runs with that role's rights`,
    ...unapprovedReasons(e, ctx.config.approved),
  ],
  resources: (e) => {
    const role = roleOf(e);
    return [functionArn(e), ...(role === undefined ? [] : [role])];
  },
});

const ADMIN_ROLE = 'arn:aws:iam::111122223333:role/lambda-admin';

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A Lambda function was created, or reconfigured to run, with a privileged role by someone outside the approved ' +
    'process: whoever writes its code acts with that role (iam:PassRole privilege escalation). Privileged means the ' +
    'role name says administrator (`admin`, OrganizationAccountAccessRole) or the role ARN matches a high-criticality ' +
    'resource pattern in config.',
  runbook: [
    'Read the function and its role: `aws lambda get-function-configuration --function-name <fn>` (Role, last modified), `aws iam list-attached-role-policies --role-name <role>`.',
    'Look for invocations since the change (`aws cloudtrail lookup-events --lookup-attributes AttributeKey=ResourceName,AttributeValue=<fn>`) and for calls made by the role’s session named after the function.',
    'If not planned, delete the function or give it its own least-privilege role, and restrict iam:PassRole on the privileged role to the deploy role.',
  ],
  rationale:
    'Sigma’s aws_pass_role_to_lambda_function needs PassRole, CreateFunction and Invoke together; PassRole is not an ' +
    'event CloudTrail records on its own, and the function can run from a trigger instead of Invoke, so the rule ' +
    'judges the one record that carries the role: the create or the configuration update. CloudTrail records only ' +
    'the role ARN, never what the role may do, so "privileged" is what the event or config can tell: an ' +
    'administrator name, or a high-criticality ARN pattern (list your privileged roles there); a privileged role ' +
    'with a bland name is missed unless listed. Outside the approved process only; high, critical on high-criticality ' +
    'accounts. An update that does not set the role is not judged.',
  falsePositives: [
    'Break-glass functions that must run as an administrator, deployed by hand: move them to IaC or suppress per function.',
  ],
  cases: () => [
    {
      name: 'function created with an admin role',
      expect: 'match',
      event: fixture('lambda/CreateFunction20150331-admin-role'),
    },
    {
      name: 'function switched to a role config marks high',
      expect: 'match',
      config: {
        criticality: {
          default: 'medium',
          accounts: {},
          resources: [{ pattern: 'arn:aws:iam::111122223333:role/data-*', level: 'high' }],
        },
      },
      event: fixture('lambda/UpdateFunctionConfiguration20150331v2', {
        requestParameters: { role: 'arn:aws:iam::111122223333:role/data-platform-writer' },
      }),
    },
    {
      name: 'function created with its own execution role',
      expect: 'no-match',
      event: fixture('lambda/CreateFunction20150331'),
    },
    {
      name: 'update that leaves the role alone',
      expect: 'no-match',
      event: fixture('lambda/UpdateFunctionConfiguration20150331v2'),
    },
    {
      name: 'create refused (no iam:PassRole)',
      expect: 'no-match',
      event: fixture('lambda/CreateFunction20150331', {
        requestParameters: { role: ADMIN_ROLE },
        ...denied('AccessDeniedException', 'iam:PassRole', ADMIN_ROLE),
      }),
    },
    {
      name: 'the approved deploy role creates it',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('lambda/CreateFunction20150331', {
        requestParameters: { role: ADMIN_ROLE },
        ...BY_APPROVED_DEPLOY,
      }),
    },
  ],
};
