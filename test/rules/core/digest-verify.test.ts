import { beforeAll, describe, expect, it } from 'vitest';
import type { BuiltDigest, Digest, StoredObject, VerifyOptions } from '../../../rules/core/digest.ts';
import { buildDigest, buildHourlyChain, digestBody, historyProblems, verifyChain } from '../../../rules/core/digest.ts';
import { newSigner } from '../../support/signing.ts';

/** verify's edges: malformed documents and signatures, chain order, the undigested boundary, freshness, history. */
const finding = (id: string, lastSeen: string): string => `${JSON.stringify({ id, lastSeen }, null, 2)}\n`;
const F10 = { key: 'findings/dt=2026-11-02/high/a.json', bytes: finding('a', '2026-11-02T10:10:00Z') };
const F11 = { key: 'incidents/dt=2026-11-02/i.json', bytes: finding('i', '2026-11-02T11:10:00Z') };
const D10 = 'digests/dt=2026-11-02/20261102T100000Z.json';
const D11 = 'digests/dt=2026-11-02/20261102T110000Z.json';

type Keys = Awaited<ReturnType<typeof newSigner>>;
let owner: Keys;
let other: Keys;
let CHAIN: BuiltDigest[];
beforeAll(async () => {
  [owner, other] = await Promise.all([newSigner(), newSigner()]);
  CHAIN = await buildHourlyChain(
    [
      { ...F10, writtenAt: '2026-11-02T10:10:00Z' },
      { ...F11, writtenAt: '2026-11-02T11:10:00Z' },
    ],
    { signer: owner.signer },
  );
});
const digests = (): StoredObject[] => CHAIN.map((d) => ({ key: d.key, bytes: d.body }));
const bucket = (): StoredObject[] => [F10, F11, ...digests(), owner.stored];
const problems = (objects: readonly StoredObject[], options?: VerifyOptions) =>
  verifyChain(objects, options).problems.map((p) => [p.level, p.kind, p.key, p.detail]);
const failures = (objects: readonly StoredObject[], options?: VerifyOptions) =>
  verifyChain(objects, options)
    .problems.filter((p) => p.level === 'failure')
    .map((p) => [p.kind, p.key]);
/** The stored digest at `key`, parsed, changed by `edit` and written back canonically (not re-signed). */
const edit = (key: string, change: (d: Record<string, unknown>) => Record<string, unknown>): StoredObject[] =>
  bucket().map((o) =>
    o.key === key ? { key, bytes: digestBody(change(JSON.parse(String(o.bytes))) as unknown as Digest) } : o,
  );

