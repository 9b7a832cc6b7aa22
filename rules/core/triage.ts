import { createHash } from 'node:crypto';

/**
 * Triage decisions (issue 10 §2, DESIGN §6): who acknowledged, resolved or reported as missed what, and when.
 * Each decision is an immutable evidence object under `triage/`; an incident's (or a finding's) status is never
 * stored, it is folded from its decisions, so an edited or deleted decision shows in `verify`, not in a status
 * field someone could overwrite. Pure: no clock, no I/O.
 */
export const TRIAGE_SCHEMA = 'trailwarden.triage/v1';
export const TRIAGE_PREFIX = 'triage/';

export const TRIAGE_ACTIONS = ['ack', 'resolve', 'missed'] as const;
export type TriageAction = (typeof TRIAGE_ACTIONS)[number];
export const VERDICTS = ['true-positive', 'false-positive', 'benign-expected', 'duplicate'] as const;
export type Verdict = (typeof VERDICTS)[number];
/** `trailwarden`: a scheduled check saw the cause go away (elevated-access.ts) and resolved its own finding. */
export const TRIAGE_SOURCES = ['cli', 'pagerduty', 'trailwarden'] as const;
export type TriageSource = (typeof TRIAGE_SOURCES)[number];
export const TRIAGE_STATUSES = ['new', 'acknowledged', 'resolved'] as const;
export type TriageStatus = (typeof TRIAGE_STATUSES)[number];

export interface TriageDecision {
  readonly schema: typeof TRIAGE_SCHEMA;
  /** Deterministic: the same decision recorded twice (a retried command, a redelivered webhook) has one id. */
  readonly id: string;
  /** The incident or finding decided on; for `missed`, the decision's own id (nothing was detected). */
  readonly target: string;
  readonly action: TriageAction;
  /** Required on a CLI `resolve`; a PagerDuty resolution may lack one until someone classifies it. */
  readonly verdict?: Verdict;
  readonly note: string;
  readonly by: string;
  /** ISO-8601 UTC, when the decision was taken (not when it was archived). */
  readonly at: string;
  readonly source: TriageSource;
  /** `missed` only: the rule that should have caught it. */
  readonly ruleId?: string;
  /** `pagerduty` only: the webhook event id (what makes a redelivery the same decision). */
  readonly externalId?: string;
}

/** What a caller asks for; `triageDecision` validates it and derives the id. */
export interface TriageRequest {
  readonly target?: string;
  readonly action: TriageAction;
  readonly verdict?: string;
  readonly note?: string;
  readonly by: string;
  readonly at: string;
  readonly source: TriageSource;
  readonly ruleId?: string;
  readonly externalId?: string;
}

export type TriageResult =
  | { readonly ok: true; readonly decision: TriageDecision }
  | { readonly ok: false; readonly errors: readonly string[] };

/** Incident and finding ids are hex hashes today; this also admits other deterministic ids, never a path. */
export const TARGET_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$/;
const RULE_ID = /^[a-z0-9-]+\.[a-z0-9.-]+$/;
const MAX_NOTE = 2000;
const MAX_BY = 200;

const isVerdict = (v: unknown): v is Verdict => (VERDICTS as readonly unknown[]).includes(v);

/** `2026-11-02T10:00:00Z` (any offset, any precision) → canonical ISO UTC with milliseconds, else undefined. */
export const canonicalTime = (text: string): string | undefined => {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
};

const hashId = (parts: readonly string[]): string =>
  createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);

