import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { StoredObject } from '../../rules/core/digest.ts';
import { DIGEST_PREFIX, excerptOf, verifyChain } from '../../rules/core/digest.ts';
import { parseDrillRunKey } from '../../rules/core/drill-run.ts';
import { parseRevision, sha256 } from '../../rules/core/evidence.ts';
import type { Finding } from '../../rules/core/finding.ts';
import { observationRules } from '../../rules/core/observation-rules.ts';
import type { ResponseCase } from '../../rules/core/response.ts';
import { readResponseEvidence, responseView } from '../../rules/core/response.ts';
import type { CatalogueRule, TuningMetrics } from '../../rules/core/tuning.ts';
import { caseTimes, computeMetrics, distribution, FALSE_POSITIVE_LINE } from '../../rules/core/tuning.ts';
import type { Control } from '../../rules/core/types.ts';
import { CONTROLS, SEVERITIES } from '../../rules/core/types.ts';
import { parseOptions } from '../args.ts';
import { loadSlaConfig } from '../config-file.ts';
import { duration, fpRate } from '../format/metrics.ts';
import type { RuleDocEntry } from '../format/rules-markdown.ts';
import { renderRulesMarkdown } from '../format/rules-markdown.ts';
import type { Io } from '../io.ts';
import { EXIT, errorLine, message } from '../io.ts';
import { EXPORT_SCHEMA, parseS3Url, readS3, readTree } from './verify.ts';

/**
 * `trailwarden export` (issue 5 §3): an auditor's evidence package for a date range, as a directory —
 * the selected finding objects and the digests that list them (byte for byte), a report (Markdown and a
 * self-contained HTML page), a CSV of the findings and a manifest of every file's SHA-256. Deterministic:
 * the same source and arguments always give the same bytes (no time but the data's).
 */

const EXPORT_OPTIONS = {
  from: { type: 'string' },
  to: { type: 'string' },
  control: { type: 'string' },
  out: { type: 'string' },
  config: { type: 'string' },
} as const;