describe('verify: malformed digests and signatures', () => {
  it('says a digest is not JSON, with the parser’s reason', () => {
    const report = verifyChain(bucket().map((o) => (o.key === D11 ? { key: D11, bytes: '{' } : o)));
    expect(report.problems[0]).toMatchObject({ kind: 'altered-digest', key: D11, level: 'failure' });
    expect(report.problems[0]?.detail).toMatch(/^not JSON: \S/);
  });

  it.each([
    ['another schema', { schema: 'trailwarden.digest/v3' }],
    ['a numeric periodStart', { periodStart: 1 }],
    ['a numeric periodEnd', { periodEnd: 1 }],
    ['a numeric link key', { previousDigestKey: 1 }],
    ['a numeric link hash', { previousDigestSha256: 1 }],
    ['objects that are not a list', { objects: {} }],
    ['an entry without a string key', { objects: [{ key: 1, sha256: 'a', size: 1 }] }],
    ['an entry without a string hash', { objects: [{ key: 'k', sha256: 1, size: 1 }] }],
    ['an entry with a string size', { objects: [{ key: 'k', sha256: 'a', size: '1' }] }],
    ['a null entry', { objects: [null] }],
    ['a string entry', { objects: ['findings/a.json'] }],
  ])('a digest with %s is not a digest', (_name, change) => {
    expect(problems(edit(D10, (d) => ({ ...d, ...change })))).toContainEqual([
      'failure',
      'altered-digest',
      D10,
      'not a trailwarden.digest/v2 document',
    ]);
  });

  it.each([['null'], ['[]'], ['"digest"']])('%s is not a digest', (bytes) => {
    expect(failures(bucket().map((o) => (o.key === D11 ? { key: D11, bytes } : o)))).toContainEqual([
      'altered-digest',
      D11,
    ]);
  });

  it('still reads a legacy v1 digest, and reports it unsigned', () => {
    const objects = edit(D10, ({ signature: _s, ...d }) => ({ ...d, schema: 'trailwarden.digest/v1' }));
    expect(problems(objects).filter(([, kind]) => kind !== 'altered-digest')).toEqual([
      ['failure', 'unsigned', D10, 'carries no signature'],
    ]);
  });

  it.each([
    ['null', null],
    ['a string', 'sig'],
    ['a numeric algorithm', { algorithm: 1 }],
    ['a numeric key id', { keyId: 1 }],
    ['a numeric key hash', { publicKeySha256: 1 }],
    ['a numeric value', { value: 1 }],
  ])('a signature field that is %s is malformed', (_name, change) => {
    const objects = edit(D11, (d) => ({
      ...d,
      signature: change === null || typeof change === 'string' ? change : { ...(d.signature as object), ...change },
    }));
    expect(problems(objects)).toContainEqual(['failure', 'unsigned', D11, 'its signature field is malformed']);
  });

  it('names the unknown key: not stored beside the evidence, or not one you gave', async () => {
    const stranger = await buildDigest(
      { periodStart: '2026-11-02T12:00:00Z', periodEnd: '2026-11-02T13:00:00Z', objects: [], previous: null },
      other.signer,
    );
    const fp = other.fingerprint;
    const detail = (anchored: boolean) =>
      `signed by key ${fp.slice(0, 16)} (local:${fp.slice(0, 16)}), which is not ${anchored ? 'a key you gave' : `stored beside the evidence (keys/${fp}.pem)`}`;
    const objects = [{ key: stranger.key, bytes: stranger.body }];
    expect(problems(objects)).toEqual([['failure', 'unknown-key', stranger.key, detail(false)]]);
    expect(problems(objects, { anchors: [owner.der] })).toEqual([
      ['failure', 'unknown-key', stranger.key, detail(true)],
    ]);
    // With no anchors given (an empty list), the stored keys are trusted.
    expect(verifyChain([...objects, other.stored], { anchors: [] })).toMatchObject({
      ok: true,
      trust: { source: 'stored', fingerprints: [fp] },
      signed: 1,
    });
  });

  it('names the key a bad signature was checked with', () => {
    const objects = edit(D11, (d) => ({ ...d, periodEnd: '2026-11-02T11:59:59Z' }));
    expect(problems(objects)).toContainEqual([
      'failure',
      'bad-signature',
      D11,
      `signature does not verify with key ${owner.fingerprint.slice(0, 16)}`,
    ]);
    expect(verifyChain(objects).signed).toBe(1);
  });

  it('warns when the signing key changes along the chain, naming both', async () => {
    const last = CHAIN.at(-1) as BuiltDigest;
    const next = await buildDigest(
      {
        periodStart: '2026-11-02T12:00:00Z',
        periodEnd: '2026-11-02T13:00:00Z',
        objects: [],
        previous: { key: last.key, sha256: last.sha256 },
      },
      other.signer,
    );
    const report = verifyChain([...bucket(), other.stored, { key: next.key, bytes: next.body }]);
    expect(report.ok).toBe(true);
    expect(report.problems).toEqual([
      {
        kind: 'key-changed',
        key: next.key,
        detail: `signed by key ${other.fingerprint.slice(0, 16)}, the digest before it by ${owner.fingerprint.slice(0, 16)}`,
        level: 'warning',
      },
    ]);
    expect(report.signed).toBe(3);
  });
});

