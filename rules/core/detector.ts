import { buildFinding } from './build-finding.ts';
import type { DetectionConfig } from './config.ts';
import { incidentConfigOf } from './config.ts';
import type { Catalogue, CatalogueOf, HistoryLookup, Selecting } from './engine.ts';
import { contextFor, describeError, evaluate } from './engine.ts';
import type { Finding } from './finding.ts';
import type { AnonymiserList, AnonymiserView, GeoLookup, RuleIntel } from './geo.ts';
import type { History, Sighting } from './history.ts';
import { viewBefore } from './history.ts';
import type { Incident } from './incident.ts';
import { byEventOrder } from './incident.ts';
import type { IntegrityCandidate } from './integrity.ts';
import { believableUntil, DEFAULT_CLOCK_SKEW_MS, forgedDrillOf, futureDatedOf } from './integrity.ts';
import type { KnownValues } from './known-values.ts';
import { createMemoryHistoryStore, createMemoryIncidentStore } from './memory.ts';
import type {
  Admission,
  Clock,
  CounterRequest,
  CounterStore,
  FindingLedger,
  FindingSink,
  HistoryRequest,
  HistoryStore,
  IncidentNotice,
  IncidentStore,
} from './ports.ts';
import { replayNamespace } from './replay.ts';
import { applySuppressions } from './suppressions.ts';
import type { AuditEvent, IntelNeed, MatchFacts, Rule, RuleContext, RuleTextSource, WindowSpec } from './types.ts';
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
  /** Incident correlation; in memory unless given (the Lambda passes DynamoDB). */
  readonly incidents?: IncidentStore;
  readonly latenessMs?: number;
  /** Description and runbook per rule id, kept out of the rules themselves (see `RuleText`). */
  readonly ruleText?: RuleTextSource;
  /**
   * Receive time. With a clock, events dated after it (plus `config.clockSkewMinutes`) are future-dated: a
   * finding each, and their time counts as the receive time in windows and history. Without one (the CLI over
   * old log files), event times are taken as they are.
   */
  readonly clock?: Clock;
  /** IP intelligence for the rules that read it (`Rule.intel`); absent: those rules say nothing. */
  readonly intel?: IntelSource;
}

/**
 * Where rules' IP intelligence comes from, each part asked for once per batch and only for a batch holding an event
 * that a rule reading it (`Rule.intel`) is a candidate for: the Lambda imports the IP database reader and opens its
 * files on the first sign-in, never at cold start. Adapters cache what they load.
 */
export interface IntelSource {
  readonly geo?: () => Promise<GeoLookup>;
  readonly anonymisers?: { readonly source: string; readonly load: () => Promise<AnonymiserList> };
}

/**
 * Drills live in their own namespace: counters, history, dedup keys and finding ids of drill events never meet
 * those of real events, so a drill can neither fold a real finding nor pre-claim a real window. An event whose
 * drill claim was not honoured is judged as real, but in a namespace of its own too: it pages, and a genuine
 * event after it can never be folded into what the forger sent. A replay's events (`replay.ts`) live in the
 * replay's namespace, drills or not.
 */
export const namespaceOf = (e: AuditEvent): string =>
  (e.replay === undefined ? '' : replayNamespace(e.replay)) +
  (e.drill === true ? 'drill|' : e.drillClaim !== undefined ? 'unverified-drill|' : '');

/**
 * Whether `process` can do anything with an event: some rule is a candidate for it, or it claims to be a drill
 * (the forged-drill check). Without a `clock` (the CLI), an event for which this is false adds nothing to a
 * batch: no history, no counter, no finding (with a clock any event may be future-dated). That is what lets
 * the parallel scan drop such events in its workers and still give exactly the findings of a one-thread scan.
 * Keep in step with `process` and `loadHistories`.
 */
export const actsOn = (catalogue: CatalogueOf<unknown>, e: AuditEvent): boolean =>
  e.drillClaim !== undefined || catalogue.candidates(e).length > 0;

/**
 * Whether a rule's verdict on an event follows from the event and the config alone: it keeps no memory
 * (`history`) and reads no IP intelligence (`intel`). Such a rule can be judged wherever the event is read; any
 * other rule must be judged by the detector, which holds the memory and loads the intelligence per batch.
 */