const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` that names a real calendar day → its UTC midnight in ms, else undefined. */
export const parseDay = (text: string): number | undefined => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return undefined;
  const ms = Date.parse(`${text}T00:00:00Z`);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== text) return undefined;
  return ms;
};

export interface ExportOptions {
  readonly source: string;
  readonly from: string;
  readonly to: string;
  readonly control: Control | undefined;
  readonly out: string;
  /** Where the response SLAs come from (default: ./trailwarden.config.json if present). */
  readonly config?: string;
}

export type ExportArgs =
  | { readonly ok: true; readonly options: ExportOptions }
  | { readonly ok: false; readonly error: string };

const isControl = (v: string): v is Control => Object.hasOwn(CONTROLS, v);

export const parseExportArgs = (args: readonly string[]): ExportArgs => {
  const parsed = parseOptions(args, EXPORT_OPTIONS);
  if (!parsed.ok) return parsed;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) {
    return { ok: false, error: 'export needs exactly one SOURCE (a directory or s3://bucket/prefix)' };
  }
  const { from, to, control } = values;
  if (from === undefined || to === undefined) return { ok: false, error: 'export needs --from DATE and --to DATE' };
  for (const [name, value] of [
    ['--from', from],
    ['--to', to],
  ] as const) {
    if (parseDay(value) === undefined) {
      return { ok: false, error: `${name} must be a calendar day as YYYY-MM-DD (UTC), got "${value}"` };
    }
  }
  if (from > to) return { ok: false, error: `--from ${from} is after --to ${to}` };
  if (control !== undefined && !isControl(control)) {
    return { ok: false, error: `--control must be one of ${Object.keys(CONTROLS).join(', ')}` };
  }
  const out = values.out ?? `trailwarden-export-${from}_${to}${control === undefined ? '' : `_${control}`}`;
  if (out.length === 0) return { ok: false, error: '--out needs a directory name' };
  return {
    ok: true,
    options: {
      source: positionals[0] ?? '',
      from,
      to,
      control,
      out,
      ...(values.config === undefined ? {} : { config: values.config }),
    },
  };
};

/** A finding read from the source: its current state (highest revision) — key, exact bytes, parsed content. */
export interface SourceFinding {
  readonly key: string;
  readonly bytes: string | Uint8Array;
  readonly sha256: string;
  readonly finding: Finding;
  /** Every revision object of the finding, the current one included (all exported, all verified). */
  readonly revisions: readonly StoredObject[];
}

const FINDINGS_PREFIX = 'findings/';
const KEYS_PREFIX = 'keys/';

const text = (bytes: string | Uint8Array): string =>
  typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8');

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const parseFinding = (bytes: string | Uint8Array): Finding | undefined => {
  try {
    const v = JSON.parse(text(bytes)) as Partial<Finding> | null;
    if (v === null || typeof v !== 'object') return undefined;
    const strings = [v.id, v.ruleId, v.title, v.severity, v.firstSeen, v.lastSeen, v.account, v.region];
    if (!strings.every((s) => typeof s === 'string') || !Array.isArray(v.controls)) return undefined;
    if (Number.isNaN(Date.parse(v.firstSeen ?? '')) || Number.isNaN(Date.parse(v.lastSeen ?? ''))) return undefined;
    return v as Finding;
  } catch {
    return undefined;
  }
};

export interface Selection {
  readonly findings: readonly SourceFinding[];
  /** Incidents, triage decisions (and missed detections) and reviews of the period, byte for byte. */
  readonly response: readonly StoredObject[];
  readonly digests: readonly StoredObject[];
  /** The public keys kept with the evidence (`keys/`), so the package verifies signatures on its own. */
  readonly keys: readonly StoredObject[];
  /** Finding objects that could not be read as findings (named on stderr, never exported). */
  readonly unreadable: readonly string[];
}

/**
 * Findings whose activity (`firstSeen`..`lastSeen`) overlaps the inclusive UTC days `from`..`to` and, with
 * `control`, that map to it — judged on each finding's current state, its highest revision — with every revision
 * of each; plus the digests from the first to the last listing any of them, and the public keys. Findings sort
 * by time, then id.
 */
/** Incident states, archived beside the findings (rules/core/incident.ts). */

export const selectEvidence = (
  objects: readonly StoredObject[],
  range: { readonly from: string; readonly to: string; readonly control: Control | undefined },
): Selection => {
  const start = parseDay(range.from) ?? 0;
  const end = (parseDay(range.to) ?? 0) + DAY_MS;
  const unreadable: string[] = [];
  const byBase = new Map<string, { revision: number; object: StoredObject }[]>();
  for (const o of objects) {
    if (!o.key.startsWith(FINDINGS_PREFIX) || !o.key.endsWith('.json')) continue;
    const { base, revision } = parseRevision(o.key);
    byBase.set(base, [...(byBase.get(base) ?? []), { revision, object: o }]);
  }
  const findings: SourceFinding[] = [];
  for (const revisions of byBase.values()) {
    revisions.sort((a, b) => a.revision - b.revision);
    const current = revisions.at(-1)?.object;
    if (current === undefined) continue;
    const finding = parseFinding(current.bytes);
    if (finding === undefined) {
      unreadable.push(current.key);
      continue;
    }
    if (Date.parse(finding.firstSeen) >= end || Date.parse(finding.lastSeen) < start) continue;
    if (range.control !== undefined && !finding.controls.includes(range.control)) continue;
    findings.push({
      key: current.key,
      bytes: current.bytes,
      sha256: sha256(current.bytes).hex,
      finding,
      revisions: revisions.map((r) => r.object),
    });
  }
  findings.sort(
    (a, b) =>
      compare(a.finding.firstSeen, b.finding.firstSeen) || compare(a.finding.id, b.finding.id) || compare(a.key, b.key),
  );
  // Incidents, triage decisions, missed detections and reviews of the selected findings and period.
  const response = selectResponse(objects, new Set(findings.map((f) => f.finding.id)), start, end, range.control);
  const keys = new Set([...findings.flatMap((f) => f.revisions.map((r) => r.key)), ...response.map((o) => o.key)]);
  const all = objects.filter((o) => o.key.startsWith(DIGEST_PREFIX)).sort((a, b) => compare(a.key, b.key));
  const lists = (o: StoredObject): boolean => {
    try {
      const d = JSON.parse(text(o.bytes)) as { objects?: { key?: unknown }[] };
      return Array.isArray(d.objects) && d.objects.some((e) => typeof e?.key === 'string' && keys.has(e.key));
    } catch {
      return false;
    }
  };
  // Every digest from the first to the last that lists a selected object: the chain has one per hour, and the
  // empty ones between keep the links of the exported stretch unbroken.
  const first = all.findIndex(lists);
  const last = all.findLastIndex(lists);
  const digests = first < 0 ? [] : all.slice(first, last + 1);
  const publicKeys =
    digests.length === 0
      ? []
      : objects.filter((o) => o.key.startsWith(KEYS_PREFIX)).sort((a, b) => compare(a.key, b.key));
  return { findings, digests, keys: publicKeys, response, unreadable: unreadable.sort(compare) };
};

const parsed = (o: StoredObject): Record<string, unknown> | undefined => {
  try {
    const v = JSON.parse(text(o.bytes)) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};

/**
 * The response loop of the selected findings: every revision of their incidents, the decisions on those
 * incidents and findings, missed detections dated in the period (of the control's rules, with --control: those
 * name only a rule, so they go with any control when the rule is unknown here), reviews whose quarter overlaps it.
 */
const selectResponse = (
  objects: readonly StoredObject[],
  findingIds: ReadonlySet<string>,
  start: number,
  end: number,
  control: Control | undefined,
): StoredObject[] => {
  const incidentIds = new Set<string>();
  const incidents: StoredObject[] = [];
  for (const o of objects) {
    if (!o.key.startsWith('incidents/')) continue;
    const i = parsed(o);
    const members = Array.isArray(i?.findingIds) ? (i.findingIds as unknown[]) : [];
    if (members.some((id) => typeof id === 'string' && findingIds.has(id))) {
      incidents.push(o);
      incidentIds.add(String(i?.id));
    }
  }
  const decisions = objects.filter((o) => {
    if (!o.key.startsWith('triage/')) return false;
    const d = parsed(o);
    if (d === undefined) return false;
    if (d.action === 'missed') {
      const at = Date.parse(String(d.at));
      return control === undefined && at >= start && at < end;
    }
    return findingIds.has(String(d.target)) || incidentIds.has(String(d.target));
  });
  const reviews = objects.filter((o) => {
    if (!o.key.startsWith('reviews/')) return false;
    const twin = o.key.endsWith('.md') ? objects.find((j) => j.key === o.key.replace(/\.md$/, '.json')) : o;
    const r = twin === undefined ? undefined : parsed(twin);
    if (r === undefined || typeof r.from !== 'string' || typeof r.to !== 'string') return false;
    return Date.parse(`${r.from}T00:00:00Z`) < end && Date.parse(`${r.to}T00:00:00Z`) + DAY_MS > start;
  });
  // Drill runs started in the period (alert tests, A.8.16): with every export, or one for that control.
  const drills = objects.filter((o) => {
    const run = parseDrillRunKey(o.key);
    return run !== undefined && run.startedMs >= start && run.startedMs < end && (control ?? 'A.8.16') === 'A.8.16';
  });
  return [...incidents, ...decisions, ...reviews, ...drills].sort((a, b) => compare(a.key, b.key));
};

// ---------------------------------------------------------------------------------------------- CSV

export const CSV_COLUMNS = [
  'id',
  'firstSeen',
  'lastSeen',
  'severity',
  'ruleId',
  'title',
  'controls',
  'account',
  'region',
  'actor',
  'resources',
  'count',
  'evidenceKey',
  'sha256',
] as const;

/** RFC 4180: a field with a comma, quote, CR or LF is quoted, quotes doubled. */
export const csvField = (value: string): string => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

/** One header line and one line per finding, CRLF-terminated (RFC 4180). Lists are `;`-separated. */
export const renderCsv = (findings: readonly SourceFinding[]): string => {
  const rows = findings.map(({ key, sha256: hash, finding: f }) => [
    f.id,
    f.firstSeen,
    f.lastSeen,
    f.severity,
    f.ruleId,
    f.title,
    f.controls.join(';'),
    f.account,
    f.region,
    f.actor?.arn ?? '',
    (f.resources ?? []).join(';'),
    String(f.count ?? ''),
    key,
    hash,
  ]);
  return [[...CSV_COLUMNS], ...rows].map((row) => `${row.map(csvField).join(',')}\r\n`).join('');
};

// ------------------------------------------------------------------------------------------- Report

export interface ReportInput {
  readonly options: Omit<ExportOptions, 'out'>;
  readonly selection: Selection;
  /** The documentation in force for the rules present (registry order). */
  readonly docs: readonly RuleDocEntry[];
  /** Whether the package verifies on its own (`trailwarden verify OUT`). */
  readonly selfVerifies: boolean;
  /** Tuning metrics of the period (the same as `trailwarden metrics --from --to`). */
  readonly metrics: TuningMetrics;
  /** The response cases of the selected findings, with their triage state. */
  readonly cases: readonly ResponseCase[];
}

const countBy = <K extends string>(items: readonly SourceFinding[], keyOf: (f: Finding) => readonly K[]) => {
  const counts = new Map<K, number>();
  for (const { finding } of items) for (const k of keyOf(finding)) counts.set(k, (counts.get(k) ?? 0) + 1);
  return counts;
};

const severityCounts = (items: readonly SourceFinding[]) => {
  const counts = countBy(items, (f) => [f.severity]);
  return SEVERITIES.map((s) => [s, counts.get(s) ?? 0] as const);
};

const ruleCounts = (items: readonly SourceFinding[]) =>
  [...countBy(items, (f) => [f.ruleId]).entries()].sort(([a, x], [b, y]) => y - x || compare(a, b));

const actorOf = (f: Finding): string => f.actor?.arn ?? f.actor?.userName ?? '';

/** Every day from `from` to `to`, inclusive. */
const daysOf = (from: string, to: string): string[] => {
  const out: string[] = [];
  const end = parseDay(to) ?? 0;
  for (let ms = parseDay(from) ?? 0; ms <= end; ms += DAY_MS) out.push(new Date(ms).toISOString().slice(0, 10));
  return out;
};

/**
 * Findings per control per bucket, a finding counted in its first bucket inside the range. Buckets are days;
 * a one-day period is cut into hours, so its chart has a shape rather than one bar.
 */
export const controlDayCounts = (input: Pick<ReportInput, 'options' | 'selection'>) => {
  const { from, to } = input.options;
  const hourly = from === to;
  const days = hourly
    ? Array.from({ length: 24 }, (_, h) => `${from}T${String(h).padStart(2, '0')}`)
    : daysOf(from, to);
  const controls = (Object.keys(CONTROLS) as Control[]).filter((c) =>
    input.selection.findings.some(({ finding }) => finding.controls.includes(c)),
  );
  const first = days[0] ?? from;
  const counts = new Map<string, number>();
  for (const { finding } of input.selection.findings) {
    const at = finding.firstSeen.slice(0, hourly ? 13 : 10);
    const bucket = at.localeCompare(first) < 0 ? first : at;
    for (const c of finding.controls) counts.set(`${c} ${bucket}`, (counts.get(`${c} ${bucket}`) ?? 0) + 1);
  }
  return {
    days,
    hourly,
    controls,
    count: (control: string, day: string) => counts.get(`${control} ${day}`) ?? 0,
  };
};

const mdCell = (value: string): string =>
  value
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/[\r\n]+/g, ' ');

/** The rule sections of the generated rule docs (the same renderer as docs/RULES.md). */
const ruleDocsMarkdown = (docs: readonly RuleDocEntry[]): string => {
  if (docs.length === 0) return '';
  const page = renderRulesMarkdown(docs, observationRules());
  const at = page.indexOf('\n## Rules\n');
  return at < 0 ? page : page.slice(at + '\n## Rules\n'.length).replace(/^\n+/, '');
};

const missingDocs = (input: ReportInput): string[] => {
  const documented = new Set(input.docs.map(([rule]) => rule.id));
  return [...new Set(input.selection.findings.map((f) => f.finding.ruleId))]
    .filter((id) => !documented.has(id))
    .sort(compare);
};

const scopeLines = (input: ReportInput): string[] => {
  const { options, selection, selfVerifies } = input;
  return [
    `Period: ${options.from} to ${options.to} (inclusive, UTC days; findings active in the period)`,
    `Control: ${options.control === undefined ? 'all' : `${options.control} ${CONTROLS[options.control]}`}`,
    `Source: ${options.source}`,
    `Findings: ${selection.findings.length}; incidents and triage decisions, reviews: ${selection.response.length} objects; digests: ${selection.digests.length}`,
    selfVerifies
      ? 'Integrity: `trailwarden verify` on this package checks every object in it against the signed digests included. The package is an excerpt of the chain: manifest.json names the digest before its first one and the listed objects it leaves out (outside the selection); `trailwarden verify` on the source proves nothing else is missing.'
      : 'Integrity: this package is a filtered part of the evidence chain and does not verify on its own; run `trailwarden verify` on the source, then compare the sha256 column and manifest.json with it.',
  ];
};

export const renderReportMarkdown = (input: ReportInput): string => {
  const { selection } = input;
  const rows = selection.findings.map(({ finding: f }) =>
    [f.firstSeen, f.severity, f.ruleId, f.account, actorOf(f), f.title, f.id].map(mdCell).join(' | '),
  );
  const missing = missingDocs(input);
  const lines = [
    '# Trailwarden evidence export',
    '',
    ...scopeLines(input).map((l) => `- ${l}`),
    '',
    '## Findings by severity',
    '',
    '| Severity | Findings |',
    '| --- | ---: |',
    ...severityCounts(selection.findings).map(([s, n]) => `| ${s} | ${n} |`),
    '',
    '## Findings by rule',
    '',
    ...(selection.findings.length === 0
      ? ['None.']
      : [
          '| Rule | Findings |',
          '| --- | ---: |',
          ...ruleCounts(selection.findings).map(([r, n]) => `| ${r} | ${n} |`),
        ]),
    '',
    '## Incident responses',
    '',
    ...(input.cases.length === 0
      ? ['None in this period.']
      : [
          `| ${CASE_HEAD.join(' | ')} |`,
          `| ${CASE_HEAD.map(() => '---').join(' | ')} |`,
          ...caseRows(input.cases).map((r) => `| ${r.map(mdCell).join(' | ')} |`),
        ]),
    '',
    '## Tuning metrics per rule',
    '',
    ...(metricRows(input.metrics).length === 0
      ? ['No findings or missed detections in this period.']
      : [
          `| ${METRIC_HEAD.join(' | ')} |`,
          `| --- | ${METRIC_HEAD.slice(1)
            .map(() => '---:')
            .join(' | ')} |`,
          ...metricRows(input.metrics).map((r) => `| ${r.map(mdCell).join(' | ')} |`),
        ]),
    '',
    `False-positive line: ${FALSE_POSITIVE_LINE * 100} % (marked !). Full figures per rule and control: metrics.json.`,
    '',
    '## Missed detections',
    '',
    ...(input.metrics.missed.length === 0
      ? ['None recorded in this period.']
      : input.metrics.missed.map((m) => `- ${m.at} ${m.ruleId}: ${mdCell(m.note)}`)),
    '',
    '## Reviews',
    '',
    ...(selection.response.filter((o) => o.key.startsWith('reviews/') && o.key.endsWith('.md')).length === 0
      ? ['None archived for this period.']
      : selection.response
          .filter((o) => o.key.startsWith('reviews/') && o.key.endsWith('.md'))
          .map((o) => `- ${o.key}`)),
    '',
    '## Findings',
    '',
    ...(rows.length === 0
      ? ['None in this period.']
      : [
          '| Time | Severity | Rule | Account | Actor | Title | Id |',
          '| --- | --- | --- | --- | --- | --- | --- |',
          ...rows.map((r) => `| ${r} |`),
        ]),
    '',
    '## Rule documentation',
    '',
    ...(missing.length === 0 ? [] : [`Not in this catalogue: ${missing.join(', ')}.`, '']),
    ruleDocsMarkdown(input.docs),
  ];
  return `${lines.join('\n').trimEnd()}\n`;
};

const escapeHtml = (value: string): string =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

/** Rough width of SVG text at a font size (system-ui averages about 0.6 em per character). */
const textWidth = (text: string, size: number): number => Math.ceil(text.length * size * 0.62);

/**
 * Inline SVG: per day (per hour for a one-day period), one stacked bar of findings per control; the legend
 * below names each control in full. Scales to the page (viewBox) and is never narrower than its legend.
 */
export const renderChartSvg = (input: Pick<ReportInput, 'options' | 'selection'>): string => {
  const { days, hourly, controls, count } = controlDayCounts(input);
  const totals = days.map((d) => controls.reduce((n, c) => n + count(c, d), 0));
  const max = Math.max(1, ...totals);
  const barWidth = 24;
  const gap = 8;
  const left = 40;
  const top = 10;
  const plot = 160;
  const legend = controls.map((c) => `${c} ${CONTROLS[c]}`);
  const width = Math.max(
    left + days.length * (barWidth + gap) + 10,
    left + 18 + Math.max(0, ...legend.map((l) => textWidth(l, 13))) + 10,
    480,
  );
  const legendY = top + plot + 78;
  const height = legendY + controls.length * 20 + 10;
  const parts: string[] = [
    `<svg role="img" aria-label="Findings per control per ${hourly ? 'hour' : 'day'}" width="100%" style="max-width:${width}px" viewBox="0 0 ${width} ${height}">`,
    `<line x1="${left}" y1="${top + plot}" x2="${width - 10}" y2="${top + plot}" stroke="#444"/>`,
    `<text x="${left - 6}" y="${top + 4}" text-anchor="end" font-size="11">${max}</text>`,
    `<text x="${left - 6}" y="${top + plot}" text-anchor="end" font-size="11">0</text>`,
  ];
  days.forEach((day, i) => {
    const x = left + gap / 2 + i * (barWidth + gap);
    let y = top + plot;
    controls.forEach((c, j) => {
      const n = count(c, day);
      if (n === 0) return;
      const h = (n / max) * plot;
      y -= h;
      parts.push(
        `<rect x="${x}" y="${y.toFixed(2)}" width="${barWidth}" height="${h.toFixed(2)}" fill="${PALETTE[j % PALETTE.length]}"><title>${escapeHtml(`${day}${hourly ? ':00' : ''} ${c}: ${n}`)}</title></rect>`,
      );
    });
    const label = hourly ? `${day.slice(11)}:00` : day;
    parts.push(
      `<text x="${x + barWidth / 2}" y="${top + plot + 12}" font-size="11" text-anchor="end" transform="rotate(-60 ${x + barWidth / 2} ${top + plot + 12})">${label}</text>`,
    );
  });
  controls.forEach((c, j) => {
    const y = legendY + j * 20;
    parts.push(
      `<rect x="${left}" y="${y}" width="12" height="12" fill="${PALETTE[j % PALETTE.length]}"/>`,
      `<text x="${left + 18}" y="${y + 11}" font-size="13">${escapeHtml(legend[j] ?? c)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
};

