import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3TrailBucket } from '../../functions/shared/adapters/s3-trail-bucket.ts';
import { createTelemetry } from '../../functions/shared/telemetry.ts';
import type { TrailIntegrityDeps } from '../../functions/trail-integrity/trail-integrity.ts';
import { createHandler, parseTrailIntegrityEnv } from '../../functions/trail-integrity/trail-integrity.ts';
import type { Finding } from '../../rules/core/finding.ts';
import { createMemoryIncidentStore, createMemoryLedger } from '../../rules/core/memory.ts';
import { startS3rver } from '../support/s3rver.ts';
import type { Trail, TrailKeyPair } from '../support/trail-bucket.ts';
import { buildTrail, makeTrailKey, memoryTrailBucket, uploadTrail } from '../support/trail-bucket.ts';
import { sqsBatch } from './support.ts';

const BUCKET = 'org-cloudtrail';
const START = Date.UTC(2026, 10, 2, 1, 0, 7);
const HOURS = 4;
const LAST = START + (HOURS - 1) * 3_600_000;

let key: TrailKeyPair;
beforeAll(() => {
  key = makeTrailKey();
});

const objectCreated = (bucket: string, k: string) =>
  JSON.stringify({
    version: '0',
    id: `ev-${k.length}`,
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: '111122223333',
    region: 'eu-west-1',
    detail: { bucket: { name: bucket }, object: { key: k, size: 100 } },
  });

const setup = (trail: Trail, nowMs: number, bucketPort = memoryTrailBucket(BUCKET, trail.objects)) => {
  const delivered: Finding[] = [];
  const clock = { t: nowMs };
  const ledger = createMemoryLedger();
  const deps: TrailIntegrityDeps = {
    buckets: [{ bucket: BUCKET, prefix: trail.spec.prefix }],
    trail: bucketPort,
    publicKeys: async () => [key.publicKey],
    ledger,
    incidents: createMemoryIncidentStore(),
    sink: { deliver: async (f) => void delivered.push(f), fold: async () => {} },
    clock: { now: () => clock.t },
    stoppedAfterMs: 90 * 60_000,
    lookbackMs: 24 * 3_600_000,
    telemetry: createTelemetry(
      'test',
      () => {},
      () => 0,
    ),
  };
  return { handler: createHandler(deps), delivered, clock };
};