/** Validate a request into a decision; every problem at once. */
export const triageDecision = (req: TriageRequest): TriageResult => {
  const errors: string[] = [];
  const at = canonicalTime(req.at);
  if (at === undefined)
    errors.push(`at: must be an ISO-8601 time with a zone, e.g. 2026-11-02T10:15:00Z (got "${req.at}")`);
  const by = req.by.trim();
  if (by === '' || by.length > MAX_BY || [...by].some((c) => c.charCodeAt(0) < 0x20)) {
    errors.push(`by: must name who decided (1 to ${MAX_BY} printable characters)`);
  }
  const note = (req.note ?? '').trim();
  if (note.length > MAX_NOTE) errors.push(`note: at most ${MAX_NOTE} characters`);
  if (!(TRIAGE_SOURCES as readonly string[]).includes(req.source))
    errors.push(`source: must be cli, pagerduty or trailwarden`);
  if (req.action === 'missed') {
    if (req.target !== undefined) errors.push('a missed detection names no target id (it was never detected)');
    if (req.ruleId === undefined || !RULE_ID.test(req.ruleId)) {
      errors.push('missed: --rule must name the rule that should have caught it (e.g. iam.access-key-created)');
    }
    if (note === '') errors.push('missed: describe what was missed (the text)');
    if (req.verdict !== undefined) errors.push('missed: takes no verdict');
  } else {
    if (req.target === undefined || !TARGET_ID.test(req.target)) {
      errors.push(`target: must be an incident or finding id (got ${JSON.stringify(req.target ?? '')})`);
    }
    if (req.ruleId !== undefined) errors.push(`${req.action}: --rule is only for --missed`);
    // PagerDuty and Trailwarden's own checks resolve without a verdict; the on-call classifies it afterwards
    // with `trailwarden triage`.
    const verdictNeeded = req.action === 'resolve' && (req.source === 'cli' || req.verdict !== undefined);
    if (verdictNeeded && !isVerdict(req.verdict)) {
      errors.push(`resolve: --verdict must be one of ${VERDICTS.join(', ')}`);
    }
    if (req.action === 'ack' && req.verdict !== undefined) errors.push('ack: takes no verdict (give it on --resolve)');
  }
  if (req.source === 'pagerduty' && (req.externalId === undefined || req.externalId === '')) {
    errors.push('pagerduty: the webhook event id is required');
  }
  if (errors.length > 0 || at === undefined) return { ok: false, errors };
  // The id covers what the decision is, so re-running the same command is a no-op and a different note or
  // verdict for the same moment is a different decision (which the state machine then refuses).
  // A check resolves a finding once: its id ignores the moment, so a retried run targets the same key.
  const id = hashId(
    req.source === 'pagerduty'
      ? ['pagerduty', req.externalId ?? '']
      : req.source === 'trailwarden'
        ? ['trailwarden', req.action, req.target ?? '', by]
        : [req.action, req.target ?? '', req.verdict ?? '', req.ruleId ?? '', at, by, note],
  );
  const decision: TriageDecision = {
    schema: TRIAGE_SCHEMA,
    id,
    target: req.action === 'missed' ? id : (req.target ?? ''),
    action: req.action,
    ...(req.action === 'resolve' && isVerdict(req.verdict) ? { verdict: req.verdict } : {}),
    note,
    by,
    at,
    source: req.source,
    ...(req.action === 'missed' && req.ruleId !== undefined ? { ruleId: req.ruleId } : {}),
    ...(req.source === 'pagerduty' && req.externalId !== undefined ? { externalId: req.externalId } : {}),
  };
  return { ok: true, decision };
};

/**
 * `triage/dt=<day written>/<id>.json`. The day is when it is archived, not `at`: the digest function finds new
 * evidence by listing the days it was written in, so a decision recorded today about last week is chained too.
 * A retry the same day hits the same key (refused by IfNoneMatch); readers deduplicate by id across days.
 */
export const triageKey = (d: Pick<TriageDecision, 'id'>, writtenAt: string): string =>
  `${TRIAGE_PREFIX}dt=${new Date(Date.parse(writtenAt)).toISOString().slice(0, 10)}/${d.id}.json`;

/** The exact bytes archived (the digest chain hashes these). */
export const triageBody = (d: TriageDecision): string => `${JSON.stringify(d, null, 2)}\n`;

