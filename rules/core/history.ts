/**
 * Per-key memory for behaviour rules ("success after failures", "a source never seen for this user"): what a
 * rule chose to remember about earlier events, kept behind the `HistoryStore` port so the CLI (memory) and
 * the Lambda (DynamoDB) share one semantics. Predicates stay pure: the detector hands them a read-only
 * view of the sightings before the event, as data in the context.
 */

/** One remembered fact. In distinct mode one sighting per value: `t` first seen, `last` last seen. */
export interface Sighting {
  readonly id: string;
  readonly v: string;
  readonly t: number;
  readonly last: number;
}

export interface History {
  /** Earliest event ever recorded for the key (survives pruning): the start of the learning period. */
  readonly first: number | null;
  readonly sightings: readonly Sighting[];
}

export const EMPTY_HISTORY: History = { first: null, sightings: [] };

export interface HistorySpec {
  /** Sightings last seen longer ago than this (behind the newest) are forgotten. */
  readonly retainMs: number;
  /** Keep one sighting per value (sources seen) instead of one per event (failures counted). */
  readonly distinctValues: boolean;
  /** Most sightings kept per key, newest first: bounds the item size whatever the traffic. */
  readonly max: number;
}

/** What a predicate sees: only what happened strictly before the event, so a retry sees exactly the same. */
export interface HistoryView {
  readonly first: number | null;
  readonly sightings: readonly Sighting[];
}

/**
 * In distinct mode `last` only moves when it moves by more than a hundredth of the retention (about 22 hours
 * for 90 days): a person signing in from their usual address every hour then costs no write at all, and a
 * value is forgotten at most that much early.
 */
export const LAST_SEEN_STEP = 0.01;

// The earliest sighting represents the value; at the same moment the smaller id, so arrival order never shows.
const combine = (a: Sighting, b: Sighting, last: number): Sighting => ({
  id: b.t < a.t || (b.t === a.t && b.id < a.id) ? b.id : a.id,
  v: a.v,
  t: Math.min(a.t, b.t),
  last,
});

const merge = (existing: readonly Sighting[], incoming: readonly Sighting[], spec: HistorySpec): Sighting[] => {
  const keyOf = (s: Sighting) => (spec.distinctValues ? s.v : s.id);
  // The batch first, exactly; then against what is stored, where `last` moves only by more than the step.
  // Two passes keep the result independent of the order events arrive in.
  const batch = new Map<string, Sighting>();
  for (const s of incoming) {
    const seen = batch.get(keyOf(s));
    batch.set(keyOf(s), seen === undefined ? s : combine(seen, s, Math.max(seen.last, s.last)));
  }
  const step = spec.distinctValues ? spec.retainMs * LAST_SEEN_STEP : 0;
  const out = new Map(existing.map((s) => [keyOf(s), s] as const));
  for (const [k, s] of batch) {
    const stored = out.get(k);
    out.set(k, stored === undefined ? s : combine(stored, s, s.last > stored.last + step ? s.last : stored.last));
  }
  return [...out.values()];
};

/** Add sightings (idempotent per event id, order-independent), then forget what is past retention or the cap. */
export const recordSightings = (history: History, incoming: readonly Sighting[], spec: HistorySpec): History => {
  if (incoming.length === 0) return history;
  const merged = merge(history.sightings, incoming, spec);
  const newest = Math.max(...merged.map((s) => s.last));
  const kept = merged
    .filter((s) => s.last >= newest - spec.retainMs)
    .sort((a, b) => b.last - a.last || (a.id < b.id ? -1 : 1))
    .slice(0, spec.max)
    .sort((a, b) => a.t - b.t || (a.id < b.id ? -1 : 1));
  const earliest = Math.min(...incoming.map((s) => s.t));
  return { first: history.first === null ? earliest : Math.min(history.first, earliest), sightings: kept };
};

export const viewBefore = (history: History, event: { readonly id: string; readonly timeMs: number }): HistoryView => ({
  first: history.first !== null && history.first < event.timeMs ? history.first : null,
  sightings: history.sightings.filter((s) => s.t < event.timeMs && s.id !== event.id),
});

const DAY_MS = 86_400_000;

/** The key has been remembered for at least `learningDays` before `atMs`: only then does novelty mean something. */
export const learnedFor = (
  history: HistoryView | undefined,
  atMs: number,
  learningDays: number,
): history is HistoryView =>
  history !== undefined && history.first !== null && atMs - history.first >= learningDays * DAY_MS;

/** After the learning period, `value` is not among the values remembered before the event ("never seen here"). */
export const isNewAfterLearning = (
  value: string,
  atMs: number,
  history: HistoryView | undefined,
  learningDays: number,
): boolean => learnedFor(history, atMs, learningDays) && !history.sightings.some((s) => s.v === value);
