import { readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { S3Client } from '@aws-sdk/client-s3';
import type { TrailPublicKey } from '../../rules/core/trail-digest.ts';
import { parsePublicKeyList } from '../../rules/core/trail-digest.ts';
import type { TrailProblem } from '../../rules/core/trail-integrity.ts';
import { describeProblem, trailFinding } from '../../rules/core/trail-integrity.ts';
import type { TrailBucket, WalkEvent, WalkSummary } from '../../rules/core/trail-walker.ts';
import { DEFAULT_CONCURRENCY, HOUR_MS, walkTrail } from '../../rules/core/trail-walker.ts';
import { parseOptions } from '../args.ts';
import { s3ClientFor } from '../evidence-source.ts';
import type { Io } from '../io.ts';
import { EXIT, errorLine, escapeControl, message } from '../io.ts';
import { createDirTrailBucket } from '../trail-dir-bucket.ts';

/**
 * Files in flight from a local copy: two per core keep every core inflating while the next reads start; more
 * only queue on the threadpool. Downloads wait on the network instead, so S3 keeps DEFAULT_CONCURRENCY.
 */
export const LOCAL_CONCURRENCY = availableParallelism() * 2;

/** Allowed delay of the next hourly digest beyond its hour before delivery counts as stopped (default). */
export const DEFAULT_DIGEST_LAG_MINUTES = 30;

export interface ValidateTrailDeps {
  /** S3 client for `s3://` (default: the SDK's default chain, or path-style at `--endpoint-url`). */
  readonly s3Client?: (endpointUrl: string | undefined) => Promise<S3Client>;
  /** CloudTrail public keys valid in [from, to] (default: `cloudtrail:ListPublicKeys` in the SDK's region). */
  readonly listPublicKeys?: (fromMs: number, toMs: number) => Promise<readonly TrailPublicKey[]>;
  readonly now?: () => number;
}

const OPTIONS = {
  from: { type: 'string' },
  to: { type: 'string' },
  account: { type: 'string' },
  region: { type: 'string' },
  'public-keys': { type: 'string' },
  'endpoint-url': { type: 'string' },
  format: { type: 'string' },
  bucket: { type: 'string' },
  prefix: { type: 'string' },
  concurrency: { type: 'string' },
  'lag-minutes': { type: 'string' },
} as const;

const display = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19)}Z`;

/** Keys from CloudTrail itself, every page. */
const cloudTrailKeys = async (fromMs: number, toMs: number): Promise<readonly TrailPublicKey[]> => {
  const { CloudTrailClient, ListPublicKeysCommand } = await import('@aws-sdk/client-cloudtrail');
  const client = new CloudTrailClient({});
  const keys: TrailPublicKey[] = [];
  let token: string | undefined;
  try {
    do {
      const page = await client.send(
        new ListPublicKeysCommand({
          StartTime: new Date(fromMs),
          EndTime: new Date(toMs),
          ...(token === undefined ? {} : { NextToken: token }),
        }),
      );
      for (const k of page.PublicKeyList ?? []) {
        if (k.Fingerprint === undefined || k.Value === undefined) continue;
        keys.push({ fingerprint: k.Fingerprint, der: k.Value });
      }
      token = page.NextToken;
    } while (token !== undefined);
  } finally {
    client.destroy();
  }
  return keys;
};

const defaultS3 = async (endpointUrl: string | undefined): Promise<S3Client> => s3ClientFor(endpointUrl)();

const ratio = (valid: number, invalid: number, name: string): string[] => {
  const total = valid + invalid;
  if (total === 0) return [];
  return [`${valid}/${total} ${name} files valid${invalid > 0 ? `, ${invalid}/${total} ${name} files INVALID` : ''}`];
};

/** The AWS CLI's summary, plus how many of the invalid ones are missing (deleted). */
export const renderSummary = (s: WalkSummary, fromMs: number, toMs: number): string[] => {
  const lines = [`Results requested for ${display(fromMs)} to ${display(toMs)}`];
  const digestsInvalid = s.digests.invalid + s.digests.missing;
  if (s.digests.valid + digestsInvalid === 0) return [...lines, 'No digests found'];
  lines.push(
    s.foundFromMs === undefined || s.foundToMs === undefined
      ? 'No valid digests found in range'
      : `Results found for ${display(Math.max(fromMs, s.foundFromMs))} to ${display(Math.min(toMs, s.foundToMs))}:`,
    '',
    ...ratio(s.digests.valid, digestsInvalid, 'digest'),
    ...(s.digests.missing > 0 ? [`${s.digests.missing} digest file${s.digests.missing === 1 ? '' : 's'} missing`] : []),
    ...ratio(s.logs.valid, s.logs.invalid + s.logs.missing, 'log'),
    ...(s.logs.missing > 0 ? [`${s.logs.missing} log file${s.logs.missing === 1 ? '' : 's'} missing`] : []),
  );
  return lines;
};

const parseTime = (
  text: string | undefined,
  name: string,
): { ok: true; ms?: number } | { ok: false; error: string } => {
  if (text === undefined) return { ok: true };
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(ms))
    return { ok: false, error: `--${name} must be an ISO time (got ${text})` };
  return { ok: true, ms };
};

/**
 * `trailwarden validate-trail s3://BUCKET[/PREFIX] | DIR --bucket NAME …`: every digest and log file of the
 * range validated as `aws cloudtrail validate-logs` does, in parallel. Exit 0 all valid, 1 not (or nothing to
 * prove: no digest found, or the bucket could not be read), 2 bad usage.
 */
