import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BuiltDigest, Digest, StoredObject, VerifyOptions } from '../../../rules/core/digest.ts';
import {
  buildDigest,
  buildDigestFromEntries,
  buildHourlyChain,
  DIGEST_SCHEMA,
  digestBody,
  digestKey,
  excerptOf,
  hourOf,
  signingInput,
  unsignedDigest,
  verifyChain,
} from '../../../rules/core/digest.ts';
import { verifySignature } from '../../../rules/core/signature.ts';
import { newSigner } from '../../support/signing.ts';

const hex = (body: string): string => createHash('sha256').update(body).digest('hex');

const finding = (id: string, lastSeen: string): string =>
  `${JSON.stringify({ schema: 'trailwarden.finding/v1', id, firstSeen: lastSeen, lastSeen }, null, 2)}\n`;
const ev = (id: string, lastSeen: string) => ({
  key: `findings/dt=${lastSeen.slice(0, 10)}/critical/${id}.json`,
  bytes: finding(id, lastSeen),
  writtenAt: lastSeen,
});

const EV = [
  ev('a1', '2026-11-02T10:05:00Z'),
  ev('a2', '2026-11-02T10:59:59Z'),
  ev('b1', '2026-11-02T11:30:00Z'),
  ev('c1', '2026-11-02T13:00:00Z'),
];

type Keys = Awaited<ReturnType<typeof newSigner>>;
/** The digest writer's key, and an attacker's (who can write the bucket but not use the writer's key). */
let owner: Keys;
let attacker: Keys;
let CHAIN: BuiltDigest[];
beforeAll(async () => {
  [owner, attacker] = await Promise.all([newSigner(), newSigner()]);
  CHAIN = await buildHourlyChain(EV, { signer: owner.signer });
});
const signer = () => owner.signer;

/** Four hourly digests over EV (10:00 to 13:00, the empty 12:00 included), the evidence and the public key. */
const bucket = (): StoredObject[] => [
  ...EV.map(({ key, bytes }) => ({ key, bytes })),
  ...CHAIN.map((d) => ({ key: d.key, bytes: d.body })),
  owner.stored,
];

const D10 = 'digests/dt=2026-11-02/20261102T100000Z.json';
const D11 = 'digests/dt=2026-11-02/20261102T110000Z.json';
const D12 = 'digests/dt=2026-11-02/20261102T120000Z.json';
const D13 = 'digests/dt=2026-11-02/20261102T130000Z.json';

const failures = (objects: readonly StoredObject[], options?: VerifyOptions) =>
  verifyChain(objects, options)
    .problems.filter((p) => p.level === 'failure')
    .map((p) => [p.kind, p.key]);

const replace = (objects: StoredObject[], key: string, bytes: (old: string) => string): StoredObject[] =>
  objects.map((o) => (o.key === key ? { key, bytes: bytes(String(o.bytes)) } : o));