describe('trail-integrity handler', () => {
  it('a new untouched digest pages nothing; a new digest whose log file was deleted pages it once', async () => {
    const trail = buildTrail({ bucket: BUCKET, startMs: START, hours: HOURS, prefix: 'org' }, key);
    const { handler, delivered } = setup(trail, LAST + 5 * 60_000);
    const newest = trail.digestKeys.at(-1) ?? '';
    expect(await handler(sqsBatch([objectCreated(BUCKET, newest)]))).toEqual({ batchItemFailures: [] });
    expect(delivered).toEqual([]);

    const gone = trail.logKeys.at(-1) ?? '';
    trail.objects.delete(gone);
    // Delivered twice (EventBridge and SQS are at-least-once): one page.
    await handler(sqsBatch([objectCreated(BUCKET, newest)]));
    await handler(sqsBatch([objectCreated(BUCKET, encodeURIComponent(newest).replace(/%2F/g, '/'))]));
    expect(delivered).toEqual([
      expect.objectContaining({
        ruleId: 'cloudtrail.log-file-deleted',
        severity: 'critical',
        resources: [`s3://${BUCKET}/${gone}`],
      }),
    ]);
  });

  it('ignores objects of buckets or prefixes it does not watch, and log files', async () => {
    const trail = buildTrail({ bucket: BUCKET, startMs: START, hours: 2, prefix: 'org' }, key);
    trail.objects.delete(trail.logKeys[0] ?? '');
    const { handler, delivered } = setup(trail, LAST);
    const k = trail.digestKeys[0] ?? '';
    await handler(
      sqsBatch([
        objectCreated('other-bucket', k),
        objectCreated(BUCKET, trail.logKeys[1] ?? ''),
        objectCreated(BUCKET, k.replace(/^org\//, 'x/')),
      ]),
    );
    expect(delivered).toEqual([]);
  });

  it('the hourly run catches a digest deleted in the middle and digests that stopped arriving, once each', async () => {
    const trail = buildTrail({ bucket: BUCKET, startMs: START, hours: HOURS, prefix: 'org' }, key);
    trail.objects.delete(trail.digestKeys[1] ?? '');
    const { handler, delivered, clock } = setup(trail, LAST + 30 * 60_000);
    await handler({ 'detail-type': 'Scheduled Event', source: 'aws.events' });
    expect(delivered.map((f) => f.ruleId)).toEqual(['cloudtrail.digest-gap']);
    clock.t = LAST + 100 * 60_000;
    await handler({ 'detail-type': 'Scheduled Event', source: 'aws.events' });
    clock.t = LAST + 160 * 60_000;
    await handler({ 'detail-type': 'Scheduled Event', source: 'aws.events' });
    expect(delivered.map((f) => f.ruleId)).toEqual(['cloudtrail.digest-gap', 'cloudtrail.digest-delivery-stopped']);
  });

  it('a record it cannot read fails alone (partial batch response)', async () => {
    const trail = buildTrail({ bucket: BUCKET, startMs: START, hours: 2 }, key);
    const broken = {
      ...memoryTrailBucket(BUCKET, trail.objects),
      get: async () => Promise.reject(new Error('AccessDenied')),
    };
    const { handler } = setup(trail, LAST, broken);
    const batch = sqsBatch([objectCreated(BUCKET, trail.digestKeys[0] ?? ''), 'not json']);
    const res = await handler(batch);
    expect(res).toEqual({
      batchItemFailures: [
        { itemIdentifier: batch.Records[0]?.messageId },
        { itemIdentifier: batch.Records[1]?.messageId },
      ],
    });
  });

  it('parses its environment and fails fast on a bad one', () => {
    const env = {
      TABLE_NAME: 't',
      TOPIC_ARN: 'arn',
      EVIDENCE_BUCKET: 'e',
      TRAIL_BUCKETS: '[{"bucket":"b","prefix":""}]',
      DIGEST_LAG_MINUTES: '30',
    };
    expect(parseTrailIntegrityEnv(env)).toMatchObject({
      buckets: [{ bucket: 'b', prefix: '' }],
      stoppedAfterMs: 90 * 60_000,
    });
    expect(() => parseTrailIntegrityEnv({ ...env, TRAIL_BUCKETS: '["b"]' })).toThrow(/TRAIL_BUCKETS/);
    expect(() => parseTrailIntegrityEnv({ ...env, DIGEST_LAG_MINUTES: 'x' })).toThrow(/DIGEST_LAG_MINUTES/);
  });
});

describe('trail-integrity handler over S3 (s3rver)', () => {
  let s3: Awaited<ReturnType<typeof startS3rver>>;
  beforeAll(async () => {
    s3 = await startS3rver([BUCKET]);
  });
  afterAll(async () => s3.stop());

  it('validates a new digest read through the S3 adapter and pages an altered log file', async () => {
    const trail = buildTrail({ bucket: BUCKET, startMs: START, hours: 3 }, key);
    const victim = trail.logKeys[0] ?? '';
    const replacement = trail.objects.get(trail.logKeys[4] ?? '');
    if (replacement) trail.objects.set(victim, replacement);
    await uploadTrail(s3.client, BUCKET, trail.objects);
    await s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: trail.logKeys[1] }));
    const { handler, delivered } = setup(trail, START + 2 * 3_600_000, createS3TrailBucket(s3.client));
    await handler(sqsBatch([objectCreated(BUCKET, trail.digestKeys[0] ?? '')]));
    expect(delivered.map((f) => `${f.ruleId} ${f.resources[0]}`).sort()).toEqual(
      [
        `cloudtrail.log-file-altered s3://${BUCKET}/${victim}`,
        `cloudtrail.log-file-deleted s3://${BUCKET}/${trail.logKeys[1]}`,
      ].sort(),
    );
  });
});
