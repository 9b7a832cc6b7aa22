import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseS3Url, verifyCommand } from '../../cli/commands/verify.ts';
import { startS3rver } from '../support/s3rver.ts';
import { ioFor, logFile, runCli, stopLogging, tempTree } from './helpers.ts';

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

const verify = (dir: string) => runCli(['verify', dir]);

describe('trailwarden scan --evidence', () => {
  it('writes each final finding as the Lambda archives it, plus hourly digests chained in order', async () => {
    const { evidence, run, files } = await scanWithEvidence();
    const findings = files.filter((f) => f.startsWith('findings/'));
    const digests = files.filter((f) => f.startsWith('digests/'));
    expect(findings).toHaveLength(3);
    for (const key of findings) expect(key).toMatch(/^findings\/dt=2026-11-02\/critical\/[0-9a-f]{32}\.json$/);
    expect(digests).toEqual([
      'digests/dt=2026-11-02/20261102T100000Z.json',
      'digests/dt=2026-11-02/20261102T120000Z.json',
    ]);
    // The folded finding is written once, in its final version, byte-for-byte as printed.
    const printed = run.stdout
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as { id: string; eventIds: string[] });
    const folded = printed.find((f) => f.eventIds.length === 2);
    expect(folded).toBeDefined();
    const key = findings.find((f) => f.endsWith(`/${folded?.id}.json`)) ?? '';
    expect(readFileSync(join(evidence, key), 'utf8')).toBe(`${JSON.stringify(folded, null, 2)}\n`);
    // Each incident too, in its final state: the findings' two actors are two incidents.
    const incidents = files.filter((f) => f.startsWith('incidents/'));
    expect(incidents).toHaveLength(2);
    for (const key of incidents) expect(key).toMatch(/^incidents\/dt=2026-11-02\/[0-9a-f]{32}(\.r\d+)?\.json$/);
    expect(run.stderr).toMatch(/evidence: 5 objects and 2 digests written to /);
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
  it('exits 0 on untouched evidence', async () => {
    const { evidence } = await scanWithEvidence();
    const run = await verify(evidence);
    expect(run.stdout).toMatch(
      /^verified: 2 digests, 5 of 5 evidence objects match the chain; 0 failures, 0 warnings$/m,
    );
    expect(run.code).toBe(0);
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

  const verifyS3 = async (url: string) => {
    const { io, stdout, stderr } = ioFor();
    const code = await verifyCommand([url], io, () => undefined, { s3Client: async () => s3.client });
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
    const ok = await verifyS3('s3://evidence/export/2026');
    expect(ok.stdout).toMatch(/^verified: 2 digests, 5 of 5 evidence objects/m);
    expect(ok.code).toBe(0);

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
