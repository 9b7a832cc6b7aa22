import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonLinesOf, runCli, tempTree } from './helpers.ts';

const root = join(import.meta.dirname, '..', '..');
const examples = join(root, 'examples', 'logs');
const config = join(root, 'examples', 'trailwarden.config.json');

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

interface Printed {
  readonly id: string;
  readonly ruleId: string;
  readonly severity: string;
  readonly firstSeen: string;
  readonly incidentId?: string;
}

/**
 * Issue 10, "Done when": the whole loop on an --evidence directory — scan the examples, triage (ack, resolve,
 * false positive, missed), metrics, review, export, verify — and an edited triage object fails verify.
 */
describe('the response loop on an --evidence directory', () => {
  it('scan → triage → metrics → review → export → verify, and editing any triage object fails verify', async () => {
    const cwd = tempTree();
    // One operator, one local signing key for every command (a fresh config directory per command would mint a
    // new key each time).
    const env = { XDG_CONFIG_HOME: tempTree() };
    const evidence = join(cwd, 'evidence');
    const scan = await runCli(['scan', examples, '--config', config, '--format', 'jsonl', '--evidence', evidence], {
      cwd,
      env,
    });
    expect(scan.code).toBe(0);
    const findings = jsonLinesOf(scan.stdout) as unknown as Printed[];
    const byRule = (id: string): Printed => {
      const f = findings.find((x) => x.ruleId === id);
      if (f === undefined) throw new Error(`no ${id} finding in the examples`);
      return f;
    };
    // Triage an incident when the scan grouped one, else the finding itself (either is a valid target).
    const target = (f: Printed): string => f.incidentId ?? f.id;
    const admin = byRule('iam.admin-granted');
    const sg = byRule('ec2.security-group-changed');
    const at = (f: Printed, minutes: number): string =>
      new Date(Date.parse(f.firstSeen) + minutes * 60_000).toISOString();
    const triage = (args: string[]) => runCli(['triage', ...args, '--source', evidence, '--by', 'alice'], { cwd, env });

    const ack = await triage([target(admin), '--ack', '--at', at(admin, 7)]);
    expect(ack.stderr).toBe('');
    expect(ack.code).toBe(0);
    expect(ack.stdout).toMatch(/^recorded: acknowledged [0-9a-f]{32} by alice at /);
    expect(ack.stdout).toMatch(/chained in digests\//);
    expect((await triage([target(admin), '--ack', '--at', at(admin, 7)])).stdout).toMatch(/^already recorded/);
    const resolved = await triage([
      target(admin),
      '--resolve',
      '--verdict',
      'true-positive',
      '--note',
      'contained',
      '--at',
      at(admin, 47),
    ]);
    expect(resolved.code).toBe(0);
    const again = await triage([target(admin), '--ack', '--at', at(admin, 60)]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('resolved is final');
    expect(
      (await triage([target(sg), '--resolve', '--verdict', 'false-positive', '--note', 'CHG-1042', '--at', at(sg, 20)]))
        .code,
    ).toBe(0);
    const missed = await triage([
      '--missed',
      'access key used from a paste site',
      '--rule',
      'iam.access-key-created',
      '--at',
      '2026-11-02T18:00:00Z',
    ]);
    expect(missed.code).toBe(0);
    const unknown = await triage(['0000000000000000ffffffffffffffff', '--ack']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no incident or finding with this id');

    const triageKeys = filesUnder(evidence).filter((k) => k.startsWith('triage/'));
    expect(triageKeys).toHaveLength(4);

    const metrics = await runCli(
      [
        'metrics',
        '--source',
        evidence,
        '--from',
        '2026-11-01',
        '--to',
        '2026-11-30',
        '--format',
        'json',
        '--config',
        config,
      ],
      { cwd, env },
    );
    expect(metrics.code).toBe(0);
    const m = JSON.parse(metrics.stdout) as { rules: Record<string, unknown>[]; totals: Record<string, unknown> };
    const rule = (id: string) => m.rules.find((r) => r.ruleId === id);
    expect(rule('iam.admin-granted')).toMatchObject({
      // Two admin grants in the examples: one in its own incident (acknowledged at 7 min, resolved true-positive at
      // 47 min), one in the security-group change's incident, resolved false-positive with it (2,806 s after that
      // grant): the decision on an incident counts for every finding in it.
      findings: 2,
      falsePositiveRate: 0.5,
      mttaSeconds: (420 + 2806) / 2,
      mttrSeconds: (2820 + 2806) / 2,
    });
    // Two security-group changes in one incident, resolved false-positive together: 20 min after the first,
    // 4,410 s after the second.
    expect(rule('ec2.security-group-changed')).toMatchObject({
      findings: 2,
      falsePositiveRate: 1,
      flagged: true,
      mttrSeconds: (1200 + 4410) / 2,
    });
    expect(rule('iam.access-key-created')).toMatchObject({ findings: 0, missed: 1 });
    for (const r of m.rules)
      for (const key of ['ruleId', 'findings', 'falsePositiveRate', 'mttaSeconds', 'mttrSeconds'])
        expect(r).toHaveProperty(key);

    const review = await runCli(['review', '--quarter', '2026-Q4', '--source', evidence, '--config', config], {
      cwd,
      env,
    });
    expect(review.code).toBe(0);
    expect(review.stdout).toContain('# Trailwarden threshold review 2026-Q4');
    expect(review.stdout).toContain('**ec2.security-group-changed**');
    expect(review.stderr).toMatch(
      /review 2026-Q4 archived: reviews\/dt=\d{4}-\d{2}-\d{2}\/2026-Q4-[0-9a-f]{16}\.json, reviews\/.*\.md; chained in digests\//,
    );
    const rerun = await runCli(['review', '--quarter', '2026-Q4', '--source', evidence, '--config', config], {
      cwd,
      env,
    });
    expect(rerun.stderr).toContain('the same review is already archived');

    const out = join(cwd, 'package');
    const exported = await runCli(
      ['export', '--from', '2026-11-01', '--to', '2026-11-30', '--out', out, '--config', config, evidence],
      { cwd, env },
    );
    expect(exported.code).toBe(0);
    const packaged = filesUnder(out);
    for (const key of [...triageKeys, ...filesUnder(evidence).filter((k) => k.startsWith('reviews/'))])
      expect(packaged).toContain(key);
    expect(packaged).toContain('metrics.json');
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toContain('## Incident responses');
    expect(md).toContain('access key used from a paste site');
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('False-positive rate per rule');

    const verified = await runCli(['verify', evidence], { cwd, env });
    expect(verified.stdout).toMatch(/^verified: /m);
    expect(verified.code).toBe(0);
    // The package verifies on its own as an excerpt: its first digest links to an earlier hour outside it, which
    // its manifest names, and it says so.
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.verification).toBe('package');
    expect(manifest.excerpt.startsAfter.key).toMatch(/^digests\/dt=2026-11-0\d\//);
    const pkg = await runCli(['verify', out], { cwd, env });
    expect(pkg.stdout).toContain(
      `package: verified as an excerpt of a longer chain (manifest.json): it starts after ${manifest.excerpt.startsAfter.key}, outside the package`,
    );
    expect(pkg.stdout).toMatch(/^verified: /m);
    expect(pkg.stdout).not.toContain('key-changed');
    expect(pkg.code).toBe(0);
    // A finding deleted from the package, or one byte of it changed, is caught there too.
    const packagedFinding = packaged.find((k) => k.startsWith('findings/')) ?? '';
    const findingPath = join(out, ...packagedFinding.split('/'));
    const findingBytes = readFileSync(findingPath, 'utf8');
    writeFileSync(findingPath, findingBytes.replace('"severity"', '"severity" '));
    expect((await runCli(['verify', out], { cwd, env })).stdout).toContain(`FAIL altered ${packagedFinding}`);
    rmSync(findingPath);
    const deleted = await runCli(['verify', out], { cwd, env });
    expect(deleted.stdout).toContain(`FAIL missing ${packagedFinding}`);
    expect(deleted.code).toBe(1);
    writeFileSync(findingPath, findingBytes);

    // Any edit to any triage object (here: a verdict turned into a false positive) is caught and named.
    for (const key of triageKeys) {
      const path = join(evidence, ...key.split('/'));
      const original = readFileSync(path, 'utf8');
      writeFileSync(path, original.replace('"by": "alice"', '"by": "mallory"'));
      const tampered = await runCli(['verify', evidence], { cwd, env });
      expect(tampered.code).toBe(1);
      expect(tampered.stdout).toContain(`FAIL altered ${key}`);
      writeFileSync(path, original);
    }
    // And an extra, undigested decision is not evidence either.
    writeFileSync(join(evidence, 'triage', 'forged.json'), '{}\n');
    expect((await runCli(['verify', evidence], { cwd, env })).stdout).toContain('FAIL unexpected triage/forged.json');
  }, 60_000);
});
