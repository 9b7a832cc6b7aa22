import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DetectionConfig } from '../../rules/core/config.ts';
import { incidentConfigOf } from '../../rules/core/config.ts';
import type { BatchOutcome } from '../../rules/core/detector.ts';
import { createDetector } from '../../rules/core/detector.ts';
import { buildHourlyChain, DIGEST_PREFIX } from '../../rules/core/digest.ts';
import type { Catalogue } from '../../rules/core/engine.ts';
import { evidenceBody, evidenceKey, revisionKey } from '../../rules/core/evidence.ts';
import type { Finding } from '../../rules/core/finding.ts';
import { atLeast } from '../../rules/core/finding.ts';
import type { Incident } from '../../rules/core/incident.ts';
import { incidentBody, incidentKey } from '../../rules/core/incident.ts';
import { createMemoryCounterStore, createMemoryLedger } from '../../rules/core/memory.ts';
import { shouldPage } from '../../rules/core/suppressions.ts';
import type { RuleTextSource, Severity } from '../../rules/core/types.ts';
import { SEVERITIES } from '../../rules/core/types.ts';
import { parseOptions } from '../args.ts';
import { createBatchFeeder } from '../batches.ts';
import { createCollectingSink } from '../collecting-sink.ts';
import { loadDetectionConfig } from '../config-file.ts';
import type { FindingFormat } from '../format/index.ts';
import { FINDING_FORMATS, isFindingFormat, renderFindings } from '../format/index.ts';
import { renderSummary } from '../format/summary.ts';
import type { Io } from '../io.ts';
import { EXIT, errorLine } from '../io.ts';
import { createProgress } from '../progress.ts';
import type { Input, Position, ReadResult } from '../sources.ts';
import { readInput, walk } from '../sources.ts';
import { productVersion } from '../version.ts';

export const DEFAULT_BATCH = 1000;
/** After this many bad events in one file the rest are counted, not printed: one bad file must not flood. */
export const MAX_ERRORS_PER_FILE = 100;

export interface ScanOptions {
  readonly paths: readonly string[];
  readonly format: FindingFormat;
  readonly failOn: Severity | undefined;
  readonly configFile: string | undefined;
  readonly batchSize: number;
  /** Also print alert volume per rule and per control. */
  readonly summary: boolean;
  /** Also write each finding as the Lambda archives it, plus hourly digests, under this directory. */
  readonly evidenceDir: string | undefined;
}

export type ScanArgs =
  | { readonly ok: true; readonly options: ScanOptions }
  | { readonly ok: false; readonly error: string };

const isSeverity = (v: string): v is Severity => (SEVERITIES as readonly string[]).includes(v);

const SCAN_OPTIONS = {
  format: { type: 'string' },
  'fail-on': { type: 'string' },
  config: { type: 'string' },
  batch: { type: 'string' },
  summary: { type: 'boolean' },
  evidence: { type: 'string' },
} as const;

export const parseScanArgs = (args: readonly string[]): ScanArgs => {
  const parsed = parseOptions(args, SCAN_OPTIONS);
  if (!parsed.ok) return parsed;
  const { values, positionals } = parsed;
  const format = values.format ?? 'table';
  if (!isFindingFormat(format)) return { ok: false, error: `--format must be one of ${FINDING_FORMATS.join(', ')}` };
  const failOn = values['fail-on'];
  if (failOn !== undefined && !isSeverity(failOn)) {
    return { ok: false, error: `--fail-on must be one of ${SEVERITIES.join(', ')}` };
  }
  const batchSize = values.batch === undefined ? DEFAULT_BATCH : Number(values.batch);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1_000_000) {
    return { ok: false, error: '--batch must be a whole number from 1 to 1000000' };
  }
  if (positionals.length === 0) return { ok: false, error: 'scan needs at least one PATH (a file, a directory or -)' };
  if (positionals.filter((p) => p === '-').length > 1) return { ok: false, error: 'stdin (-) can be read only once' };
  return {
    ok: true,
    options: {
      paths: positionals,
      format,
      failOn,
      configFile: values.config,
      batchSize,
      summary: values.summary === true,
      evidenceDir: values.evidence,
    },
  };
};

export interface ScanStats {
  events: number;
  files: number;
  bytes: number;
  badEvents: number;
  unreadable: number;
  ruleErrors: number;
  failures: number;
}