describe('digest documents', () => {
  it('keys digests by period start in ISO basic format under the day', () => {
    expect(digestKey('2026-11-02T10:00:00.000Z')).toBe(D10);
    expect(hourOf('2026-11-02T10:59:59.999Z')).toBe('2026-11-02T10:00:00Z');
  });

  it('lists each object (key, sha256, size) sorted by key, with a null link for the first digest, signed', async () => {
    const b = 'second\n';
    const a = 'first\n';
    const built = await buildDigest(
      {
        periodStart: '2026-11-02T10:00:00Z',
        periodEnd: '2026-11-02T11:00:00Z',
        objects: [
          { key: 'findings/b.json', bytes: b },
          { key: 'findings/a.json', bytes: Buffer.from(a) },
        ],
        previous: null,
      },
      signer(),
    );
    const { signature, ...unsigned } = built.digest;
    expect(unsigned).toEqual({
      schema: DIGEST_SCHEMA,
      periodStart: '2026-11-02T10:00:00Z',
      periodEnd: '2026-11-02T11:00:00Z',
      previousDigestKey: null,
      previousDigestSha256: null,
      objects: [
        { key: 'findings/a.json', sha256: hex(a), size: 6 },
        { key: 'findings/b.json', sha256: hex(b), size: 7 },
      ],
    });
    expect(signature).toMatchObject({
      algorithm: 'ECDSA_SHA_256',
      keyId: `local:${owner.fingerprint.slice(0, 16)}`,
      publicKeySha256: owner.fingerprint,
    });
    // The signature covers exactly the digest's bytes without the signature field.
    expect(signingInput(built.digest)).toBe(digestBody(unsignedDigest({ ...built.digest, previous: null }).digest));
    expect(verifySignature(Buffer.from(signingInput(built.digest)), signature.value, 'ECDSA_SHA_256', owner.der)).toBe(
      true,
    );
    expect(
      verifySignature(Buffer.from(signingInput(built.digest)), signature.value, 'ECDSA_SHA_256', attacker.der),
    ).toBe(false);
    expect(built.key).toBe(D10);
    expect(built.sha256).toBe(hex(built.body));
    expect(built.body).toBe(digestBody(built.digest));
    expect(built.body.endsWith('}\n')).toBe(true);
  });

  it('serialises deterministically: same digest, same bytes, whatever the key order', async () => {
    const built = await buildDigest(
      {
        periodStart: '2026-11-02T10:00:00Z',
        periodEnd: '2026-11-02T11:00:00Z',
        objects: [],
        previous: { key: 'digests/x.json', sha256: 'ab' },
      },
      signer(),
    );
    const shuffled = Object.fromEntries(Object.entries(built.digest).reverse()) as typeof built.digest;
    expect(digestBody(shuffled)).toBe(built.body);
    const keys = Object.keys(JSON.parse(built.body) as object);
    expect(keys).toEqual([...keys].sort());
  });

  it('refuses a zero-length or backwards period', () => {
    const period = (periodStart: string, periodEnd: string) => () =>
      unsignedDigest({ periodStart, periodEnd, objects: [], previous: null });
    expect(period('2026-11-02T10:00:00Z', '2026-11-02T10:00:00Z')).toThrow(/before it starts/);
    expect(period('2026-11-02T10:00:00Z', '2026-11-02T09:00:00Z')).toThrow(/before it starts/);
  });

  it('chains a digest for every hour, empty ones included, each linking to the previous by key and hash', () => {
    expect(CHAIN.map((d) => d.key)).toEqual([D10, D11, D12, D13]);
    expect(CHAIN.map((d) => d.digest.objects.length)).toEqual([2, 1, 0, 1]);
    expect(CHAIN[1]?.digest.previousDigestKey).toBe(D10);
    expect(CHAIN[1]?.digest.previousDigestSha256).toBe(CHAIN[0]?.sha256);
    expect(CHAIN[2]?.digest.previousDigestSha256).toBe(CHAIN[1]?.sha256);
    expect(CHAIN[3]?.digest.previousDigestSha256).toBe(CHAIN[2]?.sha256);
  });

  it('widens the chain to the scanned range: hours before the first and after the last object', async () => {
    const chain = await buildHourlyChain(EV.slice(0, 1), {
      signer: signer(),
      from: '2026-11-02T08:59:59Z',
      to: '2026-11-02T11:00:00Z',
    });
    expect(chain.map((d) => d.digest.periodStart)).toEqual([
      '2026-11-02T08:00:00Z',
      '2026-11-02T09:00:00Z',
      '2026-11-02T10:00:00Z',
      '2026-11-02T11:00:00Z',
    ]);
    expect(chain.map((d) => d.digest.objects.length)).toEqual([0, 0, 1, 0]);
    expect(await buildHourlyChain([], { signer: signer() })).toEqual([]);
  });
});

