import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { parseDetectionConfig } from '../../rules/core/config.ts';
import type { ElevatedSettings, GrantMemory, TemporaryAccessEntry } from '../../rules/core/elevated-access.ts';
import { assessElevatedAccess, DEFAULT_ELEVATED_SETTINGS, ELEVATED_ACTOR } from '../../rules/core/elevated-access.ts';
import type { Finding } from '../../rules/core/finding.ts';
import type {
  ElevatedDrillMessage,
  ElevatedDrillStep,
  ObservationDrillVerdict,
} from '../../rules/core/observation-drill.ts';
import {
  drillMemoryKey,
  forgedObservationDrill,
  observationDrillInput,
  verifyObservationDrill,
} from '../../rules/core/observation-drill.ts';
import type {
  Clock,
  FindingLedger,
  FindingSink,
  GrantMemoryStore,
  IamStateReader,
  IncidentStore,
  ResolutionNotifier,
} from '../../rules/core/ports.ts';
import { triageBody, triageDecision, triageKey } from '../../rules/core/triage.ts';
import { cachedDrillKey } from '../evaluate/evaluate.ts';
import { admitAndDeliver } from '../health/health.ts';
import { createAwsFindingSink } from '../shared/adapters/aws-finding-sink.ts';
import { createDynamoGrantMemoryStore } from '../shared/adapters/dynamodb-grant-memory.ts';
import { createHttpDynamoDb } from '../shared/adapters/dynamodb-http.ts';
import { createDynamoIncidentStore } from '../shared/adapters/dynamodb-incident-store.ts';
import { createDynamoLedger } from '../shared/adapters/dynamodb-ledger.ts';
import { createIamReader } from '../shared/adapters/iam-reader.ts';
import { createS3EvidenceStore } from '../shared/adapters/s3-evidence-store.ts';
import { createS3TriageStore } from '../shared/adapters/s3-triage-store.ts';
import { createSnsNotifier } from '../shared/adapters/sns-notifier.ts';
import { createSnsResolvedNotifier } from '../shared/adapters/sns-resolved-notifier.ts';
import type { Telemetry } from '../shared/telemetry.ts';
import { createTelemetry } from '../shared/telemetry.ts';
import type { TriageStore } from '../triage/webhook.ts';

/**
 * Scheduled check (issue #11 family 8, A.8.2): read the account's live IAM state (read-only), decide with
 * rules/core/elevated-access.ts which temporary admin grants outlived their expiry, and take the findings down
 * the health function's path (ledger dedup → incident → evidence → SNS). An open finding whose grant is gone, or
 * whose expiry moved past now, is resolved: a `resolve` decision archived under `triage/` (source `trailwarden`,
 * append-only) and a `[RESOLVED]` notice. Checks the home account only (no member-account reader role grants IAM
 * reads; see README).
 */
export interface ElevatedDeps {
  readonly iam: IamStateReader;
  readonly memory: GrantMemoryStore;
  readonly ledger: FindingLedger;
  readonly incidents: IncidentStore;
  readonly sink: FindingSink;
  readonly resolutions: ResolutionNotifier;
  /** Where resolutions are archived (`triage/`, the Object-Lock bucket). */
  readonly triage: TriageStore;
  readonly clock: Clock;
  readonly home: { readonly account: string; readonly region: string };
  readonly temporaryAccess: readonly TemporaryAccessEntry[];
  readonly settings: ElevatedSettings;
  readonly telemetry: Telemetry;
  /**
   * The drill key (rules/core/drill-auth.ts), asked for only when an invocation claims to be a drill. Absent: no
   * drill observation is ever judged; every claim is refused as a forged drill.
   */
  readonly drillKey?: () => Promise<string>;
}

