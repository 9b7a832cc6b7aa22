import type { CloudTrailRecord } from './cloudtrail.ts';
import type { AnonymiserView, Location, RuleIntel } from './geo.ts';
import { countryOfPlace, describeLocation, locate, placeOf } from './geo.ts';
import type { HistoryView } from './history.ts';
import { learnedFor } from './history.ts';
import { personKey, signInResult } from './signin.ts';

/**
 * Where people sign in from, for the country and network rules (`signin.new-country`, `signin.new-network`). Both
 * remember the same value per person: `<country>|AS<number>` of each successful console sign-in, `internal` for a
 * private network. The memory is written before judging but read only as it stood before the event (history.ts
 * `viewBefore`), so an attacker's first sign-in from a new country cannot teach that country to its own verdict.
 */

/** How long a person must be known before a new place means anything (as for new addresses). */
export const PLACE_LEARNING_DAYS = 14;
/** Places are remembered this long: a country unused for 180 days is new again (half-yearly travel stays quiet). */
export const PLACE_REMEMBER_DAYS = 180;

export const isSuccessfulSignIn = (e: CloudTrailRecord): boolean => signInResult(e) === 'Success';

/** The sign-in's location, or undefined where no IP database is wired (the rules then say nothing). */
export const signInLocation = (e: CloudTrailRecord, intel: RuleIntel): Location | undefined =>
  intel.geo === undefined ? undefined : locate(e.sourceIPAddress, intel.geo);

/** What a successful sign-in teaches the person's memory; failed sign-ins teach nothing (anyone can fail one). */
export const rememberPlace = (e: CloudTrailRecord, intel: RuleIntel): string | undefined => {
  if (!isSuccessfulSignIn(e)) return undefined;
  const loc = signInLocation(e, intel);
  return loc === undefined ? undefined : placeOf(loc);
};

/** The person has been seen long enough for novelty to mean something. */
export const hasLearned = (history: HistoryView | undefined, atMs: number): history is HistoryView =>
  learnedFor(history, atMs, PLACE_LEARNING_DAYS);

export const knownPlaces = (history: HistoryView | undefined): ReadonlySet<string> =>
  new Set((history?.sightings ?? []).map((s) => s.v));

export const knownCountries = (history: HistoryView | undefined): ReadonlySet<string> =>
  new Set([...knownPlaces(history)].flatMap((p) => countryOfPlace(p) ?? []));

const list = (values: Iterable<string>): string => [...values].sort().join(', ') || 'none';

/** Anonymiser list context for a finding (whichever sign-in rule raised it). */
export const anonymiserNote = (ip: string | undefined, view: AnonymiserView | undefined): string | undefined => {
  if (view === undefined) return undefined;
  if (view.kind === 'unavailable') return `anonymiser list not checked: ${view.error}`;
  const entry = ip === undefined ? undefined : view.list.match(ip);
  return entry === undefined
    ? `not on anonymiser list ${view.list.name} (${view.list.source})`
    : `ON anonymiser list ${view.list.name} (${view.list.source}) as ${entry}`;
};

/** The facts on-call needs: where from, what was known, and whether the address is an anonymiser. */
export const placeDetails = (
  e: CloudTrailRecord,
  intel: RuleIntel,
  history: HistoryView | undefined,
): readonly string[] => {
  const loc = signInLocation(e, intel);
  const places = [...knownPlaces(history)].map((p) => p.replace('|', ' '));
  return [
    `signed in from ${loc === undefined ? `${e.sourceIPAddress ?? '(none)'} (no IP database wired)` : describeLocation(loc)}`,
    `countries known for this person: ${list(knownCountries(history))}`,
    `networks known for this person: ${list(places)}`,
    ...(intel.geo === undefined ? [] : [`IP data: ${intel.geo.source}`]),
    ...[anonymiserNote(e.sourceIPAddress, intel.anonymisers)].flatMap((n) => n ?? []),
  ];
};

/** The memory both place rules keep: one sighting per place (`CC|ASn`) per person, for PLACE_REMEMBER_DAYS. */
export const PLACE_HISTORY = {
  key: personKey,
  remember: rememberPlace,
  retainSeconds: PLACE_REMEMBER_DAYS * 86_400,
  distinctValues: true,
} as const;

/** One finding per person and address a day, for both place rules. */
export const PLACE_DEDUP = {
  key: (e: CloudTrailRecord): string => `${personKey(e)}|${e.sourceIPAddress ?? ''}`,
  windowSeconds: 86_400,
} as const;
