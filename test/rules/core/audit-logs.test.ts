import { describe, expect, it } from 'vitest';
import { isAuditLogGroup, isAuditLogGroupName, logGroupOf } from '../../../rules/core/audit-logs.ts';
import type { CloudTrailRecord } from '../../../rules/core/cloudtrail.ts';

/** Which CloudWatch Logs groups are audit evidence (rules/core/audit-logs.ts), by the name the call gives. */
const call = (requestParameters: CloudTrailRecord['requestParameters']): CloudTrailRecord => ({
  eventTime: '2026-11-02T10:00:00Z',
  eventID: 'e1',
  eventSource: 'logs.amazonaws.com',
  eventName: 'DeleteLogGroup',
  awsRegion: 'us-east-1',
  recipientAccountId: '111122223333',
  userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice' },
  requestParameters,
});

describe('logGroupOf', () => {
  it('reads logGroupName, then logGroupIdentifier, else says it is unknown', () => {
    expect(logGroupOf(call({ logGroupName: '/a', logGroupIdentifier: '/b' }))).toBe('/a');
    expect(logGroupOf(call({ logGroupIdentifier: 'arn:aws:logs:us-east-1:111122223333:log-group:/b' }))).toBe(
      'arn:aws:logs:us-east-1:111122223333:log-group:/b',
    );
    expect(logGroupOf(call({ logGroupName: 3 }))).toBe('unknown-log-group');
    expect(logGroupOf(call(null))).toBe('unknown-log-group');
  });
});

describe('isAuditLogGroupName', () => {
  it.each([
    ['aws-cloudtrail-logs-111122223333', true],
    ['/Audit/app', true],
    ['vpc-flow-logs', true],
    ['/aws/vpc/dns', true],
    ['security-hub', true],
    ['/trailwarden/evaluate', true],
    ['aws-controltower/CloudTrailLogs', true],
    ['/aws/guardduty/findings', true],
    ['/aws/lambda/orders', false],
    ['application', false],
  ])('%s → %s', (name, expected) => {
    expect(isAuditLogGroupName(name)).toBe(expected);
  });

  it('judges a call by the group it names', () => {
    expect(isAuditLogGroup(call({ logGroupName: 'aws-cloudtrail-logs' }))).toBe(true);
    expect(isAuditLogGroup(call({ logGroupName: '/aws/lambda/orders' }))).toBe(false);
    expect(isAuditLogGroup(call(null))).toBe(false);
  });
});
