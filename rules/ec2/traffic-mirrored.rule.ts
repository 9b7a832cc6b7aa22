import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, actorArn, isServiceInvoked, isSuccess, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

/** EC2's newer style: members Pascal-case inside `<Name>Request`; older tools log them camel-case at the top. */
const req = (e: CloudTrailRecord, name: string): string | undefined =>
  stringParam(e.requestParameters, `${e.eventName}Request`, name) ??
  stringParam(e.requestParameters, name.charAt(0).toLowerCase() + name.slice(1));

/**
 * What each call does to mirroring. A session copies an interface's packets to a target through a filter; the
 * filter's rules and network services decide what is copied, so widening the filter of a running session copies
 * more with no session call at all, and a new target is where the copies will land.
 */
const WHAT: Readonly<Record<string, string>> = {
  CreateTrafficMirrorSession: 'mirrors an interface to a target',
  ModifyTrafficMirrorSession: 'redirected a mirror session',
  CreateTrafficMirrorTarget: 'created a mirror target (where copies land)',
  CreateTrafficMirrorFilterRule: 'added a mirror filter rule (sessions copy what it accepts)',
  ModifyTrafficMirrorFilterRule: 'changed a mirror filter rule (sessions copy what it accepts)',
  ModifyTrafficMirrorFilterNetworkServices: 'changed the services a mirror filter copies',
};

/** The ids and destinations the call names, for the finding. */
const NAMED = [
  'NetworkInterfaceId',
  'TrafficMirrorSessionId',
  'TrafficMirrorTargetId',
  'TrafficMirrorFilterId',
  'TrafficMirrorFilterRuleId',
  'NetworkLoadBalancerArn',
  'GatewayLoadBalancerEndpointId',
  'SourceCidrBlock',
  'DestinationCidrBlock',
];

