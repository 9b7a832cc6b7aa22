import type { S3Client } from '@aws-sdk/client-s3';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { SNSClient } from '@aws-sdk/client-sns';
import { createHandler } from '../../functions/evaluate/evaluate.ts';
import { shippedRuleText } from '../../functions/evaluate/rule-text.ts';
import { fileAnonymiserList } from '../../functions/shared/adapters/anonymiser-list.ts';
import { createAwsFindingSink } from '../../functions/shared/adapters/aws-finding-sink.ts';
import { createDynamoCounterStore } from '../../functions/shared/adapters/dynamodb-counter-store.ts';
import { createDynamoHistoryStore } from '../../functions/shared/adapters/dynamodb-history-store.ts';
import { createDynamoIncidentStore } from '../../functions/shared/adapters/dynamodb-incident-store.ts';
import { createDynamoLedger } from '../../functions/shared/adapters/dynamodb-ledger.ts';
import { createFileGeoLookup, npmGeoFiles } from '../../functions/shared/adapters/ip-database.ts';
import { createS3EvidenceStore } from '../../functions/shared/adapters/s3-evidence-store.ts';
import { createSnsNotifier } from '../../functions/shared/adapters/sns-notifier.ts';
import { createTelemetry } from '../../functions/shared/telemetry.ts';
import type { DrillPlan } from '../../rules/core/drill.ts';
import { buildCatalogue } from '../../rules/core/engine.ts';
import { parseRevision } from '../../rules/core/evidence.ts';
import { createStateTable, deleteTable, dynamoClient, type TestDynamoDb } from '../../test/support/dynamodb.ts';
// The drill reuses the test harness on purpose: `--local` is a rehearsal on this machine, with the same
// DynamoDB Local (a jar, needs java) and s3rver the end-to-end tests use. These are plain TS modules.
import { startDynamoDbLocal } from '../../test/support/dynamodb-local.ts';
import { startS3rver } from '../../test/support/s3rver.ts';
import { message } from '../io.ts';
import { drillSqsEvent } from './sqs.ts';

export const BUCKET = 'trailwarden-drill-evidence';
export const TOPIC = 'arn:aws:sns:us-east-1:111122223333:trailwarden-drill';

export interface DrillResult {
  readonly ruleId: string;
  readonly ok: boolean;
  /** What was checked, or what went wrong. */
  readonly detail: string;
  readonly ms: number;
}

export interface LocalEnv {
  readonly dynamo: TestDynamoDb;
  readonly s3: S3Client;
  stop(): Promise<void>;
}

/** DynamoDB Local (started here unless `dynamoEndpoint` names a running one) and s3rver, once per drill. */
export const startLocalEnv = async (dynamoEndpoint?: string): Promise<LocalEnv> => {
  const local = dynamoEndpoint === undefined ? await startDynamoDbLocal() : undefined;
  try {
    const s3 = await startS3rver([BUCKET]);
    const dynamo = dynamoClient(dynamoEndpoint ?? local?.endpoint ?? '');
    return {
      dynamo,
      s3: s3.client,
      stop: async () => {
        dynamo.destroy();
        await s3.stop();
        await local?.stop();
      },
    };
  } catch (err) {
    await local?.stop();
    throw err;
  }
};

export interface Published {
  readonly ruleId?: string;
  readonly findingId?: string;
  readonly drill?: string;
  /** `resolved` for a resolution notice; absent on a page. */
  readonly kind?: string;
  readonly subject?: string;
}

/** An SNS client whose `send` records each Publish in process: nothing leaves the machine. */
export const recordingSns = () => {
  const published: Published[] = [];
  type Attrs = Record<string, { StringValue?: string } | undefined>;
  const client = {
    send: async (command: { input?: { MessageAttributes?: Attrs; Subject?: string } }) => {
      const attrs = command.input?.MessageAttributes ?? {};
      published.push({
        ruleId: attrs.ruleId?.StringValue,
        findingId: attrs.findingId?.StringValue,
        drill: attrs.drill?.StringValue,
        kind: attrs.kind?.StringValue,
        subject: command.input?.Subject,
      });
      return { MessageId: `drill-${published.length}` };
    },
  };
  return { client: client as unknown as SNSClient, published };
};

