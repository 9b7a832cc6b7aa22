import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSV_COLUMNS, csvField, exportCommand, parseDay } from '../../cli/commands/export.ts';
import { startS3rver } from '../support/s3rver.ts';
import { ioFor, logFile, record, runCli, stopLogging, tempTree } from './helpers.ts';

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

const QUOTED_ARN = 'arn:aws:sts::111122223333:assumed-role/Ops/o"brien,admin';

/**
 * Evidence from a scan: a StopLogging (A.8.15) on 2 Nov by an actor whose ARN needs CSV quoting, an MFA
 * deactivation (A.8.5) on 3 Nov and an admin grant (A.8.2, two findings) on 5 Nov.
 */
const scanWithEvidence = async () => {
  const stop = stopLogging('ev-1', { eventTime: '2026-11-02T10:05:00Z' });
  const identity = stop.userIdentity as Record<string, unknown>;
  const logs = tempTree({
    'log.json': logFile([
      { ...stop, userIdentity: { ...identity, arn: QUOTED_ARN } },
      record('iam/DeactivateMFADevice', { eventID: 'ev-2', eventTime: '2026-11-03T09:00:00Z' }),
      record('iam/AttachUserPolicy-admin', { eventID: 'ev-3', eventTime: '2026-11-05T09:00:00Z' }),
    ]),
  });
  const evidence = join(tempTree(), 'evidence');
  const run = await runCli(['scan', logs, '--format', 'jsonl', '--evidence', evidence]);
  expect(run.code).toBe(0);
  return { evidence, files: filesUnder(evidence) };
};

const exportTo = async (evidence: string, args: readonly string[]) => {
  const out = join(tempTree(), 'package');
  const run = await runCli(['export', ...args, '--out', out, evidence]);
  return { out, run, read: (path: string) => readFileSync(join(out, path), 'utf8') };
};

/** RFC 4180 records (quoted fields may hold commas, quotes and line breaks). */
const parseCsv = (text: string): string[][] => {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  return rows;
};

