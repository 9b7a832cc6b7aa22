import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { ec2Arns } from '../core/network.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';

/** The VPC (request, or CreateVpc's response) and the peering connection a call acted on. */
const vpcArns = (e: CloudTrailRecord): string[] => {
  const req = e.requestParameters;
  const res = e.responseElements;
  return [
    ...ec2Arns(e, 'vpc', stringParam(req, 'vpcId') ?? stringParam(res, 'vpc', 'vpcId')),
    ...ec2Arns(
      e,
      'vpc-peering-connection',
      stringParam(req, 'vpcPeeringConnectionId') ?? stringParam(res, 'vpcPeeringConnection', 'vpcPeeringConnectionId'),
    ),
  ];
};

export const rule = defineRule({
  id: 'ec2.vpc-changed',
  title: 'VPC or VPC peering changed outside the approved process',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.9', 'A.8.20'],
  mitre: ['T1599'],
  on: {
    source: 'ec2',
    eventNames: [
      'CreateVpc',
      'DeleteVpc',
      'ModifyVpcAttribute',
      'CreateVpcPeeringConnection',
      'AcceptVpcPeeringConnection',
      'RejectVpcPeeringConnection',
      'DeleteVpcPeeringConnection',
    ],
  },
  explain: (e, ctx) => unapprovedReasons(e, ctx.config.approved),
  match: (e, ctx) => isUnapprovedChange(e, ctx.config.approved),
  resources: vpcArns,
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A VPC was created, deleted or had an attribute changed, or a VPC peering connection was requested, ' +
    'accepted, rejected or deleted, by someone other than the approved deploy automation. Peering joins two ' +
    'networks, possibly in another account; new VPCs are networks nobody reviewed.',
  runbook: [
    'See the VPC and its peerings now: `aws ec2 describe-vpcs --vpc-ids <vpc-id>` and `aws ec2 describe-vpc-peering-connections --filters Name=requester-vpc-info.vpc-id,Values=<vpc-id>` (and `accepter-vpc-info.vpc-id`).',
    "For a peering connection, check the other side: the peer account (`accepterVpcInfo.ownerId` / `requesterVpcInfo.ownerId`) must be one of the organisation's accounts and its CIDR expected; routes to the `pcx-` id decide what can actually talk.",
    'Find the change record (ticket, pull request). If there is none, ask the actor; if the actor did not make it, treat it as an incident and rotate their credentials.',
    'Revert an unwanted peering with `aws ec2 delete-vpc-peering-connection --vpc-peering-connection-id <pcx-id>`; revert an attribute with `aws ec2 modify-vpc-attribute --vpc-id <vpc-id> --no-enable-dns-hostnames` (or the attribute that changed). Bring IaC-managed VPCs back with drift detection and a redeploy.',
    'If legitimate automation raised this, add its role ARN to `approved.automationRoles` and its tool to `approved.iacUserAgents`.',
  ],
  rationale:
    'Every manual VPC or peering change is a finding (no threshold): A.8.9 expects network topology to change only through the approved process, and one accepted peering connects two networks. ' +
    'Medium on medium-criticality assets and high on high-criticality ones, like the other network-change rules. Rejecting or deleting a peering also matches: it is still an unreviewed topology change, and it can cut a dependency.',
  falsePositives: [
    'Sandbox accounts where engineers build VPCs by hand (set those accounts to low criticality or suppress them).',
    'Accepting a peering request from another team through the console after a ticket (confirm the ticket; suppress with a dated reason).',
    'Deploy automation not yet listed in `approved.automationRoles` / `approved.iacUserAgents`.',
  ],
  cases: () => [
    { name: 'alice creates a VPC by hand', expect: 'match', event: fixture('ec2/CreateVpc') },
    { name: 'DNS hostnames turned on', expect: 'match', event: fixture('ec2/ModifyVpcAttribute') },
    { name: 'VPC deleted', expect: 'match', event: fixture('ec2/DeleteVpc') },
    {
      name: 'bob requests peering with a VPC in an account outside the organisation',
      expect: 'match',
      event: fixture('ec2/CreateVpcPeeringConnection'),
    },
    {
      name: 'alice accepts a peering request from a member account',
      expect: 'match',
      event: fixture('ec2/AcceptVpcPeeringConnection'),
    },
    {
      name: 'approved deploy role through CloudFormation',
      expect: 'no-match',
      event: fixture('ec2/CreateVpc-cloudformation'),
      config: { approved: APPROVED_DEPLOYS },
    },
    {
      name: 'deploy role through CloudFormation, nothing approved',
      expect: 'match',
      event: fixture('ec2/CreateVpc-cloudformation'),
    },
    {
      name: 'denied',
      expect: 'no-match',
      event: fixture('ec2/CreateVpcPeeringConnection', {
        errorCode: 'Client.UnauthorizedOperation',
        errorMessage:
          'You are not authorized to perform this operation. User: arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/bob is not authorized to perform: ec2:CreateVpcPeeringConnection on resource: arn:aws:ec2:eu-west-1:111122223333:vpc/vpc-0a1b2c3d4e5f67890 because no identity-based policy allows the ec2:CreateVpcPeeringConnection action.',
        responseElements: null,
      }),
    },
    {
      name: 'deleting a VPC that still has dependencies fails and changes nothing',
      expect: 'no-match',
      event: fixture('ec2/DeleteVpc', {
        errorCode: 'Client.DependencyViolation',
        errorMessage: "The vpc 'vpc-0d4e5f6a7b8c9d0e1' has dependencies and cannot be deleted.",
        responseElements: null,
      }),
    },
    {
      name: 'a call an AWS service makes on its own is not a person',
      expect: 'no-match',
      event: fixture('ec2/ModifyVpcAttribute', {
        userIdentity: {
          type: 'AWSService',
          invokedBy: 'ec2.amazonaws.com',
          principalId: undefined,
          arn: undefined,
          accountId: undefined,
          accessKeyId: undefined,
          userName: undefined,
        },
        sourceIPAddress: 'ec2.amazonaws.com',
        userAgent: 'ec2.amazonaws.com',
        tlsDetails: undefined,
      }),
    },
  ],
};
