import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseS3Url, verifyCommand } from '../../cli/commands/verify.ts';
import type { Digest } from '../../rules/core/digest.ts';
import { buildDigest, buildDigestFromEntries, digestBody } from '../../rules/core/digest.ts';
import { sha256 } from '../../rules/core/evidence.ts';
import { startS3rver } from '../support/s3rver.ts';
import { newSigner } from '../support/signing.ts';
import { benign, ioFor, logFile, runCli, stopLogging, tempTree } from './helpers.ts';

const filesUnder = (dir: string): string[] => {
  const out: string[] = [];
  const visit = (path: string): void => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) visit(full);
      else out.push(relative(dir, full).split(sep).join('/'));
    }
  };
  visit(dir);
  return out.sort();
};

const stop = (id: string, trail: string, eventTime: string) =>
  stopLogging(id, { eventTime, requestParameters: { name: trail } });

/** Three findings in two hours (one folded from two events) written as evidence. */
const scanWithEvidence = async () => {
  const logs = tempTree({
    'log.json': logFile([
      stop('ev-1', 'trail-a', '2026-11-02T10:05:00Z'),
      stop('ev-2', 'trail-a', '2026-11-02T10:06:00Z'),
      stop('ev-3', 'trail-b', '2026-11-02T10:20:00Z'),
      stop('ev-4', 'trail-c', '2026-11-02T12:40:00Z'),
    ]),
  });
  const evidence = join(tempTree(), 'evidence');
  const run = await runCli(['scan', logs, '--format', 'jsonl', '--evidence', evidence]);
  expect(run.code).toBe(0);
  return { evidence, run, files: filesUnder(evidence) };
};

const verify = (dir: string, ...args: string[]) => runCli(['verify', dir, ...args]);

/** The public key as the auditor keeps it: a copy taken when the evidence was written, outside it. */
const publicKeyOf = async (evidence: string): Promise<string> => {
  const [key] = filesUnder(evidence).filter((f) => f.startsWith('keys/'));
  const path = join(tempTree(), 'auditor.pem');
  writeFileSync(path, readFileSync(join(evidence, key ?? '')));
  return path;
};

