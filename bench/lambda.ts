import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
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
  /** The chunk of the rules the lazy catalogue loads on the first event a rule selects, relative to `dir`. */
  ruleChunks: readonly string[];
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
    ruleChunks: Object.entries(outputs)
      .filter(([, o]) => /(^|\/)rules\/index\.ts$/.test(o.entryPoint ?? ''))
      .map(([f]) => relative(dir, join(process.cwd(), f))),
    inputs: init.inputs,
  };
};

/**
 * Cold init: a fresh `node` imports the bundle (SDK from node_modules, as the Lambda runtime provides it). With
 * `thenImport`, the time also covers importing those chunks after it: the rules' chunk, which the first batch that
 * reaches a rule loads.
 */
export const measureInit = (bundleDir: string, runs = 5, thenImport: readonly string[] = []): number => {
  // Placed inside node_modules so the bundle resolves @aws-sdk/* the way the Lambda runtime provides it.
  const bundled = join(root, 'node_modules', '.trailwarden-init-bundle');
  const probe = join(root, 'node_modules', '.trailwarden-init-probe.mjs');
  rmSync(bundled, { recursive: true, force: true });
  cpSync(bundleDir, bundled, { recursive: true });
  writeFileSync(
    probe,
    [
      'const t0 = performance.now();',
      `await import(${JSON.stringify(join(bundled, HANDLER_FILE))});`,
      `await Promise.all(${JSON.stringify(thenImport.map((f) => join(bundled, f)))}.map((f) => import(f)));`,
      'console.log(performance.now() - t0);',
      '',
    ].join('\n'),
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
