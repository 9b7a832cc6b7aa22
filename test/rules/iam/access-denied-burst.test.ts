import { describe, expect, it } from 'vitest';
import { DEFAULT_DETECTION_CONFIG } from '../../../rules/core/config.ts';
import { createDetector } from '../../../rules/core/detector.ts';
import { buildCatalogue } from '../../../rules/core/engine.ts';
import { fromRecord } from '../../../rules/core/events.ts';
import type { Finding } from '../../../rules/core/finding.ts';
import { createMemoryCounterStore, createMemoryLedger } from '../../../rules/core/memory.ts';
import type { AuditEvent } from '../../../rules/core/types.ts';
import type { Overrides } from '../../../rules/fixtures/index.ts';
import { fixture } from '../../../rules/fixtures/index.ts';
import { rule } from '../../../rules/iam/access-denied-burst.rule.ts';

let seq = 0;
/** A denied call `second` seconds after 16:00, alternating IAM and EC2 discovery calls. */
const denied = (second: number, overrides: Overrides = {}): AuditEvent => {
  seq++;
  const parsed = fromRecord(
    fixture(seq % 2 === 0 ? 'iam/ListUsers-denied' : 'ec2/DescribeInstances-denied', {
      eventID: `7c3e9a1b-2d4f-4a6c-8e0b-${String(seq).padStart(12, '0')}`,
      eventTime: new Date(Date.UTC(2026, 10, 2, 16, 0, second)).toISOString().replace('.000', ''),
      ...overrides,
    }),
  );
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.event;
};

const run = async (events: readonly AuditEvent[]): Promise<Finding[]> => {
  const delivered: Finding[] = [];
  const detector = createDetector({
    catalogue: buildCatalogue([rule]),
    config: DEFAULT_DETECTION_CONFIG,
    counters: createMemoryCounterStore(),
    ledger: createMemoryLedger(),
    sink: { deliver: async (f) => void delivered.push(f), fold: async () => {} },
  });
  await detector.process(events);
  return delivered;
};

const SESSION = 'arn:aws:sts::111122223333:assumed-role/app-runtime/i-0f1e2d3c4b5a69788';

describe('iam.access-denied-burst', () => {
  it('groups by account and the acting session, and names the role behind it', () => {
    const e = denied(0);
    expect(rule.threshold?.groupBy(e)).toBe(`111122223333|${SESSION}`);
    expect(rule.dedup.key(e)).toBe(`111122223333|${SESSION}`);
    expect(rule.resources(e)).toEqual(['arn:aws:iam::111122223333:role/app-runtime']);
  });

  it.each([
    [19, 0],
    [20, 1],
    [21, 1],
  ])('%i denials within 10 minutes gives %i finding', async (n, findings) => {
    const delivered = await run(Array.from({ length: n }, (_, i) => denied(i * 20)));
    expect(delivered).toHaveLength(findings);
    if (findings > 0) {
      expect(delivered[0]).toMatchObject({ ruleId: 'iam.access-denied-burst', severity: 'medium', count: 20 });
    }
  });

  it('does not fire when 20 denials take longer than 10 minutes', async () => {
    expect(await run(Array.from({ length: 20 }, (_, i) => denied(i * 40)))).toHaveLength(0);
  });

  it('does not add up different sessions of the same role', async () => {
    const session = (n: number) => ({
      userIdentity: {
        principalId: `AROAJ2UCCR6DPCEXAMPLE:alice-${n}@example.com`,
        arn: `arn:aws:sts::111122223333:assumed-role/app-runtime/alice-${n}@example.com`,
      },
    });
    // 30 denials in 5 minutes, split between two sessions: 15 each.
    expect(await run(Array.from({ length: 30 }, (_, i) => denied(i * 10, session(i % 2))))).toHaveLength(0);
  });

  it('ignores successes and errors that are not denials', async () => {
    const noise = Array.from({ length: 30 }, (_, i) =>
      denied(i * 10, i % 2 === 0 ? { errorCode: 'Throttling' } : { errorCode: undefined, errorMessage: undefined }),
    );
    expect(await run(noise)).toHaveLength(0);
  });
});
