import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDynamoCounterStore } from '../../functions/shared/adapters/dynamodb-counter-store.ts';
import { createMemoryCounterStore } from '../../rules/core/memory.ts';
import type { CounterStore } from '../../rules/core/ports.ts';
import type { WindowEvent, WindowParams } from '../../rules/core/window.ts';
import { createStateTable, deleteTable, dynamoClient, type TestDynamoDb } from '../support/dynamodb.ts';
import { interceptCalls } from '../support/race.ts';

const params: WindowParams = { count: 3, windowMs: 300_000, horizonMs: 3_900_000 };
const at = (id: string, minute: number): WindowEvent => ({
  id,
  t: Date.parse('2026-11-02T10:00:00Z') + minute * 60_000,
});
let keySeq = 0;
const freshKey = () => `contract#${++keySeq}#${Math.random().toString(36).slice(2)}`;

/** The same threshold semantics, whatever the adapter: run against memory and DynamoDB Local. */
const contract = (name: string, make: () => CounterStore) => {
  describe(`CounterStore contract: ${name}`, () => {
    const observe = async (store: CounterStore, key: string, events: WindowEvent[]) => {
      const [result] = await store.observe([{ key, params, events }]);
      if (!result?.ok) throw new Error(result?.error ?? 'no result');
      return result.fires;
    };

    it('fires at the Nth event inside the window, across batches', async () => {
      const store = make();
      const key = freshKey();
      expect(await observe(store, key, [at('a', 0), at('b', 1)])).toEqual([]);
      const fires = await observe(store, key, [at('c', 2)]);
      expect(fires).toEqual([{ at: at('c', 2).t, start: at('a', 0).t, ids: ['a', 'b', 'c'], replay: false }]);
    });

    it('never counts a redelivered event twice, and replays the fire it contributed to', async () => {
      const store = make();
      const key = freshKey();
      expect(await observe(store, key, [at('a', 0), at('a', 0)])).toEqual([]);
      expect(await observe(store, key, [at('a', 0), at('b', 1)])).toEqual([]);
      const fired = await observe(store, key, [at('c', 2)]);
      expect(fired).toHaveLength(1);
      expect(await observe(store, key, [at('b', 1)])).toEqual([{ ...fired[0], replay: true }]);
    });

    it('handles late events and re-arms after the window', async () => {
      const store = make();
      const key = freshKey();
      await observe(store, key, [at('b', 3), at('c', 4)]);
      expect(await observe(store, key, [at('a', 0)])).toHaveLength(1);
      expect(await observe(store, key, [at('d', 5), at('e', 6), at('f', 7)])).toEqual([]);
      expect(await observe(store, key, [at('g', 9), at('h', 10), at('i', 11)])).toHaveLength(1);
    });

    it('keeps keys independent', async () => {
      const store = make();
      const [k1, k2] = [freshKey(), freshKey()];
      const results = await store.observe([
        { key: k1, params, events: [at('1', 0), at('2', 1)] },
        { key: k2, params, events: [at('3', 0), at('4', 1), at('5', 2)] },
      ]);
      expect(results.map((r) => (r.ok ? r.fires.length : -1))).toEqual([0, 1]);
    });
  });
};

contract('memory', () => createMemoryCounterStore());

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

  contract('dynamodb', () => createDynamoCounterStore(client, table));

  it('two handlers racing on one key never fire twice', async () => {
    for (let round = 0; round < 10; round++) {
      const key = freshKey();
      const a = createDynamoCounterStore(client, table);
      const b = createDynamoCounterStore(client, table);
      // Each handler alone would not fire; together they cross the threshold exactly once.
      const [ra, rb] = await Promise.all([
        a.observe([{ key, params, events: [at(`a${round}`, 0), at(`b${round}`, 1)] }]),
        b.observe([{ key, params, events: [at(`c${round}`, 2), at(`d${round}`, 2)] }]),
      ]);
      const fires = [...(ra ?? []), ...(rb ?? [])].flatMap((r) => (r.ok ? r.fires.filter((f) => !f.replay) : []));
      expect(fires).toHaveLength(1);
    }
  });

  it('state for replayed old events is not written already expired (TTL from now, not from event time)', async () => {
    const now = Date.now();
    const store = createDynamoCounterStore(client, table, { clock: { now: () => now } });
    const key = freshKey();
    // Events from weeks ago (a replay, a backlog): DynamoDB would delete state whose TTL is in the past, and the
    // rest of the burst, arriving in the next batch, would never fire.
    await store.observe([{ key, params, events: [at('old1', 0), at('old2', 1)] }]);
    const item = await client.call('GetItem', {
      TableName: table,
      Key: { pk: { S: `counter#${key}` } },
      ConsistentRead: true,
    });
    expect(Number(item.Item?.ttl?.N) * 1000).toBeGreaterThan(now + params.horizonMs);
  });

  it('writes at most once per key per batch', async () => {
    let puts = 0;
    const counting = interceptCalls(client, (call) => (op, input) => {
      if (op === 'PutItem') puts++;
      return call(op, input);
    });
    const store = createDynamoCounterStore(counting, table);
    const key = freshKey();
    await store.observe([{ key, params, events: Array.from({ length: 40 }, (_, i) => at(`burst${i}`, i / 10)) }]);
    expect(puts).toBe(1);
    await store.observe([{ key, params, events: [at('burst1', 0.1)] }]);
    expect(puts).toBe(1);
  });
});
