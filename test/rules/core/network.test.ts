import { describe, expect, it } from 'vitest';
import type { CloudTrailRecord } from '../../../rules/core/cloudtrail.ts';
import type { IngressRule, PortSpec } from '../../../rules/core/network.ts';
import {
  describeIngressRule,
  ec2Arn,
  ec2Arns,
  ingressRulesFromRequest,
  isWholeInternet,
  networkIdsIn,
  opensMoreThanWeb,
  portRange,
  protocolKind,
  SENSITIVE_PORTS,
  securityGroupArns,
  securityGroupIdOf,
  sensitivePortsIn,
} from '../../../rules/core/network.ts';

describe('isWholeInternet', () => {
  it.each([
    ['0.0.0.0/0'],
    ['::/0'],
    ['0:0:0:0:0:0:0:0/0'],
    ['0000:0000:0000:0000:0000:0000:0000:0000/0'],
    ['::0/0'],
    ['0::/0'],
    ['::ffff:0.0.0.0/0'],
    ['  0.0.0.0/0 '],
    ['\t::/0\n'],
    // Host bits are ignored by AWS: it canonicalises these to the whole internet.
    ['203.0.113.7/0'],
    ['2001:db8::1/0'],
    ['0.0.0.0/00'],
  ])('%j is the whole internet', (cidr) => {
    expect(isWholeInternet(cidr)).toBe(true);
  });

  it.each<[unknown]>([
    ['0.0.0.0/1'],
    ['128.0.0.0/1'],
    ['10.0.0.0/8'],
    ['0.0.0.0/32'],
    ['::/1'],
    ['::/128'],
    ['2001:db8::/32'],
    ['0.0.0.0'],
    ['::'],
    ['0.0.0.0/'],
    ['/0'],
    [''],
    ['0/0'],
    ['0.0.0/0'],
    ['0.0.0.0.0/0'],
    ['256.0.0.0/0'],
    ['00.0.0.0/0'],
    ['0.0.0.0/0/0'],
    ['0.0.0.0/-0'],
    ['0.0.0.0/0.0'],
    ['0.0.0.0/ 0'],
    ['0.0.0.0/0000'],
    [':::/0'],
    ['1::2::3/0'],
    [':1::/0'],
    ['0:0:0:0:0:0:0/0'],
    ['0:0:0:0:0:0:0:0:0/0'],
    ['0:0:0:0:0:0:0::0/0'],
    ['12345::/0'],
    ['g::/0'],
    ['fe80::1%eth0/0'],
    ['::ffff:0.0.0/0'],
    ['pl-0123456789abcdef0'],
    ['sg-0123456789abcdef0'],
    ['any'],
    ['*'],
    [null],
    [undefined],
    [0],
    [{ cidrIp: '0.0.0.0/0' }],
    [['0.0.0.0/0']],
  ])('%j is not the whole internet', (cidr) => {
    expect(isWholeInternet(cidr)).toBe(false);
  });
});

describe('protocolKind', () => {
  it.each<[unknown, string]>([
    ['-1', 'all'],
    ['all', 'all'],
    ['ALL', 'all'],
    [-1, 'all'],
    ['tcp', 'tcp'],
    ['TCP', 'tcp'],
    [' tcp ', 'tcp'],
    ['6', 'tcp'],
    [6, 'tcp'],
    ['udp', 'udp'],
    ['17', 'udp'],
    ['icmp', 'icmp'],
    ['1', 'icmp'],
    ['icmpv6', 'icmp'],
    ['58', 'icmp'],
    ['47', 'other'],
    ['132', 'other'],
    ['', 'other'],
    [undefined, 'other'],
    [null, 'other'],
  ])('%j is %s', (protocol, kind) => {
    expect(protocolKind(protocol)).toBe(kind);
  });
});

