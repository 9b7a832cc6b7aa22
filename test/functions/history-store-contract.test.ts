import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDynamoHistoryStore } from '../../functions/shared/adapters/dynamodb-history-store.ts';
import type { HistorySpec, Sighting } from '../../rules/core/history.ts';
import { createMemoryHistoryStore } from '../../rules/core/memory.ts';
import type { HistoryStore } from '../../rules/core/ports.ts';
import { createStateTable, deleteTable, dynamoClient, type TestDynamoDb } from '../support/dynamodb.ts';

const T0 = Date.parse('2026-11-02T10:00:00Z');
const MIN = 60_000;
const seen = (id: string, v: string, minute: number): Sighting => ({
  id,
  v,
  t: T0 + minute * MIN,
  last: T0 + minute * MIN,
});
const perEvent: HistorySpec = { retainMs: 30 * MIN, distinctValues: false, max: 200 };
const perValue: HistorySpec = { retainMs: 30 * MIN, distinctValues: true, max: 200 };
let seq = 0;
const freshKey = () => `contract#${++seq}#${Math.random().toString(36).slice(2)}`;

/** One semantics for behaviour memory, whatever the adapter: memory and DynamoDB Local. */
const contract = (name: string, make: () => HistoryStore) => {
  describe(`HistoryStore contract: ${name}`, () => {
    const record = async (store: HistoryStore, key: string, spec: HistorySpec, sightings: Sighting[]) => {
      const [result] = await store.record([{ key, spec, sightings }]);
      if (!result?.ok) throw new Error(result?.error ?? 'no result');
      return result.history;
    };

    it('accumulates sightings across batches, idempotent per event id', async () => {
      const store = make();
      const key = freshKey();
      await record(store, key, perEvent, [seen('a', 'failure', 0), seen('b', 'failure', 1)]);
      const again = await record(store, key, perEvent, [seen('b', 'failure', 1), seen('c', 'failure', 2)]);
      expect(again.sightings.map((s) => s.id)).toEqual(['a', 'b', 'c']);
      expect(again.first).toBe(T0);
      expect(await record(store, key, perEvent, [])).toEqual(again);
    });

    it('keeps one sighting per value in distinct mode, with first and last seen', async () => {
      const store = make();
      const key = freshKey();
      await record(store, key, perValue, [seen('a', '192.0.2.10', 5)]);
      const h = await record(store, key, perValue, [seen('b', '192.0.2.10', 9), seen('c', '198.51.100.7', 3)]);
      expect(h.sightings).toEqual([
        { id: 'c', v: '198.51.100.7', t: T0 + 3 * MIN, last: T0 + 3 * MIN },
        { id: 'a', v: '192.0.2.10', t: T0 + 5 * MIN, last: T0 + 9 * MIN },
      ]);
    });

    it('forgets what is past retention but remembers when the key was first seen', async () => {
      const store = make();
      const key = freshKey();
      await record(store, key, perEvent, [seen('old', 'failure', 0)]);
      const h = await record(store, key, perEvent, [seen('new', 'failure', 45)]);
      expect(h.sightings.map((s) => s.id)).toEqual(['new']);
      expect(h.first).toBe(T0);
    });

    it('keeps keys apart', async () => {
      const store = make();
      const [k1, k2] = [freshKey(), freshKey()];
      const results = await store.record([
        { key: k1, spec: perEvent, sightings: [seen('a', 'x', 0)] },
        { key: k2, spec: perEvent, sightings: [seen('b', 'y', 0), seen('c', 'y', 1)] },
      ]);
      expect(results.map((r) => (r.ok ? r.history.sightings.length : -1))).toEqual([1, 2]);
    });

    it('loses no sighting when writers race on one key', async () => {
      const store = make();
      const key = freshKey();
      await Promise.all(
        Array.from({ length: 6 }, (_, i) => record(store, key, perEvent, [seen(`e${i}`, 'failure', i)])),
      );
      const h = await record(store, key, perEvent, []);
      expect(h.sightings.map((s) => s.id).sort()).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'e5']);
    });
  });
};

contract('memory', createMemoryHistoryStore);

describe('DynamoDB Local', () => {
  let client: TestDynamoDb;
  let table: string;
  beforeAll(async () => {
    client = dynamoClient(inject('dynamoEndpoint'));
    table = await createStateTable(client);
  });
  afterAll(async () => {
    await deleteTable(client, table);
    client.destroy();
  });
  contract('DynamoDB', () => createDynamoHistoryStore(client, table));

  it('memory learnt from replayed old events is not written already expired (TTL from now)', async () => {
    const now = Date.now();
    const store = createDynamoHistoryStore(client, table, { clock: { now: () => now } });
    const key = freshKey();
    await store.record([{ key, spec: perValue, sightings: [seen('a', '198.51.100.7', 0)] }]);
    const item = await client.call('GetItem', {
      TableName: table,
      Key: { pk: { S: `history#${key}` } },
      ConsistentRead: true,
    });
    expect(Number(item.Item?.ttl?.N) * 1000).toBeGreaterThan(now + perValue.retainMs);
  });
});
