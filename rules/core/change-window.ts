import { unknownKeys } from './unknown-keys.ts';
/**
 * Change windows of the approved process (DESIGN §3): IAM, network and logging changes outside them are
 * findings even when the approved automation makes them. Pure: time comes from the event, never a clock.
 */

export const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface ChangeWindow {
  readonly days: readonly Weekday[];
  /** `HH:MM`, inclusive. */
  readonly start: string;
  /** `HH:MM`, exclusive, after `start` (split a window across midnight in two). */
  readonly end: string;
  /** IANA time zone, e.g. `UTC` or `Europe/Berlin`. */
  readonly timezone: string;
}

export const CHANGE_WINDOW_KEYS = ['days', 'start', 'end', 'timezone'];

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
const show = (v: unknown): string => JSON.stringify(v) ?? String(v);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const formatters = new Map<string, Intl.DateTimeFormat>();
const formatterFor = (timeZone: string): Intl.DateTimeFormat => {
  let f = formatters.get(timeZone);
  // Stryker disable next-line ConditionalExpression: equivalent, a cache; a new formatter each time gives the same answers
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  return f;
};

export const isTimeZone = (tz: string): boolean => {
  try {
    formatterFor(tz);
    return true;
  } catch {
    return false;
  }
};

/** Weekday and `HH:MM` of an instant in a time zone (daylight saving handled by Intl). */
export const localTime = (timeMs: number, timeZone: string): { day: Weekday; hhmm: string } => {
  const parts = formatterFor(timeZone).formatToParts(new Date(timeMs));
  // Stryker disable next-line OptionalChaining: equivalent, formatToParts always yields the weekday, hour and minute asked for
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return { day: get('weekday') as Weekday, hhmm: `${get('hour')}:${get('minute')}` };
};

export const isWithinWindow = (timeMs: number, w: ChangeWindow): boolean => {
  const { day, hhmm } = localTime(timeMs, w.timezone);
  return w.days.includes(day) && hhmm >= w.start && hhmm < w.end;
};

/** With no windows configured, any time is allowed: windows are an opt-in restriction. */
export const isWithinAnyWindow = (timeMs: number, windows: readonly ChangeWindow[]): boolean =>
  windows.length === 0 || windows.some((w) => isWithinWindow(timeMs, w));

export const describeWindow = (w: ChangeWindow): string => `${w.days.join(',')} ${w.start}-${w.end} ${w.timezone}`;

/** Validate one window, reporting each problem by path; returns the window only when it is entirely valid. */
export const parseChangeWindow = (
  path: string,
  w: unknown,
  at: (key: string, msg: string) => void,
): ChangeWindow | undefined => {
  if (!isRecord(w)) {
    at(path, `must be {days, start, end, timezone} (got ${show(w)})`);
    return undefined;
  }
  let ok = true;
  const fail = (key: string, msg: string) => {
    ok = false;
    at(`${path}.${key}`, msg);
  };
  unknownKeys(w, CHANGE_WINDOW_KEYS, '', fail);
  const days = w.days;
  if (
    !Array.isArray(days) ||
    days.length === 0 ||
    days.some((d) => !(WEEKDAYS as readonly unknown[]).includes(d)) ||
    new Set(days).size !== days.length
  ) {
    fail('days', `must be a non-empty list of distinct ${WEEKDAYS.join('|')} (got ${show(days)})`);
  }
  for (const key of ['start', 'end'] as const) {
    if (typeof w[key] !== 'string' || !HHMM.test(w[key] as string)) fail(key, `must be HH:MM (got ${show(w[key])})`);
  }
  if (ok && (w.start as string) >= (w.end as string)) {
    fail('end', `must be after start ${show(w.start)} (got ${show(w.end)}); split a window across midnight in two`);
  }
  const tz = w.timezone ?? 'UTC';
  if (typeof tz !== 'string' || !isTimeZone(tz)) fail('timezone', `must be an IANA time zone (got ${show(tz)})`);
  return ok
    ? { days: days as Weekday[], start: w.start as string, end: w.end as string, timezone: tz as string }
    : undefined;
};
