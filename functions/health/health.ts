import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { ConfigServiceClient, DescribeConfigurationRecorderStatusCommand } from '@aws-sdk/client-config-service';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import type { DrillCandidate, DrillRunRecord } from '../../rules/core/drill-run.ts';
import {
  DRILL_FINDING_DEDUP_MS,
  drillFailedOf,
  drillOverdueOf,
  lastPassedRun,
  parseDrillRunKey,
} from '../../rules/core/drill-run.ts';
import type { Finding } from '../../rules/core/finding.ts';
import type { HealthCandidate, HealthObservation, HealthSettings } from '../../rules/core/health.ts';
import { DEFAULT_HEALTH_SETTINGS, deriveHealth, silenceTransition } from '../../rules/core/health.ts';
import { DEFAULT_INCIDENT_CONFIG } from '../../rules/core/incident.ts';
import type {
  Clock,
  FindingLedger,
  FindingSink,
  HeartbeatStore,
  IncidentStore,
  RecorderStatusSource,
  ResolutionNotifier,
  TrailStatusSource,
} from '../../rules/core/ports.ts';
import { createAwsFindingSink } from '../shared/adapters/aws-finding-sink.ts';
import { checkFailure } from '../shared/adapters/check-errors.ts';
import { createCloudTrailStatusSource } from '../shared/adapters/cloudtrail-status-source.ts';
import { createConfigRecorderStatusSource } from '../shared/adapters/config-recorder-status-source.ts';
import { createDynamoHeartbeatStore } from '../shared/adapters/dynamodb-heartbeat-store.ts';
import { createDynamoIncidentStore } from '../shared/adapters/dynamodb-incident-store.ts';
import { createDynamoLedger } from '../shared/adapters/dynamodb-ledger.ts';
import { createS3DrillRunSource } from '../shared/adapters/s3-drill-runs.ts';
import { createS3EvidenceStore } from '../shared/adapters/s3-evidence-store.ts';
import { createSnsChatNotifier, withChatResolutions } from '../shared/adapters/sns-chat-notifier.ts';
import { createSnsNotifier } from '../shared/adapters/sns-notifier.ts';
import { createSnsResolvedNotifier } from '../shared/adapters/sns-resolved-notifier.ts';
import { parseHealthEnv } from '../shared/env.ts';
import type { Telemetry } from '../shared/telemetry.ts';
import { createTelemetry } from '../shared/telemetry.ts';

export interface HealthDeps {
  readonly trails: TrailStatusSource;
  /** Absent until the Config client can be installed (see config-recorder-status-source.ts). */
  readonly recorders?: RecorderStatusSource;
  readonly heartbeats: HeartbeatStore;
  readonly ledger: FindingLedger;
  /** Health findings form incidents too (actor `trailwarden:health`, apart from any attacker's). */
  readonly incidents: IncidentStore;
  readonly sink: FindingSink;
  readonly resolutions: ResolutionNotifier;
  readonly clock: Clock;
  readonly settings: HealthSettings;
  readonly home: { readonly account: string; readonly region: string };
  readonly telemetry: Telemetry;
  /**
   * The drill records (`drills/`): the newest passing run's start. With `drillOverdueDays`, no passing drill in
   * that many days is `trailwarden.drill-overdue` (alert tests not run, A.8.16).
   */
  readonly drillRuns?: DrillRunSource;
  readonly drillOverdueDays?: number;
}

