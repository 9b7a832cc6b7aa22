import type { CloudTrailRecord } from './cloudtrail.ts';
import { accountOf, isServiceInvoked, isSuccess, principalArn } from './cloudtrail.ts';
import type { HistoryView } from './history.ts';
import type { HistoryDeclaration } from './types.ts';

/**
 * "Reads this identity has not made before", for the read-burst rules (secrets, SecureString parameters).
 * Applications read the same few secrets all day; counting every read made each one a DynamoDB counter write
 * (575 writes per 1,000 routed events on the bench mix) without ever bringing a dump closer to its threshold.
 * Counting only values new to the identity keeps the signal (a dump reads what the identity never read) and
 * costs a write only when something is new: distinct-value history moves `last` at most once a day.
 */

/** A value read within this many days is known: a quarterly job's secrets are still remembered next quarter. */
export const FIRST_READ_REMEMBER_DAYS = 100;

/**
 * Whose memory: the role behind an assumed-role session (its session names change with every instance, task
 * or invocation), else the user. An attacker using a role's stolen session is judged against what the role reads.
 */
export const readerOf = (e: CloudTrailRecord): string => `${accountOf(e)}|${principalArn(e)}`;

/** Only successful reads the identity made itself are learnt: a refused probe must not make a value "known". */
export const firstReadHistory = <E extends CloudTrailRecord>(
  readOf: (e: E) => string | undefined,
): HistoryDeclaration<E> => ({
  key: readerOf,
  remember: (e) => (isSuccess(e) && !isServiceInvoked(e) ? readOf(e) : undefined),
  retainSeconds: FIRST_READ_REMEMBER_DAYS * 86_400,
  distinctValues: true,
  // A read-burst rule counts a value only when it is new to the identity (`isFirstRead`).
  onlyNewValues: true,
});

/**
 * New to the identity: not among the values it read before this event. No history at all (a path that judges
 * without the store) counts as new, so the rule over-counts rather than misses.
 */
export const isFirstRead = (value: string | undefined, history: HistoryView | undefined): boolean =>
  value === undefined || history === undefined || !history.sightings.some((s) => s.v === value);