export const rule = defineRule({
  id: 'ec2.traffic-mirrored',
  title: 'VPC traffic mirroring set up or widened outside the approved process',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.20', 'A.5.23'],
  mitre: ['T1040', 'T1020'],
  on: { source: 'ec2', eventNames: Object.keys(WHAT) },
  match: (e, ctx) => isSuccess(e) && !isServiceInvoked(e) && isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [
    `${actorArn(e)} ${WHAT[e.eventName] ?? e.eventName} (${NAMED.flatMap((k) => {
      const v = req(e, k);
      return v === undefined ? [] : [`${k} ${v}`];
    }).join(', ')}): a full copy of the traffic, plaintext protocols included`,
    ...unapprovedReasons(e, ctx.config.approved),
  ],
  resources: (e) => {
    const eni = req(e, 'NetworkInterfaceId');
    const filter = req(e, 'TrafficMirrorFilterId');
    return [
      ...(eni === undefined ? [] : [resourceArn(e, 'ec2', `network-interface/${eni}`)]),
      ...(filter === undefined ? [] : [resourceArn(e, 'ec2', `traffic-mirror-filter/${filter}`)]),
    ];
  },
  dedup: { key: (e) => `${accountOf(e)}|${actorArn(e)}`, windowSeconds: 3600 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'Outside the approved process, a VPC Traffic Mirroring session was created (CreateTrafficMirrorSession) or ' +
    'pointed at another target (ModifyTrafficMirrorSession): every packet of a network interface is copied to ' +
    'the target, which can be an interface or load balancer anywhere the attacker reaches. Its preparation and ' +
    'its quiet widening are the same finding: a mirror target created (CreateTrafficMirrorTarget), and a filter ' +
    'rule added or changed or the filter’s network services changed (CreateTrafficMirrorFilterRule, ' +
    'ModifyTrafficMirrorFilterRule, ModifyTrafficMirrorFilterNetworkServices), which makes a session that ' +
    'already runs copy more without any session call.',
  runbook: [
    "Delete the session if nobody approved it (`aws ec2 delete-traffic-mirror-session --traffic-mirror-session-id <id>`, from the finding's event) and the target and filter created with it.",
    'Find where the target sends the traffic (`aws ec2 describe-traffic-mirror-targets`): an NLB or interface in another VPC or account is a collection point; treat credentials and data sent in clear over the mirrored interface as disclosed.',
    "Revoke the caller's sessions and review its other calls; restrict ec2:CreateTrafficMirrorSession to the monitoring team's role.",
  ],
  rationale:
    'Traffic mirroring is network sniffing as a service (T1040, T1020; Elastic ' +
    'exfiltration_ec2_full_network_packet_capture_detected): one call copies a server’s whole traffic, without ' +
    'touching the instance. Legitimate mirroring is run by a monitoring or NDR team through automation, rarely by ' +
    'hand, so any session created or redirected outside the approved process is high, critical on ' +
    'high-criticality accounts. Filter rules and targets are in the same rule, at the same severity (Panther ' +
    'aws_ec2_traffic_mirroring reads them): a filter rule changed on the filter of an approved session widens ' +
    'what it copies with no session call to see, and a target made by hand is the first step of the chain; the ' +
    'dedup per identity for an hour folds target, filter rule and session into one finding. Only the ' +
    'CreateTrafficMirrorFilterRule shape has a published CloudTrail record (Panther’s test event); the target and ' +
    'filter-change records follow the same `<Name>Request` nesting of the EC2 API reference.',
  falsePositives: [
    'A network engineer mirroring an interface by hand while troubleshooting: run it through the approved role, or suppress with a dated reason.',
  ],
  cases: () => [
    { name: 'a mirror session created by hand', expect: 'match', event: fixture('ec2/CreateTrafficMirrorSession') },
    {
      name: 'an existing session redirected to another target',
      expect: 'match',
      event: fixture('ec2/CreateTrafficMirrorSession', {
        eventName: 'ModifyTrafficMirrorSession',
        requestParameters: {
          CreateTrafficMirrorSessionRequest: undefined,
          ModifyTrafficMirrorSessionRequest: {
            TrafficMirrorSessionId: 'tms-0a1b2c3d4e5f67890',
            TrafficMirrorTargetId: 'tmt-0f9e8d7c6b5a43210',
          },
        },
      }),
    },
    {
      name: 'Panther test event: an accept-all filter rule added by hand',
      expect: 'match',
      event: fixture('ec2/CreateTrafficMirrorFilterRule-panther'),
    },
    {
      name: 'a mirror target created by hand on a load balancer (no published CloudTrail example; API shape)',
      expect: 'match',
      event: fixture('ec2/CreateTrafficMirrorTarget'),
    },
    {
      name: 'a filter rule of a running session widened to all traffic',
      expect: 'match',
      event: fixture('ec2/CreateTrafficMirrorFilterRule-panther', {
        eventName: 'ModifyTrafficMirrorFilterRule',
        requestParameters: {
          CreateTrafficMirrorFilterRuleRequest: undefined,
          ModifyTrafficMirrorFilterRuleRequest: {
            TrafficMirrorFilterRuleId: 'tmfr-01669e70d44b9705a',
            DestinationCidrBlock: '0.0.0.0/0',
            RemoveField: ['destination-port-range'],
          },
        },
        responseElements: null,
      }),
    },
    {
      name: 'Amazon DNS added to what a filter mirrors',
      expect: 'match',
      event: fixture('ec2/CreateTrafficMirrorFilterRule-panther', {
        eventName: 'ModifyTrafficMirrorFilterNetworkServices',
        requestParameters: {
          CreateTrafficMirrorFilterRuleRequest: undefined,
          ModifyTrafficMirrorFilterNetworkServicesRequest: {
            TrafficMirrorFilterId: 'tmf-010db9a7d8056cc2d',
            AddNetworkService: ['amazon-dns'],
          },
        },
        responseElements: null,
      }),
    },
    {
      name: 'the approved monitoring role creates a target',
      expect: 'no-match',
      event: fixture('ec2/CreateTrafficMirrorTarget', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
    {
      name: 'a refused filter rule',
      expect: 'no-match',
      event: fixture(
        'ec2/CreateTrafficMirrorFilterRule-panther',
        denied('Client.UnauthorizedOperation', 'ec2:CreateTrafficMirrorFilterRule'),
      ),
    },
    {
      name: 'the approved monitoring role creates it',
      expect: 'no-match',
      event: fixture('ec2/CreateTrafficMirrorSession', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture(
        'ec2/CreateTrafficMirrorSession',
        denied('Client.UnauthorizedOperation', 'ec2:CreateTrafficMirrorSession'),
      ),
    },
  ],
};
