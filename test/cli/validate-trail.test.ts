import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DIR_METADATA_SUFFIX } from '../../cli/trail-dir-bucket.ts';
import { startS3rver } from '../support/s3rver.ts';
import type { Trail, TrailKeyPair } from '../support/trail-bucket.ts';
import { buildTrail, makeTrailKey, uploadTrail, writeTrailDir } from '../support/trail-bucket.ts';
import { jsonLinesOf, runCli, tempTree } from './helpers.ts';

const BUCKET = 'company-cloudtrail';
const START = Date.UTC(2026, 10, 2, 1, 0, 7);
const HOURS = 5;
const FROM = '2026-11-02T00:00:00Z';
const TO = new Date(START + (HOURS - 1) * 3_600_000 + 60_000).toISOString();

let key: TrailKeyPair;
let keysFile: string;
let keysDir: string;
beforeAll(() => {
  key = makeTrailKey();
  // Outside tempTree (emptied after every test): shared by the whole file.
  keysDir = mkdtempSync(join(tmpdir(), 'trailwarden-keys-'));
  keysFile = join(keysDir, 'keys.json');
  writeFileSync(keysFile, JSON.stringify({ PublicKeyList: [key.listEntry] }));
});

afterAll(() => rmSync(keysDir, { recursive: true, force: true }));

const trailOf = (): Trail => buildTrail({ bucket: BUCKET, startMs: START, hours: HOURS, prefix: 'ct' }, key);
const range = ['--from', FROM, '--to', TO, '--public-keys'] as const;

