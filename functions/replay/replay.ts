import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { readBytes } from '../../cli/sources.ts';
import type { DetectionConfig } from '../../rules/core/config.ts';
import type { IntelSource } from '../../rules/core/detector.ts';
import { createDetector } from '../../rules/core/detector.ts';
import type { Catalogue } from '../../rules/core/engine.ts';
import { buildCatalogue } from '../../rules/core/engine.ts';
import { createOwnedHistoryCache } from '../../rules/core/history-cache.ts';
import type { CounterStore, FindingLedger, FindingSink, HistoryStore, IncidentStore } from '../../rules/core/ports.ts';
import type { ReplayMark, ReplayRange, SelectedFile } from '../../rules/core/replay.ts';
import {
  deliveryDays,
  inRange,
  isReplayMark,
  REPLAY_ID,
  rangeOf,
  replayNamespace,
  scanBatches,
} from '../../rules/core/replay.ts';
import type { AuditEvent, Rule, RuleTextSource } from '../../rules/core/types.ts';
import { mapLimit } from '../shared/adapters/dynamodb-keys.ts';
import { listPages } from '../shared/adapters/s3-list.ts';
import type { Telemetry } from '../shared/telemetry.ts';

/**
 * The replay function (issue 14 §2): one Lambda, three steps of the replay state machine.
 *
 * 1. `plan`: lists the trail's log files for the range (account and organisation layouts) into a manifest in the
 *    work bucket, which the Distributed Map reads with an S3 JSON item reader.
 * 2. `select` (the Distributed Map's batches, in parallel, in any order): gets, gunzips and parses each file with
 *    `scan`'s parser, and keeps the events some rule selects (what the live EventBridge patterns pass), by position.
 *    Parsing is nearly all the cost of a scan, so this is the part that runs wide.
 * 3. `detect` (once, after the map): runs the engine with the DynamoDB counter, history, ledger and incident
 *    stores over the kept events, in `scan`'s order and batches, and archives the findings as replay evidence.
 *
 * Why the split: the engine's state is NOT order-independent across batches. The sliding window claims the
 * earliest burst of the events it has seen, so a batch of day 3 counted before one of day 1 can fire on a
 * different burst (a different finding id) or, once its watermark has moved more than the lateness (1 h) past
 * day 1, drop day 1's events as too late; dedup folds repeats into whichever finding was admitted first; incidents
 * open at the first finding seen. Running the stateful part once, in order, gives finding for finding what `scan`
 * gives over the same files, whatever order the map's batches ran in, and a redelivered batch rewrites the same
 * work object.
 */

/** `scan`'s batch size (`DEFAULT_BATCH`): the detect step cuts batches where `scan` does. */
export const SCAN_BATCH = 1000;
/** Bad records named per file in a result; the rest are counted. */
export const MAX_PROBLEMS_PER_FILE = 20;

export interface PlanInput {
  readonly step: 'plan';
  readonly replayId: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly from: string;
  readonly to: string;
}
/** What the Distributed Map's `ItemBatcher` hands each child: the batch's files and the shared `BatchInput`. */
export interface SelectInput {
  readonly Items: readonly { readonly key: string; readonly size?: number }[];
  readonly BatchInput: {
    readonly step: 'select';
    readonly replayId: string;
    readonly bucket: string;
    readonly from: string;
    readonly to: string;
    readonly rules?: readonly string[];
  };
}
export interface DetectInput {
  readonly step: 'detect';
  readonly replayId: string;
  /** The state's entry time (`$$.State.EnteredTime`): its day keys the evidence (`ReplayMark.day`). */
  readonly startedAt: string;
  readonly page: boolean;
  readonly rules?: readonly string[];
}
export type ReplayInput = PlanInput | SelectInput | DetectInput;

export interface Problem {
  readonly file: string;
  readonly message: string;
}
export interface SelectResult {
  readonly files: number;
  readonly events: number;
  readonly candidates: number;
  readonly problems: readonly Problem[];
}
export interface DetectResult {
  readonly files: number;
  readonly events: number;
  readonly candidates: number;
  readonly findings: number;
  readonly incidents: number;
  readonly failures: number;
  readonly ruleErrors: number;
  /** Files with bad records or unreadable parts, each named (capped per file); the rest of each file was replayed. */
  readonly problems: readonly Problem[];
}

