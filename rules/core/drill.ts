import type { DetectionConfig } from './config.ts';
import { DEFAULT_DETECTION_CONFIG } from './config.ts';
import { DRILL_TTL_MS, signDrillEnvelope } from './drill-auth.ts';
import type { DrillOverlay } from './drill-overlay.ts';
import { applyDrillOverlay, overlayOfCase, refusedOverlayKeys, whyRefused } from './drill-overlay.ts';
import { contextFor } from './engine.ts';
import { toAuditEvent } from './events.ts';
import type { RuleIntel } from './geo.ts';
import { preparedRecords, prepareErrors } from './prepare.ts';
import type { AuditEvent, Criticality, Rule, RuleCase, RuleDocs, Severity } from './types.ts';
import { CRITICALITIES, isCloudTrailSelector } from './types.ts';

/**
 * Drill planning (issue 5 §5), pure: which rules a drill exercises and the SQS message bodies that make each
 * one fire. No I/O and no clock: `nowMs` and `newId` are inputs.
 *
 * Which rules: a rule is drilled when the severity it would page with, at the criticality its chosen positive
 * case runs under (`case.criticality`, else the config's default), is in the selected severities (default
 * critical and high). So a medium rule that escalates to high on high-criticality assets is drilled when one of
 * its positive cases runs at high criticality; a high rule is drilled from any positive case at medium.
 *
 * How many events: one for a single-event rule; for a threshold rule, the `count` of the threshold for that
 * criticality (`byCriticality` first), with event times spread inside its window so the sliding window fires.
 * Distinct thresholds need distinct values: the first variation (source IP or user name) that keeps the group
 * and the match and makes every value distinct is used; a rule with none is skipped, never faked.
 *
 * Config: the case's config overrides travel with the plan (`config`), and a case criticality is forced through
 * `criticality.default`: the drill runs that rule with that config. Where the function drilled runs its own config
 * (the deployed evaluate function), they travel as the drill's overlay inside the signed claim (`overlay`,
 * `drill-overlay.ts`): the evaluate function judges the verified drill with its config merged with the overlay.
 */

export const DRILL_SEVERITIES: readonly Severity[] = ['critical', 'high'];

export interface DrillPlan {
  readonly kind: 'plan';
  readonly rule: Rule;
  readonly caseName: string;
  readonly criticality: Criticality;
  readonly severity: Severity;
  /** The detection config the rule must run with (base + the case's overrides). */
  readonly config: DetectionConfig;
  /** The config the plan was made against (the deployed one for the drill function): `config` less `overlay`. */
  readonly base: DetectionConfig;
  /**
   * The case's overrides and criticality, signed into every body: the function drilled judges the drill with its
   * own config merged with them. Absent when the case needs none, or when they cannot travel (local runs only).
   */
  readonly overlay?: DrillOverlay;
  /** SQS message bodies: EventBridge envelopes signed with the drill key (`drill-auth.ts`). */
  readonly bodies: readonly string[];
  /** The eventIDs (CloudTrail) or envelope ids (Config) of `bodies`, in order. */
  readonly eventIds: readonly string[];
  /**
   * The bodies before the last build the memory the last one is judged on (`before`, `prepare`): a queue that may
   * reorder (SQS) must deliver the last one after the others were remembered (`SEQUENCE_DELAY_SECONDS`).
   */
  readonly sequence?: true;
}

/** How long the drill function holds back a sequence's last event (SQS DelaySeconds): the others are remembered first. */
export const SEQUENCE_DELAY_SECONDS = 30;

export interface DrillSkip {
  readonly kind: 'skip';
  readonly rule: Rule;
  readonly reason: string;
}

