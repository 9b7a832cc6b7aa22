import { CloudTrailClient, ListPublicKeysCommand } from '@aws-sdk/client-cloudtrail';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { Finding } from '../../rules/core/finding.ts';
import type { Clock, FindingLedger, FindingSink, IncidentStore } from '../../rules/core/ports.ts';
import type { TrailPublicKey } from '../../rules/core/trail-digest.ts';
import { parseDigestKey } from '../../rules/core/trail-digest.ts';
import type { TrailIntegrityCandidate, TrailProblem } from '../../rules/core/trail-integrity.ts';
import { trailFinding } from '../../rules/core/trail-integrity.ts';
import type { TrailBucket, WalkOptions } from '../../rules/core/trail-walker.ts';
import { HOUR_MS, walkTrail } from '../../rules/core/trail-walker.ts';
import { admitAndDeliver } from '../health/health.ts';
import { createAwsFindingSink } from '../shared/adapters/aws-finding-sink.ts';
import { createHttpDynamoDb } from '../shared/adapters/dynamodb-http.ts';
import { createDynamoIncidentStore } from '../shared/adapters/dynamodb-incident-store.ts';
import { createDynamoLedger } from '../shared/adapters/dynamodb-ledger.ts';
import { createS3EvidenceStore } from '../shared/adapters/s3-evidence-store.ts';
import { createS3TrailBucket } from '../shared/adapters/s3-trail-bucket.ts';
import { createSnsNotifier } from '../shared/adapters/sns-notifier.ts';
import type { Telemetry } from '../shared/telemetry.ts';
import { createTelemetry } from '../shared/telemetry.ts';

/** A trail bucket the function watches, and the prefix before `AWSLogs/` ('' for none). */
export interface WatchedTrailBucket {
  readonly bucket: string;
  readonly prefix: string;
}

export interface TrailIntegrityDeps {
  readonly buckets: readonly WatchedTrailBucket[];
  readonly trail: TrailBucket;
  /** CloudTrail's public keys valid in [from, to]. */
  readonly publicKeys: (fromMs: number, toMs: number) => Promise<readonly TrailPublicKey[]>;
  readonly ledger: FindingLedger;
  readonly incidents: IncidentStore;
  readonly sink: FindingSink;
  readonly clock: Clock;
  /** Newest digest older than this: delivery stopped (1 h + the configured lag). */
  readonly stoppedAfterMs: number;
  /** How far back the hourly run looks for chains (default 24 h). */
  readonly lookbackMs: number;
  readonly telemetry: Telemetry;
}

export interface TrailIntegrityReport {
  readonly delivered: readonly Finding[];
  readonly problems: number;
  readonly digests: number;
  readonly logFiles: number;
}