describe('verifyChain', () => {
  it('verifies an untouched bucket, every signature against the stored key', () => {
    const report = verifyChain(bucket());
    expect(report).toMatchObject({
      ok: true,
      digests: 4,
      evidence: 4,
      verified: 4,
      signed: 4,
      trust: { source: 'stored', fingerprints: [owner.fingerprint] },
      chainEnd: '2026-11-02T14:00:00Z',
      problems: [],
    });
  });

  it('verifies against an anchored key and trusts nothing else', () => {
    expect(verifyChain(bucket(), { anchors: [owner.der] })).toMatchObject({
      ok: true,
      signed: 4,
      trust: { source: 'anchor', fingerprints: [owner.fingerprint] },
      problems: [],
    });
  });

  it('verifies a chain with an empty period in it', async () => {
    const first = await buildDigest(
      {
        periodStart: '2026-11-02T10:00:00Z',
        periodEnd: '2026-11-02T11:00:00Z',
        objects: [EV[0] as StoredObject],
        previous: null,
      },
      signer(),
    );
    const empty = await buildDigest(
      { periodStart: '2026-11-02T11:00:00Z', periodEnd: '2026-11-02T12:00:00Z', objects: [], previous: first },
      signer(),
    );
    expect(empty.digest.objects).toEqual([]);
    expect(empty.digest.previousDigestSha256).toBe(first.sha256);
    const objects = [
      EV[0] as StoredObject,
      { key: first.key, bytes: first.body },
      { key: empty.key, bytes: empty.body },
      owner.stored,
    ];
    expect(verifyChain(objects)).toMatchObject({ ok: true, digests: 2, problems: [] });
    // Deleting the empty digest in the middle of a chain is still seen.
    const third = await buildDigest(
      { periodStart: '2026-11-02T12:00:00Z', periodEnd: '2026-11-02T13:00:00Z', objects: [], previous: empty },
      signer(),
    );
    expect(failures([...objects.filter((o) => o.key !== empty.key), { key: third.key, bytes: third.body }])).toEqual([
      ['missing', empty.key],
      ['broken-link', third.key],
    ]);
  });

  const A1 = EV[0]?.key ?? '';
  const B1 = EV[2]?.key ?? '';
  const C1 = EV[3]?.key ?? '';
  const table: { name: string; tamper: (o: StoredObject[]) => StoredObject[]; expected: string[][] }[] = [
    { name: 'delete an evidence object', tamper: (o) => o.filter((x) => x.key !== B1), expected: [['missing', B1]] },
    {
      name: 'modify an evidence object',
      tamper: (o) => replace(o, A1, (s) => s.replace('a1', 'zz')),
      expected: [['altered', A1]],
    },
    {
      name: 'insert an old evidence object',
      tamper: (o) => [
        ...o,
        { key: 'findings/dt=2026-11-02/high/x9.json', bytes: finding('x9', '2026-11-02T10:10:00Z') },
      ],
      expected: [['unexpected', 'findings/dt=2026-11-02/high/x9.json']],
    },
    {
      name: 'swap two evidence objects',
      tamper: (o) => {
        const a = o.find((x) => x.key === A1)?.bytes ?? '';
        const c = o.find((x) => x.key === C1)?.bytes ?? '';
        return replace(
          replace(o, A1, () => String(c)),
          C1,
          () => String(a),
        );
      },
      expected: [
        ['altered', A1],
        ['altered', C1],
      ],
    },
    {
      name: 'reorder digests (swap two digests’ contents)',
      tamper: (o) => {
        const a = o.find((x) => x.key === D10)?.bytes ?? '';
        const b = o.find((x) => x.key === D11)?.bytes ?? '';
        return replace(
          replace(o, D10, () => String(b)),
          D11,
          () => String(a),
        );
      },
      expected: [
        // Each sits at the other's key; the first now links to itself, the second starts a new chain, and
        // the third's link no longer hashes to what sits at D11.
        ['out-of-order', D10],
        ['out-of-order', D10],
        ['out-of-order', D11],
        ['out-of-order', D11],
        ['broken-link', D11],
        ['altered-digest', D11],
      ],
    },
    {
      name: 'modify a digest in the middle (re-serialised canonically)',
      tamper: (o) =>
        replace(o, D11, (s) => {
          const d = JSON.parse(s) as { objects: { sha256: string }[] };
          for (const entry of d.objects) entry.sha256 = '0'.repeat(64);
          return digestBody(d as never);
        }),
      expected: [
        ['altered', B1],
        ['altered-digest', D11],
        ['bad-signature', D11],
      ],
    },
    {
      name: 'modify the bytes of the last digest',
      tamper: (o) => replace(o, D13, (s) => s.replace('\n', '\n ')),
      expected: [['altered-digest', D13]],
    },
    {
      name: 'replace a digest with garbage',
      tamper: (o) => replace(o, D11, () => 'not json'),
      expected: [
        ['altered-digest', D11],
        ['missing', D11],
        ['broken-link', D12],
        ['unexpected', B1],
      ],
    },
    {
      name: 'delete the first digest',
      tamper: (o) => o.filter((x) => x.key !== D10),
      expected: [
        ['missing', D10],
        ['broken-link', D11],
        ['unexpected', A1],
        ['unexpected', EV[1]?.key ?? ''],
      ],
    },
  ];

  it.each(table)('$name', ({ tamper, expected }) => {
    const report = verifyChain(tamper(bucket()));
    expect(report.ok).toBe(false);
    expect(failures(tamper(bucket())).sort()).toEqual([...expected].sort());
  });

  it.each(table)('$name (with an anchored key too)', ({ tamper, expected }) => {
    expect(failures(tamper(bucket()), { anchors: [owner.der] }).sort()).toEqual([...expected].sort());
  });

  it('reports evidence newer than the last digest as an undigested warning, not a failure', () => {
    const late = { key: 'findings/dt=2026-11-02/low/late.json', bytes: finding('late', '2026-11-02T14:00:01Z') };
    const report = verifyChain([...bucket(), late]);
    expect(report.ok).toBe(true);
    expect(report.problems).toEqual([expect.objectContaining({ kind: 'undigested', key: late.key, level: 'warning' })]);
  });

  it('treats evidence with no digest at all as unexpected', () => {
    expect(failures(EV.map(({ key, bytes }) => ({ key, bytes })))).toHaveLength(4);
  });
});

