import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createDynamoHeartbeatStore } from '../../functions/shared/adapters/dynamodb-heartbeat-store.ts';
import type { OpenSilence } from '../../rules/core/health.ts';
import { createMemoryHeartbeatStore } from '../../rules/core/memory.ts';
import type { HeartbeatStore } from '../../rules/core/ports.ts';
import { createStateTable, deleteTable, dynamoClient, type TestDynamoDb } from '../support/dynamodb.ts';
import { interceptCalls } from '../support/race.ts';
import { sampleFinding } from './support.ts';

const T0 = Date.parse('2026-11-02T10:00:00Z');
const silence = (lastEventMs: number, findingId = 'f-1'): OpenSilence => ({
  findingId,
  lastEventMs,
  finding: sampleFinding({ id: findingId, ruleId: 'health.pipeline-silent' }),
});

/** The same heartbeat semantics, whatever the adapter: memory and DynamoDB Local. */
const contract = (name: string, make: () => HeartbeatStore) => {
  describe(`HeartbeatStore contract: ${name}`, () => {
    it('lists nothing before any event', async () => {
      expect(await make().list()).toEqual([]);
    });

    it('only moves forward, per account and region', async () => {
      const store = make();
      await store.advance([
        { account: '111122223333', region: 'eu-west-1', timeMs: T0 + 5 },
        { account: '111122223333', region: 'us-east-1', timeMs: T0 },
      ]);
      await store.advance([{ account: '111122223333', region: 'eu-west-1', timeMs: T0 + 1 }]);
      await store.advance([{ account: '111122223333', region: 'us-east-1', timeMs: T0 + 9 }]);
      const beats = [...(await store.list())].sort((a, b) => a.region.localeCompare(b.region));
      expect(beats).toEqual([
        { account: '111122223333', region: 'eu-west-1', lastEventMs: T0 + 5 },
        { account: '111122223333', region: 'us-east-1', lastEventMs: T0 + 9 },
      ]);
    });

    it('remembers a silence only while the heartbeat has not moved, and clears it once', async () => {
      const store = make();
      await store.advance([{ account: '444455556666', region: 'eu-west-1', timeMs: T0 }]);
      expect(await store.markSilent('444455556666', 'eu-west-1', silence(T0 - 1))).toBe(false);
      expect(await store.markSilent('444455556666', 'eu-west-1', silence(T0))).toBe(true);
      expect((await store.list())[0]?.silence).toEqual(silence(T0));
      await store.advance([{ account: '444455556666', region: 'eu-west-1', timeMs: T0 + 1 }]);
      expect((await store.list())[0]).toMatchObject({ lastEventMs: T0 + 1, silence: silence(T0) });
      expect(await store.clearSilence('444455556666', 'eu-west-1', 'other')).toBe(false);
      expect(await store.clearSilence('444455556666', 'eu-west-1', 'f-1')).toBe(true);
      expect(await store.clearSilence('444455556666', 'eu-west-1', 'f-1')).toBe(false);
      expect((await store.list())[0]).toEqual({ account: '444455556666', region: 'eu-west-1', lastEventMs: T0 + 1 });
    });
  });
};

contract('memory', () => createMemoryHeartbeatStore());

describe('DynamoDB Local', () => {
  let client: TestDynamoDb;
  const tables: string[] = [];
  beforeAll(() => {
    client = dynamoClient(inject('dynamoEndpoint'));
  });
  afterAll(async () => {
    for (const t of tables) await deleteTable(client, t);
    client.destroy();
  });
  // The index item is per table: each contract case gets a fresh table.
  const fresh = async () => {
    const table = await createStateTable(client);
    tables.push(table);
    return createDynamoHeartbeatStore(client, table);
  };

  describe('dynamodb', () => {
    let tableStore: HeartbeatStore;
    const lazy: HeartbeatStore = {
      advance: (b) => tableStore.advance(b),
      list: () => tableStore.list(),
      markSilent: (a, r, s) => tableStore.markSilent(a, r, s),
      clearSilence: (a, r, id) => tableStore.clearSilence(a, r, id),
    };
    beforeEach(async () => {
      tableStore = await fresh();
    });
    contract('dynamodb', () => lazy);
  });

  it('sends one conditional UpdateItem per account+region per batch, and none for the index once known', async () => {
    const table = await createStateTable(client);
    tables.push(table);
    const sent: { name: string; input: unknown }[] = [];
    const counting = interceptCalls(client, (call) => (op, input) => {
      sent.push({ name: op, input });
      return call(op, input);
    });
    const store = createDynamoHeartbeatStore(counting, table);
    await store.advance([{ account: '111122223333', region: 'eu-west-1', timeMs: T0 }]);
    expect(sent.map((s) => s.name)).toEqual(['UpdateItem', 'UpdateItem']);
    expect(sent[0]?.input).toMatchObject({
      UpdateExpression: 'SET t = :t, a = :a, r = :r',
      ConditionExpression: 'attribute_not_exists(t) OR t < :t',
    });
    sent.length = 0;
    await store.advance([{ account: '111122223333', region: 'eu-west-1', timeMs: T0 + 1 }]);
    await store.advance([{ account: '111122223333', region: 'eu-west-1', timeMs: T0 }]);
    expect(sent.map((s) => s.name)).toEqual(['UpdateItem', 'UpdateItem']);
  });
});
