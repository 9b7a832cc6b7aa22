import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import type { CloudTrailRecord, JsonValue } from '../core/cloudtrail.ts';
import type { ApprovedProcess } from '../core/config.ts';
import { defineRule } from '../core/define-rule.ts';
import { ec2Arn } from '../core/network.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';

/** Id fields CloudTrail uses for each kind of gateway (and the VPC it joins), with their ARN resource types. */
const ID_FIELDS: Readonly<Record<string, string>> = {
  internetgatewayid: 'internet-gateway',
  egressonlyinternetgatewayid: 'egress-only-internet-gateway',
  natgatewayid: 'natgateway',
  customergatewayid: 'customer-gateway',
  vpngatewayid: 'vpn-gateway',
  vpnconnectionid: 'vpn-connection',
  vpcid: 'vpc',
};

/**
 * Every gateway and VPC id in the request and response. Older calls log `internetGatewayId` at the top level;
 * newer ones (NAT, egress-only) wrap PascalCase fields in `CreateNatGatewayRequest`-style objects, so look at
 * any depth and ignore the case of the first letter.
 */
const gatewayArns = (e: CloudTrailRecord): string[] => {
  const found = new Set<string>();
  const walk = (v: JsonValue | undefined, depth: number): void => {
    if (depth > 4 || typeof v !== 'object' || v === null) return;
    if (Array.isArray(v)) {
      for (const item of v) walk(item, depth + 1);
      return;
    }
    for (const [key, value] of Object.entries(v)) {
      const type = ID_FIELDS[key.toLowerCase()];
      if (type !== undefined && typeof value === 'string' && value !== '') {
        found.add(ec2Arn(e, type, value));
      } else walk(value, depth + 1);
    }
  };
  walk(e.requestParameters ?? undefined, 0);
  walk(e.responseElements ?? undefined, 0);
  return [...found].sort();
};

/** A function, not a constant: a spread at module level would keep this test data in the Lambda bundle. */
const approvedDeploys = (): ApprovedProcess => ({
  ...APPROVED_DEPLOYS,
  iacUserAgents: [...APPROVED_DEPLOYS.iacUserAgents, 'Terraform/'],
});

