import type { CloudTrailRecord } from './cloudtrail.ts';
import type { DetectionConfig } from './config.ts';
import type { ConfigComplianceChange, ConfigItemChange } from './config-events.ts';
import type { DrillClaim } from './drill-auth.ts';
import type { AnonymiserView, GeoLookup, RuleIntel } from './geo.ts';
import type { HistorySpec, HistoryView } from './history.ts';
import type { ReplayMark } from './replay.ts';

export type { Control, Criticality, Severity } from './vocabulary.ts';
export { CONTROLS, CRITICALITIES, SEVERITIES } from './vocabulary.ts';

import type { Control, Criticality, Severity } from './vocabulary.ts';

/**
 * Which events a rule sees. Declared apart from `match` so infra can build EventBridge patterns from it.
 * - CloudTrail: `source` is the service prefix of `eventSource` (`iam` → `iam.amazonaws.com`). A wildcard
 *   (`'*'`) must be narrowed by `where`, so no rule ever needs a catch-all EventBridge pattern.
 * - Config: item changes for given resource types, or rule compliance changes.
 */
export type EventSelector = CloudTrailSelector | ConfigItemSelector | ConfigComplianceSelector;

export interface CloudTrailSelector {
  readonly source: string;
  readonly eventNames: readonly string[] | '*';
  readonly where?: {
    readonly userIdentityType?: readonly string[];
    readonly errorCode?: readonly string[];
    /**
     * Case-sensitive substrings of `userAgent` (EventBridge `wildcard` patterns `*text*`): for the few rules that
     * look at every call by what made it. A plain substring test, so it costs the engine nothing per event.
     */
    readonly userAgentContains?: readonly string[];
  };
}
export interface ConfigItemSelector {
  readonly source: 'config.item-change';
  readonly resourceTypes: readonly string[];
}
export interface ConfigComplianceSelector {
  readonly source: 'config.compliance-change';
}

export const isCloudTrailSelector = (on: EventSelector): on is CloudTrailSelector => 'eventNames' in on;

export type EventOf<S extends EventSelector> = S extends ConfigItemSelector
  ? ConfigItemChange
  : S extends ConfigComplianceSelector
    ? ConfigComplianceChange
    : CloudTrailRecord;

/**
 * The normalised unit the engine works on. `id` is what idempotency keys on: the CloudTrail `eventID`,
 * or the EventBridge event id for Config notifications.
 */
export type AuditEvent =
  | (EventHeader & { readonly kind: 'cloudtrail'; readonly record: CloudTrailRecord })
  | (EventHeader & { readonly kind: 'config-item-change'; readonly detail: ConfigItemChange })
  | (EventHeader & { readonly kind: 'config-compliance-change'; readonly detail: ConfigComplianceChange });

export interface EventHeader {
  readonly id: string;
  /** Epoch milliseconds of when it happened (CloudTrail `eventTime`), never arrival time. */
  readonly timeMs: number;
  readonly account: string;
  readonly region: string;
  /**
   * True for simulated events sent by `trailwarden drill`, set only once the drill's signature was verified
   * (`drill-auth.ts`); parsing never sets it.
   */
  readonly drill?: boolean;
  /** What the event claimed about being a drill, unverified. A claim without `drill: true` is a forged drill. */
  readonly drillClaim?: DrillClaim;
  /** Why a drill claim was not honoured (set by the verifier; absent when nothing verified it). */
  readonly forgedDrill?: string;
  /** Fields the boundary dropped for having the wrong JSON type (`checkRecord`); findings repeat them. */
  readonly notes?: readonly string[];
  /** Set by the replay function only (never by parsing): the event is part of that replay (`replay.ts`). */
  readonly replay?: ReplayMark;
}

/** What a predicate may read besides the event: resolved config, never I/O or a clock. */
export interface RuleContext {
  readonly criticality: Criticality;
  readonly config: DetectionConfig;
  /** For rules that declare `history`: what they remembered about earlier events of the same key. */
  readonly history?: HistoryView;
  /** The IP database (absent where none is wired: rules that need it then say nothing). */
  readonly geo?: GeoLookup;
  /** The configured anonymiser list, for rules that declare `intel: ['anonymisers']`. */
  readonly anonymisers?: AnonymiserView;
}

