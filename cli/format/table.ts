import type { Finding } from '../../rules/core/finding.ts';
import type { Incident } from '../../rules/core/incident.ts';
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

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `2 incidents, 3 pages (1 escalation)`: what the pager saw. */
export const incidentLine = (incidents: readonly Incident[]): string => {
  const pages = incidents.flatMap((i) => i.pages);
  const escalations = pages.filter((p) => p.kind === 'escalation').length;
  return `${plural(incidents.length, 'incident')}, ${plural(pages.length, 'page')}${escalations > 0 ? ` (${plural(escalations, 'escalation')})` : ''}`;
};

/** The heading over an incident's findings: id, severity, actor, span, and what paged. */
export const incidentHeading = (i: Incident, colour: boolean): string => {
  const severity = i.severity.toUpperCase();
  const paged =
    i.pages.length === 0
      ? 'not paged'
      : i.pages.map((p) => (p.kind === 'page' ? `paged at ${p.severity}` : `escalated to ${p.severity}`)).join(', ');
  return [
    `Incident ${i.id}  ${colour ? paintSeverity(severity, i.severity) : severity}${i.drill ? '  [drill]' : ''}  ${i.actorKey}  account ${i.account}`,
    `  ${shortTime(i.openedAt)} to ${shortTime(i.lastSeen)}, ${plural(i.findingIds.length, 'finding')}, ${paged}`,
  ].join('\n');
};

/**
 * Findings grouped by incident (most severe incident first), each incident's findings beneath it in event order.
 * The columns line up across incidents; findings without an incident (none, from `scan`) come last.
 */
export const renderFindingsTable = (
  findings: readonly Finding[],
  colour: boolean,
  incidents: readonly Incident[] = [],
): string[] => {
  if (findings.length === 0) return [countLine(findings)];
  if (incidents.length === 0) return [...renderTable(COLUMNS, findings, colour), '', countLine(findings)];
  const byId = new Map(findings.map((f) => [f.id, f]));
  const groups = incidents.map((i) => ({
    incident: i,
    rows: i.findingIds.flatMap((id) => {
      const f = byId.get(id);
      return f === undefined ? [] : [f];
    }),
  }));
  const placed = new Set(groups.flatMap((g) => g.rows.map((f) => f.id)));
  const loose = findings.filter((f) => !placed.has(f.id));
  const ordered = [...groups.flatMap((g) => g.rows), ...loose];
  const [header = '', ...rows] = renderTable(COLUMNS, ordered, colour);
  const out: string[] = [];
  let at = 0;
  for (const g of groups) {
    if (g.rows.length === 0) continue;
    out.push(...incidentHeading(g.incident, colour).split('\n'), `  ${header}`);
    for (const row of rows.slice(at, at + g.rows.length)) out.push(`  ${row}`);
    out.push('');
    at += g.rows.length;
  }
  if (loose.length > 0) {
    out.push('Not in an incident', `  ${header}`, ...rows.slice(at).map((r) => `  ${r}`), '');
  }
  return [...out, `${countLine(findings)}; ${incidentLine(incidents)}`];
};
