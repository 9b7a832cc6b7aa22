import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Metafile } from 'esbuild';
import { createHandler } from '../functions/evaluate/evaluate.ts';
import { RULE_TEXT_FILE, shippedRuleText } from '../functions/evaluate/rule-text.ts';
import { createDynamoCounterStore } from '../functions/shared/adapters/dynamodb-counter-store.ts';
import { createDynamoHistoryStore } from '../functions/shared/adapters/dynamodb-history-store.ts';
import { createDynamoIncidentStore } from '../functions/shared/adapters/dynamodb-incident-store.ts';
import { createDynamoLedger } from '../functions/shared/adapters/dynamodb-ledger.ts';
import { createTelemetry } from '../functions/shared/telemetry.ts';
import { bundleFunction, HANDLER_FILE } from '../infra/bundling.ts';
import type { DetectionConfig } from '../rules/core/config.ts';
import { catalogue } from '../rules/index.ts';
import { createStateTable, deleteTable, dynamoClient } from '../test/support/dynamodb.ts';
import { startDynamoDbLocal } from '../test/support/dynamodb-local.ts';
import { interceptCalls } from '../test/support/race.ts';

const root = join(import.meta.dirname, '..');

/** Bytes of JavaScript in a bundle's outputs (source maps left out), and what each source file put there. */
const sizesOf = (outputs: Metafile['outputs'], keep: (file: string) => boolean) => {
  const kept = Object.entries(outputs).filter(([f]) => f.endsWith('.mjs') && keep(f));
  return {
    bytes: kept.reduce((n, [, o]) => n + o.bytes, 0),
    inputs: Object.fromEntries(kept.flatMap(([, o]) => Object.entries(o.inputs).map(([f, i]) => [f, i.bytesInOutput]))),
  };
};

/**
 * Bundles the evaluate function (or another handler that ships the rule text) exactly as CDK does
 * (infra/bundling.ts), with the rule text beside it. `bytes` is what cold init loads (index.mjs and the chunks it
 * imports statically); `totalBytes` every chunk deployed, the rules each function loads on first use included.
 */
export const bundleEvaluate = async (
  entry = 'functions/evaluate/handler.ts',
): Promise<{
  dir: string;
  file: string;
  bytes: number;
  totalBytes: number;
  chunks: number;
  inputs: Readonly<Record<string, number>>;
}> => {
  const dir = mkdtempSync(join(tmpdir(), 'trailwarden-bundle-'));
  const metafile = bundleFunction(join(root, entry), dir, [join(root, 'functions/evaluate', RULE_TEXT_FILE)]);
  const outputs = metafile.outputs;
  const entryOut = Object.keys(outputs).find((f) => f.endsWith(HANDLER_FILE)) ?? '';
  // What init loads: the entry and, transitively, its static imports (shared chunks), never its import()s.
  const atInit = new Set<string>();
  const visit = (f: string): void => {
    if (atInit.has(f)) return;
    atInit.add(f);
    for (const i of outputs[f]?.imports ?? []) if (i.kind === 'import-statement' && !i.external) visit(i.path);
  };
  visit(entryOut);
  const init = sizesOf(outputs, (f) => atInit.has(f));
  const all = sizesOf(outputs, () => true);
  return {
    dir,
    file: join(dir, HANDLER_FILE),
    bytes: init.bytes,
    totalBytes: all.bytes,
    chunks: Object.keys(outputs).filter((f) => f.endsWith('.mjs')).length,
    inputs: init.inputs,
  };
};

/** The bundle copied inside node_modules, so it resolves @aws-sdk/* the way the Lambda runtime provides it. */
const placeBundle = (bundleDir: string): string => {
  const bundled = join(root, 'node_modules', '.trailwarden-init-bundle');
  rmSync(bundled, { recursive: true, force: true });
  cpSync(bundleDir, bundled, { recursive: true });
  return join(bundled, HANDLER_FILE);
};

const PROBE_ENV = {
  TABLE_NAME: 'bench',
  TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:bench',
  EVIDENCE_BUCKET: 'bench',
  AWS_REGION: 'us-east-1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
} as const;

/** Runs `code` (an ES module that prints one number or JSON line) in a fresh `node`, `runs` times. */
const probeRuns = (code: string, env: Record<string, string>, runs: number): string[] => {
  const probe = join(root, 'node_modules', '.trailwarden-init-probe.mjs');
  writeFileSync(probe, code);
  return Array.from({ length: runs }, () =>
    execFileSync(process.execPath, [probe], { env: { ...process.env, ...PROBE_ENV, ...env } })
      .toString()
      .trim(),
  );
};

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

/** Cold init: a fresh `node` imports the bundle (SDK from node_modules, as the Lambda runtime provides it). */
export const measureInit = (bundleDir: string, runs = 5): number => {
  const file = placeBundle(bundleDir);
  const code = `const t0 = performance.now(); await import(${JSON.stringify(file)}); console.log(performance.now() - t0);\n`;
  return median(probeRuns(code, {}, runs).map(Number));
};

/**
 * A cold start as a container meets it: a fresh `node` imports the bundle, then its handler takes one SQS batch of
 * `bodies` against DynamoDB Local (the first batch loads the rules' chunk). The batch must raise no finding: a
 * finding would be delivered to S3 and SNS, which the probe points at a closed local port rather than AWS.
 * Medians of `runs`, each on a fresh table.
 */
export const measureColdStart = async (
  bundleDir: string,
  bodies: readonly string[],
  runs = 5,
): Promise<{ readonly initMs: number; readonly firstBatchMs: number }> => {
  const file = placeBundle(bundleDir);
  const event = {
    Records: bodies.map((body, i) => ({
      messageId: `m${i}`,
      receiptHandle: '',
      body,
      attributes: {},
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: '',
      awsRegion: 'us-east-1',
    })),
  };
  const eventFile = join(root, 'node_modules', '.trailwarden-cold-batch.json');
  writeFileSync(eventFile, JSON.stringify(event));
  const code = [
    "import { readFileSync } from 'node:fs';",
    `const event = JSON.parse(readFileSync(${JSON.stringify(eventFile)}, 'utf8'));`,
    'const t0 = performance.now();',
    `const { handler } = await import(${JSON.stringify(file)});`,
    'const t1 = performance.now();',
    'const out = await handler(event);',
    'const t2 = performance.now();',
    "if (out.batchItemFailures.length > 0) throw new Error('the cold batch failed: ' + JSON.stringify(out));",
    'console.log(JSON.stringify({ initMs: t1 - t0, firstBatchMs: t2 - t1 }));',
    '',
  ].join('\n');
  const local = await startDynamoDbLocal();
  const client = dynamoClient(local.endpoint);
  const results: { initMs: number; firstBatchMs: number }[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const table = await createStateTable(client);
      const closed = 'http://127.0.0.1:9';
      const env = {
        TABLE_NAME: table,
        AWS_ENDPOINT_URL_DYNAMODB: local.endpoint,
        AWS_ENDPOINT_URL_S3: closed,
        AWS_ENDPOINT_URL_SNS: closed,
        AWS_ACCESS_KEY_ID: 'bench',
        AWS_SECRET_ACCESS_KEY: 'bench',
      };
      results.push(...probeRuns(code, env, 1).map((line) => JSON.parse(line.split('\n').at(-1) ?? '{}')));
      await deleteTable(client, table);
    }
  } finally {
    client.destroy();
    await local.stop();
  }
  return {
    initMs: median(results.map((r) => r.initMs)),
    firstBatchMs: median(results.map((r) => r.firstBatchMs)),
  };
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
