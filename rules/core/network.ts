import { partitionOf, regionalArn } from './arn.ts';
import type { CloudTrailRecord } from './cloudtrail.ts';
import { accountOf } from './cloudtrail.ts';

// ---------------------------------------------------------------------------------------------------------
// Addresses

const IPV4_OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`^${IPV4_OCTET}(?:\\.${IPV4_OCTET}){3}$`);
const HEX_GROUP = /^[0-9a-f]{1,4}$/i;

/** RFC 4291 text form: eight hex groups, one `::` at most, an optional dotted IPv4 tail. No zone ids. */
const isIpv6 = (address: string): boolean => {
  const halves = address.split('::');
  if (halves.length > 2) return false;
  const groupsOf = (half: string): string[] => (half === '' ? [] : half.split(':'));
  // Stryker disable next-line StringLiteral: split always yields a first element, so the fallback for halves[0] never applies
  const groups = [...groupsOf(halves[0] ?? ''), ...groupsOf(halves[1] ?? '')];
  let width = 0;
  for (const [i, group] of groups.entries()) {
    if (i === groups.length - 1 && group.includes('.')) {
      if (!IPV4.test(group)) return false;
      width += 2;
    } else if (HEX_GROUP.test(group)) width += 1;
    else return false;
  }
  return halves.length === 2 ? width <= 7 : width === 8;
};

/**
 * Does this CIDR cover every address? Any valid IPv4 or IPv6 address with prefix length 0 does, whatever its
 * host bits say: AWS canonicalises `203.0.113.7/0` to `0.0.0.0/0`, and CloudTrail records the spelling the
 * caller sent. Anything that is not a well-formed CIDR is false.
 */
export const isWholeInternet = (cidr: unknown): boolean => {
  if (typeof cidr !== 'string') return false;
  const parts = cidr.trim().split('/');
  if (parts.length !== 2) return false;
  // Stryker disable next-line StringLiteral: parts has exactly two elements here, so neither default ever applies
  const [address = '', prefix = ''] = parts;
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) !== 0) return false;
  return IPV4.test(address) || isIpv6(address);
};

// ---------------------------------------------------------------------------------------------------------
// Ports

/**
 * Admin, remote-access, database and cluster-control ports that should never face the internet. 8080 is
 * deliberately absent: it is a generic HTTP alternative used by ordinary apps as often as by admin consoles,
 * so naming it "sensitive" would mislabel most findings that mention it. (Rules that care about exposure
 * still see it: only 80 and 443 count as public by design.)
 */
export const SENSITIVE_PORTS = {
  21: 'ftp',
  22: 'ssh',
  23: 'telnet',
  135: 'msrpc',
  139: 'netbios',
  445: 'smb',
  1433: 'mssql',
  1521: 'oracle',
  2049: 'nfs',
  2375: 'docker',
  2376: 'docker-tls',
  2379: 'etcd',
  3306: 'mysql',
  3389: 'rdp',
  5432: 'postgres',
  5601: 'kibana',
  5900: 'vnc',
  5985: 'winrm',
  5986: 'winrm-https',
  6379: 'redis',
  6443: 'kubernetes-api',
  9200: 'elasticsearch',
  9300: 'elasticsearch-transport',
  10250: 'kubelet',
  11211: 'memcached',
  27017: 'mongodb',
} as const;
export type SensitivePort = keyof typeof SENSITIVE_PORTS;

const SENSITIVE_LIST: readonly { readonly port: number; readonly service: string }[] = Object.entries(SENSITIVE_PORTS)
  .map(([port, service]) => ({ port: Number(port), service }))
  .sort((a, b) => a.port - b.port);

export type ProtocolKind = 'all' | 'tcp' | 'udp' | 'icmp' | 'other';

/**
 * Classify a security group protocol as EC2 accepts it: a name or an IANA number, any case. `-1`/`all` is
 * every protocol. A missing or unreadable protocol is `other`, never silently `icmp`.
 */
export const protocolKind = (protocol: unknown): ProtocolKind => {
  // Stryker disable next-line StringLiteral: an absent protocol is 'other' for any filler that names no protocol
  const p = String(protocol ?? '')
    .trim()
    .toLowerCase();
  if (p === '-1' || p === 'all') return 'all';
  if (p === 'tcp' || p === '6') return 'tcp';
  if (p === 'udp' || p === '17') return 'udp';
  if (p === 'icmp' || p === '1' || p === 'icmpv6' || p === '58') return 'icmp';
  return 'other';
};

