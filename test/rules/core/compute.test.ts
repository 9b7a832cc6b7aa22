import { describe, expect, it } from 'vitest';
import type { CloudTrailRecord } from '../../../rules/core/cloudtrail.ts';
import {
  DEFAULT_WATCHED_INSTANCE_TYPES,
  fleetInstanceTypes,
  instanceTypesPutToWork,
  keyPairName,
  knownBadKeyPairName,
  launchedInstanceTypes,
  requestedInstanceType,
  resizedInstanceType,
  unusualInstanceTypes,
} from '../../../rules/core/compute.ts';
import type { DetectionConfig } from '../../../rules/core/config.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../../rules/core/config.ts';

const record = (overrides: Partial<CloudTrailRecord> = {}): CloudTrailRecord => ({
  eventTime: '2026-11-02T10:00:00Z',
  eventSource: 'ec2.amazonaws.com',
  eventName: 'RunInstances',
  awsRegion: 'eu-west-1',
  eventID: '00000000-0000-4000-8000-000000000001',
  recipientAccountId: '111122223333',
  userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice' },
  ...overrides,
});
const config = (compute?: DetectionConfig['compute']): DetectionConfig =>
  compute === undefined ? DEFAULT_DETECTION_CONFIG : { ...DEFAULT_DETECTION_CONFIG, compute };

describe('unusualInstanceTypes: the default watch list', () => {
  it.each([
    ['p2.xlarge', true],
    ['p5.48xlarge', true],
    ['p6-b200.48xlarge', true],
    ['g4dn.xlarge', true],
    ['g5g.metal', true],
    ['gr6.4xlarge', true],
    ['inf2.xlarge', true],
    ['trn1n.32xlarge', true],
    ['dl1.24xlarge', true],
    ['f1.2xlarge', true],
    ['vt1.3xlarge', true],
    ['x1e.xlarge', true],
    ['x2iedn.xlarge', true],
    ['u-6tb1.metal', true],
    ['u7i-12tb.224xlarge', true],
    ['c7i.48xlarge', true],
    ['m5.24xlarge', true],
    ['P3.2XLARGE', true],
    ['t3.micro', false],
    ['m5.large', false],
    ['c6i.16xlarge', false],
    ['r6i.12xlarge', false],
    ['f1', false],
    ['mac1.metal', false],
  ])('%s → %s', (type, unusual) => {
    expect(unusualInstanceTypes(record(), [type], config()).length > 0).toBe(unusual);
  });

  it('says which glob matched', () => {
    expect(unusualInstanceTypes(record(), ['p4d.24xlarge'], config())).toEqual([
      'p4d.24xlarge matches the watched instance types (p*) and is not in compute.approvedInstanceTypes',
    ]);
  });
});

describe('unusualInstanceTypes: configuration', () => {
  it('a watch list replaces the default one', () => {
    const own = config({ watchedInstanceTypes: ['*.metal'] });
    expect(unusualInstanceTypes(record(), ['p5.48xlarge'], own)).toEqual([]);
    expect(unusualInstanceTypes(record(), ['c5.metal'], own)).toHaveLength(1);
    expect(DEFAULT_WATCHED_INSTANCE_TYPES).toContain('p*');
  });

  it('approved types are exempt everywhere, other watched types are not', () => {
    const approved = config({ approvedInstanceTypes: ['g4dn.*'] });
    expect(unusualInstanceTypes(record(), ['g4dn.xlarge', 'g5.xlarge'], approved)).toEqual([
      'g5.xlarge matches the watched instance types (g*) and is not in compute.approvedInstanceTypes',
    ]);
  });

  it('approved accounts may launch anything; others may not', () => {
    const ml = config({ approvedAccounts: ['444455556666'] });
    expect(unusualInstanceTypes(record({ recipientAccountId: '444455556666' }), ['p5.48xlarge'], ml)).toEqual([]);
    expect(unusualInstanceTypes(record(), ['p5.48xlarge'], ml)).toHaveLength(1);
  });
});

