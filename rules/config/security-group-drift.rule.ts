import type { JsonValue } from '../core/cloudtrail.ts';
import { isJsonObject } from '../core/cloudtrail.ts';
import type { ConfigItemChange } from '../core/config-events.ts';
import { defineRule } from '../core/define-rule.ts';
import { isWholeInternet, opensMoreThanWeb } from '../core/network.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

const listOf = (v: JsonValue | undefined): JsonValue[] => (Array.isArray(v) ? v : []);
const numberOf = (v: JsonValue | undefined): number | null => (typeof v === 'number' && Number.isInteger(v) ? v : null);

/** One ingress permission as AWS Config records it (the EC2 DescribeSecurityGroups shape, camelCase). */
interface Permission {
  readonly protocol: string;
  readonly fromPort: number | null;
  readonly toPort: number | null;
  readonly cidrs: readonly string[];
}

/** `ipv4Ranges[].cidrIp`, the legacy `ipRanges[]` strings, and `ipv6Ranges[].cidrIpv6`. */
const permissionOf = (v: JsonValue | undefined): Permission | null => {
  if (!isJsonObject(v)) return null;
  const cidrs = [
    ...listOf(v.ipv4Ranges).map((r) => (isJsonObject(r) ? r.cidrIp : undefined)),
    ...listOf(v.ipRanges),
    ...listOf(v.ipv6Ranges).map((r) => (isJsonObject(r) ? r.cidrIpv6 : undefined)),
  ].filter((c): c is string => typeof c === 'string');
  const protocol = v.ipProtocol;
  return {
    protocol: typeof protocol === 'string' || typeof protocol === 'number' ? String(protocol) : '',
    fromPort: numberOf(v.fromPort),
    toPort: numberOf(v.toPort),
    cidrs,
  };
};

/** Open to the whole internet on more than the web ports (80, 443), as in ec2.ingress-open-to-internet. */
const worldOpenNonWeb = (v: JsonValue | undefined): boolean => {
  const p = permissionOf(v);
  if (p === null) return false;
  return p.cidrs.some(isWholeInternet) && opensMoreThanWeb(p);
};

const INGRESS_KEY = /^configuration\.ippermissions(?:\.(\d+))?(?:\.|$)/i;
const LIVE_STATUSES: ReadonlySet<string> = new Set(['OK', 'ResourceDiscovered']);

/**
 * Did this change leave ingress world-open on a non-web port? The group must be open now, and the change must
 * be the one that made it so: a new group (diff CREATE), or a changed ingress permission that is open in the
 * new configuration. Config diffs ingress by list position (`Configuration.IpPermissions.1`), so the position
 * is looked up in the current configuration, with the diff's `updatedValue` as a fallback. Tag, description
 * and egress changes on a group that was already open do not page again.
 */
export const opensIngressToInternet = (d: ConfigItemChange): boolean => {
  const item = d.configurationItem;
  if (!LIVE_STATUSES.has(item.configurationItemStatus ?? 'OK')) return false;
  const current = listOf(item.configuration?.ipPermissions);
  if (!current.some(worldOpenNonWeb)) return false;
  if (d.configurationItemDiff?.changeType === 'CREATE') return true;
  return Object.entries(d.configurationItemDiff?.changedProperties ?? {}).some(([key, change]) => {
    const m = INGRESS_KEY.exec(key);
    if (m === null) return false;
    const index = m[1];
    if (index === undefined) return true;
    const updated = isJsonObject(change) ? change.updatedValue : undefined;
    return worldOpenNonWeb(current[Number(index)]) || worldOpenNonWeb(updated);
  });
};

const ssh = {
  fromPort: 22,
  ipProtocol: 'tcp',
  ipv6Ranges: [],
  prefixListIds: [],
  toPort: 22,
  userIdGroupPairs: [],
  ipv4Ranges: [{ cidrIp: '0.0.0.0/0' }],
  ipRanges: ['0.0.0.0/0'],
};
const https = {
  fromPort: 443,
  ipProtocol: 'tcp',
  ipv6Ranges: [{ cidrIpv6: '::/0' }],
  prefixListIds: [],
  toPort: 443,
  userIdGroupPairs: [],
  ipv4Ranges: [{ cidrIp: '0.0.0.0/0' }],
  ipRanges: ['0.0.0.0/0'],
};
/** The group's ingress is now `[https, added]`, and the diff says `added` was created at position 1. */
const added = (permission: Record<string, unknown>) => ({
  configurationItem: { configuration: { ipPermissions: [https, permission] } },
  configurationItemDiff: {
    changedProperties: {
      'Configuration.IpPermissions.1': { previousValue: null, updatedValue: permission, changeType: 'CREATE' },
    },
  },
});

