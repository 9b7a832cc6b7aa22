import type { Finding } from '../../rules/core/finding.ts';
import type { Severity } from '../../rules/core/types.ts';
import { SEVERITIES } from '../../rules/core/types.ts';
import type { Column } from './text-table.ts';
import { renderTable } from './text-table.ts';

const SEVERITY_COLOUR: Readonly<Record<Severity, string>> = {
  critical: '\u001b[1;31m',
  high: '\u001b[31m',
  medium: '\u001b[33m',
  low: '\u001b[36m',
  info: '\u001b[2m',
};

export const paintSeverity = (text: string, severity: Severity): string =>
  `${SEVERITY_COLOUR[severity]}${text}\u001b[0m`;

/** `arn:aws:iam::111122223333:user/alice` → `user/alice`: the account is its own column. */
export const shortActor = (finding: Finding): string => {
  const { arn, userName } = finding.actor;
  if (typeof arn !== 'string') return String(userName ?? arn);
  const parts = arn.split(':');
  if (arn.startsWith('arn:') && parts.length >= 6) return parts.slice(5).join(':');
  return userName ?? arn;
};

/** `2024-05-01T12:00:00.000Z` → `2024-05-01 12:00:00Z`. */
export const shortTime = (iso: string): string => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');

const COLUMNS: readonly Column<Finding>[] = [
  {
    header: 'SEVERITY',
    cell: (f) => f.severity,
    paint: (text, f) => (f.severity in SEVERITY_COLOUR ? paintSeverity(text, f.severity) : text),
  },
  { header: 'RULE', cell: (f) => f.ruleId, max: 48 },
  { header: 'ACCOUNT', cell: (f) => f.account, max: 14 },
  { header: 'REGION', cell: (f) => f.region, max: 16 },
  { header: 'ACTOR', cell: shortActor, max: 40 },
  { header: 'COUNT', cell: (f) => String(f.count), align: 'right' },
  { header: 'FIRST SEEN', cell: (f) => shortTime(f.firstSeen) },
  { header: 'TITLE', cell: (f) => titleCell(f) },
];

/** Flags go before the title: drills, and suppressions (an active one is not paged; an expired one says so). */
const titleCell = (f: Finding): string => {
  const flags = [
    f.drill ? '[drill]' : '',
    f.suppression?.status === 'active' ? `[suppressed until ${f.suppression.expires}]` : '',
    f.suppression?.status === 'expired' ? `[suppression expired ${f.suppression.expires}]` : '',
  ].filter(Boolean);
  return [...flags, f.title].join(' ');
};

/** `3 findings (1 critical, 2 high)`. */
export const countLine = (findings: readonly Finding[]): string => {
  if (findings.length === 0) return 'No findings.';
  const bySeverity = SEVERITIES.map((s) => [s, findings.filter((f) => f.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  const suppressed = findings.filter((f) => f.suppression?.status === 'active').length;
  const muted = suppressed > 0 ? `; ${suppressed} suppressed, not paged` : '';
  return `${findings.length} finding${findings.length === 1 ? '' : 's'} (${bySeverity.join(', ')}${muted})`;
};

export const renderFindingsTable = (findings: readonly Finding[], colour: boolean): string[] =>
  findings.length === 0 ? [countLine(findings)] : [...renderTable(COLUMNS, findings, colour), '', countLine(findings)];