export interface BarRow {
  readonly label: string;
  /** One bar per series; null draws nothing and says "no data". */
  readonly values: readonly (number | null)[];
  /** What each bar's tooltip and end label say. */
  readonly texts: readonly string[];
}

/**
 * Inline SVG: horizontal grouped bars, one row per label (rule ids stay readable however long), one bar per
 * series, with an optional reference line (the 20 % false-positive line).
 */
export const renderBarChartSvg = (chart: {
  readonly label: string;
  readonly series: readonly string[];
  readonly rows: readonly BarRow[];
  readonly line?: { readonly value: number; readonly text: string };
  readonly max?: number;
}): string => {
  const labelWidth = Math.max(60, ...chart.rows.map((r) => textWidth(r.label, 12))) + 12;
  const plot = 420;
  const endLabel = 150;
  const legendWidth = chart.series.reduce((w, n) => w + 16 + textWidth(n, 12) + 24, 0);
  const width = Math.max(labelWidth + plot + endLabel, labelWidth + legendWidth);
  const bar = 13;
  const rowHeight = chart.series.length * (bar + 2) + 10;
  const top = 24;
  const height = top + Math.max(1, chart.rows.length) * rowHeight + 10;
  const max = Math.max(
    chart.max ?? 0,
    chart.line?.value ?? 0,
    ...chart.rows.flatMap((r) => r.values.map((v) => v ?? 0)),
    1,
  );
  const x = (v: number): number => labelWidth + (v / max) * plot;
  const parts: string[] = [
    `<svg role="img" aria-label="${escapeHtml(chart.label)}" width="100%" style="max-width:${width}px" viewBox="0 0 ${width} ${height}">`,
    ...chart.series.map((name, i) => {
      // Each legend entry starts after the text of the ones before it.
      const at = labelWidth + chart.series.slice(0, i).reduce((w, n) => w + 16 + textWidth(n, 12) + 24, 0);
      return `<rect x="${at}" y="4" width="12" height="12" fill="${PALETTE[i % PALETTE.length]}"/><text x="${at + 16}" y="15" font-size="12">${escapeHtml(name)}</text>`;
    }),
    `<line x1="${labelWidth}" y1="${top - 4}" x2="${labelWidth}" y2="${height - 6}" stroke="#444"/>`,
  ];
  if (chart.rows.length === 0)
    parts.push(`<text x="${labelWidth + 8}" y="${top + 14}" font-size="11">No data in this period.</text>`);
  chart.rows.forEach((row, r) => {
    const y0 = top + r * rowHeight;
    parts.push(
      `<text x="${labelWidth - 6}" y="${y0 + rowHeight / 2}" text-anchor="end" font-size="11">${escapeHtml(row.label)}</text>`,
    );
    row.values.forEach((v, i) => {
      const y = y0 + i * (bar + 2);
      const text = row.texts[i] ?? '';
      if (v === null) {
        parts.push(`<text x="${labelWidth + 4}" y="${y + 11}" font-size="11" fill="#555">${escapeHtml(text)}</text>`);
        return;
      }
      const w = Math.max(1, x(v) - labelWidth);
      parts.push(
        `<rect x="${labelWidth}" y="${y}" width="${w.toFixed(2)}" height="${bar}" fill="${PALETTE[i % PALETTE.length]}"><title>${escapeHtml(`${row.label} ${chart.series[i] ?? ''}: ${text}`)}</title></rect>`,
        `<text x="${(labelWidth + w + 4).toFixed(2)}" y="${y + 11}" font-size="11">${escapeHtml(text)}</text>`,
      );
    });
  });
  if (chart.line !== undefined) {
    const lx = x(chart.line.value).toFixed(2);
    parts.push(
      `<line x1="${lx}" y1="${top - 4}" x2="${lx}" y2="${height - 6}" stroke="#a00" stroke-dasharray="4 3"/>`,
      `<text x="${lx}" y="${height - 1}" font-size="11" fill="#a00" text-anchor="middle">${escapeHtml(chart.line.text)}</text>`,
    );
  }
  parts.push('</svg>');
  return parts.join('\n');
};

