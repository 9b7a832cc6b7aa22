import type { CloudTrailRecord, JsonValue } from '../core/cloudtrail.ts';
import { accountOf, isSuccess, param, principalArn, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { ec2Arns, isWholeInternet, portRange, protocolKind, sensitivePortsIn } from '../core/network.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';

/** What a CreateNetworkAclEntry / ReplaceNetworkAclEntry request asks for, as CloudTrail logs it. */
interface AclEntryRequest {
  /** `aclProtocol` as sent: an IANA number (`6`, `17`, `1`, `58`) or `-1` for all protocols. */
  readonly protocol: string;
  readonly fromPort: number | null;
  readonly toPort: number | null;
  readonly cidr: string | null;
  readonly egress: boolean;
  readonly allow: boolean;
}

const isTrue = (v: JsonValue | undefined): boolean =>
  v === true || (typeof v === 'string' && v.toLowerCase() === 'true');
const numberOf = (v: JsonValue | undefined): number | null =>
  typeof v === 'number' && Number.isInteger(v)
    ? v
    : typeof v === 'string' && /^-?\d+$/.test(v.trim())
      ? Number(v.trim())
      : null;

const entryOf = (e: CloudTrailRecord): AclEntryRequest => {
  const p = e.requestParameters;
  const protocol = param(p, 'aclProtocol') ?? param(p, 'protocol');
  return {
    protocol: typeof protocol === 'string' || typeof protocol === 'number' ? String(protocol).trim() : '',
    fromPort: numberOf(param(p, 'portRange', 'from')),
    toPort: numberOf(param(p, 'portRange', 'to')),
    cidr: stringParam(p, 'cidrBlock') ?? stringParam(p, 'ipv6CidrBlock') ?? null,
    egress: isTrue(param(p, 'egress')),
    allow: (stringParam(p, 'ruleAction') ?? '').toLowerCase() === 'allow',
  };
};

const EPHEMERAL_FLOOR = 1024;

/**
 * Does this entry let the whole internet reach an admin, database or cluster port? All protocols (`-1`) always
 * does. A TCP/UDP range does when it includes a sensitive port, except the return-traffic range that stateless
 * ACLs need on public subnets: anything from 1024 or above up to 65535 (AWS's own recommended 1024-65535,
 * Linux 32768-65535, Windows 49152-65535). Security groups stay the stateful control in front of those ports,
 * and ec2.ingress-open-to-internet watches them.
 */
const exposesSensitivePorts = (entry: AclEntryRequest): boolean => {
  const kind = protocolKind(entry.protocol);
  if (kind === 'all') return true;
  if (kind !== 'tcp' && kind !== 'udp') return false;
  const spec = { protocol: entry.protocol, fromPort: entry.fromPort, toPort: entry.toPort };
  const range = portRange(spec);
  if (range === null || (range.from >= EPHEMERAL_FLOOR && range.to === 65535)) return false;
  return sensitivePortsIn(spec).length > 0;
};

export const opensAclToInternet = (e: CloudTrailRecord): boolean => {
  const entry = entryOf(e);
  return entry.allow && !entry.egress && isWholeInternet(entry.cidr) && exposesSensitivePorts(entry);
};

const networkAclIdOf = (e: CloudTrailRecord): string | undefined => stringParam(e.requestParameters, 'networkAclId');

const entry = (overrides: Record<string, unknown>) => ({ requestParameters: overrides });

export const rule = defineRule({
  id: 'ec2.network-acl-open-to-internet',
  title: 'Network ACL entry lets the internet reach admin or database ports',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.9'],
  mitre: ['T1562.007'],
  on: { source: 'ec2', eventNames: ['CreateNetworkAclEntry', 'ReplaceNetworkAclEntry'] },
  match: (e) => isSuccess(e) && opensAclToInternet(e),
  resources: (e) => ec2Arns(e, 'network-acl', networkAclIdOf(e)),
  dedup: { key: (e) => `${accountOf(e)}|${networkAclIdOf(e) ?? `unknown-network-acl|${principalArn(e)}`}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A network ACL ingress entry now allows 0.0.0.0/0 or ::/0 (any prefix-length-0 range) on all protocols, or ' +
    'on a TCP/UDP port range that includes SSH, RDP, a database or a cluster API port. The subnet boundary no ' +
    'longer stops internet traffic to those services; only security groups remain.',
  runbook: [
    'See the entries now in force: `aws ec2 describe-network-acls --network-acl-ids <acl-id> --query "NetworkAcls[].[Entries,Associations]"` (ingress entries have `Egress: false`; `Associations` lists the subnets using the ACL).',
    'Unless a change record says the exposure is intended, narrow or remove the entry at once: `aws ec2 replace-network-acl-entry --network-acl-id <acl-id> --ingress --rule-number <n> --protocol tcp --port-range From=443,To=443 --cidr-block 0.0.0.0/0 --rule-action allow`, or `aws ec2 delete-network-acl-entry --network-acl-id <acl-id> --ingress --rule-number <n>`.',
    'Check the security groups of everything in the associated subnets for the same ports open to 0.0.0.0/0 or ::/0 (`aws ec2 describe-security-group-rules --filters Name=group-id,Values=<sg-id>`): with the ACL open they are the only barrier left.',
    'Review VPC flow logs of the associated subnets for accepted inbound connections on the exposed ports during the exposure window.',
    'If the change came from IaC, fix the template too, or the next deploy reopens it.',
  ],
  rationale:
    'One entry is enough (no threshold): it opens a whole subnet. High by default and critical on high-criticality assets, as for security groups opened to the internet (DESIGN §3). ' +
    'Only allow entries on ingress count: deny entries protect, and egress entries do not admit anyone. Ports are judged with the shared sensitive-port list; HTTP/HTTPS, DNS and other ordinary public ports do not match. ' +
    'The ephemeral return-traffic range (starting at 1024 or above and ending at 65535) does not match: network ACLs are stateless, so public subnets need it, and AWS recommends 1024-65535. ' +
    'It matches even for approved automation: the approved process governs who changes the network, not whether an exposure is acceptable.',
  falsePositives: [
    'Public subnets deliberately running internet-facing non-web services (SFTP, VPN on UDP 500/4500): suppress per ACL with a reason.',
    'Return-traffic entries written with a lower bound below 1024 (e.g. 1000-65535): narrow them to 1024-65535.',
  ],
  cases: () => [
    {
      name: 'bob replaces an entry to allow SSH 22 from 0.0.0.0/0',
      expect: 'match',
      event: fixture('ec2/ReplaceNetworkAclEntry'),
    },
    {
      name: 'SSH from the world on a high-criticality ACL',
      expect: 'match',
      criticality: 'high',
      event: fixture('ec2/ReplaceNetworkAclEntry'),
    },
    {
      name: 'all traffic (-1) from 0.0.0.0/0',
      expect: 'match',
      event: fixture('ec2/CreateNetworkAclEntry', entry({ aclProtocol: '-1', portRange: {} })),
    },
    {
      name: 'RDP 3389 from ::/0',
      expect: 'match',
      event: fixture(
        'ec2/CreateNetworkAclEntry',
        entry({ cidrBlock: undefined, ipv6CidrBlock: '::/0', portRange: { from: 3389, to: 3389 } }),
      ),
    },
    {
      name: 'range 1000-2000 includes MSSQL 1433 and Oracle 1521',
      expect: 'match',
      event: fixture('ec2/CreateNetworkAclEntry', entry({ portRange: { from: 1000, to: 2000 } })),
    },
    {
      name: 'TCP 0-65535 from the world',
      expect: 'match',
      event: fixture('ec2/CreateNetworkAclEntry', entry({ portRange: { from: 0, to: 65535 } })),
    },
    {
      name: 'approved deploy role through CloudFormation still matches when it opens SSH',
      expect: 'match',
      event: fixture('ec2/CreateNetworkAclEntry-cloudformation', entry({ portRange: { from: 22, to: 22 } })),
      config: { approved: APPROVED_DEPLOYS },
    },
    { name: 'HTTPS 443 from the world', expect: 'no-match', event: fixture('ec2/CreateNetworkAclEntry') },
    {
      name: 'DNS on UDP 53 from the world',
      expect: 'no-match',
      event: fixture('ec2/CreateNetworkAclEntry', entry({ aclProtocol: '17', portRange: { from: 53, to: 53 } })),
    },
    {
      name: 'return traffic on 1024-65535 from the world, as AWS recommends for public subnets',
      expect: 'no-match',
      event: fixture('ec2/CreateNetworkAclEntry-cloudformation'),
    },
    {
      name: 'deny all traffic from 0.0.0.0/0 protects, it does not expose',
      expect: 'no-match',
      event: fixture('ec2/CreateNetworkAclEntry', entry({ ruleAction: 'deny', aclProtocol: '-1', portRange: {} })),
    },
    {
      name: 'egress allow all to 0.0.0.0/0 admits nobody',
      expect: 'no-match',
      event: fixture('ec2/CreateNetworkAclEntry', entry({ egress: true, aclProtocol: '-1', portRange: {} })),
    },
    {
      name: 'SSH from the office range only',
      expect: 'no-match',
      event: fixture('ec2/ReplaceNetworkAclEntry', entry({ cidrBlock: '198.51.100.0/24' })),
    },
    {
      name: 'ICMP from the world',
      expect: 'no-match',
      event: fixture(
        'ec2/CreateNetworkAclEntry',
        entry({ aclProtocol: '1', portRange: {}, icmpTypeCode: { code: -1, type: -1 } }),
      ),
    },
    {
      name: 'denied',
      expect: 'no-match',
      event: fixture('ec2/ReplaceNetworkAclEntry', {
        errorCode: 'Client.UnauthorizedOperation',
        errorMessage:
          'You are not authorized to perform this operation. User: arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/bob is not authorized to perform: ec2:ReplaceNetworkAclEntry on resource: arn:aws:ec2:eu-west-1:111122223333:network-acl/acl-0c1d2e3f4a5b6c7d8 because no identity-based policy allows the ec2:ReplaceNetworkAclEntry action.',
        responseElements: null,
      }),
    },
  ],
};