const newStats = (): ScanStats => ({
  events: 0,
  files: 0,
  bytes: 0,
  badEvents: 0,
  unreadable: 0,
  ruleErrors: 0,
  failures: 0,
});

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The closing line on stderr. */
export const summaryLine = (s: ScanStats, seconds: number): string => {
  const parts = [
    `scanned ${plural(s.events, 'event')} in ${plural(s.files, 'file')} (${(s.bytes / 1e6).toFixed(1)} MB) in ${seconds.toFixed(2)} s`,
    `skipped: ${plural(s.badEvents, 'bad line')}, ${plural(s.unreadable, 'unreadable file')}`,
  ];
  if (s.ruleErrors > 0) parts.push(`rule errors: ${s.ruleErrors}`);
  if (s.failures > 0) parts.push(`events not evaluated: ${s.failures}`);
  return parts.join('; ');
};

/** `file:12`, `file: Records[3]`, `file:2: Records[3]` (a log file per line), `file: [3]` or just `file`. */
export const locate = (file: string, at: Position | null): string => {
  if (at === null) return file;
  if (at.kind === 'line') return `${file}:${at.line}`;
  return `${file}${at.line === undefined ? '' : `:${at.line}`}: ${at.container}[${at.index}]`;
};

export interface ScanDeps {
  readonly catalogue: Catalogue;
  /** Overridable so tests can watch the batches the detector receives. */
  readonly createDetector: typeof createDetector;
  /** Descriptions and runbooks for the findings (from the rules' docs). */
  readonly ruleText?: RuleTextSource;
}

/** The registered catalogue, loaded only when a scan runs (help and usage errors stay instant). */
const defaultDeps = async (): Promise<ScanDeps> => {
  const [{ catalogue, RULES }, { ruleTextFrom, ruleTextTable, withDocs }] = await Promise.all([
    import('../../rules/index.ts'),
    import('../../rules/docs.ts'),
  ]);
  return { catalogue, createDetector, ruleText: ruleTextFrom(ruleTextTable(await withDocs(RULES))) };
};

async function* inputsOf(
  paths: readonly string[],
  io: Io,
): AsyncGenerator<Input | Extract<ReadResult, { kind: 'unreadable' }>> {
  for (const path of paths) {
    if (path === '-') yield { kind: 'stdin', stream: io.stdin };
    else yield* walk(path);
  }
}

export const runScan = async (
  options: ScanOptions,
  config: DetectionConfig,
  io: Io,
  deps: ScanDeps,
): Promise<number> => {
  const started = performance.now();
  const sink = createCollectingSink();
  const detector = deps.createDetector({
    catalogue: deps.catalogue,
    config,
    counters: createMemoryCounterStore(),
    ledger: createMemoryLedger(),
    sink,
    ...(deps.ruleText ? { ruleText: deps.ruleText } : {}),
  });
  const stats = newStats();
  const progress = createProgress(io.stderr, io.isTTY.stderr);
  const report = (text: string): void => {
    progress.clear();
    errorLine(io, text);
  };
  const onOutcome = (outcome: BatchOutcome): void => {
    for (const e of outcome.ruleErrors) {
      stats.ruleErrors++;
      report(`rule ${e.ruleId} failed on event ${e.eventId}: ${e.error}`);
    }
    for (const f of outcome.failures) {
      stats.failures += f.eventIds.length;
      report(`${f.stage} failed for ${plural(f.eventIds.length, 'event')}: ${f.error}`);
    }
  };
  const feeder = createBatchFeeder(options.batchSize, async (events) => {
    onOutcome(await detector.process(events));
    progress.update(stats);
  });

  for await (const input of inputsOf(options.paths, io)) {
    if (input.kind === 'unreadable') {
      stats.unreadable++;
      report(`${input.file}: ${input.message}`);
      continue;
    }
    let shown = 0;
    for await (const result of readInput(input, options.batchSize)) {
      switch (result.kind) {
        case 'events':
          stats.events += result.events.length;
          await feeder.feed(result.events);
          break;
        case 'bad-event':
          stats.badEvents++;
          shown++;
          if (shown <= MAX_ERRORS_PER_FILE) report(`${locate(result.file, result.at)}: ${result.message}`);
          else if (shown === MAX_ERRORS_PER_FILE + 1)
            report(`${result.file}: more bad lines; counting, not showing them`);
          break;
        case 'unreadable':
          stats.unreadable++;
          report(`${result.file}: ${result.message}`);
          break;
        case 'read':
          stats.files++;
          stats.bytes += result.bytes;
          progress.update(stats);
          break;
      }
    }
  }
  await feeder.end();
  progress.clear();

  const findings = sink.findings();
  const incidents = sink.incidents();
  if (options.evidenceDir !== undefined) {
    const written = writeEvidence(options.evidenceDir, findings, incidents);
    io.stderr.write(
      `evidence: ${plural(written.objects, 'object')} and ${plural(written.digests, 'digest')} written to ${options.evidenceDir}\n`,
    );
  }
  const lines = renderFindings(options.format, findings, {
    colour: io.isTTY.stdout,
    productVersion: productVersion(),
    incidents,
  });
  if (lines.length > 0) io.stdout.write(`${lines.join('\n')}\n`);
  if (options.summary) {
    // Machine formats keep stdout parseable: the summary goes to stderr with them.
    const out = options.format === 'table' ? io.stdout : io.stderr;
    const colour = options.format === 'table' ? io.isTTY.stdout : io.isTTY.stderr;
    const correlation = { incidents, pageSeverity: incidentConfigOf(config).pageSeverity };
    out.write(`\n${renderSummary(findings, colour, correlation).join('\n')}\n`);
  }
  io.stderr.write(`${summaryLine(stats, (performance.now() - started) / 1000)}\n`);

  const failOn = options.failOn;
  return failOn !== undefined && findings.some((f) => shouldPage(f) && atLeast(f.severity, failOn))
    ? EXIT.findings
    : EXIT.ok;
};

