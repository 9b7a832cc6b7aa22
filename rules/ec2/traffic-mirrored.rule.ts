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

export const rule = defineRule({
  id: 'ec2.traffic-mirrored',
  title: 'VPC traffic mirroring session created or redirected outside the approved process',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.20', 'A.5.23'],
  mitre: ['T1040', 'T1020'],
  on: { source: 'ec2', eventNames: ['CreateTrafficMirrorSession', 'ModifyTrafficMirrorSession'] },
  match: (e, ctx) => isSuccess(e) && !isServiceInvoked(e) && isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [
    `${actorArn(e)} ${e.eventName === 'CreateTrafficMirrorSession' ? `mirrors every packet of ${req(e, 'NetworkInterfaceId') ?? 'an unrecorded interface'}` : `redirected mirror session ${req(e, 'TrafficMirrorSessionId') ?? 'unrecorded'}`} to target ${req(e, 'TrafficMirrorTargetId') ?? 'not recorded'}: a full copy of the traffic, plaintext protocols included`,
    ...unapprovedReasons(e, ctx.config.approved),
  ],
  resources: (e) => {
    const eni = req(e, 'NetworkInterfaceId');
    return eni === undefined ? [] : [resourceArn(e, 'ec2', `network-interface/${eni}`)];
  },
  dedup: { key: (e) => `${accountOf(e)}|${actorArn(e)}`, windowSeconds: 3600 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'Outside the approved process, a VPC Traffic Mirroring session was created (CreateTrafficMirrorSession) or ' +
    'pointed at another target (ModifyTrafficMirrorSession): every packet of a network interface is copied to ' +
    'the target, which can be an interface or load balancer anywhere the attacker reaches.',
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
    'high-criticality accounts.',
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
