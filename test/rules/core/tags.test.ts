import { describe, expect, it } from 'vitest';
import { parseDetectionConfig, resolveCriticality } from '../../../rules/core/config.ts';
import { fromEnvelope, fromRecord } from '../../../rules/core/events.ts';
import { eventTags } from '../../../rules/core/tags.ts';
import type { AuditEvent } from '../../../rules/core/types.ts';

const ct = (eventName: string, requestParameters: Record<string, unknown>): AuditEvent => {
  const parsed = fromRecord({
    eventTime: '2026-11-02T10:00:00Z',
    eventSource: 'ec2.amazonaws.com',
    eventName,
    eventID: 'e1',
    awsRegion: 'eu-west-1',
    recipientAccountId: '111122223333',
    userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice' },
    requestParameters,
  });
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.event;
};

describe('eventTags', () => {
  it.each([
    [
      'EC2 tagSpecificationSet',
      ct('RunInstances', {
        tagSpecificationSet: {
          items: [
            {
              resourceType: 'instance',
              tags: [
                { key: 'criticality', value: 'high' },
                { key: 'team', value: 'payments' },
              ],
            },
          ],
        },
      }),
      { criticality: 'high', team: 'payments' },
    ],
    ['IAM tags list', ct('CreateRole', { tags: [{ key: 'criticality', value: 'high' }] }), { criticality: 'high' }],
    ['capitalised Tags list', ct('CreateStack', { Tags: [{ Key: 'env', Value: 'prod' }] }), { env: 'prod' }],
    [
      'tags map (Lambda, SQS)',
      ct('CreateFunction', { tags: { env: 'prod', owner: 'bob' } }),
      { env: 'prod', owner: 'bob' },
    ],
    [
      'S3 PutBucketTagging, one tag',
      ct('PutBucketTagging', { Tagging: { TagSet: { Tag: { Key: 'data-classification', Value: 'confidential' } } } }),
      { 'data-classification': 'confidential' },
    ],
    [
      'S3 PutBucketTagging, several',
      ct('PutBucketTagging', {
        Tagging: {
          TagSet: {
            Tag: [
              { Key: 'a', Value: '1' },
              { Key: 'b', Value: '2' },
            ],
          },
        },
      }),
      { a: '1', b: '2' },
    ],
    ['no tags', ct('AuthorizeSecurityGroupIngress', { groupId: 'sg-1' }), {}],
    ['odd shapes are ignored', ct('CreateRole', { tags: 'criticality=high', Tags: [null, 3] }), {}],
  ])('%s', (_name, event, expected) => {
    expect(eventTags(event)).toEqual(expected);
  });

  it('reads Config item tags', () => {
    const parsed = fromEnvelope({
      id: 'cfg-1',
      'detail-type': 'Config Configuration Item Change',
      source: 'aws.config',
      account: '111122223333',
      region: 'eu-west-1',
      time: '2026-11-02T10:00:00Z',
      detail: {
        messageType: 'ConfigurationItemChangeNotification',
        configurationItem: {
          resourceType: 'AWS::S3::Bucket',
          resourceId: 'reports',
          awsAccountId: '111122223333',
          awsRegion: 'eu-west-1',
          configurationItemCaptureTime: '2026-11-02T10:00:00Z',
          configurationItemStatus: 'OK',
          tags: { criticality: 'high' },
        },
      },
    });
    if (!parsed.ok) throw new Error(parsed.error);
    expect(eventTags(parsed.event)).toEqual({ criticality: 'high' });
  });
});

