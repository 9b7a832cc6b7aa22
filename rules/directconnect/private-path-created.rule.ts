import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { directConnectArns } from '../core/directconnect.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

/**
 * The calls that open a private network path between the account's VPCs and a Direct Connect network: accepting
 * a virtual interface another account allocated (hosted VIFs), creating one, or associating a gateway, directly
 * or through a proposal to (or from) a Direct Connect gateway owned elsewhere.
 */
const EVENTS = [
  'ConfirmPrivateVirtualInterface',
  'ConfirmTransitVirtualInterface',
  'CreatePrivateVirtualInterface',
  'CreateTransitVirtualInterface',
  'CreateDirectConnectGatewayAssociation',
  'CreateDirectConnectGatewayAssociationProposal',
  'AcceptDirectConnectGatewayAssociationProposal',
] as const;

/** The other account the path reaches, when the call names one that is not this account or the organisation's. */
const outsideAccount = (e: CloudTrailRecord, organization: readonly string[]): string | undefined => {
  const other =
    stringParam(e.requestParameters, 'directConnectGatewayOwnerAccount') ??
    stringParam(e.requestParameters, 'associatedGatewayOwnerAccount');
  return other !== undefined && other !== accountOf(e) && !organization.includes(other) ? other : undefined;
};

export const rule = defineRule({
  id: 'directconnect.private-path-created',
  title: 'Direct Connect path into the VPCs opened outside the approved process',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.20', 'A.8.9'],
  mitre: ['T1133'],
  on: { source: 'directconnect', eventNames: [...EVENTS] },
  match: (e, ctx) => isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => {
    const other = outsideAccount(e, ctx.config.organization.accounts);
    return [
      `${e.eventName}: ${
        stringParam(e.requestParameters, 'virtualGatewayId') ??
        stringParam(e.requestParameters, 'gatewayId') ??
        stringParam(e.requestParameters, 'directConnectGatewayId') ??
        'gateway not recorded'
      } joined to a Direct Connect network`,
      ...(other === undefined ? [] : [`the Direct Connect side belongs to account ${other}, outside the organisation`]),
      ...unapprovedReasons(e, ctx.config.approved),
    ];
  },
  resources: directConnectArns,
  dedup: { key: (e) => `${accountOf(e)}|${e.awsRegion}|directconnect` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A private network path between the account’s VPCs and a Direct Connect network was created or accepted ' +
    'outside the approved process: a hosted virtual interface another account allocated was confirmed, a virtual ' +
    'interface was created, or a virtual or transit gateway was associated with a Direct Connect gateway (possibly ' +
    'one owned elsewhere). Traffic then flows between the VPCs and that network without crossing the internet ' +
    'edge, its firewalls or its logs.',
  runbook: [
    'See what is connected: `aws directconnect describe-virtual-interfaces`, `aws directconnect ' +
      'describe-direct-connect-gateway-associations --virtual-gateway-id <vgw>` and who owns the other side ' +
      '(`ownerAccount`).',
    'If there is no network change record: delete the association or virtual interface (`aws directconnect ' +
      'delete-direct-connect-gateway-association`, `delete-virtual-interface`) and check the VPC route tables for ' +
      'propagated routes.',
    'Review VPC flow logs for traffic over the virtual gateway since the change.',
  ],
  rationale:
    'Sigma watches every Direct Connect write. The credible remote step is the one that needs no cable: accepting ' +
    'a hosted interface or proposing an association with a gateway that someone else’s physical connection already ' +
    'reaches (T1133, external remote services). Network changes are rare and planned, so any of these calls outside ' +
    'the approved process is a finding: medium, high on high-criticality assets. Connections and LAGs themselves ' +
    '(physical ports) ordered and deletions are directconnect.connection-changed; refused calls are excluded.',
  falsePositives: ['Network engineers accepting a partner’s hosted interface by hand during a planned migration.'],
  cases: () => [
    {
      name: 'a hosted private interface from another account accepted onto the VPC gateway',
      expect: 'match',
      event: fixture('directconnect/ConfirmPrivateVirtualInterface'),
    },
    {
      name: 'association proposed to a Direct Connect gateway owned outside the organisation',
      expect: 'match',
      event: fixture('directconnect/ConfirmPrivateVirtualInterface', {
        eventName: 'CreateDirectConnectGatewayAssociationProposal',
        requestParameters: {
          virtualInterfaceId: undefined,
          virtualGatewayId: undefined,
          directConnectGatewayId: '5f294f92-bafb-4011-916d-9b0bEXAMPLE',
          directConnectGatewayOwnerAccount: '999988887777',
          gatewayId: 'tgw-0b1c2d3e4f5a6b7c8',
        },
        responseElements: null,
      }),
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture(
        'directconnect/ConfirmPrivateVirtualInterface',
        denied('AccessDeniedException', 'directconnect:ConfirmPrivateVirtualInterface'),
      ),
    },
    {
      name: 'the approved network automation',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('directconnect/ConfirmPrivateVirtualInterface', BY_APPROVED_DEPLOY),
    },
  ],
};