describe('portRange', () => {
  it.each<[PortSpec, { from: number; to: number } | null]>([
    [
      { protocol: 'tcp', fromPort: 22, toPort: 22 },
      { from: 22, to: 22 },
    ],
    [
      { protocol: '6', fromPort: 1024, toPort: 2048 },
      { from: 1024, to: 2048 },
    ],
    [
      { protocol: 'udp', fromPort: 53, toPort: 53 },
      { from: 53, to: 53 },
    ],
    [
      { protocol: '-1', fromPort: -1, toPort: -1 },
      { from: 0, to: 65535 },
    ],
    [{ protocol: '-1' }, { from: 0, to: 65535 }],
    [
      { protocol: 'all', fromPort: 22, toPort: 22 },
      { from: 0, to: 65535 },
    ],
    // Missing or negative TCP bounds widen rather than shrink.
    [{ protocol: 'tcp' }, { from: 0, to: 65535 }],
    [
      { protocol: 'tcp', fromPort: null, toPort: 22 },
      { from: 0, to: 22 },
    ],
    [
      { protocol: 'tcp', fromPort: -1, toPort: -1 },
      { from: 0, to: 65535 },
    ],
    [
      { protocol: 'tcp', fromPort: 0, toPort: 99999 },
      { from: 0, to: 65535 },
    ],
    [
      { protocol: 'tcp', fromPort: 443, toPort: 80 },
      { from: 80, to: 443 },
    ],
    [{ protocol: 'icmp', fromPort: 8, toPort: 0 }, null],
    [{ protocol: 'icmpv6', fromPort: -1, toPort: -1 }, null],
    [{ protocol: '47' }, null],
  ])('%j → %j', (spec, expected) => {
    expect(portRange(spec)).toEqual(expected);
  });
});

describe('SENSITIVE_PORTS / sensitivePortsIn', () => {
  it('names the admin and database ports the rules rely on', () => {
    expect(SENSITIVE_PORTS[22]).toBe('ssh');
    expect(SENSITIVE_PORTS[3389]).toBe('rdp');
    expect(SENSITIVE_PORTS[3306]).toBe('mysql');
    expect(SENSITIVE_PORTS[5432]).toBe('postgres');
    expect(SENSITIVE_PORTS[6443]).toBe('kubernetes-api');
    expect(Object.keys(SENSITIVE_PORTS)).not.toContain('8080');
    expect(Object.keys(SENSITIVE_PORTS)).not.toContain('80');
    expect(Object.keys(SENSITIVE_PORTS)).not.toContain('443');
  });

  const all = Object.keys(SENSITIVE_PORTS).map(Number);
  it.each<[PortSpec, number[]]>([
    [{ protocol: 'tcp', fromPort: 22, toPort: 22 }, [22]],
    [{ protocol: 'tcp', fromPort: 21, toPort: 23 }, [21, 22, 23]],
    [{ protocol: 'tcp', fromPort: 80, toPort: 80 }, []],
    [{ protocol: 'tcp', fromPort: 443, toPort: 443 }, []],
    [{ protocol: 'tcp', fromPort: 8080, toPort: 8080 }, []],
    [{ protocol: 'tcp', fromPort: 3300, toPort: 3400 }, [3306, 3389]],
    [{ protocol: 'tcp', fromPort: 9200, toPort: 9300 }, [9200, 9300]],
    [{ protocol: 'tcp', fromPort: 9201, toPort: 9299 }, []],
    [{ protocol: 'tcp', fromPort: 27017, toPort: 27017 }, [27017]],
    [{ protocol: 'udp', fromPort: 2049, toPort: 2049 }, [2049]],
    [{ protocol: '17', fromPort: 11211, toPort: 11211 }, [11211]],
    [{ protocol: 'tcp', fromPort: 0, toPort: 65535 }, all],
    [{ protocol: '-1' }, all],
    [{ protocol: 'all', fromPort: 443, toPort: 443 }, all],
    [{ protocol: 'icmp', fromPort: 22, toPort: 22 }, []],
    [{ protocol: '58', fromPort: -1, toPort: -1 }, []],
    [{ protocol: '47' }, []],
  ])('%j opens %j', (spec, ports) => {
    expect(sensitivePortsIn(spec).map((p) => p.port)).toEqual(ports);
  });

  it('pairs each port with its service, in port order', () => {
    expect(sensitivePortsIn({ protocol: 'tcp', fromPort: 5400, toPort: 5700 })).toEqual([
      { port: 5432, service: 'postgres' },
      { port: 5601, service: 'kibana' },
    ]);
  });
});