export const rule = defineRule({
  id: 'config.security-group-drift',
  title: 'Config: security group now admits the internet on a non-web port',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.9'],
  mitre: ['T1562.007'],
  on: { source: 'config.item-change', resourceTypes: ['AWS::EC2::SecurityGroup'] },
  match: opensIngressToInternet,
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'AWS Config recorded a security group whose ingress now admits 0.0.0.0/0 or ::/0 on a port other than ' +
    '80/443 (SSH, RDP, databases, all traffic), and the recorded change is what opened it. Config sees the ' +
    'result whatever path made it (console, API, IaC, another account, a region CloudTrail rules do not watch).',
  runbook: [
    "See what is open: `aws ec2 describe-security-group-rules --filters Name=group-id,Values=<sg-id> --query \"SecurityGroupRules[?CidrIpv4=='0.0.0.0/0' || CidrIpv6=='::/0']\"`.",
    'Find who changed it: the configuration item lists the CloudTrail event ids in `relatedEvents`; look them up with `aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventId,AttributeValue=<event-id>`. If ec2.ingress-open-to-internet did not also fire, find out why (region or account not forwarded, event missed).',
    'Unless a change record says the exposure is intended, revoke it: `aws ec2 revoke-security-group-ingress --group-id <sg-id> --security-group-rule-ids <sgr-id>`.',
    'Find what the group protects (`aws ec2 describe-network-interfaces --filters Name=group-id,Values=<sg-id>`) and review flow logs and service logs of exposed hosts for the exposure window.',
  ],
  rationale:
    'Config is the second, independent path for the exposure ec2.ingress-open-to-internet catches from CloudTrail: it reports the resulting state, so it also catches changes the CloudTrail rules missed. Same severity for the same exposure: high, critical on high-criticality assets. ' +
    'Only the change that opened the group matches (a new group, or a changed ingress permission now open), so tag or egress edits on a group that was already open do not page again; the default dedup (same group, one hour) folds Config re-recordings. ' +
    'Ports 80 and 443 and ICMP are excluded, as in the CloudTrail rule.',
  falsePositives: [
    'Intentionally public non-web services (SFTP, VPN endpoints, game servers): suppress per security group with a reason.',
    'Duplicates of ec2.ingress-open-to-internet for the same change: expected, and proof both paths work.',
  ],
  cases: () => [
    {
      name: 'SSH 22 from 0.0.0.0/0 added',
      expect: 'match',
      event: fixture('config-item/AWS-EC2-SecurityGroup-ssh-opened'),
    },
    {
      name: 'SSH opened on a high-criticality group',
      expect: 'match',
      criticality: 'high',
      event: fixture('config-item/AWS-EC2-SecurityGroup-ssh-opened'),
    },
    {
      name: 'RDP 3389 from ::/0 added',
      expect: 'match',
      event: fixture(
        'config-item/AWS-EC2-SecurityGroup-ssh-opened',
        added({
          ...ssh,
          fromPort: 3389,
          toPort: 3389,
          ipv4Ranges: [],
          ipRanges: [],
          ipv6Ranges: [{ cidrIpv6: '::/0' }],
        }),
      ),
    },
    {
      name: 'all traffic from the world added',
      expect: 'match',
      event: fixture(
        'config-item/AWS-EC2-SecurityGroup-ssh-opened',
        added({ ...ssh, ipProtocol: '-1', fromPort: undefined, toPort: undefined }),
      ),
    },
    {
      name: 'group recorded for the first time already open',
      expect: 'match',
      event: fixture('config-item/AWS-EC2-SecurityGroup-ssh-opened', {
        configurationItemDiff: {
          changedProperties: { 'Configuration.IpPermissions.1': undefined },
          changeType: 'CREATE',
        },
        configurationItem: { configurationItemStatus: 'ResourceDiscovered' },
      }),
    },
    {
      name: 'HTTPS from the world only',
      expect: 'no-match',
      event: fixture('config-item/AWS-EC2-SecurityGroup-ssh-opened', {
        configurationItem: { configuration: { ipPermissions: [https] } },
        configurationItemDiff: {
          changedProperties: {
            'Configuration.IpPermissions.1': undefined,
            'Configuration.IpPermissions.0': { previousValue: null, updatedValue: https, changeType: 'CREATE' },
          },
        },
      }),
    },
    {
      name: 'SSH from the office range only',
      expect: 'no-match',
      event: fixture(
        'config-item/AWS-EC2-SecurityGroup-ssh-opened',
        added({ ...ssh, ipv4Ranges: [{ cidrIp: '198.51.100.10/32' }], ipRanges: ['198.51.100.10/32'] }),
      ),
    },
    {
      name: 'SSH from a prefix list',
      expect: 'no-match',
      event: fixture(
        'config-item/AWS-EC2-SecurityGroup-ssh-opened',
        added({ ...ssh, ipv4Ranges: [], ipRanges: [], prefixListIds: [{ prefixListId: 'pl-0a1b2c3d4e5f67890' }] }),
      ),
    },
    {
      name: 'ICMP from the world',
      expect: 'no-match',
      event: fixture(
        'config-item/AWS-EC2-SecurityGroup-ssh-opened',
        added({ ...ssh, ipProtocol: 'icmp', fromPort: 8, toPort: -1 }),
      ),
    },
    {
      name: 'only a tag changed on a group that was already open',
      expect: 'no-match',
      event: fixture('config-item/AWS-EC2-SecurityGroup-ssh-opened', {
        configurationItemDiff: {
          changedProperties: {
            'Configuration.IpPermissions.1': undefined,
            'Tags.owner': { previousValue: null, updatedValue: 'platform-team', changeType: 'CREATE' },
          },
        },
      }),
    },
    {
      name: 'only egress changed on a group that was already open',
      expect: 'no-match',
      event: fixture('config-item/AWS-EC2-SecurityGroup-ssh-opened', {
        configurationItemDiff: {
          changedProperties: {
            'Configuration.IpPermissions.1': undefined,
            'Configuration.IpPermissionsEgress.0': {
              previousValue: { ipProtocol: '-1', ipv4Ranges: [{ cidrIp: '0.0.0.0/0' }], ipRanges: ['0.0.0.0/0'] },
              updatedValue: null,
              changeType: 'DELETE',
            },
          },
        },
      }),
    },
    {
      name: 'group deleted',
      expect: 'no-match',
      event: fixture('config-item/AWS-EC2-SecurityGroup-ssh-opened', {
        configurationItem: { configurationItemStatus: 'ResourceDeleted', configuration: null },
        configurationItemDiff: {
          changedProperties: { 'Configuration.IpPermissions.1': undefined },
          changeType: 'DELETE',
        },
      }),
    },
  ],
};
