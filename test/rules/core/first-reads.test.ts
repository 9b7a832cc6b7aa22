import { describe, expect, it } from 'vitest';
import type { CloudTrailRecord } from '../../../rules/core/cloudtrail.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../../rules/core/config.ts';
import { createDetector } from '../../../rules/core/detector.ts';
import { buildCatalogue } from '../../../rules/core/engine.ts';
import { fromRecord } from '../../../rules/core/events.ts';
import type { Finding } from '../../../rules/core/finding.ts';
import { isFirstRead, readerOf } from '../../../rules/core/first-reads.ts';
import { createMemoryCounterStore, createMemoryHistoryStore, createMemoryLedger } from '../../../rules/core/memory.ts';
import type { CounterStore } from '../../../rules/core/ports.ts';
import type { AuditEvent } from '../../../rules/core/types.ts';
import { fixture } from '../../../rules/fixtures/index.ts';
import { rule as secretsBurst } from '../../../rules/secretsmanager/secrets-retrieved-burst.rule.ts';
import { rule as parametersBurst } from '../../../rules/ssm/parameters-decrypted-burst.rule.ts';

/**
 * The read-burst rules count only reads new to the identity: an application re-reading its own secrets all day
 * reaches no counter (no DynamoDB write), while a dump of secrets the identity never read still fires.
 */

const ROLE = 'arn:aws:iam::111122223333:role/payments-api';
const sessionOf = (name: string): CloudTrailRecord['userIdentity'] => ({
  type: 'AssumedRole',
  principalId: `AROA3XFRBF23EXAMPLE7:${name}`,
  arn: `arn:aws:sts::111122223333:assumed-role/payments-api/${name}`,
  accountId: '111122223333',
  sessionContext: { sessionIssuer: { type: 'Role', arn: ROLE, accountId: '111122223333', userName: 'payments-api' } },
});

let seq = 0;
const read = (secretId: string, atMs: number, session: string, extra: Record<string, unknown> = {}): AuditEvent => {
  const parsed = fromRecord(
    fixture('secretsmanager/GetSecretValue', {
      eventID: `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`,
      eventTime: new Date(atMs).toISOString(),
      userIdentity: sessionOf(session),
      requestParameters: { secretId },
      ...extra,
    }),
  );
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.event;
};

/** The memory counter store, counting the events that reach it (each key with events is a write in DynamoDB). */
const countingCounters = () => {
  const inner = createMemoryCounterStore();
  const seen: string[] = [];
  const store: CounterStore = {
    observe: (requests) => {
      for (const r of requests) for (const _ of r.events) seen.push(r.key);
      return inner.observe(requests);
    },
  };
  return { store, seen };
};

const setup = () => {
  const counters = countingCounters();
  const delivered: Finding[] = [];
  const detector = createDetector({
    catalogue: buildCatalogue([secretsBurst, parametersBurst]),
    config: DEFAULT_DETECTION_CONFIG,
    counters: counters.store,
    ledger: createMemoryLedger(),
    history: createMemoryHistoryStore(),
    sink: { deliver: async (f) => void delivered.push(f), fold: async () => undefined },
  });
  return { detector, counted: counters.seen, delivered };
};

const T0 = Date.parse('2026-11-02T06:00:00Z');
const MINUTE = 60_000;

describe('isFirstRead', () => {
  const history = { first: 0, sightings: [{ id: 'a', v: 'prod/db', t: 1, last: 2 }] };
  it.each([
    { value: 'prod/db', known: history, first: false },
    { value: 'prod/api', known: history, first: true },
    { value: 'prod/db', known: undefined, first: true },
    { value: undefined, known: history, first: true },
  ])('$value with history $known.sightings.length → first: $first', ({ value, known, first }) => {
    expect(isFirstRead(value, known)).toBe(first);
  });

  it('remembers per role, not per session: new instances of an application are the same reader', () => {
    const recordOf = (e: AuditEvent): CloudTrailRecord => {
      if (e.kind !== 'cloudtrail') throw new Error('not a CloudTrail event');
      return e.record;
    };
    const a = recordOf(read('prod/db', T0, 'i-0a1b2c3d4e5f60718'));
    const b = recordOf(read('prod/db', T0, 'i-0fedcba9876543210'));
    expect(readerOf(a)).toBe(`111122223333|${ROLE}`);
    expect(readerOf(b)).toBe(readerOf(a));
  });
});

describe('read bursts count only what the identity never read', () => {
  it('an application re-reading its three secrets all day from many instances reaches the counter three times', async () => {
    const { detector, counted, delivered } = setup();
    const secrets = ['prod/payments/db', 'prod/payments/stripe', 'prod/payments/jwt'];
    // 12 batches (one every ~2 hours), each with 30 reads from 6 instances.
    for (let batch = 0; batch < 12; batch++) {
      const events = Array.from({ length: 30 }, (_, i) =>
        read(secrets[i % 3] ?? 'x', T0 + batch * 120 * MINUTE + i * 1000, `i-0a1b2c3d4e5f6071${i % 6}`),
      );
      await detector.process(events);
    }
    expect(counted).toHaveLength(3);
    expect(delivered).toHaveLength(0);
  });

  it("a dump of secrets the role never read, with the application's session, still fires", async () => {
    const { detector, delivered } = setup();
    await detector.process([read('prod/payments/db', T0, 'i-0a1b2c3d4e5f60710')]);
    const dump = Array.from({ length: 10 }, (_, i) =>
      read(`prod/other/secret-${i}`, T0 + 60 * MINUTE + i * 1000, 'i-0a1b2c3d4e5f60710'),
    );
    await detector.process(dump);
    expect(delivered.map((f) => f.ruleId)).toEqual(['secretsmanager.secrets-retrieved-burst']);
  });

  it('secrets read before do not count toward the dump: nine new ones and the known one do not fire', async () => {
    const { detector, delivered } = setup();
    await detector.process([read('prod/payments/db', T0, 'i-0a1b2c3d4e5f60710')]);
    const reads = [
      ...Array.from({ length: 9 }, (_, i) => read(`prod/other/secret-${i}`, T0 + 60 * MINUTE + i * 1000, 'x')),
      read('prod/payments/db', T0 + 60 * MINUTE + 30_000, 'x'),
    ];
    await detector.process(reads);
    expect(delivered).toHaveLength(0);
  });

  it('a refused read does not make a secret known: the later successful read counts', async () => {
    const { detector, counted } = setup();
    await detector.process([
      read('prod/payments/db', T0, 's', { errorCode: 'AccessDeniedException', errorMessage: 'not authorized' }),
    ]);
    await detector.process([read('prod/payments/db', T0 + MINUTE, 's')]);
    expect(counted).toHaveLength(1);
  });

  it('reads whose secret CloudTrail did not record each count as another secret', async () => {
    const { detector, delivered } = setup();
    const reads = Array.from({ length: 10 }, (_, i) =>
      read('unused', T0 + i * 1000, 's', { requestParameters: undefined }),
    );
    await detector.process(reads);
    expect(delivered.map((f) => f.ruleId)).toEqual(['secretsmanager.secrets-retrieved-burst']);
  });

  it('the same batch redelivered judges the same reads as new (history sees only what came before)', async () => {
    const { detector, counted } = setup();
    const batch = [read('prod/a', T0, 's'), read('prod/b', T0 + 1000, 's'), read('prod/a', T0 + 2000, 's')];
    await detector.process(batch);
    const first = counted.length;
    await detector.process(batch);
    expect(first).toBe(2);
    expect(counted).toHaveLength(4);
  });
});
