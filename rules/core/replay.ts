/**
 * Replay (issue 14 §2): months of CloudTrail run again through the engine, in AWS, by `trailwarden replay`.
 * Every event of a replay carries its mark, and so does every finding and incident it produces. The mark keeps
 * replay state in a namespace of its own (counters, history, dedup, finding and incident ids: see
 * `namespaceOf` in detector.ts), so a replay can neither fold into nor suppress a live finding, nor pre-claim a
 * live window, and two replays never meet each other either.
 */
export interface ReplayMark {
  /** The replay's id (the Step Functions execution name): a namespace, and a partition of the evidence keys. */
  readonly id: string;
  /**
   * The UTC day (YYYY-MM-DD) the replay's detect step started: replay evidence is keyed by it, not by the day of
   * the (months old) events, because the digest function only chains keys dated at most two days before the
   * write (`KEY_DAY_LOOKBACK_DAYS`). Fixed for the step, so a retried write targets the same key.
   */
  readonly day: string;
}

/** Ids the S3 key and DynamoDB namespaces can carry unescaped: the Step Functions execution-name alphabet. */
export const REPLAY_ID = /^[A-Za-z0-9_-]{1,80}$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

export const isReplayMark = (v: unknown): v is ReplayMark => {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  return typeof m.id === 'string' && REPLAY_ID.test(m.id) && typeof m.day === 'string' && DAY.test(m.day);
};

/** The state namespace of a replay's events: disjoint from live (''), drills and every other replay. */
export const replayNamespace = (mark: ReplayMark): string => `replay|${mark.id}|`;

/** The evidence partition of a replay: `<prefix>dt=<day>/replay=<id>/`, Hive-style so Athena can filter it. */
export const replayPartition = (mark: ReplayMark): string => `dt=${mark.day}/replay=${mark.id}/`;

const DAY_MS = 86_400_000;

/** Parses `YYYY-MM-DD` as a UTC day; undefined when it is not a real calendar day. */
export const parseDay = (text: string): number | undefined => {
  if (!DAY.test(text)) return undefined;
  const ms = Date.parse(`${text}T00:00:00Z`);
  return Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== text ? undefined : ms;
};

/** The event-time range of a replay: from the start of `from` to the end of `to` (UTC), half-open. */
export interface ReplayRange {
  readonly fromMs: number;
  readonly toMs: number;
}

export const rangeOf = (from: string, to: string): ReplayRange | string => {
  const f = parseDay(from);
  const t = parseDay(to);
  if (f === undefined) return `--from ${from} is not a day (YYYY-MM-DD)`;
  if (t === undefined) return `--to ${to} is not a day (YYYY-MM-DD)`;
  if (t < f) return `--to ${to} is before --from ${from}`;
  return { fromMs: f, toMs: t + DAY_MS };
};

export const inRange = (range: ReplayRange, timeMs: number): boolean => timeMs >= range.fromMs && timeMs < range.toMs;

/**
 * The delivery-day folders (`YYYY/MM/DD`) that can hold events of the range: CloudTrail files sit under the day
 * they were delivered, minutes after the event, so an event of 23:58 on the last day can sit in the next day's
 * folder. The extra day's other events are outside the range and left out by event time.
 */
export const deliveryDays = (range: ReplayRange): string[] => {
  const days: string[] = [];
  for (let t = range.fromMs; t <= range.toMs; t += DAY_MS)
    days.push(new Date(t).toISOString().slice(0, 10).replaceAll('-', '/'));
  return days;
};

/**
 * The order `trailwarden scan` reads a directory in (depth first, names in byte order), for S3 keys: the detect
 * step feeds files in this order, so a replay and a scan of the same files downloaded see the same batches.
 */
export const byWalkOrder = (a: string, b: string): number => {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
};

/** What the select step kept of one file: its event count and the events some rule may look at, by position. */
export interface SelectedFile<E> {
  readonly key: string;
  /** Every event parsed from the file (in range or not): positions in `scan`'s event stream. */
  readonly events: number;
  readonly candidates: readonly { readonly i: number; readonly event: E }[];
}

/**
 * The detector batches of a scan over these files, candidates only: `scan` cuts its event stream (files in walk
 * order, events in file order) into batches of `batchSize`, and batch boundaries matter (a threshold window is
 * evaluated a batch at a time), so the detect step cuts at the same positions. Events no rule selects produce
 * nothing in a batch and are left out.
 */
export const scanBatches = <E>(files: readonly SelectedFile<E>[], batchSize: number): E[][] => {
  const sorted = [...files].sort((a, b) => byWalkOrder(a.key, b.key));
  const batches = new Map<number, E[]>();
  let offset = 0;
  for (const f of sorted) {
    for (const c of f.candidates) {
      const n = Math.floor((offset + c.i) / batchSize);
      const batch = batches.get(n);
      if (batch === undefined) batches.set(n, [c.event]);
      else batch.push(c.event);
    }
    offset += f.events;
  }
  return [...batches.entries()].sort((a, b) => a[0] - b[0]).map(([, events]) => events);
};