/** A decision read back from evidence, or why not. */
export const parseTriageDecision = (value: unknown): TriageDecision | undefined => {
  if (value === null || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  if (v.schema !== TRIAGE_SCHEMA) return undefined;
  const strings = [v.id, v.target, v.action, v.note, v.by, v.at, v.source];
  if (!strings.every((s) => typeof s === 'string')) return undefined;
  if (!(TRIAGE_ACTIONS as readonly unknown[]).includes(v.action)) return undefined;
  if (!(TRIAGE_SOURCES as readonly unknown[]).includes(v.source)) return undefined;
  if (canonicalTime(String(v.at)) === undefined) return undefined;
  if (v.verdict !== undefined && !isVerdict(v.verdict)) return undefined;
  if (v.action === 'resolve' && v.verdict === undefined && v.source === 'cli') return undefined;
  if (v.ruleId !== undefined && typeof v.ruleId !== 'string') return undefined;
  return value as TriageDecision;
};

/** An incident's or finding's response so far, folded from its decisions. */
export interface TriageState {
  readonly status: TriageStatus;
  /** First acknowledgement; a resolution without one acknowledges at the same moment. */
  readonly acknowledgedAt?: string;
  readonly acknowledgedBy?: string;
  readonly resolvedAt?: string;
  readonly resolvedBy?: string;
  readonly verdict?: Verdict;
  readonly note?: string;
  /** Who gave the verdict after a resolution without one. */
  readonly classifiedBy?: string;
  /** Decisions that did not apply (an ack after the resolution, a second resolution), by id. */
  readonly ignored: readonly string[];
}

export const NEW_STATE: TriageState = { status: 'new', ignored: [] };

const byTime = (a: TriageDecision, b: TriageDecision): number =>
  a.at < b.at ? -1 : a.at > b.at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

/**
 * Apply one decision: new → acknowledged → resolved. Resolving skips acknowledging (a quick false positive);
 * nothing moves a resolved target back; a resolution without a verdict (PagerDuty) takes one later verdict. Returns the state and whether the decision applied.
 */
export const applyDecision = (state: TriageState, d: TriageDecision): { state: TriageState; applied: boolean } => {
  if (d.action === 'ack' && state.status === 'new') {
    return { state: { ...state, status: 'acknowledged', acknowledgedAt: d.at, acknowledgedBy: d.by }, applied: true };
  }
  if (d.action === 'resolve' && state.status === 'resolved' && state.verdict === undefined && d.verdict !== undefined) {
    // Classifying a resolution that arrived without a verdict (from PagerDuty): the resolution time stands.
    return {
      state: { ...state, verdict: d.verdict, ...(d.note === '' ? {} : { note: d.note }), classifiedBy: d.by },
      applied: true,
    };
  }
  if (d.action === 'resolve' && state.status !== 'resolved') {
    return {
      state: {
        ...state,
        status: 'resolved',
        acknowledgedAt: state.acknowledgedAt ?? d.at,
        acknowledgedBy: state.acknowledgedBy ?? d.by,
        resolvedAt: d.at,
        resolvedBy: d.by,
        ...(d.verdict === undefined ? {} : { verdict: d.verdict }),
        ...(d.note === '' ? {} : { note: d.note }),
      },
      applied: true,
    };
  }
  return { state: { ...state, ignored: [...state.ignored, d.id] }, applied: false };
};

/**
 * The state from every decision on one target, in time order (webhooks may arrive out of order: an ack
 * delivered after the resolve it preceded still counts as the acknowledgement).
 */
export const foldDecisions = (decisions: readonly TriageDecision[]): TriageState =>
  [...decisions]
    .filter((d) => d.action !== 'missed')
    .sort(byTime)
    .reduce((state, d) => applyDecision(state, d).state, NEW_STATE);

/**
 * Whether a new CLI decision may be recorded on a target whose decisions so far are `existing`: the same
 * decision again is a no-op (`duplicate`), a transition the state machine refuses is an error naming why.
 */
export const checkTransition = (
  existing: readonly TriageDecision[],
  next: TriageDecision,
  openedAt?: string,
): { readonly kind: 'ok' } | { readonly kind: 'duplicate' } | { readonly kind: 'refused'; readonly reason: string } => {
  if (existing.some((d) => d.id === next.id)) return { kind: 'duplicate' };
  if (openedAt !== undefined && next.at < openedAt) {
    return { kind: 'refused', reason: `${next.at} is before ${next.target} was opened (${openedAt})` };
  }
  const state = foldDecisions(existing);
  const last = [...existing]
    .filter((d) => d.action !== 'missed')
    .sort(byTime)
    .at(-1);
  if (last !== undefined && next.at < last.at) {
    return { kind: 'refused', reason: `${next.at} is before the last decision on ${next.target} (${last.at})` };
  }
  if (state.status === 'resolved' && state.verdict === undefined && next.action === 'resolve') return { kind: 'ok' };
  if (state.status === 'resolved') {
    return {
      kind: 'refused',
      // A PagerDuty resolution may still lack its verdict (an ack after it lands here): no empty "()".
      reason: `${next.target} was resolved${state.verdict === undefined ? '' : ` (${state.verdict})`} at ${state.resolvedAt ?? ''}; resolved is final`,
    };
  }
  if (next.action === 'ack' && state.status === 'acknowledged') {
    return {
      kind: 'refused',
      reason: `${next.target} was acknowledged by ${state.acknowledgedBy ?? ''} at ${state.acknowledgedAt ?? ''}`,
    };
  }
  return { kind: 'ok' };
};
