import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileAnonymiserList } from '../../functions/shared/adapters/anonymiser-list.ts';
import { createFileGeoLookup, npmGeoFiles } from '../../functions/shared/adapters/ip-database.ts';
import type { DetectionConfig } from '../../rules/core/config.ts';
import { incidentConfigOf } from '../../rules/core/config.ts';
import type { BatchOutcome } from '../../rules/core/detector.ts';
import { createDetector } from '../../rules/core/detector.ts';
import { buildHourlyChain, DIGEST_PREFIX } from '../../rules/core/digest.ts';
import type { Catalogue } from '../../rules/core/engine.ts';
import { evidenceBody, findingRevisionKey, revisionKey } from '../../rules/core/evidence.ts';
import type { Finding } from '../../rules/core/finding.ts';
import { atLeast } from '../../rules/core/finding.ts';
import type { GeoLookup } from '../../rules/core/geo.ts';
import type { Incident } from '../../rules/core/incident.ts';
import { incidentBody, incidentKey } from '../../rules/core/incident.ts';
import { createMemoryCounterStore, createMemoryLedger } from '../../rules/core/memory.ts';
import type { DigestSigner } from '../../rules/core/signature.ts';
import { keyFingerprint, publicKeyKey, publicKeyPem } from '../../rules/core/signature.ts';
import { shouldPage } from '../../rules/core/suppressions.ts';
import type { RuleTextSource, Severity } from '../../rules/core/types.ts';
import { SEVERITIES } from '../../rules/core/types.ts';
import { parseOptions } from '../args.ts';
import { createCollectingSink } from '../collecting-sink.ts';
import { loadDetectionConfig } from '../config-file.ts';
import type { FindingFormat } from '../format/index.ts';
import { FINDING_FORMATS, isFindingFormat, renderFindings } from '../format/index.ts';
import { renderSummary } from '../format/summary.ts';
import type { Io } from '../io.ts';
import { EXIT, errorLine } from '../io.ts';
import { createProgress } from '../progress.ts';
import type { ScanNotice } from '../scan/engine.ts';
import { runEngine } from '../scan/engine.ts';
import { defaultSigningKeyPath, loadSigningKey } from '../signing-key.ts';
import type { Position, SkipReason, WalkResult } from '../sources.ts';
import { walk } from '../sources.ts';
import { productVersion } from '../version.ts';

export const DEFAULT_BATCH = 1000;
/** Worker threads beyond this only cost memory: the main thread's detector is the limit long before. */
export const MAX_JOBS = 64;
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
  /** The private key that signs the digests (default: generated in the user's config directory). */
  readonly signingKey: string | undefined;
  /** Worker threads reading files (default: the machine's cores); 1 reads in the main thread. */
  readonly jobs: number;
  /** An anonymiser list file (`--anonymisers`), overriding the config's `anonymisers.source`. */
  readonly anonymisers: string | undefined;
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
  'signing-key': { type: 'string' },
  jobs: { type: 'string' },
  anonymisers: { type: 'string' },
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
  const jobs = values.jobs === undefined ? availableParallelism() : Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > MAX_JOBS) {
    return { ok: false, error: `--jobs must be a whole number from 1 to ${MAX_JOBS}` };
  }
  if (positionals.length === 0) return { ok: false, error: 'scan needs at least one PATH (a file, a directory or -)' };
  if (positionals.filter((p) => p === '-').length > 1) return { ok: false, error: 'stdin (-) can be read only once' };
  if (values['signing-key'] !== undefined && values.evidence === undefined) {
    return { ok: false, error: '--signing-key signs the digests of --evidence DIR; give --evidence too' };
  }
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
      signingKey: values['signing-key'],
      jobs,
      anonymisers: values.anonymisers,
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
  /** Fields of the wrong JSON type dropped from records that were still read (`checkRecord`). */
  ignoredFields: number;
}

const newStats = (): ScanStats => ({
  events: 0,
  files: 0,
  bytes: 0,
  badEvents: 0,
  unreadable: 0,
  ruleErrors: 0,
  failures: 0,
  ignoredFields: 0,
});

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The closing line on stderr. */
export const summaryLine = (s: ScanStats, seconds: number): string => {
  const parts = [
    `scanned ${plural(s.events, 'event')} in ${plural(s.files, 'file')} (${(s.bytes / 1e6).toFixed(1)} MB) in ${seconds.toFixed(2)} s`,
    `skipped: ${plural(s.badEvents, 'bad line')}, ${plural(s.unreadable, 'unreadable file')}`,
  ];
  if (s.ignoredFields > 0) parts.push(`fields of the wrong type ignored: ${s.ignoredFields}`);
  if (s.ruleErrors > 0) parts.push(`rule errors: ${s.ruleErrors}`);
  if (s.failures > 0) parts.push(`events not evaluated: ${s.failures}`);
  return parts.join('; ');
};