describe('trailwarden scan --evidence', () => {
  it('writes every state of each finding as the Lambda archives it, a signed digest for every hour, and the public key', async () => {
    const { evidence, run, files } = await scanWithEvidence();
    const findings = files.filter((f) => f.startsWith('findings/'));
    const digests = files.filter((f) => f.startsWith('digests/'));
    // Three findings; the folded one (two events) also as revision 2, beside its first state.
    expect(findings).toHaveLength(4);
    for (const key of findings) expect(key).toMatch(/^findings\/dt=2026-11-02\/critical\/[0-9a-f]{32}(\.r2)?\.json$/);
    // 10:00 to 12:00: the empty 11:00 hour included.
    expect(digests).toEqual([
      'digests/dt=2026-11-02/20261102T100000Z.json',
      'digests/dt=2026-11-02/20261102T110000Z.json',
      'digests/dt=2026-11-02/20261102T120000Z.json',
    ]);
    const keys = files.filter((f) => f.startsWith('keys/'));
    expect(keys).toEqual([expect.stringMatching(/^keys\/[0-9a-f]{64}\.pem$/)]);
    expect(readFileSync(join(evidence, keys[0] ?? ''), 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    // The private key never lands in the evidence.
    for (const f of files) expect(readFileSync(join(evidence, f), 'utf8')).not.toContain('PRIVATE KEY');
    // The folded finding's final state is revision 2, byte-for-byte as printed; its first state stays as written.
    const printed = run.stdout
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as { id: string; eventIds: string[]; count: number });
    const folded = printed.find((f) => f.eventIds.length === 2);
    expect(folded?.count).toBe(2);
    const key = findings.find((f) => f.endsWith(`/${folded?.id}.r2.json`)) ?? '';
    expect(readFileSync(join(evidence, key), 'utf8')).toBe(`${JSON.stringify(folded, null, 2)}\n`);
    const first = JSON.parse(readFileSync(join(evidence, key.replace('.r2.json', '.json')), 'utf8')) as {
      count: number;
    };
    expect(first.count).toBe(1);
    // Each incident too, in its final state: the findings' two actors are two incidents.
    const incidents = files.filter((f) => f.startsWith('incidents/'));
    expect(incidents).toHaveLength(2);
    for (const key of incidents) expect(key).toMatch(/^incidents\/dt=2026-11-02\/[0-9a-f]{32}(\.r\d+)?\.json$/);
    expect(run.stderr).toMatch(
      /evidence: 6 objects and 3 digests written to .*, signed by key keys\/[0-9a-f]{64}\.pem/,
    );
    expect(run.stderr).toMatch(/generated a digest signing key at .*trailwarden\/signing-key\.pem/);
  });

  it('digests every hour of the scanned range, up to the last event even when it raised no finding', async () => {
    const logs = tempTree({
      'log.json': logFile([
        benign('ev-0', { eventTime: '2026-11-02T08:59:00Z' }),
        stop('ev-1', 'trail-a', '2026-11-02T10:05:00Z'),
        benign('ev-2', { eventTime: '2026-11-02T12:30:00Z' }),
      ]),
    });
    const evidence = join(tempTree(), 'evidence');
    expect((await runCli(['scan', logs, '--evidence', evidence])).code).toBe(0);
    expect(filesUnder(evidence).filter((f) => f.startsWith('digests/'))).toEqual(
      ['08', '09', '10', '11', '12'].map((h) => `digests/dt=2026-11-02/20261102T${h}0000Z.json`),
    );
    expect((await verify(evidence, '--until', '2026-11-02T13:00:00Z')).code).toBe(0);
  });

  it('keeps the signing key outside the evidence, and reuses the generated key', async () => {
    const config = tempTree();
    const logs = tempTree({ 'log.json': logFile([stop('ev-1', 'trail-a', '2026-11-02T10:05:00Z')]) });
    const env = { XDG_CONFIG_HOME: config };
    const first = join(tempTree(), 'evidence');
    expect((await runCli(['scan', logs, '--evidence', first], { env })).code).toBe(0);
    const second = join(tempTree(), 'evidence');
    const again = await runCli(['scan', logs, '--evidence', second], { env });
    expect(again.code).toBe(0);
    expect(again.stderr).not.toMatch(/generated/);
    expect(filesUnder(second).filter((f) => f.startsWith('keys/'))).toEqual(
      filesUnder(first).filter((f) => f.startsWith('keys/')),
    );
    // An explicit key: used as given, and it must exist and live outside the evidence.
    const keyFile = join(config, 'trailwarden', 'signing-key.pem');
    const third = join(tempTree(), 'evidence');
    expect((await runCli(['scan', logs, '--evidence', third, '--signing-key', keyFile])).code).toBe(0);
    const inside = join(tempTree(), 'evidence');
    const refused = await runCli(['scan', logs, '--evidence', inside, '--signing-key', join(inside, 'k.pem')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/must be kept outside the evidence directory/);
    const missing = await runCli(['scan', logs, '--evidence', join(tempTree(), 'e'), '--signing-key', '/nope.pem']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/\/nope\.pem: no such signing key file/);
    const notKey = tempTree({ 'k.pem': 'not a key' });
    const bad = await runCli([
      'scan',
      logs,
      '--evidence',
      join(tempTree(), 'e'),
      '--signing-key',
      join(notKey, 'k.pem'),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not a usable signing key/);
    expect((await runCli(['scan', logs, '--signing-key', keyFile])).stderr).toMatch(/give --evidence too/);
  });

  it('refuses a directory that already holds digests', async () => {
    const { evidence } = await scanWithEvidence();
    const logs = tempTree({ 'log.json': logFile([stop('ev-9', 'trail-z', '2026-11-03T10:00:00Z')]) });
    const run = await runCli(['scan', logs, '--evidence', evidence]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/already holds digests/);
  });
});

describe('trailwarden verify', () => {
  it('exits 0 on untouched evidence, saying which key the signatures were checked with', async () => {
    const { evidence } = await scanWithEvidence();
    const run = await verify(evidence);
    expect(run.stdout).toMatch(
      /^verified: 3 digests, 6 of 6 evidence objects match the chain; 0 failures, 0 warnings$/m,
    );
    expect(run.stdout).toMatch(
      /^signatures: 3 of 3 digests verified ONLY against the public key stored beside the evidence \(keys\/[0-9a-f]{64}\.pem\); whoever can write there can replace it and re-sign: pass --public-key FILE/m,
    );
    expect(run.stdout).toMatch(/^freshness: not checked \(the chain ends 2026-11-02T13:00:00Z\); pass --until/m);
    expect(run.code).toBe(0);
    const anchored = await verify(evidence, '--public-key', await publicKeyOf(evidence));
    expect(anchored.stdout).toMatch(
      /^signatures: 3 of 3 digests verified with the key\(s\) you gave \(.*\.pem = keys\//m,
    );
    expect(anchored.code).toBe(0);
  });

  it('exits 1 naming a deleted evidence object', async () => {
    const { evidence, files } = await scanWithEvidence();
    const key = files.find((f) => f.startsWith('findings/')) ?? '';
    rmSync(join(evidence, key));
    const run = await verify(evidence);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`FAIL missing ${key}:`);
    expect(run.stdout).toMatch(/NOT verified/);
  });

  it('exits 1 naming a modified evidence object', async () => {
    const { evidence, files } = await scanWithEvidence();
    const key = files.find((f) => f.startsWith('findings/')) ?? '';
    const path = join(evidence, key);
    writeFileSync(path, readFileSync(path, 'utf8').replace('"critical"', '"low"'));
    const run = await verify(evidence);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`FAIL altered ${key}:`);
  });

  it('exits 1 naming an inserted evidence object', async () => {
    const { evidence, files } = await scanWithEvidence();
    const source = files.find((f) => f.startsWith('findings/')) ?? '';
    const inserted = 'findings/dt=2026-11-02/critical/ffffffffffffffffffffffffffffffff.json';
    writeFileSync(join(evidence, inserted), readFileSync(join(evidence, source)));
    const run = await verify(evidence);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`FAIL unexpected ${inserted}:`);
  });

  it('exits 1 naming reordered digests', async () => {
    const { evidence, files } = await scanWithEvidence();
    const [first, second] = files.filter((f) => f.startsWith('digests/'));
    const a = readFileSync(join(evidence, first ?? ''));
    const b = readFileSync(join(evidence, second ?? ''));
    writeFileSync(join(evidence, first ?? ''), b);
    writeFileSync(join(evidence, second ?? ''), a);
    const run = await verify(evidence);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`FAIL out-of-order ${first}:`);
    expect(run.stdout).toContain(`FAIL out-of-order ${second}:`);
  });

  it('exits 1 naming a modified digest', async () => {
    const { evidence, files } = await scanWithEvidence();
    const first = files.find((f) => f.startsWith('digests/')) ?? '';
    const path = join(evidence, first);
    writeFileSync(path, readFileSync(path, 'utf8').replace(/"sha256": "[0-9a-f]/, '"sha256": "x'));
    const run = await verify(evidence);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`FAIL altered-digest ${first}:`);
  });

  it('deleting the newest digest and its finding fails once the chain must reach past it (--until)', async () => {
    const { evidence, files } = await scanWithEvidence();
    const last = files.filter((f) => f.startsWith('digests/')).at(-1) ?? '';
    const digest = JSON.parse(readFileSync(join(evidence, last), 'utf8')) as { objects: { key: string }[] };
    const [finding] = digest.objects;
    expect(finding?.key).toMatch(/^findings\//);
    rmSync(join(evidence, last));
    rmSync(join(evidence, finding?.key ?? ''));
    // The hash chain alone cannot see it: the tail is simply gone.
    expect((await verify(evidence)).code).toBe(0);
    const run = await verify(evidence, '--until', '2026-11-02T13:00:00Z');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      'FAIL stale digests/dt=2026-11-02/20261102T110000Z.json: the chain ends 2026-11-02T12:00:00Z, before 2026-11-02T13:00:00.000Z',
    );
    expect(run.stdout).toMatch(
      /^freshness: the chain ends 2026-11-02T12:00:00Z; required to reach 2026-11-02T13:00:00.000Z \(--until\)$/m,
    );
    // Untouched, the same requirement holds.
    const intact = await scanWithEvidence();
    expect((await verify(intact.evidence, '--until', '2026-11-02T13:00:00Z')).code).toBe(0);
  });

  it('editing the last digest and re-serialising it fails its signature', async () => {
    const { evidence, files } = await scanWithEvidence();
    const last = files.filter((f) => f.startsWith('digests/')).at(-1) ?? '';
    const path = join(evidence, last);
    const digest = JSON.parse(readFileSync(path, 'utf8')) as Digest;
    // Drop the finding from the digest and the evidence: hashes and links stay consistent.
    const [entry] = digest.objects;
    rmSync(join(evidence, entry?.key ?? ''));
    writeFileSync(path, digestBody({ ...digest, objects: [] }));
    const run = await verify(evidence);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`FAIL bad-signature ${last}: signature does not verify`);
  });

  it('appending a forged digest fails: an unknown key, or (with its key planted) against the key you keep', async () => {
    const { evidence, files } = await scanWithEvidence();
    const anchor = await publicKeyOf(evidence);
    const last = files.filter((f) => f.startsWith('digests/')).at(-1) ?? '';
    const bytes = readFileSync(join(evidence, last));
    const attacker = await newSigner();
    const forged = await buildDigest(
      {
        periodStart: '2026-11-02T13:00:00Z',
        periodEnd: '2026-11-02T14:00:00Z',
        objects: [],
        previous: { key: last, sha256: sha256(bytes).hex },
      },
      attacker.signer,
    );
    writeFileSync(join(evidence, forged.key), forged.body);
    const run = await verify(evidence);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`FAIL unknown-key ${forged.key}: signed by key ${attacker.fingerprint.slice(0, 16)}`);
    // Planting the forger's public key beside it fools only a check against the stored keys — and shows.
    writeFileSync(join(evidence, attacker.stored.key), attacker.stored.bytes);
    const planted = await verify(evidence);
    expect(planted.stdout).toContain(`warning key-changed ${forged.key}:`);
    expect(planted.stdout).toContain('verified ONLY against the public key stored beside the evidence');
    const anchored = await verify(evidence, '--public-key', anchor);
    expect(anchored.code).toBe(1);
    expect(anchored.stdout).toContain(`FAIL unknown-key ${forged.key}:`);
  });

  it('swapping the public key and re-signing every digest fails against the key you keep', async () => {
    const { evidence, files } = await scanWithEvidence();
    const anchor = await publicKeyOf(evidence);
    const attacker = await newSigner();
    const digests = files.filter((f) => f.startsWith('digests/'));
    let previous: { key: string; sha256: string } | null = null;
    for (const key of digests) {
      const d = JSON.parse(readFileSync(join(evidence, key), 'utf8')) as Digest;
      const built = await buildDigestFromEntries(
        { periodStart: d.periodStart, periodEnd: d.periodEnd, objects: d.objects, previous },
        attacker.signer,
      );
      writeFileSync(join(evidence, key), built.body);
      previous = { key: built.key, sha256: built.sha256 };
    }
    for (const key of files.filter((f) => f.startsWith('keys/'))) rmSync(join(evidence, key));
    writeFileSync(join(evidence, attacker.stored.key), attacker.stored.bytes);
    const stored = await verify(evidence);
    expect(stored.code).toBe(0);
    expect(stored.stdout).toContain(
      `verified ONLY against the public key stored beside the evidence (${attacker.stored.key})`,
    );
    const anchored = await verify(evidence, '--public-key', anchor);
    expect(anchored.code).toBe(1);
    for (const key of digests) expect(anchored.stdout).toContain(`FAIL unknown-key ${key}:`);
  });

  it('exits 1 naming an unsigned digest', async () => {
    const { evidence, files } = await scanWithEvidence();
    const first = files.find((f) => f.startsWith('digests/')) ?? '';
    const path = join(evidence, first);
    const { signature: _signature, ...unsigned } = JSON.parse(readFileSync(path, 'utf8')) as Digest;
    writeFileSync(path, digestBody(unsigned));
    const run = await verify(evidence);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`FAIL unsigned ${first}: carries no signature`);
  });

  it('exits 2 on a bad --public-key or --until', async () => {
    const { evidence } = await scanWithEvidence();
    const notKey = join(tempTree({ 'k.pem': 'nope' }), 'k.pem');
    expect((await verify(evidence, '--public-key', notKey)).stderr).toMatch(/k\.pem: not a public key/);
    expect((await verify(evidence, '--public-key', '/no/such.pem')).code).toBe(2);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'pem', type: 'spki' });
    const rsaFile = join(tempTree({ 'rsa.pem': rsa }), 'rsa.pem');
    const run = await verify(evidence, '--public-key', rsaFile);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/not an EC P-256 key \(rsa\)/);
    for (const until of ['yesterday', '2026-11-02T13:00:00', '2026-13-02T00:00:00Z']) {
      const bad = await verify(evidence, '--until', until);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/--until must be an ISO-8601 time with a zone/);
    }
  });

  it('exits 2 on usage errors', async () => {
    expect((await verify(join(tempTree(), 'nope'))).code).toBe(2);
    expect((await runCli(['verify'])).code).toBe(2);
    expect((await runCli(['verify', 'a', 'b'])).code).toBe(2);
    expect((await runCli(['verify', 's3://'])).code).toBe(2);
  });
});