describe('verify: chain order', () => {
  it('reports a digest stored at another period’s key, with both', () => {
    const moved = bucket().map((o) =>
      o.key === D11 ? { key: 'digests/dt=2026-11-02/20261102T113000Z.json', bytes: o.bytes } : o,
    );
    expect(problems(moved)).toContainEqual([
      'failure',
      'out-of-order',
      'digests/dt=2026-11-02/20261102T113000Z.json',
      `holds the digest for period 2026-11-02T11:00:00Z (expected at ${D11})`,
    ]);
  });

  it('reports a digest whose period start is not a time', () => {
    expect(problems(edit(D11, (d) => ({ ...d, periodStart: 'soon' })))).toContainEqual([
      'failure',
      'out-of-order',
      D11,
      'holds the digest for period soon (expected at undefined)',
    ]);
  });

  it('reports a second chain started after the first', async () => {
    const restart = await buildDigest(
      { periodStart: '2026-11-02T12:00:00Z', periodEnd: '2026-11-02T13:00:00Z', objects: [], previous: null },
      owner.signer,
    );
    expect(problems([...bucket(), { key: restart.key, bytes: restart.body }])).toEqual([
      ['failure', 'broken-link', restart.key, `starts a new chain after ${D11}`],
    ]);
  });

  it('reports a first digest that links to a later one', async () => {
    const early = await buildDigest(
      {
        periodStart: '2026-11-02T09:00:00Z',
        periodEnd: '2026-11-02T10:00:00Z',
        objects: [],
        previous: { key: D11, sha256: CHAIN[1]?.sha256 ?? '' },
      },
      owner.signer,
    );
    expect(problems([...bucket(), { key: early.key, bytes: early.body }])).toContainEqual([
      'failure',
      'out-of-order',
      early.key,
      `links to ${D11}, but comes first`,
    ]);
  });

  it('reports a digest whose link skips the one before it', async () => {
    const first = CHAIN[0] as BuiltDigest;
    const skipping = await buildDigest(
      {
        periodStart: '2026-11-02T12:00:00Z',
        periodEnd: '2026-11-02T13:00:00Z',
        objects: [],
        previous: { key: first.key, sha256: first.sha256 },
      },
      owner.signer,
    );
    expect(problems([...bucket(), { key: skipping.key, bytes: skipping.body }])).toEqual([
      ['failure', 'out-of-order', skipping.key, `links to ${D10}, but follows ${D11}`],
    ]);
  });

  it('reports the hash a link expected, and a period overlapping the one before', async () => {
    const first = CHAIN[0] as BuiltDigest;
    const overlapping = await buildDigest(
      {
        periodStart: '2026-11-02T10:59:59Z',
        periodEnd: '2026-11-02T12:00:00Z',
        objects: [],
        previous: { key: first.key, sha256: '0'.repeat(64) },
      },
      owner.signer,
    );
    const objects = [F10, { key: first.key, bytes: first.body }, { key: overlapping.key, bytes: overlapping.body }];
    expect(problems([...objects, owner.stored])).toEqual([
      ['failure', 'altered-digest', D10, `sha256 ${first.sha256} differs from ${'0'.repeat(64)} in ${overlapping.key}`],
      [
        'failure',
        'out-of-order',
        overlapping.key,
        `period starts 2026-11-02T10:59:59Z, before ${D10}'s period ends 2026-11-02T11:00:00Z`,
      ],
    ]);
    // Starting exactly where the one before ends is in order.
    const adjacent = await buildDigest(
      {
        periodStart: '2026-11-02T11:00:00Z',
        periodEnd: '2026-11-02T11:00:01Z',
        objects: [],
        previous: { key: first.key, sha256: first.sha256 },
      },
      owner.signer,
    );
    expect(
      failures([F10, { key: first.key, bytes: first.body }, { key: adjacent.key, bytes: adjacent.body }, owner.stored]),
    ).toEqual([]);
  });
});