export const judgedAlone = (rule: Rule): boolean => rule.history === null && (rule.intel?.length ?? 0) === 0;

/**
 * A rule as `needsDetector` sees it: `alone` is the rule itself when it may be judged on the spot, `onlyNew` when
 * its history declares `onlyNewValues` (a repeat of a value it has seen needs no detector, `known-values.ts`).
 */
export interface Prejudged extends Selecting {
  readonly alone: Rule | undefined;
  readonly onlyNew?: Rule | undefined;
}

/** The catalogue's rules as `needsDetector` entries: each rule judged alone where `judgedAlone` allows. */
export const prejudgedOf = (rules: readonly Rule[]): Prejudged[] =>
  rules.map((rule) => ({
    id: rule.id,
    on: rule.on,
    alone: judgedAlone(rule) ? rule : undefined,
    onlyNew: rule.history?.onlyNewValues === true ? rule : undefined,
  }));

/**
 * `actsOn`, sharpened by judging on the spot the rules that need nothing but the event: false when every candidate
 * rule is judged alone and none of them matches (nor throws). Such an event adds nothing to a batch of a detector
 * without a `clock`: no history, no counter, no finding, no rule error; a match (even of a threshold rule), a
 * throw, a drill claim or any rule with memory or intelligence keeps the event, and the detector then judges it
 * again in full. What lets a scan drop most events where they are read, in a worker or before the detector.
 * With `known`, a repeat of a value an `onlyNewValues` rule has already seen is no reason to keep the event either.
 * Keep in step with `process` and `evaluate`.
 */
export const needsDetector = (
  catalogue: CatalogueOf<Prejudged>,
  config: DetectionConfig,
  e: AuditEvent,
  known?: KnownValues,
): boolean => {
  if (e.drillClaim !== undefined) return true;
  for (const candidate of catalogue.candidates(e)) {
    const rule = candidate.alone;
    if (rule === undefined) {
      // A rule with memory needs the detector, unless the event repeats a value it can only count when new.
      if (known !== undefined && candidate.onlyNew !== undefined && known.seenBefore(candidate.onlyNew, e)) continue;
      return true;
    }
    try {
      if (rule.match(e, contextFor(config, e, rule.resources(e)))) return true;
    } catch {
      return true;
    }
  }
  return false;
};

export type Stage = 'rules' | 'history' | 'intel' | 'counter' | 'ledger' | 'incident' | 'sink';

/** What one batch produced. `failures` name the events to retry; everything else is done. */
export interface BatchOutcome {
  readonly matches: number;
  /** `matches` by rule id: how often each rule's predicate matched, whether or not a finding followed. */
  readonly matchesByRule: Readonly<Record<string, number>>;
  /** Delivered findings, each with its `incidentId`. */
  readonly delivered: readonly Finding[];
  /** What each delivered finding told its incident's subscribers, by finding id. */
  readonly notices: ReadonlyMap<string, IncidentNotice>;
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
  readonly facts: MatchFacts;
}

interface Candidate {
  readonly finding: Finding;
  readonly dedupKey: string;
  readonly dedupWindowMs: number;
  /** Events of this batch the finding depends on: they are retried if delivering it fails. */
  readonly batchEventIds: readonly string[];
}

