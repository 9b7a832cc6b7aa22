import type { Finding } from './finding.ts';
import type { ResponseCase, ResponseView } from './response.ts';
import type { SlaConfig } from './sla.ts';
import type { TriageDecision, TriageState } from './triage.ts';
import type { Control } from './vocabulary.ts';
import { CONTROLS } from './vocabulary.ts';

/**
 * Tuning metrics (issue 10 §3, DESIGN §6), computed from evidence only, never kept by hand: per rule and per
 * Annex A control — findings, incidents, pages, suppressed, false-positive rate, time to acknowledge and to
 * resolve (mean and p90), SLA results, missed detections. Drills are tests, not alerts: they are left out.
 */
export const METRICS_SCHEMA = 'trailwarden.metrics/v1';
/** The line the ISO guidance draws: a rule whose alerts are false positives more often than this needs tuning. */
export const FALSE_POSITIVE_LINE = 0.2;

const DAY_MS = 86_400_000;

export interface Distribution {
  readonly count: number;
  readonly meanSeconds: number | null;
  readonly p90Seconds: number | null;
}

export interface SlaResults {
  /** Cases acknowledged (a resolution without an ack counts as both) within / past the ack SLA. */
  readonly ackWithinSla: number;
  readonly ackPastSla: number;
  readonly resolvedWithinSla: number;
  readonly resolvedPastSla: number;
  /** Cases not resolved at `asOf` that are past their ack or resolve SLA. */
  readonly openPastSla: number;
}

export interface GroupMetrics extends SlaResults {
  readonly findings: number;
  /** Response cases: incidents, plus findings outside any incident. */
  readonly incidents: number;
  /** Pages (first pages and escalations) this rule's (or control's) findings sent. */
  readonly pages: number;
  /** Findings archived under an active suppression (never paged). */
  readonly suppressed: number;
  /** Findings with a verdict. */
  readonly resolved: number;
  readonly falsePositives: number;
  /** `falsePositives / resolved`, or null with nothing resolved. */
  readonly falsePositiveRate: number | null;
  /** Above `FALSE_POSITIVE_LINE`. */
  readonly flagged: boolean;
  readonly verdicts: Readonly<Record<string, number>>;
  readonly mttaSeconds: number | null;
  readonly p90TtaSeconds: number | null;
  readonly mttrSeconds: number | null;
  readonly p90TtrSeconds: number | null;
  readonly missed: number;
}

export interface RuleMetrics extends GroupMetrics {
  readonly ruleId: string;
  readonly controls: readonly Control[];
}

export interface ControlMetrics extends GroupMetrics {
  readonly control: Control;
  readonly title: string;
}

export interface TuningMetrics {
  readonly schema: typeof METRICS_SCHEMA;
  /** Inclusive UTC days, or null for all the evidence. */
  readonly from: string | null;
  readonly to: string | null;
  /** The moment "open past SLA" is judged at. */
  readonly asOf: string;
  readonly sla: SlaConfig;
  readonly totals: GroupMetrics;
  readonly rules: readonly RuleMetrics[];
  readonly controls: readonly ControlMetrics[];
  readonly missed: readonly {
    readonly id: string;
    readonly ruleId: string;
    readonly at: string;
    readonly note: string;
  }[];
}

/** What the metrics need of the catalogue: every rule (so silent ones show) and its controls. */
export interface CatalogueRule {
  readonly id: string;
  readonly controls: readonly Control[];
  readonly owner?: string;
  readonly threshold?: { readonly count: number; readonly windowSeconds: number } | null;
}

export interface MetricsInput {
  readonly view: ResponseView;
  readonly sla: SlaConfig;
  readonly from?: string;
  readonly to?: string;
  readonly asOf: string;
  readonly catalogue?: readonly CatalogueRule[];
}

