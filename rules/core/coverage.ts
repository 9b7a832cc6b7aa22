import { runCase } from './cases.ts';
import type { Catalogue } from './engine.ts';
import type { Rule, RuleDocs, Severity } from './types.ts';
import { CONTROLS, SEVERITIES } from './types.ts';

/**
 * ISO/IEC 27001:2022 Annex A controls one could expect to monitor from CloudTrail and Config but for which
 * Trailwarden has no rule yet: named so `trailwarden coverage` lists them as gaps, never silently omits them.
 */
export const UNMONITORED_CONTROLS = {
  'A.5.15': {
    title: 'Access control',
    why: 'IAM policy, role and resource-policy changes in CloudTrail show who may reach what.',
  },
  'A.5.18': {
    title: 'Access rights',
    why: 'IAM user, group and role lifecycle calls (create, attach, remove) evidence provisioning and revocation.',
  },
  'A.8.12': {
    title: 'Data leakage prevention',
    why: 'Bulk GetObject, cross-account copies and replication changes in data events hint at exfiltration.',
  },
  'A.8.24': {
    title: 'Use of cryptography',
    why: 'KMS key lifecycle calls and Config encryption rules evidence encryption at rest and key management.',
  },
} as const satisfies Record<string, { readonly title: string; readonly why: string }>;

export interface RuleCoverage {
  readonly id: string;
  readonly severity: Severity;
  readonly cases: {
    readonly total: number;
    readonly passed: number;
    readonly failures: readonly { readonly name: string; readonly reason: string }[];
  };
}

export interface ControlCoverage {
  readonly control: string;
  readonly title: string;
  readonly status: 'covered' | 'gap';
  /** For controls with no rule: why it could be monitored from CloudTrail and Config. */
  readonly why?: string;
  readonly rules: readonly RuleCoverage[];
  /** Rules per severity (every severity present, zeros included). */
  readonly severities: Readonly<Record<Severity, number>>;
}

/** `A.8.16` → [8, 16], so controls sort in Annex A order. */
const annexOrder = (id: string): number[] => id.replace(/^A\./, '').split('.').map(Number);
export const compareControls = (a: string, b: string): number => {
  const x = annexOrder(a);
  const y = annexOrder(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
};

/** An observation rule (not matched against events) as coverage counts it. */
export interface ObservedRuleCoverage extends RuleCoverage {
  readonly controls: readonly string[];
}

/** Run a rule's inline cases against the catalogue it lives in. */
export const ruleCoverage = (catalogue: Catalogue, rule: Rule, docs: Pick<RuleDocs, 'cases'>): RuleCoverage => {
  const failures: { name: string; reason: string }[] = [];
  const cases = docs.cases();
  for (const c of cases) {
    const result = runCase(catalogue, rule, c);
    if (result.kind === 'fail') failures.push({ name: c.name, reason: result.reason });
  }
  return {
    id: rule.id,
    severity: rule.severity,
    cases: { total: cases.length, passed: cases.length - failures.length, failures },
  };
};

/**
 * Annex A controls × rules: every control Trailwarden maps rules to plus the named unmonitored ones, in Annex A
 * order. Pure: the caller hands in the rules with their docs and the catalogue their cases run against.
 */
export const computeCoverage = (
  entries: readonly (readonly [Rule, Pick<RuleDocs, 'cases'>])[],
  catalogue: Catalogue,
  unmonitored: Readonly<Record<string, { readonly title: string; readonly why: string }>> = UNMONITORED_CONTROLS,
  /** Rules derived from observations rather than events (trail integrity), with their cases already run. */
  observed: readonly ObservedRuleCoverage[] = [],
): ControlCoverage[] => {
  const titles = new Map<string, string>(Object.entries(CONTROLS));
  for (const [id, { title }] of Object.entries(unmonitored)) if (!titles.has(id)) titles.set(id, title);
  const perRule = new Map(entries.map(([rule, docs]) => [rule.id, ruleCoverage(catalogue, rule, docs)] as const));
  return [...titles.keys()].sort(compareControls).map((control) => {
    const rules = [
      ...entries
        .filter(([rule]) => (rule.controls as readonly string[]).includes(control))
        .flatMap(([rule]) => {
          const found = perRule.get(rule.id);
          return found === undefined ? [] : [found];
        }),
      ...observed
        .filter((r) => (r.controls as readonly string[]).includes(control))
        .map((r) => ({ id: r.id, severity: r.severity, cases: r.cases })),
    ];
    const severities = Object.fromEntries(
      SEVERITIES.map((s) => [s, rules.filter((r) => r.severity === s).length]),
    ) as Record<Severity, number>;
    const why = unmonitored[control]?.why;
    return {
      control,
      title: titles.get(control) ?? control,
      status: rules.length === 0 ? 'gap' : 'covered',
      ...(rules.length === 0 && why !== undefined ? { why } : {}),
      rules,
      severities,
    };
  });
};