const minutes = (seconds: number | null): number | null => (seconds === null ? null : Math.round(seconds / 6) / 10);

/** Mean time to acknowledge and to resolve (minutes) per rule, from the period's metrics. */
export const responseTimeChart = (metrics: TuningMetrics): string =>
  renderBarChartSvg({
    label: 'Mean time to acknowledge and to resolve per rule (minutes)',
    series: ['time to acknowledge (mean)', 'time to resolve (mean)'],
    rows: metrics.rules
      .filter((r) => r.findings > 0)
      .map((r) => ({
        label: r.ruleId,
        values: [minutes(r.mttaSeconds), minutes(r.mttrSeconds)],
        texts: [
          r.mttaSeconds === null ? 'not acknowledged' : `${duration(r.mttaSeconds)} (p90 ${duration(r.p90TtaSeconds)})`,
          r.mttrSeconds === null ? 'not resolved' : `${duration(r.mttrSeconds)} (p90 ${duration(r.p90TtrSeconds)})`,
        ],
      })),
  });

/** The same per severity of the cases (an incident takes its highest severity). */
export const severityTimeChart = (cases: readonly ResponseCase[], sla: TuningMetrics['sla']): string => {
  const rows = SEVERITIES.flatMap((severity) => {
    const of = cases.filter((c) => c.severity === severity);
    if (of.length === 0) return [];
    const tta = distribution(of.flatMap((c) => caseTimes(c).tta ?? []));
    const ttr = distribution(of.flatMap((c) => caseTimes(c).ttr ?? []));
    return [
      {
        label: `${severity} (${of.length}; SLA ${sla[severity].ackMinutes}/${sla[severity].resolveMinutes} min)`,
        values: [minutes(tta.meanSeconds), minutes(ttr.meanSeconds)],
        texts: [
          tta.meanSeconds === null
            ? 'not acknowledged'
            : `${duration(tta.meanSeconds)} (p90 ${duration(tta.p90Seconds)})`,
          ttr.meanSeconds === null ? 'not resolved' : `${duration(ttr.meanSeconds)} (p90 ${duration(ttr.p90Seconds)})`,
        ],
      },
    ];
  });
  return renderBarChartSvg({
    label: 'Mean time to acknowledge and to resolve per severity (minutes)',
    series: ['time to acknowledge (mean)', 'time to resolve (mean)'],
    rows,
  });
};

