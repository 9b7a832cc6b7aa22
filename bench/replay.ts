import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { ReplayDeps, SelectInput, SelectResult } from '../functions/replay/replay.ts';
import { createReplayHandler, manifestKey } from '../functions/replay/replay.ts';
import { createAwsFindingSink } from '../functions/shared/adapters/aws-finding-sink.ts';
import { createDynamoCounterStore } from '../functions/shared/adapters/dynamodb-counter-store.ts';
import { createDynamoHistoryStore } from '../functions/shared/adapters/dynamodb-history-store.ts';
import { createDynamoIncidentStore } from '../functions/shared/adapters/dynamodb-incident-store.ts';
import { createDynamoLedger } from '../functions/shared/adapters/dynamodb-ledger.ts';
import { createS3EvidenceStore } from '../functions/shared/adapters/s3-evidence-store.ts';
import type { DetectionConfig } from '../rules/core/config.ts';
import { catalogue, RULES } from '../rules/index.ts';
import { createStateTable, deleteTable, dynamoClient } from '../test/support/dynamodb.ts';
import { startDynamoDbLocal } from '../test/support/dynamodb-local.ts';
import { startS3rver, withDelimiterListing } from '../test/support/s3rver.ts';

/** Log files under `dir`, in name order. */
const filesUnder = (dir: string): string[] =>
  readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? filesUnder(path) : [path];
    });

export interface ReplayFigures {
  readonly files: number;
  readonly events: number;
  readonly findings: number;
  /** Plan + select + detect, one function instance, over s3rver and DynamoDB Local on this machine. */
  readonly replayEventsPerSec: number;
  /** The select step alone (get, gunzip, parse, keep what rules select): what runs `maxConcurrency` wide. */
  readonly selectEventsPerSec: number;
}

/**
 * The replay function run locally: the first `maxFiles` log files of the corpus (trail layout) put into s3rver,
 * then the three steps in turn, one batch of `batchFiles` at a time as one map child would, with the DynamoDB
 * stores on DynamoDB Local. Local HTTP to s3rver stands in for S3 GETs (slower per byte than S3 in-region from
 * Lambda, faster per request); the figure is per function instance, the state machine multiplies it.
 */
export const measureReplay = async (
  corpusDir: string,
  config: DetectionConfig,
  maxFiles = 60,
  batchFiles = 100,
): Promise<ReplayFigures> => {
  const all = filesUnder(corpusDir).filter((f) => /\/CloudTrail\/[^/]+\/\d{4}\/\d{2}\/\d{2}\//.test(f));
  const files = all.slice(0, maxFiles);
  const days = files.map((f) => /\/(\d{4})\/(\d{2})\/(\d{2})\//.exec(f)?.slice(1).join('-') ?? '').sort();
  const s3 = await startS3rver(['trail', 'work', 'evidence']);
  const local = await startDynamoDbLocal();
  const dynamo = dynamoClient(local.endpoint);
  const table = await createStateTable(dynamo);
  try {
    for (const f of files) {
      await s3.client.send(
        new PutObjectCommand({ Bucket: 'trail', Key: relative(corpusDir, f), Body: readFileSync(f) }),
      );
    }
    const client = withDelimiterListing(s3.client);
    const deps: ReplayDeps = {
      s3: client,
      workBucket: 'work',
      catalogue,
      rules: RULES,
      config,
      counters: createDynamoCounterStore(dynamo, table),
      ledger: createDynamoLedger(dynamo, table),
      history: createDynamoHistoryStore(dynamo, table),
      incidents: createDynamoIncidentStore(dynamo, table),
      sink: () => createAwsFindingSink(createS3EvidenceStore(s3.client, 'evidence'), { publish: async () => {} }),
      telemetry: { log: () => {}, count: () => {} },
    };
    const handler = createReplayHandler(deps);
    const from = days[0] ?? '2026-01-01';
    const to = days[days.length - 1] ?? from;
    const started = performance.now();
    await handler({ step: 'plan', replayId: 'bench', bucket: 'trail', prefix: '', from, to });
    const listed = await s3.client.send(new GetObjectCommand({ Bucket: 'work', Key: manifestKey('bench') }));
    const items = JSON.parse((await listed.Body?.transformToString()) ?? '[]') as { key: string; size: number }[];
    const selectStarted = performance.now();
    let events = 0;
    for (let i = 0; i < items.length; i += batchFiles) {
      const input: SelectInput = {
        Items: items.slice(i, i + batchFiles),
        BatchInput: { step: 'select', replayId: 'bench', bucket: 'trail', from, to },
      };
      events += ((await handler(input)) as SelectResult).events;
    }
    const selectMs = performance.now() - selectStarted;
    const detected = (await handler({
      step: 'detect',
      replayId: 'bench',
      startedAt: new Date().toISOString(),
      page: false,
    })) as {
      findings: number;
    };
    const totalMs = performance.now() - started;
    return {
      files: items.length,
      events,
      findings: detected.findings,
      replayEventsPerSec: Math.round(events / (totalMs / 1000)),
      selectEventsPerSec: Math.round(events / (selectMs / 1000)),
    };
  } finally {
    await deleteTable(dynamo, table);
    dynamo.destroy();
    await local.stop();
    await s3.stop();
  }
};

// `tsx bench/replay.ts [CORPUS_DIR]`: this part of the bench alone.
if (process.argv[1]?.endsWith('bench/replay.ts')) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { DEFAULT_DETECTION_CONFIG } = await import('../rules/core/config.ts');
  const { CORPUS_DIR } = await import('./corpus.ts');
  const figures = await measureReplay(process.argv[2] ?? CORPUS_DIR, DEFAULT_DETECTION_CONFIG);
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}
