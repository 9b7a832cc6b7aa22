import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { createHandler } from '../functions/evaluate/evaluate.ts';
import { RULE_TEXT_FILE, shippedRuleText } from '../functions/evaluate/rule-text.ts';
import { createDynamoCounterStore } from '../functions/shared/adapters/dynamodb-counter-store.ts';
import { createDynamoHistoryStore } from '../functions/shared/adapters/dynamodb-history-store.ts';
import { createDynamoIncidentStore } from '../functions/shared/adapters/dynamodb-incident-store.ts';
import { createDynamoLedger } from '../functions/shared/adapters/dynamodb-ledger.ts';
import { createTelemetry } from '../functions/shared/telemetry.ts';
import { SDK_EXTERNALS } from '../infra/sdk-externals.ts';
import type { DetectionConfig } from '../rules/core/config.ts';
import { catalogue } from '../rules/index.ts';
import { createStateTable, deleteTable, dynamoClient } from '../test/support/dynamodb.ts';
import { startDynamoDbLocal } from '../test/support/dynamodb-local.ts';
import { interceptCalls } from '../test/support/race.ts';

const root = join(import.meta.dirname, '..');

/**
 * Bundle the evaluate function (or another handler that ships the rule text) exactly as CDK does (esbuild,
 * minified, ESM, every AWS SDK client external).
 */
export const bundleEvaluate = async (
  entry = 'functions/evaluate/handler.ts',
): Promise<{ file: string; bytes: number; inputs: Readonly<Record<string, number>> }> => {
  const outdir = mkdtempSync(join(tmpdir(), 'trailwarden-bundle-'));
  const file = join(outdir, 'index.mjs');
  const { metafile } = await build({
    entryPoints: [join(root, entry)],
    outfile: file,
    bundle: true,
    minify: true,
    platform: 'node',
    // As infra/constructs/trailwarden-function.ts: the functions run on nodejs24.x.
    target: 'node24',
    format: 'esm',
    mainFields: ['module', 'main'],
    external: [...SDK_EXTERNALS],
    banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
    logLevel: 'silent',
    metafile: true,
  });
  // Bytes each source file contributes to the output, for `bench/bundle-report.ts`.
  const inputs = Object.fromEntries(
    Object.values(metafile.outputs).flatMap((o) => Object.entries(o.inputs).map(([f, i]) => [f, i.bytesInOutput])),
  );
  // As the CDK bundling does: the rule text travels beside the bundle, outside its JavaScript.
  copyFileSync(join(root, 'functions/evaluate', RULE_TEXT_FILE), join(outdir, RULE_TEXT_FILE));
  return { file, bytes: statSync(file).size, inputs };
};

/** Cold init: a fresh `node` imports the bundle (SDK from node_modules, as the Lambda runtime provides it). */
export const measureInit = (bundleFile: string, runs = 5): number => {
  // Placed inside node_modules so the bundle resolves @aws-sdk/* the way the Lambda runtime provides it.
  const bundled = join(root, 'node_modules', '.trailwarden-init-bundle.mjs');
  const probe = join(root, 'node_modules', '.trailwarden-init-probe.mjs');
  copyFileSync(bundleFile, bundled);
  writeFileSync(
    probe,
    `const t0 = performance.now(); await import(${JSON.stringify(bundled)}); console.log(performance.now() - t0);\n`,
  );
  const env = {
    ...process.env,
    TABLE_NAME: 'bench',
    TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:bench',
    EVIDENCE_BUCKET: 'bench',
    AWS_REGION: 'us-east-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const times = Array.from({ length: runs }, () =>
    Number(execFileSync(process.execPath, [probe], { env }).toString().trim()),
  );
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? Number.NaN;
};

/** DynamoDB writes the handler makes per 1,000 events, counted at the client, against DynamoDB Local. */
export const measureDynamoWrites = async (
  batches: readonly { name: string; bodies: readonly string[] }[],
  config: DetectionConfig,
): Promise<Record<string, number>> => {
  const local = await startDynamoDbLocal();
  const client = dynamoClient(local.endpoint);
  const result: Record<string, number> = {};
  try {
    for (const { name, bodies } of batches) {
      const table = await createStateTable(client);
      let writes = 0;
      // Writes per counter item inside one batch: the design bound is one (counts are pre-aggregated).
      let perKey = new Map<string, number>();
      let maxPerKey = 0;
      const byKind = new Map<string, number>();
      const counting = interceptCalls(client, (call) => (op, input) => {
        if (/^(PutItem|UpdateItem|DeleteItem|BatchWriteItem|TransactWriteItems)$/.test(op)) {
          writes++;
          const pk = (input as { Item?: { pk?: { S?: string } } }).Item?.pk?.S ?? '';
          const kind = pk.split('#')[0] || 'update';
          byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
          if (pk.startsWith('counter#')) {
            const n = (perKey.get(pk) ?? 0) + 1;
            perKey.set(pk, n);
            maxPerKey = Math.max(maxPerKey, n);
          }
        }
        return call(op, input);
      });
      const handler = createHandler({
        ruleText: shippedRuleText((e) => {
          throw new Error(e);
        }),
        catalogue,
        config,
        counters: createDynamoCounterStore(counting, table),
        ledger: createDynamoLedger(counting, table),
        history: createDynamoHistoryStore(counting, table),
        incidents: createDynamoIncidentStore(counting, table),
        sink: { deliver: async () => {}, fold: async () => {} },
        telemetry: createTelemetry('bench', () => {}),
      });
      // SQS hands the function batches of up to 100 messages.
      for (let i = 0; i < bodies.length; i += 100) {
        perKey = new Map();
        await handler({
          Records: bodies.slice(i, i + 100).map((body, j) => ({
            messageId: `m${i + j}`,
            receiptHandle: '',
            body,
            attributes: {
              ApproximateReceiveCount: '1',
              SentTimestamp: '0',
              SenderId: '',
              ApproximateFirstReceiveTimestamp: '0',
            },
            messageAttributes: {},
            md5OfBody: '',
            eventSource: 'aws:sqs',
            eventSourceARN: '',
            awsRegion: 'us-east-1',
          })),
        });
      }
      result[name] = Math.round((writes / bodies.length) * 1000 * 10) / 10;
      result[`${name}MaxCounterWritesPerKeyPerBatch`] = maxPerKey;
      for (const [kind, n] of byKind) result[`${name}.${kind}`] = Math.round((n / bodies.length) * 1000 * 10) / 10;
      await deleteTable(client, table);
    }
  } finally {
    client.destroy();
    await local.stop();
  }
  return result;
};
