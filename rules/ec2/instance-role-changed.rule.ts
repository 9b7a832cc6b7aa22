import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, actorArn, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, byAwsService, denied } from '../fixtures/overrides.ts';

/** EC2's newer style wraps Pascal-case members in `<Name>Request`; older tools log them camel-case at the top. */
const req = (e: CloudTrailRecord, ...path: string[]): string | undefined =>
  stringParam(e.requestParameters, `${e.eventName}Request`, ...path) ??
  stringParam(e.requestParameters, ...path.map((p) => p.charAt(0).toLowerCase() + p.slice(1)));

/** The association the response describes (wrapped or not). */
const association = (e: CloudTrailRecord, ...path: string[]): string | undefined =>
  stringParam(e.responseElements, `${e.eventName}Response`, 'iamInstanceProfileAssociation', ...path) ??
  stringParam(e.responseElements, 'iamInstanceProfileAssociation', ...path);

const profileOf = (e: CloudTrailRecord): string =>
  association(e, 'iamInstanceProfile', 'arn') ??
  req(e, 'IamInstanceProfile', 'Arn') ??
  req(e, 'IamInstanceProfile', 'Name') ??
  'an unrecorded instance profile';

/** Associate names the instance; Replace names only the association, the response names the instance. */
const instanceOf = (e: CloudTrailRecord): string | undefined => req(e, 'InstanceId') ?? association(e, 'instanceId');

export const rule = defineRule({
  id: 'ec2.instance-role-changed',
  title: 'IAM role attached to or swapped on an EC2 instance outside the approved process',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.2'],
  mitre: ['T1098', 'T1078.004'],
  on: { source: 'ec2', eventNames: ['AssociateIamInstanceProfile', 'ReplaceIamInstanceProfileAssociation'] },
  match: (e, ctx) => isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [
    `${actorArn(e)} gave instance ${instanceOf(e) ?? '(not recorded)'} the role of ${profileOf(e)}: whoever runs code on the instance now holds that role's credentials`,
    ...unapprovedReasons(e, ctx.config.approved),
  ],
  resources: (e) => {
    const instance = instanceOf(e);
    const profile = association(e, 'iamInstanceProfile', 'arn') ?? req(e, 'IamInstanceProfile', 'Arn');
    return [
      ...(instance === undefined ? [] : [resourceArn(e, 'ec2', `instance/${instance}`)]),
      ...(profile === undefined ? [] : [profile]),
    ];
  },
  dedup: { key: (e) => `${accountOf(e)}|${instanceOf(e) ?? req(e, 'AssociationId') ?? 'unknown-instance'}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An instance profile (and so an IAM role) was attached to a running or stopped instance, or the one it had was ' +
    'swapped, outside the approved process. Anyone who can run code on the instance (SSM, user data, SSH, a ' +
    'vulnerable app) can read that role’s credentials from the metadata service.',
  runbook: [
    'See what the instance now holds: `aws ec2 describe-iam-instance-profile-associations --filters Name=instance-id,Values=<id>` and the role’s policies (`aws iam get-instance-profile --instance-profile-name <name>`).',
    'If nobody approved it, restore the previous profile or remove it (`aws ec2 disassociate-iam-instance-profile --association-id <id>`), and revoke the role’s active sessions (an inline deny on `aws:TokenIssueTime`).',
    'Review who can reach the instance (SSM sessions, user-data changes, security groups) and the role’s calls since the change: a powerful role moved to an instance the actor controls is privilege escalation through iam:PassRole.',
  ],
  rationale:
    'ec2:AssociateIamInstanceProfile with iam:PassRole is a classic escalation: put a more powerful role on an ' +
    'instance you control and read its credentials (T1098, T1078.004; Panther watches it among its compute ' +
    'modifications). Roles on new instances come with RunInstances from launch templates and pipelines; a role added ' +
    'to or swapped on an existing instance by hand is rare. Medium, high on high-criticality assets; one finding per ' +
    'instance. Refused calls, AWS acting on its own and the approved automation do not match.',
  falsePositives: ['Fixing a missing instance profile by hand on an instance launched without one.'],
  cases: () => [
    {
      name: 'alice attaches ops-admin-profile to a running instance',
      expect: 'match',
      event: fixture('ec2/AssociateIamInstanceProfile'),
    },
    {
      name: 'the role of an instance swapped (the response names the instance)',
      expect: 'match',
      event: fixture('ec2/AssociateIamInstanceProfile', {
        eventName: 'ReplaceIamInstanceProfileAssociation',
        requestParameters: {
          ReplaceIamInstanceProfileAssociationRequest: {
            AssociationId: 'iip-assoc-0e7f2a9b4c1d3e5f6',
            IamInstanceProfile: { Arn: 'arn:aws:iam::111122223333:instance-profile/ops-admin-profile' },
          },
        },
        responseElements: {
          ReplaceIamInstanceProfileAssociationResponse: {
            iamInstanceProfileAssociation: {
              associationId: 'iip-assoc-0f1a2b3c4d5e6f708',
              iamInstanceProfile: {
                arn: 'arn:aws:iam::111122223333:instance-profile/ops-admin-profile',
                id: 'AIPAIOSFODNN7EXAMPLE',
              },
              instanceId: 'i-0abc1234def567890',
              state: 'associating',
            },
          },
        },
      }),
    },
    {
      name: 'the approved automation attaches it',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('ec2/AssociateIamInstanceProfile', BY_APPROVED_DEPLOY),
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture(
        'ec2/AssociateIamInstanceProfile',
        denied('Client.UnauthorizedOperation', 'ec2:AssociateIamInstanceProfile'),
      ),
    },
    {
      name: 'AWS acting on its own (Default Host Management for SSM)',
      expect: 'no-match',
      event: fixture('ec2/AssociateIamInstanceProfile', byAwsService('ssm')),
    },
  ],
};