/** The last digest, edited: `edit` changes the parsed digest; the result is re-serialised canonically. */
const editDigest = (objects: StoredObject[], key: string, edit: (d: Digest) => Digest): StoredObject[] =>
  replace(objects, key, (old) => digestBody(edit(JSON.parse(old) as Digest)));

/** Re-sign every digest of a tampered bucket with `keys`, relinking the chain, as an attacker with their own key would. */
const reSignAll = async (objects: StoredObject[], keys: Keys): Promise<StoredObject[]> => {
  const digests = objects
    .filter((o) => o.key.startsWith('digests/'))
    .sort((a, b) => (a.key < b.key ? -1 : 1))
    .map((o) => JSON.parse(String(o.bytes)) as Digest);
  const out = objects.filter((o) => !o.key.startsWith('digests/') && !o.key.startsWith('keys/'));
  let previous: { key: string; sha256: string } | null = null;
  for (const d of digests) {
    // Keep the listed entries (possibly edited), re-link and re-sign.
    const built = await buildDigestFromEntries(
      { periodStart: d.periodStart, periodEnd: d.periodEnd, objects: d.objects, previous },
      keys.signer,
    );
    out.push({ key: built.key, bytes: built.body });
    previous = { key: built.key, sha256: built.sha256 };
  }
  return [...out, keys.stored];
};