describe('trailwarden verify s3://bucket/prefix (s3rver)', () => {
  let s3: Awaited<ReturnType<typeof startS3rver>>;
  beforeAll(async () => {
    s3 = await startS3rver(['evidence']);
  });
  afterAll(async () => {
    await s3.stop();
  });

  const verifyS3 = async (url: string, args: string[] = [], now = Date.parse('2026-11-02T14:00:00Z')) => {
    const { io, stdout, stderr } = ioFor();
    const code = await verifyCommand([url, ...args], io, () => undefined, {
      s3Client: async () => s3.client,
      now: () => now,
    });
    return { code, stdout: stdout(), stderr: stderr() };
  };

  it('verifies an export under a prefix, then names an object deleted from it', async () => {
    const { evidence, files } = await scanWithEvidence();
    for (const key of files) {
      await s3.client.send(
        new PutObjectCommand({
          Bucket: 'evidence',
          Key: `export/2026/${key}`,
          Body: readFileSync(join(evidence, key)),
        }),
      );
    }
    const anchor = await publicKeyOf(evidence);
    const ok = await verifyS3('s3://evidence/export/2026', ['--public-key', anchor]);
    expect(ok.stdout).toMatch(/^verified: 3 digests, 6 of 6 evidence objects/m);
    expect(ok.stdout).toMatch(/^signatures: 3 of 3 digests verified with the key\(s\) you gave/m);
    // s3rver cannot list versions (405): the output says what was not checked.
    expect(ok.stdout).toMatch(/^versions: NOT checked \(the store cannot list object versions: /m);
    // Default freshness for a bucket: now minus the hourly cadence and 30 minutes.
    expect(ok.stdout).toMatch(
      /^freshness: the chain ends 2026-11-02T13:00:00Z; required to reach 2026-11-02T12:30:00.000Z \(default for a bucket/m,
    );
    expect(ok.code).toBe(0);
    const late = await verifyS3('s3://evidence/export/2026', [], Date.parse('2026-11-02T14:30:00.001Z'));
    expect(late.code).toBe(1);
    expect(late.stdout).toMatch(/^FAIL stale digests\/dt=2026-11-02\/20261102T120000Z\.json: the chain ends/m);
    expect((await verifyS3('s3://evidence/export/2026', [], Date.parse('2026-11-02T14:30:00Z'))).code).toBe(0);
    expect(
      (
        await verifyS3(
          's3://evidence/export/2026',
          ['--until', '2026-11-02T13:00:01Z'],
          Date.parse('2026-11-02T13:00:00Z'),
        )
      ).code,
    ).toBe(1);

    const key = files.find((f) => f.startsWith('findings/')) ?? '';
    await s3.client.send(new DeleteObjectCommand({ Bucket: 'evidence', Key: `export/2026/${key}` }));
    const bad = await verifyS3('s3://evidence/export/2026/');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`FAIL missing ${key}:`);
  });

  it('exits 2 when the bucket cannot be read', async () => {
    const run = await verifyS3('s3://no-such-bucket/x');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/s3:\/\/no-such-bucket\/x: /);
  });
});

