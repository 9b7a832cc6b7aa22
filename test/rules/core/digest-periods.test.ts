import { describe, expect, it } from 'vitest';
import {
  buildHourlyChain,
  DIGEST_PREFIX,
  digestKey,
  HOUR_MS,
  hourOf,
  isoBasic,
  unsignedDigest,
} from '../../../rules/core/digest.ts';
import { newSigner } from '../../support/signing.ts';

/** Digest periods: how times are normalised, which periods are refused, and which hours a chain covers. */
describe('digest period times', () => {
  it('writes times in ISO basic UTC, whole seconds, from any offset', () => {
    expect(isoBasic('2026-11-02T10:00:00.999Z')).toBe('20261102T100000Z');
    expect(isoBasic('2026-11-02T12:30:05+02:00')).toBe('20261102T103005Z');
    expect(isoBasic('2026-11-02T23:59:59-01:00')).toBe('20261103T005959Z');
  });

  it('refuses what is not a time, naming it', () => {
    expect(() => isoBasic('yesterday')).toThrow('not an ISO-8601 time: yesterday');
    expect(() => digestKey('')).toThrow('not an ISO-8601 time: ');
    expect(() => hourOf('25:00')).toThrow('not an ISO-8601 time: 25:00');
  });

  it('keys a digest under the UTC day of its period start, even when given with an offset', () => {
    expect(digestKey('2026-11-03T00:30:00+01:00')).toBe(`${DIGEST_PREFIX}dt=2026-11-02/20261102T233000Z.json`);
    expect(digestKey('2026-12-31T23:00:00Z')).toBe('digests/dt=2026-12-31/20261231T230000Z.json');
  });

  it('puts a time in the UTC hour it falls in: the hour itself, its last millisecond, and a half-hour offset', () => {
    expect(hourOf('2026-11-02T10:00:00.000Z')).toBe('2026-11-02T10:00:00Z');
    expect(hourOf('2026-11-02T09:59:59.999Z')).toBe('2026-11-02T09:00:00Z');
    expect(hourOf('2026-11-02T10:30:00+05:30')).toBe('2026-11-02T05:00:00Z');
    expect(HOUR_MS).toBe(3_600_000);
  });
});

describe('digest periods', () => {
  const period = (periodStart: string, periodEnd: string) =>
    unsignedDigest({ periodStart, periodEnd, objects: [], previous: null });

  it('normalises both ends to whole UTC seconds', () => {
    const { key, digest } = period('2026-11-02T11:00:00.250+01:00', '2026-11-02T11:00:01.999Z');
    expect(key).toBe('digests/dt=2026-11-02/20261102T100000Z.json');
    expect([digest.periodStart, digest.periodEnd]).toEqual(['2026-11-02T10:00:00Z', '2026-11-02T11:00:01Z']);
  });

  it('takes a one-second period and refuses a zero-length, sub-second or backwards one, saying which', () => {
    expect(period('2026-11-02T10:00:00Z', '2026-11-02T10:00:01Z').digest.periodEnd).toBe('2026-11-02T10:00:01Z');
    expect(() => period('2026-11-02T10:00:00Z', '2026-11-02T10:00:00Z')).toThrow(
      'digest period ends (2026-11-02T10:00:00Z) before it starts (2026-11-02T10:00:00Z)',
    );
    // Both ends fall in the same second: zero-length once normalised.
    expect(() => period('2026-11-02T10:00:00.100Z', '2026-11-02T10:00:00.900Z')).toThrow(/before it starts/);
    expect(() => period('2026-11-02T10:00:01Z', '2026-11-02T10:00:00Z')).toThrow(
      'digest period ends (2026-11-02T10:00:00Z) before it starts (2026-11-02T10:00:01Z)',
    );
    expect(() => period('2026-11-02T10:00:00Z', 'later')).toThrow('not an ISO-8601 time: later');
  });

  it('lists only key, hash and size of each object, sorted by key, and carries the link it is given', () => {
    const objects = [
      { key: 'findings/b.json', sha256: 'bb', size: 2, extra: 'dropped' },
      { key: 'findings/a.json', sha256: 'aa', size: 1 },
      { key: 'findings/B.json', sha256: 'cc', size: 3 },
    ];
    const { digest } = unsignedDigest({
      periodStart: '2026-11-02T10:00:00Z',
      periodEnd: '2026-11-02T11:00:00Z',
      objects,
      previous: { key: 'digests/dt=2026-11-02/20261102T090000Z.json', sha256: 'ff' },
    });
    expect(digest.objects).toEqual([
      { key: 'findings/B.json', sha256: 'cc', size: 3 },
      { key: 'findings/a.json', sha256: 'aa', size: 1 },
      { key: 'findings/b.json', sha256: 'bb', size: 2 },
    ]);
    expect(objects[0]?.key).toBe('findings/b.json');
    expect([digest.previousDigestKey, digest.previousDigestSha256]).toEqual([
      'digests/dt=2026-11-02/20261102T090000Z.json',
      'ff',
    ]);
  });
});

