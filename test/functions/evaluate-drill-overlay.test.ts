import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createHandler } from '../../functions/evaluate/evaluate.ts';
import { shippedRuleText } from '../../functions/evaluate/rule-text.ts';
import { createDynamoCounterStore } from '../../functions/shared/adapters/dynamodb-counter-store.ts';
import { createDynamoHeartbeatStore } from '../../functions/shared/adapters/dynamodb-heartbeat-store.ts';
import { createDynamoHistoryStore } from '../../functions/shared/adapters/dynamodb-history-store.ts';
import { createDynamoIncidentStore } from '../../functions/shared/adapters/dynamodb-incident-store.ts';
import { createDynamoLedger } from '../../functions/shared/adapters/dynamodb-ledger.ts';
import { createTelemetry } from '../../functions/shared/telemetry.ts';
import type { DetectionConfig } from '../../rules/core/config.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../rules/core/config.ts';
import { signDrillEnvelope } from '../../rules/core/drill-auth.ts';
import { toAuditEvent } from '../../rules/core/events.ts';
import type { Finding } from '../../rules/core/finding.ts';
import type { IncidentNotice } from '../../rules/core/ports.ts';
import { fixture } from '../../rules/fixtures/index.ts';
import { catalogue } from '../../rules/index.ts';
import { createStateTable, deleteTable, dynamoClient, type TestDynamoDb } from '../support/dynamodb.ts';
import { sqsBatch } from './support.ts';

/**
 * Drill overlays (drill-overlay.ts): a verified drill is judged with the deployed config merged with the overlay its
 * signature covers, and nothing else ever is. Each attack an insider could try with an overlay has a test here that
 * fails if it worked: change how a real event is judged, suppress or fold a real page, share a dedup key, incident
 * or ledger entry with a real finding, keep the overlay for later batches, widen suppressions.
 */

