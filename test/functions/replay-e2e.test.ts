import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { shippedRuleText } from '../../functions/evaluate/rule-text.ts';
import type { DetectResult, ReplayDeps, SelectInput, SelectResult } from '../../functions/replay/replay.ts';
import { createReplayHandler, manifestKey } from '../../functions/replay/replay.ts';
import { createAwsFindingSink } from '../../functions/shared/adapters/aws-finding-sink.ts';
import { createDynamoCounterStore } from '../../functions/shared/adapters/dynamodb-counter-store.ts';
import { createDynamoHistoryStore } from '../../functions/shared/adapters/dynamodb-history-store.ts';
import { createDynamoIncidentStore } from '../../functions/shared/adapters/dynamodb-incident-store.ts';
import { createDynamoLedger } from '../../functions/shared/adapters/dynamodb-ledger.ts';
import { createS3EvidenceStore } from '../../functions/shared/adapters/s3-evidence-store.ts';
import { createSnsNotifier } from '../../functions/shared/adapters/sns-notifier.ts';
import { createTelemetry } from '../../functions/shared/telemetry.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../rules/core/config.ts';
import { parseRevision } from '../../rules/core/evidence.ts';
import type { Finding } from '../../rules/core/finding.ts';
import type { GeoLookup } from '../../rules/core/geo.ts';
import { catalogue, RULES } from '../../rules/index.ts';
import { jsonLinesOf, record, runCli, tempTree } from '../cli/helpers.ts';
import { createStateTable, deleteTable, dynamoClient, type TestDynamoDb } from '../support/dynamodb.ts';
import { startS3rver, withDelimiterListing } from '../support/s3rver.ts';

const TRAIL = 'org-trail-logs';
const WORK = 'trailwarden-replay-work';
const EVIDENCE = 'trailwarden-evidence';
const TOPIC = 'arn:aws:sns:us-east-1:111122223333:trailwarden-findings';
const ORG = 'o-exampleorg1';
const DAYS = ['2026-03-01', '2026-03-02', '2026-03-03'];

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * A trail bucket over three days: two accounts in the organisation layout, one in the account layout, two regions
 * each, hourly files. Noise no rule selects, failed-login bursts that straddle files and midnight, repeated
 * StopLogging calls that fold, open ingress rules; more than 1,000 events in all, so `scan` cuts several batches.
 */