/** False-positive rate per rule (of its findings with a verdict), with the 20 % line. */
export const falsePositiveChart = (metrics: TuningMetrics): string =>
  renderBarChartSvg({
    label: 'False-positive rate per rule (%)',
    series: ['false positives (% of findings with a verdict)'],
    max: 100,
    line: { value: FALSE_POSITIVE_LINE * 100, text: `${FALSE_POSITIVE_LINE * 100} % line` },
    rows: metrics.rules
      .filter((r) => r.findings > 0)
      .map((r) => ({
        label: r.ruleId,
        values: [r.falsePositiveRate === null ? null : Math.round(r.falsePositiveRate * 1000) / 10],
        texts: [r.falsePositiveRate === null ? 'no verdict yet' : `${fpRate(r)}`],
      })),
  });

/** One row per response case: who acknowledged and resolved it, when, and the verdict. */
const caseRows = (cases: readonly ResponseCase[]): string[][] =>
  cases.map((c) => {
    const { tta, ttr } = caseTimes(c);
    return [
      c.id,
      c.kind === 'incident' ? `incident of ${c.findings.length}` : 'finding',
      c.severity,
      c.openedAt,
      c.state.acknowledgedAt === undefined ? '-' : `${c.state.acknowledgedBy ?? ''} after ${duration(tta ?? null)}`,
      c.state.resolvedAt === undefined ? '-' : `${c.state.resolvedBy ?? ''} after ${duration(ttr ?? null)}`,
      c.state.verdict ?? (c.state.status === 'resolved' ? 'unclassified' : c.state.status),
    ];
  });