describe('hourly chains', () => {
  const at = (key: string, writtenAt: string) => ({ key, bytes: `${key}\n`, writtenAt });

  it('groups objects by the hour they were written, whatever their order, one digest per hour across midnight', async () => {
    const { signer } = await newSigner();
    const chain = await buildHourlyChain(
      [
        at('findings/c.json', '2026-11-03T00:00:00Z'),
        at('findings/a.json', '2026-11-02T22:59:59.999Z'),
        at('findings/b.json', '2026-11-02T22:00:00Z'),
      ],
      { signer },
    );
    expect(chain.map((d) => [d.key, d.digest.periodStart, d.digest.periodEnd])).toEqual([
      ['digests/dt=2026-11-02/20261102T220000Z.json', '2026-11-02T22:00:00Z', '2026-11-02T23:00:00Z'],
      ['digests/dt=2026-11-02/20261102T230000Z.json', '2026-11-02T23:00:00Z', '2026-11-03T00:00:00Z'],
      ['digests/dt=2026-11-03/20261103T000000Z.json', '2026-11-03T00:00:00Z', '2026-11-03T01:00:00Z'],
    ]);
    expect(chain.map((d) => d.digest.objects.map((o) => o.key))).toEqual([
      ['findings/a.json', 'findings/b.json'],
      [],
      ['findings/c.json'],
    ]);
    expect(chain[0]?.digest.previousDigestKey).toBeNull();
    expect(chain.slice(1).map((d) => [d.digest.previousDigestKey, d.digest.previousDigestSha256])).toEqual(
      chain.slice(0, -1).map((d) => [d.key, d.sha256]),
    );
  });

  it('starts after the link it is given', async () => {
    const { signer } = await newSigner();
    const previous = { key: 'digests/dt=2026-11-02/20261102T090000Z.json', sha256: 'ab'.repeat(32) };
    const [first] = await buildHourlyChain([at('findings/a.json', '2026-11-02T10:10:00Z')], { signer, previous });
    expect([first?.digest.previousDigestKey, first?.digest.previousDigestSha256]).toEqual([
      previous.key,
      previous.sha256,
    ]);
  });

  it('covers the scanned range with nothing in it, and never narrows to it', async () => {
    const { signer } = await newSigner();
    const only = await buildHourlyChain([], { signer, from: '2026-11-02T10:59:00Z' });
    expect(only.map((d) => d.digest.periodStart)).toEqual(['2026-11-02T10:00:00Z']);
    const range = await buildHourlyChain([], { signer, from: '2026-11-02T10:00:00Z', to: '2026-11-02T12:00:00Z' });
    expect(range.map((d) => d.digest.periodStart)).toEqual([
      '2026-11-02T10:00:00Z',
      '2026-11-02T11:00:00Z',
      '2026-11-02T12:00:00Z',
    ]);
    const inside = await buildHourlyChain(
      [at('findings/a.json', '2026-11-02T09:10:00Z'), at('findings/b.json', '2026-11-02T13:10:00Z')],
      { signer, from: '2026-11-02T11:00:00Z', to: '2026-11-02T11:30:00Z' },
    );
    expect(inside.map((d) => d.digest.periodStart.slice(11, 13))).toEqual(['09', '10', '11', '12', '13']);
  });
});
