import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { drillsCommand } from '../../cli/commands/drills.ts';
import { exportCommand } from '../../cli/commands/export.ts';
import { verifyCommand } from '../../cli/commands/verify.ts';
import { createHandler as createDigestHandler } from '../../functions/digest/digest.ts';
import { createS3DrillRecordStore, createS3EvidenceProbe } from '../../functions/drill/adapters.ts';
import type { DrillPage, PageReader } from '../../functions/drill/drill.ts';
import { createHandler as createDrillHandler, parseDrillPage } from '../../functions/drill/drill.ts';
import { createHandler as createElevatedHandler } from '../../functions/elevated-access/elevated-access.ts';
import { createHandler as createEvaluateHandler } from '../../functions/evaluate/evaluate.ts';
import { shippedRuleText } from '../../functions/evaluate/rule-text.ts';
import { createHandler as createHealthHandler } from '../../functions/health/health.ts';
import { createAwsFindingSink } from '../../functions/shared/adapters/aws-finding-sink.ts';
import { createDynamoCounterStore } from '../../functions/shared/adapters/dynamodb-counter-store.ts';
import { createDynamoGrantMemoryStore } from '../../functions/shared/adapters/dynamodb-grant-memory.ts';
import { createDynamoHeartbeatStore } from '../../functions/shared/adapters/dynamodb-heartbeat-store.ts';
import { createDynamoHistoryStore } from '../../functions/shared/adapters/dynamodb-history-store.ts';
import { createDynamoIncidentStore } from '../../functions/shared/adapters/dynamodb-incident-store.ts';
import { createDynamoLedger } from '../../functions/shared/adapters/dynamodb-ledger.ts';
import { createS3DigestStore } from '../../functions/shared/adapters/s3-digest-store.ts';
import { createS3DrillRunSource } from '../../functions/shared/adapters/s3-drill-runs.ts';
import { createS3EvidenceStore } from '../../functions/shared/adapters/s3-evidence-store.ts';
import { createS3TriageStore } from '../../functions/shared/adapters/s3-triage-store.ts';
import { createSnsNotifier } from '../../functions/shared/adapters/sns-notifier.ts';
import { createSnsResolvedNotifier } from '../../functions/shared/adapters/sns-resolved-notifier.ts';
import { createTelemetry } from '../../functions/shared/telemetry.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../rules/core/config.ts';
import type { DrillCaseTable } from '../../rules/core/drill.ts';
import { withTableCases } from '../../rules/core/drill.ts';
import type { DrillRunRecord } from '../../rules/core/drill-run.ts';
import { DEFAULT_DRILLS_CONFIG, parseDrillRunKey } from '../../rules/core/drill-run.ts';
import { DEFAULT_ELEVATED_SETTINGS } from '../../rules/core/elevated-access.ts';
import { buildCatalogue } from '../../rules/core/engine.ts';
import { DEFAULT_HEALTH_SETTINGS } from '../../rules/core/health.ts';
import type { Rule } from '../../rules/core/types.ts';
import { withDocs } from '../../rules/docs.ts';
import { RULES } from '../../rules/index.ts';
import { ioFor, tempTree } from '../cli/helpers.ts';
import { createStateTable, deleteTable, dynamoClient, type TestDynamoDb } from '../support/dynamodb.ts';
import { startS3rver } from '../support/s3rver.ts';
import { newSigner } from '../support/signing.ts';
import { sqsBatch } from './support.ts';

const BUCKET = 'evidence';
const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:trailwarden-findings';
const KEY = 'drill-key-for-tests-0123456789abcdef0123456789';
const DRILLED = ['cloudtrail.logging-stopped', 'signin.console-login-failures', 'cloudtrail.trail-degraded'];
const quiet = createTelemetry('test', () => {});

interface Published {
  readonly attrs: Record<string, string>;
  readonly body: string;
}

/**
 * The findings topic in process: every Publish is recorded, and the ones the drill subscription's filter policy
 * takes (`drill` exists) are queued as SNS would deliver them to SQS (raw delivery off: the envelope).
 */