describe('parseS3Url', () => {
  it('splits bucket and prefix', () => {
    expect(parseS3Url('s3://b')).toEqual({ bucket: 'b', prefix: '' });
    expect(parseS3Url('s3://b/')).toEqual({ bucket: 'b', prefix: '' });
    expect(parseS3Url('s3://b/p/q')).toEqual({ bucket: 'b', prefix: 'p/q/' });
    expect(parseS3Url('s3://')).toBeUndefined();
  });
});

describe('trailwarden verify s3:// reads versions and delete markers (aws-sdk-client-mock)', () => {
  const PREFIX = 'evidence-root/';
  const at = (iso: string) => new Date(iso);

  /** The bucket as ListObjectVersions and GetObject answer for it, from a scanned evidence directory. */
  const mockBucket = async (
    evidence: string,
    files: readonly string[],
    edit: (versions: Version[], markers: Marker[], bodies: Map<string, Buffer>) => void,
  ) => {
    const { mockClient } = await import('aws-sdk-client-mock');
    const { S3Client, ListObjectVersionsCommand, GetObjectCommand } = await import('@aws-sdk/client-s3');
    const versions: Version[] = files.map((f) => ({
      Key: `${PREFIX}${f}`,
      VersionId: `v1-${f}`,
      IsLatest: true,
      LastModified: at('2026-11-02T13:05:00Z'),
    }));
    const markers: Marker[] = [];
    const bodies = new Map(files.map((f) => [`${PREFIX}${f}#v1-${f}`, readFileSync(join(evidence, f))]));
    edit(versions, markers, bodies);
    const s3 = mockClient(S3Client);
    // Two pages, to follow the key and version markers.
    const half = Math.ceil(versions.length / 2);
    s3.on(ListObjectVersionsCommand)
      .resolves({ Versions: versions.slice(half), DeleteMarkers: markers, IsTruncated: false })
      .on(ListObjectVersionsCommand, { Bucket: 'evidence', Prefix: PREFIX })
      .resolves({
        Versions: versions.slice(0, half),
        IsTruncated: true,
        NextKeyMarker: 'k-marker',
        NextVersionIdMarker: 'v-marker',
      })
      .on(ListObjectVersionsCommand, {
        Bucket: 'evidence',
        Prefix: PREFIX,
        KeyMarker: 'k-marker',
        VersionIdMarker: 'v-marker',
      })
      .resolves({ Versions: versions.slice(half), DeleteMarkers: markers, IsTruncated: false });
    s3.on(GetObjectCommand).callsFake((input: { Key: string; VersionId?: string }) => {
      const body = bodies.get(`${input.Key}#${input.VersionId}`);
      if (body === undefined) throw new Error(`no such version ${input.Key}#${input.VersionId}`);
      return { Body: { transformToByteArray: async () => new Uint8Array(body) } as never };
    });
    return { s3, client: new S3Client({ region: 'eu-west-1' }), GetObjectCommand, ListObjectVersionsCommand };
  };
  type Version = { Key: string; VersionId: string; IsLatest: boolean; LastModified: Date };
  type Marker = Version;

  const run = async (client: import('@aws-sdk/client-s3').S3Client, args: string[] = []) => {
    const { io, stdout } = ioFor();
    const code = await verifyCommand(
      [`s3://evidence/${PREFIX}`, '--until', '2026-11-02T13:00:00Z', ...args],
      io,
      () => undefined,
      {
        s3Client: async () => client,
      },
    );
    return { code, stdout: stdout() };
  };

  it('verifies an untouched versioned bucket, reading each key at its version', async () => {
    const { evidence, files } = await scanWithEvidence();
    const { s3, client, GetObjectCommand, ListObjectVersionsCommand } = await mockBucket(evidence, files, () => {});
    try {
      const out = await run(client);
      expect(out.stdout).toMatch(/^versions: 10 keys checked for delete markers and second versions$/m);
      expect(out.stdout).toMatch(/^verified: 3 digests, 6 of 6 evidence objects/m);
      expect(out.code).toBe(0);
      expect(s3.commandCalls(ListObjectVersionsCommand).map((c) => c.args[0].input)).toEqual([
        { Bucket: 'evidence', Prefix: PREFIX },
        { Bucket: 'evidence', Prefix: PREFIX, KeyMarker: 'k-marker', VersionIdMarker: 'v-marker' },
      ]);
      const first = files[0] ?? '';
      expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input)).toContainEqual({
        Bucket: 'evidence',
        Key: `${PREFIX}${first}`,
        VersionId: `v1-${first}`,
      });
    } finally {
      s3.restore();
    }
  });

  it('reports a delete marker on the newest digest and its finding by key, checking the locked bytes', async () => {
    const { evidence, files } = await scanWithEvidence();
    const last = files.filter((f) => f.startsWith('digests/')).at(-1) ?? '';
    const digest = JSON.parse(readFileSync(join(evidence, last), 'utf8')) as Digest;
    const finding = digest.objects[0]?.key ?? '';
    const { s3, client } = await mockBucket(evidence, files, (versions, markers) => {
      for (const key of [last, finding]) {
        const v = versions.find((x) => x.Key === `${PREFIX}${key}`);
        if (v !== undefined) v.IsLatest = false;
        markers.push({
          Key: `${PREFIX}${key}`,
          VersionId: `m-${key}`,
          IsLatest: true,
          LastModified: at('2026-11-02T15:00:00Z'),
        });
      }
    });
    try {
      const out = await run(client);
      expect(out.code).toBe(1);
      expect(out.stdout).toContain(
        `FAIL deleted ${last}: delete marker m-${last} at 2026-11-02T15:00:00.000Z; 1 locked version(s) remain`,
      );
      expect(out.stdout).toContain(`FAIL deleted ${finding}: delete marker m-${finding}`);
      // The locked versions still match the chain: nothing else is wrong.
      expect(out.stdout.match(/^FAIL /gm)).toHaveLength(2);
    } finally {
      s3.restore();
    }
  });

  it('reports a second version of a digest by key, and checks the newest bytes', async () => {
    const { evidence, files } = await scanWithEvidence();
    const last = files.filter((f) => f.startsWith('digests/')).at(-1) ?? '';
    const { s3, client } = await mockBucket(evidence, files, (versions, _markers, bodies) => {
      const v = versions.find((x) => x.Key === `${PREFIX}${last}`);
      if (v !== undefined) v.IsLatest = false;
      versions.push({
        Key: `${PREFIX}${last}`,
        VersionId: 'v2',
        IsLatest: true,
        LastModified: at('2026-11-02T16:00:00Z'),
      });
      const d = JSON.parse(readFileSync(join(evidence, last), 'utf8')) as Digest;
      bodies.set(`${PREFIX}${last}#v2`, Buffer.from(digestBody({ ...d, objects: [] })));
    });
    try {
      const out = await run(client);
      expect(out.code).toBe(1);
      expect(out.stdout).toMatch(
        new RegExp(`^FAIL overwritten ${last}: 2 versions \\(v2 at 2026-11-02T16:00:00.000Z, v1-`, 'm'),
      );
      expect(out.stdout).toContain(`FAIL bad-signature ${last}:`);
    } finally {
      s3.restore();
    }
  });

  it('fails on a read error other than a store without versions', async () => {
    const { mockClient } = await import('aws-sdk-client-mock');
    const { S3Client, ListObjectVersionsCommand } = await import('@aws-sdk/client-s3');
    const s3 = mockClient(S3Client);
    try {
      s3.on(ListObjectVersionsCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
      const { io, stderr } = ioFor();
      const code = await verifyCommand(['s3://evidence/x'], io, () => undefined, {
        s3Client: async () => new S3Client({ region: 'eu-west-1' }),
      });
      expect(code).toBe(2);
      expect(stderr()).toMatch(/s3:\/\/evidence\/x: Access Denied/);
    } finally {
      s3.restore();
    }
  });
});

