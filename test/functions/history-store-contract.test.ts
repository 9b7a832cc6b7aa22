import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDynamoHistoryStore } from '../../functions/shared/adapters/dynamodb-history-store.ts';
import type { DynamoDb } from '../../functions/shared/adapters/dynamodb-port.ts';
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
  /** The real client, counting what it sends by operation; `around` may change a BatchGetItem's answer. */
  const counting = (around?: (input: unknown, answer: () => Promise<object>) => Promise<object>) => {
    const sent: Record<string, number> = {};
    const port: DynamoDb = {
      call: ((op: string, input: object) => {
        sent[op] = (sent[op] ?? 0) + 1;
        const answer = () => (client as unknown as DynamoDb).call(op as 'GetItem', input as never) as Promise<object>;
        return op === 'BatchGetItem' && around !== undefined ? around(input, answer) : answer();
      }) as DynamoDb['call'],
    };
    return { port, sent };
  };
  const many = (n: number, v: string) =>
    Array.from({ length: n }, (_, i) => ({
      key: `${freshKey()}#${i}`,
      spec: perValue,
      sightings: [seen(`e${i}`, v, 0)],
    }));

  it('reads a batch of keys 100 a request, and writes only the histories that changed', async () => {
    const { port, sent } = counting();
    const store = createDynamoHistoryStore(port, table);
    const requests = many(250, '198.51.100.7');
    const first = await store.record(requests);
    expect(first.every((r) => r.ok)).toBe(true);
    expect(sent).toEqual({ BatchGetItem: 3, PutItem: 250 });
    const again = await store.record(requests);
    expect(sent).toEqual({ BatchGetItem: 6, PutItem: 250 });
    expect(again).toEqual(first);
  });

  it('asks again for keys DynamoDB left unprocessed, and reads a key itself when the batch read fails', async () => {
    const requests = many(5, '203.0.113.9');
    await createDynamoHistoryStore(client, table).record(requests);
    const later = requests.map((r) => ({ ...r, sightings: [seen('x', 'new', 9)] }));
    // First answer: two keys unprocessed and left out of the responses, as DynamoDB does under throttling.
    let rounds = 0;
    const partial = counting(async (input, answer) => {
      const out = (await answer()) as { Responses: Record<string, { pk: { S: string } }[]> };
      if (rounds++ > 0) return out;
      const keys = (input as { RequestItems: Record<string, { Keys: { pk: { S: string } }[] }> }).RequestItems[table]
        ?.Keys;
      const left = new Set((keys ?? []).slice(0, 2).map((k) => k.pk.S));
      return {
        Responses: { [table]: (out.Responses[table] ?? []).filter((i) => !left.has(i.pk.S)) },
        UnprocessedKeys: { [table]: { Keys: [...left].map((S) => ({ pk: { S } })), ConsistentRead: true } },
      };
    });
    const viaRetry = await createDynamoHistoryStore(partial.port, table).record(later);
    expect(partial.sent).toEqual({ BatchGetItem: 2, PutItem: 5 });
    expect(viaRetry.map((r) => (r.ok ? r.history.sightings.map((s) => s.v) : r.error))).toEqual(
      requests.map(() => ['203.0.113.9', 'new']),
    );

    const failing = counting(async () => {
      throw Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' });
    });
    const viaGets = await createDynamoHistoryStore(failing.port, table).record(
      requests.map((r) => ({ ...r, sightings: [seen('y', 'newer', 10)] })),
    );
    expect(failing.sent).toEqual({ BatchGetItem: 1, GetItem: 5, PutItem: 5 });
    expect(viaGets.map((r) => (r.ok ? r.history.sightings.map((s) => s.v) : r.error))).toEqual(
      requests.map(() => ['203.0.113.9', 'new', 'newer']),
    );
  });

  it('loses no sighting when another writer changes a key between the batch read and the write', async () => {
    const key = freshKey();
    const other = createDynamoHistoryStore(client, table);
    const racing = counting(async (_input, answer) => {
      const out = await answer();
      await other.record([{ key, spec: perValue, sightings: [seen('theirs', '192.0.2.1', 1)] }]);
      return out;
    });
    const [result] = await createDynamoHistoryStore(racing.port, table).record([
      { key, spec: perValue, sightings: [seen('ours', '192.0.2.2', 2)] },
    ]);
    // The conditional write fails on the stale read; the store reads again (GetItem) and merges.
    expect(racing.sent).toEqual({ BatchGetItem: 1, PutItem: 2, GetItem: 1 });
    expect(result?.ok && result.history.sightings.map((s) => s.id)).toEqual(['theirs', 'ours']);
  });
});
