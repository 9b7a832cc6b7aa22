import type { ControlMetrics, GroupMetrics, RuleMetrics, TuningMetrics } from '../../rules/core/tuning.ts';
import { FALSE_POSITIVE_LINE } from '../../rules/core/tuning.ts';
import type { Column } from './text-table.ts';
import { renderTable } from './text-table.ts';

/** `45s`, `12m`, `3h05m`, `2d04h`; `-` when there is nothing to measure. */
export const duration = (seconds: number | null): string => {
  if (seconds === null) return '-';
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h${String(minutes % 60).padStart(2, '0')}m`;
  return `${Math.floor(hours / 24)}d${String(hours % 24).padStart(2, '0')}h`;
};

/** `25.0 % !` above the line, `-` with no verdicts. */
export const fpRate = (m: GroupMetrics): string =>
  m.falsePositiveRate === null
    ? '-'
    : `${(m.falsePositiveRate * 100).toFixed(1)} %${m.flagged ? ' !' : ''} (${m.falsePositives}/${m.resolved})`;

const sla = (m: GroupMetrics): string =>
  `ack ${m.ackWithinSla}/${m.ackWithinSla + m.ackPastSla}, resolve ${m.resolvedWithinSla}/${m.resolvedWithinSla + m.resolvedPastSla}`;

const groupColumns = <T extends GroupMetrics>(): Column<T>[] => [
  { header: 'FINDINGS', cell: (m) => String(m.findings), align: 'right' },
  { header: 'INCIDENTS', cell: (m) => String(m.incidents), align: 'right' },
  { header: 'PAGES', cell: (m) => String(m.pages), align: 'right' },
  { header: 'SUPPRESSED', cell: (m) => String(m.suppressed), align: 'right' },
  { header: 'FP RATE', cell: fpRate, align: 'right' },
  { header: 'MTTA', cell: (m) => duration(m.mttaSeconds), align: 'right' },
  { header: 'P90 TTA', cell: (m) => duration(m.p90TtaSeconds), align: 'right' },
  { header: 'MTTR', cell: (m) => duration(m.mttrSeconds), align: 'right' },
  { header: 'P90 TTR', cell: (m) => duration(m.p90TtrSeconds), align: 'right' },
  { header: 'WITHIN SLA', cell: sla },
  { header: 'OPEN PAST SLA', cell: (m) => String(m.openPastSla), align: 'right' },
  { header: 'MISSED', cell: (m) => String(m.missed), align: 'right' },
];

const active = (m: GroupMetrics): boolean => m.findings > 0 || m.missed > 0;

const period = (m: TuningMetrics): string =>
  m.from === null ? `all evidence (as of ${m.asOf})` : `${m.from} to ${m.to ?? ''} (as of ${m.asOf})`;

export const renderMetricsTable = (m: TuningMetrics, colour: boolean): string[] => {
  const flagged = m.rules.filter((r) => r.flagged);
  return [
    `Tuning metrics: ${period(m)}`,
    '',
    ...renderTable<RuleMetrics>(
      [{ header: 'RULE', cell: (r) => r.ruleId }, ...groupColumns<RuleMetrics>()],
      m.rules.filter(active),
      colour,
    ),
    '',
    ...renderTable<ControlMetrics>(
      [{ header: 'CONTROL', cell: (c) => c.control }, ...groupColumns<ControlMetrics>()],
      m.controls.filter(active),
      colour,
    ),
    '',
    `total: ${m.totals.findings} findings, ${m.totals.incidents} incidents, ${m.totals.pages} pages, false positives ${fpRate(m.totals)}, MTTA ${duration(m.totals.mttaSeconds)}, MTTR ${duration(m.totals.mttrSeconds)}, open past SLA ${m.totals.openPastSla}, missed ${m.totals.missed}`,
    flagged.length === 0
      ? `no rule above the ${FALSE_POSITIVE_LINE * 100} % false-positive line`
      : `above the ${FALSE_POSITIVE_LINE * 100} % false-positive line (!): ${flagged.map((r) => r.ruleId).join(', ')}`,
  ];
};

const mdRow = (cells: readonly string[]): string => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;

const MD_HEAD = [
  'Findings',
  'Incidents',
  'Pages',
  'Suppressed',
  'FP rate',
  'MTTA',
  'p90 TTA',
  'MTTR',
  'p90 TTR',
  'Within SLA',
  'Open past SLA',
  'Missed',
];

const mdCells = (m: GroupMetrics): string[] => [
  String(m.findings),
  String(m.incidents),
  String(m.pages),
  String(m.suppressed),
  fpRate(m),
  duration(m.mttaSeconds),
  duration(m.p90TtaSeconds),
  duration(m.mttrSeconds),
  duration(m.p90TtrSeconds),
  sla(m),
  String(m.openPastSla),
  String(m.missed),
];

export const renderMetricsMarkdown = (m: TuningMetrics): string[] => [
  '# Trailwarden tuning metrics',
  '',
  `Period: ${period(m)}. False positives above ${FALSE_POSITIVE_LINE * 100} % are marked !.`,
  '',
  '## Per rule',
  '',
  mdRow(['Rule', ...MD_HEAD]),
  mdRow(['---', ...MD_HEAD.map(() => '---:')]),
  ...m.rules.filter(active).map((r) => mdRow([r.ruleId, ...mdCells(r)])),
  '',
  '## Per Annex A control',
  '',
  mdRow(['Control', ...MD_HEAD]),
  mdRow(['---', ...MD_HEAD.map(() => '---:')]),
  ...m.controls.filter(active).map((c) => mdRow([`${c.control} ${c.title}`, ...mdCells(c)])),
  '',
  '## Missed detections',
  '',
  ...(m.missed.length === 0 ? ['None recorded.'] : m.missed.map((d) => `- ${d.at} ${d.ruleId}: ${d.note}`)),
];
