import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import { ATTACK_USER, EXPECTED_ATTACK } from '../../examples/attack-hour.ts';
import { attackHourLogs, generateExampleLogs, gzip, LOGS_DIR } from '../../examples/generate.ts';
import type { ExpectedFinding } from '../../examples/scenarios.ts';
import { EXPECTED_SCENARIOS } from '../../examples/scenarios.ts';
import { ioFor, jsonLinesOf, tempTree } from '../cli/helpers.ts';

const ROOT = join(import.meta.dirname, '..', '..');
/** Everything hidden in the example day: the scenarios and the attack hour. */
const EXPECTED = [...EXPECTED_SCENARIOS, ...EXPECTED_ATTACK];
const CONFIG = join(ROOT, 'examples', 'trailwarden.config.json');

const committedFiles = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => relative(dir, join(d.parentPath, d.name)).split(sep).join('/'))
    .sort();

interface FindingView {
  readonly ruleId: string;
  readonly account: string;
  readonly actor: { readonly arn: string; readonly userName?: string };
}

/** `rule account actor`, naming the actor as the expectation does when one matches. */
const keyOf = (f: FindingView, expected: readonly ExpectedFinding[]): string => {
  const match = expected.find(
    (e) =>
      e.ruleId === f.ruleId && e.account === f.account && (e.actor === f.actor.arn || e.actor === f.actor.userName),
  );
  return `${f.ruleId} ${f.account} ${match?.actor ?? f.actor.userName ?? f.actor.arn}`;
};

const scan = async (path: string, format = 'jsonl') => {
  const { io, stdout, stderr } = ioFor({ cwd: ROOT });
  const code = await main(['scan', path, '--format', format, '--config', CONFIG], io);
  return { code, stdout: stdout(), stderr: stderr() };
};

