import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import type { FindingSink } from '../../rules/core/ports.ts';
import { catalogue, RULES } from '../../rules/index.ts';
import { monitoredRuleText } from '../evaluate/rule-text.ts';
import { createAwsFindingSink } from '../shared/adapters/aws-finding-sink.ts';
import { createDynamoCounterStore } from '../shared/adapters/dynamodb-counter-store.ts';
import { createDynamoHistoryStore } from '../shared/adapters/dynamodb-history-store.ts';
import { createHttpDynamoDb } from '../shared/adapters/dynamodb-http.ts';
import { createDynamoIncidentStore } from '../shared/adapters/dynamodb-incident-store.ts';
import { createDynamoLedger } from '../shared/adapters/dynamodb-ledger.ts';
import { createS3EvidenceStore } from '../shared/adapters/s3-evidence-store.ts';
import type { Notifier } from '../shared/adapters/sns-notifier.ts';
import { createSnsNotifier } from '../shared/adapters/sns-notifier.ts';
import { parseEvaluateEnv } from '../shared/env.ts';
import { shippedIntel } from '../shared/intel.ts';
import { createTelemetry } from '../shared/telemetry.ts';
import type { ReplayDeps } from './replay.ts';
import { createReplayHandler } from './replay.ts';

export const REPLAY_SERVICE = 'trailwarden-replay';

/** Archives without paging: a replay pages only when started with `--page`. */
const SILENT: Notifier = { publish: async () => {} };

/** Built once per container; env is parsed at init so a misconfigured function fails fast. */
export const createReplayDeps = (env: Readonly<Record<string, string | undefined>>): ReplayDeps => {
  const parsed = parseEvaluateEnv(env);
  const workBucket = env.WORK_BUCKET;
  if (!workBucket) throw new Error('WORK_BUCKET is not set');
  const dynamo = createHttpDynamoDb();
  const s3 = new S3Client({});
  const telemetry = createTelemetry(REPLAY_SERVICE);
  const evidence = createS3EvidenceStore(s3, parsed.evidenceBucket);
  const sns = createSnsNotifier(new SNSClient({}), parsed.topicArn);
  const sinks: Record<'page' | 'silent', FindingSink> = {
    page: createAwsFindingSink(evidence, sns),
    silent: createAwsFindingSink(evidence, SILENT),
  };
  return {
    s3,
    workBucket,
    catalogue,
    rules: RULES,
    config: parsed.detection,
    counters: createDynamoCounterStore(dynamo, parsed.tableName),
    ledger: createDynamoLedger(dynamo, parsed.tableName),
    history: createDynamoHistoryStore(dynamo, parsed.tableName),
    incidents: createDynamoIncidentStore(dynamo, parsed.tableName),
    sink: (page) => (page ? sinks.page : sinks.silent),
    ruleText: monitoredRuleText(telemetry),
    // The same IP data as the evaluate function (beside index.mjs in this asset too): a replay judges sign-in
    // places as the live pipeline does, instead of leaving those rules silent.
    intel: shippedIntel(parsed.detection, telemetry),
    telemetry,
  };
};

export const handler = createReplayHandler(createReplayDeps(process.env));