const CASE_HEAD = ['Incident or finding', 'Kind', 'Severity', 'Opened', 'Acknowledged', 'Resolved', 'Verdict'];

const metricRows = (metrics: TuningMetrics): string[][] =>
  metrics.rules
    .filter((r) => r.findings > 0 || r.missed > 0)
    .map((r) => [
      r.ruleId,
      String(r.findings),
      String(r.incidents),
      String(r.pages),
      String(r.suppressed),
      fpRate(r),
      duration(r.mttaSeconds),
      duration(r.mttrSeconds),
      String(r.openPastSla),
      String(r.missed),
    ]);

const METRIC_HEAD = [
  'Rule',
  'Findings',
  'Incidents',
  'Pages',
  'Suppressed',
  'FP rate',
  'MTTA',
  'MTTR',
  'Open past SLA',
  'Missed',
];

// Readable at 1280 px without sideways scrolling: tables take the page width and break long ids and ARNs
// anywhere (overflow-wrap:anywhere also lowers their minimum width), charts scale down with their viewBox.
const CSS = `*{box-sizing:border-box}body{font-family:system-ui,sans-serif;margin:2rem auto;padding:0 1.5rem;color:#222;max-width:80rem}
table{border-collapse:collapse;margin:1rem 0;width:100%}th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#f3f3f3}td.n{text-align:right}code,pre{font-family:ui-monospace,monospace}
table{font-size:.92em}table.narrow{width:auto;min-width:20rem}td.id{font-family:ui-monospace,monospace;font-size:.85em}td.nw{white-space:nowrap}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f8f8f8;padding:1rem;border:1px solid #ddd}
svg{display:block;height:auto;margin:.5rem 0 1rem}
.critical{color:#a00;font-weight:bold}.high{color:#c50}`;

