import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDynamoIncidentStore } from '../../functions/shared/adapters/dynamodb-incident-store.ts';
import { itemKey } from '../../functions/shared/adapters/dynamodb-keys.ts';
import type { Finding } from '../../rules/core/finding.ts';
import { DEFAULT_INCIDENT_CONFIG, incidentScope } from '../../rules/core/incident.ts';
import { createMemoryIncidentStore } from '../../rules/core/memory.ts';
import type { IncidentResult, IncidentStore } from '../../rules/core/ports.ts';
import type { Severity } from '../../rules/core/vocabulary.ts';
import { createStateTable, deleteTable, dynamoClient, type TestDynamoDb } from '../support/dynamodb.ts';
import { interceptCalls } from '../support/race.ts';
import { sampleFinding } from './support.ts';

const T0 = Date.parse('2026-11-02T10:00:00.000Z');
let seq = 0;
/** A fresh actor per test: the table is shared, and incidents are kept per actor. */
const freshActor = () => `arn:aws:iam::111122223333:user/actor-${++seq}-${Math.random().toString(36).slice(2, 8)}`;
const finding = (actor: string, minute: number, severity: Severity): Finding =>
  sampleFinding({
    id: `${String(++seq).padStart(8, '0')}${'0'.repeat(24)}`,
    severity,
    actor: { arn: actor, type: 'IAMUser' },
    firstSeen: new Date(T0 + minute * 60_000).toISOString(),
    lastSeen: new Date(T0 + minute * 60_000).toISOString(),
  });
const ok = (results: readonly IncidentResult[]) =>
  results.map((r) => {
    if (!r.ok) throw new Error(r.error);
    return r;
  });

/** One semantics whatever the adapter: memory (CLI) and DynamoDB Local (Lambda). */
const contract = (name: string, make: () => IncidentStore) => {
  describe(`IncidentStore contract: ${name}`, () => {
    it('groups one actor’s findings into one incident across batches, paging once and escalating once', async () => {
      const store = make();
      const actor = freshActor();
      const first = ok(
        await store.correlate([finding(actor, 0, 'high'), finding(actor, 5, 'medium')], DEFAULT_INCIDENT_CONFIG),
      );
      const second = ok(await store.correlate([finding(actor, 30, 'critical')], DEFAULT_INCIDENT_CONFIG));
      expect([...first, ...second].map((r) => r.kind)).toEqual(['page', 'update', 'escalation']);
      expect(new Set([...first, ...second].map((r) => r.incident.id)).size).toBe(1);
      expect(second[0]?.incident).toMatchObject({ revision: 3, severity: 'critical', pagedSeverity: 'critical' });
    });

    it('keeps actors, and drills, apart', async () => {
      const store = make();
      const a = freshActor();
      const b = freshActor();
      const drill = { ...finding(a, 1, 'high'), drill: true };
      const results = ok(
        await store.correlate([finding(a, 0, 'high'), finding(b, 0, 'high'), drill], DEFAULT_INCIDENT_CONFIG),
      );
      expect(results.map((r) => r.kind)).toEqual(['page', 'page', 'page']);
      expect(new Set(results.map((r) => r.incident.id)).size).toBe(3);
    });

    it('a redelivered batch gets the same incidents and kinds back', async () => {
      const store = make();
      const actor = freshActor();
      const batch = [finding(actor, 0, 'high'), finding(actor, 1, 'critical'), finding(actor, 2, 'high')];
      const once = ok(await store.correlate(batch, DEFAULT_INCIDENT_CONFIG));
      const again = ok(await store.correlate([...batch].reverse(), DEFAULT_INCIDENT_CONFIG));
      expect(again).toEqual(once);
      expect(once.map((r) => r.kind)).toEqual(['page', 'escalation', 'update']);
    });
  });
};

contract('memory', () => createMemoryIncidentStore());

describe('DynamoDB incident store (DynamoDB Local)', () => {
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

  /**
   * A client that counts writes and holds every write until `readers` reads have returned: each racing handler
   * reads the same (empty) state before any of them writes, so the race really happens.
   */
  const racingClient = (readers: number) => {
    let reads = 0;
    let writes = 0;
    let open: () => void = () => {};
    const allRead = new Promise<void>((resolve) => {
      open = resolve;
    });
    const proxy = interceptCalls(client, (call) => async (op, input) => {
      if (op === 'PutItem') {
        await allRead;
        writes++;
        return call(op, input);
      }
      const out = await call(op, input);
      if (op === 'GetItem' && ++reads >= readers) open();
      return out;
    });
    return { client: proxy, writes: () => writes };
  };

  contract('DynamoDB Local', () => createDynamoIncidentStore(client, table));

  it('two handlers placing one actor’s findings at once open ONE incident and page ONCE', async () => {
    const actor = freshActor();
    const racing = racingClient(2);
    const [a, b] = [createDynamoIncidentStore(racing.client, table), createDynamoIncidentStore(racing.client, table)];
    const [ra, rb] = await Promise.all([
      a.correlate([finding(actor, 0, 'high')], DEFAULT_INCIDENT_CONFIG),
      b.correlate([finding(actor, 1, 'high')], DEFAULT_INCIDENT_CONFIG),
    ]);
    const results = ok([...(ra ?? []), ...(rb ?? [])]);
    expect(new Set(results.map((r) => r.incident.id)).size).toBe(1);
    expect(results.map((r) => r.kind).sort()).toEqual(['page', 'update']);
    // Both wrote against the empty item; one lost the condition, re-read, and joined: three puts, two succeeded.
    expect(racing.writes()).toBe(3);
    const stored = await client.call('GetItem', {
      TableName: table,
      Key: { pk: { S: itemKey('incident', incidentScope(finding(actor, 0, 'high'))) } },
      ConsistentRead: true,
    });
    const state = JSON.parse(stored.Item?.s?.S ?? '{}') as { incidents: { findingIds: string[]; pages: unknown[] }[] };
    expect(state.incidents).toHaveLength(1);
    expect(state.incidents[0]?.findingIds).toHaveLength(2);
    expect(state.incidents[0]?.pages).toHaveLength(1);
    expect(Number(stored.Item?.ttl?.N)).toBeGreaterThan(Date.now() / 1000);
  });

  it('six handlers at once: still one incident, one page, every finding in it', async () => {
    const actor = freshActor();
    const racing = racingClient(6);
    const results = ok(
      (
        await Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            createDynamoIncidentStore(racing.client, table).correlate(
              [finding(actor, i, 'high')],
              DEFAULT_INCIDENT_CONFIG,
            ),
          ),
        )
      ).flat(),
    );
    expect(new Set(results.map((r) => r.incident.id)).size).toBe(1);
    expect(results.filter((r) => r.kind === 'page')).toHaveLength(1);
    const final = results.reduce((best, r) => (r.incident.revision > best.incident.revision ? r : best));
    expect(final.incident.findingIds).toHaveLength(6);
  });

  it('writes at most once per actor per batch, and nothing for a redelivered batch', async () => {
    const actors = [freshActor(), freshActor()];
    const racing = racingClient(0);
    const store = createDynamoIncidentStore(racing.client, table);
    const batch = actors.flatMap((actor) => [0, 1, 2, 3].map((m) => finding(actor, m, m === 3 ? 'critical' : 'high')));
    await store.correlate(batch, DEFAULT_INCIDENT_CONFIG);
    expect(racing.writes()).toBe(2);
    await store.correlate(batch, DEFAULT_INCIDENT_CONFIG);
    expect(racing.writes()).toBe(2);
  });
});
