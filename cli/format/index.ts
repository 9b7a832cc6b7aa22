import type { Finding } from '../../rules/core/finding.ts';
import type { Incident } from '../../rules/core/incident.ts';
import { renderFindingsJsonl } from './jsonl.ts';
import { renderFindingsOcsf } from './ocsf.ts';
import { renderFindingsTable } from './table.ts';

export const FINDING_FORMATS = ['table', 'jsonl', 'ocsf'] as const;
export type FindingFormat = (typeof FINDING_FORMATS)[number];

export const isFindingFormat = (v: string): v is FindingFormat => (FINDING_FORMATS as readonly string[]).includes(v);

export interface RenderOptions {
  readonly colour: boolean;
  readonly productVersion?: string;
  /** The findings' incidents: the table groups findings beneath them (jsonl and ocsf carry `incidentId`). */
  readonly incidents?: readonly Incident[];
}

const describe = (err: unknown): string => {
  try {
    return err instanceof Error ? String(err.message) : String(err);
  } catch {
    return 'unprintable error';
  }
};

/**
 * One finding that cannot be rendered in a machine format still gets its line, naming the finding and why, so
 * the other findings of the run are never lost to it.
 */
const eachLine = (findings: readonly Finding[], render: (f: Finding) => string): string[] =>
  findings.map((f) => {
    try {
      return render(f);
    } catch (err) {
      let id = 'unknown';
      try {
        id = String(f.id);
      } catch {
        // keep 'unknown'
      }
      return JSON.stringify({ renderError: describe(err), findingId: id });
    }
  });

/** The lines to print for a set of findings (already sorted). Never throws, whatever the findings hold. */
export const renderFindings = (format: FindingFormat, findings: readonly Finding[], opts: RenderOptions): string[] => {
  switch (format) {
    case 'table':
      try {
        return renderFindingsTable(findings, opts.colour, opts.incidents);
      } catch {
        // The table guards each cell; should the layout itself fail, the findings still print, one per line.
        return eachLine(findings, (f) => JSON.stringify(f));
      }
    case 'jsonl':
      return eachLine(findings, (f) => renderFindingsJsonl([f]).join(''));
    case 'ocsf':
      return eachLine(findings, (f) => renderFindingsOcsf([f], opts.productVersion).join(''));
  }
};
