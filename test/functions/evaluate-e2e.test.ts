import type { S3Client } from '@aws-sdk/client-s3';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createHandler, loadCatalogue } from '../../functions/evaluate/evaluate.ts';
import { shippedRuleText } from '../../functions/evaluate/rule-text.ts';
import { createAwsFindingSink } from '../../functions/shared/adapters/aws-finding-sink.ts';
import { createDynamoCounterStore } from '../../functions/shared/adapters/dynamodb-counter-store.ts';
import { createDynamoHistoryStore } from '../../functions/shared/adapters/dynamodb-history-store.ts';
import { createDynamoIncidentStore } from '../../functions/shared/adapters/dynamodb-incident-store.ts';
import { createDynamoLedger } from '../../functions/shared/adapters/dynamodb-ledger.ts';
import { createS3EvidenceStore } from '../../functions/shared/adapters/s3-evidence-store.ts';
import { createSnsNotifier } from '../../functions/shared/adapters/sns-notifier.ts';
import { createTelemetry } from '../../functions/shared/telemetry.ts';
import type { DetectionConfig } from '../../rules/core/config.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../rules/core/config.ts';
import { lazyCatalogue } from '../../rules/core/lazy-catalogue.ts';
import { SELECTORS } from '../../rules/selectors.ts';
import { createStateTable, deleteTable, dynamoClient, type TestDynamoDb } from '../support/dynamodb.ts';
import { interceptCalls, readBarrier } from '../support/race.ts';
import { startS3rver } from '../support/s3rver.ts';
import { ctRecord, envelope, failedLogin, sqsBatch, stopLogging } from './support.ts';

const BUCKET = 'trailwarden-evidence';
const TOPIC = 'arn:aws:sns:us-east-1:111122223333:trailwarden-findings';

type Command = { constructor: { name: string }; input?: { Item?: { pk?: { S?: string } } } };
/**
 * Fail the next `times` calls of `commandName` (whose item key starts with `keyPrefix`, when given), as a
 * throttled or failing AWS API would.
 */
const failing = <C extends { send: (...args: never[]) => unknown }>(
  client: C,
  commandName: string,
  error: Error,
  times = 1,
  keyPrefix?: string,
): C => {
  let remaining = times;
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      return (command: Command, ...rest: unknown[]) => {
        const keyed = keyPrefix === undefined || (command.input?.Item?.pk?.S ?? '').startsWith(keyPrefix);
        if (command.constructor.name === commandName && keyed && remaining > 0) {
          remaining--;
          return Promise.reject(error);
        }
        return (target.send as (...a: unknown[]) => unknown).call(target, command, ...rest);
      };
    },
  });
};

/** As `failing`, for the DynamoDB port: fail the next `times` calls of `op` on items whose key starts with `keyPrefix`. */
const failingDynamo = <C extends TestDynamoDb>(client: C, op: string, error: Error, times = 1, keyPrefix = ''): C => {
  let remaining = times;
  return interceptCalls(client, (call) => (name, input) => {
    const pk = (input as { Item?: { pk?: { S?: string } } }).Item?.pk?.S ?? '';
    if (name === op && pk.startsWith(keyPrefix) && remaining > 0) {
      remaining--;
      return Promise.reject(error);
    }
    return call(name, input);
  });
};

const throttled = () =>
  Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
    name: 'ProvisionedThroughputExceededException',
  });

