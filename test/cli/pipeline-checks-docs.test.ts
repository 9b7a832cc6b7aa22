import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { observationRules } from '../../rules/core/observation-rules.ts';
import { pipelineChecks } from '../../rules/core/pipeline-checks.ts';

/**
 * Every finding id on-call can be paged with is documented in docs/RULES.md, including those no rule file
 * raises (health, integrity, drills, observations). The registries are found by what they are (a
 * `satisfies Record<string, CheckMeta>` table in rules/core), so a new one cannot be left out of the page.
 */
const root = join(import.meta.dirname, '..', '..');
const page = readFileSync(join(root, 'docs', 'RULES.md'), 'utf8');
const documented = new Set([...page.matchAll(/^### (\S+)$/gm)].map((m) => m[1]));

const coreDir = join(root, 'rules', 'core');
const registries = readdirSync(coreDir)
  .filter((f) => f.endsWith('.ts'))
  .flatMap((f) =>
    [
      ...readFileSync(join(coreDir, f), 'utf8').matchAll(
        /^export const (\w+) = \{[\s\S]*?^\} as const satisfies Record<string, CheckMeta>;$/gm,
      ),
    ].map((m) => ({ file: f, name: m[1] ?? '' })),
  );

describe('docs/RULES.md lists every finding Trailwarden can raise', () => {
  it('finds the check registries in rules/core', () => {
    expect(registries.map((r) => r.name).sort()).toEqual(
      expect.arrayContaining(['DRILL_RULES', 'HEALTH_RULES', 'INTEGRITY_RULES', 'TRAIL_INTEGRITY_RULES']),
    );
  });

  it.each(registries)('every id of $name ($file) has its section', async ({ file, name }) => {
    const mod = (await import(join(coreDir, file))) as Record<string, Record<string, unknown>>;
    const ids = Object.keys(mod[name] ?? {});
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.filter((id) => !documented.has(id))).toEqual([]);
  });

  it('the pipeline checks and the observation rules each have one section', () => {
    const ids = [...pipelineChecks().map(([id]) => id), ...observationRules().map((r) => r.id)];
    expect(ids.filter((id) => !documented.has(id))).toEqual([]);
    for (const id of ids) expect(page.match(new RegExp(`^### ${id.replace(/\./g, '\\.')}$`, 'gm'))).toHaveLength(1);
  });
});