describe('examples/logs', () => {
  it('is exactly what `npm run examples` generates now (run it after changing the generator)', () => {
    const generated = generateExampleLogs();
    expect(committedFiles(LOGS_DIR)).toEqual(generated.map((f) => f.path));
    for (const file of generated) {
      const bytes = readFileSync(join(LOGS_DIR, ...file.path.split('/')));
      // No timestamp in the gzip header (bytes 4–7), so regenerating never changes an unchanged file.
      expect(bytes.readUInt32LE(4), file.path).toBe(0);
      // Compared inflated: zlib versions may compress differently, the content must not differ.
      expect(gunzipSync(bytes).toString('utf8') === file.text, `${file.path} differs from the generator`).toBe(true);
    }
  });

  it('is generated deterministically, as CloudTrail lays files out, and stays small', () => {
    const a = generateExampleLogs();
    const b = generateExampleLogs();
    expect(a.map((f) => f.text)).toEqual(b.map((f) => f.text));
    const events = a.reduce((n, f) => n + f.records.length, 0);
    expect(events).toBeGreaterThan(2000);
    const bytes = a.reduce((n, f) => n + gzip(f.text).length, 0);
    expect(bytes).toBeLessThan(1024 * 1024);
    for (const f of a) {
      expect(f.path).toMatch(
        /^AWSLogs\/(111122223333|444455556666)\/CloudTrail\/(eu-west-1|us-east-1)\/2026\/11\/02\/\1_CloudTrail_\2_20261102T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz$/,
      );
      for (const r of f.records) {
        expect(r.recipientAccountId).toBe(f.path.split('/')[1]);
        expect(r.awsRegion).toBe(f.path.split('/')[3]);
        expect(r.eventTime.startsWith('2026-11-02T')).toBe(true);
      }
    }
  });

  it('scans to exactly the expected scenario findings: none missing, none extra', async () => {
    const { code, stdout, stderr } = await scan(LOGS_DIR);
    expect(code).toBe(0);
    expect(stderr).toMatch(/skipped: 0 bad lines, 0 unreadable files/);
    expect(stderr).not.toMatch(/rule errors|not evaluated/);
    const findings = jsonLinesOf(stdout) as unknown as FindingView[];
    const actual = findings.map((f) => keyOf(f, EXPECTED)).sort();
    const expected = EXPECTED.map((e) => `${e.ruleId} ${e.account} ${e.actor}`).sort();
    expect(actual).toEqual(expected);
  });

  it('prints the findings as a table by default (`npm start`)', async () => {
    const { code, stdout } = await scan(LOGS_DIR, 'table');
    expect(code).toBe(0);
    for (const e of EXPECTED) expect(stdout).toContain(e.ruleId);
    // Six incidents: the attack hour is one (paged once, escalated once), each other scenario its own.
    expect(stdout).toContain(
      `${EXPECTED.length} findings (11 critical, 8 high, 8 medium); 9 incidents, 9 pages (1 escalation)`,
    );
    expect(stdout).toMatch(
      new RegExp(
        `^Incident [0-9a-f]{32}  CRITICAL  arn:aws:iam::444455556666:user/${ATTACK_USER}  account 444455556666$`,
        'm',
      ),
    );
  });

  it('the benign day alone produces no finding', async () => {
    const files: Record<string, Buffer> = {};
    for (const f of generateExampleLogs({ scenarios: false })) files[f.path] = gzip(f.text);
    const dir = tempTree(files);
    const { code, stdout, stderr } = await scan(dir);
    expect(code).toBe(0);
    expect(stderr).toMatch(/skipped: 0 bad lines, 0 unreadable files/);
    const findings = jsonLinesOf(stdout) as unknown as FindingView[];
    expect(findings.map((f) => keyOf(f, []))).toEqual([]);
  });

  it('the attack hour: one actor, eleven findings of ten rules, ONE incident that pages once and escalates once', async () => {
    const files: Record<string, Buffer> = {};
    for (const f of attackHourLogs()) files[f.path] = gzip(f.text);
    const dir = tempTree(files);
    const evidence = join(tempTree({}), 'evidence');
    const { io, stdout, stderr } = ioFor({ cwd: ROOT });
    const code = await main(
      ['scan', dir, '--format', 'jsonl', '--config', CONFIG, '--summary', '--evidence', evidence],
      io,
    );
    expect(code).toBe(0);
    const findings = jsonLinesOf(stdout()) as unknown as (FindingView & { incidentId?: string; severity: string })[];
    expect(findings.map((f) => keyOf(f, EXPECTED_ATTACK)).sort()).toEqual(
      EXPECTED_ATTACK.map((e) => `${e.ruleId} ${e.account} ${e.actor}`).sort(),
    );
    const incidentIds = new Set(findings.map((f) => f.incidentId));
    expect(incidentIds.size).toBe(1);
    const [incidentId] = [...incidentIds];
    expect(incidentId).toMatch(/^[0-9a-f]{32}$/);
    // Five findings are high or critical: five pages without correlation, two with it.
    expect(findings.filter((f) => f.severity === 'high' || f.severity === 'critical')).toHaveLength(5);
    expect(stderr()).toContain('Pages (high and above): 2 with correlation (1 incident, 1 escalation), 5 without.');
    // The archived incident says what paged: the GuardDuty deletion at high, then the stopped trail at critical.
    const incidentDir = join(evidence, 'incidents', 'dt=2026-11-02');
    const [latest] = readdirSync(incidentDir).sort((a, b) => b.length - a.length || (a < b ? 1 : -1));
    const incident = JSON.parse(readFileSync(join(incidentDir, latest ?? ''), 'utf8'));
    const byId = new Map(findings.map((f) => [(f as unknown as { id: string }).id, f.ruleId]));
    expect(incident).toMatchObject({ id: incidentId, severity: 'critical', pagedSeverity: 'critical', revision: 11 });
    expect(
      (incident.pages as { findingId: string; kind: string; severity: string }[]).map((p) => [
        p.kind,
        p.severity,
        byId.get(p.findingId),
      ]),
    ).toEqual([
      ['page', 'high', 'guardduty.detector-disabled'],
      ['escalation', 'critical', 'cloudtrail.logging-stopped'],
    ]);
  });
});