export interface HealthReport {
  readonly delivered: readonly Finding[];
  readonly folded: readonly Finding[];
  readonly duplicates: number;
  readonly resolved: readonly Finding[];
  readonly failures: readonly string[];
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Scheduled: gather observations through the ports → derive findings (pure) → the same ledger and sink path as
 * the evaluate function, so health findings page once and fold their repeats. Then the dead-man switch:
 * remember silences that paged, and announce `[RESOLVED]` once events arrive again. Any failure is reported
 * and makes the invocation fail (the Errors metric), after everything else was done.
 */
export const createHandler = (deps: HealthDeps) => async (): Promise<HealthReport> => {
  const { telemetry, home } = deps;
  const nowMs = deps.clock.now();
  const failures: string[] = [];
  const observe = async (name: string, source: { observe(): Promise<readonly HealthObservation[]> } | undefined) => {
    if (source === undefined) return [];
    try {
      return await source.observe();
    } catch (err) {
      return [checkFailure(home, name, name, err)];
    }
  };
  const [trails, recorders] = await Promise.all([
    observe('cloudtrail', deps.trails),
    observe('config', deps.recorders),
  ]);
  let heartbeats: Awaited<ReturnType<HeartbeatStore['list']>> = [];
  const heartbeatFailures: HealthObservation[] = [];
  try {
    heartbeats = await deps.heartbeats.list();
  } catch (err) {
    heartbeatFailures.push(checkFailure(home, 'heartbeat', 'state-table', err));
  }
  const observations: HealthObservation[] = [
    ...trails,
    ...recorders,
    ...heartbeatFailures,
    ...heartbeats.map((h) => ({
      kind: 'heartbeat' as const,
      account: h.account,
      region: h.region,
      lastEventMs: h.lastEventMs,
    })),
  ];

  const delivered: Finding[] = [];
  const folded: Finding[] = [];
  // Ids delivered now or earlier; those delivered now map to the finding as delivered (with its incident).
  const settled = new Map<string, Finding | undefined>();
  let duplicates = 0;
  for (const candidate of deriveHealth(observations, nowMs, deps.settings)) {
    try {
      const outcome = await admitAndDeliver(deps, candidate);
      if (outcome.kind === 'deliver') delivered.push(outcome.finding);
      else if (outcome.kind === 'fold') folded.push(candidate.finding);
      else duplicates++;
      settled.set(candidate.finding.id, outcome.kind === 'deliver' ? outcome.finding : undefined);
    } catch (err) {
      failures.push(`${candidate.finding.ruleId} ${candidate.finding.groupKey}: ${message(err)}`);
    }
  }

  if (deps.drillRuns !== undefined && deps.drillOverdueDays !== undefined) {
    try {
      for (const candidate of await drillCandidates(deps.drillRuns, nowMs, deps.drillOverdueDays, home)) {
        const outcome = await admitAndDeliver(deps, candidate);
        if (outcome.kind === 'deliver') delivered.push(outcome.finding);
        else if (outcome.kind === 'fold') folded.push(candidate.finding);
        else duplicates++;
      }
    } catch (err) {
      failures.push(`drill records: ${message(err)}`);
    }
  }

  const resolved: Finding[] = [];
  for (const h of heartbeats) {
    const beat = { kind: 'heartbeat' as const, account: h.account, region: h.region, lastEventMs: h.lastEventMs };
    const t = silenceTransition(beat, h.silence, nowMs, deps.settings);
    try {
      if (t?.kind === 'open' && settled.has(t.candidate.finding.id)) {
        await deps.heartbeats.markSilent(h.account, h.region, {
          findingId: t.candidate.finding.id,
          lastEventMs: h.lastEventMs,
          finding: settled.get(t.candidate.finding.id) ?? t.candidate.finding,
        });
      } else if (t?.kind === 'resolve') {
        const at = new Date(t.resumedAtMs).toISOString();
        await deps.resolutions.resolved(t.silence.finding, at, `events from ${h.account}/${h.region} resumed at ${at}`);
        await deps.heartbeats.clearSilence(h.account, h.region, t.silence.findingId);
        resolved.push(t.silence.finding);
      }
    } catch (err) {
      failures.push(`silence ${h.account}/${h.region}: ${message(err)}`);
    }
  }

  for (const f of delivered) {
    telemetry.log('info', 'health finding delivered', { findingId: f.id, ruleId: f.ruleId, severity: f.severity });
    telemetry.count({ Findings: 1 }, { ruleId: f.ruleId });
  }
  for (const f of resolved) telemetry.log('info', 'health finding resolved', { findingId: f.id, ruleId: f.ruleId });
  for (const failure of failures) telemetry.log('error', 'health check step failed', { error: failure });
  telemetry.count({
    HealthObservations: observations.length,
    HealthFindings: delivered.length + folded.length + duplicates,
    Resolved: resolved.length,
    HealthFailures: failures.length,
  });
  if (failures.length > 0) throw new Error(`health check: ${failures.length} step(s) failed: ${failures.join('; ')}`);
  return { delivered, folded, duplicates, resolved, failures };
};

/** The drill records the health function reads (`drills/`, listing and reading only). */
export interface DrillRunSource {
  /** Keys of the runs started since `sinceMs` (by their `dt=` day). */
  keysSince(sinceMs: number): Promise<readonly string[]>;
  read(key: string): Promise<DrillRunRecord>;
}

/**
 * Failed runs of the last `DRILL_FINDING_DEDUP_MS / 2` (inside the ledger's dedup window, so every later check
 * is a duplicate of the first page), and the overdue check over the last `overdueDays`.
 */
const drillCandidates = async (
  source: DrillRunSource,
  nowMs: number,
  overdueDays: number,
  home: { readonly account: string; readonly region: string },
): Promise<DrillCandidate[]> => {
  const keys = await source.keysSince(nowMs - overdueDays * 86_400_000);
  const out: DrillCandidate[] = [];
  for (const key of keys) {
    const run = parseDrillRunKey(key);
    if (run?.status !== 'failed' || nowMs - run.startedMs > DRILL_FINDING_DEDUP_MS / 2) continue;
    const failed = drillFailedOf(await source.read(key), home, key);
    if (failed !== undefined) out.push(failed);
  }
  // After the failed runs: both share the drill actor's incident, and the failure is what the page should say.
  const overdue = drillOverdueOf(lastPassedRun(keys), nowMs, { overdueDays }, home);
  if (overdue !== undefined) out.push(overdue);
  return out;
};

/**
 * The detector's delivery path: admit → incident → archive the incident, deliver (then mark delivered) or fold;
 * a failed delivery releases.
 */
export const admitAndDeliver = async (
  deps: Pick<HealthDeps, 'ledger' | 'incidents' | 'sink'>,
  c: HealthCandidate,
): Promise<{ readonly kind: 'deliver'; readonly finding: Finding } | { readonly kind: 'fold' | 'duplicate' }> => {
  const admission = await deps.ledger.admit(c.finding, c.dedupKey, c.dedupWindowMs);
  if (admission.kind === 'deliver') {
    let finding = admission.finding;
    try {
      const [placed] = await deps.incidents.correlate([finding], DEFAULT_INCIDENT_CONFIG);
      if (placed === undefined || !placed.ok) throw new Error(placed?.ok === false ? placed.error : 'no incident');
      finding = { ...finding, incidentId: placed.incident.id };
      await deps.sink.incident?.(placed.incident);
      await deps.sink.deliver(finding, { incident: placed.incident, kind: placed.kind });
    } catch (err) {
      await deps.ledger.release(admission.finding, c.dedupKey).catch(() => {});
      throw err;
    }
    await deps.ledger.delivered(finding, c.dedupKey);
    return { kind: 'deliver', finding };
  }
  if (admission.kind === 'fold') {
    await deps.sink.fold(admission.finding);
    return { kind: 'fold' };
  }
  return { kind: 'duplicate' };
};

/** Built once per container. */
export const createDeps = (env: Readonly<Record<string, string | undefined>>): HealthDeps => {
  const parsed = parseHealthEnv(env);
  const dynamo = new DynamoDBClient({});
  const sns = new SNSClient({});
  const s3 = new S3Client({});
  const home = { account: parsed.account, region: parsed.region };
  const chat = parsed.chatTopicArn === undefined ? undefined : createSnsChatNotifier(sns, parsed.chatTopicArn);
  const resolutions = createSnsResolvedNotifier(sns, parsed.topicArn);
  return {
    trails: createCloudTrailStatusSource(new CloudTrailClient({}), parsed.trails, home),
    recorders: createConfigRecorderStatusSource(
      (
        (config) => () =>
          config.send(new DescribeConfigurationRecorderStatusCommand({}))
      )(new ConfigServiceClient({})),
      home,
    ),
    heartbeats: createDynamoHeartbeatStore(dynamo, parsed.tableName),
    ledger: createDynamoLedger(dynamo, parsed.tableName),
    incidents: createDynamoIncidentStore(dynamo, parsed.tableName),
    sink: createAwsFindingSink(
      createS3EvidenceStore(s3, parsed.evidenceBucket),
      createSnsNotifier(sns, parsed.topicArn),
      undefined,
      chat === undefined ? {} : { chat },
    ),
    resolutions: chat === undefined ? resolutions : withChatResolutions(resolutions, chat),
    clock: { now: () => Date.now() },
    settings: { ...DEFAULT_HEALTH_SETTINGS, deliveryLagMs: parsed.deliveryLagMs, silenceMs: parsed.silenceMs },
    home,
    telemetry: createTelemetry('trailwarden-health'),
    ...drillChecks(env, s3, parsed.evidenceBucket),
  };
};

/** `DRILL_OVERDUE_DAYS` turns on the drill checks (the stack sets it with the drill function). */
const drillChecks = (
  env: Readonly<Record<string, string | undefined>>,
  s3: S3Client,
  bucket: string,
): Pick<HealthDeps, 'drillRuns' | 'drillOverdueDays'> => {
  const raw = env.DRILL_OVERDUE_DAYS;
  if (raw === undefined || raw === '') return {};
  const days = Number(raw);
  if (!Number.isInteger(days) || days < 1)
    throw new Error(`DRILL_OVERDUE_DAYS must be a whole number >= 1 (got ${raw})`);
  return { drillRuns: createS3DrillRunSource(s3, bucket), drillOverdueDays: days };
};