describe('resolveCriticality with tags', () => {
  const config = {
    default: 'low' as const,
    accounts: { '444455556666': 'medium' as const },
    resources: [],
    tags: [
      { key: 'criticality', value: 'high', level: 'high' as const },
      { key: 'pci', level: 'high' as const },
      { key: 'env', value: 'staging', level: 'medium' as const },
    ],
  };
  it.each([
    ['a matching key and value', { criticality: 'high' }, '111122223333', 'high'],
    ['a key with any value', { pci: 'no' }, '111122223333', 'high'],
    ['a different value', { criticality: 'low' }, '111122223333', 'low'],
    ['the account when tags say less', { env: 'staging' }, '444455556666', 'medium'],
    ['the most critical of account and tags', { pci: 'yes' }, '444455556666', 'high'],
    ['no tags: the default', {}, '111122223333', 'low'],
  ])('%s', (_name, tags, account, expected) => {
    expect(resolveCriticality(config, account, [], () => tags)).toBe(expected);
  });

  it('validates tag rules', () => {
    const bad = parseDetectionConfig({ criticality: { tags: [{ key: 'criticality', level: 'urgent' }] } });
    expect(bad).toEqual({
      ok: false,
      errors: ['detection.criticality.tags[0]: must be {key: "…", value?: "…", level: high|medium|low}'],
    });
    const good = parseDetectionConfig({ criticality: { tags: [{ key: 'pci', level: 'high' }] } });
    expect(good.ok && good.config.criticality.tags).toEqual([{ key: 'pci', level: 'high' }]);
  });
});

describe('eventTags on odd but possible shapes', () => {
  it.each<[string, Record<string, unknown>, Record<string, string>]>([
    ['a list item with a key and no value', { tags: [{ key: 'pci' }] }, { pci: '' }],
    ['a list item with a value and no key', { tags: [{ value: 'x' }, { Key: 'env', Value: 'prod' }] }, { env: 'prod' }],
    ['one {key, value} object instead of a list', { tags: { key: 'env', value: 'prod' } }, { env: 'prod' }],
    ['one {Key, Value} object instead of a list', { Tags: { Key: 'env', Value: 'prod' } }, { env: 'prod' }],
    ['one {Key} object without a value', { Tags: { Key: 'pci' } }, { pci: '' }],
    ['a map with a key named key beside others', { tags: { key: 'x', env: 'prod' } }, { key: 'x', env: 'prod' }],
    ['a pair whose key is not a string, read as a map', { Tags: { Key: 5, Value: 'x' } }, { Value: 'x' }],
    ['a map keeping only string values', { tags: { env: 'prod', n: 3, o: { a: 'b' } } }, { env: 'prod' }],
    [
      'tag specifications with a null item',
      { tagSpecificationSet: { items: [null, { tags: [{ key: 'criticality', value: 'high' }] }] } },
      { criticality: 'high' },
    ],
    ['a tag set without tags', { Tagging: { TagSet: { Tag: null } } }, {}],
  ])('%s', (_name, requestParameters, expected) => {
    expect(eventTags(ct('CreateRole', requestParameters))).toEqual(expected);
  });

  it('a record without request parameters, and a compliance change, have no tags', () => {
    const parsed = fromRecord({
      eventTime: '2026-11-02T10:00:00Z',
      eventSource: 'iam.amazonaws.com',
      eventName: 'CreateRole',
      eventID: 'e2',
      awsRegion: 'us-east-1',
      recipientAccountId: '111122223333',
      userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice' },
      requestParameters: null,
    });
    if (!parsed.ok) throw new Error(parsed.error);
    expect(eventTags(parsed.event)).toEqual({});
    const compliance = fromEnvelope({
      id: 'cfg-2',
      'detail-type': 'Config Rules Compliance Change',
      source: 'aws.config',
      account: '111122223333',
      region: 'eu-west-1',
      time: '2026-11-02T10:00:00Z',
      detail: {
        configRuleName: 's3-bucket-public-read-prohibited',
        resourceType: 'AWS::S3::Bucket',
        resourceId: 'reports',
        newEvaluationResult: { complianceType: 'NON_COMPLIANT' },
      },
    });
    if (!compliance.ok) throw new Error(compliance.error);
    expect(compliance.event.kind).toBe('config-compliance-change');
    expect(eventTags(compliance.event)).toEqual({});
  });
});