/**
 * Each finding (its final, folded version) and each incident (its final state, at its revision key) at the key and
 * with the bytes the evaluate Lambda archives, then hourly digests by their `lastSeen` hour, chained in order —
 * what `trailwarden verify` checks.
 */
export const writeEvidence = (
  dir: string,
  findings: readonly Finding[],
  incidents: readonly Incident[] = [],
): { objects: number; digests: number } => {
  const objects = [
    ...findings.map((f) => ({ key: evidenceKey(f), bytes: evidenceBody(f), writtenAt: f.lastSeen })),
    ...incidents.map((i) => ({
      key: revisionKey(incidentKey(i), i.revision),
      bytes: incidentBody(i),
      writtenAt: i.lastSeen,
    })),
  ];
  const digests = buildHourlyChain(objects);
  const write = (key: string, body: string): void => {
    const path = join(dir, ...key.split('/'));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, body);
  };
  for (const o of objects) write(o.key, o.bytes);
  for (const d of digests) write(d.key, d.body);
  return { objects: objects.length, digests: digests.length };
};

/** Paths named on the command line must exist: a typo must not pass silently as "no findings" in CI. */
export const missingPaths = (paths: readonly string[]): string[] =>
  paths.filter((path) => {
    if (path === '-') return false;
    try {
      statSync(path);
      return false;
    } catch {
      return true;
    }
  });

/** `trailwarden scan …`: returns the exit code. `usage` prints the help text for a usage error. */
export const scanCommand = async (
  args: readonly string[],
  io: Io,
  usage: () => void,
  deps?: ScanDeps,
): Promise<number> => {
  const parsed = parseScanArgs(args);
  if (!parsed.ok) {
    errorLine(io, parsed.error);
    usage();
    return EXIT.usage;
  }
  const { options } = parsed;
  const missing = missingPaths(options.paths);
  if (missing.length > 0) {
    for (const path of missing) errorLine(io, `${path}: no such file or directory`);
    return EXIT.usage;
  }
  if (options.evidenceDir !== undefined && existsSync(join(options.evidenceDir, DIGEST_PREFIX))) {
    // A second chain in the same directory would not link to the first: start from an empty directory.
    errorLine(io, `${options.evidenceDir}: already holds digests; write evidence to a new directory`);
    return EXIT.usage;
  }
  const loaded = loadDetectionConfig(options.configFile, io.cwd ?? process.cwd());
  if (!loaded.ok) {
    for (const error of loaded.errors) errorLine(io, `${loaded.source}: ${error}`);
    return EXIT.usage;
  }
  return runScan(options, loaded.config, io, deps ?? (await defaultDeps()));
};
