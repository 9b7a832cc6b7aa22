import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createDynamoLedger } from '../../functions/shared/adapters/dynamodb-ledger.ts';
import { DeliveryInProgress } from '../../rules/core/ports.ts';
import { createStateTable, deleteTable, dynamoClient, type TestDynamoDb } from '../support/dynamodb.ts';
import { heldRead, readBarrier } from '../support/race.ts';
import { sampleFinding } from './support.ts';

const HOUR = 3_600_000;

describe('DynamoDB ledger (DynamoDB Local)', () => {
  let client: TestDynamoDb;
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

  // The races below interleave real requests against DynamoDB Local: every racer reads before any writes. Without
  // the ledger's conditional writes each of them would decide on the stale read and page, or lose a fold.
  it('of four handlers admitting the same new finding at once, exactly one pages', async () => {
    const raced = readBarrier(client, 4);
    const racers = ['a', 'b', 'c', 'd'].map((t) => createDynamoLedger(raced, table, { clock, token: t }));
    const results = await Promise.allSettled(racers.map((l) => l.admit(finding, key, HOUR)));
    const delivered = results.filter((r) => r.status === 'fulfilled' && r.value.kind === 'deliver');
    expect(delivered).toHaveLength(1);
    // The losers re-read, see the winner's claim, and leave the finding to it (their messages are retried).
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    expect(refused).toHaveLength(3);
    for (const reason of refused) expect(reason).toBeInstanceOf(DeliveryInProgress);
  });

  it('repeats folded by racing handlers are all counted: no fold overwrites another', async () => {
    const a = ledger('a');
    await a.admit(finding, key, HOUR);
    await a.delivered(finding, key);
    const raced = readBarrier(client, 3);
    const repeats = ['e2', 'e3', 'e4'].map((id, i) =>
      sampleFinding({
        id: `${i}`.repeat(32),
        firstSeen: `2026-11-02T10:1${i}:00.000Z`,
        lastSeen: `2026-11-02T10:1${i}:00.000Z`,
        eventIds: [id],
        count: 1,
      }),
    );
    const results = await Promise.all(
      repeats.map((r, i) => createDynamoLedger(raced, table, { clock, token: `r${i}` }).admit(r, key, HOUR)),
    );
    expect(results.map((r) => r.kind)).toEqual(['fold', 'fold', 'fold']);
    const item = await client.call('GetItem', {
      TableName: table,
      Key: { pk: { S: `dedup#${key}` } },
      ConsistentRead: true,
    });
    const stored = JSON.parse(item.Item?.f?.S ?? '{}') as { count: number; eventIds: string[]; lastSeen: string };
    expect(stored.count).toBe(4);
    expect([...stored.eventIds].sort()).toEqual(['e1', 'e2', 'e3', 'e4']);
    expect(stored.lastSeen).toBe('2026-11-02T10:12:00.000Z');
  });

  it('a fold that read before delivery was recorded does not undo it: the finding never pages twice', async () => {
    const a = ledger('a');
    expect((await a.admit(finding, key, HOUR)).kind).toBe('deliver');
    const held = heldRead(client);
    const repeat = sampleFinding({
      id: 'f'.repeat(32),
      firstSeen: '2026-11-02T10:30:00.000Z',
      lastSeen: '2026-11-02T10:30:00.000Z',
      eventIds: ['e2'],
      count: 1,
    });
    // b reads the entry while a's delivery is still in flight (d = false), a records delivery, then b writes.
    const folding = createDynamoLedger(held.client, table, { clock, token: 'b' }).admit(repeat, key, HOUR);
    await held.read;
    await a.delivered(finding, key);
    held.release();
    expect((await folding).kind).toBe('fold');
    expect((await ledger('c').admit(finding, key, HOUR)).kind).toBe('duplicate');
  });

  it('a replayed old finding is not written already expired (TTL from now, not from event time)', async () => {
    await ledger('a').admit(finding, key, HOUR);
    const item = await client.call('GetItem', {
      TableName: table,
      Key: { pk: { S: `dedup#${key}` } },
      ConsistentRead: true,
    });
    expect(Number(item.Item?.ttl?.N) * 1000).toBeGreaterThan(now + HOUR);
  });
});