const message = describeError;

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
  const incidentStore = deps.incidents ?? createMemoryIncidentStore();
  const incidentConfig = incidentConfigOf(deps.config);

  const judge = async (events: readonly AuditEvent[]): Promise<BatchOutcome> => {
    const ruleErrors: { ruleId: string; eventId: string; error: string }[] = [];
    const failures: { stage: Stage; eventIds: string[]; error: string; ruleId?: string; findingId?: string }[] = [];
    const receivedMs = deps.clock?.now();
    // Stryker disable next-line ConditionalExpression: equivalent, without a clock believableUntil is NaN and no time exceeds it
    const ceiling = receivedMs === undefined ? Number.POSITIVE_INFINITY : believableUntil(receivedMs, skewMs);
    // A future date must not move a window's watermark (which would age out every later real event) or a
    // behaviour memory: such an event counts as if it happened when it was received.
    const timeOf = (e: AuditEvent): number => (e.timeMs > ceiling ? (receivedMs ?? e.timeMs) : e.timeMs);
    const integrity = events.flatMap((e) => {
      const forged = forgedDrillOf(e, receivedMs ?? e.timeMs);
      // Stryker disable next-line ConditionalExpression: equivalent, futureDatedOf with an undefined receive time compares with NaN and finds nothing
      const future = receivedMs === undefined ? undefined : futureDatedOf(e, receivedMs, skewMs);
      return [forged, future].flatMap((c) => (c === undefined ? [] : [integrityCandidate(c, e)]));
    });
    const intel = await intelFor(deps, events, failures);
    const historyOf = await loadHistories(deps.catalogue, historyStore, events, failures, timeOf, ruleErrors, intel);
    const direct: Match[] = [];
    const counted = new Map<
      string,
      { request: CounterRequest; matches: Match[]; groupKey: string; spec: WindowSpec }
    >();

    for (const event of events) {
      for (const verdict of evaluate(deps.catalogue, deps.config, event, historyOf, intel)) {
        if (verdict.kind === 'error')
          ruleErrors.push({ ruleId: verdict.rule.id, eventId: event.id, error: verdict.error });
        if (verdict.kind !== 'match') continue;
        const { rule, ctx, facts } = verdict;
        if (rule.threshold === null) direct.push({ rule, event, ctx, facts });
        else addCounted(counted, { rule, event, ctx, facts }, latenessMs, timeOf(event));
      }
    }

    const text = deps.ruleText ?? noText;
    const candidates: Candidate[] = [...integrity];
    // Building a finding calls no rule code (the engine computed the facts), but dates at the edge of the
    // representable range can still throw: such a match is a rule error, never an escaped exception.
    const build = (match: Match, make: () => Candidate): void => {
      try {
        candidates.push(make());
      } catch (err) {
        ruleErrors.push({ ruleId: match.rule.id, eventId: match.event.id, error: message(err) });
      }
    };
    for (const match of direct) build(match, () => directCandidate(match, text));

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
        for (const fire of result.fires) {
          const first = group.matches[0];
          // Stryker disable next-line ConditionalExpression: equivalent, a group is created with its first match (addCounted)
          if (first === undefined) continue;
          build(first, () => thresholdCandidate(group, fire, text));
        }
      }
    }

    // The same event twice in one batch (SQS delivers at least once) is one finding, admitted and paged once.
    const unique = new Map<string, Candidate>();
    for (const c of candidates) {
      const key = `${c.dedupKey}\u0000${c.finding.id}`;
      if (!unique.has(key)) unique.set(key, c);
    }
    // Event order, and the more severe first at one instant: the same order correlation decides in.
    const ordered = [...unique.values()].sort((a, b) => byEventOrder(a.finding, b.finding));
    const fail = (stage: Stage, candidate: Candidate, err: unknown) =>
      failures.push({
        stage,
        eventIds: [...candidate.batchEventIds],
        error: message(err),
        ruleId: candidate.finding.ruleId,
        findingId: candidate.finding.id,
      });

    // 1. Dedup: which candidates are new findings, repeats, or already delivered.
    const admitted: { candidate: Candidate; admission: Admission }[] = [];
    for (const candidate of ordered) {
      try {
        // Suppressed findings take the same path (dedup, archive); only paging looks at the flag.
        const finding = applySuppressions(candidate.finding, deps.config.suppressions);
        admitted.push({
          candidate,
          admission: await deps.ledger.admit(finding, candidate.dedupKey, candidate.dedupWindowMs),
        });
      } catch (err) {
        fail('ledger', candidate, err);
      }
    }

    // 2. Correlation: every new finding joins or opens an incident, one store write per actor for the batch.
    const fresh = admitted.filter((a) => a.admission.kind === 'deliver').map((a) => a.admission.finding);
    const notices = new Map<string, IncidentNotice>();
    const incidentErrors = new Map<string, string>();
    if (fresh.length > 0) {
      try {
        for (const r of await incidentStore.correlate(fresh, incidentConfig)) {
          if (r.ok) notices.set(r.findingId, { incident: r.incident, kind: r.kind });
          else incidentErrors.set(r.findingId, r.error);
        }
      } catch (err) {
        for (const f of fresh) incidentErrors.set(f.id, message(err));
      }
    }

    // 3. Side effects in event order: each incident's state is archived once, before its first publication.
    const archived = new Map<string, Promise<void>>();
    const archive = (incident: Incident): Promise<void> => {
      let done = archived.get(incident.id);
      if (done === undefined) {
        done = deps.sink.incident?.(incident) ?? Promise.resolve();
        archived.set(incident.id, done);
      }
      return done;
    };
    const delivered: Finding[] = [];
    const folded: Finding[] = [];
    let duplicates = 0;
    for (const { candidate, admission } of admitted) {
      let stage: Stage = 'incident';
      try {
        if (admission.kind === 'deliver') {
          const notice = notices.get(admission.finding.id);
          try {
            if (notice === undefined) {
              throw new Error(incidentErrors.get(admission.finding.id) ?? 'no incident assigned');
            }
            const finding: Finding = { ...admission.finding, incidentId: notice.incident.id };
            stage = 'sink';
            await archive(notice.incident);
            await deps.sink.deliver(finding, notice);
            stage = 'ledger';
            await deps.ledger.delivered(finding, candidate.dedupKey);
            delivered.push(finding);
          } catch (err) {
            if (stage !== 'ledger') {
              await deps.ledger.release(admission.finding, candidate.dedupKey).catch(() => {
                // The claim lapses on its own; the first error is the one to report.
              });
            }
            throw err;
          }
        } else if (admission.kind === 'fold') {
          stage = 'sink';
          // A repeat of a finding delivered in this very batch: the ledger has not yet heard its incident.
          const incidentId = admission.finding.incidentId ?? notices.get(admission.finding.id)?.incident.id;
          const finding = incidentId === undefined ? admission.finding : { ...admission.finding, incidentId };
          await deps.sink.fold(finding);
          folded.push(finding);
        } else {
          duplicates++;
        }
      } catch (err) {
        fail(stage, candidate, err);
      }
    }

    const matchesByRule: Record<string, number> = {};
    for (const m of [...direct, ...[...counted.values()].flatMap((g) => g.matches)])
      matchesByRule[m.rule.id] = (matchesByRule[m.rule.id] ?? 0) + 1;
    const matches = Object.values(matchesByRule).reduce((n, c) => n + c, 0);
    return { matches, matchesByRule, delivered, notices, folded, duplicates, failures, ruleErrors };
  };

  /**
   * The batch's rules are made ready first (a lazy catalogue loads their code): events that need rules which
   * cannot be loaded are failed for retry (stage `rules`) and not judged at all, never judged without them.
   */
  const process = async (events: readonly AuditEvent[]): Promise<BatchOutcome> => {
    const unloaded = (await deps.catalogue.prepare?.(events)) ?? [];
    if (unloaded.length === 0) return judge(events);
    const waiting = new Set(unloaded.flatMap((u) => u.eventIds));
    const outcome = await judge(events.filter((e) => !waiting.has(e.id)));
    const failed = unloaded.map((u) => ({ stage: 'rules' as const, ...u }));
    return { ...outcome, failures: [...outcome.failures, ...failed] };
  };

  return { process };
};

