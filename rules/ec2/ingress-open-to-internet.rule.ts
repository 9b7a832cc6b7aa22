import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { isSuccess, principalArn } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { IngressRule } from '../core/network.ts';
import {
  describeIngressRule,
  ingressRulesFromRequest,
  isWholeInternet,
  opensMoreThanWeb,
  securityGroupArns,
  securityGroupIdOf,
} from '../core/network.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';

/**
 * The rules in this call that expose a non-web port (anything but 80 and 443; ICMP opens none) to the whole
 * internet, for the predicate and for humans.
 */
export const worldOpenIngress = (e: CloudTrailRecord): IngressRule[] =>
  ingressRulesFromRequest(e.eventName, e.requestParameters).filter(
    (r) => isWholeInternet(r.cidr) && opensMoreThanWeb(r),
  );

/** `tcp 22 from 0.0.0.0/0 (ssh); tcp 3389 from ::/0 (rdp)`: what was opened, ready for a page title or body. */
export const describeWorldOpenIngress = (e: CloudTrailRecord): string =>
  worldOpenIngress(e)
    .map((r) => describeIngressRule(r))
    .join('; ');

const world = (items: readonly Record<string, unknown>[]) => ({ requestParameters: { ipPermissions: { items } } });
const permission = (
  protocol: string,
  from: number | undefined,
  to: number | undefined,
  source: Record<string, unknown>,
) => ({
  ipProtocol: protocol,
  ...(from === undefined ? {} : { fromPort: from }),
  ...(to === undefined ? {} : { toPort: to }),
  groups: {},
  ipRanges: {},
  ipv6Ranges: {},
  prefixListIds: {},
  ...source,
});
const v4 = (cidr: string) => ({ ipRanges: { items: [{ cidrIp: cidr }] } });
const v6 = (cidr: string) => ({ ipv6Ranges: { items: [{ cidrIpv6: cidr }] } });
const modifyTo = (rule: Record<string, unknown>) => ({
  requestParameters: { ModifySecurityGroupRulesRequest: { SecurityGroupRule: { SecurityGroupRule: rule } } },
});

