import { fromRecord } from './events.ts';
import type { RuleIntel } from './geo.ts';
import type { HistoryView, Sighting } from './history.ts';
import { EMPTY_HISTORY, recordSightings, viewBefore } from './history.ts';
import type { AuditEvent, PreparedEvent, Rule } from './types.ts';
import { isCloudTrailSelector } from './types.ts';

/**
 * Backdated preparation of a case (`RuleCase.prepare`), pure: the records a behaviour rule must have seen days
 * before its event (the 14 days of sign-ins `signin.new-country` learns from), as dated records for a drill and
 * as the history they build for the case's own test. One definition for both, so a case that passes is a drill
 * that builds the same memory in the real handler.
 */

const DAY_MS = 86_400_000;
/** Further back than a year no rule remembers anything; a preparation that far back is a mistake. */
export const MAX_PREPARE_DAYS = 366;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** CloudTrail writes whole seconds: `2026-11-02T08:59:12Z`. */
// Stryker disable next-line Regex: toISOString always ends in `.sssZ` with no other Z, so the anchor changes nothing
const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** `event` once a day on each of the `days` days before the case's event (days -days .. -1). */
export const dailyBefore = (days: number, event: unknown): PreparedEvent[] =>
  Array.from({ length: days }, (_, i) => ({ daysBefore: days - i, event }));

/** What is wrong with a rule's preparation (empty when it is usable). */
export const prepareErrors = (rule: Rule, prepare: readonly PreparedEvent[]): string[] => {
  const errors: string[] = [];
  if (!isCloudTrailSelector(rule.on)) errors.push('only CloudTrail rules take a backdated preparation');
  if (rule.history === null) errors.push('the rule remembers nothing: a preparation would teach it nothing');
  for (const [i, p] of prepare.entries()) {
    if (!Number.isFinite(p.daysBefore) || p.daysBefore <= 0 || p.daysBefore > MAX_PREPARE_DAYS)
      errors.push(`prepare[${i}].daysBefore must be more than 0 and at most ${MAX_PREPARE_DAYS} (got ${p.daysBefore})`);
    if (!isObject(p.event)) errors.push(`prepare[${i}].event is not a CloudTrail record`);
  }
  return errors;
};

export interface PreparedRecord {
  readonly timeMs: number;
  /** The payload with its own eventID and its backdated eventTime. */
  readonly record: Record<string, unknown>;
}

/** The preparation as records dated before `atMs` (whole seconds), oldest first; `idOf(i)` names the i-th. */
export const preparedRecords = (
  prepare: readonly PreparedEvent[],
  atMs: number,
  idOf: (i: number) => string,
): PreparedRecord[] =>
  [...prepare]
    .sort((a, b) => b.daysBefore - a.daysBefore)
    .map((p, i) => {
      const timeMs = atMs - Math.round((p.daysBefore * DAY_MS) / 1000) * 1000;
      const payload = isObject(p.event) ? p.event : {};
      return { timeMs, record: { ...payload, eventID: idOf(i), eventTime: isoSeconds(timeMs) } };
    });

/**
 * What the rule remembers of `event`'s key after the preparation, as its predicate would see it (only what is
 * strictly before the event); undefined when the rule remembers nothing. Records of another key (another
 * person) teach this one nothing, as in the detector.
 */
export const preparedHistory = (
  rule: Rule,
  prepare: readonly PreparedEvent[],
  event: AuditEvent,
  intel: RuleIntel,
): HistoryView | undefined => {
  const history = rule.history;
  if (history === null) return undefined;
  const key = history.key(event);
  const sightings: Sighting[] = [];
  for (const { record, timeMs } of preparedRecords(prepare, event.timeMs, (i) => `prepare-${i}`)) {
    const parsed = fromRecord(record);
    if (!parsed.ok || history.key(parsed.event) !== key) continue;
    const v = history.remember(parsed.event, intel);
    if (v !== undefined) sightings.push({ id: parsed.event.id, v, t: timeMs, last: timeMs });
  }
  return viewBefore(recordSightings(EMPTY_HISTORY, sightings, history.spec), event);
};
