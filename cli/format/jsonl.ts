import type { Finding } from '../../rules/core/finding.ts';

/** One finding per line, the whole Finding document (DESIGN §4), as archived and paged. */
export const renderFindingsJsonl = (findings: readonly Finding[]): string[] => findings.map((f) => JSON.stringify(f));