describe('verify: evidence and freshness', () => {
  it('counts evidence under every prefix, and only evidence', () => {
    const report = verifyChain([...bucket(), { key: 'other/x.json', bytes: 'x' }]);
    expect(report).toMatchObject({ ok: true, digests: 2, evidence: 2, verified: 2, signed: 2 });
    expect(report.chainEnd).toBe('2026-11-02T12:00:00Z');
  });

  it('reports an object of the listed hash but another size as altered, and does not count it verified', () => {
    const entry = CHAIN[0]?.digest.objects[0];
    const objects = edit(D10, (d) => ({ ...d, objects: [{ ...entry, size: (entry?.size ?? 0) + 1 }] }));
    const report = verifyChain(objects);
    expect(report.problems).toContainEqual(
      expect.objectContaining({
        kind: 'altered',
        key: F10.key,
        detail: `sha256 ${entry?.sha256} differs from ${entry?.sha256} listed in ${D10}`,
      }),
    );
    expect(report.verified).toBe(1);
  });

  it('names where a missing object was listed', () => {
    expect(problems(bucket().filter((o) => o.key !== F11.key))).toEqual([
      ['failure', 'missing', F11.key, `listed in ${D11}, not present`],
    ]);
  });

  it('checks an object against the latest digest that lists it', async () => {
    const last = CHAIN.at(-1) as BuiltDigest;
    const changed = `${F10.bytes} `;
    const relisted = await buildDigest(
      {
        periodStart: '2026-11-02T12:00:00Z',
        periodEnd: '2026-11-02T13:00:00Z',
        objects: [{ key: F10.key, bytes: changed }],
        previous: { key: last.key, sha256: last.sha256 },
      },
      owner.signer,
    );
    const objects = [...bucket().filter((o) => o.key !== F10.key), { key: F10.key, bytes: changed }];
    expect(failures([...objects, { key: relisted.key, bytes: relisted.body }])).toEqual([]);
  });

  it('an undigested object is a warning from the end of the last period on, and unexpected a millisecond before', () => {
    const late = (writtenAt: string | undefined, bytes: string) => [
      ...bucket(),
      { key: 'triage/dt=2026-11-02/t.json', bytes, ...(writtenAt === undefined ? {} : { writtenAt }) },
    ];
    const detail = `written after the last digest (${D11}); not yet covered`;
    expect(problems(late('2026-11-02T12:00:00Z', 'x'))).toEqual([
      ['warning', 'undigested', 'triage/dt=2026-11-02/t.json', detail],
    ]);
    expect(problems(late('2026-11-02T11:59:59.999Z', 'x'))).toEqual([
      ['failure', 'unexpected', 'triage/dt=2026-11-02/t.json', 'not listed in any digest'],
    ]);
    // Without a store time, a finding's own lastSeen decides; without either, it is unexpected.
    expect(problems(late(undefined, finding('t', '2026-11-02T12:00:00Z')))[0]?.[0]).toBe('warning');
    expect(problems(late(undefined, finding('t', '2026-11-02T11:00:00Z')))[0]?.[0]).toBe('failure');
    expect(problems(late(undefined, finding('t', 'not a time')))[0]?.[0]).toBe('failure');
    expect(problems(late(undefined, JSON.stringify({ lastSeen: 5 })))[0]?.[0]).toBe('failure');
    expect(problems(late(undefined, 'not json'))[0]?.[0]).toBe('failure');
    // The store's time wins over what the object says about itself.
    expect(problems(late('2026-11-02T11:00:00Z', finding('t', '2026-11-02T13:00:00Z')))[0]?.[0]).toBe('failure');
    // With no digest at all, nothing is merely late.
    expect(problems([{ key: 'triage/t.json', bytes: 'x', writtenAt: '2030-01-01T00:00:00Z' }])).toEqual([
      ['failure', 'unexpected', 'triage/t.json', 'not listed in any digest'],
    ]);
  });

  it('refuses a freshness bound that is not a time', () => {
    expect(() => verifyChain(bucket(), { until: 'now' })).toThrow('not an ISO-8601 time: now');
  });

  it('the stale failure says the chain is empty when there is none', () => {
    expect(problems([], { until: '2026-11-02T12:00:00Z' })).toEqual([
      ['failure', 'stale', 'digests/', 'no digest at all; the chain must reach 2026-11-02T12:00:00Z'],
    ]);
    expect(verifyChain([], {}).chainEnd).toBeNull();
  });
});

describe('historyProblems', () => {
  it('reports by key in key order: every delete marker, and more than one written version', () => {
    const v = (versionId: string, deleteMarker = false) => ({
      versionId,
      deleteMarker,
      lastModified: `2026-11-02T1${versionId.slice(1)}:00:00Z`,
    });
    expect(
      historyProblems([
        { key: 'findings/b.json', versions: [v('m3', true), v('m2', true)] },
        { key: 'findings/a.json', versions: [v('v2'), v('v1')] },
        { key: 'findings/c.json', versions: [v('v1')] },
      ]),
    ).toEqual([
      {
        kind: 'overwritten',
        key: 'findings/a.json',
        detail: '2 versions (v2 at 2026-11-02T12:00:00Z, v1 at 2026-11-02T11:00:00Z); evidence is written once',
        level: 'failure',
      },
      {
        kind: 'deleted',
        key: 'findings/b.json',
        detail: 'delete marker m3 at 2026-11-02T13:00:00Z; 0 locked version(s) remain',
        level: 'failure',
      },
      {
        kind: 'deleted',
        key: 'findings/b.json',
        detail: 'delete marker m2 at 2026-11-02T12:00:00Z; 0 locked version(s) remain',
        level: 'failure',
      },
    ]);
    expect(historyProblems([])).toEqual([]);
  });
});