describe('launchedInstanceTypes', () => {
  it('reads the request and every launched instance, once each', () => {
    const e = record({
      requestParameters: { instanceType: 'p3.2xlarge' },
      responseElements: {
        instancesSet: { items: [{ instanceType: 'p3.2xlarge' }, { instanceType: 'g5.xlarge' }, { instanceId: 'i-1' }] },
      },
    });
    expect(launchedInstanceTypes(e)).toEqual(['p3.2xlarge', 'g5.xlarge']);
  });

  it('a refused launch names its type in the request alone (no instances in the response)', () => {
    const refused = record({
      errorCode: 'Client.UnauthorizedOperation',
      requestParameters: { instanceType: 'p2.xlarge' },
    });
    expect(launchedInstanceTypes(refused)).toEqual(['p2.xlarge']);
    const both = record({
      requestParameters: { instanceType: 'p2.xlarge' },
      responseElements: { instancesSet: { items: [{ instanceType: 'g5.xlarge' }] } },
    });
    expect(launchedInstanceTypes(both)).toEqual(['p2.xlarge', 'g5.xlarge']);
  });

  it('reads a request type logged as { value } (as Panther’s RunInstances tests carry it)', () => {
    const refused = record({
      errorCode: 'Client.UnauthorizedOperation',
      requestParameters: { instanceType: { value: 'p2.xlarge' } },
    });
    expect(requestedInstanceType(refused)).toBe('p2.xlarge');
    expect(launchedInstanceTypes(refused)).toEqual(['p2.xlarge']);
    expect(requestedInstanceType(record({ requestParameters: { instanceType: { value: 7 } } }))).toBeUndefined();
    expect(requestedInstanceType(record({ requestParameters: { instanceType: 'm5.large' } }))).toBe('m5.large');
  });

  it('is empty when neither side names a type, and survives odd shapes', () => {
    expect(launchedInstanceTypes(record({ requestParameters: null, responseElements: null }))).toEqual([]);
    expect(launchedInstanceTypes(record({ responseElements: { instancesSet: 'x' } }))).toEqual([]);
    expect(
      launchedInstanceTypes(record({ responseElements: { instancesSet: [{ instanceType: 'p2.xlarge' }] } })),
    ).toEqual(['p2.xlarge']);
  });
});

describe('resizes: ModifyInstanceAttribute instanceType', () => {
  const modify = (requestParameters: CloudTrailRecord['requestParameters']) =>
    record({ eventName: 'ModifyInstanceAttribute', requestParameters, responseElements: { _return: true } });

  it.each([
    ['the SDK form { value }', { instanceId: 'i-1', instanceType: { value: 'p4d.24xlarge' } }, 'p4d.24xlarge'],
    [
      'the CLI form --attribute/--value',
      { instanceId: 'i-1', attribute: 'instanceType', value: 'g5.xlarge' },
      'g5.xlarge',
    ],
    [
      'the attribute name in any case',
      { instanceId: 'i-1', attribute: 'INSTANCETYPE', value: 'g5.xlarge' },
      'g5.xlarge',
    ],
    [
      'another attribute in the CLI form',
      { instanceId: 'i-1', attribute: 'userData', value: 'p5.48xlarge' },
      undefined,
    ],
    ['another attribute in the SDK form', { instanceId: 'i-1', userData: '<sensitiveDataRemoved>' }, undefined],
    ['a non-string value', { instanceId: 'i-1', attribute: 'instanceType', value: 7 }, undefined],
  ] as const)('%s', (_, requestParameters, expected) => {
    const e = modify(requestParameters);
    expect(resizedInstanceType(e)).toBe(expected);
    expect(instanceTypesPutToWork(e)).toEqual(expected === undefined ? [] : [expected]);
  });

  it('a resize never reads the response, a launch still does', () => {
    const resize = record({
      eventName: 'ModifyInstanceAttribute',
      requestParameters: { instanceId: 'i-1', disableApiTermination: { value: true } },
      responseElements: { instancesSet: { items: [{ instanceType: 'p5.48xlarge' }] } },
    });
    expect(instanceTypesPutToWork(resize)).toEqual([]);
    const launch = record({ responseElements: { instancesSet: { items: [{ instanceType: 'p5.48xlarge' }] } } });
    expect(instanceTypesPutToWork(launch)).toEqual(['p5.48xlarge']);
  });
});

