import type { DrillClaim, DrillVerdict } from './drill-auth.ts';
import { DRILL_TTL_MS, drillClaimOf, signDrillEnvelope, verifyDrillClaim } from './drill-auth.ts';
import type { PrincipalState } from './elevated-access.ts';
import { ELEVATED_ACTOR, ELEVATED_RULE, ELEVATED_RULE_ID } from './elevated-access.ts';
import type { Finding } from './finding.ts';
import { findingId } from './finding.ts';
import { INTEGRITY_DEDUP_MS, INTEGRITY_RULES } from './integrity.ts';
import type { Severity } from './types.ts';

/**
 * Drills of observation rules (issue #11, #16 §2), pure. An observation rule judges a function's reading of live
 * state, not an event, so its drill is a **signed drill observation**: the state a drill wants judged, signed with
 * the drill key like drill events (drill-auth.ts: HMAC over the observation id, its time, the SHA-256 of the
 * message and an expiry at most an hour ahead). The function judges it with the rule's own assessment, but:
 *
 * - never as live state: a message whose signature does not verify (or that only claims to be a drill) is refused,
 *   its state is never judged, and the claim is a `trailwarden.forged-drill` finding (paged as real);
 * - in the drill namespace: the findings are `drill: true`, their ids, ledger keys and incidents are apart from
 *   real ones, and the memory between runs is the drill's own (`drillMemoryKey`), so a drill cannot resolve,
 *   fold or pre-claim a real finding, nor teach the check anything about a real principal.
 *
 * `iam.temporary-access-not-revoked` is drilled in two steps, as it fires and resolves for real: a grantee holding
 * AdministratorAccess tagged to expire two days ago (a finding: paged, archived), then the same grantee without it
 * (the finding resolves: a `resolve` decision under `triage/` and a `[RESOLVED]` notice, both drill-marked).
 */

export const ELEVATED_DRILL_SCHEMA = 'trailwarden.elevated-access-drill/v1';

/** Observation rules that have a drill (`trailwarden drill` runs them beside the event rules). */
export const OBSERVATION_DRILLS: readonly { readonly ruleId: string; readonly severity: Severity }[] = [
  { ruleId: ELEVATED_RULE_ID, severity: ELEVATED_RULE.severity },
];

export type ElevatedDrillStep = 'overdue' | 'revoked';

export interface ElevatedDrillMessage {
  readonly schema: typeof ELEVATED_DRILL_SCHEMA;
  /** Unique per message: the signed event id. */
  readonly id: string;
  /** When the drill observed (ISO): the signed event time. */
  readonly time: string;
  readonly step: ElevatedDrillStep;
  readonly principals: readonly PrincipalState[];
}

/** The fictitious grantee of the drill: no real principal's memory or findings can be touched through it. */
export const DRILL_GRANTEE = 'trailwarden-drill-grantee';
const DAY_MS = 86_400_000;

/** Longer ago than any grace period (`graceMinutes` is at most a day): overdue whatever the deployed setting. */
export const DRILL_EXPIRED_AGO_MS = 2 * DAY_MS;

const ADMIN: PrincipalState['managed'][number] = {
  arn: 'arn:aws:iam::aws:policy/AdministratorAccess',
  name: 'AdministratorAccess',
  document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
  tags: {},
};

/** The drill grantee as the check would read it: holding the tagged admin grant, or with it gone. */
export const drillGrantee = (account: string, step: ElevatedDrillStep, nowMs: number): PrincipalState => ({
  arn: `arn:aws:iam::${account}:user/${DRILL_GRANTEE}`,
  type: 'user',
  name: DRILL_GRANTEE,
  tags: {},
  managed:
    step === 'overdue'
      ? [
          {
            ...ADMIN,
            // Stryker disable next-line Regex: toISOString always ends in `.sssZ` with no other Z, so the anchor changes nothing
            tags: { expires: new Date(nowMs - DRILL_EXPIRED_AGO_MS).toISOString().replace(/\.\d{3}Z$/, 'Z') },
          },
        ]
      : [],
  inline: [],
  groups: [],
});