const simulatedTopic = () => {
  const published: Published[] = [];
  const drillQueue: string[] = [];
  type Attrs = Record<string, { StringValue?: string; DataType?: string } | undefined>;
  const client = {
    send: async (command: { input?: { Message?: string; Subject?: string; MessageAttributes?: Attrs } }) => {
      const input = command.input ?? {};
      const attrs = Object.fromEntries(
        Object.entries(input.MessageAttributes ?? {}).map(([k, v]) => [k, v?.StringValue ?? '']),
      );
      published.push({ attrs, body: input.Message ?? '' });
      if (attrs.drill !== undefined) {
        drillQueue.push(
          JSON.stringify({
            Type: 'Notification',
            MessageId: `m-${published.length}`,
            TopicArn: TOPIC,
            Subject: input.Subject,
            Message: input.Message,
            Timestamp: new Date().toISOString(),
            MessageAttributes: Object.fromEntries(
              Object.entries(input.MessageAttributes ?? {}).map(([k, v]) => [
                k,
                { Type: v?.DataType ?? 'String', Value: v?.StringValue ?? '' },
              ]),
            ),
          }),
        );
      }
      return { MessageId: `m-${published.length}` };
    },
  };
  return { client: client as unknown as SNSClient, published, drillQueue };
};

describe('scheduled drill, end to end (DynamoDB Local, s3rver, real evaluate handler)', () => {
  let dynamo: TestDynamoDb;
  let s3: Awaited<ReturnType<typeof startS3rver>>;
  let table: string;

  beforeAll(() => {
    dynamo = dynamoClient(inject('dynamoEndpoint'));
  });
  afterAll(() => dynamo.destroy());
  // A bucket and a table per test: each run is judged on its own record only.
  beforeEach(async () => {
    table = await createStateTable(dynamo);
    s3 = await startS3rver([BUCKET]);
  });
  afterEach(async () => {
    await deleteTable(dynamo, table);
    await s3.stop();
  });

  /**
   * A drill run whose evaluate handler runs `evaluated` (the drill plans from the real rules either way). `drilled`:
   * the rules to drill, planned from their docs, or from the shipped `drill-cases.json` as the deployed function does.
   */
  const runDrill = async (
    evaluated: readonly Rule[],
    drilled: { readonly ids: readonly string[]; readonly from: 'docs' | 'table' } = { ids: DRILLED, from: 'docs' },
    options: { readonly elevated?: 'real' | 'refusing'; readonly input?: { readonly rules?: readonly string[] } } = {},
  ) => {
    const topic = simulatedTopic();
    const sink = createAwsFindingSink(createS3EvidenceStore(s3.client, BUCKET), createSnsNotifier(topic.client, TOPIC));
    const ledger = createDynamoLedger(dynamo, table);
    const incidents = createDynamoIncidentStore(dynamo, table);
    const evaluate = createEvaluateHandler({
      ruleText: shippedRuleText((e) => {
        throw new Error(e);
      }),
      catalogue: buildCatalogue(evaluated),
      config: DEFAULT_DETECTION_CONFIG,
      counters: createDynamoCounterStore(dynamo, table),
      ledger,
      history: createDynamoHistoryStore(dynamo, table),
      incidents,
      sink,
      telemetry: quiet,
      drillKey: async () => KEY,
    });
    const batches: SQSEvent[] = [];
    // Simulated waiting: a long poll that finds nothing moves the drill's clock by its wait.
    let skewMs = 0;
    const reader: PageReader = {
      receive: async (waitSeconds) => {
        const bodies = topic.drillQueue.splice(0);
        if (bodies.length === 0) skewMs += waitSeconds * 1000;
        return bodies.flatMap((b, i): DrillPage[] => {
          const page = parseDrillPage(`r-${i}`, b);
          return page === undefined ? [] : [page];
        });
      },
      done: async () => {},
    };
    // The elevated-access check in process, as `drill --local` runs it: the real handler, IAM never read.
    const elevatedCheck = createElevatedHandler({
      iam: { read: async () => ({ ok: false, error: 'a drill never reads IAM' }) },
      memory: createDynamoGrantMemoryStore(dynamo, table),
      ledger,
      incidents,
      sink,
      resolutions: createSnsResolvedNotifier(topic.client, TOPIC),
      triage: createS3TriageStore(s3.client, BUCKET),
      clock: { now: () => Date.now() },
      home: { account: '111122223333', region: 'eu-west-1' },
      temporaryAccess: [],
      settings: DEFAULT_ELEVATED_SETTINGS,
      telemetry: quiet,
      drillKey: async () => (options.elevated === 'refusing' ? 'another-key-0123456789abcdef0123456789' : KEY),
    });
    const elevatedCalls: string[] = [];
    const drill = createDrillHandler({
      ...(options.elevated === undefined
        ? {}
        : {
            elevated: {
              invoke: async (message) => {
                elevatedCalls.push(String(message.step));
                return elevatedCheck(message);
              },
            },
          }),
      rules:
        drilled.from === 'docs'
          ? await withDocs(RULES.filter((r) => drilled.ids.includes(r.id)))
          : withTableCases(
              RULES.filter((r) => drilled.ids.includes(r.id)),
              JSON.parse(readFileSync('functions/drill/drill-cases.json', 'utf8')) as DrillCaseTable,
            ),
      detection: DEFAULT_DETECTION_CONFIG,
      drills: DEFAULT_DRILLS_CONFIG,
      drillKey: async () => KEY,
      // The evaluate queue: each send is one SQS batch the real handler consumes.
      queue: {
        send: async (bodies) => {
          const batch = sqsBatch(bodies);
          batches.push(batch);
          const out = await evaluate(batch);
          expect(out.batchItemFailures).toEqual([]);
          return Date.now() - 1;
        },
      },
      pages: reader,
      evidence: createS3EvidenceProbe(s3.client, BUCKET),
      records: createS3DrillRecordStore(s3.client, BUCKET),
      clock: { now: () => Date.now() + skewMs },
      sleep: async (ms) => {
        skewMs += ms;
      },
      telemetry: quiet,
    });
    const outcome = await drill({ source: 'aws.events', 'detail-type': 'Scheduled Event', ...options.input });
    // The next health check reads drills/: a failed or overdue drill becomes a finding there.
    const health = createHealthHandler({
      trails: { observe: async () => [] },
      heartbeats: createDynamoHeartbeatStore(dynamo, table),
      ledger,
      incidents,
      sink,
      resolutions: { resolved: async () => {} },
      clock: { now: () => Date.now() },
      settings: DEFAULT_HEALTH_SETTINGS,
      home: { account: '111122223333', region: 'eu-west-1' },
      telemetry: quiet,
      drillRuns: createS3DrillRunSource(s3.client, BUCKET),
      drillOverdueDays: 35,
    });
    const checked = await health();
    return { outcome, topic, batches, checked, elevatedCalls };
  };

  const readRecord = async (key: string): Promise<DrillRunRecord> => {
    const got = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return JSON.parse((await got.Body?.transformToString()) ?? '{}') as DrillRunRecord;
  };

  it('records each rule passed with its latencies and SLA verdict, archived under drills/ and verified by `verify`', async () => {
    const { outcome, topic, batches, checked } = await runDrill(RULES);
    const { record, key } = outcome;
    // A passing run on record: the health check pages neither a failed nor an overdue drill.
    expect(checked.delivered).toEqual([]);
    expect(batches.length).toBe(3);
    expect(record.trigger).toBe('schedule');
    expect(record.status).toBe('passed');
    expect(record.counts).toEqual({ passed: 3, failed: 0, skipped: 0 });
    for (const r of record.rules) {
      expect(r.status).toBe('passed');
      if (r.status === 'skipped') continue;
      expect(r.sla).toBe('met');
      expect(r.archiveMs).toBeGreaterThanOrEqual(0);
      expect(r.pageMs).toBeGreaterThanOrEqual(0);
      expect(r.slaSeconds).toBe(r.severity === 'critical' ? 120 : 300);
      expect(r.evidenceKey).toMatch(/^findings\/dt=\d{4}-\d{2}-\d{2}\//);
    }
    // The record is the evidence: under drills/, its status in the key, the same bytes the function returned.
    expect(parseDrillRunKey(key)?.status).toBe('passed');
    expect(await readRecord(key)).toEqual(record);
    // A passing drill pages nobody: every publication is drill-marked.
    expect(topic.published.every((p) => p.attrs.drill === 'true')).toBe(true);

    // The hourly digest over the bucket, then `trailwarden verify s3://…` with the key the auditor keeps.
    const keys = await newSigner();
    const hourAhead = Date.now() + 3_600_000;
    const digest = createDigestHandler({
      store: createS3DigestStore(s3.client, BUCKET),
      signer: keys.signer,
      clock: { now: () => hourAhead },
      telemetry: quiet,
    });
    const written = await digest();
    expect(written.status).toBe('written');
    const anchor = join(tempTree(), 'anchor.pem');
    writeFileSync(anchor, keys.pem);
    const { io, stdout } = ioFor();
    const code = await verifyCommand([`s3://${BUCKET}`, '--public-key', anchor], io, () => undefined, {
      s3Client: async () => s3.client,
      now: () => hourAhead,
    });
    expect(stdout()).toMatch(/^verified: 1 digest, (\d+) of \1 evidence objects match the chain/m);
    expect(code).toBe(0);
    // Auditors list the runs: `trailwarden drills --source s3://…` reads the same record back.
    const listing = ioFor();
    const listedCode = await drillsCommand([`--source=s3://${BUCKET}`, '--rules'], listing.io, () => undefined, {
      s3Client: async () => s3.client,
    });
    expect(listedCode).toBe(0);
    expect(listing.stdout()).toContain(`passed     3    0    0 schedule  ${record.runId}`);
    expect(listing.stdout()).toMatch(
      /^ {4}PASS cloudtrail\.logging-stopped \(critical\) archived \d+\.\ds, paged \d+\.\ds, SLA 120s met$/m,
    );
    // `export` takes the run of its period into the package (and its digest): it verifies on its own.
    const day = record.startedAt.slice(0, 10);
    const out = join(tempTree(), 'export');
    const exporting = ioFor();
    const exported = await exportCommand(
      ['--from', day, '--to', day, '--out', out, `s3://${BUCKET}`],
      exporting.io,
      () => undefined,
      { s3Client: async () => s3.client },
    );
    expect(exporting.stderr()).toBe('');
    expect(exported).toBe(0);
    expect(readFileSync(join(out, key), 'utf8')).toBe(`${JSON.stringify(record, null, 2)}\n`);
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'digests/' }));
    const digestKey = listed.Contents?.[0]?.Key ?? '';
    const body = await (
      await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: digestKey }))
    ).Body?.transformToString();
    expect(body).toContain(key);
  });

  it('rules whose cases need config, an escalated criticality or 14 days of history pass in the scheduled drill: their overlay travels signed', async () => {
    // Each was a SKIP of the scheduled drill before overlays: self-protection (config), a rule that pages only at
    // high criticality, a learning rule that needs `serviceUsers` and a backdated preparation, approved regions.
    const ids = [
      'lambda.trailwarden-function-tampered',
      'signin.new-source',
      'iam.service-key-new-network',
      'ec2.unapproved-region',
    ];
    // The deployed config has none of what they need: only the signed overlays can make them fire.
    const { outcome, topic } = await runDrill(RULES, { ids, from: 'table' });
    const { record } = outcome;
    const byId = [...record.rules].sort((a, b) => a.ruleId.localeCompare(b.ruleId));
    expect(byId.map((r) => [r.ruleId, r.status, r.detail])).toEqual(
      [...ids].sort().map((id) => [id, 'passed', expect.stringMatching(/^archived after \d+ ms, paged after \d+ ms$/)]),
    );
    expect(record.counts).toEqual({ passed: 4, failed: 0, skipped: 0 });
    // Nothing reached the pager as real: every publication is drill-marked, and no drill was refused as forged.
    expect(topic.published.every((p) => p.attrs.drill === 'true')).toBe(true);
    expect(topic.published.some((p) => p.attrs.ruleId === 'trailwarden.forged-drill')).toBe(false);
  });

  it('drills the elevated-access check: the signed overdue step pages and archives, the revoked step resolves it', async () => {
    const { outcome, topic, elevatedCalls } = await runDrill(
      RULES,
      { ids: DRILLED, from: 'docs' },
      { elevated: 'real' },
    );
    const { record } = outcome;
    expect(record.status).toBe('passed');
    expect(record.counts).toEqual({ passed: 4, failed: 0, skipped: 0 });
    const elevated = record.rules.find((r) => r.ruleId === 'iam.temporary-access-not-revoked');
    expect(elevated).toMatchObject({ status: 'passed', severity: 'high', sla: 'met' });
    expect(elevated?.detail).toMatch(/^archived after \d+ ms, paged after \d+ ms, resolved$/);
    expect(elevatedCalls).toEqual(['overdue', 'revoked']);
    // Page and resolution both drill-marked: the pager never heard of it.
    const mine = topic.published.filter((p) => p.attrs.ruleId === 'iam.temporary-access-not-revoked');
    expect(mine.map((p) => [p.attrs.drill, p.attrs.kind])).toEqual([
      ['true', 'page'],
      ['true', 'resolved'],
    ]);
    // `{"rules": [...]}` naming only the check drills only the check (and is not "no drillable case").
    const only = await runDrill(
      RULES,
      { ids: DRILLED, from: 'docs' },
      { elevated: 'real', input: { rules: ['iam.temporary-access-not-revoked'] } },
    );
    expect(only.outcome.record.rules.map((r) => [r.ruleId, r.status])).toEqual([
      ['iam.temporary-access-not-revoked', 'passed'],
    ]);
  });

  it('an elevated-access check that refuses the drill (another key) fails the run, with the reason', async () => {
    const { outcome, elevatedCalls } = await runDrill(RULES, { ids: DRILLED, from: 'docs' }, { elevated: 'refusing' });
    const elevated = outcome.record.rules.find((r) => r.ruleId === 'iam.temporary-access-not-revoked');
    expect(elevated?.status).toBe('failed');
    expect(elevated?.detail).toMatch(/refused the drill: drill signature does not match/);
    expect(outcome.record.status).toBe('failed');
    expect(elevatedCalls).toEqual(['overdue']);
  });

  it('a rule that never fires fails the drill and raises a high finding that pages', async () => {
    // The catalogue the pipeline runs has one rule broken: its predicate never matches.
    const broken = RULES.map((r) => (r.id === 'cloudtrail.logging-stopped' ? { ...r, match: () => false } : r));
    const { outcome, topic, checked } = await runDrill(broken);
    const { record, key } = outcome;
    // The health check finds the failed run, and no passing one in 35 days: both are high findings.
    expect(checked.delivered.map((f) => f.ruleId).sort()).toEqual([
      'trailwarden.drill-failed',
      'trailwarden.drill-overdue',
    ]);
    expect(record.status).toBe('failed');
    expect(record.counts).toEqual({ passed: 2, failed: 1, skipped: 0 });
    const failed = record.rules.find((r) => r.ruleId === 'cloudtrail.logging-stopped');
    expect(failed).toMatchObject({ status: 'failed', sla: 'not-measured' });
    expect(failed?.detail).toMatch(/^no drill page on the drill subscription within 10 min$/);
    expect(parseDrillRunKey(key)?.status).toBe('failed');
    expect((await readRecord(key)).status).toBe('failed');
    const listing = ioFor();
    const code = await drillsCommand(['--source', `s3://${BUCKET}`, '--rules'], listing.io, () => undefined, {
      s3Client: async () => s3.client,
    });
    // The newest run failed: exit 1, and the failing rule says why.
    expect(code).toBe(1);
    expect(listing.stdout()).toContain(
      'FAIL cloudtrail.logging-stopped (critical) archived -, paged -, SLA 120s not-measured: no drill page',
    );

    // Paged like any other: not drill-marked, severity high, kind page; and archived under findings/.
    const page = topic.published.find((p) => p.attrs.ruleId === 'trailwarden.drill-failed');
    expect(page?.attrs).toMatchObject({ severity: 'high', kind: 'page', controls: '["A.8.16"]' });
    expect(page?.attrs.drill).toBeUndefined();
    expect(page?.body).toContain('cloudtrail.logging-stopped: no drill page');
    const archived = await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'findings/' }));
    const findingId = page?.attrs.findingId ?? 'none';
    expect((archived.Contents ?? []).some((o) => o.Key?.endsWith(`/high/${findingId}.json`))).toBe(true);
  });
});