/** A single self-contained page: inline CSS and SVG, no scripts, no external references. */
export const renderReportHtml = (input: ReportInput): string => {
  const { selection } = input;
  const table = (
    head: readonly string[],
    rows: readonly (readonly string[])[],
    numeric: readonly number[] = [],
    options: {
      readonly narrow?: boolean;
      /** Ids: monospace, may break only between their halves. */
      readonly ids?: readonly number[];
      /** ISO times: shown as `2026-11-02 10:05:00Z`, never broken. */
      readonly times?: readonly number[];
      /** ARNs and rule ids: may break after `/`, `:` and `.`, where a reader expects it. */
      readonly paths?: readonly number[];
      readonly nowrap?: readonly number[];
      readonly widths?: readonly string[];
    } = {},
  ) =>
    [
      `<table${options.narrow ? ' class="narrow"' : ''}>`,
      ...(options.widths === undefined
        ? []
        : [`<colgroup>${options.widths.map((w) => `<col style="width:${w}">`).join('')}</colgroup>`]),
      `<tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`,
      ...rows.map(
        (r) =>
          `<tr>${r
            .map((c, i) => {
              const is = (list: readonly number[] | undefined): boolean => list?.includes(i) === true;
              const cls = [
                is(numeric) ? 'n' : '',
                is(options.ids) ? 'id' : '',
                is(options.times) || is(options.nowrap) ? 'nw' : '',
              ].filter((x) => x !== '');
              const shown = is(options.times) ? c.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : c;
              let html = escapeHtml(shown);
              if (is(options.ids)) html = html.replace(/(.{16})(?=.)/g, '$1<wbr>');
              if (is(options.paths)) html = html.replace(/([/:.])/g, '$1<wbr>');
              return `<td${cls.length > 0 ? ` class="${cls.join(' ')}"` : ''}>${html}</td>`;
            })
            .join('')}</tr>`,
      ),
      '</table>',
    ].join('\n');
  const findingRows = selection.findings.map(({ finding: f }) => [
    f.firstSeen,
    f.severity,
    f.ruleId,
    f.account,
    actorOf(f),
    f.title,
    f.id,
  ]);
  const missing = missingDocs(input);
  const docs = ruleDocsMarkdown(input.docs);
  const lines = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<title>Trailwarden evidence export ${escapeHtml(input.options.from)} to ${escapeHtml(input.options.to)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    '<h1>Trailwarden evidence export</h1>',
    '<ul>',
    ...scopeLines(input).map((l) => `<li>${escapeHtml(l.replace(/`/g, ''))}</li>`),
    '</ul>',
    `<h2>Findings per control per ${input.options.from === input.options.to ? 'hour' : 'day'}</h2>`,
    renderChartSvg(input),
    '<h2>Findings by severity</h2>',
    table(
      ['Severity', 'Findings'],
      severityCounts(selection.findings).map(([s, n]) => [s, String(n)]),
      [1],
      { narrow: true },
    ),
    '<h2>Findings by rule</h2>',
    table(
      ['Rule', 'Findings'],
      ruleCounts(selection.findings).map(([r, n]) => [r, String(n)]),
      [1],
      { narrow: true },
    ),
    '<h2>Time to acknowledge and resolve per rule</h2>',
    responseTimeChart(input.metrics),
    '<h2>Time to acknowledge and resolve per severity</h2>',
    severityTimeChart(input.cases, input.metrics.sla),
    '<h2>False positives per rule</h2>',
    falsePositiveChart(input.metrics),
    '<h2>Tuning metrics per rule</h2>',
    metricRows(input.metrics).length === 0
      ? '<p>No findings or missed detections in this period.</p>'
      : table(METRIC_HEAD, metricRows(input.metrics), [1, 2, 3, 4, 5, 6, 7, 8, 9]),
    '<h2>Incident responses</h2>',
    input.cases.length === 0
      ? '<p>None in this period.</p>'
      : table(CASE_HEAD, caseRows(input.cases), [], {
          ids: [0],
          widths: ['22%', '11%', '8%', '15%', '16%', '16%', '12%'],
        }),
    '<h2>Missed detections</h2>',
    input.metrics.missed.length === 0
      ? '<p>None recorded in this period.</p>'
      : table(
          ['Time', 'Rule', 'What was missed'],
          input.metrics.missed.map((m) => [m.at, m.ruleId, m.note]),
          [],
          { times: [0], widths: ['18%', '25%', '57%'] },
        ),
    '<h2>Findings</h2>',
    findingRows.length === 0
      ? '<p>None in this period.</p>'
      : table(['Time', 'Severity', 'Rule', 'Account', 'Actor', 'Title', 'Id'], findingRows, [], {
          ids: [6],
          times: [0],
          paths: [2, 4],
          nowrap: [3],
          widths: ['14%', '8%', '15%', '10%', '21%', '16%', '16%'],
        }),
    '<h2>Rule documentation</h2>',
    ...(missing.length === 0 ? [] : [`<p>Not in this catalogue: ${escapeHtml(missing.join(', '))}.</p>`]),
    ...(docs === '' ? [] : [`<pre>${escapeHtml(docs.trimEnd())}</pre>`]),
    '</body>',
    '</html>',
  ];
  return `${lines.join('\n')}\n`;
};

// -------------------------------------------------------------------------------------------- Package

export interface PackageFile {
  readonly path: string;
  readonly bytes: string | Uint8Array;
}

const byteLength = (bytes: string | Uint8Array): number =>
  typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.byteLength;

/** Every file of the package, manifest.json last (it lists the sha256 and size of all the others). */
export const buildPackage = (input: Omit<ReportInput, 'selfVerifies'>): PackageFile[] => {
  const { selection, options } = input;
  const evidence: PackageFile[] = [
    ...selection.findings.flatMap((f) => f.revisions.map((r) => ({ path: r.key, bytes: r.bytes }))),
    ...selection.response.map((o) => ({ path: o.key, bytes: o.bytes })),
    ...selection.digests.map((d) => ({ path: d.key, bytes: d.bytes })),
    ...selection.keys.map((k) => ({ path: k.key, bytes: k.bytes })),
  ];
  // A package is an excerpt of the chain: it names the digest before its first one and the listed objects it
  // leaves out, so `verify` on the package proves what it holds without the rest of the source.
  const held = evidence.map((f) => ({ key: f.path, bytes: f.bytes }));
  const excerpt = excerptOf(held);
  const selfVerifies = selection.findings.length > 0 && verifyChain(held, { excerpt }).ok;
  const report = { ...input, selfVerifies };
  const files: PackageFile[] = [
    ...evidence,
    { path: 'findings.csv', bytes: renderCsv(selection.findings) },
    { path: 'metrics.json', bytes: `${JSON.stringify(input.metrics, null, 2)}\n` },
    { path: 'report.md', bytes: renderReportMarkdown(report) },
    { path: 'report.html', bytes: renderReportHtml(report) },
  ].sort((a, b) => compare(a.path, b.path));
  const manifest = {
    schema: EXPORT_SCHEMA,
    from: options.from,
    to: options.to,
    control: options.control ?? null,
    source: options.source,
    findings: selection.findings.length,
    response: selection.response.length,
    digests: selection.digests.length,
    verification: selfVerifies ? 'package' : 'source',
    excerpt,
    files: files.map((f) => ({ path: f.path, sha256: sha256(f.bytes).hex, size: byteLength(f.bytes) })),
  };
  return [...files, { path: 'manifest.json', bytes: `${JSON.stringify(manifest, null, 2)}\n` }];
};

// -------------------------------------------------------------------------------------------- Command

export interface ExportDeps {
  /** The client for `s3://` sources (default: the SDK's default credentials, region and endpoint). */
  readonly s3Client?: () => Promise<S3Client>;
  /** The rule documentation (default: the registered catalogue with its docs). */
  readonly docs?: () => Promise<readonly RuleDocEntry[]>;
  /** The rules' controls, for missed detections (default: the registered catalogue). */
  readonly catalogue?: () => Promise<readonly CatalogueRule[]>;
}