export const rule = defineRule({
  id: 'ec2.ingress-open-to-internet',
  title: 'Security group ingress opened to the internet on a non-web port',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.9', 'A.5.23'],
  mitre: ['T1562.007', 'T1133', 'T1190'],
  on: { source: 'ec2', eventNames: ['AuthorizeSecurityGroupIngress', 'ModifySecurityGroupRules'] },
  match: (e) => isSuccess(e) && worldOpenIngress(e).length > 0,
  explain: (e) => [describeWorldOpenIngress(e)],
  resources: securityGroupArns,
  dedup: { key: (e) => securityGroupIdOf(e) ?? `unknown-security-group|${principalArn(e)}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A security group now admits 0.0.0.0/0 or ::/0 (any prefix-length-0 range) on a port other than 80/443: SSH 22, ' +
    'RDP 3389, databases (3306, 5432, 1433, 1521, 27017, 6379), cluster APIs (6443, 2375) or all traffic. The ' +
    'exact rules are in the event requestParameters; the group is in resources.',
  runbook: [
    "See what is open now: `aws ec2 describe-security-group-rules --filters Name=group-id,Values=<sg-id> --query \"SecurityGroupRules[?CidrIpv4=='0.0.0.0/0' || CidrIpv6=='::/0']\"`.",
    'Unless a change record says the exposure is intended, remove it at once: `aws ec2 revoke-security-group-ingress --group-id <sg-id> --security-group-rule-ids <sgr-id>` (rule ids are in responseElements.securityGroupRuleSet, or in the describe output). For a ModifySecurityGroupRules event, first confirm the rule is ingress (`IsEgress=false`).',
    'Find what the group protects: `aws ec2 describe-network-interfaces --filters Name=group-id,Values=<sg-id> --query "NetworkInterfaces[].[InterfaceType,Attachment.InstanceId,Association.PublicIp,Description]"`. Only resources with a public IP or behind a public load balancer were reachable.',
    'For every exposed host, review access logs for the exposure window (VPC flow logs for the ENIs, SSH/RDP auth logs, database connection logs) and treat unknown successful connections as a compromise.',
    'If the change came from IaC, fix the template too, or the next deploy reopens it. Offer SSM Session Manager or a VPN/prefix list instead of world-open admin ports.',
  ],
  rationale:
    'Any single rule that opens a non-web port to the whole internet is a finding, with no threshold: internet-wide scanners find exposed SSH, RDP and databases within minutes. ' +
    'Ports 80 and 443 are excluded because they are public by design on load balancers and CDN origins; everything else from 0.0.0.0/0 or ::/0 (including all-traffic and port ranges that merely include 80/443) matches. ICMP is excluded: it exposes no service, and path-MTU discovery needs it from anywhere. ' +
    'It matches even for approved automation and changes made through CloudFormation: an IaC change can expose SSH just as well, and the approved process governs who changes the network, not whether an exposure is acceptable. ' +
    'High by default and critical on high-criticality assets, per DESIGN §3 (admin/DB ports opened to the internet → critical on high criticality). Prefix lists and security-group sources are never "the internet" here; ranges such as 0.0.0.0/1 are not treated as the whole internet.',
  falsePositives: [
    'Intentionally public non-web services (SFTP/FTP servers, VPN endpoints on UDP 500/4500/1194, game or mail servers): suppress per security group with a reason.',
    'ModifySecurityGroupRules does not say in CloudTrail whether the rewritten rule is ingress or egress, so editing the default all-traffic egress rule to 0.0.0.0/0 matches: check IsEgress and suppress.',
    'Short-lived test groups attached to nothing (confirm with describe-network-interfaces).',
  ],
  cases: () => [
    { name: 'SSH 22 from 0.0.0.0/0', expect: 'match', event: fixture('ec2/AuthorizeSecurityGroupIngress') },
    {
      name: 'RDP 3389 from ::/0',
      expect: 'match',
      event: fixture('ec2/AuthorizeSecurityGroupIngress', world([permission('tcp', 3389, 3389, v6('::/0'))])),
    },
    {
      name: 'HTTPS 443 from 0.0.0.0/0 is public by design',
      expect: 'no-match',
      event: fixture('ec2/AuthorizeSecurityGroupIngress', world([permission('tcp', 443, 443, v4('0.0.0.0/0'))])),
    },
    {
      name: 'HTTP and HTTPS from both address families',
      expect: 'no-match',
      event: fixture(
        'ec2/AuthorizeSecurityGroupIngress',
        world([
          permission('tcp', 80, 80, { ...v4('0.0.0.0/0'), ...v6('::/0') }),
          permission('tcp', 443, 443, { ...v4('0.0.0.0/0'), ...v6('::/0') }),
        ]),
      ),
    },
    {
      name: 'range 80-443 from the world includes far more than the web ports',
      expect: 'match',
      event: fixture('ec2/AuthorizeSecurityGroupIngress', world([permission('tcp', 80, 443, v4('0.0.0.0/0'))])),
    },
    {
      name: 'SSH 22 from 10.0.0.0/8',
      expect: 'no-match',
      event: fixture('ec2/AuthorizeSecurityGroupIngress', world([permission('tcp', 22, 22, v4('10.0.0.0/8'))])),
    },
    {
      name: 'SSH 22 from a prefix list',
      expect: 'no-match',
      event: fixture(
        'ec2/AuthorizeSecurityGroupIngress',
        world([permission('tcp', 22, 22, { prefixListIds: { items: [{ prefixListId: 'pl-0a1b2c3d4e5f67890' }] } })]),
      ),
    },
    {
      name: 'SSH 22 from another security group',
      expect: 'no-match',
      event: fixture(
        'ec2/AuthorizeSecurityGroupIngress',
        world([
          permission('tcp', 22, 22, {
            groups: { items: [{ groupId: 'sg-0fedcba9876543210', userId: '111122223333' }] },
          }),
        ]),
      ),
    },
    {
      name: 'HTTPS from the world plus SSH from the office only',
      expect: 'no-match',
      event: fixture(
        'ec2/AuthorizeSecurityGroupIngress',
        world([permission('tcp', 443, 443, v4('0.0.0.0/0')), permission('tcp', 22, 22, v4('198.51.100.10/32'))]),
      ),
    },
    {
      name: 'HTTPS and, in a second permission, PostgreSQL from the world',
      expect: 'match',
      event: fixture(
        'ec2/AuthorizeSecurityGroupIngress',
        world([permission('tcp', 443, 443, v4('0.0.0.0/0')), permission('tcp', 5432, 5432, v4('0.0.0.0/0'))]),
      ),
    },
    {
      name: 'TCP 0-65535 from the world',
      expect: 'match',
      event: fixture('ec2/AuthorizeSecurityGroupIngress', world([permission('tcp', 0, 65535, v4('0.0.0.0/0'))])),
    },
    {
      name: 'all traffic (-1) from the world',
      expect: 'match',
      event: fixture(
        'ec2/AuthorizeSecurityGroupIngress',
        world([permission('-1', undefined, undefined, v4('0.0.0.0/0'))]),
      ),
    },
    {
      name: 'non-canonical IPv6 spelling of the whole internet on PostgreSQL',
      expect: 'match',
      event: fixture(
        'ec2/AuthorizeSecurityGroupIngress',
        world([permission('tcp', 5432, 5432, v6('0:0:0:0:0:0:0:0/0'))]),
      ),
    },
    {
      name: 'ICMP echo from the world',
      expect: 'no-match',
      event: fixture('ec2/AuthorizeSecurityGroupIngress', world([permission('icmp', 8, -1, v4('0.0.0.0/0'))])),
    },
    {
      name: 'legacy flat request form, SSH from the world',
      expect: 'match',
      event: fixture('ec2/AuthorizeSecurityGroupIngress', {
        requestParameters: {
          ipPermissions: { items: undefined },
          cidrIp: '0.0.0.0/0',
          ipProtocol: 'tcp',
          fromPort: 22,
          toPort: 22,
        },
      }),
    },
    {
      name: 'denied',
      expect: 'no-match',
      event: fixture('ec2/AuthorizeSecurityGroupIngress', {
        errorCode: 'Client.UnauthorizedOperation',
        errorMessage:
          'You are not authorized to perform this operation. User: arn:aws:iam::111122223333:user/alice is not authorized to perform: ec2:AuthorizeSecurityGroupIngress on resource: arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0a1b2c3d4e5f67890 because no identity-based policy allows the ec2:AuthorizeSecurityGroupIngress action.',
        responseElements: null,
      }),
    },
    {
      name: 'approved deploy role through CloudFormation still matches when it opens SSH',
      expect: 'match',
      event: fixture(
        'ec2/AuthorizeSecurityGroupIngress-cloudformation',
        world([permission('tcp', 22, 22, v4('0.0.0.0/0'))]),
      ),
      config: { approved: APPROVED_DEPLOYS },
    },
    {
      name: 'ALB listener group opened on 443 through CloudFormation',
      expect: 'no-match',
      event: fixture('ec2/AuthorizeSecurityGroupIngress-cloudformation'),
    },
    {
      name: 'EKS service-linked role adds a self-referencing rule',
      expect: 'no-match',
      event: fixture('ec2/AuthorizeSecurityGroupIngress-eks'),
    },
    {
      name: 'ModifySecurityGroupRules opening MySQL 3306 to the world',
      expect: 'match',
      event: fixture('ec2/ModifySecurityGroupRules', modifyTo({ CidrIpv4: '0.0.0.0/0' })),
    },
    {
      name: 'ModifySecurityGroupRules keeping MySQL on the app subnets',
      expect: 'no-match',
      event: fixture('ec2/ModifySecurityGroupRules'),
    },
    {
      name: 'egress to the world on SSH is not ingress',
      expect: 'no-match',
      event: fixture('ec2/AuthorizeSecurityGroupEgress', world([permission('tcp', 22, 22, v4('0.0.0.0/0'))])),
    },
  ],
};