describe('verifyChain: the tampering of issue 16 §4', () => {
  const C1 = EV[3]?.key ?? '';

  it('deleting the newest digest and its finding passes the chain but fails freshness', () => {
    const cut = bucket().filter((o) => o.key !== D13 && o.key !== C1);
    // The hash chain alone cannot see a cut tail: that is what freshness is for.
    expect(verifyChain(cut).ok).toBe(true);
    expect(verifyChain(cut).chainEnd).toBe('2026-11-02T13:00:00Z');
    expect(failures(cut, { until: '2026-11-02T14:00:00Z' })).toEqual([['stale', D12]]);
    expect(verifyChain(cut, { until: '2026-11-02T14:00:00Z' }).problems[0]?.detail).toMatch(
      /the chain ends 2026-11-02T13:00:00Z, before 2026-11-02T14:00:00.000Z/,
    );
    // The untouched chain reaches that time exactly, and not a millisecond further.
    expect(failures(bucket(), { until: '2026-11-02T14:00:00Z' })).toEqual([]);
    expect(failures(bucket(), { until: '2026-11-02T14:00:00.001Z' })).toEqual([['stale', D13]]);
    expect(failures([], { until: '2026-11-02T14:00:00Z' })).toEqual([['stale', 'digests/']]);
  });

  it('editing the last digest and re-serialising it fails its signature', () => {
    // Alter the newest finding, then make the last digest agree with it: every hash and link is consistent.
    const altered = finding('c1', '2026-11-02T13:00:00Z').replace('c1', 'zz');
    const tampered = editDigest(
      replace(bucket(), C1, () => altered),
      D13,
      (d) => ({ ...d, objects: [{ key: C1, sha256: hex(altered), size: Buffer.byteLength(altered) }] }),
    );
    expect(failures(tampered)).toEqual([['bad-signature', D13]]);
    // Dropping the entry altogether (and the finding) is the same edit.
    const dropped = editDigest(
      bucket().filter((o) => o.key !== C1),
      D13,
      (d) => ({ ...d, objects: [] }),
    );
    expect(failures(dropped)).toEqual([['bad-signature', D13]]);
  });

  it('appending a forged digest fails: signed by an unknown key, or not signed at all', async () => {
    const last = CHAIN.at(-1);
    const forgedFinding = { key: 'findings/dt=2026-11-02/low/x1.json', bytes: finding('x1', '2026-11-02T14:10:00Z') };
    const input = {
      periodStart: '2026-11-02T14:00:00Z',
      periodEnd: '2026-11-02T15:00:00Z',
      objects: [forgedFinding],
      previous: last === undefined ? null : { key: last.key, sha256: last.sha256 },
    };
    const forged = await buildDigest(input, attacker.signer);
    const appended = [...bucket(), forgedFinding, { key: forged.key, bytes: forged.body }];
    expect(failures(appended)).toEqual([['unknown-key', forged.key]]);
    expect(verifyChain(appended).problems[0]?.detail).toContain(`keys/${attacker.fingerprint}.pem`);
    // With the forger's key stored beside it, only the anchored key catches it; the stored view flags the change.
    const withKey = [...appended, attacker.stored];
    expect(failures(withKey)).toEqual([]);
    expect(verifyChain(withKey).problems).toEqual([
      expect.objectContaining({ kind: 'key-changed', key: forged.key, level: 'warning' }),
    ]);
    expect(failures(withKey, { anchors: [owner.der] })).toEqual([['unknown-key', forged.key]]);

    const unsigned = unsignedDigest({ ...input, objects: [] });
    expect(failures([...bucket(), { key: unsigned.key, bytes: digestBody(unsigned.digest) }])).toEqual([
      ['unsigned', unsigned.key],
    ]);
    // A signature lifted from another digest does not verify on this one.
    const lifted = { ...unsigned.digest, signature: (CHAIN[0] as BuiltDigest).digest.signature };
    expect(failures([...bucket(), { key: unsigned.key, bytes: digestBody(lifted) }])).toEqual([
      ['bad-signature', unsigned.key],
    ]);
  });

  it('swapping the public key and re-signing passes only without an anchor, and says so', async () => {
    const edited = editDigest(
      bucket().filter((o) => o.key !== C1),
      D13,
      (d) => ({ ...d, objects: [] }),
    );
    const swapped = await reSignAll(edited, attacker);
    // Against the copy stored beside the evidence (now the attacker's), everything agrees…
    const stored = verifyChain(swapped);
    expect(stored).toMatchObject({ ok: true, trust: { source: 'stored', fingerprints: [attacker.fingerprint] } });
    // …but not against the key the auditor keeps.
    const anchored = verifyChain(swapped, { anchors: [owner.der] });
    expect(anchored.ok).toBe(false);
    expect(failures(swapped, { anchors: [owner.der] })).toEqual([
      ['unknown-key', D10],
      ['unknown-key', D11],
      ['unknown-key', D12],
      ['unknown-key', D13],
    ]);
    expect(anchored.problems).toContainEqual(
      expect.objectContaining({ kind: 'unknown-key', key: attacker.stored.key, level: 'warning' }),
    );
  });

  it('a stored key that is not what its name says, or not a key, fails', () => {
    const misnamed = [
      ...bucket().filter((o) => !o.key.startsWith('keys/')),
      { ...attacker.stored, key: owner.stored.key },
    ];
    expect(failures(misnamed)).toContainEqual(['bad-key', owner.stored.key]);
    expect(failures([...bucket(), { key: 'keys/junk.pem', bytes: 'junk' }])).toEqual([['bad-key', 'keys/junk.pem']]);
  });

  it('a delete marker or a second version on any key is reported by key', () => {
    const history = [
      {
        key: C1,
        versions: [
          { versionId: 'm1', deleteMarker: true, lastModified: '2026-11-02T15:00:00.000Z' },
          { versionId: 'v1', deleteMarker: false, lastModified: '2026-11-02T13:00:01.000Z' },
        ],
      },
      {
        key: D13,
        versions: [
          { versionId: 'v2', deleteMarker: false, lastModified: '2026-11-02T15:00:00.000Z' },
          { versionId: 'v1', deleteMarker: false, lastModified: '2026-11-02T14:05:00.000Z' },
        ],
      },
      { key: D12, versions: [{ versionId: 'v1', deleteMarker: false, lastModified: '2026-11-02T13:05:00.000Z' }] },
    ];
    const report = verifyChain(bucket(), { history });
    expect(report.ok).toBe(false);
    expect(failures(bucket(), { history })).toEqual([
      ['overwritten', D13],
      ['deleted', C1],
    ]);
    expect(report.problems.find((p) => p.kind === 'deleted')?.detail).toMatch(/delete marker m1 .*1 locked version/);
    expect(report.problems.find((p) => p.kind === 'overwritten')?.detail).toMatch(/2 versions \(v2 at .*, v1 at/);
  });
});

describe('verifyChain over an excerpt (an export package)', () => {
  /** The 11:00 to 13:00 digests and what they list, without a1/a2 and D10: what an export of b1 and c1 holds. */
  const excerptObjects = (): StoredObject[] => bucket().filter((o) => !/\/a[12]\.json$/.test(o.key) && o.key !== D10);

  it('derives the excerpt: the link before its first digest, and listed objects it does not hold', () => {
    const objects = excerptObjects().filter((o) => !o.key.endsWith('/c1.json'));
    const d10 = CHAIN.find((d) => d.key === D10);
    expect(excerptOf(objects)).toEqual({
      startsAfter: { key: D10, sha256: hex(String(d10?.body)) },
      omitted: [ev('c1', '2026-11-02T13:00:00Z').key],
    });
    expect(excerptOf(bucket())).toEqual({ startsAfter: null, omitted: [] });
  });

  it('verifies the excerpt it declares, and fails it without the declaration', () => {
    const objects = excerptObjects();
    expect(failures(objects)).toEqual([
      ['missing', D10],
      ['broken-link', D11],
    ]);
    const report = verifyChain(objects, { excerpt: excerptOf(objects) });
    expect(report.ok).toBe(true);
    expect(report.verified).toBe(2); // b1 and c1, both listed in the digests held
  });

  it('a declared link with the wrong hash, or to another digest, is still a broken link', () => {
    const objects = excerptObjects();
    const { startsAfter } = excerptOf(objects);
    const wrongHash = { startsAfter: { key: D10, sha256: '0'.repeat(64) }, omitted: [] };
    expect(failures(objects, { excerpt: wrongHash })).toEqual([
      ['missing', D10],
      ['broken-link', D11],
    ]);
    const otherKey = { startsAfter: { key: D12, sha256: startsAfter?.sha256 ?? '' }, omitted: [] };
    expect(failures(objects, { excerpt: otherKey })).toEqual([
      ['missing', D10],
      ['broken-link', D11],
    ]);
  });

  it('an object left out without being declared is missing; a declared one is not, and altering a held one fails', () => {
    const objects = excerptObjects().filter((o) => !o.key.endsWith('/c1.json'));
    const c1 = ev('c1', '2026-11-02T13:00:00Z').key;
    const declaredLink = { startsAfter: excerptOf(objects).startsAfter, omitted: [] };
    expect(failures(objects, { excerpt: declaredLink })).toEqual([['missing', c1]]);
    expect(failures(objects, { excerpt: excerptOf(objects) })).toEqual([]);
    const b1 = ev('b1', '2026-11-02T11:30:00Z').key;
    const altered = objects.map((o) => (o.key === b1 ? { ...o, bytes: `${String(o.bytes)} ` } : o));
    expect(failures(altered, { excerpt: excerptOf(objects) })).toEqual([['altered', b1]]);
  });
});
