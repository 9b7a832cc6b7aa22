import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { ConfigServiceClient, DescribeConfigurationRecorderStatusCommand } from '@aws-sdk/client-config-service';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
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
import { createS3EvidenceStore } from '../shared/adapters/s3-evidence-store.ts';
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

/**
 * The detector's delivery path: admit → incident → archive the incident, deliver (then mark delivered) or fold;
 * a failed delivery releases. Shared with the trail-integrity function.
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
  const home = { account: parsed.account, region: parsed.region };
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
      createS3EvidenceStore(new S3Client({}), parsed.evidenceBucket),
      createSnsNotifier(sns, parsed.topicArn),
    ),
    resolutions: createSnsResolvedNotifier(sns, parsed.topicArn),
    clock: { now: () => Date.now() },
    settings: { ...DEFAULT_HEALTH_SETTINGS, deliveryLagMs: parsed.deliveryLagMs, silenceMs: parsed.silenceMs },
    home,
    telemetry: createTelemetry('trailwarden-health'),
  };
};