/** The S3 "Object Created" event as EventBridge delivers it (bucket notifications to EventBridge enabled). */
interface ObjectCreated {
  readonly 'detail-type'?: string;
  readonly detail?: { readonly bucket?: { readonly name?: unknown }; readonly object?: { readonly key?: unknown } };
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Walk, turn each problem into a finding, deliver through the ledger (a problem already paged is a duplicate).
 * Throws when a delivery failed, after trying every other one, so the record (or the scheduled run) is retried.
 */
const validate = async (
  deps: TrailIntegrityDeps,
  options: Omit<WalkOptions, 'keys'>,
): Promise<TrailIntegrityReport> => {
  const nowMs = deps.clock.now();
  const keys = await deps.publicKeys(options.fromMs - HOUR_MS, options.toMs + HOUR_MS);
  const found: { problem: TrailProblem; candidate: TrailIntegrityCandidate }[] = [];
  const summary = await walkTrail(
    deps.trail,
    { ...options, keys: new Map(keys.map((k) => [k.fingerprint, k])) },
    (e) => {
      if (e.kind === 'problem')
        found.push({ problem: e.problem, candidate: trailFinding(e.problem, e.digestEndMs, nowMs) });
    },
  );
  const delivered: Finding[] = [];
  const failures: string[] = [];
  for (const { candidate } of found) {
    try {
      const outcome = await admitAndDeliver(deps, candidate);
      if (outcome.kind === 'deliver') delivered.push(outcome.finding);
    } catch (err) {
      failures.push(`${candidate.finding.ruleId} ${candidate.finding.resources.join(' ')}: ${message(err)}`);
    }
  }
  for (const f of delivered) {
    deps.telemetry.log('info', 'trail integrity finding delivered', {
      findingId: f.id,
      ruleId: f.ruleId,
      resources: f.resources,
    });
    deps.telemetry.count({ Findings: 1 }, { ruleId: f.ruleId });
  }
  deps.telemetry.count({
    TrailDigestsValidated: summary.digests.valid,
    TrailLogFilesValidated: summary.logs.valid,
    TrailIntegrityProblems: found.length,
    TrailIntegrityFailures: failures.length,
  });
  if (failures.length > 0)
    throw new Error(`trail integrity: ${failures.length} delivery(ies) failed: ${failures.join('; ')}`);
  return { delivered, problems: found.length, digests: summary.digests.valid, logFiles: summary.logs.valid };
};

/** One new digest: it, its link to the previous digest, and every log file it lists. */
export const validateNewDigest = async (deps: TrailIntegrityDeps, bucket: string, key: string) => {
  const watched = deps.buckets.find(
    (b) => b.bucket === bucket && key.startsWith(b.prefix === '' ? '' : `${b.prefix}/`),
  );
  const parts = parseDigestKey(key);
  // Only digests of a watched bucket and prefix; anything else on the bus is not ours to read.
  if (watched === undefined || parts === undefined || parts.prefix !== watched.prefix) return undefined;
  return validate(deps, {
    bucket,
    prefix: watched.prefix,
    fromMs: parts.endMs,
    toMs: parts.endMs - HOUR_MS,
    account: parts.account,
    region: parts.region,
  });
};

/** Hourly: every chain's digests of the last day (not the log files: each digest's were checked on arrival), and stopped delivery. */
export const catchUp = async (deps: TrailIntegrityDeps) => {
  const nowMs = deps.clock.now();
  const reports: TrailIntegrityReport[] = [];
  const failures: string[] = [];
  for (const b of deps.buckets) {
    try {
      reports.push(
        await validate(deps, {
          bucket: b.bucket,
          prefix: b.prefix,
          fromMs: nowMs - deps.lookbackMs,
          toMs: nowMs,
          checkLogs: false,
          stoppedAfterMs: deps.stoppedAfterMs,
          asOfMs: nowMs,
        }),
      );
    } catch (err) {
      failures.push(`s3://${b.bucket}/${b.prefix}: ${message(err)}`);
    }
  }
  if (failures.length > 0) throw new Error(`trail integrity catch-up failed: ${failures.join('; ')}`);
  return reports;
};

const isSqs = (event: unknown): event is SQSEvent =>
  Array.isArray((event as SQSEvent | null)?.Records) &&
  (event as SQSEvent).Records.every((r) => r.eventSource === 'aws:sqs');

/**
 * SQS batch of S3 "Object Created" events (one per new digest), or the hourly schedule. A record that cannot be
 * read or validated fails alone (partial batch response); after five tries it lands in the DLQ, which alarms.
 */
export const createHandler =
  (deps: TrailIntegrityDeps) =>
  async (event: unknown): Promise<SQSBatchResponse | { readonly catchUp: number }> => {
    if (!isSqs(event)) return { catchUp: (await catchUp(deps)).length };
    const batchItemFailures: { itemIdentifier: string }[] = [];
    for (const record of event.Records) {
      try {
        const body = JSON.parse(record.body) as ObjectCreated;
        const bucket = body.detail?.bucket?.name;
        const key = body.detail?.object?.key;
        if (typeof bucket !== 'string' || typeof key !== 'string') {
          // Not an S3 event: retrying cannot help; log it and let it go rather than poison the DLQ alarm.
          deps.telemetry.log('warn', 'not an S3 Object Created event', { messageId: record.messageId });
          deps.telemetry.count({ MalformedEvents: 1 });
          continue;
        }
        // EventBridge S3 events carry the key URL-encoded as in S3 notifications.
        await validateNewDigest(deps, bucket, decodeURIComponent(key.replace(/\+/g, ' ')));
      } catch (err) {
        deps.telemetry.log('error', 'trail integrity validation failed', {
          messageId: record.messageId,
          error: message(err),
        });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures };
  };

/** `TRAIL_BUCKETS`: JSON list of {bucket, prefix}. */
export const parseTrailIntegrityEnv = (env: Readonly<Record<string, string | undefined>>) => {
  const need = (name: string): string => {
    const v = env[name];
    if (v === undefined || v === '') throw new Error(`environment variable ${name} is required`);
    return v;
  };
  const buckets = JSON.parse(need('TRAIL_BUCKETS')) as unknown;
  if (
    !Array.isArray(buckets) ||
    !buckets.every((b) => typeof b?.bucket === 'string' && typeof b?.prefix === 'string')
  ) {
    throw new Error('TRAIL_BUCKETS must be a JSON list of {bucket, prefix}');
  }
  const lag = Number(need('DIGEST_LAG_MINUTES'));
  if (!Number.isInteger(lag) || lag < 0) throw new Error('DIGEST_LAG_MINUTES must be a whole number of minutes');
  return {
    tableName: need('TABLE_NAME'),
    topicArn: need('TOPIC_ARN'),
    evidenceBucket: need('EVIDENCE_BUCKET'),
    buckets: buckets as WatchedTrailBucket[],
    stoppedAfterMs: HOUR_MS + lag * 60_000,
  };
};

/** Built once per container. */
export const createDeps = (env: Readonly<Record<string, string | undefined>>): TrailIntegrityDeps => {
  const parsed = parseTrailIntegrityEnv(env);
  const dynamo = createHttpDynamoDb();
  const s3 = new S3Client({});
  const cloudtrail = new CloudTrailClient({});
  return {
    buckets: parsed.buckets,
    trail: createS3TrailBucket(s3),
    publicKeys: async (fromMs, toMs) => {
      const keys: TrailPublicKey[] = [];
      let token: string | undefined;
      do {
        const page = await cloudtrail.send(
          new ListPublicKeysCommand({
            StartTime: new Date(fromMs),
            EndTime: new Date(toMs),
            ...(token ? { NextToken: token } : {}),
          }),
        );
        for (const k of page.PublicKeyList ?? []) {
          if (k.Fingerprint !== undefined && k.Value !== undefined)
            keys.push({ fingerprint: k.Fingerprint, der: k.Value });
        }
        token = page.NextToken;
      } while (token !== undefined);
      return keys;
    },
    ledger: createDynamoLedger(dynamo, parsed.tableName),
    incidents: createDynamoIncidentStore(dynamo, parsed.tableName),
    sink: createAwsFindingSink(
      createS3EvidenceStore(s3, parsed.evidenceBucket),
      createSnsNotifier(new SNSClient({}), parsed.topicArn),
    ),
    clock: { now: () => Date.now() },
    stoppedAfterMs: parsed.stoppedAfterMs,
    lookbackMs: 24 * HOUR_MS,
    telemetry: createTelemetry('trailwarden-trail-integrity'),
  };
};
