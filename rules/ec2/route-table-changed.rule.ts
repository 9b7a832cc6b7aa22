import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { ec2Arns } from '../core/network.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';

/**
 * The route table a call acted on (CreateRouteTable only returns it) and, for associations, the subnet it now
 * routes. DisassociateRouteTable and ReplaceRouteTableAssociation name only an association id, so a route
 * table may be missing.
 */
const routeTableArns = (e: CloudTrailRecord): string[] => [
  ...ec2Arns(
    e,
    'route-table',
    stringParam(e.requestParameters, 'routeTableId') ?? stringParam(e.responseElements, 'routeTable', 'routeTableId'),
  ),
  ...ec2Arns(e, 'subnet', stringParam(e.requestParameters, 'subnetId')),
];

export const rule = defineRule({
  id: 'ec2.route-table-changed',
  title: 'Route table changed outside the approved process',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.9', 'A.8.20'],
  mitre: ['T1599'],
  on: {
    source: 'ec2',
    eventNames: [
      'CreateRoute',
      'ReplaceRoute',
      'DeleteRoute',
      'CreateRouteTable',
      'DeleteRouteTable',
      'AssociateRouteTable',
      'DisassociateRouteTable',
      'ReplaceRouteTableAssociation',
    ],
  },
  explain: (e, ctx) => unapprovedReasons(e, ctx.config.approved),
  match: (e, ctx) => isUnapprovedChange(e, ctx.config.approved),
  resources: routeTableArns,
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A route was added, replaced or removed, or a route table was created, deleted, or (dis)associated with a ' +
    'subnet, by someone other than the approved deploy automation. Routes decide where traffic leaves a subnet: ' +
    'one route can send it to the internet, through an attacker-controlled instance, or nowhere.',
  runbook: [
    'See the routes now in force: `aws ec2 describe-route-tables --route-table-ids <rtb-id> --query "RouteTables[].{Routes:Routes,Associations:Associations}"`, and compare with the requestParameters in the finding.',
    'Check where new routes point: a `0.0.0.0/0` or `::/0` route to an internet gateway makes a private subnet public; a route to a network interface or instance (`networkInterfaceId`, `instanceId`) sends traffic through that host.',
    'Find the change record (ticket, pull request). If there is none, ask the actor; if the actor did not make it, treat it as an incident and rotate their credentials.',
    'Revert unwanted routes: `aws ec2 delete-route --route-table-id <rtb-id> --destination-cidr-block <cidr>` or `aws ec2 replace-route` back to the previous target; revert associations with `aws ec2 replace-route-table-association --association-id <rtbassoc-id> --route-table-id <previous-rtb-id>`. For IaC-managed tables, detect drift (`aws cloudformation detect-stack-drift --stack-name <stack>`) and redeploy.',
    'Review VPC flow logs of the affected subnets for traffic that took the new path.',
    'If legitimate automation raised this, add its role ARN to `approved.automationRoles` and its tool to `approved.iacUserAgents`.',
  ],
  rationale:
    'Every manual routing change is a finding (no threshold): routing is part of the network boundary A.8.9 expects to change only through the approved process, and a single route can expose a subnet or divert its traffic. ' +
    'Medium on medium-criticality assets and high on high-criticality ones, like the other network-change rules: the rule cannot tell a ticketed manual change from an unplanned one. ' +
    'Routes AWS adds itself (gateway endpoints, propagated VPN routes) are not API calls by a person and do not match.',
  falsePositives: [
    'Ticketed manual routing work during an incident or migration (confirm the ticket; suppress with a dated, reasoned suppression).',
    'Deploy automation not yet listed in `approved.automationRoles` / `approved.iacUserAgents`.',
    'Appliances or failover scripts that rewrite routes with their own role (e.g. NAT instance or firewall high availability): approve that role.',
  ],
  cases: () => [
    {
      name: 'alice adds a default route to an internet gateway',
      expect: 'match',
      event: fixture('ec2/CreateRoute'),
    },
    {
      name: 'bob points a route at a network interface from the console',
      expect: 'match',
      event: fixture('ec2/ReplaceRoute'),
    },
    { name: 'route table created', expect: 'match', event: fixture('ec2/CreateRouteTable') },
    { name: 'route table associated with a subnet', expect: 'match', event: fixture('ec2/AssociateRouteTable') },
    {
      name: 'subnet moved onto another route table',
      expect: 'match',
      event: fixture('ec2/ReplaceRouteTableAssociation'),
    },
    { name: 'route table deleted', expect: 'match', event: fixture('ec2/DeleteRouteTable') },
    {
      name: 'approved deploy role through CloudFormation',
      expect: 'no-match',
      event: fixture('ec2/CreateRoute-cloudformation'),
      config: { approved: APPROVED_DEPLOYS },
    },
    {
      name: 'approved deploy role through CloudFormation, but outside every change window',
      expect: 'match',
      event: fixture('ec2/CreateRoute-cloudformation'),
      config: {
        approved: {
          ...APPROVED_DEPLOYS,
          changeWindows: [{ days: ['Tue', 'Wed', 'Thu'], start: '09:00', end: '17:00', timezone: 'UTC' }],
        },
      },
    },
    {
      name: 'denied',
      expect: 'no-match',
      event: fixture('ec2/CreateRoute', {
        errorCode: 'Client.UnauthorizedOperation',
        errorMessage:
          'You are not authorized to perform this operation. User: arn:aws:iam::111122223333:user/alice is not authorized to perform: ec2:CreateRoute on resource: arn:aws:ec2:eu-west-1:111122223333:route-table/rtb-0a1b2c3d4e5f67890 because no identity-based policy allows the ec2:CreateRoute action.',
        responseElements: null,
      }),
    },
    {
      name: 'route that already exists is rejected and changes nothing',
      expect: 'no-match',
      event: fixture('ec2/CreateRoute', {
        errorCode: 'RouteAlreadyExists',
        errorMessage: 'The route identified by 0.0.0.0/0 already exists.',
        responseElements: null,
      }),
    },
    {
      name: 'a call an AWS service makes on its own is not a person',
      expect: 'no-match',
      event: fixture('ec2/CreateRoute', {
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