export interface PortSpec {
  readonly protocol: string;
  readonly fromPort?: number | null;
  readonly toPort?: number | null;
}

const MAX_PORT = 65535;

/**
 * The TCP/UDP port range a rule opens, or null when ports do not apply (ICMP, other protocols). All-traffic
 * rules open 0–65535. A missing or negative bound on TCP/UDP widens to the full range: when in doubt, assume
 * more is open, not less.
 */
export const portRange = (spec: PortSpec): { readonly from: number; readonly to: number } | null => {
  const kind = protocolKind(spec.protocol);
  if (kind === 'all') return { from: 0, to: MAX_PORT };
  if (kind !== 'tcp' && kind !== 'udp') return null;
  const bound = (v: number | null | undefined, fallback: number): number =>
    typeof v === 'number' && Number.isInteger(v) && v >= 0 ? Math.min(v, MAX_PORT) : fallback;
  const from = bound(spec.fromPort, 0);
  const to = bound(spec.toPort, MAX_PORT);
  // Stryker disable next-line EqualityOperator: when from === to, swapping them gives the same range
  return from <= to ? { from, to } : { from: to, to: from };
};

/** Public by design on load balancers and CDNs: HTTP and HTTPS (incl. HTTP/3 over UDP 443). */
export const WEB_PORTS: ReadonlySet<number> = new Set([80, 443]);

/**
 * Does this rule open anything beyond the web ports? ICMP opens no service (and path-MTU discovery needs it
 * from anywhere); all-traffic, other IP protocols and a missing protocol count as open.
 */
export const opensMoreThanWeb = (spec: PortSpec): boolean => {
  const kind = protocolKind(spec.protocol);
  if (kind === 'icmp') return false;
  if (kind !== 'tcp' && kind !== 'udp') return true;
  const range = portRange(spec);
  // 80 and 443 are not adjacent, so any range wider than one port opens a non-web port.
  // Stryker disable next-line ConditionalExpression: portRange is null only for protocols that returned above
  return range !== null && (range.from !== range.to || !WEB_PORTS.has(range.from));
};

/** The sensitive ports a rule opens, in port order. */
export const sensitivePortsIn = (spec: PortSpec): readonly { readonly port: number; readonly service: string }[] => {
  const range = portRange(spec);
  if (range === null) return [];
  return SENSITIVE_LIST.filter(({ port }) => port >= range.from && port <= range.to);
};

// ---------------------------------------------------------------------------------------------------------
// Security group requests

export interface IngressRule {
  /** As sent, trimmed and lower-cased (`tcp`, `6`, `-1`, …); empty when the request named none. */
  readonly protocol: string;
  readonly fromPort: number | null;
  readonly toPort: number | null;
  /** IPv4 or IPv6 range; null when the source is a prefix list or another security group. */
  readonly cidr: string | null;
  readonly description?: string;
}

type Obj = Readonly<Record<string, unknown>>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** CloudTrail wraps EC2 lists as `{ items: [...] }`; accept a bare array or a lone object too. */
const itemsOf = (v: unknown): Obj[] => {
  const list = isObj(v) && 'items' in v ? v.items : v;
  if (Array.isArray(list)) return list.filter(isObj);
  return isObj(list) && !('items' in list) && Object.keys(list).length > 0 ? [list] : [];
};

const portNumber = (v: unknown): number | null => {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v.trim());
  return null;
};

const protocolOf = (v: unknown): string =>
  typeof v === 'string' || typeof v === 'number' ? String(v).trim().toLowerCase() : '';

const makeRule = (protocol: unknown, fromPort: unknown, toPort: unknown, cidr: string | null, description: unknown) => {
  const d = str(description);
  const r: IngressRule = {
    protocol: protocolOf(protocol),
    fromPort: portNumber(fromPort),
    toPort: portNumber(toPort),
    cidr,
  };
  return d === undefined ? r : { ...r, description: d };
};

/** `ipPermissions.items[]`, one rule per source (IPv4 range, IPv6 range, prefix list or group). */
const fromIpPermissions = (permissions: unknown): IngressRule[] =>
  itemsOf(permissions).flatMap((p) => {
    const make = (cidr: string | null, description: unknown) =>
      makeRule(p.ipProtocol, p.fromPort, p.toPort, cidr, description);
    return [
      ...itemsOf(p.ipRanges).map((r) => make(str(r.cidrIp) ?? null, r.description)),
      ...itemsOf(p.ipv6Ranges).map((r) => make(str(r.cidrIpv6) ?? null, r.description)),
      ...itemsOf(p.prefixListIds).map((r) => make(null, r.description)),
      ...itemsOf(p.groups).map((r) => make(null, r.description)),
    ];
  });