describe('spot and fleet requests', () => {
  const fleet = (
    eventName: string,
    requestParameters: CloudTrailRecord['requestParameters'],
    responseElements: CloudTrailRecord['responseElements'] = null,
  ) => record({ eventName, requestParameters, responseElements });

  it.each([
    [
      'RequestSpotInstances: launchSpecification.instanceType',
      fleet('RequestSpotInstances', { instanceCount: 20, launchSpecification: { instanceType: 'g4dn.12xlarge' } }),
      ['g4dn.12xlarge'],
    ],
    [
      'RequestSpotFleet: every launch specification and override',
      fleet('RequestSpotFleet', {
        spotFleetRequestConfig: {
          launchSpecifications: [{ instanceType: 'p3.2xlarge' }, { instanceType: 'p3.2xlarge' }],
          launchTemplateConfigs: [{ overrides: [{ instanceType: 'g5.xlarge' }] }],
        },
      }),
      ['p3.2xlarge', 'g5.xlarge'],
    ],
    [
      'CreateFleet: the PascalCase request, and a { value } spelling',
      fleet('CreateFleet', {
        CreateFleetRequest: { LaunchTemplateConfigs: { Overrides: [{ InstanceType: 'p5.48xlarge' }] } },
        extra: { instanceType: { value: 'trn1.32xlarge' } },
      }),
      ['p5.48xlarge', 'trn1.32xlarge'],
    ],
    [
      'a type only in the response',
      fleet(
        'CreateFleet',
        { CreateFleetRequest: {} },
        { CreateFleetResponse: { fleetInstanceSet: { item: { instanceType: 'g6.xlarge' } } } },
      ),
      ['g6.xlarge'],
    ],
    [
      'a launch template alone names no type; empty and non-string types are ignored',
      fleet('CreateFleet', {
        CreateFleetRequest: { LaunchTemplateConfigs: { Overrides: [{ InstanceType: '' }, { InstanceType: 8 }] } },
      }),
      [],
    ],
    ['no request recorded', fleet('RequestSpotInstances', null), []],
  ] as const)('%s', (_, e, expected) => {
    expect(fleetInstanceTypes(e)).toEqual(expected);
    expect(instanceTypesPutToWork(e)).toEqual(expected);
  });

  it('stops at a depth no real request reaches', () => {
    let deep: CloudTrailRecord['requestParameters'] = { instanceType: 'p5.48xlarge' };
    for (let i = 0; i < 12; i += 1) deep = { nested: deep };
    expect(fleetInstanceTypes(fleet('RequestSpotFleet', deep))).toEqual([]);
  });
});

describe('key pair names', () => {
  it('reads the request, else the response', () => {
    expect(keyPairName(record({ requestParameters: { keyName: 'a' }, responseElements: { keyName: 'b' } }))).toBe('a');
    expect(keyPairName(record({ requestParameters: null, responseElements: { keyName: 'b' } }))).toBe('b');
    expect(keyPairName(record())).toBeUndefined();
  });

  it.each([
    ['xg1', 'xg1'],
    ['XG1', 'xg1'],
    ['temp_key_pair', 'temp_key_pair'],
    ['xg1-prod', undefined],
    ['bastion', undefined],
    [undefined, undefined],
  ])('%s → %s', (name, bad) => {
    expect(knownBadKeyPairName(name, config())).toBe(bad);
  });

  it('adds the configured names to the known ones', () => {
    const intel = config({ suspiciousKeyPairNames: ['Kali'] });
    expect(knownBadKeyPairName('kali', intel)).toBe('Kali');
    expect(knownBadKeyPairName('xg1', intel)).toBe('xg1');
  });
});
