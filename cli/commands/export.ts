import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { StoredObject } from '../../rules/core/digest.ts';
import { DIGEST_PREFIX, verifyChain } from '../../rules/core/digest.ts';
import { parseRevision, sha256 } from '../../rules/core/evidence.ts';
import type { Finding } from '../../rules/core/finding.ts';
import type { Control } from '../../rules/core/types.ts';
import { CONTROLS, SEVERITIES } from '../../rules/core/types.ts';
import { parseOptions } from '../args.ts';
import type { RuleDocEntry } from '../format/rules-markdown.ts';
import { renderRulesMarkdown } from '../format/rules-markdown.ts';
import type { Io } from '../io.ts';
import { EXIT, errorLine, message } from '../io.ts';
import { parseS3Url, readS3, readTree } from './verify.ts';

/**
 * `trailwarden export` (issue 5 §3): an auditor's evidence package for a date range, as a directory —
 * the selected finding objects and the digests that list them (byte for byte), a report (Markdown and a
 * self-contained HTML page), a CSV of the findings and a manifest of every file's SHA-256. Deterministic:
 * the same source and arguments always give the same bytes (no time but the data's).
 */

export const EXPORT_SCHEMA = 'trailwarden.export/v1';

const EXPORT_OPTIONS = {
  from: { type: 'string' },
  to: { type: 'string' },
  control: { type: 'string' },
  out: { type: 'string' },
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
  return { ok: true, options: { source: positionals[0] ?? '', from, to, control, out } };
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
  readonly digests: readonly StoredObject[];
  /** The public keys kept with the evidence (`keys/`), so the package verifies signatures on its own. */
  readonly keys: readonly StoredObject[];
  /** Incident states (`incidents/`) active in the range (their findings' controls, with `control`): copied as is. */
  readonly incidents: readonly StoredObject[];
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
const INCIDENT_PREFIX = 'incidents/';

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
  const incidents = objects
    .filter((o) => o.key.startsWith(INCIDENT_PREFIX) && o.key.endsWith('.json'))
    .filter((o) => {
      try {
        const i = JSON.parse(text(o.bytes)) as { openedAt?: unknown; lastSeen?: unknown; controls?: unknown };
        if (typeof i.openedAt !== 'string' || typeof i.lastSeen !== 'string') return false;
        if (Date.parse(i.openedAt) >= end || Date.parse(i.lastSeen) < start) return false;
        return range.control === undefined || (Array.isArray(i.controls) && i.controls.includes(range.control));
      } catch {
        return false;
      }
    })
    .sort((a, b) => compare(a.key, b.key));
  const keys = new Set([...findings.flatMap((f) => f.revisions.map((r) => r.key)), ...incidents.map((i) => i.key)]);
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
  return { findings, digests, keys: publicKeys, incidents, unreadable: unreadable.sort(compare) };
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

/** Findings per control per day, a finding counted on its first day inside the range. */
export const controlDayCounts = (input: Pick<ReportInput, 'options' | 'selection'>) => {
  const { from, to } = input.options;
  const days = daysOf(from, to);
  const controls = (Object.keys(CONTROLS) as Control[]).filter((c) =>
    input.selection.findings.some(({ finding }) => finding.controls.includes(c)),
  );
  const counts = new Map<string, number>();
  for (const { finding } of input.selection.findings) {
    const first = finding.firstSeen.slice(0, 10);
    const day = first.localeCompare(from) < 0 ? from : first;
    for (const c of finding.controls) counts.set(`${c} ${day}`, (counts.get(`${c} ${day}`) ?? 0) + 1);
  }
  return { days, controls, count: (control: string, day: string) => counts.get(`${control} ${day}`) ?? 0 };
};

const mdCell = (value: string): string =>
  value
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/[\r\n]+/g, ' ');