/** The legacy single-rule form: `cidrIp`/`ipProtocol`/`fromPort`/`toPort`, or a source group, at the top level. */
const fromFlat = (params: Obj): IngressRule[] => {
  const cidr = str(params.cidrIp);
  if (cidr !== undefined) return [makeRule(params.ipProtocol, params.fromPort, params.toPort, cidr, undefined)];
  if (str(params.sourceSecurityGroupName) ?? str(params.sourceSecurityGroupOwnerId)) {
    return [makeRule(params.ipProtocol ?? '-1', params.fromPort, params.toPort, null, undefined)];
  }
  return [];
};

/** `ModifySecurityGroupRulesRequest.SecurityGroupRule`: one `{SecurityGroupRuleId, SecurityGroupRule}` or a list. */
const fromModify = (params: Obj): IngressRule[] => {
  const request = params.ModifySecurityGroupRulesRequest;
  if (!isObj(request)) return [];
  const entries = request.SecurityGroupRule ?? request.SecurityGroupRules;
  return itemsOf(entries).flatMap((entry) => {
    const r = entry.SecurityGroupRule;
    if (!isObj(r)) return [];
    const cidr = str(r.CidrIpv4) ?? str(r.CidrIpv6) ?? null;
    return [makeRule(r.IpProtocol, r.FromPort, r.ToPort, cidr, r.Description)];
  });
};

/**
 * Lightsail's instance firewall: `portInfo` (OpenInstancePublicPorts) or `portInfos` (PutInstancePublicPorts, which
 * replaces them all), each `{ fromPort, toPort, protocol, cidrs, ipv6Cidrs, cidrListAliases }`. A port that names
 * no source at all (the CLI reference opens 22 with only ports and protocol) is read as open to every IPv4
 * address: when in doubt, assume more is open. The `lightsail-connect` alias (the console's browser SSH/RDP client)
 * is a named range, never the internet.
 */
const fromLightsailPorts = (params: Obj): IngressRule[] => {
  const infos = Array.isArray(params.portInfos)
    ? params.portInfos.filter(isObj)
    : isObj(params.portInfo)
      ? [params.portInfo]
      : [];
  return infos.flatMap((p) => {
    const strings = (v: unknown): string[] => (Array.isArray(v) ? v.flatMap((x) => str(x) ?? []) : []);
    const sources = [...strings(p.cidrs), ...strings(p.ipv6Cidrs)];
    const named = sources.length > 0 || strings(p.cidrListAliases).length > 0;
    return (named ? sources : ['0.0.0.0/0']).map((cidr) => makeRule(p.protocol, p.fromPort, p.toPort, cidr, undefined));
  });
};

const LIGHTSAIL_PORT_CALLS: ReadonlySet<string> = new Set(['OpenInstancePublicPorts', 'PutInstancePublicPorts']);

/**
 * The rules an AuthorizeSecurityGroupIngress or ModifySecurityGroupRules request asks for, normalised (and the
 * ports a Lightsail OpenInstancePublicPorts or PutInstancePublicPorts opens, its instance firewall's equivalent).
 * Other event names yield nothing. Never throws: CloudTrail shapes drift, and a malformed part is skipped
 * rather than failing the whole event.
 *
 * ModifySecurityGroupRules does not say in CloudTrail whether the rule it rewrites is ingress or egress
 * (only the rule id is given), so its rules are reported as possible ingress.
 */
export const ingressRulesFromRequest = (eventName: string, requestParameters: unknown): IngressRule[] => {
  if (!isObj(requestParameters)) return [];
  if (eventName === 'AuthorizeSecurityGroupIngress') {
    return [...fromIpPermissions(requestParameters.ipPermissions), ...fromFlat(requestParameters)];
  }
  if (eventName === 'ModifySecurityGroupRules') return fromModify(requestParameters);
  if (LIGHTSAIL_PORT_CALLS.has(eventName)) return fromLightsailPorts(requestParameters);
  return [];
};

/** One line for a finding or a page: `tcp 22 from 0.0.0.0/0 (ssh)`, `all traffic from ::/0 (ssh, rdp, +24 more)`. */
export const describeIngressRule = (r: IngressRule, maxServices = 3): string => {
  const kind = protocolKind(r.protocol);
  const range = portRange(r);
  const what =
    kind === 'all'
      ? 'all traffic'
      : range === null
        ? `protocol ${r.protocol || 'unknown'}`
        : `${kind} ${range.from === range.to ? range.from : `${range.from}-${range.to}`}`;
  const services = sensitivePortsIn(r).map((s) => s.service);
  const named = services.slice(0, maxServices);
  const more = services.length > named.length ? [`+${services.length - named.length} more`] : [];
  const suffix = services.length === 0 ? '' : ` (${[...named, ...more].join(', ')})`;
  return `${what} from ${r.cidr ?? 'a prefix list or security group'}${suffix}`;
};

