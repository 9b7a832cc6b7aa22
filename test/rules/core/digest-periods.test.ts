import { describe, expect, it } from 'vitest';
import type { DigestLink } from '../../../rules/core/digest.ts';
import { buildDigest, buildHourlyChain, digestKey, hourOf, verifyChain } from '../../../rules/core/digest.ts';

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

describe('digest keys and hours', () => {
  it.each(['not a time', '', '2026-13-45T99:00:00Z'])('refuses %j as a period start or event time', (iso) => {
    expect(() => digestKey(iso)).toThrow(`not an ISO-8601 time: ${iso}`);
    expect(() => hourOf(iso)).toThrow(`not an ISO-8601 time: ${iso}`);
  });

  it.each([
    ['2026-11-02T10:00:00Z', 'digests/dt=2026-11-02/20261102T100000Z.json'],
    ['2026-11-02T10:00:00.000Z', 'digests/dt=2026-11-02/20261102T100000Z.json'],
    ['2026-11-02T23:59:59.999Z', 'digests/dt=2026-11-02/20261102T235959Z.json'],
    ['2026-11-02T12:00:00+02:00', 'digests/dt=2026-11-02/20261102T100000Z.json'],
  ])('names the digest of a period starting %s in UTC, to the second', (start, key) => {
    expect(digestKey(start)).toBe(key);
  });

  it('chains hours in period order whatever order the objects come in', () => {
    const at = (id: string, writtenAt: string) => ({
      key: `findings/dt=2026-11-02/low/${id}.json`,
      bytes: id,
      writtenAt,
    });
    const objects = [at('c', '2026-11-02T13:10:00Z'), at('a', '2026-11-02T10:10:00Z'), at('b', '2026-11-02T11:10:00Z')];
    const chain = buildHourlyChain(objects);
    expect(chain.map((d) => [d.digest.periodStart, d.digest.periodEnd, d.digest.objects.map((o) => o.key)])).toEqual([
      ['2026-11-02T10:00:00Z', '2026-11-02T11:00:00Z', ['findings/dt=2026-11-02/low/a.json']],
      ['2026-11-02T11:00:00Z', '2026-11-02T12:00:00Z', ['findings/dt=2026-11-02/low/b.json']],
      ['2026-11-02T13:00:00Z', '2026-11-02T14:00:00Z', ['findings/dt=2026-11-02/low/c.json']],
    ]);
    expect(chain.map((d) => d.digest.previousDigestKey)).toEqual([null, chain[0]?.key, chain[1]?.key]);
  });

  it('lists a period’s objects by key, sizes in bytes (not characters)', () => {
    const built = buildDigest({
      periodStart: '2026-11-02T10:00:00Z',
      periodEnd: '2026-11-02T11:00:00Z',
      objects: [
        { key: 'findings/b.json', bytes: 'é' },
        { key: 'findings/a.json', bytes: new Uint8Array([1, 2, 3]) },
        { key: 'findings/c.json', bytes: 'x' },
      ],
      previous: null,
    });
    expect(built.digest.objects.map((o) => [o.key, o.size])).toEqual([
      ['findings/a.json', 3],
      ['findings/b.json', 2],
      ['findings/c.json', 1],
    ]);
  });
});
