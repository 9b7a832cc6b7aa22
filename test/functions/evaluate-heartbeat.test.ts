import { describe, expect, it } from 'vitest';
import { createHandler } from '../../functions/evaluate/evaluate.ts';
import { shippedRuleText } from '../../functions/evaluate/rule-text.ts';
import { createTelemetry } from '../../functions/shared/telemetry.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../rules/core/config.ts';
import {
  createMemoryCounterStore,
  createMemoryHeartbeatStore,
  createMemoryHistoryStore,
  createMemoryLedger,
} from '../../rules/core/memory.ts';
import type { HeartbeatStore } from '../../rules/core/ports.ts';
import { catalogue } from '../../rules/index.ts';
import { ctRecord, envelope, sqsBatch, stopLogging } from './support.ts';

const setup = (heartbeats: HeartbeatStore) => {
  const lines: string[] = [];
  const handler = createHandler({
    ruleText: shippedRuleText((e) => {
      throw new Error(e);
    }),
    catalogue,
    config: DEFAULT_DETECTION_CONFIG,
    counters: createMemoryCounterStore(),
    ledger: createMemoryLedger(),
    history: createMemoryHistoryStore(),
    sink: { deliver: async () => {}, fold: async () => {} },
    telemetry: createTelemetry(
      'test',
      (l) => lines.push(l),
      () => 0,
    ),
    heartbeats,
  });
  return { handler, lines };
};

const event = (eventTime: string, awsRegion = 'eu-west-1') =>
  JSON.stringify(
    envelope(ctRecord({ eventSource: 'ec2.amazonaws.com', eventName: 'DescribeInstances', eventTime, awsRegion })),
  );

describe('evaluate handler: heartbeat', () => {
  it('sends one heartbeat per account and region per batch, at the newest event time', async () => {
    const calls: unknown[] = [];
    const memory = createMemoryHeartbeatStore();
    const { handler } = setup({
      ...memory,
      advance: async (b) => {
        calls.push(b);
        await memory.advance(b);
      },
    });
    await handler(
      sqsBatch([
        event('2026-11-02T10:00:05Z'),
        event('2026-11-02T10:00:01Z'),
        event('2026-11-02T09:59:00Z', 'us-east-1'),
        JSON.stringify(envelope(stopLogging('2026-11-02T10:00:09Z'))),
      ]),
    );
    expect(calls).toEqual([
      [
        { account: '111122223333', region: 'eu-west-1', timeMs: Date.parse('2026-11-02T10:00:05Z') },
        { account: '111122223333', region: 'us-east-1', timeMs: Date.parse('2026-11-02T10:00:09Z') },
      ],
    ]);
  });

  it('never fails the batch when the heartbeat cannot be written', async () => {
    const failing: HeartbeatStore = {
      ...createMemoryHeartbeatStore(),
      advance: async () => {
        throw new Error('ProvisionedThroughputExceededException');
      },
    };
    const { handler, lines } = setup(failing);
    expect(await handler(sqsBatch([event('2026-11-02T10:00:05Z')]))).toEqual({ batchItemFailures: [] });
    expect(lines.some((l) => l.includes('"HeartbeatErrors":1'))).toBe(true);
  });
});