export interface ElevatedReport {
  readonly delivered: readonly Finding[];
  readonly duplicates: number;
  readonly folded: number;
  readonly resolved: readonly Finding[];
  readonly unreadable: readonly string[];
  readonly failures: readonly string[];
  /** For an invocation that claimed to be a drill: whether it was honoured (signed), and why not. */
  readonly drill?: {
    readonly honoured: boolean;
    readonly step?: ElevatedDrillStep;
    readonly run?: string;
    readonly reason?: string;
  };
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * The scheduled run reads the live IAM state. An invocation that claims to be a drill (a `drill` signature, or any
 * drill marker) is judged only if its signature verifies, and then in the drill namespace (observation-drill.ts);
 * otherwise it is refused and paged as `trailwarden.forged-drill`, and the state it carries is never judged.
 */
export const createHandler =
  (deps: ElevatedDeps) =>
  async (event?: unknown): Promise<ElevatedReport> => {
    const input = observationDrillInput(event);
    if (input.kind === 'none') return run(deps, undefined);
    const nowMs = deps.clock.now();
    let verdict: ObservationDrillVerdict;
    if (deps.drillKey === undefined) verdict = { ok: false, reason: 'this function has no drill key configured' };
    else {
      try {
        verdict = verifyObservationDrill(input, await deps.drillKey(), nowMs);
      } catch (err) {
        verdict = { ok: false, reason: `the drill key could not be loaded (${message(err)})` };
      }
    }
    if (verdict.ok) {
      const report = await run(deps, verdict.message);
      return { ...report, drill: { honoured: true, step: verdict.message.step, run: verdict.run } };
    }
    deps.telemetry.log('warn', 'drill observation refused: its state was not judged', { reason: verdict.reason });
    deps.telemetry.count({ ForgedDrills: 1 });
    const candidate = forgedObservationDrill(verdict.reason, deps.home, nowMs, verdict);
    const delivered: Finding[] = [];
    const failures: string[] = [];
    let duplicates = 0;
    let folded = 0;
    try {
      const result = await admitAndDeliver(deps, candidate);
      if (result.kind === 'deliver') delivered.push(result.finding);
      else if (result.kind === 'fold') folded++;
      else duplicates++;
    } catch (err) {
      failures.push(`forged drill finding: ${message(err)}`);
    }
    if (failures.length > 0) throw new Error(`elevated access check: ${failures.join('; ')}`);
    return {
      delivered,
      duplicates,
      folded,
      resolved: [],
      unreadable: [],
      failures,
      drill: { honoured: false, reason: verdict.reason, ...(verdict.run === undefined ? {} : { run: verdict.run }) },
    };
  };

/** One run: the live state (`drill` undefined), or a verified drill observation in the drill namespace. */
const run = async (deps: ElevatedDeps, drill: ElevatedDrillMessage | undefined): Promise<ElevatedReport> => {
  const { telemetry, home } = deps;
  const nowMs = deps.clock.now();
  const memoryKey = drill === undefined ? home.account : drillMemoryKey(home.account);
  const at = new Date(nowMs).toISOString();
  const failures: string[] = [];
  const delivered: Finding[] = [];
  const resolved: Finding[] = [];
  let duplicates = 0;
  let folded = 0;
  const finish = (unreadable: readonly string[]): ElevatedReport => {
    for (const f of delivered) {
      telemetry.log('info', 'elevated access finding delivered', { findingId: f.id, principal: f.actor.arn });
      telemetry.count({ Findings: 1 }, { ruleId: f.ruleId });
    }
    for (const failure of failures) telemetry.log('error', 'elevated access check step failed', { error: failure });
    telemetry.count({
      ElevatedFindings: delivered.length + duplicates + folded,
      Resolved: resolved.length,
      UnreadablePrincipals: unreadable.length,
      ElevatedFailures: failures.length,
    });
    if (failures.length > 0) {
      throw new Error(`elevated access check: ${failures.length} step(s) failed: ${failures.join('; ')}`);
    }
    return { delivered, duplicates, folded, resolved, unreadable, failures };
  };

  // A drill never reads IAM: it judges the state it was signed with, and nothing of the live state.
  const state: Awaited<ReturnType<IamStateReader['read']>> =
    drill === undefined
      ? await deps.iam.read()
      : { ok: true, principals: drill.principals.map((principal) => ({ ok: true as const, principal })) };
  if (!state.ok) {
    // Nothing could be listed: nothing is known, so nothing is resolved and nothing remembered is dropped.
    failures.push(`iam listing: ${state.error}`);
    return finish([]);
  }
  const loaded = await deps.memory.load(memoryKey);
  const outcome = assessElevatedAccess({
    account: home.account,
    region: home.region,
    principals: state.principals,
    // The deployed temporaryAccess entries name real principals: a drill's grantee is marked by its own tag.
    config: drill === undefined ? deps.temporaryAccess : [],
    memory: loaded.memory,
    nowMs,
    settings: deps.settings,
    ...(drill === undefined ? {} : { drill: true }),
  });
  for (const u of outcome.unreadable) {
    telemetry.log('error', 'principal could not be read; its grants are unknown, not revoked', u);
  }

  // Resolutions first: a resolution that could not be archived keeps its open finding for the next run.
  const keep: GrantMemory[] = [];
  for (const r of outcome.resolutions) {
    try {
      const decision = triageDecision({
        target: r.memory.open.findingId,
        action: 'resolve',
        note: drill === undefined ? r.reason : `DRILL (run on a signed drill observation): ${r.reason}`,
        by: ELEVATED_ACTOR.arn,
        at,
        source: 'trailwarden',
      });
      if (!decision.ok) throw new Error(decision.errors.join('; '));
      await deps.triage.put(triageKey(decision.decision, at), triageBody(decision.decision));
      await deps.resolutions.resolved(r.memory.open.finding, at, r.reason);
      resolved.push(r.memory.open.finding);
    } catch (err) {
      failures.push(`resolve ${r.memory.open.findingId}: ${message(err)}`);
      keep.push(r.memory);
    }
  }

  // Remember before paging: a new finding's id (its opening time) must be the same on the next run even if
  // delivery fails now; a second run that overlaps this one loses the conditional write and does nothing.
  let memory: GrantMemory[] = [...outcome.memory, ...keep];
  let version = loaded.version;
  if (!(await deps.memory.save(memoryKey, memory, version))) {
    failures.push('another run changed the remembered grants first; this run delivered nothing');
    return finish(outcome.unreadable.map((u) => u.arn));
  }
  version += 1;

  const placed = new Map<string, Finding>();
  for (const candidate of outcome.candidates) {
    try {
      const result = await admitAndDeliver(deps, candidate);
      if (result.kind === 'deliver') {
        delivered.push(result.finding);
        placed.set(result.finding.id, result.finding);
      } else if (result.kind === 'fold') folded++;
      else duplicates++;
    } catch (err) {
      failures.push(`${candidate.finding.groupKey}: ${message(err)}`);
    }
  }
  // Keep the finding as paged (with its incident), so the resolution notice reaches the same pager incident.
  if (placed.size > 0) {
    memory = memory.map((m) => {
      const f = m.open === undefined ? undefined : placed.get(m.open.findingId);
      return f === undefined || m.open === undefined ? m : { ...m, open: { ...m.open, finding: f } };
    });
    try {
      if (!(await deps.memory.save(memoryKey, memory, version))) {
        failures.push('another run changed the remembered grants while this one paged');
      }
    } catch (err) {
      failures.push(`remember paged findings: ${message(err)}`);
    }
  }
  return finish(outcome.unreadable.map((u) => u.arn));
};

/** `GRACE_MINUTES` (0..1440, default 15) and `TEMPORARY_ACCESS` (the config's `temporaryAccess` list, JSON). */
export const parseElevatedEnv = (env: Readonly<Record<string, string | undefined>>) => {
  const need = (name: string): string => {
    const value = env[name];
    if (value === undefined || value === '') throw new Error(`environment variable ${name} is required`);
    return value;
  };
  const rawGrace = env.GRACE_MINUTES;
  const grace = rawGrace === undefined || rawGrace === '' ? DEFAULT_ELEVATED_SETTINGS.graceMinutes : Number(rawGrace);
  if (!Number.isInteger(grace) || grace < 0 || grace > 1440) {
    throw new Error(`GRACE_MINUTES must be a whole number of minutes from 0 to 1440 (got ${rawGrace})`);
  }
  let list: unknown;
  try {
    list = env.TEMPORARY_ACCESS ? JSON.parse(env.TEMPORARY_ACCESS) : undefined;
  } catch (err) {
    throw new Error(`TEMPORARY_ACCESS is not valid JSON: ${message(err)}`);
  }
  const parsed = parseDetectionConfig(list === undefined ? {} : { temporaryAccess: list }, 'TEMPORARY_ACCESS');
  if (!parsed.ok) throw new Error(`invalid TEMPORARY_ACCESS:\n${parsed.errors.join('\n')}`);
  return {
    tableName: need('TABLE_NAME'),
    topicArn: need('TOPIC_ARN'),
    evidenceBucket: need('EVIDENCE_BUCKET'),
    account: need('ACCOUNT_ID'),
    region: need('AWS_REGION'),
    graceMinutes: grace,
    temporaryAccess: parsed.config.temporaryAccess ?? [],
    drillKeySecret: env.DRILL_KEY_SECRET_ARN === '' ? undefined : env.DRILL_KEY_SECRET_ARN,
  };
};

/** Built once per container. */
export const createDeps = (env: Readonly<Record<string, string | undefined>>): ElevatedDeps => {
  const parsed = parseElevatedEnv(env);
  const dynamo = createHttpDynamoDb();
  const sns = new SNSClient({});
  const s3 = new S3Client({});
  return {
    iam: createIamReader(new IAMClient({})),
    memory: createDynamoGrantMemoryStore(dynamo, parsed.tableName),
    ledger: createDynamoLedger(dynamo, parsed.tableName),
    incidents: createDynamoIncidentStore(dynamo, parsed.tableName),
    sink: createAwsFindingSink(
      createS3EvidenceStore(s3, parsed.evidenceBucket),
      createSnsNotifier(sns, parsed.topicArn),
    ),
    resolutions: createSnsResolvedNotifier(sns, parsed.topicArn),
    triage: createS3TriageStore(s3, parsed.evidenceBucket),
    clock: { now: () => Date.now() },
    home: { account: parsed.account, region: parsed.region },
    temporaryAccess: parsed.temporaryAccess,
    settings: { ...DEFAULT_ELEVATED_SETTINGS, graceMinutes: parsed.graceMinutes },
    telemetry: createTelemetry('trailwarden-elevated-access'),
    ...(parsed.drillKeySecret === undefined
      ? {}
      : {
          // Loaded on the first drill invocation only; the schedule never needs it.
          drillKey: cachedDrillKey(async () => {
            const [{ SecretsManagerClient }, { createSecretsManagerDrillKey }] = await Promise.all([
              import('@aws-sdk/client-secrets-manager'),
              import('../shared/adapters/secrets-drill-key.ts'),
            ]);
            return createSecretsManagerDrillKey(new SecretsManagerClient({}), parsed.drillKeySecret ?? '')();
          }),
        }),
  };
};
