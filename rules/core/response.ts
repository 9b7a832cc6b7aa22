import type { StoredObject } from './digest.ts';
import type { Finding } from './finding.ts';
import { atLeast } from './finding.ts';
import type { TriageDecision, TriageState } from './triage.ts';
import { foldDecisions, parseTriageDecision, TRIAGE_PREFIX } from './triage.ts';
import type { Control, Severity } from './vocabulary.ts';
import { CONTROLS, SEVERITIES } from './vocabulary.ts';

/**
 * The response loop read back from evidence (issue 10): findings, incidents and triage decisions, joined into
 * the cases someone responds to. A case is an incident, or a finding that belongs to none (evidence written
 * before incidents existed, or an incident object that is missing). Pure: callers bring the objects.
 */

/** What the response loop needs of an incident object (`trailwarden.incident/v1`, written by the pipeline). */
export interface IncidentView {
  readonly id: string;
  readonly severity: Severity;
  readonly pagedSeverity: Severity | null;
  readonly openedAt: string;
  readonly lastSeen: string;
  readonly findingIds: readonly string[];
  readonly ruleIds: readonly string[];
  readonly controls: readonly Control[];
  readonly drill: boolean;
  /** The findings that paged (the page, then each escalation), when the incident records them. */
  readonly pages: readonly { readonly findingId: string; readonly kind: string }[];
  readonly revision: number;
}

export interface ResponseEvidence {
  /** Latest state of each finding (by id). */
  readonly findings: readonly Finding[];
  /** Latest revision of each incident (by id). */
  readonly incidents: readonly IncidentView[];
  readonly decisions: readonly TriageDecision[];
  /** Objects under an evidence prefix that could not be read as what their prefix says. */
  readonly unreadable: readonly string[];
}

/** Findings at or above this severity page (DESIGN §1: the pager takes critical and high). */
export const PAGING_SEVERITY: Severity = 'high';

const text = (bytes: string | Uint8Array): string =>
  typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8');

const json = (bytes: string | Uint8Array): unknown => {
  try {
    return JSON.parse(text(bytes));
  } catch {
    return undefined;
  }
};

const isSeverity = (v: unknown): v is Severity => (SEVERITIES as readonly unknown[]).includes(v);
const isTime = (v: unknown): v is string => typeof v === 'string' && !Number.isNaN(Date.parse(v));
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

export const parseFinding = (value: unknown): Finding | undefined => {
  if (value === null || typeof value !== 'object') return undefined;
  const v = value as Partial<Finding>;
  if (![v.id, v.ruleId, v.title, v.account, v.region].every((s) => typeof s === 'string')) return undefined;
  if (!isSeverity(v.severity) || !isTime(v.firstSeen) || !isTime(v.lastSeen) || !isStrings(v.controls)) {
    return undefined;
  }
  return value as Finding;
};

