import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { StoredObject } from '../../../rules/core/digest.ts';
import { buildHourlyChain, verifyChain } from '../../../rules/core/digest.ts';

/** What `verify` reports, exactly and in order: the words an auditor reads. */

const hex = (body: string | Uint8Array): string => createHash('sha256').update(body).digest('hex');
const finding = (id: string, lastSeen: string): string =>
  `${JSON.stringify({ schema: 'trailwarden.finding/v1', id, firstSeen: lastSeen, lastSeen }, null, 2)}\n`;
const ev = (id: string, lastSeen: string) => ({
  key: `findings/dt=2026-11-02/high/${id}.json`,
  bytes: finding(id, lastSeen),
  writtenAt: lastSeen,
});
const EV = [ev('a1', '2026-11-02T10:05:00Z'), ev('b1', '2026-11-02T11:30:00Z'), ev('c1', '2026-11-02T13:00:00Z')];
const chain = buildHourlyChain(EV);
const [D10, D11, D13] = chain.map((d) => d.key) as [string, string, string];
const KEY = Object.fromEntries(EV.map((e) => [e.key.slice(-7, -5), e.key])) as Record<'a1' | 'b1' | 'c1', string>;
const bucket = (): StoredObject[] => [
  ...EV.map(({ key, bytes }) => ({ key, bytes })),
  ...chain.map((d) => ({ key: d.key, bytes: d.body })),
];
const without = (objects: StoredObject[], key: string) => objects.filter((o) => o.key !== key);
const replaced = (objects: StoredObject[], key: string, bytes: string) =>
  objects.map((o) => (o.key === key ? { key, bytes } : o));
const failure = (kind: string, key: string, detail: string) => ({ kind, key, detail, level: 'failure' });

