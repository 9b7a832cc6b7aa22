import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, param, parametersNotRecorded, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { flagParam } from '../core/destruction.ts';
import { ec2Arns } from '../core/network.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

/**
 * Is the source/destination check switched off? SDKs send `SourceDestCheck.Value` (logged as
 * `sourceDestCheck: { value: false }`), the CLI's `--attribute sourceDestCheck --value false` form is logged as
 * `attribute` and `value`. A check named without a readable value, or a request not recorded, counts as off.
 */
const checkDisabled = (e: CloudTrailRecord): boolean => {
  if (parametersNotRecorded(e)) return true;
  const req = e.requestParameters;
  if (param(req, 'sourceDestCheck') !== undefined) {
    return (flagParam(req, 'sourceDestCheck', 'value') ?? flagParam(req, 'sourceDestCheck')) !== true;
  }
  if (stringParam(req, 'attribute')?.toLowerCase() === 'sourcedestcheck') return flagParam(req, 'value') !== true;
  return false;
};

const targetArns = (e: CloudTrailRecord): string[] => [
  ...ec2Arns(e, 'instance', stringParam(e.requestParameters, 'instanceId')),
  ...ec2Arns(e, 'network-interface', stringParam(e.requestParameters, 'networkInterfaceId')),
];

export const rule = defineRule({
  id: 'ec2.source-dest-check-disabled',
  title: 'EC2 source/destination check switched off outside the approved process',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.20', 'A.8.9'],
  mitre: ['T1599', 'T1040'],
  on: { source: 'ec2', eventNames: ['ModifyInstanceAttribute', 'ModifyNetworkInterfaceAttribute'] },
  match: (e, ctx) => checkDisabled(e) && isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [
    `source/destination check off on ${targetArns(e).join(', ') || 'an unrecorded instance or interface'}: it now forwards traffic that is not its own`,
    ...unapprovedReasons(e, ctx.config.approved),
  ],
  resources: targetArns,
  dedup: {
    key: (e) =>
      `${accountOf(e)}|${stringParam(e.requestParameters, 'instanceId') ?? stringParam(e.requestParameters, 'networkInterfaceId') ?? 'unknown'}`,
  },
});

const FIXTURE = 'ec2/ModifyInstanceAttribute-sourceDestCheck';

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'The source/destination check of an EC2 instance or network interface was switched off by someone outside the ' +
    'approved process. The instance then accepts and forwards traffic addressed to others: with a route pointed at ' +
    'it, it sits in the middle of a subnet’s traffic (interception, a covert NAT out of a private subnet).',
  runbook: [
    'Read the attribute and the routes that use the instance: `aws ec2 describe-instance-attribute --instance-id <id> --attribute sourceDestCheck` and `aws ec2 describe-route-tables --filters Name=route.instance-id,Values=<id>` (and `route.network-interface-id`).',
    'Unless the instance is a planned NAT, firewall or VPN appliance, switch the check back on (`aws ec2 modify-instance-attribute --instance-id <id> --source-dest-check`) and remove routes that point at it.',
    'Review the actor’s other calls around the change (CreateRoute, ReplaceRoute, security groups) and the instance’s flow logs for traffic it forwarded.',
  ],
  rationale:
    'Only appliances (NAT instances, firewalls, VPN gateways) need the check off, and they are built by IaC; a hand ' +
    'change is rare and is the first step of putting an instance in the traffic path (T1599, T1040), the Turbot ' +
    'tailpipe detection ec2_instance_source_dest_check_disabled. Turning the check on is not a finding. Medium, high ' +
    'on high-criticality accounts; the flag as a string (`"false"`) counts, and a record without its request fails ' +
    'closed.',
  falsePositives: ['An appliance (NAT instance, firewall) configured by hand: move it to IaC or suppress its ARN.'],
  cases: () => [
    { name: 'check switched off on an instance (SDK form)', expect: 'match', event: fixture(FIXTURE) },
    {
      name: 'CLI --attribute sourceDestCheck --value false',
      expect: 'match',
      event: fixture(FIXTURE, {
        requestParameters: { sourceDestCheck: undefined, attribute: 'sourceDestCheck', value: 'false' },
      }),
    },
    {
      name: 'on a network interface',
      expect: 'match',
      event: fixture(FIXTURE, {
        eventName: 'ModifyNetworkInterfaceAttribute',
        requestParameters: { instanceId: undefined, networkInterfaceId: 'eni-0a1b2c3d4e5f60718' },
      }),
    },
    {
      name: 'request not recorded: fails closed',
      expect: 'match',
      event: fixture(FIXTURE, { requestParameters: null }),
    },
    {
      name: 'check switched back on',
      expect: 'no-match',
      event: fixture(FIXTURE, { requestParameters: { sourceDestCheck: { value: true } } }),
    },
    {
      name: 'another attribute (instance type)',
      expect: 'no-match',
      event: fixture('ec2/ModifyInstanceAttribute-instanceType'),
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture(FIXTURE, denied('Client.UnauthorizedOperation', 'ec2:ModifyInstanceAttribute')),
    },
    {
      name: 'the approved deploy role',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture(FIXTURE, BY_APPROVED_DEPLOY),
    },
  ],
};