export interface ReplayDeps {
  readonly s3: S3Client;
  readonly workBucket: string;
  readonly catalogue: Catalogue;
  readonly rules: readonly Rule[];
  readonly config: DetectionConfig;
  readonly counters: CounterStore;
  readonly ledger: FindingLedger;
  readonly history: HistoryStore;
  readonly incidents: IncidentStore;
  /** Archive and page (page only when the execution asked for `--page`). */
  readonly sink: (page: boolean) => FindingSink;
  readonly ruleText?: RuleTextSource;
  /** The IP database and anonymiser list the sign-in place rules read, as the evaluate function ships them. */
  readonly intel?: IntelSource;
  readonly telemetry: Telemetry;
}

const workPrefix = (replayId: string) => `replays/${replayId}/`;
export const manifestKey = (replayId: string) => `${workPrefix(replayId)}manifest.json`;
/** One work object per log file: a redelivered batch rewrites the same objects with the same bytes. */
export const selectedKey = (replayId: string, fileKey: string) =>
  `${workPrefix(replayId)}files/${createHash('sha256').update(fileKey).digest('hex')}.json`;

const checkId = (id: string): string => {
  if (!REPLAY_ID.test(id)) throw new Error(`replay id ${JSON.stringify(id)} is not [A-Za-z0-9_-]{1,80}`);
  return id;
};
const range = (from: string, to: string): ReplayRange => {
  const r = rangeOf(from, to);
  if (typeof r === 'string') throw new Error(r);
  return r;
};

const bodyText = async (s3: S3Client, bucket: string, key: string): Promise<Buffer> => {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (out.Body === undefined) throw new Error(`s3://${bucket}/${key}: empty response body`);
  return Buffer.from(await out.Body.transformToByteArray());
};

const listAll = async (
  s3: S3Client,
  bucket: string,
  prefix: string,
  delimiter?: string,
): Promise<{ keys: { key: string; size: number }[]; prefixes: string[] }> => {
  const keys: { key: string; size: number }[] = [];
  const prefixes: string[] = [];
  for await (const page of listPages(s3, {
    Bucket: bucket,
    Prefix: prefix,
    ...(delimiter === undefined ? {} : { Delimiter: delimiter }),
  })) {
    for (const o of page.Contents ?? []) if (o.Key !== undefined) keys.push({ key: o.Key, size: o.Size ?? 0 });
    for (const p of page.CommonPrefixes ?? []) if (p.Prefix !== undefined) prefixes.push(p.Prefix);
  }
  return { keys, prefixes };
};

const ACCOUNT_DIR = /\/\d{12}\/$/;
const ORG_DIR = /\/o-[a-z0-9]{10,32}\/$/;
/** Calls to S3 in flight while planning. */
const LIST_CONCURRENCY = 16;

/**
 * The log files of the range: `<prefix>AWSLogs/[<org-id>/]<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/`. The
 * account, organisation and region folders are listed with a delimiter (a few calls), then each delivery day of
 * each account and region (one call per 1,000 files). Digest files (`CloudTrail-Digest/`) are not under
 * `CloudTrail/` and never listed.
 */
export const listTrailFiles = async (
  s3: S3Client,
  bucket: string,
  prefix: string,
  r: ReplayRange,
): Promise<{ key: string; size: number }[]> => {
  const base = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  const root = base.endsWith('AWSLogs/') ? base : `${base}AWSLogs/`;
  const top = (await listAll(s3, bucket, root, '/')).prefixes;
  const orgAccounts = await mapLimit(
    top.filter((p) => ORG_DIR.test(p)),
    LIST_CONCURRENCY,
    async (org) => (await listAll(s3, bucket, org, '/')).prefixes,
  );
  const accounts = [...top, ...orgAccounts.flat()].filter((p) => ACCOUNT_DIR.test(p));
  const regions = (
    await mapLimit(
      accounts,
      LIST_CONCURRENCY,
      async (a) => (await listAll(s3, bucket, `${a}CloudTrail/`, '/')).prefixes,
    )
  ).flat();
  const days = deliveryDays(r);
  const folders = regions.flatMap((region) => days.map((d) => `${region}${d}/`));
  const files = (await mapLimit(folders, LIST_CONCURRENCY, async (f) => (await listAll(s3, bucket, f)).keys)).flat();
  return files.filter((f) => !f.key.endsWith('/'));
};

