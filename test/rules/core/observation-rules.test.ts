import { describe, expect, it } from 'vitest';
import { ELEVATED_RULE_ID } from '../../../rules/core/elevated-access.ts';
import { observationRules } from '../../../rules/core/observation-rules.ts';
import { TRAIL_INTEGRITY_RULES } from '../../../rules/core/trail-integrity.ts';

/**
 * The observation-rule list (rules/core/observation-rules.ts) is what `docs`, `coverage` and `export` show beside
 * the event catalogue: a rule left out of it is a detection the auditor never sees mapped to a control.
 */
describe('observationRules', () => {
  it('lists every trail-integrity rule and the elevated-access rule, once each', () => {
    const ids = observationRules().map((r) => r.id);
    expect([...ids].sort()).toEqual([...Object.keys(TRAIL_INTEGRITY_RULES), ELEVATED_RULE_ID].sort());
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('runs every listed rule with at least one case, all passing', () => {
    for (const rule of observationRules()) {
      expect(rule.cases.total, rule.id).toBeGreaterThan(0);
      expect(rule.cases.failures, rule.id).toEqual([]);
      expect(rule.cases.passed, rule.id).toBe(rule.cases.total);
    }
  });
});