describe('trailwarden export', () => {
  it('writes the package for a range: findings and digests byte for byte, csv, reports, manifest', async () => {
    const { evidence, files } = await scanWithEvidence();
    const { out, run, read } = await exportTo(evidence, ['--from', '2026-11-01', '--to', '2026-11-05']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    // 2 Nov 10:00 to 5 Nov 09:00: a signed digest for every hour of the scanned range.
    expect(run.stdout).toMatch(/^exported 4 findings, \d+ incident, triage or review objects and 72 digests to /);

    // Everything in the source (the public key too), plus the package's own files.
    expect(files.filter((f) => f.startsWith('keys/'))).toEqual([expect.stringMatching(/^keys\/[0-9a-f]{64}\.pem$/)]);
    expect(filesUnder(out)).toEqual(
      [...files, 'findings.csv', 'manifest.json', 'metrics.json', 'report.html', 'report.md'].sort(),
    );
    for (const key of files) expect(readFileSync(join(out, key))).toEqual(readFileSync(join(evidence, key)));

    // CSV: header, one CRLF row per finding in time order, RFC 4180 quoting.
    const csv = read('findings.csv');
    expect(csv.split('\r\n')[0]).toBe(CSV_COLUMNS.join(','));
    expect(csv).toContain(`,"${QUOTED_ARN.replace(/"/g, '""')}",`);
    const rows = parseCsv(csv);
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    const body = rows.slice(1);
    expect(body).toHaveLength(4);
    for (const row of body) expect(row).toHaveLength(CSV_COLUMNS.length);
    // By first seen, then id (the two 5 Nov findings share a time).
    expect(body.slice(0, 2).map((r) => r[4])).toEqual(['cloudtrail.logging-stopped', 'iam.mfa-device-deactivated']);
    expect(
      body
        .slice(2)
        .map((r) => r[4])
        .sort(),
    ).toEqual(['iam.admin-granted', 'iam.policy-changed']);
    const sameTime = body.slice(2).map((r) => r[0] ?? '');
    expect(sameTime).toEqual([...sameTime].sort());
    const first = body[0] ?? [];
    expect(first[9]).toBe(QUOTED_ARN);
    expect(first[6]).toBe('A.8.15');
    expect(first[3]).toBe('critical');
    const evidenceKey = first[12] ?? '';
    expect(evidenceKey).toMatch(/^findings\/dt=2026-11-02\/critical\/[0-9a-f]{32}\.json$/);
    const sha = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');
    expect(first[13]).toBe(sha(readFileSync(join(evidence, evidenceKey))));
    const finding = JSON.parse(read(evidenceKey)) as { id: string; firstSeen: string; count: number };
    expect([first[0], first[1], first[11]]).toEqual([finding.id, finding.firstSeen, String(finding.count)]);

    // report.md: scope, counts, the findings and the rule docs of the rules present only.
    const md = read('report.md');
    for (const heading of [
      '# Trailwarden evidence export',
      '## Findings by severity',
      '## Findings by rule',
      '## Findings',
      '## Rule documentation',
      '### cloudtrail.logging-stopped',
      '### iam.mfa-device-deactivated',
      '### iam.admin-granted',
    ]) {
      expect(`\n${md}`).toContain(`\n${heading}\n`);
    }
    expect(md).toContain('- Period: 2026-11-01 to 2026-11-05');
    expect(md).toContain('| critical | 1 |');
    expect(md).toContain('| high | 2 |');
    expect(md).toContain('| iam.admin-granted | 1 |');
    expect(md).toContain(`| ${finding.id} |`);
    expect(md).toContain('Runbook:');
    expect(md).not.toContain('### iam.root-access-key-created');

    // report.html: self-contained, with the chart.
    const html = read('report.html');
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('<svg');
    expect(html).toContain('<style>');
    expect(html).not.toMatch(/\b(src|href)\s*=/i);
    expect(html).not.toMatch(/https?:/i);
    expect(html).not.toContain('<script');
    // Ids carry a soft break (<wbr>) between their halves, so they wrap cleanly in a narrow column.
    expect(html.replace(/<wbr>/g, '')).toContain(finding.id);
    expect(html).toContain('o&quot;brien,admin');

    // manifest.json: every other file, with its hash and size.
    const manifest = JSON.parse(read('manifest.json')) as {
      verification: string;
      files: { path: string; sha256: string; size: number }[];
    };
    expect(manifest.verification).toBe('package');
    expect(manifest.files.map((f) => f.path)).toEqual(filesUnder(out).filter((f) => f !== 'manifest.json'));
    for (const f of manifest.files) {
      const bytes = readFileSync(join(out, f.path));
      expect(f.sha256).toBe(sha(bytes));
      expect(f.size).toBe(bytes.byteLength);
    }

    // The package verifies on its own.
    const verified = await runCli(['verify', out]);
    // Findings and the incidents they belong to.
    expect(verified.stdout).toMatch(/^verified: 72 digests, 7 of 7 evidence objects match the chain/m);
    expect(verified.code).toBe(0);
  });

  it('is deterministic: the same source and arguments give the same bytes', async () => {
    const { evidence } = await scanWithEvidence();
    const a = await exportTo(evidence, ['--from', '2026-11-01', '--to', '2026-11-05']);
    const b = await exportTo(evidence, ['--from', '2026-11-01', '--to', '2026-11-05']);
    for (const path of ['findings.csv', 'report.md', 'report.html', 'manifest.json']) {
      expect(b.read(path)).toBe(a.read(path));
    }
  });

  it('selects findings active in the inclusive day range, with the digests that list them', async () => {
    const { evidence } = await scanWithEvidence();
    const { out, run, read } = await exportTo(evidence, ['--from', '2026-11-03', '--to', '2026-11-03']);
    expect(run.code).toBe(0);
    expect(filesUnder(out).filter((f) => f.startsWith('findings/') || f.startsWith('digests/'))).toEqual([
      'digests/dt=2026-11-03/20261103T090000Z.json',
      expect.stringMatching(/^findings\/dt=2026-11-03\/high\/[0-9a-f]{32}\.json$/),
    ]);
    expect(parseCsv(read('findings.csv'))).toHaveLength(2);
    // A middle piece of the chain verifies alone as an excerpt: the manifest names the digest before it.
    const manifest = JSON.parse(read('manifest.json')) as {
      verification: string;
      excerpt: { startsAfter: { key: string } | null; omitted: string[] };
    };
    expect(manifest.verification).toBe('package');
    expect(manifest.excerpt.startsAfter?.key).toMatch(/^digests\/dt=2026-11-03\/20261103T080000Z\.json$/);
    expect(run.stdout).not.toContain('verify the source');
    expect(read('report.md')).toContain('The package is an excerpt of the chain');
    const verified = await runCli(['verify', out]);
    expect(verified.stdout).toContain('package: verified as an excerpt');
    expect(verified.code).toBe(0);
    // Without its manifest the same files are a cut chain, and verify says so.
    rmSync(join(out, 'manifest.json'));
    const cut = await runCli(['verify', out]);
    expect(cut.stdout).toContain('FAIL broken-link digests/dt=2026-11-03/20261103T090000Z.json');
    expect(cut.code).toBe(1);
  });

  it('filters by --control; the package verifies as an excerpt', async () => {
    const { evidence } = await scanWithEvidence();
    const { out, run, read } = await exportTo(evidence, [
      '--from',
      '2026-11-01',
      '--to',
      '2026-11-30',
      '--control',
      'A.8.2',
    ]);
    expect(run.code).toBe(0);
    const rows = parseCsv(read('findings.csv')).slice(1);
    expect(rows.map((r) => r[4]).sort()).toEqual(['iam.admin-granted', 'iam.policy-changed']);
    for (const row of rows) expect(row[6]?.split(';')).toContain('A.8.2');
    expect(filesUnder(out).filter((f) => f.startsWith('digests/'))).toEqual([
      'digests/dt=2026-11-05/20261105T090000Z.json',
    ]);
    const md = read('report.md');
    expect(md).toContain('- Control: A.8.2 Privileged access rights');
    expect(md).not.toContain('### cloudtrail.logging-stopped');
    expect((JSON.parse(read('manifest.json')) as { control: string }).control).toBe('A.8.2');
    // The package verifies as an excerpt (this hour's digest lists only A.8.2 findings, so nothing is left out;
    // the core tests cover an excerpt that leaves listed objects out); the source verifies whole.
    const manifest = JSON.parse(read('manifest.json')) as { excerpt: { omitted: string[] } };
    expect(manifest.excerpt.omitted).toEqual([]);
    const packaged = await runCli(['verify', out]);
    expect(packaged.stdout).toContain('0 listed objects left out of the selection');
    expect(packaged.code).toBe(0);
    expect((await runCli(['verify', evidence])).code).toBe(0);
  });

  it('shows a folded finding at its highest revision and exports every revision', async () => {
    const logs = tempTree({
      'log.json': logFile([
        stopLogging('ev-1', { eventTime: '2026-11-02T10:05:00Z' }),
        stopLogging('ev-2', { eventTime: '2026-11-02T10:06:00Z' }),
        stopLogging('ev-3', { eventTime: '2026-11-02T10:07:00Z' }),
      ]),
    });
    const evidence = join(tempTree(), 'evidence');
    expect((await runCli(['scan', logs, '--evidence', evidence])).code).toBe(0);
    const { out, run, read } = await exportTo(evidence, ['--from', '2026-11-02', '--to', '2026-11-02']);
    expect(run.stdout).toContain('exported 1 finding, 1 incident, triage or review object and 1 digest ');
    const findings = filesUnder(out).filter((f) => f.startsWith('findings/'));
    expect(findings.map((f) => f.replace(/[0-9a-f]{32}/, 'ID'))).toEqual([
      'findings/dt=2026-11-02/critical/ID.json',
      'findings/dt=2026-11-02/critical/ID.r2.json',
      'findings/dt=2026-11-02/critical/ID.r3.json',
    ]);
    const [row] = parseCsv(read('findings.csv')).slice(1);
    expect(row?.[11]).toBe('3');
    expect(row?.[12]).toMatch(/\.r3\.json$/);
    expect((JSON.parse(read('manifest.json')) as { verification: string }).verification).toBe('package');
    expect((await runCli(['verify', out])).code).toBe(0);
  });

  it('writes an empty but valid package when nothing is in range', async () => {
    const { evidence } = await scanWithEvidence();
    const { out, run, read } = await exportTo(evidence, ['--from', '2027-01-01', '--to', '2027-01-02']);
    expect(run.code).toBe(0);
    expect(filesUnder(out)).toEqual(['findings.csv', 'manifest.json', 'metrics.json', 'report.html', 'report.md']);
    expect(read('findings.csv')).toBe(`${CSV_COLUMNS.join(',')}\r\n`);
    expect(read('report.md')).toContain('None in this period.');
  });

  it('exits 2 on bad dates and other usage errors', async () => {
    const { evidence } = await scanWithEvidence();
    const cases: [readonly string[], RegExp][] = [
      [['--from', '2026-11-31', '--to', '2026-12-01', evidence], /--from must be a calendar day as YYYY-MM-DD/],
      [['--from', '2026-11-01', '--to', '11/02/2026', evidence], /--to must be a calendar day/],
      [['--from', '2026-11-01T00:00:00Z', '--to', '2026-11-02', evidence], /--from must be a calendar day/],
      [['--from', '2026-11-05', '--to', '2026-11-01', evidence], /--from 2026-11-05 is after --to 2026-11-01/],
      [['--to', '2026-11-01', evidence], /needs --from DATE and --to DATE/],
      [['--from', '2026-11-01', '--to', '2026-11-02', '--control', 'A.9.9', evidence], /--control must be one of/],
      [['--from', '2026-11-01', '--to', '2026-11-02'], /exactly one SOURCE/],
      [['--from', '2026-11-01', '--to', '2026-11-02', join(tempTree(), 'nope')], /no such file or directory/],
      [['--from', '2026-11-01', '--to', '2026-11-02', 's3://'], /expected s3:\/\/bucket\/prefix/],
    ];
    for (const [args, error] of cases) {
      const run = await runCli(['export', ...args, '--out', join(tempTree(), 'out')]);
      expect(run.stderr).toMatch(error);
      expect(run.code).toBe(2);
    }
    // An existing, non-empty output directory is never overwritten.
    const used = tempTree({ 'keep.txt': 'x' });
    const run = await runCli(['export', '--from', '2026-11-01', '--to', '2026-11-02', '--out', used, evidence]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/not an empty directory/);
  });
});

describe('trailwarden export s3://bucket/prefix (s3rver)', () => {
  let s3: Awaited<ReturnType<typeof startS3rver>>;
  beforeAll(async () => {
    s3 = await startS3rver(['evidence']);
  });
  afterAll(async () => {
    await s3.stop();
  });

  it('reads the source as verify does and writes the same package', async () => {
    const { evidence, files } = await scanWithEvidence();
    for (const key of files) {
      await s3.client.send(
        new PutObjectCommand({ Bucket: 'evidence', Key: `archive/${key}`, Body: readFileSync(join(evidence, key)) }),
      );
    }
    const out = join(tempTree(), 'package');
    const { io, stdout } = ioFor();
    const args = ['--from', '2026-11-01', '--to', '2026-11-05', '--out', out, 's3://evidence/archive'];
    const code = await exportCommand(args, io, () => undefined, { s3Client: async () => s3.client });
    expect(stdout()).toMatch(/^exported 4 findings, \d+ incident, triage or review objects and 72 digests to /);
    expect(code).toBe(0);
    const local = await exportTo(evidence, ['--from', '2026-11-01', '--to', '2026-11-05']);
    expect(readFileSync(join(out, 'findings.csv'), 'utf8')).toBe(local.read('findings.csv'));
    expect((await runCli(['verify', out])).code).toBe(0);
  });
});

describe('export helpers', () => {
  it('quotes CSV fields as RFC 4180 says', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
  });

  it('accepts only real calendar days', () => {
    expect(parseDay('2028-02-29')).toBe(Date.parse('2028-02-29T00:00:00Z'));
    expect(parseDay('2026-02-29')).toBeUndefined();
    expect(parseDay('2026-1-01')).toBeUndefined();
  });
});
