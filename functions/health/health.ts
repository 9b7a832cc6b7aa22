import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { ConfigServiceClient, DescribeConfigurationRecorderStatusCommand } from '@aws-sdk/client-config-service';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
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
import type { OrgAccount, OrgExpectation } from '../../rules/core/org-health.ts';
import { expectedPairs, inactiveAccounts, neverHeard, unheard } from '../../rules/core/org-health.ts';
import type {
  Clock,
  ExpectationStore,
  FindingLedger,
  FindingSink,
  HeartbeatStore,
  IncidentStore,
  OrgAccountSource,
  RecorderStatusSource,
  ResolutionNotifier,
  TrailStatusSource,
} from '../../rules/core/ports.ts';
import { createAwsFindingSink } from '../shared/adapters/aws-finding-sink.ts';
import { checkFailure } from '../shared/adapters/check-errors.ts';
import { createCloudTrailStatusSource } from '../shared/adapters/cloudtrail-status-source.ts';
import { createConfigRecorderStatusSource } from '../shared/adapters/config-recorder-status-source.ts';
import {
  createDynamoExpectationStore,
  createDynamoHeartbeatStore,
} from '../shared/adapters/dynamodb-heartbeat-store.ts';
import { createHttpDynamoDb } from '../shared/adapters/dynamodb-http.ts';
import { createDynamoIncidentStore } from '../shared/adapters/dynamodb-incident-store.ts';
import { createDynamoLedger } from '../shared/adapters/dynamodb-ledger.ts';
import type { DynamoDb } from '../shared/adapters/dynamodb-port.ts';
import { createMemberRecorderSource } from '../shared/adapters/member-recorder-source.ts';
import { createOrganizationsAccountSource } from '../shared/adapters/organizations-account-source.ts';
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
  /** Organisation deployment: the expected set, its remembered first expectations, member recorders. */
  readonly org?: OrgHealthDeps;
}

export interface OrgHealthDeps {
  readonly accounts: OrgAccountSource;
  readonly expectations: ExpectationStore;
  readonly expectation: OrgExpectation;
  /** Config recorders of the member accounts (through their reader role). */
  readonly memberRecorders?: { observe(accounts: readonly OrgAccount[]): Promise<readonly HealthObservation[]> };
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
  const listAccounts = async (): Promise<{ accounts?: readonly OrgAccount[]; failure?: HealthObservation }> => {
    if (deps.org === undefined) return {};
    try {
      return { accounts: await deps.org.accounts.accounts() };
    } catch (err) {
      return { failure: checkFailure(home, 'organizations:ListAccounts', 'deployment-targets', err) };
    }
  };
  const [trails, recorders, listing] = await Promise.all([
    observe('cloudtrail', deps.trails),
    observe('config', deps.recorders),
    listAccounts(),
  ]);
  const accounts = listing.accounts;
  let members: readonly HealthObservation[] = [];
  if (accounts !== undefined && deps.org?.memberRecorders !== undefined) {
    try {
      members = await deps.org.memberRecorders.observe(accounts);
    } catch (err) {
      members = [checkFailure(home, 'config:DescribeConfigurationRecorderStatus', 'member-accounts', err)];
    }
  }
  let heartbeats: Awaited<ReturnType<HeartbeatStore['list']>> = [];
  const heartbeatFailures: HealthObservation[] = [];
  try {
    heartbeats = await deps.heartbeats.list();
  } catch (err) {
    heartbeatFailures.push(checkFailure(home, 'heartbeat', 'state-table', err));
  }
  // A suspended or closing account's old heartbeat going quiet is expected, not a silence.
  const inactive = accounts === undefined ? new Set<string>() : inactiveAccounts(accounts);
  heartbeats = heartbeats.filter((h) => !inactive.has(h.account));
  const observations: HealthObservation[] = [
    ...trails,
    ...recorders,
    ...members,
    ...(listing.failure ? [listing.failure] : []),
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
  const candidates = [...deriveHealth(observations, nowMs, deps.settings)];
  // The expected set: an active account+region that never sent anything is missed too (only once the
  // heartbeats could be read: an unreadable table is its own finding, not a silence everywhere).
  if (deps.org !== undefined && accounts !== undefined && heartbeatFailures.length === 0) {
    const pairs = unheard(expectedPairs(accounts, deps.org.expectation.regions), heartbeats);
    try {
      const since =
        pairs.length === 0 ? new Map<string, number>() : await deps.org.expectations.firstExpected(pairs, nowMs);
      candidates.push(...neverHeard(pairs, since, nowMs, deps.org.expectation, deps.settings));
    } catch (err) {
      failures.push(`expected set: ${message(err)}`);
    }
  }
  for (const candidate of candidates) {
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
  const dynamo = createHttpDynamoDb();
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
    ...(parsed.org === undefined ? {} : { org: createOrgDeps(parsed.org, dynamo, parsed.tableName, home) }),
  };
};

/** Organizations is global (us-east-1 in the aws partition); member Config calls use the reader role. */
const createOrgDeps = (
  org: NonNullable<ReturnType<typeof parseHealthEnv>['org']>,
  dynamo: DynamoDb,
  tableName: string,
  home: { readonly account: string; readonly region: string },
): OrgHealthDeps => {
  const sts = new STSClient({});
  return {
    accounts: createOrganizationsAccountSource(new OrganizationsClient({ region: 'us-east-1' }), org.targets),
    expectations: createDynamoExpectationStore(dynamo, tableName),
    expectation: { regions: org.regions, graceMs: org.graceMs },
    memberRecorders: createMemberRecorderSource({
      roleName: org.readerRoleName,
      partition: org.partition,
      regions: org.regions,
      homeAccount: home.account,
      assume: async (roleArn) => {
        const out = await sts.send(
          new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'trailwarden-health', DurationSeconds: 900 }),
        );
        const c = out.Credentials;
        if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error(`no credentials for ${roleArn}`);
        return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
      },
      describe: (credentials, region) =>
        new ConfigServiceClient({ region, credentials }).send(new DescribeConfigurationRecorderStatusCommand({})),
    }),
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