describe('trailwarden verify --kms-key-id', () => {
  it('trusts the public key KMS returns for the key, and only it', async () => {
    const { mockClient } = await import('aws-sdk-client-mock');
    const { KMSClient, GetPublicKeyCommand } = await import('@aws-sdk/client-kms');
    const { evidence } = await scanWithEvidence();
    const anchor = readFileSync(await publicKeyOf(evidence), 'utf8');
    const der = new Uint8Array(createPublicKey(anchor).export({ format: 'der', type: 'spki' }));
    const other = await newSigner();
    const kms = mockClient(KMSClient);
    try {
      kms.on(GetPublicKeyCommand, { KeyId: 'alias/trailwarden-digest' }).resolves({ PublicKey: der });
      kms.on(GetPublicKeyCommand, { KeyId: 'alias/other' }).resolves({ PublicKey: other.der });
      const go = async (keyId: string) => {
        const { io, stdout, stderr } = ioFor();
        const code = await verifyCommand([evidence, '--kms-key-id', keyId], io, () => undefined, {
          kmsClient: async () => new KMSClient({ region: 'eu-west-1' }),
        });
        return { code, stdout: stdout(), stderr: stderr() };
      };
      const ok = await go('alias/trailwarden-digest');
      expect(ok.stdout).toMatch(
        /^signatures: 3 of 3 digests verified with the key\(s\) you gave \(KMS alias\/trailwarden-digest = keys\//m,
      );
      expect(ok.code).toBe(0);
      const wrong = await go('alias/other');
      expect(wrong.code).toBe(1);
      expect(wrong.stdout).toMatch(/^FAIL unknown-key digests\//m);
      expect(kms.commandCalls(GetPublicKeyCommand).map((c) => c.args[0].input)).toEqual([
        { KeyId: 'alias/trailwarden-digest' },
        { KeyId: 'alias/other' },
      ]);
      kms.on(GetPublicKeyCommand, { KeyId: 'alias/gone' }).rejects(new Error('NotFoundException'));
      const gone = await go('alias/gone');
      expect(gone.code).toBe(2);
      expect(gone.stderr).toMatch(/--kms-key-id alias\/gone: NotFoundException/);
    } finally {
      kms.restore();
    }
  });
});