describe('verifyChain reports', () => {
  it('accepts bytes as a Uint8Array the same as a string', () => {
    const objects = bucket().map((o) => ({ key: o.key, bytes: new TextEncoder().encode(String(o.bytes)) }));
    expect(verifyChain(objects)).toEqual({ ok: true, digests: 3, evidence: 3, verified: 3, problems: [] });
  });

  it('an altered finding, by key, with both hashes and where it was listed', () => {
    const edited = finding('b1', '2026-11-02T11:31:00Z');
    const report = verifyChain(replaced(bucket(), KEY.b1, edited));
    expect(report.problems).toEqual([
      failure('altered', KEY.b1, `sha256 ${hex(edited)} differs from ${hex(EV[1]?.bytes ?? '')} listed in ${D11}`),
    ]);
    expect(report.verified).toBe(2);
  });

  it('a deleted digest in the middle: the gap, the broken link, and the evidence only it listed', () => {
    expect(verifyChain(without(bucket(), D11)).problems).toEqual([
      failure('missing', D11, `digest linked from ${D13} is not present`),
      failure('broken-link', D13, `links to ${D11}, which is not present`),
      failure('unexpected', KEY.b1, 'not listed in any digest'),
    ]);
  });

  it('a deleted first digest: missing, and the chain now starts on a dangling link', () => {
    expect(verifyChain(without(bucket(), D10)).problems).toEqual([
      failure('missing', D10, `digest linked from ${D11} is not present`),
      failure('broken-link', D11, `links to ${D10}, which is not present`),
      failure('unexpected', KEY.a1, 'not listed in any digest'),
    ]);
  });

  it('a deleted finding is missing where it was listed', () => {
    expect(verifyChain(without(bucket(), KEY.c1)).problems).toEqual([
      failure('missing', KEY.c1, `listed in ${D13}, not present`),
    ]);
  });

  it('a digest that is not JSON, or not a digest', () => {
    expect(verifyChain(replaced(bucket(), D13, '{oops')).problems[0]).toEqual(
      failure('altered-digest', D13, expect.stringMatching(/^not JSON: /)),
    );
    for (const shape of [
      null,
      [],
      '"a string"',
      { ...chain[2]?.digest, schema: 'trailwarden.digest/v0' },
      { ...chain[2]?.digest, periodStart: 1 },
      { ...chain[2]?.digest, periodEnd: null },
      { ...chain[2]?.digest, previousDigestKey: 7 },
      { ...chain[2]?.digest, previousDigestSha256: false },
      { ...chain[2]?.digest, objects: {} },
      { ...chain[2]?.digest, objects: [null] },
      { ...chain[2]?.digest, objects: ['findings/x.json'] },
      { ...chain[2]?.digest, objects: [{ key: KEY.c1, sha256: 'x', size: '1' }] },
      { ...chain[2]?.digest, objects: [{ key: KEY.c1, sha256: 1, size: 1 }] },
      { ...chain[2]?.digest, objects: [{ key: 1, sha256: 'x', size: 1 }] },
    ]) {
      const body = typeof shape === 'string' ? shape : JSON.stringify(shape);
      expect(verifyChain(replaced(bucket(), D13, body)).problems[0]).toEqual(
        failure('altered-digest', D13, 'not a trailwarden.digest/v1 document'),
      );
    }
  });

  it('a re-serialised digest: its bytes, and the hash the next digest holds for it', () => {
    const pretty = `${JSON.stringify(chain[1]?.digest, null, 4)}\n`;
    expect(verifyChain(replaced(bucket(), D11, pretty)).problems).toEqual([
      failure('altered-digest', D11, 'bytes are not the digest as written'),
      failure('altered-digest', D11, `sha256 ${hex(pretty)} differs from ${chain[1]?.sha256} in ${D13}`),
    ]);
  });

  it('a digest moved to another key holds another period', () => {
    const moved = 'digests/dt=2026-11-02/20261102T120000Z.json';
    const objects = [...without(bucket(), D11), { key: moved, bytes: chain[1]?.body ?? '' }];
    expect(verifyChain(objects).problems).toEqual([
      failure('out-of-order', moved, `holds the digest for period 2026-11-02T11:00:00Z (expected at ${D11})`),
      failure('missing', D11, `digest linked from ${D13} is not present`),
      failure('broken-link', D13, `links to ${D11}, which is not present`),
    ]);
  });

  it('a first digest that links to one present later comes out of order', () => {
    const objects = [...without(bucket(), D10), { key: D10, bytes: chain[1]?.body ?? '' }];
    expect(verifyChain(objects).problems.slice(0, 2)).toEqual([
      failure('out-of-order', D10, `holds the digest for period 2026-11-02T11:00:00Z (expected at ${D11})`),
      failure('out-of-order', D10, `links to ${D10}, but comes first`),
    ]);
  });

  it('a digest that starts a new chain in the middle', () => {
    const [unlinked] = buildHourlyChain([EV[1] as (typeof EV)[number]]);
    const objects = replaced(bucket(), D11, unlinked?.body ?? '');
    expect(verifyChain(objects).problems).toEqual([
      failure('broken-link', D11, `starts a new chain after ${D10}`),
      failure('altered-digest', D11, `sha256 ${unlinked?.sha256} differs from ${chain[1]?.sha256} in ${D13}`),
    ]);
  });

  it.each([
    ['2026-11-02T14:00:00Z', 'undigested'],
    ['2026-11-02T13:59:59Z', 'unexpected'],
  ])('evidence last seen at %s, the last digest’s period end being 14:00 → %s', (lastSeen, kind) => {
    const late = { key: 'findings/dt=2026-11-02/low/late.json', bytes: finding('late', lastSeen) };
    expect(verifyChain([...bucket(), late]).problems.map((p) => [p.kind, p.key])).toEqual([[kind, late.key]]);
  });

  it('reports problems in key order, whatever order the listing came in', () => {
    const objects = [...without(bucket(), KEY.a1)].reverse();
    const strays = ['findings/dt=2026-11-02/low/z.json', 'findings/dt=2026-11-02/low/m.json'].map((key) => ({
      key,
      bytes: 'not a finding',
    }));
    expect(verifyChain([...strays, ...without(objects, KEY.c1)]).problems.map((p) => [p.kind, p.key])).toEqual([
      ['missing', KEY.a1],
      ['missing', KEY.c1],
      ['unexpected', 'findings/dt=2026-11-02/low/m.json'],
      ['unexpected', 'findings/dt=2026-11-02/low/z.json'],
    ]);
  });
});