export interface PlanOptions {
  readonly severities?: readonly Severity[];
  readonly config?: DetectionConfig;
  /** Epoch ms the drill's events end at (the last event's time). */
  readonly nowMs: number;
  /** Fresh unique ids (default: crypto.randomUUID). */
  readonly newId?: () => string;
  /**
   * How the drill's envelopes are signed: the drill key, this run's id and how long the signatures stay valid
   * (default 15 minutes from `nowMs`). Unsigned drill events are real events to the evaluate function.
   */
  readonly auth: { readonly key: string; readonly run: string; readonly ttlMs?: number };
  /**
   * Drilling the deployed function (the drill function, `drill --invoke`): it runs its own config, so a case's
   * config overrides and criticality reach it only as the signed overlay; a case whose overrides no overlay may
   * carry (`drill-overlay.ts`) cannot fire there.
   */
  readonly deployed?: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const severityAt = (rule: Rule, criticality: Criticality): Severity => rule.escalation[criticality] ?? rule.severity;

/** A case that needs remembered history (earlier sightings) cannot be replayed from its event alone. */
const needsHistory = (c: RuleCase): boolean =>
  c.history !== undefined && (c.history.first !== null || c.history.sightings.length > 0);

/** The same merge the evaluate function applies to a verified drill's overlay: one definition for both. */
const configFor = (base: DetectionConfig, c: RuleCase): DetectionConfig => applyDrillOverlay(base, c);

const ACCOUNT = '111122223333';

/** A case the deployed function can judge as the case says: what it needs beyond the deployed config can travel. */
const runsDeployed = (c: RuleCase): boolean => refusedOverlayKeys(c.config).length === 0;

/** Positive cases as data (`drill-cases.json`): what the drill function plans from, without the rule files. */
export type DrillCaseTable = Readonly<Record<string, readonly RuleCase[]>>;

/**
 * The positive cases of every rule that can page at a drilled severity, without config overrides (which the
 * deployed function would not run): generated beside the drill function by `trailwarden docs`.
 */
/**
 * A config key no overlay may carry only names a skip: its value stays out of the shipped table (an anonymiser
 * list's `file:` source is a path on the machine that generated it, which would make the file differ per checkout).
 */
const withoutRefusedValues = (c: RuleCase): RuleCase => {
  const refused = refusedOverlayKeys(c.config);
  if (c.config === undefined || refused.length === 0) return c;
  const config = Object.fromEntries(
    Object.entries(c.config).map(([k, v]) => [k, refused.includes(k) ? NOT_CARRIED : v]),
  ) as Partial<DetectionConfig>;
  return { ...c, config };
};
const NOT_CARRIED = '(not carried by drills)';

export const drillCaseTable = (entries: readonly (readonly [Rule, RuleDocs])[]): DrillCaseTable =>
  Object.fromEntries(
    entries.flatMap(([rule, docs]) => {
      // A case's `intel` (a fake IP database) is code, not data: drills use the deployed IP database.
      // Cases with config go too: the drill function signs their overrides into the drill as its overlay (and
      // names the keys no overlay may carry when it skips one).
      const cases = docs
        .cases()
        .filter((c) => c.expect === 'match')
        .map(({ intel: _intel, ...c }) => withoutRefusedValues(c));
      const pages = DRILL_SEVERITIES.some((s) => rule.severity === s || Object.values(rule.escalation).includes(s));
      return pages && cases.length > 0 ? [[rule.id, cases]] : [];
    }),
  );

/** Rules paired with docs whose only content is the table's cases (all the planner reads). */
export const withTableCases = (rules: readonly Rule[], table: DrillCaseTable): readonly (readonly [Rule, RuleDocs])[] =>
  rules.flatMap((rule) => {
    const cases = table[rule.id];
    if (cases === undefined) return [];
    const docs: RuleDocs = { description: '', runbook: [], rationale: '', falsePositives: [], cases: () => cases };
    return [[rule, docs] as const];
  });

/** The drill envelope for one event payload at `timeMs` with id `id`. */
const envelopeFor = (rule: Rule, payload: unknown, id: string, timeMs: number): Record<string, unknown> => {
  // Stryker disable next-line Regex: toISOString always ends in `.sssZ` with no other Z, so the anchor changes nothing
  const time = new Date(timeMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (isCloudTrailSelector(rule.on)) {
    const record: Record<string, unknown> = { ...(isObject(payload) ? payload : {}), eventID: id, eventTime: time };
    return {
      version: '0',
      id: `drill-${id}`,
      'detail-type': 'AWS API Call via CloudTrail',
      source: 'aws.cloudtrail',
      account: typeof record.recipientAccountId === 'string' ? record.recipientAccountId : ACCOUNT,
      time,
      region: typeof record.awsRegion === 'string' ? record.awsRegion : 'us-east-1',
      resources: [],
      detail: record,
    };
  }
  return {
    version: '0',
    id,
    'detail-type':
      rule.on.source === 'config.item-change' ? 'Config Configuration Item Change' : 'Config Rules Compliance Change',
    source: 'aws.config',
    account: ACCOUNT,
    time,
    region: 'us-east-1',
    resources: [],
    detail: payload,
  };
};

type Variation = (record: Record<string, unknown>, i: number) => Record<string, unknown>;

/** Variations for distinct thresholds: each returns the i-th variant of a CloudTrail record. */
const VARIATIONS: readonly Variation[] = [
  (r, i) => ({ ...r, sourceIPAddress: `198.51.100.${(i % 250) + 1}` }),
  (r, i) => {
    const who = isObject(r.userIdentity) ? r.userIdentity : {};
    const name = typeof who.userName === 'string' ? who.userName : 'drill-user';
    return { ...r, userIdentity: { ...who, userName: `${name}-drill${i}` } };
  },
];

type Path = readonly (string | number)[];

/** Paths of the string leaves of a value (objects and arrays, a few levels deep): the request's names and ids. */
const stringLeaves = (v: unknown, at: Path = [], depth = 0): Path[] => {
  if (typeof v === 'string') return [at];
  if (depth >= 4 || typeof v !== 'object' || v === null) return [];
  const entries: [string | number, unknown][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
  return entries.flatMap(([k, x]) => stringLeaves(x, [...at, k], depth + 1));
};

/** A copy of `v` with the string at `path` suffixed. */
const suffixAt = (v: unknown, path: Path, suffix: string): unknown => {
  if (path.length === 0) return typeof v === 'string' ? `${v}${suffix}` : v;
  const [head, ...rest] = path;
  if (Array.isArray(v)) return v.map((x, i) => (i === head ? suffixAt(x, rest, suffix) : x));
  if (isObject(v) && typeof head === 'string') return { ...v, [head]: suffixAt(v[head], rest, suffix) };
  return v;
};

/**
 * Rules that count distinct resources (secrets, instances, parameters) need the drill to name a different one each
 * time: one variation per string in `requestParameters`, suffixed `-drillN`. The plan keeps only a variation whose
 * events still match and give distinct values in one group, so one that breaks a name the rule reads is skipped.
 */
const parameterVariations = (record: unknown): Variation[] =>
  isObject(record) && isObject(record.requestParameters)
    ? stringLeaves(record.requestParameters).map(
        (path): Variation =>
          (r, i) => ({ ...r, requestParameters: suffixAt(r.requestParameters, path, `-drill${i}`) }),
      )
    : [];

/** The envelopes, signed (with the overlay); one that does not parse is left as it is (the plan is refused before use). */
const signAll = (
  envelopes: readonly Record<string, unknown>[],
  options: PlanOptions,
  overlay: DrillOverlay | undefined,
): string[] =>
  envelopes.map((e) => {
    const event = parse(e);
    if (event === undefined) return JSON.stringify(e);
    const expiresMs = options.nowMs + (options.auth.ttlMs ?? DRILL_TTL_MS);
    return JSON.stringify(
      signDrillEnvelope(e, event, options.auth.key, {
        run: options.auth.run,
        expiresMs,
        ...(overlay === undefined ? {} : { overlay }),
      }),
    );
  });

const parse = (envelope: Record<string, unknown>): AuditEvent | undefined => {
  const parsed = toAuditEvent(envelope);
  return parsed.ok ? parsed.event : undefined;
};

/** The case's own IP intelligence (a fake IP database, its list) stands in for what the handler will load. */
const matches = (rule: Rule, config: DetectionConfig, e: AuditEvent, intel?: RuleIntel): boolean => {
  try {
    return rule.match(e, contextFor(config, e, rule.resources(e), intel));
  } catch {
    return false;
  }
};

const WEEK_MS = 7 * 24 * 3600 * 1000;

/**
 * When the drill's last event happens: the case's own eventTime moved forward by whole weeks to the latest
 * instant not after `nowMs`, so weekday and time of day survive (off-hours rules); `nowMs` when it has none.
 */
/** A sequence's last event cannot be matched without its history; at least the rule must select it. */
const isSequenceMatch = (rule: Rule, _config: DetectionConfig, e: AuditEvent): boolean =>
  e.kind === 'cloudtrail' ? isCloudTrailSelector(rule.on) : !isCloudTrailSelector(rule.on);

const endTimeFor = (c: RuleCase, nowMs: number, stepMs = WEEK_MS): number => {
  const t = isObject(c.event) && typeof c.event.eventTime === 'string' ? Date.parse(c.event.eventTime) : Number.NaN;
  if (Number.isNaN(t)) return nowMs;
  return t + Math.floor((nowMs - t) / stepMs) * stepMs;
};

/**
 * Deployed drills move by whole days, not weeks: their findings are archived under the day of the events, and the
 * digest chains only keys dated at most `KEY_DAY_LOOKBACK_DAYS` back (evidence.ts). The time of day survives;
 * the weekday does not.
 */
const DAY_MS = 24 * 3600 * 1000;

/**
 * The drill for one rule: a plan, a skip with the reason, or undefined when the rule's severity is not selected
 * (or it has no positive case at all).
 */
export const planRule = (rule: Rule, docs: RuleDocs, options: PlanOptions): DrillPlan | DrillSkip | undefined => {
  const severities = options.severities ?? DRILL_SEVERITIES;
  const base = options.config ?? DEFAULT_DETECTION_CONFIG;
  const newId = options.newId ?? (() => globalThis.crypto.randomUUID());
  const positive = docs.cases().filter((c) => c.expect === 'match');
  const atCaseCriticality = positive
    .map((c) => ({ c, config: configFor(base, c) }))
    .map((x) => ({ ...x, criticality: x.c.criticality ?? x.config.criticality.default }))
    .filter((x) => severities.includes(severityAt(rule, x.criticality)));
  // A rule that pages only when it escalates (a medium rule that is critical on high-criticality assets) and has
  // no case at that criticality: its positive cases are drilled at the first criticality that pages, so every rule
  // that can page has a drill.
  const escalatesTo = CRITICALITIES.find((k) => severities.includes(severityAt(rule, k)));
  const selected =
    atCaseCriticality.length > 0 || escalatesTo === undefined
      ? atCaseCriticality
      : positive
          .map((c) => ({ ...c, criticality: escalatesTo }))
          .map((c) => ({ c, config: configFor(base, c), criticality: escalatesTo }));
  if (selected.length === 0) return undefined;
  if (options.deployed === true && !selected.some((x) => runsDeployed(x.c))) {
    const keys = [...new Set(selected.flatMap((x) => refusedOverlayKeys(x.c.config)))].sort();
    return {
      kind: 'skip',
      rule,
      reason: `every positive case needs config a signed drill overlay may not carry: ${keys.map(whyRefused).join('; ')}`,
    };
  }
  const usable = selected.filter(
    (x) =>
      (!needsHistory(x.c) || x.c.before !== undefined || x.c.prepare !== undefined) &&
      (options.deployed !== true || runsDeployed(x.c)),
  );
  if (usable.length === 0) {
    return {
      kind: 'skip',
      rule,
      reason: 'every positive case needs remembered history and none declares how to build it (before / prepare)',
    };
  }
  const reasons: string[] = [];
  for (const { c, config, criticality } of usable) {
    const end = endTimeFor(c, options.nowMs, options.deployed === true ? DAY_MS : WEEK_MS);
    // The overlay travels whenever it can (locally too, so `drill --local` proves the signed overlay path); a case
    // whose overrides cannot travel is drilled locally with the plan's config and never deployed (above).
    const overlay = runsDeployed(c) ? overlayOfCase(c) : undefined;
    const planOf = (
      envelopes: readonly Record<string, unknown>[],
      eventIds: string[],
      sequence: boolean,
    ): DrillPlan => ({
      kind: 'plan',
      rule,
      caseName: c.name,
      criticality,
      severity: severityAt(rule, criticality),
      config,
      base,
      ...(overlay === undefined ? {} : { overlay }),
      bodies: signAll(envelopes, options, overlay),
      eventIds,
      ...(sequence ? { sequence: true } : {}),
    });
    if (c.prepare !== undefined || c.before !== undefined) {
      // A sequence: the events that build the history, then the case's event, which must be one the rule selects.
      // `prepare` is backdated days before it (signed drills, remembered under the drill namespace only); `before`
      // runs a minute apart up to it.
      let timed: { readonly payload: unknown; readonly id: string; readonly timeMs: number }[];
      if (c.prepare !== undefined) {
        const problems = prepareErrors(rule, c.prepare);
        if (problems.length > 0) {
          reasons.push(`case "${c.name}": ${problems.join('; ')}`);
          continue;
        }
        timed = preparedRecords(c.prepare, end, () => newId()).map((p) => ({
          payload: p.record,
          id: String(p.record.eventID),
          timeMs: p.timeMs,
        }));
        timed.push({ payload: c.event, id: newId(), timeMs: end });
      } else {
        const payloads = [...(c.before ?? []), c.event];
        timed = payloads.map((payload, i) => ({
          payload,
          id: newId(),
          timeMs: end - (payloads.length - 1 - i) * 60_000,
        }));
      }
      const envelopes = timed.map((t) => envelopeFor(rule, t.payload, t.id, t.timeMs));
      const last = parse(envelopes[envelopes.length - 1] ?? {});
      if (last === undefined || !isSequenceMatch(rule, config, last)) {
        reasons.push(`case "${c.name}": the drill's last event is not one the rule selects`);
        continue;
      }
      return planOf(
        envelopes,
        timed.map((t) => t.id),
        true,
      );
    }
    const spec = rule.threshold ? (rule.threshold.byCriticality?.[criticality] ?? rule.threshold) : undefined;
    const count = spec?.count ?? 1;
    const windowMs = (spec?.windowSeconds ?? 60) * 1000;
    // Spread inside the window: the first and last event are (count - 1) steps apart, less than windowMs.
    // Stryker disable next-line ConditionalExpression,EqualityOperator: with one event the step is multiplied by 0
    const step = count > 1 ? Math.max(1, Math.floor(windowMs / count)) : 0;
    const start = end - step * (count - 1);
    const variants =
      rule.threshold?.distinct !== undefined && count > 1 && isCloudTrailSelector(rule.on)
        ? [...VARIATIONS, ...parameterVariations(c.event)]
        : [(r: Record<string, unknown>) => r];
    let done: DrillPlan | undefined;
    for (const vary of variants) {
      const payloads = Array.from({ length: count }, (_, i) =>
        isCloudTrailSelector(rule.on) && isObject(c.event) ? vary(c.event, i) : c.event,
      );
      const ids = payloads.map(() => newId());
      const envelopes = payloads.map((p, i) => envelopeFor(rule, p, ids[i] ?? newId(), start + i * step));
      const events = envelopes.map(parse);
      if (events.some((e) => e === undefined || !matches(rule, config, e, c.intel))) {
        reasons.push(`case "${c.name}": the drill events do not match`);
        continue;
      }
      const threshold = rule.threshold;
      if (threshold && count > 1) {
        const evs = events as AuditEvent[];
        const groups = new Set(evs.map((e) => threshold.groupBy(e)));
        const distinct = threshold.distinct;
        if (groups.size !== 1 || (distinct && new Set(evs.map((e) => distinct(e))).size < count)) {
          reasons.push(`case "${c.name}": no variation gives ${count} distinct values in one group`);
          continue;
        }
      }
      done = planOf(envelopes, ids, false);
      break;
    }
    if (done) return done;
  }
  // Stryker disable next-line StringLiteral: every usable case that is not planned pushes a reason, so reasons[0] is set
  return { kind: 'skip', rule, reason: reasons[0] ?? 'no usable positive case' };
};

/** Plans for every rule in order (rules whose severity is not selected are left out). */
export const planDrill = (
  rules: readonly (readonly [Rule, RuleDocs])[],
  options: PlanOptions,
): (DrillPlan | DrillSkip)[] => rules.flatMap(([rule, docs]) => planRule(rule, docs, options) ?? []);