/**
 * The batch's IP intelligence. Each part loads only when some event of the batch reaches a rule that reads it; a
 * part that cannot be loaded fails those events for retry (stage `intel`): the rules then say nothing for them
 * (an unavailable anonymiser list is `unavailable`, never "not listed"), and the retry judges them again.
 */
const intelFor = async (
  deps: DetectorDeps,
  events: readonly AuditEvent[],
  failures: { stage: Stage; eventIds: string[]; error: string }[],
): Promise<RuleIntel> => {
  const source = deps.intel;
  if (source === undefined) return {};
  const needing = (need: IntelNeed): readonly AuditEvent[] =>
    events.filter((e) => deps.catalogue.candidates(e).some((r) => r.intel?.includes(need) === true));
  const fail = (eventsOf: readonly AuditEvent[], error: string) =>
    failures.push({ stage: 'intel', eventIds: eventsOf.map((e) => e.id), error });
  let geo: GeoLookup | undefined;
  // Stryker disable next-line ConditionalExpression,ArrayDeclaration: equivalent, the next line checks source.geo again (needed to narrow its type)
  const geoEvents = source.geo === undefined ? [] : needing('geo');
  // Stryker disable next-line ConditionalExpression: equivalent, geoEvents is empty when source.geo is undefined
  if (source.geo !== undefined && geoEvents.length > 0) {
    try {
      geo = await source.geo();
    } catch (err) {
      fail(geoEvents, `IP database could not be loaded: ${message(err)}`);
    }
  }
  let anonymisers: AnonymiserView | undefined;
  const listed = source.anonymisers;
  // Stryker disable next-line ConditionalExpression,ArrayDeclaration: equivalent, the next line checks listed again (needed to narrow its type)
  const listEvents = listed === undefined ? [] : needing('anonymisers');
  if (listed !== undefined && listEvents.length > 0) {
    try {
      anonymisers = { kind: 'loaded', list: await listed.load() };
    } catch (err) {
      const error = `anonymiser list ${listed.source} could not be loaded: ${message(err)}`;
      anonymisers = { kind: 'unavailable', source: listed.source, error };
      fail(listEvents, error);
    }
  }
  return { ...(geo === undefined ? {} : { geo }), ...(anonymisers === undefined ? {} : { anonymisers }) };
};

