import type { SQSEvent } from 'aws-lambda';

/** The SQS event the evaluate function takes, one record per drill body (message ids `drill-<n>`). */
export const drillSqsEvent = (bodies: readonly string[], nowMs: number): SQSEvent => ({
  Records: bodies.map((body, i) => ({
    messageId: `drill-${i + 1}`,
    receiptHandle: 'drill',
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(nowMs),
      SenderId: 'trailwarden-drill',
      ApproximateFirstReceiveTimestamp: String(nowMs),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:111122223333:trailwarden-drill',
    awsRegion: 'us-east-1',
  })),
});
