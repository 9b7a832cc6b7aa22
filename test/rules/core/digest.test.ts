import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { StoredObject } from '../../../rules/core/digest.ts';
import {
  buildDigest,
  buildHourlyChain,
  DIGEST_SCHEMA,
  digestBody,
  digestKey,
  hourOf,
  verifyChain,
} from '../../../rules/core/digest.ts';

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

/** Three hourly digests over EV, plus the evidence itself, as a bucket listing. */
const bucket = (): StoredObject[] => [
  ...EV.map(({ key, bytes }) => ({ key, bytes })),
  ...buildHourlyChain(EV).map((d) => ({ key: d.key, bytes: d.body })),
];

const D10 = 'digests/dt=2026-11-02/20261102T100000Z.json';
const D11 = 'digests/dt=2026-11-02/20261102T110000Z.json';
const D13 = 'digests/dt=2026-11-02/20261102T130000Z.json';

const failures = (objects: readonly StoredObject[]) =>
  verifyChain(objects)
    .problems.filter((p) => p.level === 'failure')
    .map((p) => [p.kind, p.key]);

const replace = (objects: StoredObject[], key: string, bytes: (old: string) => string): StoredObject[] =>
  objects.map((o) => (o.key === key ? { key, bytes: bytes(String(o.bytes)) } : o));

describe('digest documents', () => {
  it('keys digests by period start in ISO basic format under the day', () => {
    expect(digestKey('2026-11-02T10:00:00.000Z')).toBe(D10);
    expect(hourOf('2026-11-02T10:59:59.999Z')).toBe('2026-11-02T10:00:00Z');
  });

  it('lists each object (key, sha256, size) sorted by key, with a null link for the first digest', () => {
    const b = 'second\n';
    const a = 'first\n';
    const built = buildDigest({
      periodStart: '2026-11-02T10:00:00Z',
      periodEnd: '2026-11-02T11:00:00Z',
      objects: [
        { key: 'findings/b.json', bytes: b },
        { key: 'findings/a.json', bytes: Buffer.from(a) },
      ],
      previous: null,
    });
    expect(built.digest).toEqual({
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
    expect(built.key).toBe(D10);
    expect(built.sha256).toBe(hex(built.body));
    expect(built.body.endsWith('}\n')).toBe(true);
  });

  it('serialises deterministically: same digest, same bytes, whatever the key order', () => {
    const built = buildDigest({
      periodStart: '2026-11-02T10:00:00Z',
      periodEnd: '2026-11-02T11:00:00Z',
      objects: [],
      previous: { key: 'digests/x.json', sha256: 'ab' },
    });
    const shuffled = Object.fromEntries(Object.entries(built.digest).reverse()) as typeof built.digest;
    expect(digestBody(shuffled)).toBe(built.body);
    const keys = Object.keys(JSON.parse(built.body) as object);
    expect(keys).toEqual([...keys].sort());
  });

  it('chains hourly digests in period order, each linking to the previous by key and hash', () => {
    const chain = buildHourlyChain(EV);
    expect(chain.map((d) => d.key)).toEqual([D10, D11, D13]);
    expect(chain.map((d) => d.digest.objects.length)).toEqual([2, 1, 1]);
    expect(chain[1]?.digest.previousDigestKey).toBe(D10);
    expect(chain[1]?.digest.previousDigestSha256).toBe(chain[0]?.sha256);
    expect(chain[2]?.digest.previousDigestSha256).toBe(chain[1]?.sha256);
  });
});

describe('verifyChain', () => {
  it('verifies an untouched bucket', () => {
    const report = verifyChain(bucket());
    expect(report).toMatchObject({ ok: true, digests: 3, evidence: 4, verified: 4, problems: [] });
  });

  it('verifies a chain with an empty period in it', () => {
    const first = buildDigest({
      periodStart: '2026-11-02T10:00:00Z',
      periodEnd: '2026-11-02T11:00:00Z',
      objects: [EV[0] as StoredObject],
      previous: null,
    });
    const empty = buildDigest({
      periodStart: '2026-11-02T11:00:00Z',
      periodEnd: '2026-11-02T12:00:00Z',
      objects: [],
      previous: first,
    });
    expect(empty.digest.objects).toEqual([]);
    expect(empty.digest.previousDigestSha256).toBe(first.sha256);
    const objects = [
      EV[0] as StoredObject,
      { key: first.key, bytes: first.body },
      { key: empty.key, bytes: empty.body },
    ];
    expect(verifyChain(objects)).toMatchObject({ ok: true, digests: 2, problems: [] });
    // Deleting the empty digest in the middle of a chain is still seen.
    const third = buildDigest({
      periodStart: '2026-11-02T12:00:00Z',
      periodEnd: '2026-11-02T13:00:00Z',
      objects: [],
      previous: empty,
    });
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
        ['broken-link', D13],
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