/** The catalogue a replay runs: every rule, or the ones named (an unknown id is an error, not an empty replay). */
export const catalogueFor = (deps: Pick<ReplayDeps, 'catalogue' | 'rules'>, ids: readonly string[] | undefined) => {
  if (ids === undefined || ids.length === 0) return deps.catalogue;
  const known = new Set(deps.rules.map((r) => r.id));
  const unknown = ids.filter((id) => !known.has(id));
  if (unknown.length > 0) throw new Error(`unknown rule id(s): ${unknown.join(', ')}`);
  return buildCatalogue(deps.rules.filter((r) => ids.includes(r.id)));
};

interface SelectedObject extends SelectedFile<AuditEvent> {
  readonly problems: readonly Problem[];
  readonly problemCount: number;
}

/** One file: parse as `scan` does, keep what some rule selects and is in range; bad records are named, never thrown. */
const selectFile = async (
  deps: ReplayDeps,
  input: SelectInput['BatchInput'],
  catalogue: Catalogue,
  r: ReplayRange,
  key: string,
): Promise<SelectedObject> => {
  // A failed GET throws: the batch is retried by the state machine, and reported as failed if it keeps failing.
  const bytes = await bodyText(deps.s3, input.bucket, key);
  const name = `s3://${input.bucket}/${key}`;
  let events = 0;
  const candidates: { i: number; event: AuditEvent }[] = [];
  const problems: Problem[] = [];
  let problemCount = 0;
  const problem = (message: string) => {
    problemCount++;
    if (problems.length < MAX_PROBLEMS_PER_FILE) problems.push({ file: name, message });
  };
  for await (const result of readBytes(name, bytes, SCAN_BATCH)) {
    if (result.kind === 'events') {
      for (const e of result.events) {
        if (inRange(r, e.timeMs) && (catalogue.candidates(e).length > 0 || e.drillClaim !== undefined))
          candidates.push({ i: events, event: e });
        events++;
      }
    } else if (result.kind === 'bad-event') {
      const at = result.at;
      problem(
        at === null
          ? result.message
          : `${at.kind === 'line' ? `line ${at.line}` : `${at.container}[${at.index}]`}: ${result.message}`,
      );
    } else if (result.kind === 'unreadable') problem(result.message);
  }
  return { key, events, candidates, problems, problemCount };
};

export const select = async (deps: ReplayDeps, input: SelectInput): Promise<SelectResult> => {
  const b = input.BatchInput;
  const replayId = checkId(b.replayId);
  const r = range(b.from, b.to);
  const catalogue = catalogueFor(deps, b.rules);
  const done = await mapLimit(input.Items, 4, async (item) => {
    const selected = await selectFile(deps, b, catalogue, r, item.key);
    await deps.s3.send(
      new PutObjectCommand({
        Bucket: deps.workBucket,
        Key: selectedKey(replayId, item.key),
        Body: JSON.stringify(selected),
        ContentType: 'application/json',
      }),
    );
    return selected;
  });
  const problems = done.flatMap((d) => d.problems);
  for (const p of problems) deps.telemetry.log('warn', 'bad record in a replayed file', { ...p });
  const result = {
    files: done.length,
    events: done.reduce((n, d) => n + d.events, 0),
    candidates: done.reduce((n, d) => n + d.candidates.length, 0),
    problems,
  };
  deps.telemetry.count({
    ReplayFiles: result.files,
    ReplayEvents: result.events,
    ReplayProblems: done.reduce((n, d) => n + d.problemCount, 0),
  });
  return result;
};

export const plan = async (
  deps: ReplayDeps,
  input: PlanInput,
): Promise<{ manifestKey: string; files: number; bytes: number }> => {
  const replayId = checkId(input.replayId);
  const files = await listTrailFiles(deps.s3, input.bucket, input.prefix, range(input.from, input.to));
  const key = manifestKey(replayId);
  await deps.s3.send(
    new PutObjectCommand({
      Bucket: deps.workBucket,
      Key: key,
      Body: JSON.stringify(files),
      ContentType: 'application/json',
    }),
  );
  return { manifestKey: key, files: files.length, bytes: files.reduce((n, f) => n + f.size, 0) };
};