export const validateTrailCommand = async (
  args: readonly string[],
  io: Io,
  usage: () => void,
  deps: ValidateTrailDeps = {},
): Promise<number> => {
  const fail = (text: string): number => {
    errorLine(io, text);
    usage();
    return EXIT.usage;
  };
  const parsed = parseOptions(args, OPTIONS);
  if (!parsed.ok) return fail(parsed.error);
  const v = parsed.values;
  if (parsed.positionals.length !== 1) return fail('validate-trail takes one s3://BUCKET[/PREFIX] or directory');
  const source = parsed.positionals[0] ?? '';
  const format = v.format ?? 'table';
  if (format !== 'table' && format !== 'jsonl') return fail('--format must be table or jsonl');
  const now = (deps.now ?? Date.now)();
  const to = parseTime(v.to, 'to');
  if (!to.ok) return fail(to.error);
  const toMs = to.ms ?? now;
  const from = parseTime(v.from, 'from');
  if (!from.ok) return fail(from.error);
  const fromMs = from.ms ?? toMs - 24 * HOUR_MS;
  if (fromMs > toMs) return fail('--from must not be after --to');
  if (v.account !== undefined && !/^\d{12}$/.test(v.account))
    return fail(`--account must be a 12-digit account id (got ${v.account})`);
  if (v.region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(v.region))
    return fail(`--region is not a region (got ${v.region})`);
  const chosen = v.concurrency === undefined ? undefined : Number(v.concurrency);
  if (chosen !== undefined && (!Number.isInteger(chosen) || chosen < 1 || chosen > 256))
    return fail('--concurrency must be 1 to 256');
  const lag = v['lag-minutes'] === undefined ? DEFAULT_DIGEST_LAG_MINUTES : Number(v['lag-minutes']);
  if (!Number.isInteger(lag) || lag < 0 || lag > 7 * 24 * 60)
    return fail('--lag-minutes must be a whole number of minutes');

  let bucketName: string;
  let prefix: string;
  let bucket: TrailBucket;
  const s3 = /^s3:\/\/([^/]+)\/?(.*)$/.exec(source);
  if (s3 !== null) {
    if (v.bucket !== undefined || v.prefix !== undefined) {
      return fail('--bucket and --prefix are for a directory; an s3:// source names both');
    }
    bucketName = s3[1] ?? '';
    prefix = (s3[2] ?? '').replace(/\/+$/, '');
    const { createS3TrailBucket } = await import('../../functions/shared/adapters/s3-trail-bucket.ts');
    try {
      bucket = createS3TrailBucket(await (deps.s3Client ?? defaultS3)(v['endpoint-url']));
    } catch (err) {
      return fail(`cannot create the S3 client: ${message(err)}`);
    }
  } else {
    if (v['endpoint-url'] !== undefined) return fail('--endpoint-url is for s3:// sources');
    if (v.bucket === undefined) return fail('a directory needs --bucket NAME: the bucket its digests were signed for');
    try {
      if (!statSync(source).isDirectory()) return fail(`${source} is not a directory`);
    } catch {
      return fail(`${source}: no such directory`);
    }
    bucketName = v.bucket;
    prefix = (v.prefix ?? '').replace(/^\/+|\/+$/g, '');
    bucket = createDirTrailBucket(source, bucketName);
  }
  const concurrency = chosen ?? (s3 === null ? LOCAL_CONCURRENCY : DEFAULT_CONCURRENCY);

  let keys: readonly TrailPublicKey[];
  if (v['public-keys'] !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(v['public-keys'], 'utf8'));
    } catch (err) {
      return fail(`cannot read --public-keys ${v['public-keys']}: ${message(err)}`);
    }
    const list = parsePublicKeyList(json);
    if (!list.ok) return fail(`--public-keys ${v['public-keys']}: ${list.error}`);
    keys = list.keys;
  } else {
    try {
      keys = await (deps.listPublicKeys ?? cloudTrailKeys)(fromMs - HOUR_MS, toMs + HOUR_MS);
    } catch (err) {
      errorLine(
        io,
        `cannot list CloudTrail public keys (cloudtrail:ListPublicKeys): ${message(err)}; pass --public-keys FILE`,
      );
      return EXIT.findings;
    }
  }

  const label = `s3://${bucketName}${prefix === '' ? '' : `/${prefix}`}`;
  const out = (line: string) => io.stdout.write(`${line}\n`);
  // Summary beside findings: on stdout for the table, on stderr for jsonl (stdout stays one finding a line).
  const say = format === 'table' ? out : (line: string) => io.stderr.write(`${line}\n`);
  say(`Validating log files in ${escapeControl(label)} between ${display(fromMs)} and ${display(toMs)}`);
  say('');
  const problems: TrailProblem[] = [];
  const onEvent = (e: WalkEvent) => {
    if (e.kind === 'problem') {
      problems.push(e.problem);
      if (format === 'table') out(describeProblem(e.problem).split('\t').map(escapeControl).join('\t'));
      else out(JSON.stringify(trailFinding(e.problem, e.digestEndMs, now).finding));
    } else if (e.kind === 'chain-break') {
      say(
        `No log files were delivered by CloudTrail between ${display(e.fromMs)} and ${display(e.toMs)} (${escapeControl(e.chain)})`,
      );
    }
  };
  let summary: WalkSummary;
  try {
    summary = await walkTrail(
      bucket,
      {
        bucket: bucketName,
        prefix,
        fromMs,
        toMs,
        ...(v.account === undefined ? {} : { account: v.account }),
        ...(v.region === undefined ? {} : { region: v.region }),
        keys: new Map(keys.map((k) => [k.fingerprint, k])),
        concurrency,
        stoppedAfterMs: HOUR_MS + lag * 60_000,
        asOfMs: Math.min(toMs, now),
      },
      onEvent,
    );
  } catch (err) {
    errorLine(io, `cannot read ${label}: ${message(err)}`);
    return EXIT.findings;
  }
  say('');
  for (const line of renderSummary(summary, fromMs, toMs)) say(line);
  const none = summary.digests.valid + summary.digests.invalid + summary.digests.missing === 0;
  return problems.length > 0 || none ? EXIT.findings : EXIT.ok;
};
