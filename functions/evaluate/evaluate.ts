import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import {
  accountLevels,
  cachedAccountCriticality,
  mergeAccountCriticality,
} from '../../rules/core/account-criticality.ts';
import type { DetectionConfig } from '../../rules/core/config.ts';
import type { BatchOutcome, IntelSource } from '../../rules/core/detector.ts';
import { createDetector } from '../../rules/core/detector.ts';
import { verifyDrillClaim } from '../../rules/core/drill-auth.ts';
import type { DrillOverlay } from '../../rules/core/drill-overlay.ts';
import { applyDrillOverlay, overlayKey, parseDrillOverlay } from '../../rules/core/drill-overlay.ts';
import type { Catalogue } from '../../rules/core/engine.ts';
import { toAuditEvent } from '../../rules/core/events.ts';
import { believableUntil, DEFAULT_CLOCK_SKEW_MS } from '../../rules/core/integrity.ts';
import { lazyCatalogue } from '../../rules/core/lazy-catalogue.ts';
import type {
  AccountCriticalitySource,
  Clock,
  CounterStore,
  FindingLedger,
  FindingSink,
  HeartbeatStore,
  HistoryStore,
  IncidentStore,
} from '../../rules/core/ports.ts';
import type { AuditEvent, RuleTextSource, Severity } from '../../rules/core/types.ts';
import { SELECTORS } from '../../rules/selectors.ts';
import { createDynamoCounterStore } from '../shared/adapters/dynamodb-counter-store.ts';
import { createDynamoHeartbeatStore } from '../shared/adapters/dynamodb-heartbeat-store.ts';
import { createDynamoHistoryStore } from '../shared/adapters/dynamodb-history-store.ts';
import { createHttpDynamoDb } from '../shared/adapters/dynamodb-http.ts';
import { createDynamoIncidentStore } from '../shared/adapters/dynamodb-incident-store.ts';
import { createDynamoLedger } from '../shared/adapters/dynamodb-ledger.ts';
import { parseEvaluateEnv } from '../shared/env.ts';
import { shippedIntel } from '../shared/intel.ts';
import type { Telemetry } from '../shared/telemetry.ts';
import { createTelemetry, EVALUATE_SERVICE } from '../shared/telemetry.ts';
import { monitoredRuleText } from './rule-text.ts';

export interface EvaluateDeps {
  readonly catalogue: Catalogue;
  readonly config: DetectionConfig;
  readonly counters: CounterStore;
  readonly ledger: FindingLedger;
  /** Behaviour-rule memory; must be shared across containers (DynamoDB), never per-container memory. */
  readonly history: HistoryStore;
  /** Incident correlation; shared across containers (DynamoDB), or concurrent handlers would page twice. */
  readonly incidents: IncidentStore;
  readonly sink: FindingSink;
  readonly telemetry: Telemetry;
  /** Descriptions and runbooks for findings (`rule-text.json`, read on the first finding). */
  readonly ruleText: RuleTextSource;
  /** Dead-man switch: the newest event time per account and region (absent: not recorded). */
  readonly heartbeats?: HeartbeatStore;
  /** Receive time (default: the system clock). */
  readonly clock?: Clock;
  /**
   * The drill key (see rules/core/drill-auth.ts), asked for only when a batch has an event claiming to be a
   * drill. Absent: no drill is ever honoured, every claim is a forged drill.
   */
  readonly drillKey?: () => Promise<string>;
  /**
   * Criticality from Organizations account tags (organisation deployment only; cached by the adapter). Config
   * wins; a failed read leaves the configured levels and counts `AccountTagErrors`.
   */
  readonly accountCriticality?: AccountCriticalitySource;
  /** The IP database and anonymiser list for the sign-in location rules (absent: those rules say nothing). */
  readonly intel?: IntelSource;
}

