import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createDynamoLedger } from '../../functions/shared/adapters/dynamodb-ledger.ts';
import { DeliveryInProgress } from '../../rules/core/ports.ts';
import { createStateTable, deleteTable, dynamoClient } from '../support/dynamodb.ts';
import { sampleFinding } from './support.ts';

const HOUR = 3_600_000;

describe('DynamoDB ledger (DynamoDB Local)', () => {
  let client: DynamoDBClient;
  let table: string;
  let now = 0;
  const clock = { now: () => now };
  const ledger = (token: string) => createDynamoLedger(client, table, { clock, token, claimMs: 60_000 });
  let key = '';

  beforeAll(async () => {
    client = dynamoClient(inject('dynamoEndpoint'));
    table = await createStateTable(client);
  });
  afterAll(async () => {
    await deleteTable(client, table);
    client.destroy();
  });
  beforeEach(() => {
    // The clock must not run behind the real one: item TTLs count from it, and DynamoDB Local really does
    // delete expired items in the background.
    now = Date.now();
    key = `ledger#${Math.random().toString(36).slice(2)}`;
  });

  const finding = sampleFinding({ firstSeen: '2026-11-02T10:00:00.000Z', eventIds: ['e1'], count: 1 });

  it('pages a new finding once; after delivery the same finding is a duplicate', async () => {
    const a = ledger('a');
    expect((await a.admit(finding, key, HOUR)).kind).toBe('deliver');
    await a.delivered(finding, key);
    expect((await a.admit(finding, key, HOUR)).kind).toBe('duplicate');
    expect((await ledger('b').admit(finding, key, HOUR)).kind).toBe('duplicate');
  });

  it('a second handler never pages a finding another is still delivering', async () => {
    const [a, b] = [ledger('a'), ledger('b')];
    expect((await a.admit(finding, key, HOUR)).kind).toBe('deliver');
    await expect(b.admit(finding, key, HOUR)).rejects.toBeInstanceOf(DeliveryInProgress);
  });

  it('after a failed delivery is released, a retry by any handler delivers', async () => {
    const [a, b] = [ledger('a'), ledger('b')];
    await a.admit(finding, key, HOUR);
    await a.release(finding, key);
    expect((await b.admit(finding, key, HOUR)).kind).toBe('deliver');
    // b's claim now holds; a's stale release must not remove it.
    await a.release(finding, key);
    await expect(a.admit(finding, key, HOUR)).rejects.toBeInstanceOf(DeliveryInProgress);
  });

  it('a crashed holder’s claim lapses, and another handler delivers', async () => {
    const [a, b] = [ledger('a'), ledger('b')];
    await a.admit(finding, key, HOUR);
    now += 60_001;
    expect((await b.admit(finding, key, HOUR)).kind).toBe('deliver');
  });

  it('folds a repeat inside the dedup window into the finding, and starts anew after it', async () => {
    const a = ledger('a');
    await a.admit(finding, key, HOUR);
    await a.delivered(finding, key);
    const repeat = sampleFinding({
      id: 'f'.repeat(32),
      firstSeen: '2026-11-02T10:30:00.000Z',
      eventIds: ['e2'],
      count: 1,
    });
    const folded = await a.admit(repeat, key, HOUR);
    expect(folded).toMatchObject({ kind: 'fold', finding: { id: finding.id, eventIds: ['e1', 'e2'], count: 2 } });
    const later = sampleFinding({
      id: 'a'.repeat(32),
      firstSeen: '2026-11-02T11:00:00.000Z',
      eventIds: ['e3'],
      count: 1,
    });
    expect((await a.admit(later, key, HOUR)).kind).toBe('deliver');
  });

  it('a replayed old finding is not written already expired (TTL from now, not from event time)', async () => {
    await ledger('a').admit(finding, key, HOUR);
    const item = await client.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: `dedup#${key}` } }, ConsistentRead: true }),
    );
    expect(Number(item.Item?.ttl?.N) * 1000).toBeGreaterThan(now + HOUR);
  });
});
