import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createHandler } from '../../functions/evaluate/evaluate.ts';
import { shippedRuleText } from '../../functions/evaluate/rule-text.ts';
import { createDynamoCounterStore } from '../../functions/shared/adapters/dynamodb-counter-store.ts';
import { createDynamoHeartbeatStore } from '../../functions/shared/adapters/dynamodb-heartbeat-store.ts';
import { createDynamoHistoryStore } from '../../functions/shared/adapters/dynamodb-history-store.ts';
import { createDynamoIncidentStore } from '../../functions/shared/adapters/dynamodb-incident-store.ts';
import { createDynamoLedger } from '../../functions/shared/adapters/dynamodb-ledger.ts';
import { createTelemetry } from '../../functions/shared/telemetry.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../rules/core/config.ts';
import { signDrillEnvelope } from '../../rules/core/drill-auth.ts';
import { toAuditEvent } from '../../rules/core/events.ts';
import type { Finding } from '../../rules/core/finding.ts';
import { catalogue } from '../../rules/index.ts';
import { createStateTable, deleteTable, dynamoClient, type TestDynamoDb } from '../support/dynamodb.ts';
import { envelope, failedLogin, sqsBatch, stopLogging } from './support.ts';

const KEY = 'drill-key-for-tests-0123456789abcdef0123456789';
const T0 = Date.parse('2026-11-02T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** An envelope signed the way `trailwarden drill` signs it, valid for 15 minutes from `nowMs`. */
const signed = (env: Record<string, unknown>, nowMs: number, key = KEY): Record<string, unknown> => {
  const parsed = toAuditEvent(env);
  if (!parsed.ok) throw new Error(parsed.error);
  return signDrillEnvelope(env, parsed.event, key, { run: 'run-1', expiresMs: nowMs + 15 * 60_000 });
};

describe('drills are honoured only when signed (real handler, DynamoDB Local)', () => {
  let dynamo: TestDynamoDb;
  let table: string;
  let now = T0;
  let delivered: Finding[];
  let folded: Finding[];
  let keyLoads: number;
  let loadKey: () => Promise<string>;

  beforeAll(() => {
    dynamo = dynamoClient(inject('dynamoEndpoint'));
  });
  afterAll(() => dynamo.destroy());
  beforeEach(async () => {
    table = await createStateTable(dynamo);
    delivered = [];
    folded = [];
    keyLoads = 0;
    loadKey = async () => KEY;
  });
  afterEach(async () => {
    await deleteTable(dynamo, table);
  });

  const handler = () =>
    createHandler({
      ruleText: shippedRuleText((e) => {
        throw new Error(e);
      }),
      catalogue,
      config: DEFAULT_DETECTION_CONFIG,
      counters: createDynamoCounterStore(dynamo, table),
      ledger: createDynamoLedger(dynamo, table),
      history: createDynamoHistoryStore(dynamo, table),
      incidents: createDynamoIncidentStore(dynamo, table),
      heartbeats: createDynamoHeartbeatStore(dynamo, table),
      sink: {
        deliver: async (f) => {
          delivered.push(f);
        },
        fold: async (f) => {
          folded.push(f);
        },
      },
      telemetry: createTelemetry('test', () => {}),
      clock: { now: () => now },
      drillKey: async () => {
        keyLoads++;
        return loadKey();
      },
    });
  const send = async (...bodies: Record<string, unknown>[]) => {
    const out = await handler()(sqsBatch(bodies.map((b) => JSON.stringify(b))));
    expect(out.batchItemFailures).toEqual([]);
  };
  const paged = (ruleId: string) => delivered.filter((f) => f.ruleId === ruleId);

  it('issue 16: a forged drill StopLogging, then the real one 50 minutes later: the real one pages', async () => {
    now = T0;
    await send(envelope(stopLogging(iso(T0)), { drill: true }));
    // The forged event is judged as real, and the marker is a finding of its own.
    expect(paged('cloudtrail.logging-stopped').map((f) => f.drill)).toEqual([false]);
    const forged = paged('trailwarden.forged-drill');
    expect(forged).toHaveLength(1);
    expect(forged[0]?.severity).toBe('high');
    expect(forged[0]?.controls).toEqual(['A.8.16']);
    expect(forged[0]?.details?.[0]).toBe('Drill marker ignored: unsigned drill marker (drill: true).');

    now = T0 + 50 * 60_000;
    const real = stopLogging(iso(now));
    await send(envelope(real));
    const pages = paged('cloudtrail.logging-stopped');
    expect(pages).toHaveLength(2);
    expect(pages[1]).toMatchObject({ drill: false, eventIds: [real.eventID] });
    expect(folded).toEqual([]);
  });

  it('a signed drill is a drill, in its own namespace: a real StopLogging after it still pages', async () => {
    now = T0;
    await send(signed(envelope(stopLogging(iso(T0))), now));
    expect(paged('cloudtrail.logging-stopped').map((f) => f.drill)).toEqual([true]);
    expect(paged('trailwarden.forged-drill')).toEqual([]);
    expect(await createDynamoHeartbeatStore(dynamo, table).list()).toEqual([]);

    now = T0 + 10 * 60_000;
    await send(envelope(stopLogging(iso(now))));
    expect(paged('cloudtrail.logging-stopped').map((f) => f.drill)).toEqual([true, false]);
    expect(new Set(delivered.map((f) => f.id)).size).toBe(2);
  });

  it('a redelivered signed drill is a duplicate, never a second page', async () => {
    const body = signed(envelope(stopLogging(iso(T0))), T0);
    await send(body);
    await send(body);
    expect(delivered).toHaveLength(1);
    expect(folded).toEqual([]);
  });

  it('drill events never count toward a real threshold window', async () => {
    // Four real failures and one signed drill failure inside five minutes: neither namespace reaches five.
    const times = [0, 30, 60, 90, 120].map((s) => T0 + s * 1000);
    now = T0 + 130_000;
    const [first, ...rest] = times;
    await send(signed(envelope(failedLogin(iso(first ?? T0))), now), ...rest.map((t) => envelope(failedLogin(iso(t)))));
    expect(paged('signin.console-login-failures')).toEqual([]);
    // The fifth real one fires, as real.
    await send(envelope(failedLogin(iso(T0 + 140_000))));
    expect(paged('signin.console-login-failures').map((f) => f.drill)).toEqual([false]);
  });

  it.each([
    [
      'tampered after signing',
      () => {
        const body = signed(envelope(stopLogging(iso(T0))), T0);
        const detail = body.detail as Record<string, unknown>;
        return { ...body, detail: { ...detail, requestParameters: { name: 'other-trail' } } };
      },
      'drill signature does not match the event',
    ],
    ['signed with another key', () => signed(envelope(stopLogging(iso(T0))), T0, 'x'.repeat(48)), 'does not match'],
    ['expired', () => signed(envelope(stopLogging(iso(T0))), T0 - 20 * 60_000), 'drill signature expired at'],
    [
      'marked in detail.trailwardenDrill',
      () => envelope({ ...stopLogging(iso(T0)), trailwardenDrill: true } as ReturnType<typeof stopLogging>),
      'unsigned drill marker (detail.trailwardenDrill)',
    ],
    [
      'a malformed signature',
      () => envelope(stopLogging(iso(T0)), { drill: { v: 1, run: 'r' } }),
      'a malformed drill signature',
    ],
  ] as const)('%s: judged as a real event, and a forged-drill finding says why', async (_name, body, reason) => {
    now = T0;
    await send(body());
    expect(paged('cloudtrail.logging-stopped').map((f) => f.drill)).toEqual([false]);
    const forged = paged('trailwarden.forged-drill');
    expect(forged).toHaveLength(1);
    expect(forged[0]?.details?.[0]).toContain(reason);
    // A forged drill is a real event: it moves the dead-man switch like one.
    expect((await createDynamoHeartbeatStore(dynamo, table).list()).map((h) => h.lastEventMs)).toEqual([T0]);
  });

  it('a drill key that cannot be loaded honours no drill (the safe side), and is asked again next batch', async () => {
    loadKey = async () => {
      throw new Error('AccessDeniedException');
    };
    await send(signed(envelope(stopLogging(iso(T0))), T0));
    expect(paged('cloudtrail.logging-stopped').map((f) => f.drill)).toEqual([false]);
    expect(paged('trailwarden.forged-drill')[0]?.details?.[0]).toContain(
      'the drill key could not be loaded (AccessDeniedException)',
    );
    expect(keyLoads).toBe(1);
  });

  it('the key is loaded only for a batch with a drill claim in it', async () => {
    await send(envelope(stopLogging(iso(T0))));
    expect(keyLoads).toBe(0);
    await send(signed(envelope(stopLogging(iso(T0 + 1000))), T0));
    expect(keyLoads).toBe(1);
  });
});