/** `directory walk skipped 3 files: 2 not a log file name, 1 FIFO`, or nothing when none was skipped. */
export const skippedLine = (skipped: ReadonlyMap<SkipReason, number>): string | undefined => {
  const total = [...skipped.values()].reduce((n, c) => n + c, 0);
  if (total === 0) return undefined;
  const reasons = [...skipped.entries()].map(([reason, n]) => `${n} ${reason}`).join(', ');
  return `directory walk skipped ${plural(total, 'file')}: ${reasons}`;
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
  /** The IP database for the sign-in location rules (default: the ip-location-db files in node_modules). */
  readonly geo?: GeoLookup;
}

/** The registered catalogue, loaded only when a scan runs (help and usage errors stay instant). */
const defaultDeps = async (): Promise<ScanDeps> => {
  const [{ catalogue, RULES }, { ruleTextFrom, ruleTextTable, withDocs }] = await Promise.all([
    import('../../rules/index.ts'),
    import('../../rules/docs.ts'),
  ]);
  return {
    catalogue,
    createDetector,
    ruleText: ruleTextFrom(ruleTextTable(await withDocs(RULES))),
    geo: createFileGeoLookup(npmGeoFiles()),
  };
};

async function* inputsOf(paths: readonly string[], io: Io): AsyncGenerator<WalkResult> {
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
  signer?: DigestSigner,
): Promise<number> => {
  const started = performance.now();
  const sink = createCollectingSink({ keepStates: options.evidenceDir !== undefined });
  const geo = deps.geo;
  const detector = deps.createDetector({
    catalogue: deps.catalogue,
    config,
    counters: createMemoryCounterStore(),
    ledger: createMemoryLedger(),
    sink,
    ...(deps.ruleText ? { ruleText: deps.ruleText } : {}),
    intel: {
      ...(geo === undefined ? {} : { geo: async () => geo }),
      ...(config.anonymisers ? { anonymisers: fileAnonymiserList(config.anonymisers) } : {}),
    },
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
  const skipped = new Map<SkipReason, number>();
  // Bad lines shown per file; past MAX_ERRORS_PER_FILE they are counted only.
  const shown = new Map<string, number>();
  const showBad = (file: string, lines: () => void): void => {
    const n = (shown.get(file) ?? 0) + 1;
    shown.set(file, n);
    if (n <= MAX_ERRORS_PER_FILE) lines();
    else if (n === MAX_ERRORS_PER_FILE + 1) report(`${file}: more bad lines; counting, not showing them`);
  };
  const onNotice = (notice: ScanNotice): void => {
    switch (notice.kind) {
      case 'skipped':
        skipped.set(notice.reason, (skipped.get(notice.reason) ?? 0) + 1);
        break;
      case 'ignored-fields':
        stats.ignoredFields += notice.notes.length;
        showBad(notice.file, () => {
          for (const note of notice.notes) report(`${locate(notice.file, notice.at)}: ${note}`);
        });
        break;
      case 'bad-event':
        stats.badEvents++;
        showBad(notice.file, () => report(`${locate(notice.file, notice.at)}: ${notice.message}`));
        break;
      case 'unreadable':
        stats.unreadable++;
        report(`${notice.file}: ${notice.message}`);
        break;
      case 'read':
        stats.files++;
        stats.bytes += notice.bytes;
        shown.delete(notice.file);
        progress.update(stats);
        break;
    }
  };
  const range = await runEngine(
    inputsOf(options.paths, io),
    {
      batchSize: options.batchSize,
      jobs: options.jobs,
      catalogue: deps.catalogue,
      // The detector has no clock: rules that need nothing but the event may be judged where events are read.
      config,
    },
    {
      process: (events) => detector.process(events),
      onOutcome: (outcome) => {
        onOutcome(outcome);
        progress.update(stats);
      },
      onNotice,
      onEvents: (count) => {
        stats.events += count;
      },
    },
  );
  progress.clear();
  const skips = skippedLine(skipped);
  if (skips !== undefined) errorLine(io, skips);

  const findings = sink.findings();
  const incidents = sink.incidents();
  if (options.evidenceDir !== undefined && signer !== undefined) {
    const written = await writeEvidence(options.evidenceDir, sink.states(), {
      signer,
      incidents,
      ...(Number.isFinite(range.minMs) ? { from: new Date(range.minMs).toISOString() } : {}),
      ...(Number.isFinite(range.maxMs) ? { to: new Date(range.maxMs).toISOString() } : {}),
    });
    io.stderr.write(
      `evidence: ${plural(written.objects, 'object')} and ${plural(written.digests, 'digest')} written to ${options.evidenceDir}, signed by key ${written.publicKey}\n`,
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
 * Every state of each finding (first delivery and each fold) and the final state of each incident (at its revision
 * key), at the keys and with the bytes the evaluate Lambda archives (a fold is a new revision, never an overwrite),
 * then a signed digest for every hour from `from` to `to` (the scanned range) chained in order, and the signing
 * key's PUBLIC half under `keys/` — what `trailwarden verify` checks. Files are created, never replaced.
 */
export const writeEvidence = async (
  dir: string,
  states: readonly Finding[],
  options: {
    readonly signer: DigestSigner;
    readonly from?: string;
    readonly to?: string;
    readonly incidents?: readonly Incident[];
  },
): Promise<{ objects: number; digests: number; publicKey: string }> => {
  const byKey = new Map<string, { key: string; bytes: string; writtenAt: string }>();
  for (const f of states) {
    const key = findingRevisionKey(f);
    // A state with the count of one already written is the same revision (as S3's conditional put keeps the first).
    if (!byKey.has(key)) byKey.set(key, { key, bytes: evidenceBody(f), writtenAt: f.lastSeen });
  }
  for (const i of options.incidents ?? []) {
    const key = revisionKey(incidentKey(i), i.revision);
    byKey.set(key, { key, bytes: incidentBody(i), writtenAt: i.lastSeen });
  }
  const objects = [...byKey.values()];
  const digests = await buildHourlyChain(objects, options);
  const der = await options.signer.publicKey();
  const keyPath = publicKeyKey(keyFingerprint(der));
  const write = (key: string, body: string): void => {
    const path = join(dir, ...key.split('/'));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, body, { flag: 'wx' });
  };
  write(keyPath, publicKeyPem(der));
  for (const o of objects) write(o.key, o.bytes);
  for (const d of digests) write(d.key, d.body);
  return { objects: objects.length, digests: digests.length, publicKey: keyPath };
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
  const config = withAnonymiserFile(loaded.config, options.anonymisers, io.cwd ?? process.cwd());
  if (!config.ok) {
    errorLine(io, config.error);
    return EXIT.usage;
  }
  let signer: DigestSigner | undefined;
  if (options.evidenceDir !== undefined) {
    const key = loadSigningKey({
      // Paths on the command line are the process's, like --evidence itself.
      path: resolve(options.signingKey ?? defaultSigningKeyPath(io.env ?? process.env)),
      explicit: options.signingKey !== undefined,
      evidenceDir: resolve(options.evidenceDir),
    });
    if (!key.ok) {
      errorLine(io, key.error);
      return EXIT.usage;
    }
    if (key.created) errorLine(io, `generated a digest signing key at ${key.path}; keep it private and backed up`);
    signer = key.signer;
  }
  return runScan(options, config.config, io, deps ?? (await defaultDeps()), signer);
};

/**
 * The anonymiser list the scan reads: `--anonymisers FILE`, else the config's `file:` source (relative to the
 * working directory). The CLI reads no S3: an `s3://` source must be fetched first and given as a file.
 */
export const withAnonymiserFile = (
  config: DetectionConfig,
  file: string | undefined,
  cwd: string,
): { readonly ok: true; readonly config: DetectionConfig } | { readonly ok: false; readonly error: string } => {
  const source = file === undefined ? config.anonymisers?.source : `file:${file}`;
  if (source === undefined) return { ok: true, config };
  if (!source.startsWith('file:')) {
    return {
      ok: false,
      error: `anonymisers.source ${source}: the CLI reads lists from files; download it and pass --anonymisers FILE`,
    };
  }
  const path = resolve(cwd, source.slice('file:'.length));
  if (!existsSync(path)) return { ok: false, error: `${path}: no such anonymiser list` };
  const name = config.anonymisers?.name ?? basename(path);
  return { ok: true, config: { ...config, anonymisers: { source: `file:${path}`, name } } };
};