const withAccountCriticality = async (deps: EvaluateDeps, accounts: readonly string[]): Promise<DetectionConfig> => {
  if (deps.accountCriticality === undefined) return deps.config;
  const { levels, errors } = await accountLevels(deps.config, accounts, deps.accountCriticality);
  if (errors.length > 0) {
    deps.telemetry.log('warn', 'account tags not read: configured criticality used', { errors });
    deps.telemetry.count({ AccountTagErrors: errors.length });
  }
  return mergeAccountCriticality(deps.config, levels);
};

const SYSTEM_CLOCK: Clock = { now: () => Date.now() };

/**
 * The newest (non-drill) event time per account and region of a batch: one heartbeat write each. Events dated
 * after `ceilingMs` (receive time plus the allowed skew) are left out: one event dated 2100 would otherwise keep
 * the dead-man switch quiet for good.
 */
export const heartbeatsOf = (events: readonly AuditEvent[], ceilingMs = Number.POSITIVE_INFINITY) => {
  const newest = new Map<string, { account: string; region: string; timeMs: number }>();
  for (const e of events) {
    if (e.drill === true || !Number.isFinite(e.timeMs) || e.timeMs > ceilingMs) continue;
    const key = `${e.account}/${e.region}`;
    const seen = newest.get(key);
    if (seen === undefined || seen.timeMs < e.timeMs)
      newest.set(key, { account: e.account, region: e.region, timeMs: e.timeMs });
  }
  return [...newest.values()];
};

/**
 * Best effort: a failed heartbeat write is logged and counted but never fails the batch (its events were judged).
 * Persistent failure shows up as a silence finding, which is the safe side.
 */
const recordHeartbeats = async (
  deps: EvaluateDeps,
  events: readonly AuditEvent[],
  ceilingMs: number,
): Promise<void> => {
  if (deps.heartbeats === undefined) return;
  const beats = heartbeatsOf(events, ceilingMs);
  if (beats.length === 0) return;
  try {
    await deps.heartbeats.advance(beats);
  } catch (err) {
    deps.telemetry.log('warn', 'heartbeat not recorded', { error: err instanceof Error ? err.message : String(err) });
    deps.telemetry.count({ HeartbeatErrors: 1 });
  }
};

/** Counted per rule (dimension `ruleId`). */
const RULE_METRICS = ['Matches', 'Findings', 'Suppressed', 'Folded', 'RuleErrors'] as const;

type ParsedMessage =
  | { readonly kind: 'event'; readonly messageId: string; readonly event: AuditEvent }
  | { readonly kind: 'malformed'; readonly messageId: string; readonly error: string };

