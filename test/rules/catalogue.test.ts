import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCase } from '../../rules/core/cases.ts';
import { CONTROLS, isCloudTrailSelector, SEVERITIES } from '../../rules/core/types.ts';
import { withDocs } from '../../rules/docs.ts';
import { catalogue, RULES } from '../../rules/index.ts';

const rulesDir = join(import.meta.dirname, '../../rules');
const ruleFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? ruleFiles(join(dir, d.name)) : d.name.endsWith('.rule.ts') ? [join(dir, d.name)] : [],
  );

const DOCUMENTED = await withDocs(RULES);

describe('catalogue', () => {
  it('registers every *.rule.ts file, and each id matches its path', async () => {
    const files = ruleFiles(rulesDir);
    const ids = new Set(RULES.map((r) => r.id));
    for (const file of files) {
      const mod = (await import(file)) as { rule?: { id: string } };
      const expected = relative(rulesDir, file)
        .replace(/\.rule\.ts$/, '')
        .replace(/\//g, '.');
      expect(mod.rule?.id, file).toBe(expected);
      expect(ids.has(expected), `${expected} is not listed in rules/index.ts`).toBe(true);
    }
    expect(files.length).toBe(RULES.length);
  });

  it.each(RULES.map((r) => [r.id, r] as const))('%s has complete metadata', (_id, rule) => {
    expect(rule.title.length).toBeGreaterThan(5);
    expect(rule.title.length).toBeLessThanOrEqual(80);
    expect(SEVERITIES).toContain(rule.severity);
    expect(rule.controls.length).toBeGreaterThan(0);
    for (const control of rule.controls) expect(Object.keys(CONTROLS)).toContain(control);
    expect(rule.mitre.length).toBeGreaterThan(0);
    for (const technique of rule.mitre) expect(technique).toMatch(/^T\d{4}(\.\d{3})?$/);
    if (isCloudTrailSelector(rule.on) && rule.on.eventNames === '*') {
      expect(rule.on.where, 'a selector of every event name must be narrowed by `where`').toBeDefined();
    }
    if (rule.threshold) {
      expect(rule.threshold.count).toBeGreaterThanOrEqual(2);
      expect(rule.threshold.windowSeconds).toBeGreaterThan(0);
      expect(rule.threshold.windowSeconds).toBeLessThanOrEqual(24 * 3600);
    }
  });

  it.each(DOCUMENTED.map(([r, d]) => [r.id, d] as const))(
    '%s documents what it detects, its runbook, rationale and false positives',
    (_id, docs) => {
      expect(docs.description.length).toBeGreaterThan(10);
      expect(docs.runbook.length).toBeGreaterThan(0);
      for (const step of docs.runbook) expect(step.length).toBeGreaterThan(5);
      expect(docs.rationale.length).toBeGreaterThan(10);
      expect(docs.falsePositives.length).toBeGreaterThan(0);
    },
  );

  it.each(DOCUMENTED.map(([r, d]) => [r.id, d] as const))(
    '%s has a positive and at least two negative cases',
    (_id, docs) => {
      const cases = docs.cases();
      expect(cases.filter((c) => c.expect === 'match').length).toBeGreaterThanOrEqual(1);
      // A denied call and a benign look-alike at the least.
      expect(cases.filter((c) => c.expect === 'no-match').length).toBeGreaterThanOrEqual(2);
      expect(new Set(cases.map((c) => c.name)).size, 'case names are unique').toBe(cases.length);
    },
  );

  it('covers every Annex A control Trailwarden monitors', () => {
    const covered = new Set(RULES.flatMap((r) => r.controls));
    expect([...covered].sort()).toEqual(Object.keys(CONTROLS).sort());
  });

  const allCases = DOCUMENTED.flatMap(([rule, docs]) =>
    docs.cases().map((c) => [`${rule.id}: ${c.name}`, rule, c] as const),
  );
  it.each(allCases)('%s', (_name, rule, c) => {
    expect(runCase(catalogue, rule, c)).toEqual({ kind: 'pass' });
  });
});