export interface ObservationDrillPlan {
  readonly kind: 'observation-plan';
  readonly ruleId: typeof ELEVATED_RULE_ID;
  readonly severity: Severity;
  /** The signed messages, in the order they are judged (fire, then resolve). */
  readonly steps: readonly { readonly step: ElevatedDrillStep; readonly message: Record<string, unknown> }[];
}

/** The two signed steps of the elevated-access drill, dated `nowMs` and one second later. */
export const planElevatedDrill = (options: {
  readonly nowMs: number;
  readonly account?: string;
  readonly auth: { readonly key: string; readonly run: string; readonly ttlMs?: number };
  readonly newId?: () => string;
}): ObservationDrillPlan => {
  const newId = options.newId ?? (() => globalThis.crypto.randomUUID());
  const account = options.account ?? '111122223333';
  const expiresMs = options.nowMs + (options.auth.ttlMs ?? DRILL_TTL_MS);
  const steps = (['overdue', 'revoked'] as const).map((step, i) => {
    const timeMs = options.nowMs + i * 1000;
    const message: ElevatedDrillMessage = {
      schema: ELEVATED_DRILL_SCHEMA,
      id: `drill-${newId()}`,
      time: new Date(timeMs).toISOString(),
      step,
      principals: [drillGrantee(account, step, options.nowMs)],
    };
    return {
      step,
      message: signDrillEnvelope({ ...message }, { id: message.id, timeMs }, options.auth.key, {
        run: options.auth.run,
        expiresMs,
      }),
    };
  });
  return { kind: 'observation-plan', ruleId: ELEVATED_RULE_ID, severity: ELEVATED_RULE.severity, steps };
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringRecord = (v: unknown): v is Readonly<Record<string, string>> =>
  isObject(v) && Object.values(v).every((x) => typeof x === 'string');

const isManaged = (v: unknown): boolean =>
  isObject(v) && typeof v.arn === 'string' && typeof v.name === 'string' && isStringRecord(v.tags);
const isInline = (v: unknown): boolean => isObject(v) && typeof v.name === 'string';
const isGroup = (v: unknown): boolean =>
  isObject(v) &&
  typeof v.name === 'string' &&
  typeof v.arn === 'string' &&
  Array.isArray(v.managed) &&
  v.managed.every(isManaged) &&
  Array.isArray(v.inline) &&
  v.inline.every(isInline);
const isPrincipal = (v: unknown): v is PrincipalState =>
  isObject(v) &&
  typeof v.arn === 'string' &&
  (v.type === 'user' || v.type === 'role') &&
  typeof v.name === 'string' &&
  isStringRecord(v.tags) &&
  Array.isArray(v.managed) &&
  v.managed.every(isManaged) &&
  Array.isArray(v.inline) &&
  v.inline.every(isInline) &&
  Array.isArray(v.groups) &&
  v.groups.every(isGroup);

/** What an invocation of the check carries: nothing (the schedule), or a drill claim, checked or not. */
export type ObservationDrillInput =
  | { readonly kind: 'none' }
  | { readonly kind: 'claim'; readonly claim: DrillClaim; readonly value: Record<string, unknown> };

/** The drill claim of an invocation event (its `drill` field, or a `trailwardenDrill` marker), if any. */
export const observationDrillInput = (event: unknown): ObservationDrillInput => {
  if (!isObject(event)) return { kind: 'none' };
  const claim = drillClaimOf(event);
  return claim === undefined ? { kind: 'none' } : { kind: 'claim', claim, value: event };
};

export type ObservationDrillVerdict =
  | { readonly ok: true; readonly message: ElevatedDrillMessage; readonly run: string }
  | { readonly ok: false; readonly reason: string; readonly id?: string; readonly run?: string };

/** Check a claimed drill observation: its shape, then its signature (drill-auth.ts), at receive time `nowMs`. */
export const verifyObservationDrill = (
  input: Extract<ObservationDrillInput, { kind: 'claim' }>,
  key: string,
  nowMs: number,
): ObservationDrillVerdict => {
  const v = input.value;
  const id = typeof v.id === 'string' && v.id !== '' ? v.id : undefined;
  // Stryker disable next-line ConditionalExpression: an unsigned claim has no `run` field, so reading it gives undefined too
  const run = input.claim.kind === 'signed' ? input.claim.run : undefined;
  const ids = { ...(id === undefined ? {} : { id }), ...(run === undefined ? {} : { run }) };
  const timeMs = typeof v.time === 'string' ? Date.parse(v.time) : Number.NaN;
  if (
    v.schema !== ELEVATED_DRILL_SCHEMA ||
    id === undefined ||
    Number.isNaN(timeMs) ||
    (v.step !== 'overdue' && v.step !== 'revoked') ||
    !Array.isArray(v.principals) ||
    !v.principals.every(isPrincipal)
  ) {
    return { ok: false, reason: `not a ${ELEVATED_DRILL_SCHEMA} message`, ...ids };
  }
  const verdict: DrillVerdict = verifyDrillClaim(input.claim, { id, timeMs }, key, nowMs);
  if (!verdict.ok) return { ok: false, reason: verdict.reason, ...ids };
  const message: ElevatedDrillMessage = {
    schema: ELEVATED_DRILL_SCHEMA,
    id,
    time: new Date(timeMs).toISOString(),
    step: v.step,
    principals: v.principals,
  };
  // Stryker disable next-line StringLiteral: only a signed claim verifies, and a signed claim always has a run
  return { ok: true, message, run: run ?? '' };
};

/** Where a drill's memory of grants lives: apart from the account's real memory (`elevated#<account>`). */
export const drillMemoryKey = (account: string): string => `drill|${account}`;

/**
 * The forged-drill finding for a refused drill observation: paged as real (it is what someone who wants the
 * check to judge a made-up state, or to mask a real finding, would send). One per account and region an hour.
 */
export const forgedObservationDrill = (
  reason: string,
  where: { readonly account: string; readonly region: string },
  nowMs: number,
  claimed: { readonly id?: string; readonly run?: string },
): { readonly finding: Finding; readonly dedupKey: string; readonly dedupWindowMs: number } => {
  const rule = INTEGRITY_RULES['trailwarden.forged-drill'];
  const groupKey = `${where.account}/${where.region}`;
  const at = new Date(nowMs).toISOString();
  return {
    finding: {
      schema: 'trailwarden.finding/v1',
      id: findingId('trailwarden.forged-drill', `unverified-drill|observation|${claimed.id ?? at}`, 0),
      ruleId: 'trailwarden.forged-drill',
      title: rule.title,
      description: rule.description,
      severity: rule.severity,
      criticality: 'high',
      controls: rule.controls,
      mitre: rule.mitre,
      account: where.account,
      region: where.region,
      actor: ELEVATED_ACTOR,
      resources: [],
      eventIds: claimed.id === undefined ? [] : [claimed.id],
      eventName: 'ElevatedAccessCheck',
      groupKey,
      firstSeen: at,
      lastSeen: at,
      count: 1,
      threshold: null,
      runbook: rule.runbook,
      details: [
        `Drill observation refused: ${reason}.`,
        `The elevated-access check (${ELEVATED_RULE_ID}) did not judge the state it carried.`,
        ...(claimed.run === undefined ? [] : [`Claimed drill run: ${claimed.run}`]),
      ],
      drill: false,
    },
    dedupKey: `unverified-drill|trailwarden.forged-drill|${groupKey}`,
    dedupWindowMs: INTEGRITY_DEDUP_MS,
  };
};
