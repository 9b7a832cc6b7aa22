import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createHandler } from '../../functions/evaluate/evaluate.ts';
import { shippedRuleText } from '../../functions/evaluate/rule-text.ts';
import { createDynamoCounterStore } from '../../functions/shared/adapters/dynamodb-counter-store.ts';
import { createDynamoHistoryStore } from '../../functions/shared/adapters/dynamodb-history-store.ts';
import { createDynamoIncidentStore } from '../../functions/shared/adapters/dynamodb-incident-store.ts';
import { itemKey } from '../../functions/shared/adapters/dynamodb-keys.ts';
import { createDynamoLedger } from '../../functions/shared/adapters/dynamodb-ledger.ts';
import { createTelemetry } from '../../functions/shared/telemetry.ts';
import type { CloudTrailRecord } from '../../rules/core/cloudtrail.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../rules/core/config.ts';
import type { DrillPlan } from '../../rules/core/drill.ts';
import { planRule } from '../../rules/core/drill.ts';
import type { Finding } from '../../rules/core/finding.ts';
import { personKey } from '../../rules/core/signin.ts';
import type { Rule } from '../../rules/core/types.ts';
import { docsOf } from '../../rules/docs.ts';
import { fakeGeo } from '../../rules/fixtures/geo.ts';
import { fixture } from '../../rules/fixtures/index.ts';
import { catalogue, RULES } from '../../rules/index.ts';
import { createStateTable, deleteTable, dynamoClient, type TestDynamoDb } from '../support/dynamodb.ts';
import { envelope, sqsBatch } from './support.ts';

/**
 * A history drill (backdated preparation, `RuleCase.prepare`) must never teach a real principal's memory: if it
 * did, anyone able to send a drill could "launder" a country (14 days of drill sign-ins from it) before signing
 * in from it for real. Real handler, the whole catalogue, DynamoDB Local.
 */

const KEY = 'drill-key-for-tests-0123456789abcdef0123456789';
const NOW = Date.parse('2026-11-25T12:00:00Z');
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const NEW_COUNTRY = 'signin.new-country';

// What the shipped database says of the drill's addresses (NL, US), plus the person's real home (DE).
const geo = fakeGeo({
  '193.0.6.139': { country: 'NL', asn: 3333 },
  '8.8.8.8': { country: 'US', asn: 15169 },
  '192.0.2.10': { country: 'DE', asn: 64496 },
});

const rule = (): Rule => {
  const r = RULES.find((x) => x.id === NEW_COUNTRY);
  if (r === undefined) throw new Error('no rule');
  return r;
};

const planWith = async (key: string): Promise<DrillPlan> => {
  const plan = planRule(rule(), await docsOf(rule()), { nowMs: NOW, auth: { key, run: 'run-launder' } });
  if (plan?.kind !== 'plan') throw new Error(`not planned: ${JSON.stringify(plan)}`);
  return plan;
};

/** A real sign-in of alice (the drill's person) from `ip` at `ms`. */
const signIn = (ip: string, ms: number, id: string): string =>
  JSON.stringify(
    envelope(
      fixture('signin/ConsoleLogin', {
        sourceIPAddress: ip,
        eventTime: iso(ms),
        eventID: id,
      }) as unknown as CloudTrailRecord,
    ),
  );

