import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { ec2Arn, networkIdsIn } from '../core/network.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

const removedArns = (e: CloudTrailRecord): string[] =>
  networkIdsIn(e.requestParameters).map(({ type, id }) => ec2Arn(e, type, id));

export const rule = defineRule({
  id: 'ec2.network-torn-down',
  title: 'Subnet, transit gateway or VPC endpoint deleted outside the approved process',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.20', 'A.8.9'],
  mitre: ['T1485', 'T1489'],
  on: {
    source: 'ec2',
    eventNames: [
      'DeleteSubnet',
      'DeleteTransitGateway',
      'DeleteTransitGatewayVpcAttachment',
      'DeleteTransitGatewayPeeringAttachment',
      'DeleteTransitGatewayConnect',
      'DeleteTransitGatewayRouteTable',
      'DeleteVpcEndpoints',
    ],
  },
  match: (e, ctx) => isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => unapprovedReasons(e, ctx.config.approved),
  resources: removedArns,
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A subnet, a transit gateway, one of its attachments, peerings, Connect attachments or route tables, or a VPC ' +
    'endpoint was deleted by someone other than the approved deploy automation: network paths between ' +
    'workloads, accounts and AWS services cut without change management. VPCs, route tables and gateways are ' +
    'watched by ec2.vpc-changed, ec2.route-table-changed and ec2.gateway-changed.',
  runbook: [
    'See what lost its path: for a subnet, the instances and interfaces it held are gone with it; for a transit gateway attachment, every VPC and on-premises network routed through it (`aws ec2 describe-transit-gateway-route-tables`, `aws ec2 search-transit-gateway-routes`); for a VPC endpoint, calls to that service now leave through the internet or fail.',
    'Find the change record. If there is none, ask the actor; if the actor did not make it, treat it as an incident (teardown is sabotage or covers other destruction) and rotate their credentials.',
    'Restore from IaC: `aws cloudformation detect-stack-drift --stack-name <stack>`, then redeploy.',
    'If legitimate automation raised this, add its role ARN to `approved.automationRoles` and its tool to `approved.iacUserAgents`.',
  ],
  rationale:
    'A.8.20 expects networks to be managed and controlled; deleting the pieces that join them is the network half of infrastructure teardown (T1485, and service stop, T1489). Every deletion outside the approved process is a finding (no threshold): one deleted attachment can cut an account off. ' +
    'Medium, high on high-criticality assets, like the other network-change rules, whose helpers (approved process, EC2 ARNs) it shares. Failed calls (dependencies still present) change nothing and do not match.',
  falsePositives: [
    'Network engineers removing unused subnets or endpoints by hand after a ticket (confirm it; suppress with a dated reason).',
    'Deploy automation not yet listed in `approved.automationRoles` / `approved.iacUserAgents`.',
  ],
  cases: () => [
    { name: 'alice deletes a subnet', expect: 'match', event: fixture('ec2/DeleteSubnet') },
    {
      name: 'bob deletes a transit gateway VPC attachment from the console',
      expect: 'match',
      event: fixture('ec2/DeleteTransitGatewayVpcAttachment'),
    },
    {
      name: 'denied',
      expect: 'no-match',
      event: fixture('ec2/DeleteSubnet', denied('Client.UnauthorizedOperation', 'ec2:DeleteSubnet')),
    },
    {
      name: 'subnet still has interfaces: EC2 refuses',
      expect: 'no-match',
      event: fixture('ec2/DeleteSubnet', {
        errorCode: 'Client.DependencyViolation',
        errorMessage: "The subnet 'subnet-0b1c2d3e4f5a6b7c8' has dependencies and cannot be deleted.",
        responseElements: null,
      }),
    },
    {
      name: 'approved deploy role through CloudFormation',
      expect: 'no-match',
      event: fixture('ec2/DeleteSubnet', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
    {
      name: 'creating a subnet is not a teardown',
      expect: 'no-match',
      event: fixture('ec2/DeleteSubnet', { eventName: 'CreateSubnet' }),
    },
  ],
};