/** The rule sections of the generated rule docs (the same renderer as docs/RULES.md). */
const ruleDocsMarkdown = (docs: readonly RuleDocEntry[]): string => {
  if (docs.length === 0) return '';
  const page = renderRulesMarkdown(docs);
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
    `Findings: ${selection.findings.length}; digests: ${selection.digests.length}`,
    selfVerifies
      ? 'Integrity: `trailwarden verify` on this package checks every finding against the digests included.'
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

/** Inline SVG: per day, one stacked bar of findings per control (no external assets). */
export const renderChartSvg = (input: Pick<ReportInput, 'options' | 'selection'>): string => {
  const { days, controls, count } = controlDayCounts(input);
  const totals = days.map((d) => controls.reduce((n, c) => n + count(c, d), 0));
  const max = Math.max(1, ...totals);
  const barWidth = 24;
  const gap = 8;
  const left = 40;
  const top = 10;
  const plot = 160;
  const width = left + days.length * (barWidth + gap) + 10;
  const legendY = top + plot + 60;
  const height = legendY + controls.length * 18 + 10;
  const parts: string[] = [
    `<svg role="img" aria-label="Findings per control per day" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<line x1="${left}" y1="${top + plot}" x2="${width - 10}" y2="${top + plot}" stroke="#444"/>`,
    `<text x="${left - 6}" y="${top + 4}" text-anchor="end" font-size="10">${max}</text>`,
    `<text x="${left - 6}" y="${top + plot}" text-anchor="end" font-size="10">0</text>`,
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
        `<rect x="${x}" y="${y.toFixed(2)}" width="${barWidth}" height="${h.toFixed(2)}" fill="${PALETTE[j % PALETTE.length]}"><title>${escapeHtml(`${day} ${c}: ${n}`)}</title></rect>`,
      );
    });
    parts.push(
      `<text x="${x + barWidth / 2}" y="${top + plot + 12}" font-size="9" text-anchor="end" transform="rotate(-60 ${x + barWidth / 2} ${top + plot + 12})">${day}</text>`,
    );
  });
  controls.forEach((c, j) => {
    const y = legendY + j * 18;
    parts.push(
      `<rect x="${left}" y="${y}" width="12" height="12" fill="${PALETTE[j % PALETTE.length]}"/>`,
      `<text x="${left + 18}" y="${y + 10}" font-size="11">${escapeHtml(`${c} ${CONTROLS[c]}`)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
};

const CSS = `body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:80rem}
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.n{text-align:right}code,pre{font-family:ui-monospace,monospace}
pre{white-space:pre-wrap;background:#f8f8f8;padding:1rem;border:1px solid #ddd}
.critical{color:#a00;font-weight:bold}.high{color:#c50}`;

/** A single self-contained page: inline CSS and SVG, no scripts, no external references. */
export const renderReportHtml = (input: ReportInput): string => {
  const { selection } = input;
  const table = (head: readonly string[], rows: readonly (readonly string[])[], numeric: readonly number[] = []) =>
    [
      '<table>',
      `<tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`,
      ...rows.map(
        (r) =>
          `<tr>${r.map((c, i) => `<td${numeric.includes(i) ? ' class="n"' : ''}>${escapeHtml(c)}</td>`).join('')}</tr>`,
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
    '<h2>Findings per control per day</h2>',
    renderChartSvg(input),
    '<h2>Findings by severity</h2>',
    table(
      ['Severity', 'Findings'],
      severityCounts(selection.findings).map(([s, n]) => [s, String(n)]),
      [1],
    ),
    '<h2>Findings by rule</h2>',
    table(
      ['Rule', 'Findings'],
      ruleCounts(selection.findings).map(([r, n]) => [r, String(n)]),
      [1],
    ),
    '<h2>Findings</h2>',
    findingRows.length === 0
      ? '<p>None in this period.</p>'
      : table(['Time', 'Severity', 'Rule', 'Account', 'Actor', 'Title', 'Id'], findingRows),
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
    ...selection.incidents.map((i) => ({ path: i.key, bytes: i.bytes })),
    ...selection.digests.map((d) => ({ path: d.key, bytes: d.bytes })),
    ...selection.keys.map((k) => ({ path: k.key, bytes: k.bytes })),
  ];
  const selfVerifies =
    selection.findings.length > 0 && verifyChain(evidence.map((f) => ({ key: f.path, bytes: f.bytes }))).ok;
  const report = { ...input, selfVerifies };
  const files: PackageFile[] = [
    ...evidence,
    { path: 'findings.csv', bytes: renderCsv(selection.findings) },
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
    digests: selection.digests.length,
    verification: selfVerifies ? 'package' : 'source',
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
  const selection = selectEvidence(read.objects, options);
  for (const key of selection.unreadable) errorLine(io, `${key}: not a readable finding; not exported`);
  const present = new Set(selection.findings.map((f) => f.finding.ruleId));
  const docs = (await (deps.docs ?? defaultDocs)()).filter(([rule]) => present.has(rule.id));
  const { out: _out, ...reportOptions } = options;
  const files = buildPackage({ options: reportOptions, selection, docs });
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
    `exported ${plural(selection.findings.length, 'finding')} and ${plural(selection.digests.length, 'digest')} to ${options.out}\n`,
  );
  if (manifest.verification !== 'package' && selection.findings.length > 0) {
    io.stdout.write(
      `note: the package is a filtered part of the chain; verify the source (trailwarden verify ${options.source})\n`,
    );
  }
  return EXIT.ok;
};
