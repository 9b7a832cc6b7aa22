import { describe, expect, it } from 'vitest';
import { parentTechnique, TACTICS, TECHNIQUES, tacticsOf, techniqueOf } from '../../../rules/core/mitre.ts';

/** ATT&CK lookups (rules/core/mitre.ts): parents, known techniques only, and tactics once each in order. */
describe('parentTechnique', () => {
  it.each([
    ['T1562.008', 'T1562'],
    ['T1562', 'T1562'],
    ['', ''],
  ])('%j → %j', (uid, parent) => {
    expect(parentTechnique(uid)).toBe(parent);
  });
});

describe('techniqueOf', () => {
  it('knows the techniques in the table, and nothing inherited from Object', () => {
    expect(techniqueOf('T1562.008')).toBe(TECHNIQUES['T1562.008']);
    expect(techniqueOf('T9999')).toBeUndefined();
    expect(techniqueOf('toString')).toBeUndefined();
    expect(techniqueOf('__proto__')).toBeUndefined();
  });
});

describe('tacticsOf', () => {
  it('lists every tactic once, in first-seen order, skipping unknown techniques', () => {
    expect(tacticsOf(['T9999', 'T1098', 'T1078', 'T1562'])).toEqual([
      TACTICS.persistence,
      TACTICS.privilegeEscalation,
      TACTICS.defenseEvasion,
      TACTICS.initialAccess,
    ]);
    expect(tacticsOf([])).toEqual([]);
  });
});