describe('history drills live in the drill namespace (real handler, DynamoDB Local)', () => {
  let dynamo: TestDynamoDb;
  let table: string;
  let delivered: Finding[];
  let folded: Finding[];

  beforeAll(() => {
    dynamo = dynamoClient(inject('dynamoEndpoint'));
  });
  afterAll(() => dynamo.destroy());
  beforeEach(async () => {
    table = await createStateTable(dynamo);
    delivered = [];
    folded = [];
  });
  afterEach(async () => {
    await deleteTable(dynamo, table);
  });

  const send = async (bodies: readonly string[]) => {
    const handler = createHandler({
      ruleText: shippedRuleText((e) => {
        throw new Error(e);
      }),
      catalogue,
      config: DEFAULT_DETECTION_CONFIG,
      counters: createDynamoCounterStore(dynamo, table),
      ledger: createDynamoLedger(dynamo, table),
      history: createDynamoHistoryStore(dynamo, table),
      incidents: createDynamoIncidentStore(dynamo, table),
      sink: {
        deliver: async (f) => void delivered.push(f),
        fold: async (f) => void folded.push(f),
      },
      telemetry: createTelemetry('test', () => {}),
      clock: { now: () => NOW },
      drillKey: async () => KEY,
      intel: { geo: async () => geo },
    });
    const out = await handler(sqsBatch(bodies));
    expect(out.batchItemFailures).toEqual([]);
  };

  const alice = fixture('signin/ConsoleLogin') as unknown as CloudTrailRecord;
  /** The stored memory item of the rule for alice, in a namespace ('' = real). */
  const memory = async (namespace: string) => {
    const got = await dynamo.call('GetItem', {
      TableName: table,
      Key: { pk: { S: itemKey('history', `${namespace}${NEW_COUNTRY}#${personKey(alice)}`) } },
      ConsistentRead: true,
    });
    return got.Item;
  };
  const pages = (drill: boolean) => delivered.filter((f) => f.ruleId === NEW_COUNTRY && f.drill === drill);

  /** Alice's real life: 30 days in Germany. */
  const realHistory = async () => {
    await send([signIn('192.0.2.10', NOW - 30 * DAY, 'real-1'), signIn('192.0.2.10', NOW - 2 * DAY, 'real-2')]);
    const before = await memory('');
    expect(before).toBeDefined();
    return before;
  };

  it('a signed drill (14 days in NL, then US) fires as a drill and leaves the real memory as it was', async () => {
    const before = await realHistory();
    const plan = await planWith(KEY);
    expect(plan.bodies).toHaveLength(15);
    await send(plan.bodies);
    expect(pages(true)).toHaveLength(1);
    expect(pages(true)[0]?.details?.join('\n')).toContain('countries known for this person: NL');
    expect(pages(false)).toEqual([]);
    expect(delivered.filter((f) => f.ruleId === 'trailwarden.forged-drill')).toEqual([]);
    // The real memory item is byte for byte what it was; the drill's memory is its own item.
    expect(await memory('')).toEqual(before);
    expect(await memory('drill|')).toBeDefined();

    // Alice now signs in from the drill's countries for real: neither was laundered into her memory.
    await send([signIn('193.0.6.139', NOW + 60_000, 'real-nl')]);
    await send([signIn('8.8.8.8', NOW + 120_000, 'real-us')]);
    const real = pages(false);
    expect(real.map((f) => f.eventIds)).toEqual([['real-nl'], ['real-us']]);
    // Same person and address as the drill's US page, inside its dedup day: paged, not folded into the drill.
    expect(folded).toEqual([]);
    const drillFinding = pages(true)[0];
    expect(real.map((f) => f.id)).not.toContain(drillFinding?.id);
    expect(real.map((f) => f.incidentId)).not.toContain(drillFinding?.incidentId);
  });

  it('a forged history drill (wrong key) is refused: judged as real in a namespace of its own, real memory untouched', async () => {
    const before = await realHistory();
    const forged = await planWith('another-key-the-attacker-made-up-0123456789');
    await send(forged.bodies);
    expect(pages(true)).toEqual([]);
    const refused = delivered.filter((f) => f.ruleId === 'trailwarden.forged-drill');
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused[0]?.details?.[0]).toContain('drill signature does not match the event');
    expect(await memory('')).toEqual(before);
    expect(await memory('drill|')).toBeUndefined();

    await send([signIn('193.0.6.139', NOW + 60_000, 'real-nl')]);
    expect(pages(false).filter((f) => f.eventIds.includes('real-nl'))).toHaveLength(1);
  });

  it('an unsigned drill marker on the preparation teaches nothing either', async () => {
    const before = await realHistory();
    const plan = await planWith(KEY);
    const unsigned = plan.bodies.map((b) => {
      const { drill: _sig, ...rest } = JSON.parse(b) as Record<string, unknown>;
      return JSON.stringify({ ...rest, drill: true });
    });
    await send(unsigned);
    expect(pages(true)).toEqual([]);
    expect(delivered.some((f) => f.ruleId === 'trailwarden.forged-drill')).toBe(true);
    expect(await memory('')).toEqual(before);
    await send([signIn('193.0.6.139', NOW + 60_000, 'real-nl')]);
    expect(pages(false).filter((f) => f.eventIds.includes('real-nl'))).toHaveLength(1);
  });
});
