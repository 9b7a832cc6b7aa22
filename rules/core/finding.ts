import { createHash } from 'node:crypto';
import type { ReplayMark } from './replay.ts';
import type { Control, Criticality, Severity } from './vocabulary.ts';

/** One finding, as paged, archived and printed (DESIGN §4). */
export interface Finding {
  readonly schema: 'trailwarden.finding/v1';
  readonly id: string;
  readonly ruleId: string;
  readonly title: string;
  readonly description: string;
  readonly severity: Severity;
  readonly criticality: Criticality;
  readonly controls: readonly Control[];
  readonly mitre: readonly string[];
  readonly account: string;
  readonly region: string;
  readonly actor: Actor;
  readonly resources: readonly string[];
  /** The CloudTrail eventIDs (or Config event ids) that contributed. */
  readonly eventIds: readonly string[];
  readonly eventName: string;
  readonly groupKey: string;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly count: number;
  readonly threshold: { readonly count: number; readonly windowSeconds: number } | null;
  readonly runbook: readonly string[];
  /** Event-specific facts the rule explains (ports opened, why a change was not approved, …). */
  readonly details?: readonly string[];
  readonly drill: boolean;
  /** Set when a configured suppression matched: `active` ones are archived but never paged. */
  readonly suppression?: SuppressionNote;
  /** The incident it belongs to (`rules/core/incident.ts`), set when it is delivered. */
  readonly incidentId?: string;
  /** Produced by a replay of old logs (`rules/core/replay.ts`), not by the live pipeline. */
  readonly replay?: ReplayMark;
}

/** What a finding carries when a suppression matched it: active (not paged) or expired (paged, and says so). */
export interface SuppressionNote {
  readonly status: 'active' | 'expired';
  readonly reason: string;
  readonly expires: string;
}

export interface Actor {
  readonly arn: string;
  readonly type: string;
  readonly userName?: string;
  readonly sourceIp?: string;
  readonly userAgent?: string;
}

/**
 * Deterministic id: the same rule, group and window start always give the same id, so retries, replays
 * and downstream consumers (PagerDuty `dedup_key`) deduplicate.
 */
export const findingId = (ruleId: string, groupKey: string, windowStartMs: number): string =>
  createHash('sha256').update(`${ruleId}\u0000${groupKey}\u0000${windowStartMs}`).digest('hex').slice(0, 32);

export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };

export const atLeast = (severity: Severity, floor: Severity): boolean =>
  SEVERITY_RANK[severity] >= SEVERITY_RANK[floor];

/**
 * A finding names at most this many contributing event ids. A long root session or a sustained burst folds
 * thousands of repeats into one finding; past the cap only `count` grows, so folding stays O(cap) per repeat
 * and the SNS body and evidence object stay small. The CloudTrail logs still hold every event.
 */
export const MAX_EVENT_IDS = 1000;

/** Fold a repeat into the finding it repeats: union of evidence, widened time span. */
export const foldInto = (base: Finding, repeat: Finding): Finding => {
  const known = new Set(base.eventIds);
  const unseen = repeat.eventIds.filter((id) => !known.has(id));
  // Ids already past the cap cannot be checked for repeats; a retried fold of those may over-count,
  // never under-count, which is the safe side for an alert.
  const room = Math.max(0, MAX_EVENT_IDS - base.eventIds.length);
  return {
    ...base,
    eventIds: unseen.length === 0 || room === 0 ? base.eventIds : [...base.eventIds, ...unseen.slice(0, room)],
    resources: [...new Set([...base.resources, ...repeat.resources])],
    // ISO-8601 UTC timestamps order as strings.
    firstSeen: base.firstSeen.localeCompare(repeat.firstSeen) <= 0 ? base.firstSeen : repeat.firstSeen,
    lastSeen: base.lastSeen.localeCompare(repeat.lastSeen) >= 0 ? base.lastSeen : repeat.lastSeen,
    // Counting only ids not seen before keeps a retried fold from inflating the count.
    count: base.count + unseen.length,
  };
};