describe('ingressRulesFromRequest', () => {
  const permission = (over: Record<string, unknown>) => ({
    ipProtocol: 'tcp',
    fromPort: 22,
    toPort: 22,
    groups: {},
    ipRanges: {},
    ipv6Ranges: {},
    prefixListIds: {},
    ...over,
  });

  it.each<[string, string, unknown, IngressRule[]]>([
    [
      'IPv4 range as CloudTrail records it',
      'AuthorizeSecurityGroupIngress',
      {
        groupId: 'sg-1',
        ipPermissions: {
          items: [permission({ ipRanges: { items: [{ cidrIp: '0.0.0.0/0', description: 'bastion' }] } })],
        },
      },
      [{ protocol: 'tcp', fromPort: 22, toPort: 22, cidr: '0.0.0.0/0', description: 'bastion' }],
    ],
    [
      'IPv4 and IPv6 ranges in one permission, several permissions',
      'AuthorizeSecurityGroupIngress',
      {
        ipPermissions: {
          items: [
            permission({
              ipProtocol: 'tcp',
              fromPort: 3389,
              toPort: 3389,
              ipRanges: { items: [{ cidrIp: '198.51.100.0/24' }] },
              ipv6Ranges: { items: [{ cidrIpv6: '::/0' }] },
            }),
            permission({
              ipProtocol: '-1',
              fromPort: undefined,
              toPort: undefined,
              ipRanges: { items: [{ cidrIp: '10.0.0.0/8' }] },
            }),
          ],
        },
      },
      [
        { protocol: 'tcp', fromPort: 3389, toPort: 3389, cidr: '198.51.100.0/24' },
        { protocol: 'tcp', fromPort: 3389, toPort: 3389, cidr: '::/0' },
        { protocol: '-1', fromPort: null, toPort: null, cidr: '10.0.0.0/8' },
      ],
    ],
    [
      'prefix list and security group sources have no CIDR',
      'AuthorizeSecurityGroupIngress',
      {
        ipPermissions: {
          items: [
            permission({ prefixListIds: { items: [{ prefixListId: 'pl-0123456789abcdef0', description: 'vpn' }] } }),
            permission({ groups: { items: [{ groupId: 'sg-2', userId: '111122223333' }] } }),
          ],
        },
      },
      [
        { protocol: 'tcp', fromPort: 22, toPort: 22, cidr: null, description: 'vpn' },
        { protocol: 'tcp', fromPort: 22, toPort: 22, cidr: null },
      ],
    ],
    [
      'legacy flat form',
      'AuthorizeSecurityGroupIngress',
      { groupId: 'sg-1', ipPermissions: {}, cidrIp: '0.0.0.0/0', ipProtocol: 'tcp', fromPort: 22, toPort: 22 },
      [{ protocol: 'tcp', fromPort: 22, toPort: 22, cidr: '0.0.0.0/0' }],
    ],
    [
      'legacy flat form with a source group',
      'AuthorizeSecurityGroupIngress',
      { groupName: 'web', sourceSecurityGroupName: 'lb', sourceSecurityGroupOwnerId: '111122223333' },
      [{ protocol: '-1', fromPort: null, toPort: null, cidr: null }],
    ],
    [
      'bare arrays and upper-case protocol, string ports',
      'AuthorizeSecurityGroupIngress',
      { ipPermissions: [{ ipProtocol: 'TCP', fromPort: '5432', toPort: '5432', ipRanges: [{ cidrIp: '0.0.0.0/0' }] }] },
      [{ protocol: 'tcp', fromPort: 5432, toPort: 5432, cidr: '0.0.0.0/0' }],
    ],
    [
      'ModifySecurityGroupRules, one rule',
      'ModifySecurityGroupRules',
      {
        ModifySecurityGroupRulesRequest: {
          GroupId: 'sg-1',
          SecurityGroupRule: {
            SecurityGroupRuleId: 'sgr-1',
            tag: 1,
            SecurityGroupRule: {
              IpProtocol: 'tcp',
              FromPort: 3306,
              ToPort: 3306,
              CidrIpv4: '0.0.0.0/0',
              Description: 'db',
            },
          },
        },
      },
      [{ protocol: 'tcp', fromPort: 3306, toPort: 3306, cidr: '0.0.0.0/0', description: 'db' }],
    ],
    [
      'ModifySecurityGroupRules, a list with IPv6, prefix list and group rules',
      'ModifySecurityGroupRules',
      {
        ModifySecurityGroupRulesRequest: {
          GroupId: 'sg-1',
          SecurityGroupRule: [
            { SecurityGroupRuleId: 'sgr-1', SecurityGroupRule: { IpProtocol: '-1', CidrIpv6: '::/0' } },
            {
              SecurityGroupRuleId: 'sgr-2',
              SecurityGroupRule: { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, PrefixListId: 'pl-1' },
            },
            {
              SecurityGroupRuleId: 'sgr-3',
              SecurityGroupRule: { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, ReferencedGroupId: 'sg-2' },
            },
            { SecurityGroupRuleId: 'sgr-4' },
          ],
        },
      },
      [
        { protocol: '-1', fromPort: null, toPort: null, cidr: '::/0' },
        { protocol: 'tcp', fromPort: 22, toPort: 22, cidr: null },
        { protocol: 'tcp', fromPort: 22, toPort: 22, cidr: null },
      ],
    ],
    [
      'Lightsail OpenInstancePublicPorts: one port, each IPv4 and IPv6 source a rule',
      'OpenInstancePublicPorts',
      {
        instanceName: 'wp-1',
        portInfo: { fromPort: 22, toPort: 22, protocol: 'TCP', cidrs: ['0.0.0.0/0'], ipv6Cidrs: ['::/0'] },
      },
      [
        { protocol: 'tcp', fromPort: 22, toPort: 22, cidr: '0.0.0.0/0' },
        { protocol: 'tcp', fromPort: 22, toPort: 22, cidr: '::/0' },
      ],
    ],
    [
      'Lightsail PutInstancePublicPorts: every port; no source named reads as any IPv4; an alias is no internet',
      'PutInstancePublicPorts',
      {
        portInfos: [
          { fromPort: 3306, toPort: 3306, protocol: 'tcp' },
          { fromPort: 22, toPort: 22, protocol: 'tcp', cidrListAliases: ['lightsail-connect'] },
          'junk',
        ],
      },
      [{ protocol: 'tcp', fromPort: 3306, toPort: 3306, cidr: '0.0.0.0/0' }],
    ],
    [
      'egress and other events yield nothing',
      'AuthorizeSecurityGroupEgress',
      { ipPermissions: { items: [permission({ ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] } })] } },
      [],
    ],
  ])('%s', (_name, eventName, params, expected) => {
    expect(ingressRulesFromRequest(eventName, params)).toEqual(expected);
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'ipPermissions'],
    ['an array', [{ ipProtocol: 'tcp' }]],
    ['empty object', {}],
    ['ipPermissions null', { ipPermissions: null }],
    ['ipPermissions a string', { ipPermissions: 'tcp/22' }],
    ['items null', { ipPermissions: { items: null } }],
    ['items of junk', { ipPermissions: { items: [null, 1, 'x', []] } }],
    ['ranges of junk', { ipPermissions: { items: [{ ipProtocol: 'tcp', ipRanges: { items: [null, 'x'] } }] } }],
    ['modify request a string', { ModifySecurityGroupRulesRequest: 'x' }],
    ['modify rule null', { ModifySecurityGroupRulesRequest: { SecurityGroupRule: null } }],
    [
      'modify inner rule a string',
      { ModifySecurityGroupRulesRequest: { SecurityGroupRule: { SecurityGroupRule: 'x' } } },
    ],
  ])('never throws on %s', (_name, params) => {
    for (const name of ['AuthorizeSecurityGroupIngress', 'ModifySecurityGroupRules']) {
      expect(() => ingressRulesFromRequest(name, params)).not.toThrow();
      expect(ingressRulesFromRequest(name, params)).toEqual([]);
    }
  });
});

