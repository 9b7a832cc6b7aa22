import type { ControlCoverage } from '../../rules/core/coverage.ts';
import { SEVERITIES } from '../../rules/core/types.ts';
import { parseOptions } from '../args.ts';
import type { Column } from '../format/text-table.ts';
import { renderTable } from '../format/text-table.ts';
import type { Io } from '../io.ts';
import { EXIT, errorLine } from '../io.ts';

/** `critical 1, high 3`, or `-` when the control has no rule. */
export const describeSpread = (c: ControlCoverage): string => {
  const parts = SEVERITIES.flatMap((s) => (c.severities[s] > 0 ? [`${s} ${c.severities[s]}`] : []));
  return parts.length === 0 ? '-' : parts.join(', ');
};

/** `12/12 pass`, or `11/12 pass (1 failing)`; `-` for a gap. */
export const describeCases = (c: ControlCoverage): string => {
  if (c.rules.length === 0) return '-';
  const total = c.rules.reduce((n, r) => n + r.cases.total, 0);
  const passed = c.rules.reduce((n, r) => n + r.cases.passed, 0);
  return `${passed}/${total} pass${passed === total ? '' : ` (${total - passed} failing)`}`;
};

const status = (c: ControlCoverage): string =>
  c.status === 'gap'
    ? 'GAP'
    : c.rules.every((r) => r.cases.failures.length === 0)
      ? 'covered'
      : 'covered, cases failing';

const COLUMNS: readonly Column<ControlCoverage>[] = [
  { header: 'CONTROL', cell: (c) => c.control },
  { header: 'TITLE', cell: (c) => c.title, max: 48 },
  { header: 'RULES', cell: (c) => String(c.rules.length), align: 'right' },
  { header: 'SEVERITIES', cell: describeSpread },
  { header: 'CASES', cell: describeCases },
  { header: 'STATUS', cell: status },
];

const failureLines = (coverage: readonly ControlCoverage[]): string[] => {
  const seen = new Set<string>();
  return coverage.flatMap((c) =>
    c.rules.flatMap((r) => {
      if (seen.has(r.id)) return [];
      seen.add(r.id);
      return r.cases.failures.map((f) => `  ${r.id}: ${f.name}: ${f.reason}`);
    }),
  );
};

export const renderCoverageTable = (coverage: readonly ControlCoverage[], colour: boolean): string[] => {
  const gaps = coverage.filter((c) => c.status === 'gap');
  const failures = failureLines(coverage);
  return [
    ...renderTable(COLUMNS, coverage, colour),
    '',
    `${coverage.length - gaps.length} of ${coverage.length} controls covered, ${gaps.length} gap${gaps.length === 1 ? '' : 's'}`,
    ...(gaps.length === 0
      ? []
      : ['', 'Gaps (no rule yet):', ...gaps.map((g) => `  ${g.control} ${g.title}: ${g.why ?? 'no rule maps to it'}`)]),
    ...(failures.length === 0 ? [] : ['', 'Failing cases:', ...failures]),
  ];
};

const cell = (text: string): string => text.replace(/\|/g, '\\|');

export const renderCoverageMarkdown = (coverage: readonly ControlCoverage[]): string[] => [
  '| Control | Title | Rules | Severities | Cases | Status |',
  '| --- | --- | --- | --- | --- | --- |',
  ...coverage.map(
    (c) =>
      `| ${c.control} | ${cell(c.title)} | ${c.rules.length === 0 ? '-' : c.rules.map((r) => `\`${r.id}\``).join(', ')} | ${describeSpread(c)} | ${describeCases(c)} | ${c.status === 'gap' ? `**gap**: ${cell(c.why ?? 'no rule maps to it')}` : status(c)} |`,
  ),
];

export const renderCoverage = (
  coverage: readonly ControlCoverage[],
  format: 'table' | 'json' | 'md',
  colour: boolean,
): string[] =>
  format === 'json'
    ? [JSON.stringify(coverage, null, 2)]
    : format === 'md'
      ? renderCoverageMarkdown(coverage)
      : renderCoverageTable(coverage, colour);

const COVERAGE_OPTIONS = { format: { type: 'string' } } as const;

/** `trailwarden coverage …`: Annex A controls × rules, with each rule's inline cases run. Exits 0. */
export const coverageCommand = async (
  args: readonly string[],
  io: Io,
  usage: () => void,
  coverage?: readonly ControlCoverage[],
): Promise<number> => {
  const fail = (text: string): number => {
    errorLine(io, text);
    usage();
    return EXIT.usage;
  };
  const parsed = parseOptions(args, COVERAGE_OPTIONS);
  if (!parsed.ok) return fail(parsed.error);
  if (parsed.positionals.length > 0) return fail(`coverage takes no arguments (got ${parsed.positionals.join(' ')})`);
  const format = parsed.values.format ?? 'table';
  if (format !== 'table' && format !== 'json' && format !== 'md') return fail('--format must be table, json or md');
  const result =
    coverage ??
    (await (async () => {
      const { RULES, catalogue } = await import('../../rules/index.ts');
      const { withDocs } = await import('../../rules/docs.ts');
      const { computeCoverage, UNMONITORED_CONTROLS } = await import('../../rules/core/coverage.ts');
      const { observationRules } = await import('../../rules/core/observation-rules.ts');
      return computeCoverage(await withDocs(RULES), catalogue, UNMONITORED_CONTROLS, observationRules());
    })());
  io.stdout.write(`${renderCoverage(result, format, io.isTTY.stdout).join('\n')}\n`);
  return EXIT.ok;
};
