import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeOn, describeSeverity, describeThreshold } from '../../cli/commands/rules.ts';
import { defineRule } from '../../rules/core/define-rule.ts';
import { observationRules } from '../../rules/core/observation-rules.ts';
import type { CloudTrailSelector } from '../../rules/core/types.ts';
import { RULES } from '../../rules/index.ts';
import { runCli } from './helpers.ts';

describe('trailwarden rules', () => {
  it("README's Rules section counts the catalogue as it is", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const counted = /lists the catalogue \((\d+) event rules, plus the (\d+) rules of the scheduled checks/.exec(
      readme,
    );
    expect(counted?.slice(1).map(Number)).toEqual([RULES.length, observationRules().length]);
  });

  it('--format json lists every registered rule with its selector, severity, controls and threshold', async () => {
    const { code, stdout } = await runCli(['rules', '--format', 'json']);
    expect(code).toBe(0);
    const listed = JSON.parse(stdout) as {
      id: string;
      on: unknown;
      severity: string;
      controls: string[];
      threshold: unknown;
    }[];
    expect(listed.map((r) => r.id)).toEqual(RULES.map((r) => r.id));
    for (const [i, rule] of RULES.entries()) {
      expect(listed[i]).toMatchObject({
        id: rule.id,
        title: rule.title,
        severity: rule.severity,
        controls: [...rule.controls],
        on: JSON.parse(JSON.stringify(rule.on)),
      });
      expect(listed[i]).toHaveProperty('threshold');
      expect(listed[i]).toHaveProperty('escalation');
    }
  });

  it('prints a table with a row per rule by default', async () => {
    const { code, stdout } = await runCli(['rules']);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+SEVERITY\s+CONTROLS\s+ON\s+THRESHOLD\s+TITLE$/);
    for (const rule of RULES) expect(stdout).toContain(rule.id);
    expect(lines.at(-1)).toBe(`${RULES.length} rule${RULES.length === 1 ? '' : 's'}`);
    expect(stdout).toContain('cloudtrail: StopLogging, DeleteTrail');
  });

  it('rejects an unknown format with the usage', async () => {
    const { code, stderr } = await runCli(['rules', '--format', 'yaml']);
    expect(code).toBe(2);
    expect(stderr).toContain('--format must be table or json');
    expect(stderr).toContain('Usage: trailwarden');
  });
});

describe('rule descriptions', () => {
  const burst = defineRule<CloudTrailSelector>({
    id: 'signin.failed-burst',
    title: 'Failed console logins',
    severity: 'high',
    escalation: { high: 'critical', low: 'medium' },
    controls: ['A.8.5'],
    mitre: ['T1110'],
    on: { source: 'signin', eventNames: ['ConsoleLogin'], where: { errorCode: ['Failed authentication'] } },
    match: () => true,
    threshold: {
      count: 5,
      windowSeconds: 600,
      groupBy: (e) => e.sourceIPAddress ?? '',
      byCriticality: { high: { count: 3, windowSeconds: 300 }, low: { count: 10, windowSeconds: 900 } },
    },
  });

  it('describes the selector, risk-based threshold and escalation', () => {
    expect(describeOn(burst.on)).toBe('signin: ConsoleLogin [errorCode=Failed authentication]');
    expect(describeThreshold(burst)).toBe('5 in 600s (high: 3 in 300s, low: 10 in 900s)');
    expect(describeSeverity(burst)).toBe('high (high→critical, low→medium)');
  });

  it('describes Config selectors', () => {
    expect(describeOn({ source: 'config.item-change', resourceTypes: ['AWS::S3::Bucket'] })).toBe(
      'config item change: AWS::S3::Bucket',
    );
    expect(describeOn({ source: 'config.compliance-change' })).toBe('config compliance change');
  });
});