const defaultS3Client = async (): Promise<S3Client> => {
  const { S3Client } = await import('@aws-sdk/client-s3');
  return new S3Client({});
};

const defaultDocs = async (): Promise<readonly RuleDocEntry[]> => {
  const { RULES } = await import('../../rules/index.ts');
  const { withDocs } = await import('../../rules/docs.ts');
  return withDocs(RULES);
};

/** The source's objects as verify reads them, or an error line. */
const readSource = async (
  source: string,
  cwd: string,
  deps: ExportDeps,
): Promise<{ ok: true; objects: StoredObject[] } | { ok: false; error: string }> => {
  if (source.startsWith('s3://')) {
    const location = parseS3Url(source);
    if (location === undefined) return { ok: false, error: `${source}: expected s3://bucket/prefix` };
    try {
      const client = await (deps.s3Client ?? defaultS3Client)();
      return { ok: true, objects: await readS3(client, location.bucket, location.prefix) };
    } catch (err) {
      return { ok: false, error: `${source}: ${message(err)}` };
    }
  }
  const dir = resolve(cwd, source);
  try {
    if (!statSync(dir).isDirectory()) return { ok: false, error: `${source}: not a directory` };
  } catch {
    return { ok: false, error: `${source}: no such file or directory` };
  }
  try {
    return { ok: true, objects: readTree(dir) };
  } catch (err) {
    return { ok: false, error: `${source}: ${message(err)}` };
  }
};

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `trailwarden export --from DATE --to DATE [--control ID] [--out DIR] SOURCE`: 0 written, 2 usage errors. */
export const exportCommand = async (
  args: readonly string[],
  io: Io,
  usage: () => void,
  deps: ExportDeps = {},
): Promise<number> => {
  const parsed = parseExportArgs(args);
  if (!parsed.ok) {
    errorLine(io, parsed.error);
    usage();
    return EXIT.usage;
  }
  const { options } = parsed;
  const cwd = io.cwd ?? process.cwd();
  const outDir = resolve(cwd, options.out);
  if (existsSync(outDir) && (!statSync(outDir).isDirectory() || readdirSync(outDir).length > 0)) {
    errorLine(io, `${options.out}: already exists and is not an empty directory; export to a new directory`);
    return EXIT.usage;
  }
  const read = await readSource(options.source, cwd, deps);
  if (!read.ok) {
    errorLine(io, read.error);
    return EXIT.usage;
  }
  const sla = loadSlaConfig(options.config, cwd);
  if (!sla.ok) {
    for (const e of sla.errors) errorLine(io, `${sla.source}: ${e}`);
    return EXIT.usage;
  }
  const selection = selectEvidence(read.objects, options);
  for (const key of selection.unreadable) errorLine(io, `${key}: not a readable finding; not exported`);
  const present = new Set(selection.findings.map((f) => f.finding.ruleId));
  const docs = (await (deps.docs ?? defaultDocs)()).filter(([rule]) => present.has(rule.id));
  const { out: _out, config: _config, ...reportOptions } = options;
  // Metrics and cases over the selected objects only, so the report says what the package holds.
  const view = responseView(
    readResponseEvidence([...selection.findings.map((f) => ({ key: f.key, bytes: f.bytes })), ...selection.response]),
  );
  const catalogue = await (deps.catalogue ?? (async () => (await import('./metrics.ts')).defaultCatalogue()))();
  const end = (parseDay(options.to) ?? 0) + DAY_MS;
  const metrics = computeMetrics({
    view,
    sla: sla.sla,
    from: options.from,
    to: options.to,
    // Judged at the period's end: the same source and range always give the same package.
    asOf: new Date(end).toISOString(),
    catalogue: catalogue.filter((r) => present.has(r.id) || view.missed.some((m) => m.ruleId === r.id)),
  });
  const cases = view.cases.filter((c) => !c.drill);
  const files = buildPackage({ options: reportOptions, selection, docs, metrics, cases });
  try {
    for (const file of files) {
      const path = join(outDir, ...file.path.split('/'));
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, file.bytes);
    }
  } catch (err) {
    errorLine(io, `cannot write ${options.out}: ${message(err)}`);
    return EXIT.usage;
  }
  const manifest = JSON.parse(String(files.at(-1)?.bytes ?? '{}')) as { verification?: string };
  io.stdout.write(
    `exported ${plural(selection.findings.length, 'finding')}, ${plural(selection.response.length, 'incident, triage or review object')} and ${plural(selection.digests.length, 'digest')} to ${options.out}\n`,
  );
  if (manifest.verification !== 'package' && selection.findings.length > 0) {
    io.stdout.write(
      `note: the package is a filtered part of the chain; verify the source (trailwarden verify ${options.source})\n`,
    );
  }
  return EXIT.ok;
};