describe('describeIngressRule', () => {
  it.each<[IngressRule, string]>([
    [{ protocol: 'tcp', fromPort: 22, toPort: 22, cidr: '0.0.0.0/0' }, 'tcp 22 from 0.0.0.0/0 (ssh)'],
    [{ protocol: '6', fromPort: 8000, toPort: 8100, cidr: '::/0' }, 'tcp 8000-8100 from ::/0'],
    [{ protocol: 'tcp', fromPort: 3300, toPort: 3400, cidr: '::/0' }, 'tcp 3300-3400 from ::/0 (mysql, rdp)'],
    [
      { protocol: '-1', fromPort: null, toPort: null, cidr: '0.0.0.0/0' },
      `all traffic from 0.0.0.0/0 (ftp, ssh, telnet, +${Object.keys(SENSITIVE_PORTS).length - 3} more)`,
    ],
    [{ protocol: 'icmp', fromPort: 8, toPort: 0, cidr: '0.0.0.0/0' }, 'protocol icmp from 0.0.0.0/0'],
    [
      { protocol: '', fromPort: null, toPort: null, cidr: null },
      'protocol unknown from a prefix list or security group',
    ],
  ])('%j → %s', (r, text) => {
    expect(describeIngressRule(r)).toBe(text);
  });
});