const parseMessage = (messageId: string, body: string): ParsedMessage => {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (err) {
    return {
      kind: 'malformed',
      messageId,
      error: `body is not JSON: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
  const parsed = toAuditEvent(value);
  return parsed.ok
    ? { kind: 'event', messageId, event: parsed.event }
    : { kind: 'malformed', messageId, error: parsed.error };
};

/**
 * SQS batch → EventBridge envelope → event → detector. Thin: all decisions are in the detector, all I/O in
 * adapters. A message that fails, for whatever reason, is returned in `batchItemFailures` so SQS retries it
 * and, after `maxReceiveCount`, moves it to the DLQ: nothing is dropped silently.
 */
export const createHandler =
  (deps: EvaluateDeps) =>
  async (batch: SQSEvent): Promise<SQSBatchResponse> => {
    const { telemetry } = deps;
    const parsed = batch.Records.map((r) => parseMessage(r.messageId, r.body));
    const failed = new Set<string>();
    for (const m of parsed) {
      if (m.kind !== 'malformed') continue;
      failed.add(m.messageId);
      telemetry.log('error', 'malformed record: it will be retried, then moved to the DLQ', {
        messageId: m.messageId,
        error: m.error,
      });
    }

    const receivedMs = (deps.clock ?? SYSTEM_CLOCK).now();
    const events = await authenticateDrills(
      deps,
      parsed.flatMap((m) => (m.kind === 'event' ? [m] : [])),
      receivedMs,
    );
    for (const m of events) {
      const notes = m.event.notes;
      if (notes === undefined) continue;
      // Judged without them (the findings say so too); counted so a shape change by AWS shows on a dashboard.
      telemetry.log('warn', 'record fields of the wrong type ignored', { messageId: m.messageId, notes });
      telemetry.count({ IgnoredFields: notes.length });
    }
    const messagesByEvent = new Map<string, string[]>();
    for (const m of events) messagesByEvent.set(m.event.id, [...(messagesByEvent.get(m.event.id) ?? []), m.messageId]);

    // One receive time for the whole batch: the detector and the heartbeat agree on what is future-dated.
    const config = await withAccountCriticality(
      deps,
      events.map((m) => m.event.account),
    );
    const skewMs =
      deps.config.clockSkewMinutes === undefined ? DEFAULT_CLOCK_SKEW_MS : deps.config.clockSkewMinutes * 60_000;
    const [outcome] = await Promise.all([
      judge(deps, config, events, receivedMs),
      recordHeartbeats(
        deps,
        events.map((m) => m.event),
        believableUntil(receivedMs, skewMs),
      ),
    ]);

    for (const f of outcome.failures) {
      telemetry.log('error', `${f.stage} failed: events will be retried`, { ...f });
      for (const id of f.eventIds) for (const messageId of messagesByEvent.get(id) ?? []) failed.add(messageId);
    }
    // Metrics are summed per batch: one EMF line per rule and per severity, not one per finding.
    const perRule = new Map<string, Record<(typeof RULE_METRICS)[number], number>>();
    const ruleCounts = (ruleId: string) => {
      let counts = perRule.get(ruleId);
      if (counts === undefined) {
        counts = { Matches: 0, Findings: 0, Suppressed: 0, Folded: 0, RuleErrors: 0 };
        perRule.set(ruleId, counts);
      }
      return counts;
    };
    const bySeverity = new Map<Severity, number>();
    for (const [ruleId, n] of Object.entries(outcome.matchesByRule)) ruleCounts(ruleId).Matches += n;
    // A rule that throws did not judge the event: retry, and keep it in the DLQ for replay once fixed.
    for (const e of outcome.ruleErrors) {
      telemetry.log('error', 'rule failed on an event', e);
      ruleCounts(e.ruleId).RuleErrors++;
      for (const messageId of messagesByEvent.get(e.eventId) ?? []) failed.add(messageId);
    }
    const byKind = { page: 0, escalation: 0, update: 0 };
    for (const f of outcome.delivered) {
      const notice = outcome.notices.get(f.id);
      telemetry.log('info', 'finding delivered', {
        findingId: f.id,
        ruleId: f.ruleId,
        severity: f.severity,
        drill: f.drill,
        suppression: f.suppression?.status,
        incidentId: f.incidentId,
        kind: notice?.kind,
      });
      if (notice) byKind[notice.kind]++;
      const counts = ruleCounts(f.ruleId);
      counts.Findings++;
      // Archived but not paged: the volume a suppression hides stays visible.
      if (f.suppression?.status === 'active') counts.Suppressed++;
      bySeverity.set(f.severity, (bySeverity.get(f.severity) ?? 0) + 1);
    }
    for (const f of outcome.folded) {
      telemetry.log('info', 'repeat folded into finding', { findingId: f.id, ruleId: f.ruleId, count: f.count });
      ruleCounts(f.ruleId).Folded++;
    }
    for (const [ruleId, counts] of perRule) telemetry.count(counts, { ruleId });
    for (const [severity, n] of bySeverity) telemetry.count({ FindingsBySeverity: n }, { severity });
    telemetry.count({
      EventsIn: events.length,
      Matches: outcome.matches,
      MalformedRecords: parsed.length - events.length,
      // Findings that could not be correlated, archived, paged or recorded as paged; their events are retried.
      DeliveryFailures: outcome.failures.filter(
        (f) => f.stage === 'ledger' || f.stage === 'incident' || f.stage === 'sink',
      ).length,
      // IP database or anonymiser list not loadable: the sign-in events are retried, then go to the DLQ.
      IntelFailures: outcome.failures.filter((f) => f.stage === 'intel').length,
      // The rules' chunk beside the bundle not loadable: every event a rule selects is retried, then the DLQ.
      RuleLoadFailures: outcome.failures.filter((f) => f.stage === 'rules').length,
      // Pages vs updates: what correlation saved the pager.
      IncidentPages: byKind.page,
      IncidentEscalations: byKind.escalation,
      IncidentUpdates: byKind.update,
      FailedRecords: failed.size,
    });
    return { batchItemFailures: [...failed].map((itemIdentifier) => ({ itemIdentifier })) };
  };

/**
 * The batch through the detector. Every event is judged with `config` (the deployed config), except verified drills
 * that carry an overlay: those are judged, apart, with the deployed config merged with their overlay, one detector
 * per distinct overlay. Only `authenticateDrills` sets `overlay`, and only on an event whose signature (which covers
 * the overlay) verified; the overlay is never stored, and the detector keeps drills in their own namespace.
 */
const judge = async (
  deps: EvaluateDeps,
  config: DetectionConfig,
  messages: readonly { readonly event: AuditEvent; readonly overlay?: DrillOverlay }[],
  receivedMs: number,
): Promise<BatchOutcome> => {
  const groups = new Map<string, { overlay: DrillOverlay | undefined; events: AuditEvent[] }>();
  for (const m of messages) {
    // Belt and braces: an overlay on anything but a verified drill is ignored, whatever set it.
    const overlay = m.event.drill === true ? m.overlay : undefined;
    const key = overlayKey(overlay);
    const group = groups.get(key) ?? { overlay, events: [] };
    group.events.push(m.event);
    groups.set(key, group);
  }
  const outcomes: BatchOutcome[] = [];
  for (const { overlay, events } of groups.values()) {
    const detector = createDetector({
      ...deps,
      config: applyDrillOverlay(config, overlay),
      clock: { now: () => receivedMs },
    });
    outcomes.push(await detector.process(events));
  }
  return mergeOutcomes(outcomes);
};

/** One outcome for the batch, from those of its overlay groups. */
export const mergeOutcomes = (outcomes: readonly BatchOutcome[]): BatchOutcome => {
  const matchesByRule: Record<string, number> = {};
  for (const o of outcomes)
    for (const [ruleId, n] of Object.entries(o.matchesByRule)) matchesByRule[ruleId] = (matchesByRule[ruleId] ?? 0) + n;
  return {
    matches: outcomes.reduce((n, o) => n + o.matches, 0),
    matchesByRule,
    delivered: outcomes.flatMap((o) => o.delivered),
    notices: new Map(outcomes.flatMap((o) => [...o.notices])),
    folded: outcomes.flatMap((o) => o.folded),
    duplicates: outcomes.reduce((n, o) => n + o.duplicates, 0),
    failures: outcomes.flatMap((o) => o.failures),
    ruleErrors: outcomes.flatMap((o) => o.ruleErrors),
  };
};

/**
 * Turns verified drill claims into drills and marks the others forged (the detector then judges them as real
 * events and raises `trailwarden.forged-drill`). The key is loaded only when some event claims to be a drill; a
 * key that cannot be loaded honours no drill, which is the safe side: the events page as real ones.
 */
const authenticateDrills = async <M extends { readonly event: AuditEvent }>(
  deps: EvaluateDeps,
  messages: readonly M[],
  receivedMs: number,
): Promise<(M & { readonly overlay?: DrillOverlay })[]> => {
  if (!messages.some((m) => m.event.drillClaim !== undefined)) return [...messages];
  let key: { ok: true; key: string } | { ok: false; reason: string };
  if (deps.drillKey === undefined) key = { ok: false, reason: 'this function has no drill key configured' };
  else {
    try {
      key = { ok: true, key: await deps.drillKey() };
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      deps.telemetry.log('error', 'drill key could not be loaded: drill claims are judged as real events', { error });
      deps.telemetry.count({ DrillKeyErrors: 1 });
      key = { ok: false, reason: `the drill key could not be loaded (${error})` };
    }
  }
  return messages.map((m) => {
    const claim = m.event.drillClaim;
    if (claim === undefined) return m;
    const verdict = key.ok
      ? verifyDrillClaim(claim, m.event, key.key, receivedMs)
      : { ok: false as const, reason: key.reason };
    // A signed overlay is still checked: a drill key holder may widen nothing beyond what a case can need.
    const overlay =
      verdict.ok && claim.kind === 'signed' && claim.overlay !== undefined
        ? parseDrillOverlay(claim.overlay)
        : undefined;
    if (verdict.ok && overlay?.ok === false) {
      return refused(deps, m, `drill overlay refused: ${overlay.reason}`);
    }
    if (verdict.ok) {
      return { ...m, event: { ...m.event, drill: true }, ...(overlay?.ok ? { overlay: overlay.overlay } : {}) };
    }
    return refused(deps, m, verdict.reason);
  });
};

const refused = <M extends { readonly event: AuditEvent }>(deps: EvaluateDeps, m: M, reason: string): M => {
  deps.telemetry.log('warn', 'drill claim not honoured: judged as a real event', { eventId: m.event.id, reason });
  return { ...m, event: { ...m.event, drill: false, forgedDrill: reason } };
};

/**
 * The drill key, cached per container for `ttlMs` (a rotated secret is picked up within that time). A failed load
 * is not cached: the next batch with a drill claim asks again.
 */
export const cachedDrillKey = (
  load: () => Promise<string>,
  now: () => number = Date.now,
  ttlMs = 15 * 60_000,
): (() => Promise<string>) => {
  let cached: { readonly key: Promise<string>; readonly at: number } | undefined;
  return () => {
    if (cached === undefined || now() - cached.at >= ttlMs) {
      const entry = { key: load(), at: now() };
      cached = entry;
      entry.key.catch(() => {
        if (cached === entry) cached = undefined;
      });
    }
    return cached.key;
  };
};

/**
 * S3 and SNS are needed only when a batch produces a finding, which most batches never do: their clients load
 * on first use instead of on every cold start (AWS's advice for rarely used dependencies). A failed load is
 * retried on the next finding.
 */
export const lazySink = (load: () => Promise<FindingSink>): FindingSink => {
  let sink: Promise<FindingSink> | undefined;
  const get = (): Promise<FindingSink> => {
    sink ??= load().catch((err: unknown) => {
      sink = undefined;
      throw err;
    });
    return sink;
  };
  return {
    deliver: async (finding, notice) => (await get()).deliver(finding, notice),
    fold: async (finding) => (await get()).fold(finding),
    incident: async (incident) => (await get()).incident?.(incident),
  };
};

/**
 * Organizations tags, through a client loaded on the first batch that needs one (never at cold start: the
 * Organizations client is not in the bundle's static imports), cached per account for `cacheMinutes`.
 */
const lazyAccountCriticality = (cacheMinutes: number): AccountCriticalitySource => {
  let inner: Promise<AccountCriticalitySource> | undefined;
  const loading: AccountCriticalitySource = {
    criticalityOf: async (account) => {
      inner ??= Promise.all([
        import('@aws-sdk/client-organizations'),
        import('../shared/adapters/organizations-account-tags.ts'),
      ]).then(([{ OrganizationsClient }, { createOrganizationsAccountCriticality }]) =>
        // Organizations is a global service served from us-east-1 (aws partition).
        createOrganizationsAccountCriticality(new OrganizationsClient({ region: 'us-east-1' })),
      );
      inner.catch(() => {
        inner = undefined;
      });
      return (await inner).criticalityOf(account);
    },
  };
  return cachedAccountCriticality(loading, SYSTEM_CLOCK, cacheMinutes * 60_000);
};

/** The registered rules' catalogue, as a chunk of its own beside the bundle (esbuild splits at this import). */
export const loadCatalogue = async (): Promise<Catalogue> => (await import('../../rules/index.ts')).catalogue;

/** Built once per container: clients, config and the catalogue are reused across invocations. */
export const createDeps = (env: Readonly<Record<string, string | undefined>>): EvaluateDeps => {
  const parsed = parseEvaluateEnv(env);
  const dynamo = createHttpDynamoDb();
  const telemetry = createTelemetry(EVALUATE_SERVICE);
  let readDrillKey: Promise<() => Promise<string>> | undefined;
  return {
    // The rules' code loads on the first event a rule selects (cold init compiles no rule: README, "Benchmark").
    catalogue: lazyCatalogue(SELECTORS, loadCatalogue),
    config: parsed.detection,
    counters: createDynamoCounterStore(dynamo, parsed.tableName),
    ledger: createDynamoLedger(dynamo, parsed.tableName),
    history: createDynamoHistoryStore(dynamo, parsed.tableName),
    incidents: createDynamoIncidentStore(dynamo, parsed.tableName),
    heartbeats: createDynamoHeartbeatStore(dynamo, parsed.tableName),
    clock: SYSTEM_CLOCK,
    ...(parsed.orgTags === undefined
      ? {}
      : { accountCriticality: lazyAccountCriticality(parsed.orgTags.cacheMinutes) }),
    ...(parsed.drillKeySecret === undefined
      ? {}
      : {
          // Loaded on the first drill claim, not at cold start: most containers never see one.
          drillKey: cachedDrillKey(async () => {
            readDrillKey ??= Promise.all([
              import('@aws-sdk/client-secrets-manager'),
              import('../shared/adapters/secrets-drill-key.ts'),
            ]).then(([{ SecretsManagerClient }, { createSecretsManagerDrillKey }]) =>
              createSecretsManagerDrillKey(new SecretsManagerClient({}), parsed.drillKeySecret ?? ''),
            );
            return (await readDrillKey)();
          }),
        }),
    sink: lazySink(async () => {
      const [{ S3Client }, { SNSClient }, { createAwsFindingSink }, { createS3EvidenceStore }, { createSnsNotifier }] =
        await Promise.all([
          import('@aws-sdk/client-s3'),
          import('@aws-sdk/client-sns'),
          import('../shared/adapters/aws-finding-sink.ts'),
          import('../shared/adapters/s3-evidence-store.ts'),
          import('../shared/adapters/sns-notifier.ts'),
        ]);
      const hub = parsed.securityHub;
      const importer =
        hub === undefined
          ? undefined
          : await Promise.all([
              import('@aws-sdk/client-securityhub'),
              import('../shared/adapters/securityhub-importer.ts'),
            ]).then(([{ SecurityHubClient }, { createSecurityHubImporter }]) =>
              createSecurityHubImporter(new SecurityHubClient({}), hub),
            );
      const sns = new SNSClient({});
      const chatTopicArn = parsed.chatTopicArn;
      const chat =
        chatTopicArn === undefined
          ? undefined
          : await import('../shared/adapters/sns-chat-notifier.ts').then(({ createSnsChatNotifier }) =>
              createSnsChatNotifier(sns, chatTopicArn),
            );
      return createAwsFindingSink(
        createS3EvidenceStore(new S3Client({}), parsed.evidenceBucket),
        createSnsNotifier(sns, parsed.topicArn),
        importer,
        {
          ...(chat === undefined ? {} : { chat }),
          // Paged and archived all the same; the count has an alarm, so a disabled Security Hub is noticed.
          onImportRejected: (finding, error) => {
            telemetry.log('error', 'Security Hub refused the finding: paged and archived without it', {
              findingId: finding.id,
              ruleId: finding.ruleId,
              error: error.message,
            });
            telemetry.count({ SecurityHubRejected: 1 });
          },
        },
      );
    }),
    intel: shippedIntel(parsed.detection, telemetry),
    telemetry,
    ruleText: monitoredRuleText(telemetry),
  };
};
