/**
 * Sliding-window threshold state, as a pure function shared by every `CounterStore` adapter, so the
 * in-memory (CLI) and DynamoDB (Lambda) counters cannot disagree.
 *
 * Semantics (DESIGN §3): a group fires when `count` distinct events (or distinct `distinct` values) fall
 * within ANY window of `windowMs`, i.e. `last.time - first.time < windowMs`, on event time. A fire at time f
 * claims (f - windowMs, f + windowMs): events inside are part of that burst and never start another one,
 * so a burst fires once and the group re-arms once the window has passed. Out-of-order input is handled
 * because claims are symmetric in time; a repeated event id never counts twice, and redelivering an event
 * that contributed to a fire replays that fire (so a failed page can be retried).
 */
export interface WindowEvent {
  readonly id: string;
  readonly t: number;
  /** Value counted for distinct thresholds; events without one count by id. */
  readonly d?: string;
}

export interface Claim {
  /** Time of the event that completed the window. */
  readonly at: number;
  /** Time of the first contributing event. */
  readonly start: number;
  readonly ids: readonly string[];
}

export interface WindowState {
  readonly pending: readonly WindowEvent[];
  readonly claims: readonly Claim[];
  /** Latest event time seen; pruning is relative to it, never to the wall clock. */
  readonly watermark: number;
}

export interface WindowParams {
  readonly count: number;
  readonly windowMs: number;
  /** How far behind the watermark an event may arrive and still count (window + lateness). */
  readonly horizonMs: number;
}

export interface Fire extends Claim {
  /** True when this fire was recorded before and an event that contributed to it was seen again. */
  readonly replay: boolean;
}

export const EMPTY_WINDOW: WindowState = { pending: [], claims: [], watermark: Number.NEGATIVE_INFINITY };

/** Bound on stored events per group, so one noisy key can never outgrow a DynamoDB item. */
export const MAX_PENDING = 2000;

const byTimeThenId = (a: WindowEvent, b: WindowEvent): number => a.t - b.t || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export const applyWindow = (
  state: WindowState,
  observed: readonly WindowEvent[],
  params: WindowParams,
): { readonly state: WindowState; readonly fires: readonly Fire[] } => {
  const { count, windowMs, horizonMs } = params;
  const known = new Set(state.pending.map((e) => e.id));
  const claimOf = new Map<string, Claim>();
  for (const claim of state.claims) for (const id of claim.ids) claimOf.set(id, claim);

  const replays = new Set<Claim>();
  const pending = [...state.pending];
  let watermark = state.watermark;
  // Stryker disable next-line MethodExpression: equivalent, each step below is order-free and `pending` is sorted after
  for (const e of [...observed].sort(byTimeThenId)) {
    watermark = Math.max(watermark, e.t);
    const claimed = claimOf.get(e.id);
    if (claimed !== undefined) {
      replays.add(claimed);
      continue;
    }
    if (known.has(e.id)) continue;
    known.add(e.id);
    if (state.claims.some((c) => Math.abs(e.t - c.at) < windowMs)) continue;
    pending.push(e);
  }
  pending.sort(byTimeThenId);

  const { remaining, claims: newClaims } = detect(pending, count, windowMs);
  const floor = watermark - horizonMs;
  const claims = [...state.claims, ...newClaims].filter((c) => c.at + windowMs > floor);
  const kept = remaining.filter((e) => e.t >= floor);
  return {
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, slicing a short list keeps it whole
    state: { pending: kept.length > MAX_PENDING ? kept.slice(-MAX_PENDING) : kept, claims, watermark },
    fires: [...[...replays].map((c) => ({ ...c, replay: true })), ...newClaims.map((c) => ({ ...c, replay: false }))],
  };
};

/** Earliest-first scan: fire at the first event that completes a window, claim its burst, go on after it. */
const detect = (sorted: readonly WindowEvent[], count: number, windowMs: number) => {
  const claims: Claim[] = [];
  const consumed = new Set<number>();
  let left = 0;
  const tally = new Map<string, number>();
  const keyOf = (e: WindowEvent) => e.d ?? e.id;
  for (let right = 0; right < sorted.length; right++) {
    const current = sorted[right] as WindowEvent;
    if (consumed.has(right)) continue;
    tally.set(keyOf(current), (tally.get(keyOf(current)) ?? 0) + 1);
    while (current.t - (sorted[left] as WindowEvent).t >= windowMs || consumed.has(left)) {
      const old = sorted[left] as WindowEvent;
      if (!consumed.has(left)) {
        const n = (tally.get(keyOf(old)) ?? 0) - 1;
        if (n === 0) tally.delete(keyOf(old));
        else tally.set(keyOf(old), n);
      }
      left++;
    }
    if (tally.size < count) continue;
    const ids: string[] = [];
    for (let i = left; i <= right; i++) ids.push((sorted[i] as WindowEvent).id);
    claims.push({ at: current.t, start: (sorted[left] as WindowEvent).t, ids });
    for (let i = left; i < sorted.length && (sorted[i] as WindowEvent).t - current.t < windowMs; i++) consumed.add(i);
    tally.clear();
    // Stryker disable next-line ArithmeticOperator: equivalent, left..right are all consumed and the loop skips them
    left = right + 1;
  }
  return { remaining: sorted.filter((_, i) => !consumed.has(i)), claims };
};