describe('securityGroupIdOf / securityGroupArns', () => {
  const record = (over: Partial<CloudTrailRecord>): CloudTrailRecord => ({
    eventTime: '2026-11-02T10:00:00Z',
    eventSource: 'ec2.amazonaws.com',
    eventName: 'AuthorizeSecurityGroupIngress',
    eventID: 'e1',
    awsRegion: 'eu-west-1',
    recipientAccountId: '111122223333',
    userIdentity: { type: 'IAMUser', accountId: '111122223333' },
    ...over,
  });

  it.each<[string, Partial<CloudTrailRecord>, string | undefined]>([
    ['request groupId', { requestParameters: { groupId: 'sg-1' } }, 'sg-1'],
    [
      'ModifySecurityGroupRules GroupId',
      { requestParameters: { ModifySecurityGroupRulesRequest: { GroupId: 'sg-2' } } },
      'sg-2',
    ],
    [
      'CreateSecurityGroup response',
      { requestParameters: { groupName: 'bastion' }, responseElements: { _return: true, groupId: 'sg-3' } },
      'sg-3',
    ],
    [
      'group named only by name, id in the returned rules',
      {
        requestParameters: { groupName: 'default' },
        responseElements: { securityGroupRuleSet: { items: [{ groupId: 'sg-4', securityGroupRuleId: 'sgr-1' }] } },
      },
      'sg-4',
    ],
    ['nothing to go on', { requestParameters: { groupName: 'default' }, responseElements: null }, undefined],
    ['no parameters at all', { requestParameters: null }, undefined],
  ])('%s', (_name, over, id) => {
    const e = record(over);
    expect(securityGroupIdOf(e)).toBe(id);
    expect(securityGroupArns(e)).toEqual(id ? [`arn:aws:ec2:eu-west-1:111122223333:security-group/${id}`] : []);
  });
});

describe('opensMoreThanWeb', () => {
  it.each<[PortSpec, boolean]>([
    [{ protocol: 'tcp', fromPort: 443, toPort: 443 }, false],
    [{ protocol: 'tcp', fromPort: 80, toPort: 80 }, false],
    [{ protocol: '6', fromPort: 80, toPort: 80 }, false],
    // HTTP/3 over UDP 443.
    [{ protocol: 'udp', fromPort: 443, toPort: 443 }, false],
    [{ protocol: 'tcp', fromPort: 22, toPort: 22 }, true],
    [{ protocol: 'tcp', fromPort: 8080, toPort: 8080 }, true],
    // 80 and 443 are not adjacent: any range wider than one port opens more.
    [{ protocol: 'tcp', fromPort: 80, toPort: 443 }, true],
    [{ protocol: 'tcp', fromPort: 443, toPort: 444 }, true],
    [{ protocol: 'tcp', fromPort: null, toPort: null }, true],
    [{ protocol: '-1' }, true],
    [{ protocol: 'all' }, true],
    [{ protocol: '' }, true],
    [{ protocol: '50' }, true],
    [{ protocol: 'icmp', fromPort: -1, toPort: -1 }, false],
    [{ protocol: '58' }, false],
  ])('%j: %s', (spec, expected) => {
    expect(opensMoreThanWeb(spec)).toBe(expected);
  });
});

describe('ec2Arn / ec2Arns', () => {
  const e: CloudTrailRecord = {
    eventTime: '2026-11-02T10:00:00Z',
    eventSource: 'ec2.amazonaws.com',
    eventName: 'CreateRoute',
    eventID: 'e1',
    awsRegion: 'eu-west-1',
    recipientAccountId: '111122223333',
    userIdentity: { type: 'IAMUser', accountId: '111122223333' },
  };

  it.each<[string, string[]]>([
    ['route-table', ['arn:aws:ec2:eu-west-1:111122223333:route-table/rtb-1']],
    ['vpc', ['arn:aws:ec2:eu-west-1:111122223333:vpc/rtb-1']],
  ])('%s', (type, expected) => {
    expect(ec2Arns(e, type, 'rtb-1')).toEqual(expected);
    expect(ec2Arn(e, type, 'rtb-1')).toBe(expected[0]);
  });

  it('names nothing when the call names no resource', () => {
    expect(ec2Arns(e, 'subnet', undefined)).toEqual([]);
  });

  it.each([
    ['us-gov-west-1', 'arn:aws-us-gov:ec2:us-gov-west-1:111122223333:network-acl/acl-1'],
    ['cn-north-1', 'arn:aws-cn:ec2:cn-north-1:111122223333:network-acl/acl-1'],
    ['eu-west-1', 'arn:aws:ec2:eu-west-1:111122223333:network-acl/acl-1'],
  ])('uses the partition of the region (%s), so criticality patterns match in GovCloud and China', (awsRegion, arn) => {
    expect(ec2Arn({ ...e, awsRegion }, 'network-acl', 'acl-1')).toBe(arn);
  });
});

