import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DETECTION_CONFIG } from '../../rules/core/config.ts';
import type { DrillCaseTable } from '../../rules/core/drill.ts';
import { DRILL_SEVERITIES, planDrill, withTableCases } from '../../rules/core/drill.ts';
import { DRILL_OVERLAY_KEYS } from '../../rules/core/drill-overlay.ts';
import { withDocs } from '../../rules/docs.ts';
import { RULES } from '../../rules/index.ts';

/**
 * What the scheduled drill function (functions/drill) drills: it plans from the shipped `drill-cases.json` against
 * the deployed config (`deployed: true`). A case's config and criticality travel as the drill's signed overlay, so
 * only cases whose config no overlay may carry stay SKIPs. The list below is every remaining SKIP with its reason:
 * a rule that becomes drillable, or a new rule that cannot be, fails this test until the list is changed on purpose
 * (and README's "What is drilled" with it).
 */
const REMAINING_SKIPS: Readonly<Record<string, string>> = {
  'signin.anonymiser':
    "every positive case needs config a signed drill overlay may not carry: anonymisers (the list is the deployed function's own source: a drill can neither choose it nor know an address on it)",
};

const NOW = Date.parse('2026-11-25T12:00:00Z');
const AUTH = { key: 'k'.repeat(43), run: 'run-scheduled' };
const table = JSON.parse(readFileSync('functions/drill/drill-cases.json', 'utf8')) as DrillCaseTable;
const scheduled = planDrill(withTableCases(RULES, table), {
  nowMs: NOW,
  config: DEFAULT_DETECTION_CONFIG,
  auth: AUTH,
  deployed: true,
});

describe('the scheduled drill plans every critical and high rule, but the listed ones', () => {
  it('the remaining SKIPs are exactly the listed rules, each with its reason', () => {
    const skips = Object.fromEntries(scheduled.flatMap((p) => (p.kind === 'skip' ? [[p.rule.id, p.reason]] : [])));
    expect(skips).toEqual(REMAINING_SKIPS);
  });

  it('every rule `drill --local` drills is planned by the scheduled drill too, unless listed', async () => {
    const local = planDrill(await withDocs(RULES), { nowMs: NOW, auth: AUTH });
    const localIds = local.filter((p) => p.kind === 'plan').map((p) => p.rule.id);
    const scheduledIds = new Set(scheduled.filter((p) => p.kind === 'plan').map((p) => p.rule.id));
    expect(localIds.filter((id) => !scheduledIds.has(id)).sort()).toEqual(Object.keys(REMAINING_SKIPS).sort());
    expect(scheduledIds.size).toBeGreaterThan(130);
  });

  it('every config key a positive case uses can travel in an overlay, but the anonymiser list and a criticality map (a new key must be added on purpose)', async () => {
    const used = new Set(
      (await withDocs(RULES)).flatMap(([, d]) =>
        d.cases().flatMap((c) => (c.expect === 'match' ? Object.keys(c.config ?? {}) : [])),
      ),
    );
    const outside = [...used].filter((k) => !(DRILL_OVERLAY_KEYS as readonly string[]).includes(k)).sort();
    // A criticality map is refused on purpose (a drill forces one level, never re-rates resources):
    // lambda.privileged-role-passed's high-criticality-ARN case stays local, its admin-name cases are drilled.
    expect(outside).toEqual(['anonymisers', 'criticality']);
  });

  it('each planned drill is at a paging severity, and a case that needs config or a criticality carries it as its overlay', () => {
    let overlays = 0;
    for (const p of scheduled) {
      if (p.kind !== 'plan') continue;
      expect(DRILL_SEVERITIES).toContain(p.severity);
      const drill = JSON.parse(p.bodies[0] ?? '{}').drill as { v: number; overlay?: unknown };
      // The overlay is what the deployed function needs beyond its config; with none, the v1 signature as before.
      expect(drill.v).toBe(p.overlay === undefined ? 1 : 2);
      expect(drill.overlay).toEqual(p.overlay);
      if (p.overlay !== undefined) overlays++;
    }
    // Self-protection, approved processes and regions, service users, escalated criticalities: dozens of them.
    expect(overlays).toBeGreaterThan(50);
  });
});

describe('the shipped drill cases', () => {
  it('do not depend on the checkout they were generated in (no path of this machine, no refused value)', () => {
    const text = readFileSync('functions/drill/drill-cases.json', 'utf8');
    const root = join(import.meta.dirname, '..', '..');
    expect(text).not.toContain(root);
    expect(text).not.toMatch(/"file:\//);
  });
});