/** IP intelligence a rule reads: the detector loads an anonymiser list only for batches a rule needing it sees. */
export type IntelNeed = 'geo' | 'anonymisers';

/** Behaviour memory a rule declares (see `history.ts`); the detector fills `ctx.history` from it. */
export interface HistoryDeclaration<E> {
  /** Whose memory: per user, per account, … */
  readonly key: (e: E) => string;
  /**
   * What to remember about this event (whether it matches or not), or undefined for nothing. `intel` is the IP
   * intelligence of the batch (rules remembering a country or network look the address up here).
   */
  readonly remember: (e: E, intel: RuleIntel) => string | undefined;
  readonly retainSeconds: number;
  readonly distinctValues?: boolean;
  /** Most sightings kept per key (default 200). */
  readonly max?: number;
  /**
   * The rule never matches an event whose remembered value its key already holds from an earlier time (a first
   * read, a first invoker). A scan then drops later repeats of a value where they are read (`known-values.ts`):
   * the catalogue-wide test holds every such rule to it.
   */
  readonly onlyNewValues?: boolean;
}

export interface WindowSpec {
  readonly count: number;
  readonly windowSeconds: number;
}

export interface ThresholdSpec<E> extends WindowSpec {
  /** The counter key inside the rule: per user, per source IP, … */
  readonly groupBy: (e: E) => string;
  /** Count distinct values of this instead of events (e.g. distinct user names per IP for password spraying). */
  readonly distinct?: (e: E) => string;
  /** Risk-based thresholds (DESIGN §3): the asset's criticality picks the window. */
  readonly byCriticality?: Partial<Record<Criticality, WindowSpec>>;
}

export interface RuleCase {
  readonly name: string;
  readonly expect: 'match' | 'no-match';
  /** A CloudTrail record, or a Config `detail` for Config rules. */
  readonly event: unknown;
  /** Criticality the case is evaluated under (default: config default). */
  readonly criticality?: Criticality;
  /** Config overrides merged into the default detection config for this case. */
  readonly config?: Partial<DetectionConfig>;
  /** For behaviour rules: what the rule remembers from before this event. */
  readonly history?: HistoryView;
  /** IP intelligence for the case (a fake IP database, an anonymiser list); drills use the deployed ones. */
  readonly intel?: RuleIntel;
  /**
   * For behaviour rules: events (payloads, oldest first) that happen before this one and build that history.
   * Drills send them first, a minute apart, so the real handler remembers them.
   */
  readonly before?: readonly unknown[];
  /**
   * For behaviour rules whose memory spans days (learning periods): CloudTrail records that happen `daysBefore`
   * days before this event (`prepare.ts`). The case is judged on the history they build (with the case's own
   * intel), and a drill sends them first, dated that far back, so the real handler remembers them in the
   * drill's own namespace (never a real principal's memory).
   */
  readonly prepare?: readonly PreparedEvent[];
}

/** One backdated preparatory record of a case (see `RuleCase.prepare`). */
export interface PreparedEvent {
  /** How long before the case's event it happened, in days (more than 0, at most `MAX_PREPARE_DAYS`). */
  readonly daysBefore: number;
  readonly event: unknown;
}

export interface RuleDefinition<S extends EventSelector> {
  readonly id: string;
  readonly title: string;
  /** Severity at medium criticality; `escalation` overrides it for other criticalities. */
  readonly severity: Severity;
  readonly escalation?: Partial<Record<Criticality, Severity>>;
  readonly controls: readonly Control[];
  readonly mitre: readonly string[];
  readonly on: S;
  readonly match: (e: EventOf<S>, ctx: RuleContext) => boolean;
  readonly threshold?: ThresholdSpec<EventOf<S>>;
  readonly history?: HistoryDeclaration<EventOf<S>>;
  /** Repeats with the same key inside the dedup window fold into one finding instead of paging again. */
  readonly dedup?: { readonly key: (e: EventOf<S>) => string; readonly windowSeconds?: number };
  /** Resources the finding names; defaults to the record's `resources` ARNs. */
  readonly resources?: (e: EventOf<S>) => readonly string[];
  /** Event-specific facts for the finding's `details`: which ports, which policy statement, why not approved. */
  readonly explain?: (e: EventOf<S>, ctx: RuleContext) => readonly string[];
  readonly owner?: string;
  /** IP intelligence the rule reads from its context (`geo`, `anonymisers`). */
  readonly intel?: readonly IntelNeed[];
}

