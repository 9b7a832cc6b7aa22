import { isUnapprovedChange, unapprovedReasons } from './approved.ts';
import type { CloudTrailRecord, JsonObject } from './cloudtrail.ts';
import { accountOf, actorArn, isServiceInvoked, param } from './cloudtrail.ts';
import type { DetectionConfig } from './config.ts';
import { isOwnResource } from './self-protection.ts';
import type { Criticality } from './vocabulary.ts';

/**
 * Shared pieces of the data-destruction, backup and teardown rules (A.8.10, A.8.13, A.8.20): who deleted what
 * outside the approved process, how CloudTrail spells a flag, how bursts are grouped and counted, and which
 * error codes mean "not authorised".
 */

/** How services spell "not authorised": IAM/STS/S3, EC2 (with and without the `Client.` prefix), JSON APIs. */
export const DENIED_ERROR_CODES = [
  'AccessDenied',
  'AccessDeniedException',
  'Client.UnauthorizedOperation',
  'UnauthorizedOperation',
] as const;

/** Whether the call failed because the caller was not allowed to make it. */
export const isDenied = (e: CloudTrailRecord): boolean =>
  e.errorCode !== undefined && (DENIED_ERROR_CODES as readonly string[]).includes(e.errorCode);

/**
 * A request flag as CloudTrail logs it: a JSON boolean from JSON APIs, but `"true"`/`"false"` strings from the
 * query APIs of some SDKs and from hand-made records. Undefined when the request did not set it.
 */
export const flagParam = (obj: JsonObject | null | undefined, ...path: string[]): boolean | undefined => {
  const value = param(obj, ...path);
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const text = value.trim().toLowerCase();
    if (text === 'true') return true;
    if (text === 'false') return false;
  }
  return undefined;
};

/** A numeric request parameter, as a number or a numeric string; undefined when absent or unreadable. */
export const numberParam = (obj: JsonObject | null | undefined, ...path: string[]): number | undefined => {
  const value = param(obj, ...path);
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
};

/**
 * Deleted (or switched off) outside the approved process: a successful call someone made (not AWS on its own)
 * that is not an approved change, on a resource that is not one of Trailwarden's own (those have their own
 * critical `trailwarden-*-tampered` rules, which must not be doubled). `candidates` are the names and ARNs the
 * call names, as the self-protection globs are written.
 */
export const isUnapprovedDeletion = (
  e: CloudTrailRecord,
  config: DetectionConfig,
  candidates: readonly string[] = [],
): boolean => isUnapprovedChange(e, config.approved) && !isOwnResource(candidates, config);

/** Why the deletion is outside the approved process, for the finding's details. */
export const deletionReasons = (e: CloudTrailRecord, config: DetectionConfig): string[] =>
  unapprovedReasons(e, config.approved);

/**
 * The burst key: the account and the acting identity as CloudTrail names it (the user, or the role session),
 * so one stolen session is counted on its own and the many sessions of a shared role are not added together.
 */
export const byAccountAndActor = (e: CloudTrailRecord): string => `${accountOf(e)}|${actorArn(e)}`;

/** A burst threshold by asset criticality: fewer deletions page on high-criticality assets. */
export interface BurstSpec {
  readonly count: number;
  readonly windowSeconds: number;
  readonly byCriticality: Readonly<Record<Criticality, { readonly count: number; readonly windowSeconds: number }>>;
}

/**
 * Deletion bursts (volumes, snapshots, images, log streams, secrets): one deletion is housekeeping; several by
 * one identity within minutes is a sweep. Medium criticality: 5 in 10 minutes; high: 3 in 10 minutes; low: 10
 * in 15 minutes.
 */
export const DELETION_BURST: BurstSpec = {
  count: 5,
  windowSeconds: 600,
  byCriticality: {
    high: { count: 3, windowSeconds: 600 },
    medium: { count: 5, windowSeconds: 600 },
    low: { count: 10, windowSeconds: 900 },
  },
};

/** The threshold a burst rule declares: the shared spec, grouped per account and acting identity. */
export const deletionBurst = (spec: BurstSpec = DELETION_BURST) => ({
  count: spec.count,
  windowSeconds: spec.windowSeconds,
  byCriticality: spec.byCriticality,
  groupBy: byAccountAndActor,
});

/**
 * A deletion a burst rule counts: it succeeded and someone made it. Approved automation is not exempt: a
 * pipeline's role that deletes dozens of snapshots in minutes is exactly what a stolen pipeline role does, and
 * retention jobs that prune on schedule run as AWS (Data Lifecycle Manager, AWS Backup), which is excluded.
 */
export const isCountedDeletion = (e: CloudTrailRecord): boolean =>
  (e.errorCode === undefined || e.errorCode === '') && !isServiceInvoked(e);

/**
 * The thresholds of a burst spec in words, for rationales: `3 in 10 minutes on high-criticality assets, …`.
 * Rule files call it as `/* @__PURE__ *\/ describeBurst(…)` so the bundler drops their `docs` with it.
 */
export const describeBurst = (spec: BurstSpec): string => {
  const { high, medium, low } = spec.byCriticality;
  const minutes = (s: number): string => `${s / 60} minutes`;
  return (
    `${high.count} in ${minutes(high.windowSeconds)} on high-criticality assets, ` +
    `${medium.count} in ${minutes(medium.windowSeconds)} on medium, ${low.count} in ${minutes(low.windowSeconds)} on low`
  );
};
