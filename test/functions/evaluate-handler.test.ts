import { describe, expect, it } from 'vitest';
import type { EvaluateDeps } from '../../functions/evaluate/evaluate.ts';
import { createHandler } from '../../functions/evaluate/evaluate.ts';
import { shippedRuleText } from '../../functions/evaluate/rule-text.ts';
import { createTelemetry } from '../../functions/shared/telemetry.ts';
import { rule as loggingStopped } from '../../rules/cloudtrail/logging-stopped.rule.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../rules/core/config.ts';
import { buildCatalogue } from '../../rules/core/engine.ts';
import type { Finding } from '../../rules/core/finding.ts';
import { lazyCatalogue } from '../../rules/core/lazy-catalogue.ts';
import {
  createMemoryCounterStore,
  createMemoryHistoryStore,
  createMemoryIncidentStore,
  createMemoryLedger,
} from '../../rules/core/memory.ts';
import type { FindingSink } from '../../rules/core/ports.ts';
import type { Rule } from '../../rules/core/types.ts';
import { catalogue } from '../../rules/index.ts';
import { envelope, sqsBatch, stopLogging } from './support.ts';

const setup = (sink?: FindingSink) => {
  const lines: string[] = [];
  const delivered: Finding[] = [];
  const deps: EvaluateDeps = {
    ruleText: shippedRuleText((e) => {
      throw new Error(e);
    }),
    catalogue,
    config: DEFAULT_DETECTION_CONFIG,
    counters: createMemoryCounterStore(),
    ledger: createMemoryLedger(),
    history: createMemoryHistoryStore(),
    incidents: createMemoryIncidentStore(),
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

  it('a rule that throws fails exactly the messages carrying its event, and the batch goes on', async () => {
    const lines: string[] = [];
    const delivered: Finding[] = [];
    // Throws only on one trail's events, as a rule with a bug for one input shape would.
    const fragile: Rule = {
      ...loggingStopped,
      id: 'test.fragile',
      match: (e) => {
        if (e.kind === 'cloudtrail' && JSON.stringify(e.record.requestParameters).includes('poison'))
          throw new TypeError('cannot read properties of undefined');
        return false;
      },
    };
    const handler = createHandler({
      ruleText: shippedRuleText((e) => {
        throw new Error(e);
      }),
      catalogue: buildCatalogue([loggingStopped, fragile]),
      incidents: createMemoryIncidentStore(),
      config: DEFAULT_DETECTION_CONFIG,
      counters: createMemoryCounterStore(),
      ledger: createMemoryLedger(),
      history: createMemoryHistoryStore(),
      sink: { deliver: async (f) => void delivered.push(f), fold: async () => {} },
      telemetry: createTelemetry(
        'test',
        (line) => lines.push(line),
        () => 0,
      ),
    });
    const poison = JSON.stringify(
      envelope({
        ...stopLogging('2026-11-02T10:00:00Z'),
        requestParameters: { name: 'arn:aws:cloudtrail:us-east-1:111122223333:trail/poison' },
      }),
    );
    const fine = JSON.stringify(envelope(stopLogging('2026-11-02T10:00:01Z')));
    // The same event twice (SQS at-least-once): both of its messages must be retried.
    const batch = sqsBatch([fine, poison, poison]);
    const out = await handler(batch);
    expect(out.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([
      batch.Records[1]?.messageId,
      batch.Records[2]?.messageId,
    ]);
    // The other rule still judged both events.
    expect(delivered.map((f) => f.ruleId)).toEqual(['cloudtrail.logging-stopped', 'cloudtrail.logging-stopped']);
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const ruleError = expect.objectContaining({ ruleId: 'test.fragile', error: 'cannot read properties of undefined' });
    // Judged once per message it arrived in.
    expect(logged.filter((l) => l.message === 'rule failed on an event')).toEqual([ruleError, ruleError]);
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
    // A failed call that is not a denial (a denied StopLogging is itself a finding: account.dangerous-action-denied).
    const benign = JSON.stringify(
      envelope({ ...stopLogging('2026-11-02T10:00:01Z'), errorCode: 'TrailNotFoundException' }),
    );
    const first = sqsBatch([bad, benign]);
    const out = await handler(first);
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: first.Records[0]?.messageId }]);
    // SQS redelivers only the failed message.
    expect(await handler(sqsBatch([bad]))).toEqual({ batchItemFailures: [] });
    expect(await handler(sqsBatch([bad]))).toEqual({ batchItemFailures: [] });
    expect(paged).toHaveLength(1);
  });
});

