import { buildFinding } from './build-finding.ts';
import type { DetectionConfig } from './config.ts';
import type { Catalogue, HistoryLookup } from './engine.ts';
import { evaluate } from './engine.ts';
import type { Finding } from './finding.ts';
import type { History, Sighting } from './history.ts';
import { viewBefore } from './history.ts';
import type { IntegrityCandidate } from './integrity.ts';
import { believableUntil, DEFAULT_CLOCK_SKEW_MS, forgedDrillOf, futureDatedOf } from './integrity.ts';
import { createMemoryHistoryStore } from './memory.ts';
import type {
  Clock,
  CounterRequest,
  CounterStore,
  FindingLedger,
  FindingSink,
  HistoryRequest,
  HistoryStore,
} from './ports.ts';
import { applySuppressions } from './suppressions.ts';
import type { AuditEvent, Rule, RuleContext, RuleTextSource, WindowSpec } from './types.ts';
import type { WindowEvent } from './window.ts';

/** How late (behind the newest event of a group) an event may arrive and still count: CloudTrail lags minutes. */
export const DEFAULT_LATENESS_MS = 60 * 60 * 1000;

export interface DetectorDeps {
  readonly catalogue: Catalogue;
  readonly config: DetectionConfig;
  readonly counters: CounterStore;
  readonly ledger: FindingLedger;
  readonly sink: FindingSink;
  /** Memory for behaviour rules; in memory unless given (the Lambda passes DynamoDB). */
  readonly history?: HistoryStore;
  readonly latenessMs?: number;
  /** Description and runbook per rule id, kept out of the rules themselves (see `RuleText`). */
  readonly ruleText?: RuleTextSource;
  /**
   * Receive time. With a clock, events dated after it (plus `config.clockSkewMinutes`) are future-dated: a
   * finding each, and their time counts as the receive time in windows and history. Without one (the CLI over
   * old log files), event times are taken as they are.
   */
  readonly clock?: Clock;
}

/**
 * Drills live in their own namespace: counters, history, dedup keys and finding ids of drill events never meet
 * those of real events, so a drill can neither fold a real finding nor pre-claim a real window. An event whose
 * drill claim was not honoured is judged as real, but in a namespace of its own too: it pages, and a genuine
 * event after it can never be folded into what the forger sent.
 */
export const namespaceOf = (e: AuditEvent): string =>
  e.drill === true ? 'drill|' : e.drillClaim !== undefined ? 'unverified-drill|' : '';

export type Stage = 'history' | 'counter' | 'ledger' | 'sink';

/** What one batch produced. `failures` name the events to retry; everything else is done. */
export interface BatchOutcome {
  readonly matches: number;
  /** `matches` by rule id: how often each rule's predicate matched, whether or not a finding followed. */
  readonly matchesByRule: Readonly<Record<string, number>>;
  readonly delivered: readonly Finding[];
  readonly folded: readonly Finding[];
  readonly duplicates: number;
  readonly failures: readonly {
    readonly stage: Stage;
    readonly eventIds: readonly string[];
    readonly error: string;
    /** The rule whose counters, or the finding whose archive or page, failed (not known for `history`). */
    readonly ruleId?: string;
    readonly findingId?: string;
  }[];
  readonly ruleErrors: readonly { readonly ruleId: string; readonly eventId: string; readonly error: string }[];
}

interface Match {
  readonly rule: Rule;
  readonly event: AuditEvent;
  readonly ctx: RuleContext;
}

