import type { Finding } from '../../rules/core/finding.ts';
import { atLeast, SEVERITY_RANK } from '../../rules/core/finding.ts';
import type { Incident } from '../../rules/core/incident.ts';
import { shouldPage } from '../../rules/core/suppressions.ts';
import type { Control, Severity } from '../../rules/core/types.ts';
import { CONTROLS } from '../../rules/core/types.ts';
import type { Column } from './text-table.ts';
import { renderTable } from './text-table.ts';

/** One row of alert volume: how many findings, how many would page, over how many days of activity. */
export interface VolumeRow {
  readonly key: string;
  readonly label: string;
  readonly findings: number;
  readonly paged: number;
  readonly suppressed: number;
  readonly worst: Severity;
  readonly perDay: number;
}

const DAY_MS = 86_400_000;

/** Days the findings span (at least one), so volume reads as "per day" like the seed's target. */
export const daysCovered = (findings: readonly Finding[]): number => {
  if (findings.length === 0) return 1;
  // A loop, not Math.max(...times): spreading a million findings overflows the stack.
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const f of findings) {
    for (const t of [Date.parse(f.firstSeen), Date.parse(f.lastSeen)]) {
      if (!Number.isFinite(t)) continue;
      first = Math.min(first, t);
      last = Math.max(last, t);
    }
  }
  if (!Number.isFinite(first)) return 1;
  return Math.max(1, Math.ceil((last - first) / DAY_MS));
};

const rowsBy = (
  findings: readonly Finding[],
  keysOf: (f: Finding) => readonly string[],
  labelOf: (key: string) => string,
): VolumeRow[] => {
  const days = daysCovered(findings);
  const groups = new Map<string, Finding[]>();
  for (const f of findings) {
    for (const key of keysOf(f)) {
      const group = groups.get(key);
      if (group === undefined) groups.set(key, [f]);
      else group.push(f); // push, not a copy per finding: a million findings of one rule stay linear
    }
  }
  return [...groups.entries()]
    .map(([key, group]) => {
      const paged = group.filter(shouldPage).length;
      return {
        key,
        label: labelOf(key),
        findings: group.length,
        paged,
        suppressed: group.length - paged,
        worst: group.reduce<Severity>(
          (w, f) => (SEVERITY_RANK[f.severity] > SEVERITY_RANK[w] ? f.severity : w),
          'info',
        ),
        perDay: Math.round((paged / days) * 10) / 10,
      };
    })
    .sort((a, b) => b.findings - a.findings || (a.key < b.key ? -1 : 1));
};

/** Alert volume per rule and per Annex A control, for tuning before deploying (`scan --summary`). */
export const summarise = (findings: readonly Finding[]) => ({
  days: daysCovered(findings),
  byRule: rowsBy(
    findings,
    (f) => [f.ruleId],
    (id) => findings.find((f) => f.ruleId === id)?.title ?? id,
  ),
  byControl: rowsBy(
    findings,
    (f) => (Array.isArray(f.controls) ? f.controls : []),
    (c) => CONTROLS[c as Control] ?? c,
  ),
});

const columns = (first: string): readonly Column<VolumeRow>[] => [
  { header: first, cell: (r) => r.key },
  { header: 'FINDINGS', cell: (r) => String(r.findings), align: 'right' },
  { header: 'PAGED', cell: (r) => String(r.paged), align: 'right' },
  { header: 'SUPPRESSED', cell: (r) => String(r.suppressed), align: 'right' },
  { header: 'PER DAY', cell: (r) => r.perDay.toFixed(1), align: 'right' },
  { header: 'WORST', cell: (r) => r.worst },
  { header: 'WHAT', cell: (r) => r.label },
];

/**
 * Pages with correlation (one per incident, plus one per severity rise) against without it (every unsuppressed
 * finding at or above the paging severity would page on its own).
 */
export const pagesLine = (
  findings: readonly Finding[],
  incidents: readonly Incident[],
  pageSeverity: Severity,
): string => {
  const pages = incidents.flatMap((i) => i.pages);
  const escalations = pages.filter((p) => p.kind === 'escalation').length;
  const without = findings.filter((f) => shouldPage(f) && atLeast(f.severity, pageSeverity)).length;
  return `Pages (${pageSeverity} and above): ${pages.length} with correlation (${incidents.length} incident${incidents.length === 1 ? '' : 's'}, ${escalations} escalation${escalations === 1 ? '' : 's'}), ${without} without.`;
};

export const renderSummary = (
  findings: readonly Finding[],
  colour: boolean,
  correlation?: { readonly incidents: readonly Incident[]; readonly pageSeverity: Severity },
): string[] => {
  const s = summarise(findings);
  if (findings.length === 0) return ['Summary: no findings.'];
  const paged = findings.filter(shouldPage).length;
  return [
    `Summary over ${s.days} day${s.days === 1 ? '' : 's'} of activity: ${findings.length} findings, ${paged} would page (${Math.round((paged / s.days) * 10) / 10} per day).`,
    ...(correlation ? [pagesLine(findings, correlation.incidents, correlation.pageSeverity)] : []),
    '',
    ...renderTable(columns('RULE'), s.byRule, colour),
    '',
    ...renderTable(columns('CONTROL'), s.byControl, colour),
  ];
};
