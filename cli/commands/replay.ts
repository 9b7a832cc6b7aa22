import { randomBytes } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { REPLAY_ID, rangeOf } from '../../rules/core/replay.ts';
import { parseOptions } from '../args.ts';
import type { Io } from '../io.ts';
import { EXIT, errorLine, escapeControl, message } from '../io.ts';

export interface ReplayCliDeps {
  readonly sfn?: (endpoint: string | undefined) => Promise<SFNClient>;
  readonly s3?: (endpoint: string | undefined) => Promise<S3Client>;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly randomId?: () => string;
  /** Between two looks at the execution. */
  readonly pollMs?: number;
}

const OPTIONS = {
  from: { type: 'string' },
  to: { type: 'string' },
  rules: { type: 'string' },
  page: { type: 'boolean' },
  'no-wait': { type: 'boolean' },
  name: { type: 'string' },
  'state-machine-arn': { type: 'string' },
  'work-bucket': { type: 'string' },
  'endpoint-url': { type: 'string' },
} as const;

const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;

export interface ReplayRequest {
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: {
    readonly bucket: string;
    readonly prefix: string;
    readonly from: string;
    readonly to: string;
    readonly page: boolean;
    readonly rules: readonly string[];
  };
  readonly wait: boolean;
  readonly workBucket?: string;
  readonly endpoint?: string;
}

/** The request, or what is wrong with the command line. */
export const parseReplayArgs = (
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  randomId: () => string,
): ReplayRequest | string => {
  const parsed = parseOptions(args, OPTIONS);
  if (!parsed.ok) return parsed.error;
  const v = parsed.values;
  if (v.from === undefined || v.to === undefined) return '--from and --to are required';
  const range = rangeOf(v.from, v.to);
  if (typeof range === 'string') return range;
  if (parsed.positionals.length !== 1) return 'one s3://TRAIL-BUCKET[/PREFIX] is required';
  const location = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(parsed.positionals[0] ?? '');
  if (location === null) return `not an S3 location: ${parsed.positionals[0]}`;
  const rawPrefix = location[2] ?? '';
  const prefix = rawPrefix === '' || rawPrefix.endsWith('/') ? rawPrefix : `${rawPrefix}/`;
  const arn = v['state-machine-arn'] ?? env.TRAILWARDEN_REPLAY_STATE_MACHINE;
  if (arn === undefined) return '--state-machine-arn (or TRAILWARDEN_REPLAY_STATE_MACHINE) is required';
  if (!STATE_MACHINE_ARN.test(arn)) return `not a state machine ARN: ${arn}`;
  const name = v.name ?? `replay-${v.from}-${v.to}-${randomId()}`;
  if (!REPLAY_ID.test(name)) return `--name must be 1 to 80 of A-Z a-z 0-9 _ - (got ${name})`;
  const rules =
    v.rules === undefined
      ? []
      : v.rules
          .split(',')
          .map((r) => r.trim())
          .filter((r) => r !== '');
  const workBucket = v['work-bucket'] ?? env.TRAILWARDEN_REPLAY_WORK_BUCKET;
  return {
    stateMachineArn: arn,
    name,
    input: { bucket: location[1] ?? '', prefix, from: v.from, to: v.to, page: v.page === true, rules },
    wait: v['no-wait'] !== true,
    ...(workBucket === undefined ? {} : { workBucket }),
    ...(v['endpoint-url'] === undefined ? {} : { endpoint: v['endpoint-url'] }),
  };
};

const defaultSfn = async (endpoint: string | undefined): Promise<SFNClient> => {
  const { SFNClient } = await import('@aws-sdk/client-sfn');
  return new SFNClient(endpoint === undefined ? {} : { endpoint });
};
const defaultS3 = async (endpoint: string | undefined): Promise<S3Client> => {
  const { S3Client } = await import('@aws-sdk/client-s3');
  return new S3Client(endpoint === undefined ? {} : { endpoint, forcePathStyle: true });
};

interface Counts {
  readonly total: number;
  readonly succeeded: number;
  readonly failed: number;
}

interface ReplayOutput {
  readonly files?: number;
  readonly events?: number;
  readonly candidates?: number;
  readonly findings?: number;
  readonly incidents?: number;
  readonly ruleErrors?: number;
  readonly problems?: readonly { readonly file: string; readonly message: string }[];
}