/** A registered rule: the definition with its event type erased, so a catalogue can hold them all. */
export interface Rule {
  readonly id: string;
  readonly title: string;
  readonly severity: Severity;
  readonly escalation: Partial<Record<Criticality, Severity>>;
  readonly controls: readonly Control[];
  readonly mitre: readonly string[];
  readonly on: EventSelector;
  readonly threshold:
    | (Omit<ThresholdSpec<unknown>, 'groupBy' | 'distinct'> & {
        readonly groupBy: (e: AuditEvent) => string;
        readonly distinct?: (e: AuditEvent) => string;
      })
    | null;
  readonly history: {
    readonly key: (e: AuditEvent) => string;
    readonly remember: (e: AuditEvent, intel: RuleIntel) => string | undefined;
    readonly spec: HistorySpec;
    /** See `HistoryDeclaration.onlyNewValues`. */
    readonly onlyNewValues: boolean;
  } | null;
  readonly dedup: { readonly key: (e: AuditEvent) => string; readonly windowSeconds: number };
  readonly match: (e: AuditEvent, ctx: RuleContext) => boolean;
  readonly resources: (e: AuditEvent) => readonly string[];
  readonly explain: (e: AuditEvent, ctx: RuleContext) => readonly string[];
  readonly owner: string;
  /** IP intelligence the rule reads (absent: none). */
  readonly intel?: readonly IntelNeed[];
}

/**
 * What a finding raised outside the rule catalogue (health, evidence and trail integrity, drills, observations)
 * says about itself: the catalogue entry a rule file would give, for checks that are not event rules.
 */
export interface CheckMeta extends RuleText {
  readonly title: string;
  readonly severity: Severity;
  readonly controls: readonly Control[];
  readonly mitre: readonly string[];
}

/**
 * The words a finding carries for people: what the rule detects and what on-call does about it. Kept in the rule
 * file's `docs`, out of the Lambda's JavaScript (they are most of its size): the CLI reads them from `docs`, the
 * evaluate function from the generated `rule-text.json` beside its bundle, on the first finding.
 */
export interface RuleText {
  readonly description: string;
  readonly runbook: readonly string[];
}

/** Looks a rule's text up by id; undefined for an unknown rule (the finding then says where the docs are). */
export type RuleTextSource = (ruleId: string) => RuleText | undefined;

/**
 * What a rule file says besides the rule itself: what it detects and what to do (`RuleText`), why it is as it is,
 * where it is wrong, and its inline cases. Exported beside the rule as `docs`, so tests, docs, drills and the
 * generated `rule-text.json` read it and the Lambda's JavaScript (which imports only `rule`) never carries it.
 */
export interface RuleDocs extends RuleText {
  /** Why this threshold and severity (auditors ask). */
  readonly rationale: string;
  readonly falsePositives: readonly string[];
  /** Inline test cases; a thunk so fixtures load only when asked for. */
  readonly cases: () => readonly RuleCase[];
}

/**
 * Everything a match needs from the rule's own functions, computed inside the engine's guard, so nothing past
 * `evaluate` calls rule code: a rule that throws anywhere (resources, dedup key, groupBy, distinct) is an
 * `error` verdict, never an exception in the detector or a renderer.
 */
export interface MatchFacts {
  readonly resources: readonly string[];
  /** Single-event rules: what repeats fold on. */
  readonly dedupKey?: string;
  /** Threshold rules: the counter group, and the value counted when the threshold counts distinct values. */
  readonly groupKey?: string;
  readonly distinct?: string;
  /** The rule's explanation; a throwing `explain` is reported here rather than costing the finding. */
  readonly details: readonly string[];
}

/** Outcome of one rule on one event. A throwing predicate becomes `error`; the others still run. */
export type Verdict =
  | {
      readonly kind: 'match';
      readonly rule: Rule;
      readonly event: AuditEvent;
      readonly ctx: RuleContext;
      readonly facts: MatchFacts;
    }
  | { readonly kind: 'no-match'; readonly rule: Rule }
  | { readonly kind: 'error'; readonly rule: Rule; readonly event: AuditEvent; readonly error: string };
