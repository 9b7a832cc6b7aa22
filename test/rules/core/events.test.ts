import { describe, expect, it } from 'vitest';
import { fromRecord, toAuditEvent } from '../../../rules/core/events.ts';

const record = {
  eventVersion: '1.10',
  eventTime: '2026-11-02T10:00:00Z',
  eventSource: 'cloudtrail.amazonaws.com',
  eventName: 'StopLogging',
  eventID: 'e-1',
  awsRegion: 'eu-west-1',
  recipientAccountId: '111122223333',
  userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice', accountId: '111122223333' },
};

const configItem = {
  version: '0',
  id: 'cfg-1',
  'detail-type': 'Config Configuration Item Change',
  source: 'aws.config',
  account: '111122223333',
  time: '2026-11-02T10:05:00Z',
  region: 'eu-west-1',
  detail: { configurationItem: { resourceType: 'AWS::S3::Bucket', resourceId: 'b' }, messageType: 'x' },
};

const compliance = {
  ...configItem,
  id: 'cfg-2',
  'detail-type': 'Config Rules Compliance Change',
  detail: { configRuleName: 's3-public-read', resourceId: 'b', newEvaluationResult: {} },
};

const errorOf = (value: unknown): string | undefined => {
  const parsed = toAuditEvent(value);
  return parsed.ok ? undefined : parsed.error;
};

describe('toAuditEvent', () => {
  it.each([null, [record], 'record', 7])('refuses %j: not a JSON object', (value) => {
    expect(errorOf(value)).toBe('event is not a JSON object');
  });

  it('reads a bare CloudTrail record with its header', () => {
    expect(toAuditEvent(record)).toEqual({
      ok: true,
      event: {
        kind: 'cloudtrail',
        id: 'e-1',
        timeMs: Date.parse('2026-11-02T10:00:00Z'),
        account: '111122223333',
        region: 'eu-west-1',
        record,
      },
    });
  });

  it('reads CloudTrail through EventBridge from detail, whatever the detail-type says', () => {
    const parsed = toAuditEvent({
      'detail-type': 'AWS API Call via CloudTrail',
      source: 'aws.cloudtrail',
      detail: record,
    });
    expect(parsed.ok && parsed.event.kind === 'cloudtrail' ? parsed.event.record : undefined).toEqual(record);
  });

  it.each([undefined, null, 'text', [record]])('refuses an envelope whose detail is %j', (detail) => {
    expect(errorOf({ 'detail-type': 'AWS API Call via CloudTrail', detail })).toBe(
      'EventBridge event has no detail object',
    );
  });

  it('passes the record check error through', () => {
    expect(errorOf({ ...record, eventTime: undefined })).toBe('record has no eventTime');
  });

  it('keeps the notes of dropped optional fields', () => {
    const parsed = toAuditEvent({ ...record, sourceIPAddress: 42 });
    expect(parsed.ok && parsed.event.notes?.length).toBeGreaterThan(0);
    expect(toAuditEvent(record)).not.toHaveProperty('event.notes');
  });

  it('keeps an unverified drill claim from the envelope or the record, and none otherwise', () => {
    const viaBus = toAuditEvent({ 'detail-type': 'AWS API Call via CloudTrail', drill: true, detail: record });
    expect(parsed(viaBus).drillClaim).toEqual({ kind: 'unsigned', marker: 'drill: true' });
    const bare = toAuditEvent({ ...record, trailwardenDrill: true });
    expect(parsed(bare).drillClaim).toEqual({ kind: 'unsigned', marker: 'trailwardenDrill' });
    expect(parsed(toAuditEvent(record))).not.toHaveProperty('drillClaim');
  });
});

const parsed = (p: ReturnType<typeof toAuditEvent>) => {
  if (!p.ok) throw new Error(p.error);
  return p.event;
};

describe('fromRecord', () => {
  it('takes a claim handed in over one in the record', () => {
    const claim = { kind: 'unsigned', marker: 'from the envelope' } as const;
    expect(parsed(fromRecord({ ...record, trailwardenDrill: true }, claim)).drillClaim).toBe(claim);
  });
});

describe('AWS Config envelopes', () => {
  it('reads a configuration item change with the envelope header', () => {
    expect(toAuditEvent(configItem)).toEqual({
      ok: true,
      event: {
        kind: 'config-item-change',
        id: 'cfg-1',
        timeMs: Date.parse('2026-11-02T10:05:00Z'),
        account: '111122223333',
        region: 'eu-west-1',
        detail: configItem.detail,
      },
    });
  });

  it('reads a compliance change', () => {
    expect(toAuditEvent(compliance)).toEqual({
      ok: true,
      event: {
        kind: 'config-compliance-change',
        id: 'cfg-2',
        timeMs: Date.parse('2026-11-02T10:05:00Z'),
        account: '111122223333',
        region: 'eu-west-1',
        detail: compliance.detail,
      },
    });
  });

  it('words an account or region that is not text as unknown', () => {
    const event = parsed(toAuditEvent({ ...configItem, account: 111122223333, region: null }));
    expect([event.account, event.region]).toEqual(['unknown', 'unknown']);
  });

  it('keeps a drill claim on a Config event', () => {
    expect(parsed(toAuditEvent({ ...compliance, drill: 'yes' })).drillClaim).toEqual({
      kind: 'unsigned',
      marker: 'drill: "yes"',
    });
  });

  it.each([
    ['no id', { ...configItem, id: undefined }, 'Config event has no id or time'],
    ['an id that is not text', { ...configItem, id: 5 }, 'Config event has no id or time'],
    ['no time', { ...configItem, time: undefined }, 'Config event has no id or time'],
    // A number is not an EventBridge time, even one Date.parse would read as a year.
    ['a time that is a number', { ...configItem, time: 2026 }, 'Config event has no id or time'],
    ['a time that is not a timestamp', { ...compliance, time: 'yesterday' }, 'Config event has no id or time'],
    [
      'no configuration item',
      { ...configItem, detail: { configurationItem: 'b' } },
      'Config item change has no configurationItem.resourceType',
    ],
    [
      'an item without a resource type',
      { ...configItem, detail: { configurationItem: { resourceType: 3 } } },
      'Config item change has no configurationItem.resourceType',
    ],
    [
      'a compliance change without a rule name',
      { ...compliance, detail: { resourceId: 'b' } },
      'Config compliance change has no rule name',
    ],
  ])('refuses %s', (_name, envelope, error) => {
    expect(errorOf(envelope)).toBe(error);
  });
});
