import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import { generateExampleLogs, gzip, LOGS_DIR } from '../../examples/generate.ts';
import type { ExpectedFinding } from '../../examples/scenarios.ts';
import { EXPECTED_SCENARIOS } from '../../examples/scenarios.ts';
import { ioFor, jsonLinesOf, tempTree } from '../cli/helpers.ts';

const ROOT = join(import.meta.dirname, '..', '..');
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
    const actual = findings.map((f) => keyOf(f, EXPECTED_SCENARIOS)).sort();
    const expected = EXPECTED_SCENARIOS.map((e) => `${e.ruleId} ${e.account} ${e.actor}`).sort();
    expect(actual).toEqual(expected);
  });

  it('prints the findings as a table by default (`npm start`)', async () => {
    const { code, stdout } = await scan(LOGS_DIR, 'table');
    expect(code).toBe(0);
    for (const e of EXPECTED_SCENARIOS) expect(stdout).toContain(e.ruleId);
    expect(stdout).toContain(`${EXPECTED_SCENARIOS.length} findings`);
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
});