const integrityCandidate = (c: IntegrityCandidate, e: AuditEvent): Candidate => ({ ...c, batchEventIds: [e.id] });

type RuleErrors = { ruleId: string; eventId: string; error: string }[];

/**
 * The memory key of a behaviour rule for an event; a throwing `key` skips the rule here and is reported once, as
 * the rule's error, by evaluate() (`lookupIn`).
 */
const historyKey = (rule: Rule, e: AuditEvent): string | undefined => {
  // Stryker disable next-line ConditionalExpression: equivalent, a null history's key throws and the catch gives undefined too
  if (rule.history === null) return undefined;
  try {
    return `${namespaceOf(e)}${rule.id}#${rule.history.key(e)}`;
  } catch {
    return undefined;
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
  ruleErrors: RuleErrors,
  intel: RuleIntel,
): Promise<HistoryLookup | undefined> => {
  const requests = new Map<string, { request: HistoryRequest & { sightings: Sighting[] }; eventIds: string[] }>();
  for (const event of events) {
    for (const rule of catalogue.candidates(event)) {
      // A throwing key is reported once, by evaluate(), which works the key out again inside its guard (lookupIn).
      const key = historyKey(rule, event);
      // Stryker disable next-line ConditionalExpression: equivalent, the key is undefined whenever the history is null (a type guard)
      if (key === undefined || rule.history === null) continue;
      let entry = requests.get(key);
      if (entry === undefined) {
        entry = { request: { key, spec: rule.history.spec, sightings: [] }, eventIds: [] };
        requests.set(key, entry);
      }
      entry.eventIds.push(event.id);
      let value: string | undefined;
      try {
        value = rule.history.remember(event, intel);
      } catch (err) {
        // The rule still judges the event on the rest of its memory; the error retries it.
        ruleErrors.push({ ruleId: rule.id, eventId: event.id, error: message(err) });
        value = undefined;
      }
      if (value !== undefined)
        entry.request.sightings.push({ id: event.id, v: value, t: timeOf(event), last: timeOf(event) });
    }
  }
  // No memory to load (or every key threw): lookupIn reports each throwing key as its rule's error in evaluate().
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
  const groupKey = match.facts.groupKey ?? '';
  const key = `${namespaceOf(event)}${rule.id}#${groupKey}#${spec.count}/${spec.windowSeconds}`;
  const distinct = match.facts.distinct;
  const windowEvent: WindowEvent = distinct === undefined ? { id: event.id, t } : { id: event.id, t, d: distinct };
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

const directCandidate = ({ rule, event, ctx, facts }: Match, text: RuleTextSource): Candidate => {
  const finding = buildFinding({
    text: text(rule.id),
    rule,
    event,
    ctx,
    resources: facts.resources,
    details: facts.details,
    groupKey: facts.dedupKey ?? event.id,
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
  const { rule, event, ctx, facts } = representative;
  const finding = buildFinding({
    text: text(rule.id),
    rule,
    event,
    ctx,
    resources: facts.resources,
    details: facts.details,
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
