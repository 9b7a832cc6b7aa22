import { describe, expect, it } from 'vitest';
import type { DigestLink } from '../../../rules/core/digest.ts';
import { buildDigest, verifyChain } from '../../../rules/core/digest.ts';

/** Edges of digest periods: their length, and how consecutive periods may meet. */

const digest = (periodStart: string, periodEnd: string, previous: DigestLink | null = null) =>
  buildDigest({ periodStart, periodEnd, objects: [], previous });

describe('digest periods', () => {
  it.each([
    ['zero-length', '2026-11-02T10:00:00Z', '2026-11-02T10:00:00Z'],
    ['backwards', '2026-11-02T11:00:00Z', '2026-11-02T10:00:00Z'],
    ['backwards by one second', '2026-11-02T10:00:01Z', '2026-11-02T10:00:00Z'],
    ['zero-length after rounding to the second', '2026-11-02T10:00:00.100Z', '2026-11-02T10:00:00.900Z'],
  ])('refuses a %s period', (_why, periodStart, periodEnd) => {
    expect(() => digest(periodStart, periodEnd)).toThrow(/^digest period ends \(.+\) before it starts \(.+\)$/);
  });

  it('accepts a one-second period, and names it by its start', () => {
    const built = digest('2026-11-02T10:00:00Z', '2026-11-02T10:00:01Z');
    expect(built.digest).toMatchObject({ periodStart: '2026-11-02T10:00:00Z', periodEnd: '2026-11-02T10:00:01Z' });
    expect(built.key).toBe('digests/dt=2026-11-02/20261102T100000Z.json');
  });

  it.each([
    ['meet end to start', '2026-11-02T11:00:00Z', true],
    ['leave a gap (an empty period not written)', '2026-11-02T12:00:00Z', true],
    ['overlap by one second', '2026-11-02T10:59:59Z', false],
  ])('consecutive periods that %s verify: %s', (_why, secondStart, ok) => {
    const first = digest('2026-11-02T10:00:00Z', '2026-11-02T11:00:00Z');
    const second = digest(secondStart, '2026-11-02T13:00:00Z', first);
    const report = verifyChain([
      { key: first.key, bytes: first.body },
      { key: second.key, bytes: second.body },
    ]);
    expect(report.ok).toBe(ok);
    if (!ok) {
      expect(report.problems).toEqual([
        {
          kind: 'out-of-order',
          key: second.key,
          level: 'failure',
          detail: `period starts ${secondStart}, before ${first.key}'s period ends 2026-11-02T11:00:00Z`,
        },
      ]);
    }
  });
});