describe('verify: what each problem says, and in which order', () => {
  it('reads a bucket whose objects are bytes (as S3 returns them) like one of strings', () => {
    const bytes = bucket().map((o) => ({ key: o.key, bytes: Buffer.from(o.bytes) }));
    expect(verifyChain(bytes)).toMatchObject({ ok: true, digests: 2, verified: 2, signed: 2, problems: [] });
  });

  it('names a stored key that is not a key, one under another key’s name, and a stored key nobody gave', () => {
    const misnamed = [
      ...bucket().filter((o) => !o.key.startsWith('keys/')),
      { key: owner.stored.key, bytes: other.stored.bytes },
      { key: 'keys/junk.pem', bytes: 'junk' },
    ];
    const found = problems(misnamed).filter(([, kind]) => kind === 'bad-key');
    // Keys are read in key order.
    expect(found.map(([, , key]) => key)).toEqual([owner.stored.key, 'keys/junk.pem'].sort());
    expect(found.find(([, , key]) => key === 'keys/junk.pem')?.[3]).toMatch(/^not a public key \(PEM or SPKI DER\): /);
    expect(found.find(([, , key]) => key === owner.stored.key)?.[3]).toBe(
      `holds key ${other.fingerprint}, not the key its name says`,
    );
    expect(problems([...bucket(), other.stored], { anchors: [owner.der] })).toEqual([
      ['warning', 'unknown-key', other.stored.key, 'stored beside the evidence but not among the keys you gave'],
    ]);
  });

  it('lists every trusted fingerprint in order', () => {
    const report = verifyChain([other.stored, ...bucket()]);
    expect(report.trust.fingerprints).toEqual([owner.fingerprint, other.fingerprint].sort());
  });

  it('says a digest’s bytes are not as written when only its layout changed', () => {
    const objects = bucket().map((o) => (o.key === D10 ? { key: D10, bytes: `${o.bytes}\n` } : o));
    expect(problems(objects)).toContainEqual(['failure', 'altered-digest', D10, 'bytes are not the digest as written']);
  });

  it('names the missing digest and the broken link, at the start of the chain and in its middle', async () => {
    const last = CHAIN.at(-1) as BuiltDigest;
    const next = await buildDigest(
      {
        periodStart: '2026-11-02T12:00:00Z',
        periodEnd: '2026-11-02T13:00:00Z',
        objects: [],
        previous: { key: last.key, sha256: last.sha256 },
      },
      owner.signer,
    );
    const withNext = [...bucket(), { key: next.key, bytes: next.body }];
    expect(problems(withNext.filter((o) => o.key !== D11 && o.key !== F11.key))).toEqual([
      ['failure', 'missing', D11, `digest linked from ${next.key} is not present`],
      ['failure', 'broken-link', next.key, `links to ${D11}, which is not present`],
    ]);
    expect(problems(withNext.filter((o) => o.key !== D10 && o.key !== F10.key))).toEqual([
      ['failure', 'missing', D10, `digest linked from ${D11} is not present`],
      ['failure', 'broken-link', D11, `links to ${D10}, which is not present`],
    ]);
  });

  it('reports evidence problems in key order, whatever order the objects come in', () => {
    const extra = ['triage/dt=2026-11-02/z.json', 'findings/dt=2026-11-02/low/m.json', 'reviews/dt=2026-11-02/b.json'];
    const objects = [...extra.map((key) => ({ key, bytes: 'x' })), ...bucket()].reverse();
    expect(failures(objects).map(([, key]) => key)).toEqual([...extra].sort());
    const gone = bucket().filter((o) => o.key !== F10.key && o.key !== F11.key);
    expect(failures(gone.reverse()).map(([, key]) => key)).toEqual([F10.key, F11.key]);
  });

  it('takes a finding’s lastSeen only when it is a string', () => {
    const late = [
      ...bucket(),
      { key: 'findings/dt=2026-11-02/low/l.json', bytes: JSON.stringify({ lastSeen: ['2026-11-02T13:00:00Z'] }) },
    ];
    expect(failures(late)).toEqual([['unexpected', 'findings/dt=2026-11-02/low/l.json']]);
  });

  it('warns of a key change at the second digest too', async () => {
    const first = CHAIN[0] as BuiltDigest;
    const second = await buildDigest(
      {
        periodStart: '2026-11-02T11:00:00Z',
        periodEnd: '2026-11-02T12:00:00Z',
        objects: [{ key: F11.key, bytes: F11.bytes }],
        previous: { key: first.key, sha256: first.sha256 },
      },
      other.signer,
    );
    const objects = [F10, F11, { key: first.key, bytes: first.body }, { key: second.key, bytes: second.body }];
    expect(problems([...objects, owner.stored, other.stored]).map(([level, kind, key]) => [level, kind, key])).toEqual([
      ['warning', 'key-changed', D11],
    ]);
  });
});
