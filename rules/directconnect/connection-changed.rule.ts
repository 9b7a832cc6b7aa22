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
 * Physical Direct Connect ports ordered (a connection, a link aggregation group, an interconnect), and the
 * private links torn down: connections, LAGs, virtual interfaces, Direct Connect gateways and their associations.
 * Opening a path into the VPCs (virtual interfaces, gateway associations) is directconnect.private-path-created.
 */
const WHAT: Readonly<Record<string, string>> = {
  CreateConnection: 'ordered a dedicated connection (a physical port)',
  CreateLag: 'ordered a link aggregation group (physical ports)',
  CreateInterconnect: 'ordered an interconnect (a partner port)',
  DeleteConnection: 'deleted a connection',
  DeleteLag: 'deleted a link aggregation group',
  DeleteInterconnect: 'deleted an interconnect',
  DisassociateConnectionFromLag: 'took a connection out of its link aggregation group',
  DeleteVirtualInterface: 'deleted a virtual interface',
  DeleteDirectConnectGateway: 'deleted a Direct Connect gateway',
  DeleteDirectConnectGatewayAssociation: 'deleted a Direct Connect gateway association',
};

const nameOf = (e: CloudTrailRecord): string =>
  stringParam(e.requestParameters, 'connectionName') ??
  stringParam(e.requestParameters, 'lagName') ??
  stringParam(e.requestParameters, 'interconnectName') ??
  directConnectArns(e)[0] ??
  stringParam(e.requestParameters, 'associationId') ??
  '(not recorded)';

export const rule = defineRule({
  id: 'directconnect.connection-changed',
  title: 'Direct Connect port ordered or private link deleted outside the approved process',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.20', 'A.8.9'],
  mitre: ['T1489', 'T1133'],
  on: { source: 'directconnect', eventNames: Object.keys(WHAT) },
  match: (e, ctx) => isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [
    `${WHAT[e.eventName] ?? e.eventName}: ${nameOf(e)}${
      stringParam(e.requestParameters, 'location') === undefined
        ? ''
        : ` at ${stringParam(e.requestParameters, 'location')}`
    }`,
    ...unapprovedReasons(e, ctx.config.approved),
  ],
  resources: directConnectArns,
  // One engineer (or intruder) reshaping the links is one finding an hour per account and region.
  dedup: { key: (e) => `${accountOf(e)}|${e.awsRegion}|directconnect-links`, windowSeconds: 3600 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'Outside the approved process, a Direct Connect port was ordered (CreateConnection, CreateLag, ' +
    'CreateInterconnect) or a private link was cut: a connection, LAG or interconnect deleted, a connection taken ' +
    'out of its LAG, a virtual interface, Direct Connect gateway or gateway association deleted. Deleting one ' +
    'drops the private routes of every VPC and on-premises network behind it at once.',
  runbook: [
    'See what is left: `aws directconnect describe-connections`, `describe-lags`, `describe-virtual-interfaces` ' +
      'and `describe-direct-connect-gateway-associations --direct-connect-gateway-id <id>`; a deleted virtual ' +
      'interface or association cannot be restored, only recreated (with the partner for hosted ones).',
    'Check where the traffic went: VPC route tables lose the propagated routes, so traffic to on-premises now ' +
      'takes the VPN backup or the internet, or stops; look at VPN tunnel metrics and flow logs.',
    'For a port ordered: who asked for it, at which location, and whether a Letter of Authorization was ' +
      'downloaded (DescribeLoa); cancel it with `aws directconnect delete-connection` if nobody did (ports are ' +
      'billed by the hour once the cross-connect is made).',
    'If there is no network change record, treat the caller as compromised: sabotage of the private links often ' +
      'comes with other destruction.',
  ],
  rationale:
    'Sigma aws_directconnect_write_action_detected watches every Direct Connect write; the path-opening ones are ' +
    'directconnect.private-path-created, and this rule takes the rest that matter: teardown (service stop, T1489; ' +
    'one deleted virtual interface or association cuts a data centre off) and new physical ports (the start of a ' +
    'new way in, T1133, and a standing cost). Direct Connect changes are rare and planned, so any of these outside ' +
    'the approved process is a finding, with the same severity as the other network changes: medium, high on ' +
    'high-criticality accounts; one finding an hour per account and region. Refused calls change nothing and are ' +
    'excluded. The shapes follow the Direct Connect user guide’s CloudTrail examples (CreateConnection) and the ' +
    'API reference request fields for the others.',
  falsePositives: [
    'A network team decommissioning or ordering links by hand during a planned migration: run it through the ' +
      'approved automation, or suppress with a dated reason.',
  ],
  cases: () => [
    { name: 'a 1 Gbps port ordered by hand', expect: 'match', event: fixture('directconnect/CreateConnection') },
    {
      name: 'a private virtual interface deleted',
      expect: 'match',
      event: fixture('directconnect/CreateConnection', {
        eventName: 'DeleteVirtualInterface',
        requestParameters: {
          location: undefined,
          bandwidth: undefined,
          connectionName: undefined,
          virtualInterfaceId: 'dxvif-fg5xzq2h',
        },
        responseElements: { virtualInterfaceState: 'deleting' },
      }),
    },
    {
      name: 'the connection itself deleted',
      expect: 'match',
      event: fixture('directconnect/CreateConnection', {
        eventName: 'DeleteConnection',
        requestParameters: {
          location: undefined,
          bandwidth: undefined,
          connectionName: undefined,
          connectionId: 'dxcon-fgk3h2x9',
        },
        responseElements: { connectionState: 'deleted' },
      }),
    },
    {
      name: 'a gateway association deleted, parameters left out as too large (still a deletion)',
      expect: 'match',
      event: fixture('directconnect/CreateConnection', {
        eventName: 'DeleteDirectConnectGatewayAssociation',
        requestParameters: {
          location: undefined,
          bandwidth: undefined,
          connectionName: undefined,
          reason: 'requestParameters too large',
          omitted: true,
        },
        responseElements: null,
      }),
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture(
        'directconnect/CreateConnection',
        denied('DirectConnectClientException', 'directconnect:CreateConnection'),
      ),
    },
    {
      name: 'the approved network automation',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('directconnect/CreateConnection', BY_APPROVED_DEPLOY),
    },
    {
      name: 'a read of the connections (DescribeConnections is not routed)',
      expect: 'no-match',
      event: fixture('directconnect/CreateConnection', {
        eventName: 'DescribeConnections',
        readOnly: true,
        requestParameters: null,
      }),
    },
  ],
};