interface Candidate {
  readonly finding: Finding;
  readonly dedupKey: string;
  readonly dedupWindowMs: number;
  /** Events of this batch the finding depends on: they are retried if delivering it fails. */
  readonly batchEventIds: readonly string[];
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The window in force for a match: risk-based thresholds pick by the asset's criticality. */
export const windowFor = (rule: Rule, ctx: RuleContext): WindowSpec => {
  const t = rule.threshold;
  if (t === null) return { count: 1, windowSeconds: 0 };
  return t.byCriticality?.[ctx.criticality] ?? { count: t.count, windowSeconds: t.windowSeconds };
};

/**
 * The detection pipeline shared by the CLI and the Lambda: evaluate (pure) → counters → dedup → sink.
 * Every side effect goes through a port, so the same code runs in memory or against AWS.
 */
export const createDetector = (deps: DetectorDeps) => {
  const latenessMs = deps.latenessMs ?? DEFAULT_LATENESS_MS;
  const historyStore = deps.history ?? createMemoryHistoryStore();
  const skewMs =
    deps.config.clockSkewMinutes === undefined ? DEFAULT_CLOCK_SKEW_MS : deps.config.clockSkewMinutes * 60_000;

  const process = async (events: readonly AuditEvent[]): Promise<BatchOutcome> => {
    const ruleErrors: { ruleId: string; eventId: string; error: string }[] = [];
    const failures: { stage: Stage; eventIds: string[]; error: string; ruleId?: string; findingId?: string }[] = [];
    const receivedMs = deps.clock?.now();
    const ceiling = receivedMs === undefined ? Number.POSITIVE_INFINITY : believableUntil(receivedMs, skewMs);
    // A future date must not move a window's watermark (which would age out every later real event) or a
    // behaviour memory: such an event counts as if it happened when it was received.
    const timeOf = (e: AuditEvent): number => (e.timeMs > ceiling ? (receivedMs ?? e.timeMs) : e.timeMs);
    const integrity = events.flatMap((e) => {
      const forged = forgedDrillOf(e, receivedMs ?? e.timeMs);
      const future = receivedMs === undefined ? undefined : futureDatedOf(e, receivedMs, skewMs);
      return [forged, future].flatMap((c) => (c === undefined ? [] : [integrityCandidate(c, e)]));
    });
    const historyOf = await loadHistories(deps.catalogue, historyStore, events, failures, timeOf, ruleErrors);
    const direct: Match[] = [];
    const counted = new Map<
      string,
      { request: CounterRequest; matches: Match[]; groupKey: string; spec: WindowSpec }
    >();

    for (const event of events) {
      for (const verdict of evaluate(deps.catalogue, deps.config, event, historyOf)) {
        if (verdict.kind === 'error')
          ruleErrors.push({ ruleId: verdict.rule.id, eventId: event.id, error: verdict.error });
        if (verdict.kind !== 'match') continue;
        const { rule, ctx } = verdict;
        if (rule.threshold === null) {
          direct.push({ rule, event, ctx });
          continue;
        }
        try {
          addCounted(counted, { rule, event, ctx }, latenessMs, timeOf(event));
        } catch (err) {
          ruleErrors.push({ ruleId: rule.id, eventId: event.id, error: message(err) });
        }
      }
    }

    const text = deps.ruleText ?? noText;
    const candidates: Candidate[] = [...integrity, ...direct.map((m) => directCandidate(m, text))];

    if (counted.size > 0) {
      const groups = [...counted.values()];
      let results: Awaited<ReturnType<CounterStore['observe']>>;
      try {
        results = await deps.counters.observe(groups.map((g) => g.request));
      } catch (err) {
        results = groups.map((g) => ({ key: g.request.key, ok: false as const, error: message(err) }));
      }
      for (const result of results) {
        const group = counted.get(result.key);
        if (group === undefined) continue;
        if (!result.ok) {
          failures.push({
            stage: 'counter',
            eventIds: group.matches.map((m) => m.event.id),
            error: result.error,
            ...(group.matches[0] ? { ruleId: group.matches[0].rule.id } : {}),
          });
          continue;
        }
        for (const fire of result.fires) candidates.push(thresholdCandidate(group, fire, text));
      }
    }

    const delivered: Finding[] = [];
    const folded: Finding[] = [];
    let duplicates = 0;
    candidates.sort((a, b) =>
      a.finding.firstSeen < b.finding.firstSeen ? -1 : a.finding.firstSeen > b.finding.firstSeen ? 1 : 0,
    );
    for (const candidate of candidates) {
      let stage: Stage = 'ledger';
      try {
        // Suppressed findings take the same path (dedup, archive); only the sink's paging looks at the flag.
        const finding = applySuppressions(candidate.finding, deps.config.suppressions);
        const admission = await deps.ledger.admit(finding, candidate.dedupKey, candidate.dedupWindowMs);
        stage = 'sink';
        if (admission.kind === 'deliver') {
          try {
            await deps.sink.deliver(admission.finding);
          } catch (err) {
            await deps.ledger.release(admission.finding, candidate.dedupKey).catch(() => {
              // The claim lapses on its own; the sink error is the one to report.
            });
            throw err;
          }
          stage = 'ledger';
          await deps.ledger.delivered(admission.finding, candidate.dedupKey);
          delivered.push(admission.finding);
        } else if (admission.kind === 'fold') {
          await deps.sink.fold(admission.finding);
          folded.push(admission.finding);
        } else {
          duplicates++;
        }
      } catch (err) {
        failures.push({
          stage,
          eventIds: [...candidate.batchEventIds],
          error: message(err),
          ruleId: candidate.finding.ruleId,
          findingId: candidate.finding.id,
        });
      }
    }

    const matchesByRule: Record<string, number> = {};
    for (const m of [...direct, ...[...counted.values()].flatMap((g) => g.matches)])
      matchesByRule[m.rule.id] = (matchesByRule[m.rule.id] ?? 0) + 1;
    const matches = Object.values(matchesByRule).reduce((n, c) => n + c, 0);
    return { matches, matchesByRule, delivered, folded, duplicates, failures, ruleErrors };
  };

  return { process };
};

const integrityCandidate = (c: IntegrityCandidate, e: AuditEvent): Candidate => ({ ...c, batchEventIds: [e.id] });

const historyKey = (rule: Rule, e: AuditEvent): string | undefined => {
  // Stryker disable next-line ConditionalExpression: equivalent, a null history throws below and is caught
  if (rule.history === null) return undefined;
  try {
    return `${namespaceOf(e)}${rule.id}#${rule.history.key(e)}`;
    // Stryker disable next-line BlockStatement: equivalent, an empty catch returns undefined all the same
  } catch {
    return undefined; // lookupIn() throws the same inside evaluate(), which reports it as a rule error
  }
};

/**
 * Before any predicate runs: add this batch's sightings to each behaviour key (one store call per key per
 * batch) and get back the merged history. Predicates then see only what happened before their event, so
 * the order of events inside a batch, and retries, do not change the outcome. A key the store cannot serve
 * fails its events for retry; the rule is skipped for them rather than run on a guess.
 */
const loadHistories = async (
  catalogue: Catalogue,
  store: HistoryStore,
  events: readonly AuditEvent[],
  failures: { stage: Stage; eventIds: string[]; error: string }[],
  timeOf: (e: AuditEvent) => number,
  ruleErrors: { ruleId: string; eventId: string; error: string }[],
): Promise<HistoryLookup> => {
  const requests = new Map<string, { request: HistoryRequest & { sightings: Sighting[] }; eventIds: string[] }>();
  for (const event of events) {
    for (const rule of catalogue.candidates(event)) {
      const key = historyKey(rule, event);
      if (key === undefined || rule.history === null) continue;
      let entry = requests.get(key);
      if (entry === undefined) {
        entry = { request: { key, spec: rule.history.spec, sightings: [] }, eventIds: [] };
        requests.set(key, entry);
      }
      entry.eventIds.push(event.id);
      let value: string | undefined;
      try {
        value = rule.history.remember(event);
      } catch (err) {
        // evaluate() never calls `remember`: its error is reported here, so the event is retried.
        ruleErrors.push({ ruleId: rule.id, eventId: event.id, error: message(err) });
      }
      if (value !== undefined)
        entry.request.sightings.push({ id: event.id, v: value, t: timeOf(event), last: timeOf(event) });
    }
  }
  if (requests.size === 0) return lookupIn(new Map());

  const entries = [...requests.values()];
  let results: Awaited<ReturnType<HistoryStore['record']>>;
  try {
    results = await store.record(entries.map((e) => e.request));
  } catch (err) {
    results = entries.map((e) => ({ key: e.request.key, ok: false as const, error: message(err) }));
  }
  const histories = new Map<string, History | 'unavailable'>();
  for (const result of results) {
    if (result.ok) histories.set(result.key, result.history);
    else {
      histories.set(result.key, 'unavailable');
      failures.push({ stage: 'history', eventIds: requests.get(result.key)?.eventIds ?? [], error: result.error });
    }
  }
  // A key the store did not answer for is as unknown as one it failed: skip the rule, retry the events.
  for (const [key, entry] of requests) {
    if (histories.has(key)) continue;
    histories.set(key, 'unavailable');
    failures.push({ stage: 'history', eventIds: entry.eventIds, error: `no answer from the history store for ${key}` });
  }
  return lookupIn(histories);
};

/**
 * The key is worked out again here, inside evaluate()'s guard, so a key function that throws is that rule's
 * error for the event (reported, and the event retried), never a silent skip or a run without memory.
 */
const lookupIn =
  (histories: ReadonlyMap<string, History | 'unavailable'>): HistoryLookup =>
  (rule, e) => {
    // Stryker disable next-line ConditionalExpression: equivalent, evaluate() asks only for rules with a history
    if (rule.history === null) return undefined;
    const history = histories.get(`${namespaceOf(e)}${rule.id}#${rule.history.key(e)}`);
    if (history === undefined || history === 'unavailable') return 'unavailable';
    return viewBefore(history, e);
  };

const addCounted = (
  counted: Map<string, { request: CounterRequest; matches: Match[]; groupKey: string; spec: WindowSpec }>,
  match: Match,
  latenessMs: number,
  t: number,
): void => {
  const { rule, event, ctx } = match;
  const threshold = rule.threshold;
  // Stryker disable next-line ConditionalExpression: equivalent, only threshold rules are counted (a type guard)
  if (threshold === null) return;
  const spec = windowFor(rule, ctx);
  const groupKey = threshold.groupBy(event);
  const key = `${namespaceOf(event)}${rule.id}#${groupKey}#${spec.count}/${spec.windowSeconds}`;
  const windowEvent: WindowEvent = threshold.distinct
    ? { id: event.id, t, d: threshold.distinct(event) }
    : { id: event.id, t };
  const existing = counted.get(key);
  if (existing) {
    existing.matches.push(match);
    (existing.request.events as WindowEvent[]).push(windowEvent);
    return;
  }
  const windowMs = spec.windowSeconds * 1000;
  counted.set(key, {
    request: { key, params: { count: spec.count, windowMs, horizonMs: windowMs + latenessMs }, events: [windowEvent] },
    matches: [match],
    groupKey,
    spec,
  });
};

const noText: RuleTextSource = () => undefined;

const directCandidate = ({ rule, event, ctx }: Match, text: RuleTextSource): Candidate => {
  const finding = buildFinding({
    text: text(rule.id),
    rule,
    event,
    ctx,
    groupKey: rule.dedup.key(event),
    windowStartMs: event.timeMs,
    idKey: `${namespaceOf(event)}${event.id}`,
    eventIds: [event.id],
    firstSeenMs: event.timeMs,
    lastSeenMs: event.timeMs,
    threshold: null,
  });
  return {
    finding,
    dedupKey: `${namespaceOf(event)}${rule.id}|${finding.groupKey}`,
    dedupWindowMs: rule.dedup.windowSeconds * 1000,
    batchEventIds: [event.id],
  };
};

const thresholdCandidate = (
  group: { matches: Match[]; groupKey: string; spec: WindowSpec },
  fire: { at: number; start: number; ids: readonly string[] },
  text: RuleTextSource,
): Candidate => {
  const inFire = new Set(fire.ids);
  const involved = group.matches.filter((m) => inFire.has(m.event.id));
  // The latest contributing event of this batch describes the finding (actor, resources, where).
  const representative =
    involved.reduce<Match | undefined>(
      (best, m) => (best === undefined || m.event.timeMs >= best.event.timeMs ? m : best),
      undefined,
    ) ?? (group.matches[group.matches.length - 1] as Match);
  const { rule, event, ctx } = representative;
  const finding = buildFinding({
    text: text(rule.id),
    rule,
    event,
    ctx,
    groupKey: group.groupKey,
    windowStartMs: fire.start,
    idKey: `${namespaceOf(event)}${group.groupKey}`,
    eventIds: fire.ids,
    firstSeenMs: fire.start,
    lastSeenMs: fire.at,
    threshold: group.spec,
  });
  return {
    finding,
    dedupKey: `${namespaceOf(event)}${rule.id}|${group.groupKey}`,
    dedupWindowMs: rule.dedup.windowSeconds * 1000,
    batchEventIds: involved.map((m) => m.event.id),
  };
};
