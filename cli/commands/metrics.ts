import type { StoredObject } from '../../rules/core/digest.ts';
import type { ResponseView } from '../../rules/core/response.ts';
import { readResponseEvidence, responseView } from '../../rules/core/response.ts';
import type { CatalogueRule, TuningMetrics } from '../../rules/core/tuning.ts';
import { computeMetrics } from '../../rules/core/tuning.ts';
import { parseOptions } from '../args.ts';
import { loadSlaConfig } from '../config-file.ts';
import type { EvidenceSource, SourceDeps } from '../evidence-source.ts';
import { openSource } from '../evidence-source.ts';
import { renderMetricsMarkdown, renderMetricsTable } from '../format/metrics.ts';
import type { Io } from '../io.ts';
import { EXIT, errorLine, message } from '../io.ts';
import { parseDay } from './export.ts';

const DAY_MS = 86_400_000;
const FORMATS = ['table', 'json', 'md'] as const;

export interface MetricsDeps extends SourceDeps {
  readonly catalogue?: () => Promise<readonly CatalogueRule[]>;
}

/** Every registered rule with what the metrics and the review read of it. */
export const defaultCatalogue = async (): Promise<readonly CatalogueRule[]> => {
  const { RULES } = await import('../../rules/index.ts');
  return RULES.map((r) => ({ id: r.id, controls: r.controls, owner: r.owner, threshold: r.threshold }));
};

/** `--from`/`--to` checked as export checks them; both or neither. */
export const parseRange = (
  from: string | undefined,
  to: string | undefined,
): { ok: true; from?: string; to?: string } | { ok: false; error: string } => {
  for (const [name, value] of [
    ['--from', from],
    ['--to', to],
  ] as const) {
    if (value !== undefined && parseDay(value) === undefined) {
      return { ok: false, error: `${name} must be a calendar day as YYYY-MM-DD (UTC), got "${value}"` };
    }
  }
  if (from !== undefined && to !== undefined && from > to)
    return { ok: false, error: `--from ${from} is after --to ${to}` };
  return { ok: true, ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) };
};

/** "Open past SLA" is judged at the end of the period, or now if that is earlier. */
export const asOfFor = (to: string | undefined, now: number): string =>
  new Date(to === undefined ? now : Math.min(now, (parseDay(to) ?? 0) + DAY_MS)).toISOString();

/** Everything both metrics and review compute first: the evidence read, joined and measured. */
export const loadMetrics = async (
  options: {
    readonly source: string;
    readonly from?: string;
    readonly to?: string;
    readonly config?: string;
    readonly endpointUrl?: string;
  },
  io: Io,
  deps: MetricsDeps,
  /** The moment "open past SLA" is judged at, unless the period ends earlier (default: now). */
  asOfMs: number = (deps.now ?? Date.now)(),
): Promise<
  | {
      ok: true;
      metrics: TuningMetrics;
      view: ResponseView;
      catalogue: readonly CatalogueRule[];
      source: EvidenceSource;
    }
  | { ok: false; code: number }
> => {
  const cwd = io.cwd ?? process.cwd();
  const sla = loadSlaConfig(options.config, cwd);
  if (!sla.ok) {
    for (const e of sla.errors) errorLine(io, `${sla.source}: ${e}`);
    return { ok: false, code: EXIT.usage };
  }
  const opened = await openSource(options.source, cwd, {
    ...deps,
    ...(io.env === undefined ? {} : { env: io.env }),
    ...(options.endpointUrl === undefined ? {} : { endpointUrl: options.endpointUrl }),
  });
  if (!opened.ok) {
    errorLine(io, opened.error);
    return { ok: false, code: EXIT.usage };
  }
  let objects: StoredObject[];
  try {
    objects = await opened.source.read();
  } catch (err) {
    errorLine(io, `${opened.source.label}: ${message(err)}`);
    return { ok: false, code: EXIT.usage };
  }
  const evidence = readResponseEvidence(objects);
  for (const key of evidence.unreadable)
    errorLine(io, `${key}: not readable as the evidence its prefix holds; left out`);
  const view = responseView(evidence);
  for (const d of view.orphans)
    errorLine(io, `${d.id}: decision on ${d.target}, which is not in the evidence; left out`);
  const catalogue = await (deps.catalogue ?? defaultCatalogue)();
  const metrics = computeMetrics({
    view,
    sla: sla.sla,
    ...(options.from === undefined ? {} : { from: options.from }),
    ...(options.to === undefined ? {} : { to: options.to }),
    asOf: asOfFor(options.to, asOfMs),
    catalogue,
  });
  return { ok: true, metrics, view, catalogue, source: opened.source };
};

/** The options every command that reads the response evidence shares (metrics, review). */
export const EVIDENCE_OPTIONS = {
  source: { type: 'string' },
  config: { type: 'string' },
  'endpoint-url': { type: 'string' },
} as const;

/** Those options as `loadMetrics` takes them (`source` checked present by the caller). */
export const evidenceOptions = (
  source: string,
  values: { readonly config?: string | undefined; readonly 'endpoint-url'?: string | undefined },
): { readonly source: string; readonly config?: string; readonly endpointUrl?: string } => ({
  source,
  ...(values.config === undefined ? {} : { config: values.config }),
  ...(values['endpoint-url'] === undefined ? {} : { endpointUrl: values['endpoint-url'] }),
});

const METRICS_OPTIONS = {
  ...EVIDENCE_OPTIONS,
  from: { type: 'string' },
  to: { type: 'string' },
  format: { type: 'string' },
} as const;

/** `trailwarden metrics --source …`: 0 printed, 2 usage errors. */
export const metricsCommand = async (
  args: readonly string[],
  io: Io,
  usage: () => void,
  deps: MetricsDeps = {},
): Promise<number> => {
  const fail = (text: string): number => {
    errorLine(io, text);
    usage();
    return EXIT.usage;
  };
  const parsed = parseOptions(args, METRICS_OPTIONS);
  if (!parsed.ok) return fail(parsed.error);
  const { values, positionals } = parsed;
  if (positionals.length > 0) return fail(`unexpected argument: ${positionals[0]}`);
  if (values.source === undefined) return fail('metrics needs --source DIR|s3://BUCKET/PREFIX');
  const format = values.format ?? 'table';
  if (!(FORMATS as readonly string[]).includes(format)) return fail(`--format must be one of ${FORMATS.join(', ')}`);
  const range = parseRange(values.from, values.to);
  if (!range.ok) return fail(range.error);
  const loaded = await loadMetrics({ ...evidenceOptions(values.source, values), ...range }, io, deps);
  if (!loaded.ok) return loaded.code;
  const lines =
    format === 'json'
      ? [JSON.stringify(loaded.metrics, null, 2)]
      : format === 'md'
        ? renderMetricsMarkdown(loaded.metrics)
        : renderMetricsTable(loaded.metrics, io.isTTY.stdout);
  io.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.ok;
};
