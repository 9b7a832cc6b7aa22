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

/** The lines to print for a set of findings (already sorted). */
export const renderFindings = (format: FindingFormat, findings: readonly Finding[], opts: RenderOptions): string[] => {
  switch (format) {
    case 'table':
      return renderFindingsTable(findings, opts.colour, opts.incidents);
    case 'jsonl':
      return renderFindingsJsonl(findings);
    case 'ocsf':
      return renderFindingsOcsf(findings, opts.productVersion);
  }
};