export const archivedFinding = async (
  s3: S3Client,
  findingId: string,
): Promise<Record<string, unknown> | undefined> => {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'findings/' }));
  // The finding's current state: its highest revision (a threshold finding is archived at its count, `ID.rN.json`).
  const key = (listed.Contents ?? [])
    .map((o) => o.Key ?? '')
    .map((k) => ({ k, ...parseRevision(k) }))
    .filter(({ base }) => base.endsWith(`/${findingId}.json`))
    .sort((a, b) => b.revision - a.revision)[0]?.k;
  if (key === undefined) return undefined;
  const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return JSON.parse((await got.Body?.transformToString()) ?? '{}') as Record<string, unknown>;
};

/**
 * One rule's drill through the real evaluate handler: a fresh state table, only that rule in the catalogue,
 * with the plan's config. Passes when the batch has no failures and a drill finding for the rule was paged
 * (Publish recorded with the `drill` attribute) and archived (its object under findings/ in s3rver).
 */
export const runLocal = async (
  plan: DrillPlan,
  env: LocalEnv,
  nowMs: number,
  drillKey: string,
): Promise<DrillResult> => {
  const started = performance.now();
  const ruleId = plan.rule.id;
  const done = (ok: boolean, detail: string): DrillResult => ({
    ruleId,
    ok,
    detail,
    ms: Math.round(performance.now() - started),
  });
  let table: string | undefined;
  try {
    table = await createStateTable(env.dynamo, 'trailwarden-drill');
    const sns = recordingSns();
    const handler = createHandler({
      ruleText: shippedRuleText((e) => {
        throw new Error(e);
      }),
      catalogue: buildCatalogue([plan.rule]),
      // A plan with an overlay runs on its base config, as the deployed function would: the case's config reaches
      // the handler only inside the signed drills.
      config: plan.overlay === undefined ? plan.config : plan.base,
      counters: createDynamoCounterStore(env.dynamo, table),
      ledger: createDynamoLedger(env.dynamo, table),
      history: createDynamoHistoryStore(env.dynamo, table),
      incidents: createDynamoIncidentStore(env.dynamo, table),
      sink: createAwsFindingSink(createS3EvidenceStore(env.s3, BUCKET), createSnsNotifier(sns.client, TOPIC)),
      telemetry: createTelemetry('trailwarden-drill', () => {}),
      // The run's own key: the handler honours the plan's drills because they are signed with it.
      drillKey: async () => drillKey,
      clock: { now: () => nowMs },
      // The IP database from node_modules; the plan's anonymiser list (a file) as the CLI reads it.
      intel: {
        geo: async () => createFileGeoLookup(npmGeoFiles()),
        ...(plan.config.anonymisers ? { anonymisers: fileAnonymiserList(plan.config.anonymisers) } : {}),
      },
    });
    const out = await handler(drillSqsEvent(plan.bodies, nowMs));
    if (out.batchItemFailures.length > 0) return done(false, `${out.batchItemFailures.length} batch item failures`);
    const page = sns.published.find((p) => p.ruleId === ruleId);
    if (page?.findingId === undefined) return done(false, 'no finding paged');
    if (page.drill !== 'true') return done(false, 'paged without the drill attribute');
    const archived = await archivedFinding(env.s3, page.findingId);
    if (archived === undefined) return done(false, `finding ${page.findingId} not archived under findings/`);
    if (archived.ruleId !== ruleId || archived.drill !== true) return done(false, 'archived finding is not a drill');
    return done(true, `paged and archived ${page.findingId}`);
  } catch (err) {
    return done(false, `error: ${message(err)}`);
  } finally {
    if (table !== undefined) await deleteTable(env.dynamo, table).catch(() => {});
  }
};