/** The file keys of each failed batch, from the map's ResultWriter (`results/<map run id>/FAILED_*.json`). */
const failedBatches = async (s3: S3Client, bucket: string, mapRunId: string) => {
  const { GetObjectCommand, ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `results/${mapRunId}/` }));
  const out: { files: string[]; error: string }[] = [];
  for (const o of listed.Contents ?? []) {
    if (o.Key === undefined || !/\/FAILED_\d+\.json$/.test(o.Key)) continue;
    const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key }));
    const items = JSON.parse((await body.Body?.transformToString()) ?? '[]') as {
      Input?: string;
      Error?: string;
      Cause?: string;
    }[];
    for (const item of items) {
      const input = JSON.parse(item.Input ?? '{}') as { Items?: { key?: string }[] };
      out.push({
        files: (input.Items ?? []).map((i) => String(i.key)),
        error: `${item.Error ?? 'failed'}${item.Cause ? `: ${item.Cause}` : ''}`,
      });
    }
  }
  return out;
};

/**
 * `trailwarden replay`: starts the deployed replay state machine and follows it. Exit 0 when it succeeded (bad
 * records in files are listed, not fatal: the rest of each file was replayed), 1 when it failed, 2 on usage.
 */
export const replayCommand = async (
  args: readonly string[],
  io: Io,
  usage: () => void,
  deps: ReplayCliDeps = {},
): Promise<number> => {
  const request = parseReplayArgs(args, io.env ?? process.env, deps.randomId ?? (() => randomBytes(3).toString('hex')));
  if (typeof request === 'string') {
    errorLine(io, request);
    usage();
    return EXIT.usage;
  }
  const { DescribeExecutionCommand, DescribeMapRunCommand, ListMapRunsCommand, StartExecutionCommand } = await import(
    '@aws-sdk/client-sfn'
  );
  const sfn = await (deps.sfn ?? defaultSfn)(request.endpoint);
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  try {
    const started = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: request.stateMachineArn,
        name: request.name,
        input: JSON.stringify(request.input),
      }),
    );
    const executionArn = started.executionArn ?? '';
    io.stdout.write(`replay ${request.name} started: ${executionArn}\n`);
    if (!request.wait) return EXIT.ok;

    let mapRunArn: string | undefined;
    let counts: Counts | undefined;
    let shown = '';
    for (;;) {
      const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (mapRunArn === undefined) {
        const runs = await sfn.send(new ListMapRunsCommand({ executionArn }));
        mapRunArn = runs.mapRuns?.[0]?.mapRunArn;
      }
      if (mapRunArn !== undefined) {
        const run = await sfn.send(new DescribeMapRunCommand({ mapRunArn }));
        const c = run.itemCounts;
        if (c !== undefined) counts = { total: c.total ?? 0, succeeded: c.succeeded ?? 0, failed: c.failed ?? 0 };
      }
      const status = execution.status ?? 'RUNNING';
      const line =
        counts === undefined
          ? `${status.toLowerCase()}: planning (listing the trail's files)`
          : `${status.toLowerCase()}: files ${counts.succeeded}/${counts.total} done${counts.failed > 0 ? `, ${counts.failed} failed` : ''}; findings are counted by the detect step after the map`;
      if (line !== shown) io.stderr.write(`${line}\n`);
      shown = line;
      if (status === 'RUNNING' || status === 'PENDING_REDRIVE') {
        await sleep(deps.pollMs ?? 10_000);
        continue;
      }
      if (status === 'SUCCEEDED') {
        const out = JSON.parse(execution.output ?? '{}') as ReplayOutput;
        io.stdout.write(
          `replay ${request.name}: ${out.files ?? 0} files, ${out.events ?? 0} events, ${out.candidates ?? 0} selected by a rule, ${out.findings ?? 0} findings in ${out.incidents ?? 0} incidents${request.input.page ? ' (paged)' : ' (archived, not paged)'}\n`,
        );
        if ((out.ruleErrors ?? 0) > 0) errorLine(io, `${out.ruleErrors} rule errors (see the replay function's logs)`);
        for (const p of out.problems ?? []) errorLine(io, `${p.file}: ${p.message}`);
        return EXIT.ok;
      }
      errorLine(
        io,
        `replay ${request.name} ${status.toLowerCase()}: ${execution.error ?? 'no error given'}${execution.cause ? `: ${execution.cause}` : ''}`,
      );
      if (counts !== undefined && counts.failed > 0 && mapRunArn !== undefined) {
        const mapRunId = mapRunArn.slice(mapRunArn.lastIndexOf(':') + 1);
        if (request.workBucket === undefined) {
          errorLine(
            io,
            `${counts.failed} files in failed batches; they are listed under results/${mapRunId}/ in the replay work bucket (pass --work-bucket to name them here)`,
          );
        } else {
          const s3 = await (deps.s3 ?? defaultS3)(request.endpoint);
          for (const b of await failedBatches(s3, request.workBucket, mapRunId))
            errorLine(io, `failed batch (${b.error}): ${b.files.join(', ')}`);
        }
      }
      return EXIT.findings;
    }
  } catch (err) {
    errorLine(io, escapeControl(message(err)));
    return EXIT.findings;
  } finally {
    sfn.destroy();
  }
};
