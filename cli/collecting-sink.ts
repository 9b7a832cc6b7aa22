import type { Finding } from '../rules/core/finding.ts';
import { SEVERITY_RANK } from '../rules/core/finding.ts';
import type { Incident, NotificationKind } from '../rules/core/incident.ts';
import type { FindingSink } from '../rules/core/ports.ts';

export interface CollectingSink extends FindingSink {
  readonly findings: () => readonly Finding[];
  /** Every state delivered or folded, in order (with `keepStates`). */
  readonly states: () => readonly Finding[];
  /** Every incident, in its latest state. */
  readonly incidents: () => readonly Incident[];
  /** What each delivered finding told its incident's subscribers, by finding id. */
  readonly kinds: () => ReadonlyMap<string, Exclude<NotificationKind, 'resolved'>>;
}

/**
 * The CLI's sink: keeps the latest version of each finding by id. A fold carries the same id as the finding
 * it repeats, so it replaces it — the printed finding is the one with all its evidence. Incidents likewise: the
 * state with the highest revision.
 */
export const createCollectingSink = (options: { readonly keepStates?: boolean } = {}): CollectingSink => {
  const byId = new Map<string, Finding>();
  // Every state delivered or folded, in order (only when asked: `scan --evidence` archives each as the Lambda does).
  const states: Finding[] = [];
  const incidents = new Map<string, Incident>();
  const kinds = new Map<string, Exclude<NotificationKind, 'resolved'>>();
  const keep = async (finding: Finding): Promise<void> => {
    byId.set(finding.id, finding);
    if (options.keepStates === true) states.push(finding);
  };
  return {
    deliver: async (finding, notice) => {
      await keep(finding);
      kinds.set(finding.id, notice?.kind ?? 'page');
    },
    fold: keep,
    incident: async (incident) => {
      const known = incidents.get(incident.id);
      if (known === undefined || known.revision < incident.revision) incidents.set(incident.id, incident);
    },
    findings: () => sortFindings([...byId.values()]),
    states: () => states,
    incidents: () => sortIncidents([...incidents.values()]),
    kinds: () => kinds,
  };
};

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Most severe first, then oldest first; rule and id break ties so output is stable between runs. */
export const sortFindings = (findings: readonly Finding[]): Finding[] =>
  [...findings].sort(
    (a, b) =>
      SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
      compare(a.firstSeen, b.firstSeen) ||
      compare(a.ruleId, b.ruleId) ||
      compare(a.id, b.id),
  );

/** Most severe first, then the first opened; the id breaks ties. */
export const sortIncidents = (incidents: readonly Incident[]): Incident[] =>
  [...incidents].sort(
    (a, b) =>
      SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || compare(a.openedAt, b.openedAt) || compare(a.id, b.id),
  );