describe('networkIdsIn', () => {
  it.each([
    ['old query shape', { subnetId: 'subnet-0b1c2d3e4f5a6b7c8' }, [{ type: 'subnet', id: 'subnet-0b1c2d3e4f5a6b7c8' }]],
    [
      'wrapped request',
      { DeleteTransitGatewayVpcAttachmentRequest: { TransitGatewayAttachmentId: 'tgw-attach-0a9b8c7d6e5f43210' } },
      [{ type: 'transit-gateway-attachment', id: 'tgw-attach-0a9b8c7d6e5f43210' }],
    ],
    [
      'list of endpoints',
      {
        DeleteVpcEndpointsRequest: {
          VpcEndpointId: [{ tag: 1, content: 'vpce-0123456789abcdef0' }, 'vpce-0123456789abcdef0'],
        },
      },
      [{ type: 'vpc-endpoint', id: 'vpce-0123456789abcdef0' }],
    ],
    ['short legacy id', { TransitGatewayId: 'tgw-0a1b2c3d' }, [{ type: 'transit-gateway', id: 'tgw-0a1b2c3d' }]],
    [
      'transit gateway route table',
      { id: 'tgw-rtb-0123456789abcdef0' },
      [{ type: 'transit-gateway-route-table', id: 'tgw-rtb-0123456789abcdef0' }],
    ],
    ['not network ids', { volumeId: 'vol-0a1b2c3d4e5f67890', name: 'subnet-a', x: 'subnet-XYZ12345' }, []],
    ['nothing', null, []],
  ])('%s', (_name, value, expected) => {
    expect(networkIdsIn(value)).toEqual(expected);
  });
});