/** Nearest-rank percentile of sorted values. */
export const percentile = (sorted: readonly number[], p: number): number | null => {
  // Stryker disable next-line ConditionalExpression: equivalent: with no values the rank is 1, sorted[-1] is undefined and `?? null` below gives null as well
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] ?? null;
};

export const distribution = (values: readonly number[]): Distribution => {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    meanSeconds: sorted.length === 0 ? null : Math.round(sorted.reduce((s, v) => s + v, 0) / sorted.length),
    p90Seconds: percentile(sorted, 90),
  };
};

const seconds = (fromIso: string, toIso: string): number =>
  Math.max(0, Math.round((Date.parse(toIso) - Date.parse(fromIso)) / 1000));

/** Time to acknowledge and to resolve of one case, in seconds (undefined while not reached). */
export const caseTimes = (c: ResponseCase): { tta?: number; ttr?: number } => ({
  ...(c.state.acknowledgedAt === undefined ? {} : { tta: seconds(c.openedAt, c.state.acknowledgedAt) }),
  ...(c.state.resolvedAt === undefined ? {} : { ttr: seconds(c.openedAt, c.state.resolvedAt) }),
});

/** SLA outcome of one case judged at `asOf`. */
export const caseSla = (c: ResponseCase, sla: SlaConfig, asOf: string) => {
  const target = sla[c.severity];
  const { tta, ttr } = caseTimes(c);
  const age = seconds(c.openedAt, asOf);
  const ackLate = tta === undefined ? age > target.ackMinutes * 60 : tta > target.ackMinutes * 60;
  const resolveLate = ttr === undefined ? age > target.resolveMinutes * 60 : ttr > target.resolveMinutes * 60;
  return {
    acked: tta !== undefined,
    resolved: ttr !== undefined,
    ackLate,
    resolveLate,
    openPastSla: ttr === undefined && (ackLate || resolveLate),
  };
};

const inPeriod = (iso: string, from?: string, to?: string): boolean => {
  const ms = Date.parse(iso);
  if (from !== undefined && ms < Date.parse(`${from}T00:00:00Z`)) return false;
  if (to !== undefined && ms >= Date.parse(`${to}T00:00:00Z`) + DAY_MS) return false;
  return true;
};

