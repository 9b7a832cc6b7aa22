import { describe, expect, it } from 'vitest';
import type { EvaluateDeps } from '../../functions/evaluate/evaluate.ts';
import { createHandler } from '../../functions/evaluate/evaluate.ts';
import { createTelemetry } from '../../functions/shared/telemetry.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../rules/core/config.ts';
import type { Finding } from '../../rules/core/finding.ts';
import { createMemoryCounterStore, createMemoryHistoryStore, createMemoryLedger } from '../../rules/core/memory.ts';
import type { FindingSink } from '../../rules/core/ports.ts';
import { catalogue } from '../../rules/index.ts';
import { envelope, sqsBatch, stopLogging } from './support.ts';

const setup = (sink?: FindingSink) => {
  const lines: string[] = [];
  const delivered: Finding[] = [];
  const deps: EvaluateDeps = {
    catalogue,
    config: DEFAULT_DETECTION_CONFIG,
    counters: createMemoryCounterStore(),
    ledger: createMemoryLedger(),
    history: createMemoryHistoryStore(),
    sink: sink ?? { deliver: async (f) => void delivered.push(f), fold: async () => {} },
    telemetry: createTelemetry(
      'test',
      (line) => lines.push(line),
      () => 0,
    ),
  };
  return { handler: createHandler(deps), lines, delivered };
};

describe('evaluate handler', () => {
  it('turns an EventBridge envelope in an SQS message into a delivered finding', async () => {
    const { handler, delivered } = setup();
    const out = await handler(sqsBatch([JSON.stringify(envelope(stopLogging()))]));
    expect(out).toEqual({ batchItemFailures: [] });
    expect(delivered.map((f) => f.ruleId)).toEqual(['cloudtrail.logging-stopped']);
  });

  it('reports a malformed record clearly, with a metric, and still processes the rest of the batch', async () => {
    const { handler, delivered, lines } = setup();
    const batch = sqsBatch([
      '{not json',
      JSON.stringify({ 'detail-type': 'AWS API Call via CloudTrail', detail: { eventName: 'x' } }),
      JSON.stringify(envelope(stopLogging())),
    ]);
    const out = await handler(batch);
    expect(out.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([
      batch.Records[0]?.messageId,
      batch.Records[1]?.messageId,
    ]);
    expect(delivered).toHaveLength(1);
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(
      logged.filter((l) => l.message === 'malformed record: it will be retried, then moved to the DLQ'),
    ).toHaveLength(2);
    expect(logged.find((l) => l.MalformedRecords !== undefined)?.MalformedRecords).toBe(2);
  });

  it('fails only the records whose finding could not be delivered, and pages once after the retry', async () => {
    let calls = 0;
    const paged: Finding[] = [];
    const sink: FindingSink = {
      deliver: async (f) => {
        calls++;
        if (calls === 1) throw new Error('SNS: InternalError');
        paged.push(f);
      },
      fold: async () => {},
    };
    const { handler } = setup(sink);
    const bad = JSON.stringify(envelope(stopLogging('2026-11-02T10:00:00Z')));
    const benign = JSON.stringify(envelope({ ...stopLogging('2026-11-02T10:00:01Z'), errorCode: 'AccessDenied' }));
    const first = sqsBatch([bad, benign]);
    const out = await handler(first);
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: first.Records[0]?.messageId }]);
    // SQS redelivers only the failed message.
    expect(await handler(sqsBatch([bad]))).toEqual({ batchItemFailures: [] });
    expect(await handler(sqsBatch([bad]))).toEqual({ batchItemFailures: [] });
    expect(paged).toHaveLength(1);
  });
});