const generateTrail = (seed: number): Map<string, Buffer | string> => {
  const rand = prng(seed);
  const files = new Map<string, unknown[]>();
  let n = 0;
  const id = () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
  const layouts = [
    { account: '111122223333', root: `AWSLogs/${ORG}/111122223333` },
    { account: '444455556666', root: `AWSLogs/${ORG}/444455556666` },
    { account: '777788889999', root: 'AWSLogs/777788889999' },
  ];
  const place = (account: string, region: string, ms: number, rec: Record<string, unknown>) => {
    const layout = layouts.find((l) => l.account === account) ?? layouts[0];
    // Delivered a few minutes later, into the file of the delivery hour and day.
    const delivered = new Date(ms + 5 * 60_000);
    const day = delivered.toISOString().slice(0, 10).replaceAll('-', '/');
    const hour = delivered.toISOString().slice(11, 13);
    const stamp = `${delivered.toISOString().slice(0, 10).replaceAll('-', '')}T${hour}00Z`;
    const key = `${layout?.root}/CloudTrail/${region}/${day}/${account}_CloudTrail_${region}_${stamp}_abc.json.gz`;
    const list = files.get(key) ?? [];
    list.push({ ...rec, eventID: id(), eventTime: iso(ms), awsRegion: region, recipientAccountId: account });
    files.set(key, list);
  };
  const start = Date.parse(`${DAYS[0]}T00:00:00Z`);
  const span = DAYS.length * 86_400_000 - 3 * 3600_000;
  for (const { account } of layouts) {
    for (const region of ['us-east-1', 'eu-west-1']) {
      for (let i = 0; i < 220; i++) {
        place(account, region, start + Math.floor(rand() * span), {
          ...record('cloudtrail/StartLogging'),
          eventSource: 'ec2.amazonaws.com',
          eventName: 'DescribeInstances',
          requestParameters: null,
        });
      }
    }
    // Failed logins: some bursts of 3-6 within minutes, some stragglers, around midnight too.
    for (let b = 0; b < 8; b++) {
      const at = b % 3 === 0 ? Date.parse(`${DAYS[1]}T23:55:00Z`) + b * 60_000 : start + Math.floor(rand() * span);
      const user = `user${b % 3}`;
      const size = 2 + Math.floor(rand() * 5);
      for (let k = 0; k < size; k++) {
        place(account, 'us-east-1', at + Math.floor(rand() * 4 * 60_000), {
          ...record('signin/ConsoleLogin-failure'),
          userIdentity: { type: 'IAMUser', accountId: account, principalId: 'AIDAEXAMPLE', userName: user },
          sourceIPAddress: `198.51.100.${1 + Math.floor(rand() * 20)}`,
        });
      }
    }
    // A sign-in that succeeds after three failures, the failures delivered in the hour before (another file):
    // behaviour memory the detect step carries across batches (history-cache.ts), judged as scan judges it.
    const night = Date.parse(`${DAYS[1]}T03:52:00Z`) + layouts.findIndex((l) => l.account === account) * 3600_000;
    const person = { type: 'IAMUser', accountId: account, principalId: 'AIDAEXAMPLE9', userName: 'user9' };
    for (let k = 0; k < 3; k++) {
      place(account, 'us-east-1', night + k * 60_000, {
        ...record('signin/ConsoleLogin-failure'),
        userIdentity: person,
        sourceIPAddress: '198.51.100.99',
      });
    }
    place(account, 'us-east-1', night + 9 * 60_000, {
      ...record('signin/ConsoleLogin'),
      userIdentity: person,
      sourceIPAddress: '198.51.100.99',
    });
    for (let k = 0; k < 4; k++) {
      place(account, 'eu-west-1', start + Math.floor(rand() * span), record('cloudtrail/StopLogging'));
      place(account, 'us-east-1', start + Math.floor(rand() * span), record('ec2/AuthorizeSecurityGroupIngress'));
    }
  }
  const out = new Map<string, Buffer | string>();
  for (const [key, records] of files) out.set(key, gzipSync(JSON.stringify({ Records: records })));
  // A poisoned file: not JSON at all, in the middle of the range.
  out.set(
    `AWSLogs/777788889999/CloudTrail/us-east-1/2026/03/02/777788889999_CloudTrail_us-east-1_20260302T1200Z_bad.json.gz`,
    gzipSync('{"Records":[{"eventVersion":"1.09", this is not JSON'),
  );
  // Outside the trail layout and the range: never listed.
  out.set('AWSLogs/777788889999/CloudTrail-Digest/us-east-1/2026/03/02/digest.json.gz', gzipSync('{}'));
  out.set(
    'AWSLogs/777788889999/CloudTrail/us-east-1/2026/02/20/777788889999_CloudTrail_us-east-1_20260220T1200Z_old.json.gz',
    gzipSync(JSON.stringify({ Records: [] })),
  );
  return out;
};

const shuffle = <T>(items: readonly T[], rand: () => number): T[] => {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
};

/** What must agree between a replay and a scan: everything but the id (a replay's ids are in its namespace). */
const comparable = (f: Finding) => ({
  ruleId: f.ruleId,
  severity: f.severity,
  account: f.account,
  region: f.region,
  groupKey: f.groupKey,
  eventIds: [...f.eventIds].sort(),
  count: f.count,
  firstSeen: f.firstSeen,
  lastSeen: f.lastSeen,
  threshold: f.threshold,
});
const byText = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));

const readJson = async (client: S3Client, bucket: string, key: string): Promise<unknown> => {
  const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return JSON.parse((await out.Body?.transformToString()) ?? 'null');
};
const listKeys = async (client: S3Client, bucket: string, prefix: string): Promise<string[]> => {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }),
    );
    for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
};