/**
 * The security group an EC2 call acted on: the request's `groupId` (or ModifySecurityGroupRules' `GroupId`),
 * else the id CreateSecurityGroup returned, else the group named in the returned rules (a call that named the
 * group only by `groupName` in a default VPC).
 */
export const securityGroupIdOf = (e: CloudTrailRecord): string | undefined => {
  const req = e.requestParameters;
  const res = e.responseElements;
  const modify = isObj(req) ? req.ModifySecurityGroupRulesRequest : undefined;
  const returned = isObj(res) ? itemsOf(res.securityGroupRuleSet)[0] : undefined;
  return (
    (isObj(req) ? str(req.groupId) : undefined) ??
    (isObj(modify) ? str(modify.GroupId) : undefined) ??
    (isObj(res) ? str(res.groupId) : undefined) ??
    str(returned?.groupId)
  );
};

// ---------------------------------------------------------------------------------------------------------
// ARNs of the EC2 resources a call acted on

/**
 * `arn:aws:ec2:<region>:<account>:<type>/<id>` (`security-group`, `network-acl`, `vpc`, …), in the event's
 * region and account. Always the `aws` partition, as the EC2 network rules have always written it.
 */
export const ec2Arn = (e: CloudTrailRecord, type: string, id: string): string =>
  regionalArn(partitionOf(e.awsRegion), 'ec2', e.awsRegion, accountOf(e), `${type}/${id}`);

/** `[ec2Arn(…)]`, or nothing when the call does not name the resource. */
export const ec2Arns = (e: CloudTrailRecord, type: string, id: string | undefined): string[] =>
  id === undefined ? [] : [ec2Arn(e, type, id)];

/** `arn:aws:ec2:<region>:<account>:security-group/<id>`, for criticality patterns and the finding. */
export const securityGroupArns = (e: CloudTrailRecord): string[] => ec2Arns(e, 'security-group', securityGroupIdOf(e));

// ---------------------------------------------------------------------------------------------------------
// Network pieces a teardown names

/** EC2 id prefixes of network pieces and the resource type their ARNs use; longest prefix first. */
const NETWORK_ID_TYPES: readonly (readonly [string, string])[] = [
  ['tgw-attach', 'transit-gateway-attachment'],
  ['tgw-rtb', 'transit-gateway-route-table'],
  ['tgw', 'transit-gateway'],
  ['subnet', 'subnet'],
  ['vpce', 'vpc-endpoint'],
  ['vpc', 'vpc'],
  ['rtb', 'route-table'],
];
const NETWORK_ID = /^([a-z]+(?:-[a-z]+)?)-([0-9a-f]{8}|[0-9a-f]{17})$/;

/**
 * The network pieces (subnets, transit gateways and their attachments and route tables, VPC endpoints…) a
 * request names, as `{type, id}`, found by id shape anywhere in it: the old EC2 query shapes (`subnetId`), the
 * newer wrapped ones (`DeleteTransitGatewayVpcAttachmentRequest.TransitGatewayAttachmentId`) and lists
 * (`VpcEndpointId: [{content}]`) alike. Deduplicated, in document order; never throws.
 */
export const networkIdsIn = (value: unknown, depth = 0): { readonly type: string; readonly id: string }[] => {
  const out: { type: string; id: string }[] = [];
  const seen = new Set<string>();
  const walk = (v: unknown, d: number): void => {
    if (d > 8) return;
    if (typeof v === 'string') {
      const m = NETWORK_ID.exec(v.trim());
      const type = m ? NETWORK_ID_TYPES.find(([prefix]) => prefix === m[1])?.[1] : undefined;
      if (type !== undefined && !seen.has(v.trim())) {
        seen.add(v.trim());
        out.push({ type, id: v.trim() });
      }
      return;
    }
    // Stryker disable next-line ConditionalExpression: an array sent to the object branch yields the same items at the same depth
    if (Array.isArray(v)) for (const item of v) walk(item, d + 1);
    else if (typeof v === 'object' && v !== null) for (const item of Object.values(v)) walk(item, d + 1);
  };
  walk(value, depth);
  return out;
};
