import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createSqsDrillQueue } from '../../functions/drill/adapters.ts';

const sqs = mockClient(SQSClient);
const URL = 'https://sqs.us-east-1.amazonaws.com/111122223333/trailwarden-events';

describe('the drill queue (SQS SendMessageBatch, mocked)', () => {
  beforeEach(() => {
    sqs.reset();
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
  });
  afterAll(() => sqs.restore());

  const bodies = Array.from({ length: 15 }, (_, i) => `body-${i}`);

  it("a sequence's last event is held back by lastDelaySeconds; the others go at once, in tens", async () => {
    const queue = createSqsDrillQueue(new SQSClient({ region: 'us-east-1' }), URL, () => 42);
    expect(await queue.send(bodies, { lastDelaySeconds: 30 })).toBe(42);
    const inputs = sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input);
    expect(inputs).toEqual([
      { QueueUrl: URL, Entries: bodies.slice(0, 10).map((b, i) => ({ Id: `m${i}`, MessageBody: b })) },
      {
        QueueUrl: URL,
        Entries: [
          ...bodies.slice(10, 14).map((b, i) => ({ Id: `m${i + 10}`, MessageBody: b })),
          { Id: 'm14', MessageBody: 'body-14', DelaySeconds: 30 },
        ],
      },
    ]);
  });

  it('without it nothing is delayed', async () => {
    const queue = createSqsDrillQueue(new SQSClient({ region: 'us-east-1' }), URL, () => 42);
    await queue.send(bodies.slice(0, 3));
    expect(sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input)).toEqual([
      { QueueUrl: URL, Entries: bodies.slice(0, 3).map((b, i) => ({ Id: `m${i}`, MessageBody: b })) },
    ]);
  });
});