/** The latest state of each archived finding (highest revision per base key). */
const archivedFindings = async (client: S3Client, prefix: string): Promise<Finding[]> => {
  const latest = new Map<string, { key: string; revision: number }>();
  for (const key of await listKeys(client, EVIDENCE, prefix)) {
    const { base, revision } = parseRevision(key);
    const seen = latest.get(base);
    if (seen === undefined || seen.revision < revision) latest.set(base, { key, revision });
  }
  return Promise.all([...latest.values()].map(async ({ key }) => (await readJson(client, EVIDENCE, key)) as Finding));
};

describe('replay function end to end (DynamoDB Local, s3rver, mocked SNS) against scan', () => {
  let dynamo: TestDynamoDb;
  let s3: Awaited<ReturnType<typeof startS3rver>>;
  let table: string;
  const sns = mockClient(SNSClient);
  const trail = generateTrail(14);
  const logs: string[] = [];

  const deps = (): ReplayDeps => {
    const evidence = createS3EvidenceStore(s3.client, EVIDENCE);
    return {
      s3: withDelimiterListing(s3.client),
      workBucket: WORK,
      catalogue,
      rules: RULES,
      config: DEFAULT_DETECTION_CONFIG,
      counters: createDynamoCounterStore(dynamo, table),
      ledger: createDynamoLedger(dynamo, table),
      history: createDynamoHistoryStore(dynamo, table),
      incidents: createDynamoIncidentStore(dynamo, table),
      sink: (page) =>
        createAwsFindingSink(
          evidence,
          page ? createSnsNotifier(new SNSClient({ region: 'us-east-1' }), TOPIC) : { publish: async () => {} },
        ),
      ruleText: shippedRuleText(() => {}),
      telemetry: createTelemetry('test', (line) => logs.push(line)),
    };
  };

  beforeAll(async () => {
    dynamo = dynamoClient(inject('dynamoEndpoint'));
    s3 = await startS3rver([TRAIL, WORK, EVIDENCE]);
    table = await createStateTable(dynamo);
    sns.on(PublishCommand).resolves({ MessageId: 'ok' });
    for (const [key, body] of trail)
      await s3.client.send(new PutObjectCommand({ Bucket: TRAIL, Key: key, Body: body }));
  }, 60_000);
  afterAll(async () => {
    await deleteTable(dynamo, table);
    dynamo.destroy();
    await s3.stop();
    sns.restore();
  });

  it('plans, selects in a shuffled order (one batch redelivered), detects, and matches scan finding for finding', async () => {
    const handler = createReplayHandler(deps());
    const replayId = 'e2e-shuffled';
    const planned = (await handler({
      step: 'plan',
      replayId,
      bucket: TRAIL,
      prefix: '',
      from: DAYS[0] ?? '',
      to: DAYS[2] ?? '',
    })) as { manifestKey: string; files: number };
    const manifest = (await readJson(s3.client, WORK, manifestKey(replayId))) as { key: string; size: number }[];
    const logFiles = [...trail.keys()].filter((k) => k.includes('/CloudTrail/') && !k.includes('/2026/02/'));
    // Every log file of the range, both layouts, the poisoned one too; no digest, nothing from February.
    expect(manifest.map((m) => m.key).sort()).toEqual(logFiles.sort());
    expect(planned.files).toBe(logFiles.length);

    // The map's batches of 5 files, run in a shuffled order; one redelivered at the end.
    const batches: SelectInput[] = [];
    for (let i = 0; i < manifest.length; i += 5) {
      batches.push({
        Items: manifest.slice(i, i + 5),
        BatchInput: { step: 'select', replayId, bucket: TRAIL, from: DAYS[0] ?? '', to: DAYS[2] ?? '' },
      });
    }
    const order = shuffle(batches, prng(7));
    expect(order.map((b) => b.Items[0]?.key)).not.toEqual(batches.map((b) => b.Items[0]?.key));
    const results: SelectResult[] = [];
    for (const batch of [...order, order[0] as SelectInput]) results.push((await handler(batch)) as SelectResult);
    // The poisoned file is reported by name; its batch did not fail.
    const problems = results.flatMap((r) => r.problems);
    expect(problems.some((p) => p.file.endsWith('_bad.json.gz') && /JSON/i.test(p.message))).toBe(true);

    const detected = (await handler({
      step: 'detect',
      replayId,
      startedAt: '2026-12-07T02:00:00Z',
      page: false,
    })) as DetectResult;
    expect(detected.files).toBe(logFiles.length);
    expect(detected.problems.some((p) => p.file.endsWith('_bad.json.gz'))).toBe(true);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);

    const replayed = await archivedFindings(s3.client, `findings/dt=2026-12-07/replay=${replayId}/`);
    expect(replayed.length).toBeGreaterThan(5);
    expect(detected.findings).toBe(replayed.length);
    for (const f of replayed) expect(f.replay).toEqual({ id: replayId, day: '2026-12-07' });
    // Nothing landed outside the replay's partition.
    expect((await listKeys(s3.client, EVIDENCE, 'findings/')).every((k) => k.includes(`/replay=${replayId}/`))).toBe(
      true,
    );

    // `trailwarden scan` over the same files, downloaded as they are laid out in the bucket.
    const dir = tempTree();
    for (const key of logFiles) {
      mkdirSync(dirname(join(dir, key)), { recursive: true });
      writeFileSync(join(dir, key), trail.get(key) ?? '');
    }
    const scan = await runCli(['scan', join(dir, 'AWSLogs'), '--format', 'jsonl']);
    const scanned = jsonLinesOf(scan.stdout) as unknown as Finding[];
    expect(new Set(scanned.map((f) => f.ruleId))).toEqual(
      new Set([
        'signin.console-login-failures',
        'signin.success-after-failures',
        'cloudtrail.logging-stopped',
        'ec2.ingress-open-to-internet',
        'ec2.security-group-changed',
      ]),
    );
    expect(replayed.map(comparable).sort(byText)).toEqual(scanned.map(comparable).sort(byText));
    // Scan named the same poisoned file.
    expect(scan.stderr).toContain('_bad.json.gz');

    // The detect step again (a retried step): nothing new archived, the same count reported.
    const before = (await listKeys(s3.client, EVIDENCE, '')).length;
    const again = (await handler({
      step: 'detect',
      replayId,
      startedAt: '2026-12-07T02:00:00Z',
      page: false,
    })) as DetectResult;
    expect(again.findings).toBe(detected.findings);
    expect((await listKeys(s3.client, EVIDENCE, '')).length).toBe(before);
  }, 120_000);

  it('judges sign-ins with the IP data it is given, as the evaluate function does (not silently without it)', async () => {
    let opened = 0;
    const geo: GeoLookup = { lookup: () => undefined, source: 'test database' };
    const handler = createReplayHandler({
      ...deps(),
      intel: {
        geo: async () => {
          opened++;
          return geo;
        },
      },
    });
    const replayId = 'e2e-intel';
    const planned = (await handler({
      step: 'plan',
      replayId,
      bucket: TRAIL,
      prefix: '',
      from: DAYS[0] ?? '',
      to: DAYS[2] ?? '',
    })) as { manifestKey: string; files: number };
    const manifest = (await readJson(s3.client, WORK, manifestKey(replayId))) as { key: string; size: number }[];
    expect(manifest).toHaveLength(planned.files);
    await handler({
      Items: manifest,
      BatchInput: { step: 'select', replayId, bucket: TRAIL, from: DAYS[0] ?? '', to: DAYS[2] ?? '' },
    });
    expect(opened).toBe(0);
    const detected = (await handler({
      step: 'detect',
      replayId,
      startedAt: '2026-12-07T03:00:00Z',
      page: false,
    })) as DetectResult;
    // The trail's console sign-ins reach the place rules, which ask for the database.
    expect(opened).toBeGreaterThan(0);
    expect(detected.files).toBe(planned.files);
  }, 120_000);
});