const KEY = 'drill-key-for-tests-0123456789abcdef0123456789';
const T0 = Date.parse('2026-11-02T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const RULE = 'ec2.unapproved-region';
const APPROVED = { approvedRegions: ['eu-west-1', 'us-east-1'] };

let seq = 0;
/** RunInstances in a region outside APPROVED, as EventBridge delivers it. */
const runInstances = (timeMs: number, overrides: Record<string, unknown> = {}): Record<string, unknown> => {
  const record = fixture('ec2/RunInstances', {
    awsRegion: 'ap-southeast-3',
    eventID: `00000000-0000-4000-9000-${String(++seq).padStart(12, '0')}`,
    eventTime: iso(timeMs),
    ...overrides,
  });
  return {
    version: '0',
    id: `eb-${String(record.eventID)}`,
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.ec2',
    account: '111122223333',
    time: iso(timeMs),
    region: 'ap-southeast-3',
    resources: [],
    detail: record,
  };
};

const signed = (
  env: Record<string, unknown>,
  nowMs: number,
  overlay?: unknown,
  opts: { key?: string; ttlMs?: number } = {},
): Record<string, unknown> => {
  const parsed = toAuditEvent(env);
  if (!parsed.ok) throw new Error(parsed.error);
  return signDrillEnvelope(env, parsed.event, opts.key ?? KEY, {
    run: 'run-overlay',
    expiresMs: nowMs + (opts.ttlMs ?? 15 * 60_000),
    ...(overlay === undefined ? {} : { overlay }),
  });
};

const drillField = (body: Record<string, unknown>): Record<string, unknown> => body.drill as Record<string, unknown>;

describe('drill overlays: signed, drill namespace only, never for a real event (real handler, DynamoDB Local)', () => {
  let dynamo: TestDynamoDb;
  let table: string;
  let now = T0;
  let delivered: Finding[];
  let notices: Map<string, IncidentNotice>;
  let folded: Finding[];

  beforeAll(() => {
    dynamo = dynamoClient(inject('dynamoEndpoint'));
  });
  afterAll(() => dynamo.destroy());
  beforeEach(async () => {
    table = await createStateTable(dynamo);
    delivered = [];
    notices = new Map();
    folded = [];
    now = T0;
  });
  afterEach(async () => {
    await deleteTable(dynamo, table);
  });

  const handler = (config: DetectionConfig = DEFAULT_DETECTION_CONFIG) =>
    createHandler({
      ruleText: shippedRuleText((e) => {
        throw new Error(e);
      }),
      catalogue,
      config,
      counters: createDynamoCounterStore(dynamo, table),
      ledger: createDynamoLedger(dynamo, table),
      history: createDynamoHistoryStore(dynamo, table),
      incidents: createDynamoIncidentStore(dynamo, table),
      heartbeats: createDynamoHeartbeatStore(dynamo, table),
      sink: {
        deliver: async (f, notice) => {
          delivered.push(f);
          if (notice !== undefined) notices.set(f.id, notice);
        },
        fold: async (f) => {
          folded.push(f);
        },
      },
      telemetry: createTelemetry('test', () => {}),
      clock: { now: () => now },
      drillKey: async () => KEY,
    });
  const send = async (config: DetectionConfig, ...bodies: Record<string, unknown>[]) => {
    const out = await handler(config)(sqsBatch(bodies.map((b) => JSON.stringify(b))));
    expect(out.batchItemFailures).toEqual([]);
  };
  const paged = (ruleId: string) => delivered.filter((f) => f.ruleId === ruleId);

  it('a signed overlay makes the drill fire under config the deployed function does not have', async () => {
    const drill = signed(runInstances(T0), now, { config: APPROVED });
    expect(drillField(drill).v).toBe(2);
    await send(DEFAULT_DETECTION_CONFIG, drill);
    expect(paged(RULE).map((f) => [f.drill, f.severity])).toEqual([[true, 'high']]);
    expect(paged('trailwarden.forged-drill')).toEqual([]);
  });

  it('a real event in the same batch is judged with the deployed config, never the overlay', async () => {
    const drill = signed(runInstances(T0), now, { config: APPROVED, criticality: 'high' });
    const real = runInstances(T0);
    await send(DEFAULT_DETECTION_CONFIG, real, drill);
    // The deployed config approves every region: only the drill, with its overlay, fires (critical at high).
    expect(paged(RULE).map((f) => [f.drill, f.severity, f.criticality])).toEqual([[true, 'critical', 'high']]);
  });

  it('the overlay is never kept: a real event in the next batch is judged with the deployed config', async () => {
    await send(DEFAULT_DETECTION_CONFIG, signed(runInstances(T0), now, { config: APPROVED }));
    now = T0 + 60_000;
    await send(DEFAULT_DETECTION_CONFIG, runInstances(now));
    expect(paged(RULE).map((f) => f.drill)).toEqual([true]);
  });

  it('an overlay cannot lower what a real event is judged at: forced low criticality leaves the real page critical', async () => {
    const deployed: DetectionConfig = {
      ...DEFAULT_DETECTION_CONFIG,
      ...APPROVED,
      criticality: { default: 'high', accounts: {}, resources: [] },
    };
    await send(deployed, signed(runInstances(T0), now, { criticality: 'low' }), runInstances(T0));
    const pages = paged(RULE);
    expect(pages.map((f) => [f.drill, f.severity])).toEqual([
      [true, 'high'],
      [false, 'critical'],
    ]);
  });

  it('a drill with an overlay shares no finding id, dedup key, ledger entry or incident with the real event after it', async () => {
    const deployed: DetectionConfig = { ...DEFAULT_DETECTION_CONFIG, ...APPROVED };
    // The drill first, with an overlay that would approve the region if it reached real events.
    await send(deployed, signed(runInstances(T0), now, { config: { approvedRegions: ['ap-southeast-3'] } }));
    expect(paged(RULE)).toEqual([]);
    // Then a drill that fires, and the same real call a minute later: two pages, nothing folded.
    await send(deployed, signed(runInstances(T0), now, { config: { approvedRegions: ['eu-west-1'] } }));
    now = T0 + 60_000;
    await send(deployed, runInstances(now));
    const pages = paged(RULE);
    expect(pages.map((f) => f.drill)).toEqual([true, false]);
    // (Other rules' drill findings fold into each other inside the drill namespace; that is theirs.)
    expect(folded.filter((f) => f.ruleId === RULE || !f.drill)).toEqual([]);
    const [drill, real] = pages;
    expect(drill?.id).not.toBe(real?.id);
    expect(drill?.incidentId).not.toBe(real?.incidentId);
    expect(notices.get(real?.id ?? '')?.kind).toBe('page');
    expect(notices.get(real?.id ?? '')?.incident.drill).toBe(false);
  });

  it.each([
    [
      'tampered overlay (the region approved after signing)',
      true,
      (b: Record<string, unknown>) => ({
        ...b,
        drill: { ...drillField(b), overlay: { config: { approvedRegions: ['ap-southeast-3', 'eu-west-1'] } } },
      }),
      /signature does not match/,
    ],
    [
      'overlay stripped (v2 turned into v1)',
      true,
      (b: Record<string, unknown>) => {
        const { overlay: _o, ...rest } = drillField(b);
        return { ...b, drill: { ...rest, v: 1 } };
      },
      /signature does not match/,
    ],
    [
      'overlay added to a v1 signature',
      false,
      (b: Record<string, unknown>) => ({ ...b, drill: { ...drillField(b), overlay: { criticality: 'low' } } }),
      /malformed drill signature/,
    ],
    [
      'unsigned overlay (no valid signature)',
      true,
      (b: Record<string, unknown>) => ({ ...b, drill: { ...drillField(b), sig: '0'.repeat(64) } }),
      /signature does not match/,
    ],
  ])(
    '%s: refused as a forged drill, judged as real with the deployed config',
    async (_name, withOverlay, tamper, reason) => {
      // The deployed config approves only eu-west-1 and us-east-1: as a real event, the call pages.
      const deployed: DetectionConfig = { ...DEFAULT_DETECTION_CONFIG, ...APPROVED };
      const overlay = withOverlay ? { config: { approvedRegions: ['ap-southeast-3'] } } : undefined;
      await send(deployed, tamper(signed(runInstances(T0), now, overlay)));
      expect(paged(RULE).map((f) => f.drill)).toEqual([false]);
      const forged = paged('trailwarden.forged-drill');
      expect(forged).toHaveLength(1);
      expect(forged[0]?.details?.[0]).toMatch(reason);
    },
  );

  it('an expired overlay drill is refused, and its overlay (which would approve the region) is not applied', async () => {
    const deployed: DetectionConfig = { ...DEFAULT_DETECTION_CONFIG, ...APPROVED };
    const body = signed(runInstances(T0), T0, { config: { approvedRegions: ['ap-southeast-3'] } }, { ttlMs: 60_000 });
    now = T0 + 2 * 60_000;
    await send(deployed, body);
    expect(paged(RULE).map((f) => f.drill)).toEqual([false]);
    expect(paged('trailwarden.forged-drill')[0]?.details?.[0]).toMatch(/expired/);
  });

  it('another key signed it: refused', async () => {
    const body = signed(runInstances(T0), now, { config: APPROVED }, { key: 'x'.repeat(48) });
    await send(DEFAULT_DETECTION_CONFIG, body);
    expect(paged(RULE)).toEqual([]);
    expect(paged('trailwarden.forged-drill')[0]?.details?.[0]).toMatch(/signature does not match/);
  });

  it.each([
    [
      'suppressions (a signed drill cannot widen suppressions)',
      {
        config: {
          ...APPROVED,
          suppressions: [{ ruleId: RULE, reason: 'hide the drill page please', expires: '2099-01-01' }],
        },
      },
      /may not set suppressions/,
    ],
    ['incidents', { config: { ...APPROVED, incidents: { correlationMinutes: 5 } } }, /may not set incidents/],
    ['clockSkewMinutes', { config: { ...APPROVED, clockSkewMinutes: 1440 } }, /may not set clockSkewMinutes/],
    ['an invalid value', { config: { approvedRegions: ['not a region'] } }, /not valid config/],
    ['an unknown field', { config: APPROVED, scope: 'everything' }, /unknown fields: scope/],
    ['a bad criticality', { criticality: 'none' }, /criticality/],
  ])('a signed overlay with %s is refused as a forged drill', async (_name, overlay, reason) => {
    const deployed: DetectionConfig = { ...DEFAULT_DETECTION_CONFIG, ...APPROVED };
    await send(deployed, signed(runInstances(T0), now, overlay));
    // Judged as a real event, with the deployed config: it pages as real, unsuppressed.
    const pages = paged(RULE);
    expect(pages.map((f) => [f.drill, f.suppression?.status])).toEqual([[false, undefined]]);
    const forged = paged('trailwarden.forged-drill');
    expect(forged[0]?.details?.[0]).toMatch(/drill overlay refused/);
    expect(forged[0]?.details?.[0]).toMatch(reason);
  });
});