describe('evaluate handler metrics', () => {
  /** One rule, so the exact lines do not move when the catalogue grows. */
  const run = async (sink: FindingSink, bodies: readonly string[], catalogue = buildCatalogue([loggingStopped])) => {
    const lines: string[] = [];
    const handler = createHandler({
      ruleText: shippedRuleText((e) => {
        throw new Error(e);
      }),
      catalogue,
      config: {
        ...DEFAULT_DETECTION_CONFIG,
        suppressions: [
          {
            ruleId: 'cloudtrail.logging-stopped',
            principal: 'arn:aws:iam::111122223333:user/sandbox-*',
            reason: 'Sandbox trail rotation, CHG-1',
            expires: '2099-12-31',
          },
        ],
      },
      counters: createMemoryCounterStore(),
      ledger: createMemoryLedger(),
      history: createMemoryHistoryStore(),
      incidents: createMemoryIncidentStore(),
      sink,
      telemetry: createTelemetry(
        'test',
        (line) => lines.push(line),
        () => 0,
      ),
    });
    const batch = sqsBatch(bodies);
    const out = await handler(batch);
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    return {
      out,
      batch,
      emf: lines.filter((l) => l.startsWith('{"_aws"')),
      logs: parsed.filter((l) => !('_aws' in l)),
    };
  };
  const emf = (dimensions: Record<string, string>, metrics: Record<string, number>) =>
    JSON.stringify({
      _aws: {
        Timestamp: 0,
        CloudWatchMetrics: [
          {
            Namespace: 'Trailwarden',
            Dimensions: [['service', ...Object.keys(dimensions)]],
            Metrics: Object.keys(metrics).map((Name) => ({ Name, Unit: 'Count' })),
          },
        ],
      },
      service: 'test',
      ...dimensions,
      ...metrics,
    });
  const sandboxStop = () => ({
    ...stopLogging('2026-11-02T10:05:00Z'),
    requestParameters: { name: 'arn:aws:cloudtrail:us-east-1:111122223333:trail/sandbox-1' },
    userIdentity: {
      type: 'IAMUser',
      userName: 'sandbox-bot',
      arn: 'arn:aws:iam::111122223333:user/sandbox-bot',
      accountId: '111122223333',
    },
  });
  const ok: FindingSink = { deliver: async () => {}, fold: async () => {} };

  it('writes one EMF line per rule, one per severity and one for the batch (pages vs updates too)', async () => {
    const {
      out,
      emf: lines,
      batch,
    } = await run(ok, [
      '{not json',
      JSON.stringify(envelope(stopLogging('2026-11-02T10:00:00Z'))),
      JSON.stringify(envelope(stopLogging('2026-11-02T10:10:00Z'))),
      JSON.stringify(envelope(sandboxStop())),
    ]);
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: batch.Records[0]?.messageId }]);
    expect(lines).toEqual([
      emf({ ruleId: 'cloudtrail.logging-stopped' }, { Matches: 3, Findings: 2, Suppressed: 1, Folded: 1 }),
      emf({ severity: 'critical' }, { FindingsBySeverity: 2 }),
      // Two actors, two incidents: the real stop pages, the suppressed sandbox stop is an update that never pages.
      emf({}, { EventsIn: 3, Matches: 3, MalformedRecords: 1, IncidentPages: 1, IncidentUpdates: 1, FailedRecords: 1 }),
    ]);
  });

  it('counts a finding that could not be delivered, and logs its rule and finding id', async () => {
    const failing: FindingSink = {
      deliver: async () => {
        throw new Error('SNS: InternalError');
      },
      fold: async () => {},
    };
    const {
      out,
      emf: lines,
      logs,
      batch,
    } = await run(failing, [
      JSON.stringify(envelope(stopLogging())),
      JSON.stringify(envelope({ ...stopLogging(), errorCode: 'AccessDenied' })),
    ]);
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: batch.Records[0]?.messageId }]);
    expect(lines).toEqual([
      emf({ ruleId: 'cloudtrail.logging-stopped' }, { Matches: 1 }),
      emf({}, { EventsIn: 2, Matches: 1, DeliveryFailures: 1, FailedRecords: 1 }),
    ]);
    expect(logs).toEqual([
      expect.objectContaining({
        level: 'error',
        message: 'sink failed: events will be retried',
        ruleId: 'cloudtrail.logging-stopped',
        findingId: expect.stringMatching(/^[0-9a-f]{32}$/),
        error: 'SNS: InternalError',
      }),
    ]);
  });

  it('retries the events a rule selects when the rules cannot be loaded, counted and logged', async () => {
    const unloadable = lazyCatalogue([{ id: loggingStopped.id, on: loggingStopped.on }], async () => {
      throw new Error("Cannot find module '/var/task/chunks/rules-X.mjs'");
    });
    const unselected = { ...stopLogging(), eventSource: 'example.amazonaws.com', eventName: 'Noop' };
    const {
      out,
      emf: lines,
      logs,
      batch,
    } = await run(ok, [JSON.stringify(envelope(stopLogging())), JSON.stringify(envelope(unselected))], unloadable);
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: batch.Records[0]?.messageId }]);
    expect(lines).toEqual([emf({}, { EventsIn: 2, RuleLoadFailures: 1, FailedRecords: 1 })]);
    expect(logs).toEqual([
      expect.objectContaining({
        level: 'error',
        message: 'rules failed: events will be retried',
        error: "the rules could not be loaded: Cannot find module '/var/task/chunks/rules-X.mjs'",
      }),
    ]);
  });

  it('logs each delivered finding with its rule, id, severity and suppression', async () => {
    const { logs } = await run(ok, [JSON.stringify(envelope(sandboxStop()))]);
    expect(logs).toEqual([
      expect.objectContaining({
        message: 'finding delivered',
        ruleId: 'cloudtrail.logging-stopped',
        findingId: expect.stringMatching(/^[0-9a-f]{32}$/),
        severity: 'critical',
        suppression: 'active',
      }),
    ]);
  });
});