const group = (
  findings: readonly Finding[],
  cases: readonly ResponseCase[],
  states: ReadonlyMap<string, TriageState>,
  pages: number,
  missed: number,
  sla: SlaConfig,
  asOf: string,
): GroupMetrics => {
  const verdicts: Record<string, number> = {};
  let resolved = 0;
  for (const f of findings) {
    const v = states.get(f.id)?.verdict;
    if (v === undefined) continue;
    resolved++;
    verdicts[v] = (verdicts[v] ?? 0) + 1;
  }
  const falsePositives = verdicts['false-positive'] ?? 0;
  const rate = resolved === 0 ? null : falsePositives / resolved;
  const tta: number[] = [];
  const ttr: number[] = [];
  const slaResults = { ackWithinSla: 0, ackPastSla: 0, resolvedWithinSla: 0, resolvedPastSla: 0, openPastSla: 0 };
  for (const c of cases) {
    const times = caseTimes(c);
    if (times.tta !== undefined) tta.push(times.tta);
    if (times.ttr !== undefined) ttr.push(times.ttr);
    const s = caseSla(c, sla, asOf);
    if (s.acked) slaResults[s.ackLate ? 'ackPastSla' : 'ackWithinSla']++;
    if (s.resolved) slaResults[s.resolveLate ? 'resolvedPastSla' : 'resolvedWithinSla']++;
    if (s.openPastSla) slaResults.openPastSla++;
  }
  const a = distribution(tta);
  const r = distribution(ttr);
  return {
    findings: findings.length,
    incidents: cases.length,
    pages,
    suppressed: findings.filter((f) => f.suppression?.status === 'active').length,
    resolved,
    falsePositives,
    falsePositiveRate: rate === null ? null : Math.round(rate * 1000) / 1000,
    flagged: rate !== null && rate > FALSE_POSITIVE_LINE,
    verdicts,
    mttaSeconds: a.meanSeconds,
    p90TtaSeconds: a.p90Seconds,
    mttrSeconds: r.meanSeconds,
    p90TtrSeconds: r.p90Seconds,
    ...slaResults,
    missed,
  };
};

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export const computeMetrics = (input: MetricsInput): TuningMetrics => {
  const { view, sla, from, to, asOf } = input;
  const cases = view.cases.filter((c) => !c.drill && inPeriod(c.openedAt, from, to));
  const caseById = new Map(cases.map((c) => [c.id, c]));
  const findings = cases.flatMap((c) => c.findings).filter((f) => !f.drill);
  const missed: TriageDecision[] = view.missed.filter((d) => inPeriod(d.at, from, to));
  const catalogue = new Map((input.catalogue ?? []).map((r) => [r.id, r]));
  const pagesBy = new Map<string, number>();
  const pagesByControl = new Map<string, number>();
  const findingById = new Map(findings.map((f) => [f.id, f]));
  for (const c of cases) {
    if (!c.paged) continue;
    for (const id of c.pageFindingIds) {
      const f = findingById.get(id);
      if (f === undefined) continue;
      pagesBy.set(f.ruleId, (pagesBy.get(f.ruleId) ?? 0) + 1);
      for (const ctl of f.controls) pagesByControl.set(ctl, (pagesByControl.get(ctl) ?? 0) + 1);
    }
  }
  const casesOf = (members: readonly Finding[]): ResponseCase[] => [
    // Stryker disable next-line StringLiteral,ArrayDeclaration: equivalent: every finding here came from a case of `cases`, so its case is always found and neither fallback applies
    ...new Set(members.flatMap((f) => caseById.get(view.caseOf.get(f.id) ?? '') ?? [])),
  ];
  const controlsOfRule = (ruleId: string): readonly Control[] =>
    catalogue.get(ruleId)?.controls ?? findings.find((f) => f.ruleId === ruleId)?.controls ?? [];

  const ruleIds = [
    ...new Set([...catalogue.keys(), ...findings.map((f) => f.ruleId), ...missed.map((d) => d.ruleId ?? '')]),
  ]
    .filter((id) => id !== '')
    .sort(compare);
  const rules: RuleMetrics[] = ruleIds.map((ruleId) => {
    const members = findings.filter((f) => f.ruleId === ruleId);
    return {
      ruleId,
      controls: controlsOfRule(ruleId),
      ...group(
        members,
        casesOf(members),
        view.findingState,
        pagesBy.get(ruleId) ?? 0,
        missed.filter((d) => d.ruleId === ruleId).length,
        sla,
        asOf,
      ),
    };
  });
  const controls: ControlMetrics[] = (Object.keys(CONTROLS) as Control[]).map((control) => {
    const members = findings.filter((f) => (f.controls as readonly string[]).includes(control));
    return {
      control,
      title: CONTROLS[control],
      ...group(
        members,
        casesOf(members),
        view.findingState,
        pagesByControl.get(control) ?? 0,
        // Stryker disable next-line StringLiteral: equivalent: no rule has an empty id, so any other placeholder also has no controls
        missed.filter((d) => controlsOfRule(d.ruleId ?? '').includes(control)).length,
        sla,
        asOf,
      ),
    };
  });
  return {
    schema: METRICS_SCHEMA,
    from: from ?? null,
    to: to ?? null,
    asOf,
    sla,
    totals: group(
      findings,
      cases,
      view.findingState,
      [...pagesBy.values()].reduce((s, n) => s + n, 0),
      missed.length,
      sla,
      asOf,
    ),
    rules,
    controls,
    missed: missed.map((d) => ({ id: d.id, ruleId: d.ruleId ?? '', at: d.at, note: d.note })),
  };
};
