import type { DrillRunRecord } from '../../rules/core/drill-run.ts';
import { DRILL_PREFIX, parseDrillRunKey } from '../../rules/core/drill-run.ts';
import { parseOptions } from '../args.ts';
import type { SourceDeps } from '../evidence-source.ts';
import { openSource } from '../evidence-source.ts';
import type { Io } from '../io.ts';
import { EXIT, errorLine, message } from '../io.ts';

export interface DrillRunRow {
  readonly key: string;
  readonly record: DrillRunRecord;
}

/** The drill records of a source, oldest first; an object under drills/ that is not a record is named, not skipped. */
export const drillRunsOf = (
  objects: readonly { readonly key: string; readonly bytes: Uint8Array | string }[],
): { readonly runs: DrillRunRow[]; readonly unreadable: string[] } => {
  const runs: DrillRunRow[] = [];
  const unreadable: string[] = [];
  for (const o of objects) {
    if (!o.key.startsWith(DRILL_PREFIX)) continue;
    try {
      const text = typeof o.bytes === 'string' ? o.bytes : new TextDecoder().decode(o.bytes);
      const record = JSON.parse(text) as DrillRunRecord;
      if (record.schema !== 'trailwarden.drill-run/v1' || !Array.isArray(record.rules)) throw new Error('not a record');
      // The key carries the status the health check reads: a record that disagrees with its key is not trusted.
      if (parseDrillRunKey(o.key)?.status !== record.status) throw new Error('status differs from its key');
      runs.push({ key: o.key, record });
    } catch (err) {
      unreadable.push(`${o.key}: ${message(err)}`);
    }
  }
  runs.sort((a, b) => a.record.startedAt.localeCompare(b.record.startedAt));
  return { runs, unreadable };
};

const ms = (n: number | undefined): string => (n === undefined ? '-' : `${(n / 1000).toFixed(1)}s`);

/** One line per run, then with `--rules` one line per rule under it. */
export const renderDrillTable = (runs: readonly DrillRunRow[], perRule: boolean): string => {
  const lines = [
    `${'STARTED'.padEnd(25)} ${'STATUS'.padEnd(7)} ${'PASS'.padStart(4)} ${'FAIL'.padStart(4)} ${'SKIP'.padStart(4)} ${'TRIGGER'.padEnd(9)} RUN`,
  ];
  for (const { record: r } of runs) {
    lines.push(
      `${r.startedAt.padEnd(25)} ${r.status.padEnd(7)} ${String(r.counts.passed).padStart(4)} ${String(r.counts.failed).padStart(4)} ${String(r.counts.skipped).padStart(4)} ${r.trigger.padEnd(9)} ${r.runId}`,
    );
    if (!perRule) continue;
    for (const x of r.rules) {
      lines.push(
        x.status === 'skipped'
          ? `    SKIP ${x.ruleId}: ${x.detail}`
          : `    ${x.status === 'passed' ? 'PASS' : 'FAIL'} ${x.ruleId} (${x.severity}) archived ${ms(x.archiveMs)}, paged ${ms(x.pageMs)}, SLA ${x.slaSeconds}s ${x.sla}${x.status === 'failed' ? `: ${x.detail}` : ''}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
};

/**
 * `trailwarden drills --source DIR|s3://BUCKET[/PREFIX] [--format table|json] [--rules]`: the drill runs on record,
 * for auditors. Exit 0 when the newest run passed, 1 when it failed or none is on record, 2 on usage errors.
 */
export const drillsCommand = async (
  args: readonly string[],
  io: Io,
  usage: () => void,
  deps: SourceDeps = {},
): Promise<number> => {
  const parsed = parseOptions(args, {
    source: { type: 'string' },
    format: { type: 'string' },
    rules: { type: 'boolean' },
    'endpoint-url': { type: 'string' },
  });
  if (!parsed.ok || parsed.positionals.length > 0 || parsed.values.source === undefined) {
    errorLine(io, parsed.ok ? 'drills needs --source DIR or s3://BUCKET/PREFIX' : parsed.error);
    usage();
    return EXIT.usage;
  }
  const format = parsed.values.format ?? 'table';
  if (format !== 'table' && format !== 'json') {
    errorLine(io, `--format must be table or json (got ${format})`);
    return EXIT.usage;
  }
  const endpointUrl = parsed.values['endpoint-url'];
  const opened = await openSource(parsed.values.source, io.cwd ?? process.cwd(), {
    ...deps,
    ...(endpointUrl === undefined ? {} : { endpointUrl }),
  });
  if (!opened.ok) {
    errorLine(io, opened.error);
    return EXIT.usage;
  }
  let runs: DrillRunRow[];
  try {
    const read = drillRunsOf(await opened.source.read());
    runs = read.runs;
    for (const u of read.unreadable) errorLine(io, `not a drill record: ${u}`);
  } catch (err) {
    errorLine(io, `${parsed.values.source}: ${message(err)}`);
    return EXIT.usage;
  }
  io.stdout.write(
    format === 'json'
      ? `${JSON.stringify(
          runs.map((r) => ({ key: r.key, ...r.record })),
          null,
          2,
        )}\n`
      : renderDrillTable(runs, parsed.values.rules === true),
  );
  return runs.at(-1)?.record.status === 'passed' ? EXIT.ok : EXIT.findings;
};