describe('edges the mutation run showed', () => {
  it.each([
    ['0:0:0:0:0:0:0.0.0.0/0', true],
    ['0:0:0:0:0:0:0::/0', true],
    ['::0:0:0:0:0:0:0/0', true],
    ['1:2:3:4::5:6:7:8::/0', false],
    ['::0.0.0.0:0/0', false],
    ['0:0:0:0:0:0:0:0.0.0.0/0', false],
  ])('isWholeInternet(%j) is %s', (cidr, expected) => {
    expect(isWholeInternet(cidr)).toBe(expected);
  });

  it.each<[PortSpec, { from: number; to: number } | null]>([
    [
      { protocol: 'tcp', fromPort: 22, toPort: null },
      { from: 22, to: 65535 },
    ],
    [
      { protocol: 'tcp', fromPort: 22.5, toPort: 23.5 },
      { from: 0, to: 65535 },
    ],
    [
      { protocol: 'udp', fromPort: 0, toPort: 0 },
      { from: 0, to: 0 },
    ],
  ])('portRange(%j) is %j', (spec, expected) => {
    expect(portRange(spec)).toEqual(expected);
  });

  const flat = (over: Record<string, unknown>) =>
    ingressRulesFromRequest('AuthorizeSecurityGroupIngress', { groupId: 'sg-1', ...over });
  const ranged = (range: Record<string, unknown>, over: Record<string, unknown> = {}) =>
    ingressRulesFromRequest('AuthorizeSecurityGroupIngress', {
      ipPermissions: {
        items: [{ ipProtocol: 'tcp', fromPort: 22, toPort: 22, ipRanges: { items: [range] }, ...over }],
      },
    });

  it.each<[string, unknown, string]>([
    ['a protocol number', 6, '6'],
    ['a padded, upper-case name', ' TCP ', 'tcp'],
    ['a boolean', true, ''],
    ['an object', { name: 'tcp' }, ''],
  ])('reads %s as protocol %j', (_name, ipProtocol, protocol) => {
    expect(ranged({ cidrIp: '0.0.0.0/0' }, { ipProtocol })[0]?.protocol).toBe(protocol);
  });

  it.each<[string, unknown, number | null]>([
    ['a number', 22, 22],
    ['a numeric string, as a number', '22', 22],
    ['a padded numeric string', ' 8080 ', 8080],
    ['a negative string', '-1', -1],
    ['a fraction', 22.5, null],
    ['digits then text', '22abc', null],
    ['text then digits', 'abc22', null],
  ])('reads a port given as %s', (_name, fromPort, expected) => {
    expect(ranged({ cidrIp: '0.0.0.0/0' }, { fromPort })[0]?.fromPort).toStrictEqual(expected);
  });

  it.each<[string, unknown]>([
    ['a numeric CIDR', 7],
    ['an empty CIDR', ''],
  ])('%s is no CIDR', (_name, cidrIp) => {
    expect(ranged({ cidrIp })[0]?.cidr).toBeNull();
  });

  it('leaves out an empty or absent description rather than setting it undefined', () => {
    const [withEmpty] = ranged({ cidrIp: '0.0.0.0/0', description: '' });
    const [without] = ranged({ cidrIp: '0.0.0.0/0' });
    expect(withEmpty && Object.keys(withEmpty)).not.toContain('description');
    expect(without && Object.keys(without)).not.toContain('description');
  });

  it('does not read a doubly wrapped list as a source', () => {
    const doubly = { items: { items: [{ cidrIp: '0.0.0.0/0' }] } };
    const params = { ipPermissions: { items: [{ ipProtocol: 'tcp', fromPort: 22, toPort: 22, ipRanges: doubly }] } };
    expect(ingressRulesFromRequest('AuthorizeSecurityGroupIngress', params)).toEqual([]);
  });

  it.each([
    ['a source group named alone', { sourceSecurityGroupName: 'web' }],
    ['a source group owner alone', { sourceSecurityGroupOwnerId: '444455556666' }],
  ])('the legacy form with %s is an all-traffic rule from that group', (_name, over) => {
    expect(flat(over)).toEqual([{ protocol: '-1', fromPort: null, toPort: null, cidr: null }]);
  });

  it('reads the ModifySecurityGroupRules shape only for that event', () => {
    const params = {
      ModifySecurityGroupRulesRequest: {
        GroupId: 'sg-1',
        SecurityGroupRule: {
          SecurityGroupRuleId: 'sgr-1',
          SecurityGroupRule: { IpProtocol: 'tcp', CidrIpv4: '0.0.0.0/0' },
        },
      },
    };
    expect(ingressRulesFromRequest('ModifySecurityGroupRules', params)).toHaveLength(1);
    expect(ingressRulesFromRequest('RevokeSecurityGroupIngress', params)).toEqual([]);
  });

  const nest = (levels: number, inner: unknown, wrap: (v: unknown) => unknown): unknown =>
    levels === 0 ? inner : nest(levels - 1, wrap(inner), wrap);
  const subnet = 'subnet-0b1c2d3e4f5a6b7c8';

  it.each<[string, (v: unknown) => unknown]>([
    ['objects', (v) => ({ a: v })],
    ['arrays', (v) => [v]],
  ])('networkIdsIn reads ids 8 levels of %s deep, not 9', (_name, wrap) => {
    expect(networkIdsIn(nest(8, subnet, wrap))).toEqual([{ type: 'subnet', id: subnet }]);
    expect(networkIdsIn(nest(9, subnet, wrap))).toEqual([]);
  });

  it('networkIdsIn trims padded ids and counts each once, whichever spelling comes first', () => {
    expect(networkIdsIn([` ${subnet} `, subnet])).toEqual([{ type: 'subnet', id: subnet }]);
    expect(networkIdsIn([subnet, ` ${subnet}\n`])).toEqual([{ type: 'subnet', id: subnet }]);
  });

  it('networkIdsIn reads a padded id on its own', () => {
    expect(networkIdsIn({ SubnetId: `\t${subnet} ` })).toEqual([{ type: 'subnet', id: subnet }]);
  });

  it('networkIdsIn steps over nulls, undefined, numbers and booleans', () => {
    expect(networkIdsIn({ a: null, b: 5, c: true, u: undefined, d: subnet })).toEqual([{ type: 'subnet', id: subnet }]);
    expect(networkIdsIn(undefined)).toEqual([]);
  });
});