const isSelected = (v: unknown): v is SelectedObject =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as SelectedObject).key === 'string' &&
  typeof (v as SelectedObject).events === 'number' &&
  Array.isArray((v as SelectedObject).candidates);

export const detect = async (deps: ReplayDeps, input: DetectInput): Promise<DetectResult> => {
  const replayId = checkId(input.replayId);
  const mark: ReplayMark = { id: replayId, day: new Date(Date.parse(input.startedAt)).toISOString().slice(0, 10) };
  if (!isReplayMark(mark)) throw new Error(`startedAt ${input.startedAt} is not a time`);
  const keys = (await listAll(deps.s3, deps.workBucket, `${workPrefix(replayId)}files/`)).keys;
  const files = await mapLimit(keys, 16, async ({ key }) => {
    const value: unknown = JSON.parse((await bodyText(deps.s3, deps.workBucket, key)).toString('utf8'));
    if (!isSelected(value)) throw new Error(`s3://${deps.workBucket}/${key} is not a selected-file object`);
    return value;
  });
  // JSON has no NaN: an event time that did not parse comes back null, and such events are never in range anyway.
  const marked = files.map((f) => ({
    ...f,
    candidates: f.candidates.map((c) => ({ i: c.i, event: { ...c.event, replay: mark } })),
  }));
  const detector = createDetector({
    catalogue: catalogueFor(deps, input.rules),
    config: deps.config,
    counters: deps.counters,
    ledger: deps.ledger,
    // This run is the only writer of its namespace (the replay id is the execution's name, unique per state
    // machine, and the detect step runs once at a time): a history a batch adds nothing to is answered from
    // memory instead of read again (history-cache.ts says why that is exact). New per run, so never stale.
    history: createOwnedHistoryCache(deps.history, { owns: (key) => key.startsWith(replayNamespace(mark)) }),
    incidents: deps.incidents,
    sink: deps.sink(input.page),
    ...(deps.ruleText === undefined ? {} : { ruleText: deps.ruleText }),
    ...(deps.intel === undefined ? {} : { intel: deps.intel }),
  });
  let findings = 0;
  let failures = 0;
  let ruleErrors = 0;
  const incidents = new Set<string>();
  for (const batch of scanBatches(marked, SCAN_BATCH)) {
    const outcome = await detector.process(batch);
    // A retried step finds its findings already delivered (duplicates): they count the same.
    findings += outcome.delivered.length + outcome.duplicates;
    for (const f of outcome.delivered) if (f.incidentId !== undefined) incidents.add(f.incidentId);
    for (const f of outcome.failures) {
      failures += f.eventIds.length;
      deps.telemetry.log('error', `${f.stage} failed during a replay`, { ...f });
    }
    for (const e of outcome.ruleErrors) {
      ruleErrors++;
      deps.telemetry.log('error', 'rule failed on a replayed event', e);
    }
  }
  // A failure here (a store or the archive) must not be swallowed: the step fails, is retried (idempotent: counters
  // by event id, the ledger says duplicate, evidence is written once), and the execution fails if it persists.
  if (failures > 0) throw new Error(`replay ${replayId}: ${failures} event(s) could not be recorded or archived`);
  const result: DetectResult = {
    files: files.length,
    events: files.reduce((n, f) => n + f.events, 0),
    candidates: files.reduce((n, f) => n + f.candidates.length, 0),
    findings,
    incidents: incidents.size,
    failures,
    ruleErrors,
    problems: files.flatMap((f) => f.problems),
  };
  deps.telemetry.count({ ReplayFindings: findings, ReplayRuleErrors: ruleErrors });
  return result;
};

const isSelectInput = (v: ReplayInput): v is SelectInput => 'Items' in v && 'BatchInput' in v;

/** One handler for the three steps; the input says which. */
export const createReplayHandler =
  (deps: ReplayDeps) =>
  async (input: ReplayInput): Promise<unknown> => {
    if (isSelectInput(input)) return select(deps, input);
    switch (input.step) {
      case 'plan':
        return plan(deps, input);
      case 'detect':
        return detect(deps, input);
    }
  };