export const rule = defineRule({
  id: 'ec2.gateway-changed',
  title: 'Internet, NAT or VPN gateway changed outside the approved process',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.9', 'A.8.20'],
  mitre: ['T1599'],
  on: {
    source: 'ec2',
    eventNames: [
      'CreateInternetGateway',
      'DeleteInternetGateway',
      'AttachInternetGateway',
      'DetachInternetGateway',
      'CreateEgressOnlyInternetGateway',
      'DeleteEgressOnlyInternetGateway',
      'CreateNatGateway',
      'DeleteNatGateway',
      'CreateCustomerGateway',
      'DeleteCustomerGateway',
      'CreateVpnGateway',
      'DeleteVpnGateway',
      'AttachVpnGateway',
      'DetachVpnGateway',
      'CreateVpnConnection',
      'DeleteVpnConnection',
    ],
  },
  explain: (e, ctx) => unapprovedReasons(e, ctx.config.approved),
  match: (e, ctx) => isUnapprovedChange(e, ctx.config.approved),
  resources: gatewayArns,
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An internet, egress-only, NAT, customer or VPN gateway, or a site-to-site VPN connection, was created, ' +
    'deleted, attached or detached by someone other than the approved deploy automation. Gateways are the ' +
    "doors between a VPC and the internet or another network: adding one can open a path around the network's " +
    'controls, removing one can cut a service off.',
  runbook: [
    'See what the VPC is connected to now: `aws ec2 describe-internet-gateways --filters Name=attachment.vpc-id,Values=<vpc-id>`, `aws ec2 describe-nat-gateways --filter Name=vpc-id,Values=<vpc-id>`, `aws ec2 describe-vpn-gateways --filters Name=attachment.vpc-id,Values=<vpc-id>` and `aws ec2 describe-vpn-connections`.',
    'Find the change record (ticket, pull request). If there is none, ask the actor; if the actor did not make it, treat it as an incident and rotate their credentials.',
    'An unexpected gateway or VPN: check the route tables that point at it (`aws ec2 describe-route-tables --filters Name=route.gateway-id,Values=<gateway-id>`), remove those routes, then detach and delete it (`aws ec2 detach-internet-gateway --internet-gateway-id <igw-id> --vpc-id <vpc-id>`, `aws ec2 delete-vpn-connection --vpn-connection-id <vpn-id>`). For a VPN, find out who controls the customer gateway address.',
    'An unexpected removal: restore connectivity from IaC (`aws cloudformation detect-stack-drift --stack-name <stack>`, then redeploy) and check the affected services.',
    'Review VPC flow logs for traffic through the new path since the change.',
    'If legitimate automation raised this, add its role ARN to `approved.automationRoles` and its tool to `approved.iacUserAgents`.',
  ],
  rationale:
    'Every manual gateway change is a finding (no threshold): a new internet gateway, NAT or VPN changes which networks can reach, or be reached from, the VPC, and ISO 27001 A.8.9 expects that to happen only through the approved process. ' +
    'Medium on medium-criticality assets and high on high-criticality ones, like the other network-change rules: the rule cannot tell a ticketed manual change from an unplanned one. ' +
    'MITRE T1599 (Network Boundary Bridging): gateways and VPNs are how a boundary is bridged in a VPC. Transit gateway attachments are not covered here.',
  falsePositives: [
    'Ticketed manual network work (confirm the ticket; suppress with a dated, reasoned suppression).',
    'Deploy automation not yet listed in `approved.automationRoles` / `approved.iacUserAgents`.',
    'Cost clean-ups deleting idle NAT gateways in sandbox accounts (set those accounts to low criticality).',
  ],
  cases: () => [
    {
      name: 'alice attaches an internet gateway to a VPC',
      expect: 'match',
      event: fixture('ec2/AttachInternetGateway'),
    },
    { name: 'alice creates an internet gateway', expect: 'match', event: fixture('ec2/CreateInternetGateway') },
    {
      name: 'bob detaches an internet gateway from the console',
      expect: 'match',
      event: fixture('ec2/DetachInternetGateway'),
    },
    { name: 'customer gateway for a new VPN', expect: 'match', event: fixture('ec2/CreateCustomerGateway') },
    { name: 'site-to-site VPN connection', expect: 'match', event: fixture('ec2/CreateVpnConnection') },
    {
      name: 'NAT gateway from Terraform with nothing approved',
      expect: 'match',
      event: fixture('ec2/CreateNatGateway'),
    },
    {
      name: 'NAT gateway from Terraform under the approved deploy role',
      expect: 'no-match',
      event: fixture('ec2/CreateNatGateway'),
      config: { approved: approvedDeploys() },
    },
    {
      name: 'approved deploy role through CloudFormation',
      expect: 'no-match',
      event: fixture('ec2/AttachInternetGateway-cloudformation'),
      config: { approved: approvedDeploys() },
    },
    {
      name: 'approved deploy role through CloudFormation, but outside every change window',
      expect: 'match',
      event: fixture('ec2/AttachInternetGateway-cloudformation'),
      config: {
        approved: {
          ...approvedDeploys(),
          changeWindows: [{ days: ['Tue', 'Wed', 'Thu'], start: '09:00', end: '17:00', timezone: 'UTC' }],
        },
      },
    },
    {
      name: 'denied',
      expect: 'no-match',
      event: fixture('ec2/AttachInternetGateway', {
        errorCode: 'Client.UnauthorizedOperation',
        errorMessage:
          'You are not authorized to perform this operation. User: arn:aws:iam::111122223333:user/alice is not authorized to perform: ec2:AttachInternetGateway on resource: arn:aws:ec2:eu-west-1:111122223333:internet-gateway/igw-0a1b2c3d4e5f67890 because no identity-based policy allows the ec2:AttachInternetGateway action.',
        responseElements: null,
      }),
    },
    {
      name: 'attaching a gateway that is already attached fails and changes nothing',
      expect: 'no-match',
      event: fixture('ec2/AttachInternetGateway', {
        errorCode: 'Resource.AlreadyAssociated',
        errorMessage: 'resource igw-0a1b2c3d4e5f67890 is already attached to network vpc-0d4e5f6a7b8c9d0e1',
        responseElements: null,
      }),
    },
    {
      name: 'a call an AWS service makes on its own is not a person',
      expect: 'no-match',
      event: fixture('ec2/CreateInternetGateway', {
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