export const parseIncident = (value: unknown): IncidentView | undefined => {
  if (value === null || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  if (v.schema !== 'trailwarden.incident/v1' || typeof v.id !== 'string') return undefined;
  if (!isSeverity(v.severity) || !(v.pagedSeverity === null || isSeverity(v.pagedSeverity))) return undefined;
  if (!isTime(v.openedAt) || !isTime(v.lastSeen) || !isStrings(v.findingIds) || !isStrings(v.ruleIds)) return undefined;
  if (!isStrings(v.controls)) return undefined;
  return {
    id: v.id,
    severity: v.severity,
    pagedSeverity: v.pagedSeverity,
    openedAt: v.openedAt,
    lastSeen: v.lastSeen,
    findingIds: v.findingIds,
    ruleIds: v.ruleIds,
    controls: v.controls.filter((c): c is Control => Object.hasOwn(CONTROLS, c)),
    drill: v.drill === true,
    pages: Array.isArray(v.pages)
      ? v.pages.flatMap((p: unknown) => {
          const page = p as { findingId?: unknown; kind?: unknown } | null;
          return typeof page?.findingId === 'string' && typeof page.kind === 'string'
            ? [{ findingId: page.findingId, kind: page.kind }]
            : [];
        })
      : [],
    revision: typeof v.revision === 'number' ? v.revision : 1,
  };
};

/** Evidence objects → the response loop's view; later states (folds, revisions) replace earlier ones. */
export const readResponseEvidence = (objects: readonly StoredObject[]): ResponseEvidence => {
  const findings = new Map<string, Finding>();
  const incidents = new Map<string, IncidentView>();
  const decisions = new Map<string, TriageDecision>();
  const unreadable: string[] = [];
  for (const o of objects) {
    if (!o.key.endsWith('.json')) continue;
    if (o.key.startsWith('findings/')) {
      const f = parseFinding(json(o.bytes));
      if (f === undefined) unreadable.push(o.key);
      else {
        const seen = findings.get(f.id);
        // A folded finding only grows: the one with more events (then the later lastSeen) is the latest.
        if (seen === undefined || f.count > seen.count || (f.count === seen.count && f.lastSeen > seen.lastSeen)) {
          findings.set(f.id, f);
        }
      }
    } else if (o.key.startsWith('incidents/')) {
      const i = parseIncident(json(o.bytes));
      if (i === undefined) unreadable.push(o.key);
      else if ((incidents.get(i.id)?.revision ?? 0) < i.revision) incidents.set(i.id, i);
    } else if (o.key.startsWith(TRIAGE_PREFIX)) {
      const d = parseTriageDecision(json(o.bytes));
      if (d === undefined) unreadable.push(o.key);
      else decisions.set(d.id, d);
    }
  }
  const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return {
    findings: [...findings.values()].sort((a, b) => compare(a.firstSeen, b.firstSeen) || compare(a.id, b.id)),
    incidents: [...incidents.values()].sort((a, b) => compare(a.openedAt, b.openedAt) || compare(a.id, b.id)),
    decisions: [...decisions.values()].sort((a, b) => compare(a.at, b.at) || compare(a.id, b.id)),
    unreadable: unreadable.sort(compare),
  };
};

/** One thing someone responds to: an incident, or a finding outside any incident. */
export interface ResponseCase {
  readonly id: string;
  readonly kind: 'incident' | 'finding';
  readonly severity: Severity;
  readonly openedAt: string;
  /** Whether it paged (not suppressed, not a drill, at or above the paging severity). */
  readonly paged: boolean;
  readonly drill: boolean;
  readonly findings: readonly Finding[];
  /** The findings that paged for this case (a page, then escalations), in order. */
  readonly pageFindingIds: readonly string[];
  readonly state: TriageState;
}

export interface ResponseView {
  readonly cases: readonly ResponseCase[];
  /** Each finding's case id. */
  readonly caseOf: ReadonlyMap<string, string>;
  /** Each finding's own state: its own decisions if it has any, else its case's. */
  readonly findingState: ReadonlyMap<string, TriageState>;
  readonly missed: readonly TriageDecision[];
  /** Decisions whose target is neither a known incident nor a known finding. */
  readonly orphans: readonly TriageDecision[];
}

const groupDecisions = (decisions: readonly TriageDecision[]) => {
  const byTarget = new Map<string, TriageDecision[]>();
  for (const d of decisions) {
    if (d.action === 'missed') continue;
    byTarget.set(d.target, [...(byTarget.get(d.target) ?? []), d]);
  }
  return byTarget;
};

const incidentIdOf = (f: Finding): string | undefined => {
  const id = (f as Finding & { readonly incidentId?: unknown }).incidentId;
  return typeof id === 'string' ? id : undefined;
};

/** Join findings, incidents and decisions into cases with their triage state. */
export const responseView = (evidence: ResponseEvidence): ResponseView => {
  const byTarget = groupDecisions(evidence.decisions);
  const incidents = new Map(evidence.incidents.map((i) => [i.id, i]));
  const members = new Map<string, Finding[]>();
  const cases: ResponseCase[] = [];
  const caseOf = new Map<string, string>();
  const findingState = new Map<string, TriageState>();
  for (const f of evidence.findings) {
    const incidentId = incidentIdOf(f);
    if (incidentId !== undefined && incidents.has(incidentId)) {
      members.set(incidentId, [...(members.get(incidentId) ?? []), f]);
      continue;
    }
    const state = foldDecisions(byTarget.get(f.id) ?? []);
    const paged = !f.drill && f.suppression?.status !== 'active' && atLeast(f.severity, PAGING_SEVERITY);
    cases.push({
      id: f.id,
      kind: 'finding',
      severity: f.severity,
      openedAt: f.firstSeen,
      paged,
      drill: f.drill,
      findings: [f],
      pageFindingIds: paged ? [f.id] : [],
      state,
    });
    caseOf.set(f.id, f.id);
    findingState.set(f.id, state);
  }
  for (const i of evidence.incidents) {
    const state = foldDecisions(byTarget.get(i.id) ?? []);
    const found = members.get(i.id) ?? [];
    cases.push({
      id: i.id,
      kind: 'incident',
      severity: i.severity,
      openedAt: i.openedAt,
      paged: !i.drill && i.pagedSeverity !== null,
      drill: i.drill,
      findings: found,
      // Older incident objects may not list their pages: then the first finding at the paging severity opened it.
      pageFindingIds:
        i.pages.length > 0
          ? i.pages.map((p) => p.findingId)
          : i.pagedSeverity === null
            ? []
            : found
                .filter((f) => atLeast(f.severity, PAGING_SEVERITY))
                .slice(0, 1)
                .map((f) => f.id),
      state,
    });
    for (const f of found) {
      caseOf.set(f.id, i.id);
      const own = byTarget.get(f.id);
      findingState.set(f.id, own === undefined ? state : foldDecisions(own));
    }
  }
  const known = new Set([...incidents.keys(), ...evidence.findings.map((f) => f.id)]);
  return {
    cases: cases.sort((a, b) => (a.openedAt < b.openedAt ? -1 : a.openedAt > b.openedAt ? 1 : a.id < b.id ? -1 : 1)),
    caseOf,
    findingState,
    missed: evidence.decisions.filter((d) => d.action === 'missed'),
    orphans: evidence.decisions.filter((d) => d.action !== 'missed' && !known.has(d.target)),
  };
};