describe('validate-trail on a directory', () => {
  const dirOf = (trail: Trail) => {
    const dir = tempTree();
    writeTrailDir(dir, trail.objects);
    return dir;
  };

  it('an untouched copy validates, with the AWS CLI summary; exit 0', async () => {
    // The directory is the bucket root; the prefix is part of the keys.
    const trail = trailOf();
    const dir = dirOf(trail);
    const r = await runCli(['validate-trail', dir, '--bucket', BUCKET, '--prefix', 'ct', ...range, keysFile]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Results requested for 2026-11-02T00:00:00Z to ${TO.slice(0, 19)}Z`);
    expect(r.stdout).toContain(`${HOURS + 1}/${HOURS + 1} digest files valid`);
    expect(r.stdout).toContain(`${trail.logKeys.length}/${trail.logKeys.length} log files valid`);
  });

  it('names each tampered object and exits 1', async () => {
    const trail = trailOf();
    const dir = dirOf(trail);
    const gone = trail.logKeys[1] ?? '';
    unlinkSync(join(dir, ...gone.split('/')));
    const altered = trail.logKeys[6] ?? '';
    writeFileSync(join(dir, ...altered.split('/')), trail.objects.get(trail.logKeys[7] ?? '')?.bytes ?? '');
    const middle = trail.digestKeys[2] ?? '';
    rmSync(join(dir, ...middle.split('/')));
    const unsigned = trail.digestKeys[4] ?? '';
    rmSync(`${join(dir, ...unsigned.split('/'))}${DIR_METADATA_SUFFIX}`);
    const r = await runCli(['validate-trail', dir, '--bucket', BUCKET, '--prefix', 'ct', ...range, keysFile]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`Log file\ts3://${BUCKET}/${gone}\tINVALID: not found`);
    expect(r.stdout).toContain(`Log file\ts3://${BUCKET}/${altered}\tINVALID: hash value doesn't match`);
    expect(r.stdout).toContain(`Digest file\ts3://${BUCKET}/${middle}\tINVALID: not found`);
    expect(r.stdout).toContain(`Digest file\ts3://${BUCKET}/${unsigned}\tINVALID: no signature in the object metadata`);
    expect(r.stdout).toMatch(/digest files INVALID/);
    expect(r.stdout).toContain('1 digest file missing');
    expect(r.stdout).toContain('1 log file missing');
  });

  it('jsonl prints each problem as a finding of its rule', async () => {
    const trail = trailOf();
    const dir = dirOf(trail);
    const gone = trail.logKeys[0] ?? '';
    unlinkSync(join(dir, ...gone.split('/')));
    const r = await runCli([
      'validate-trail',
      dir,
      '--bucket',
      BUCKET,
      '--prefix',
      'ct',
      ...range,
      keysFile,
      '--format',
      'jsonl',
    ]);
    expect(r.code).toBe(1);
    const findings = jsonLinesOf(r.stdout);
    expect(findings).toEqual([
      expect.objectContaining({
        schema: 'trailwarden.finding/v1',
        ruleId: 'cloudtrail.log-file-deleted',
        severity: 'critical',
        controls: ['A.8.15'],
        resources: [`s3://${BUCKET}/${gone}`],
      }),
    ]);
    expect(r.stderr).toContain('log files valid');
  });

  it('an empty range proves nothing: exit 1', async () => {
    const dir = dirOf(trailOf());
    const r = await runCli([
      'validate-trail',
      dir,
      '--bucket',
      BUCKET,
      '--from',
      '2025-01-01T00:00:00Z',
      '--to',
      '2025-01-02T00:00:00Z',
      '--public-keys',
      keysFile,
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('No digests found');
  });

  it.each([
    [['validate-trail'], 'takes one'],
    [['validate-trail', '/nonexistent-dir', '--bucket', 'b', '--public-keys', 'x'], 'no such directory'],
    [['validate-trail', '.', '--public-keys', 'x'], 'needs --bucket'],
    [['validate-trail', 's3://b', '--format', 'csv'], '--format'],
    [['validate-trail', 's3://b', '--from', 'yesterday'], '--from must be an ISO time'],
    [['validate-trail', 's3://b', '--from', '2026-11-03T00:00:00Z', '--to', '2026-11-02T00:00:00Z'], 'after --to'],
    [['validate-trail', 's3://b', '--account', '12'], '12-digit'],
    [['validate-trail', 's3://b', '--public-keys', '/nonexistent.json'], 'cannot read --public-keys'],
  ])('bad usage %j exits 2', async (argv, text) => {
    const r = await runCli(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(text);
  });

  it('--help prints usage and exits 0', async () => {
    const r = await runCli(['validate-trail', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('validate-trail s3://BUCKET[/PREFIX]');
  });
});

describe('validate-trail on S3 (s3rver, --endpoint-url)', () => {
  let s3: Awaited<ReturnType<typeof startS3rver>>;
  beforeAll(async () => {
    s3 = await startS3rver([BUCKET]);
    // Dummy values for the emulator: the SDK signs every request, s3rver ignores the signature.
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'S3RVER');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'S3RVER');
    vi.stubEnv('AWS_REGION', 'us-east-1');
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await s3.stop();
  });

  it('round-trips x-amz-meta-signature, validates the untouched bucket, then catches a deletion and an alteration', async () => {
    const trail = trailOf();
    await uploadTrail(s3.client, BUCKET, trail.objects);
    const head = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: trail.digestKeys[0] }));
    expect(head.Metadata).toEqual(trail.objects.get(trail.digestKeys[0] ?? '')?.metadata);

    const url = `s3://${BUCKET}/ct`;
    // 45 min after the newest digest: in time; without it, the one before is 1 h 45 min old (> 1 h + 30 min).
    const late = [
      '--from',
      FROM,
      '--to',
      new Date(START + (HOURS - 1) * 3_600_000 + 45 * 60_000).toISOString(),
      '--public-keys',
    ];
    const ok = await runCli(['validate-trail', url, '--endpoint-url', s3.endpoint, ...late, keysFile]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`${trail.logKeys.length}/${trail.logKeys.length} log files valid`);

    const gone = trail.logKeys[3] ?? '';
    await s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: gone }));
    const newest = trail.digestKeys.at(-1) ?? '';
    await s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: newest }));
    const bad = await runCli(['validate-trail', url, '--endpoint-url', s3.endpoint, ...late, keysFile]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`Log file\ts3://${BUCKET}/${gone}\tINVALID: not found`);
    expect(bad.stdout).toContain(`Digest delivery\ts3://${BUCKET}/${trail.digestKeys.at(-2)}\tSTOPPED`);
  });
});
