import { describe, expect, it } from 'vitest';
import { createHandler } from '../../functions/evaluate/evaluate.ts';
import { shippedRuleText } from '../../functions/evaluate/rule-text.ts';
import { createTelemetry } from '../../functions/shared/telemetry.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../rules/core/config.ts';
import type { Finding } from '../../rules/core/finding.ts';
import { silenceOf } from '../../rules/core/health.ts';
import {
  createMemoryCounterStore,
  createMemoryHeartbeatStore,
  createMemoryHistoryStore,
  createMemoryIncidentStore,
  createMemoryLedger,
} from '../../rules/core/memory.ts';
import type { HeartbeatStore } from '../../rules/core/ports.ts';
import { catalogue } from '../../rules/index.ts';
import { ctRecord, envelope, sqsBatch, stopLogging } from './support.ts';

const setup = (heartbeats: HeartbeatStore, nowMs?: number) => {
  const lines: string[] = [];
  const delivered: Finding[] = [];
  const handler = createHandler({
    ruleText: shippedRuleText((e) => {
      throw new Error(e);
    }),
    catalogue,
    config: DEFAULT_DETECTION_CONFIG,
    counters: createMemoryCounterStore(),
    ledger: createMemoryLedger(),
    history: createMemoryHistoryStore(),
    incidents: createMemoryIncidentStore(),
    sink: {
      deliver: async (f) => {
        delivered.push(f);
      },
      fold: async () => {},
    },
    telemetry: createTelemetry(
      'test',
      (l) => lines.push(l),
      () => 0,
    ),
    heartbeats,
    ...(nowMs === undefined ? {} : { clock: { now: () => nowMs } }),
  });
  return { handler, lines, delivered };
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

  it('issue 16: one event dated 2100 does not move the heartbeat, so the dead-man switch still fires', async () => {
    const received = Date.parse('2026-11-02T10:00:30Z');
    const heartbeats = createMemoryHeartbeatStore();
    const { handler, delivered } = setup(heartbeats, received);
    const future = event('2100-01-01T00:00:00Z');
    expect(await handler(sqsBatch([future, event('2026-11-02T10:00:05Z')]))).toEqual({ batchItemFailures: [] });
    const [beat] = await heartbeats.list();
    expect(beat?.lastEventMs).toBe(Date.parse('2026-11-02T10:00:05Z'));
    // Seven hours of silence later the switch fires (it would not until 2100 had the heartbeat moved).
    if (beat === undefined) throw new Error('no heartbeat');
    expect(silenceOf({ kind: 'heartbeat', ...beat }, received + 7 * 3_600_000)?.finding.ruleId).toBe(
      'health.pipeline-silent',
    );
    // And the future date is a finding of its own, naming the event and the claimed time.
    const found = delivered.filter((f) => f.ruleId === 'trailwarden.future-dated-event');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: 'high', controls: ['A.8.15'], drill: false });
    const eventId = (JSON.parse(future) as { detail: { eventID: string } }).detail.eventID;
    expect(found[0]?.eventIds).toEqual([eventId]);
    expect(found[0]?.details?.[0]).toBe(
      `Event ${eventId} (DescribeInstances) claims time 2100-01-01T00:00:00.000Z; it was received at 2026-11-02T10:00:30.000Z (allowed skew 15 min).`,
    );
  });

  it.each([
    ['inside the skew: advances the heartbeat, no finding', 14, true],
    ['past the skew: ignored, and a finding', 16, false],
  ] as const)('an event dated %s', async (_name, minutesAhead, advances) => {
    const received = Date.parse('2026-11-02T10:00:00Z');
    const heartbeats = createMemoryHeartbeatStore();
    const { handler, delivered } = setup(heartbeats, received);
    const at = received + minutesAhead * 60_000;
    await handler(sqsBatch([event(new Date(at).toISOString())]));
    expect((await heartbeats.list()).map((h) => h.lastEventMs)).toEqual(advances ? [at] : []);
    expect(delivered.filter((f) => f.ruleId === 'trailwarden.future-dated-event')).toHaveLength(advances ? 0 : 1);
  });
});
