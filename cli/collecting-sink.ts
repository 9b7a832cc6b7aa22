import type { Finding } from '../rules/core/finding.ts';
import { SEVERITY_RANK } from '../rules/core/finding.ts';
import type { FindingSink } from '../rules/core/ports.ts';

/**
 * The CLI's sink: keeps the latest version of each finding by id. A fold carries the same id as the finding
 * it repeats, so it replaces it — the printed finding is the one with all its evidence.
 */
export const createCollectingSink = (
  options: { readonly keepStates?: boolean } = {},
): FindingSink & { readonly findings: () => readonly Finding[]; readonly states: () => readonly Finding[] } => {
  const byId = new Map<string, Finding>();
  // Every state delivered or folded, in order (only when asked: `scan --evidence` archives each as the Lambda does).
  const states: Finding[] = [];
  const keep = async (finding: Finding): Promise<void> => {
    byId.set(finding.id, finding);
    if (options.keepStates === true) states.push(finding);
  };
  return { deliver: keep, fold: keep, findings: () => sortFindings([...byId.values()]), states: () => states };
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