describe('evaluate handler end to end (DynamoDB Local, s3rver, mocked SNS)', () => {
  let dynamo: TestDynamoDb;
  let s3: Awaited<ReturnType<typeof startS3rver>>;
  let table: string;
  const sns = mockClient(SNSClient);

  beforeAll(async () => {
    dynamo = dynamoClient(inject('dynamoEndpoint'));
    s3 = await startS3rver([BUCKET]);
  });
  afterAll(async () => {
    dynamo.destroy();
    await s3.stop();
    sns.restore();
  });
  beforeEach(async () => {
    table = await createStateTable(dynamo);
    sns.reset();
    sns.on(PublishCommand).resolves({ MessageId: 'ok' });
  });
  afterEach(async () => {
    await deleteTable(dynamo, table);
  });

  const handlerWith = (opts: { dynamo?: TestDynamoDb; s3?: S3Client; config?: DetectionConfig } = {}) => {
    const db = opts.dynamo ?? dynamo;
    return createHandler({
      ruleText: shippedRuleText((e) => {
        throw new Error(e);
      }),
      // As deployed: the rules load on the first event one selects.
      catalogue: lazyCatalogue(SELECTORS, loadCatalogue),
      config: opts.config ?? DEFAULT_DETECTION_CONFIG,
      counters: createDynamoCounterStore(db, table),
      ledger: createDynamoLedger(db, table),
      history: createDynamoHistoryStore(db, table),
      incidents: createDynamoIncidentStore(db, table),
      sink: createAwsFindingSink(
        createS3EvidenceStore(opts.s3 ?? s3.client, BUCKET),
        createSnsNotifier(new SNSClient({ region: 'us-east-1' }), TOPIC),
      ),
      telemetry: createTelemetry('test', () => {}),
    });
  };

  const evidenceKeys = async () => {
    const out = await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'findings/' }));
    return (out.Contents ?? []).map((o) => o.Key);
  };
  const pagedRules = () =>
    sns.commandCalls(PublishCommand).map((c) => c.args[0].input.MessageAttributes?.ruleId?.StringValue);
  const bruteForce = (minute = 0) =>
    sqsBatch(
      [0, 1, 2, 3, 4, 5].map((i) =>
        JSON.stringify(envelope(failedLogin(`2026-11-02T10:${String(minute + i).padStart(2, '0')}:00Z`))),
      ),
    );
  const failedIds = (out: { batchItemFailures: { itemIdentifier: string }[] }) =>
    out.batchItemFailures.map((f) => f.itemIdentifier);
  const retryOf = (batch: SQSEvent, ids: string[]): SQSEvent => ({
    Records: batch.Records.filter((r) => ids.includes(r.messageId)),
  });

  it('a suppressed finding is archived, flagged, and never paged', async () => {
    const config: DetectionConfig = {
      ...DEFAULT_DETECTION_CONFIG,
      suppressions: [
        {
          ruleId: 'signin.console-login-failures',
          principal: 'arn:aws:iam::111122223333:user/bob',
          reason: 'Password manager rollout test account (CHG-2231)',
          expires: '2026-11-30',
        },
      ],
    };
    expect(await handlerWith({ config })(bruteForce())).toEqual({ batchItemFailures: [] });
    expect(pagedRules()).toEqual([]);
    const [key] = await evidenceKeys();
    // A threshold finding is archived at its count: its first state is already revision N (append-only keys).
    expect(key).toMatch(/^findings\/dt=2026-11-02\/high\/[0-9a-f]{32}(\.r\d+)?\.json$/);
    const archived = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(JSON.parse((await archived.Body?.transformToString()) ?? '{}')).toMatchObject({
      ruleId: 'signin.console-login-failures',
      suppression: { status: 'active', expires: '2026-11-30' },
    });
  });

  it('pages and archives a brute-force burst once, and folds a redelivered batch', async () => {
    const handler = handlerWith();
    const batch = bruteForce();
    expect(await handler(batch)).toEqual({ batchItemFailures: [] });
    expect(pagedRules()).toEqual(['signin.console-login-failures']);
    expect(await evidenceKeys()).toHaveLength(1);
    expect(await handler(batch)).toEqual({ batchItemFailures: [] });
    expect(pagedRules()).toHaveLength(1);
  });

  it('DynamoDB throttling mid-batch: failed records retried, counted once, paged once', async () => {
    const batch = bruteForce();
    // Other rules also count failed logins (password spraying): throttle the brute-force counter itself.
    const throttledDynamo = failingDynamo(dynamo, 'PutItem', throttled(), 1, 'counter#signin.console-login-failures#');
    const out = await handlerWith({ dynamo: throttledDynamo })(batch);
    // Every failed login of the burst is in the counter write that failed.
    expect(failedIds(out)).toEqual(batch.Records.map((r) => r.messageId));
    expect(pagedRules()).toEqual([]);
    expect(await handlerWith()(retryOf(batch, failedIds(out)))).toEqual({ batchItemFailures: [] });
    expect(pagedRules()).toEqual(['signin.console-login-failures']);
    expect(await handlerWith()(batch)).toEqual({ batchItemFailures: [] });
    expect(pagedRules()).toHaveLength(1);
  });

  it('SNS failure mid-batch: only the affected records fail; the retry pages exactly once', async () => {
    sns.reset();
    sns.on(PublishCommand).rejectsOnce(new Error('InternalErrorException')).resolves({ MessageId: 'ok' });
    const stop = JSON.stringify(envelope(stopLogging('2026-11-02T09:00:00Z')));
    const batch = sqsBatch([stop, ...bruteForce().Records.map((r) => r.body)]);
    const out = await handlerWith()(batch);
    expect(failedIds(out)).toEqual([batch.Records[0]?.messageId]);
    expect(await handlerWith()(retryOf(batch, failedIds(out)))).toEqual({ batchItemFailures: [] });
    const published = sns
      .commandCalls(PublishCommand)
      .map((c) => c.args[0].input.MessageAttributes?.ruleId?.StringValue);
    // First attempt at the StopLogging page failed; then the burst paged; then the retry paged StopLogging.
    expect(published).toEqual([
      'cloudtrail.logging-stopped',
      'signin.console-login-failures',
      'cloudtrail.logging-stopped',
    ]);
    expect(await evidenceKeys()).toHaveLength(2);
  });

  it('S3 failure mid-batch: nothing is paged before it is archived; the retry does both', async () => {
    const batch = bruteForce(30);
    const out = await handlerWith({ s3: failing(s3.client, 'PutObjectCommand', new Error('ServiceUnavailable')) })(
      batch,
    );
    // The five logins that crossed the threshold carry the finding; the sixth only counted, and is done.
    expect(failedIds(out)).toEqual(batch.Records.slice(0, 5).map((r) => r.messageId));
    expect(pagedRules()).toEqual([]);
    expect(await handlerWith()(retryOf(batch, failedIds(out)))).toEqual({ batchItemFailures: [] });
    expect(pagedRules()).toEqual(['signin.console-login-failures']);
  });

  it('behaviour memory in DynamoDB: a success after the burst pages as success-after-failures', async () => {
    await handlerWith()(bruteForce());
    const success = failedLogin('2026-11-02T10:07:00Z');
    const ok = {
      ...success,
      errorMessage: undefined,
      responseElements: { ConsoleLogin: 'Success' },
      additionalEventData: { ...success.additionalEventData, MFAUsed: 'Yes' },
    };
    // A fresh handler: the failures it needs are in DynamoDB, not in any handler's memory.
    expect(await handlerWith()(sqsBatch([JSON.stringify(envelope(ok))]))).toEqual({ batchItemFailures: [] });
    expect(pagedRules()).toEqual(['signin.console-login-failures', 'signin.success-after-failures']);
  });

  it('two handlers racing on one key never page twice', async () => {
    for (const user of ['carol', 'dave', 'erin']) {
      sns.resetHistory();
      const events = [0, 1, 2, 3, 4, 5].map((i) =>
        JSON.stringify(envelope(failedLogin(`2026-11-02T11:0${i}:00Z`, user))),
      );
      const [a, b] = [handlerWith(), handlerWith()];
      // Neither half crosses the threshold alone (5 in 10 min at medium criticality); together they do.
      await Promise.all([a(sqsBatch(events.slice(0, 3))), b(sqsBatch(events.slice(2)))]);
      await Promise.all([a(sqsBatch(events)), b(sqsBatch(events))]);
      expect(pagedRules()).toEqual(['signin.console-login-failures']);
    }
  });

  describe('incidents', () => {
    /** The bucket is shared by the whole file: the keys of one incident. */
    const incidentKeys = async (incidentId: string) => {
      const out = await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'incidents/' }));
      return (out.Contents ?? [])
        .map((o) => o.Key ?? '')
        .filter((k) => k.includes(incidentId))
        .sort();
    };
    const published = () =>
      sns.commandCalls(PublishCommand).map((c) => ({
        ruleId: c.args[0].input.MessageAttributes?.ruleId?.StringValue,
        kind: c.args[0].input.MessageAttributes?.kind?.StringValue,
        incidentId: c.args[0].input.MessageAttributes?.incidentId?.StringValue,
        findingId: c.args[0].input.MessageAttributes?.findingId?.StringValue ?? '',
      }));
    /** Holds every incident write until `readers` incident reads returned: the handlers really race. */
    const racing = (readers: number) => {
      let reads = 0;
      let open: () => void = () => {};
      const allRead = new Promise<void>((resolve) => {
        open = resolve;
      });
      type Keyed = { Key?: { pk?: { S?: string } }; Item?: { pk?: { S?: string } } };
      return interceptCalls(dynamo, (call) => async (op, input) => {
        const keyed = input as Keyed;
        if (op === 'PutItem' && keyed.Item?.pk?.S?.startsWith('incident#')) {
          await allRead;
          return call(op, input);
        }
        const out = await call(op, input);
        if (op === 'GetItem' && keyed.Key?.pk?.S?.startsWith('incident#')) {
          if (++reads >= readers) open();
        }
        return out;
      });
    };
    const mallory = (eventSource: string, eventName: string, eventTime: string, extra = {}) =>
      JSON.stringify(envelope(ctRecord({ eventSource, eventName, eventTime, ...extra })));

    it('two handlers receiving one actor’s findings at once: ONE incident, ONE page; a redelivery changes nothing', async () => {
      sns.resetHistory();
      const db = racing(2);
      const a = sqsBatch([JSON.stringify(envelope(stopLogging('2026-11-02T12:00:00Z')))]);
      // Another trail, so another finding (not a repeat), of the same severity: whoever wins the race pages.
      const b = sqsBatch([
        mallory('cloudtrail.amazonaws.com', 'DeleteTrail', '2026-11-02T12:01:00Z', {
          requestParameters: { name: 'arn:aws:cloudtrail:us-east-1:111122223333:trail/audit-trail' },
        }),
      ]);
      const outs = await Promise.all([handlerWith({ dynamo: db })(a), handlerWith({ dynamo: db })(b)]);
      expect(outs).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
      const first = published();
      expect(first.map((p) => p.ruleId)).toEqual(['cloudtrail.logging-stopped', 'cloudtrail.logging-stopped']);
      expect(first.filter((p) => p.kind === 'page')).toHaveLength(1);
      expect(first.filter((p) => p.kind === 'update')).toHaveLength(1);
      expect(new Set(first.map((p) => p.incidentId)).size).toBe(1);
      const incidentId = first[0]?.incidentId ?? '';
      expect(incidentId).toMatch(/^[0-9a-f]{32}$/);
      // Both states archived, append-only: the opening revision and the one with both findings.
      const keys = await incidentKeys(incidentId);
      expect(keys).toEqual([
        `incidents/dt=2026-11-02/${incidentId}.json`,
        `incidents/dt=2026-11-02/${incidentId}.r2.json`,
      ]);
      const last = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: keys[1] }));
      expect(JSON.parse((await last.Body?.transformToString()) ?? '{}')).toMatchObject({
        schema: 'trailwarden.incident/v1',
        id: incidentId,
        actorKey: 'arn:aws:iam::111122223333:user/mallory',
        revision: 2,
        pages: [{ kind: 'page' }],
      });
      // Every archived finding names its incident.
      const findingKeys = (await evidenceKeys()).filter((k) => first.some((p) => k?.includes(p.findingId)));
      expect(findingKeys).toHaveLength(2);
      for (const key of findingKeys) {
        const got = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
        expect(JSON.parse((await got.Body?.transformToString()) ?? '{}').incidentId).toBe(incidentId);
      }

      await Promise.all([handlerWith()(a), handlerWith()(b)]);
      expect(published()).toHaveLength(2);
      expect(await incidentKeys(incidentId)).toEqual(keys);
    });

    it('a failed page is retried as a page (not an update), and the incident is not archived twice', async () => {
      sns.reset();
      sns.on(PublishCommand).rejectsOnce(new Error('InternalErrorException')).resolves({ MessageId: 'ok' });
      const batch = sqsBatch([JSON.stringify(envelope(stopLogging('2026-11-02T13:00:00Z')))]);
      const out = await handlerWith()(batch);
      expect(failedIds(out)).toHaveLength(1);
      expect(await handlerWith()(retryOf(batch, failedIds(out)))).toEqual({ batchItemFailures: [] });
      expect(published().map((p) => p.kind)).toEqual(['page', 'page']);
      expect(await incidentKeys(published()[0]?.incidentId ?? '-')).toHaveLength(1);
    });
  });

  it('two handlers delivering the same finding at the same moment page once; the other retries', async () => {
    const batch = bruteForce(40);
    // Both handlers read the finding's ledger entry before either writes it.
    const raced = readBarrier(dynamo, 2, 'dedup#signin.console-login-failures|');
    const [a, b] = [handlerWith({ dynamo: raced }), handlerWith({ dynamo: raced })];
    const outs = await Promise.all([a(batch), b(batch)]);
    expect(pagedRules()).toEqual(['signin.console-login-failures']);
    // The loser left the finding to the winner's claim: the five messages that carry it come back to it.
    const retried = outs.map(failedIds).filter((ids) => ids.length > 0);
    expect(retried).toEqual([batch.Records.slice(0, 5).map((r) => r.messageId)]);
    expect(await handlerWith()(retryOf(batch, retried[0] ?? []))).toEqual({ batchItemFailures: [] });
    expect(pagedRules()).toEqual(['signin.console-login-failures']);
  });
});
