import { describe, expect, it } from 'vitest';
import { coverageCommand, renderCoverageTable } from '../../cli/commands/coverage.ts';
import type { ControlCoverage } from '../../rules/core/coverage.ts';
import { computeCoverage, UNMONITORED_CONTROLS } from '../../rules/core/coverage.ts';
import { defineRule } from '../../rules/core/define-rule.ts';
import { buildCatalogue } from '../../rules/core/engine.ts';
import { observationRules } from '../../rules/core/observation-rules.ts';
import type { CloudTrailSelector, RuleCase } from '../../rules/core/types.ts';
import { CONTROLS } from '../../rules/core/types.ts';
import { RULES } from '../../rules/index.ts';
import { ioFor, runCli, stopLogging } from './helpers.ts';

const stop = defineRule<CloudTrailSelector>({
  id: 'cloudtrail.stopped',
  title: 'Trail stopped',
  severity: 'critical',
  controls: ['A.8.15'],
  mitre: [],
  on: { source: 'cloudtrail', eventNames: ['StopLogging'] },
  match: () => true,
});

const cases: readonly RuleCase[] = [
  { name: 'stop matches', expect: 'match', event: stopLogging('e1') },
  { name: 'wrongly expected quiet', expect: 'no-match', event: stopLogging('e2') },
];

const fake = (): ControlCoverage[] =>
  computeCoverage([[stop, { cases: () => cases }]], buildCatalogue([stop]), {
    'A.8.24': { title: 'Use of cryptography', why: 'KMS calls.' },
  });

const zero = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };

describe('coverage core', () => {
  it('maps controls to rules in Annex A order, runs the cases, and names controls with no rule as gaps', () => {
    const result = fake();
    expect(result.map((c) => c.control)).toEqual([
      'A.5.23',
      'A.8.2',
      'A.8.3',
      'A.8.5',
      'A.8.8',
      'A.8.9',
      'A.8.10',
      'A.8.13',
      'A.8.15',
      'A.8.16',
      'A.8.19',
      'A.8.20',
      'A.8.24',
    ]);
    expect(result.find((c) => c.control === 'A.8.15')).toEqual({
      control: 'A.8.15',
      title: 'Logging',
      status: 'covered',
      rules: [
        {
          id: 'cloudtrail.stopped',
          severity: 'critical',
          cases: {
            total: 2,
            passed: 1,
            failures: [{ name: 'wrongly expected quiet', reason: 'expected no-match, got match' }],
          },
        },
      ],
      severities: { ...zero, critical: 1 },
    });
    expect(result.find((c) => c.control === 'A.8.24')).toEqual({
      control: 'A.8.24',
      title: 'Use of cryptography',
      status: 'gap',
      why: 'KMS calls.',
      rules: [],
      severities: zero,
    });
    expect(result.find((c) => c.control === 'A.8.2')).toEqual({
      control: 'A.8.2',
      title: 'Privileged access rights',
      status: 'gap',
      rules: [],
      severities: zero,
    });
  });

  it('the table shows gaps and failing cases', () => {
    const lines = renderCoverageTable(fake(), false);
    expect(lines[0]).toMatch(/^CONTROL\s+TITLE\s+RULES\s+SEVERITIES\s+CASES\s+STATUS$/);
    expect(lines.find((l) => l.startsWith('A.8.15'))).toMatch(
      /^A\.8\.15\s+Logging\s+1\s+critical 1\s+1\/2 pass \(1 failing\)\s+covered, cases failing$/,
    );
    expect(lines.find((l) => l.startsWith('A.8.24'))).toMatch(/^A\.8\.24\s+Use of cryptography\s+0\s+-\s+-\s+GAP$/);
    expect(lines).toContain('1 of 13 controls covered, 12 gaps');
    expect(lines).toContain('  A.8.24 Use of cryptography: KMS calls.');
    expect(lines).toContain('  cloudtrail.stopped: wrongly expected quiet: expected no-match, got match');
  });
});

describe('trailwarden coverage', () => {
  const expectedControls = [...Object.keys(CONTROLS), ...Object.keys(UNMONITORED_CONTROLS)];

  it('--format json lists every Annex A control with its rules, severity spread and passing cases', async () => {
    const { code, stdout } = await runCli(['coverage', '--format', 'json']);
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as ControlCoverage[];
    expect(new Set(result.map((c) => c.control))).toEqual(new Set(expectedControls));
    expect(result).toHaveLength(expectedControls.length);
    for (const c of result) {
      expect(Object.keys(c.severities)).toEqual(['critical', 'high', 'medium', 'low', 'info']);
      const mapped = [...RULES, ...observationRules()]
        .filter((r) => (r.controls as readonly string[]).includes(c.control))
        .map((r) => r.id);
      expect(c.rules.map((r) => r.id)).toEqual(mapped);
      expect(c.status).toBe(mapped.length === 0 ? 'gap' : 'covered');
      for (const r of c.rules) {
        expect(r.cases.total).toBeGreaterThan(0);
        expect(r.cases.failures).toEqual([]);
      }
    }
    const crypto = result.find((c) => c.control === 'A.8.24');
    expect(crypto).toMatchObject({ title: 'Use of cryptography', status: 'gap', rules: [] });
    expect(crypto?.why).toEqual(expect.any(String));
    // Data destruction, backups and network teardown are monitored, not gaps.
    for (const [control, title] of [
      ['A.8.10', 'Information deletion'],
      ['A.8.13', 'Information backup'],
      ['A.8.20', 'Networks security'],
    ] as const) {
      expect(result.find((c) => c.control === control)).toMatchObject({ title, status: 'covered' });
    }
  });

  it('prints a table by default with a row per control and the gaps named', async () => {
    const { code, stdout } = await runCli(['coverage']);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^CONTROL\s+TITLE\s+RULES\s+SEVERITIES\s+CASES\s+STATUS$/);
    for (const control of expectedControls) expect(lines.some((l) => l.startsWith(`${control} `))).toBe(true);
    expect(stdout).toMatch(/^A\.5\.15\s+Access control\s+0\s+-\s+-\s+GAP$/m);
    expect(stdout).toContain('Gaps (no rule yet):');
  });

  it('--format md prints a Markdown table', async () => {
    const { io, stdout } = ioFor();
    expect(await coverageCommand(['--format', 'md'], io, () => {}, fake())).toBe(0);
    const lines = stdout().trimEnd().split('\n');
    expect(lines[0]).toBe('| Control | Title | Rules | Severities | Cases | Status |');
    expect(lines).toContain(
      '| A.8.15 | Logging | `cloudtrail.stopped` | critical 1 | 1/2 pass (1 failing) | covered, cases failing |',
    );
    expect(lines).toContain('| A.8.24 | Use of cryptography | - | - | - | **gap**: KMS calls. |');
  });

  it('rejects an unknown format with the usage', async () => {
    const { code, stderr } = await runCli(['coverage', '--format', 'yaml']);
    expect(code).toBe(2);
    expect(stderr).toContain('--format must be table, json or md');
  });
});
