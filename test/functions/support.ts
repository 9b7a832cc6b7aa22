import type { SQSEvent, SQSRecord } from 'aws-lambda';
import type { CloudTrailRecord } from '../../rules/core/cloudtrail.ts';
import type { Finding } from '../../rules/core/finding.ts';

let seq = 0;
export const nextEventId = (): string => `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`;

/** A CloudTrail record with only what the tests vary; the rest is realistic defaults. */
export const ctRecord = (
  overrides: Partial<CloudTrailRecord> & Pick<CloudTrailRecord, 'eventSource' | 'eventName'>,
): CloudTrailRecord => ({
  eventVersion: '1.09',
  eventTime: '2026-11-02T10:00:00Z',
  eventID: nextEventId(),
  awsRegion: 'us-east-1',
  recipientAccountId: '111122223333',
  sourceIPAddress: '203.0.113.66',
  userAgent: 'aws-cli/2.15.0',
  userIdentity: {
    type: 'IAMUser',
    userName: 'mallory',
    arn: 'arn:aws:iam::111122223333:user/mallory',
    accountId: '111122223333',
  },
  ...overrides,
});

/** The EventBridge envelope CloudTrail events arrive in. */
export const envelope = (record: CloudTrailRecord, extra: Record<string, unknown> = {}) => ({
  version: '0',
  id: `eb-${record.eventID}`,
  'detail-type':
    record.eventSource === 'signin.amazonaws.com'
      ? 'AWS Console Sign In via CloudTrail'
      : 'AWS API Call via CloudTrail',
  source: `aws.${record.eventSource.replace('.amazonaws.com', '')}`,
  account: record.recipientAccountId ?? '111122223333',
  time: record.eventTime,
  region: record.awsRegion,
  resources: [],
  detail: record,
  ...extra,
});

let messageSeq = 0;
export const sqsRecord = (body: string): SQSRecord => ({
  messageId: `msg-${++messageSeq}`,
  receiptHandle: 'rh',
  body,
  attributes: {
    ApproximateReceiveCount: '1',
    SentTimestamp: '1793700000000',
    SenderId: 'AIDAEXAMPLE',
    ApproximateFirstReceiveTimestamp: '1793700000000',
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:111122223333:trailwarden-events',
  awsRegion: 'us-east-1',
});

export const sqsBatch = (bodies: readonly string[]): SQSEvent => ({ Records: bodies.map(sqsRecord) });

export const stopLogging = (eventTime = '2026-11-02T10:00:00Z') =>
  ctRecord({
    eventSource: 'cloudtrail.amazonaws.com',
    eventName: 'StopLogging',
    eventTime,
    requestParameters: { name: 'arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail' },
    responseElements: null,
  });

export const failedLogin = (eventTime: string, userName = 'bob') =>
  ctRecord({
    eventSource: 'signin.amazonaws.com',
    eventName: 'ConsoleLogin',
    eventTime,
    eventType: 'AwsConsoleSignIn',
    errorMessage: 'Failed authentication',
    responseElements: { ConsoleLogin: 'Failure' },
    additionalEventData: { LoginTo: 'https://console.aws.amazon.com/console/home', MobileVersion: 'No', MFAUsed: 'No' },
    userIdentity: {
      type: 'IAMUser',
      userName,
      principalId: 'AIDAEXAMPLEBOB',
      arn: `arn:aws:iam::111122223333:user/${userName}`,
      accountId: '111122223333',
    },
  });

export const sampleFinding = (overrides: Partial<Finding> = {}): Finding => ({
  schema: 'trailwarden.finding/v1',
  id: '0123456789abcdef0123456789abcdef',
  ruleId: 'cloudtrail.logging-stopped',
  title: 'CloudTrail logging stopped or trail deleted',
  description: 'A trail stopped logging or was deleted.',
  severity: 'critical',
  criticality: 'high',
  controls: ['A.8.15'],
  mitre: ['T1562.008'],
  account: '111122223333',
  region: 'us-east-1',
  actor: {
    arn: 'arn:aws:iam::111122223333:user/mallory',
    type: 'IAMUser',
    userName: 'mallory',
    sourceIp: '203.0.113.66',
  },
  resources: ['arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail'],
  eventIds: ['e1'],
  eventName: 'StopLogging',
  groupKey: 'org-trail',
  firstSeen: '2026-11-02T10:00:00.000Z',
  lastSeen: '2026-11-02T10:00:00.000Z',
  count: 1,
  threshold: null,
  runbook: ['Restart logging.', 'Review the actor.'],
  drill: false,
  ...overrides,
});
