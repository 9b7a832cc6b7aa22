import { actorOf, eventNameOf } from './build-finding.ts';
import type { Finding } from './finding.ts';
import { findingId } from './finding.ts';
import type { AuditEvent, CheckMeta } from './types.ts';

/**
 * Findings about the events themselves rather than what they describe (issue 16 §2, §3): the detector raises
 * them for any event, whatever rules it selects, like the health function's findings. They are not catalogue
 * rules because no EventBridge pattern selects them: they watch what arrives.
 */
export const INTEGRITY_RULES = {
  'trailwarden.forged-drill': {
    title: 'Event claimed to be a Trailwarden drill without a valid signature',
    description:
      'An event carried a drill marker that was not signed with the drill key (or the signature was tampered with or expired). It was judged as a real event; the marker is the kind of thing an attacker adds to keep a real event from paging.',
    severity: 'high',
    controls: ['A.8.16'],
    mitre: ['T1562'],
    runbook: [
      'The event was evaluated as real: handle any finding for it first.',
      'Find who could send it: principals with events:PutEvents on the bus, sqs:SendMessage on the event queue, or lambda:InvokeFunction on the evaluate function.',
      'A failed real drill (key rotated mid-run, clock skew) shows the drill run id in the details: rerun the drill.',
    ],
  },
  'trailwarden.future-dated-event': {
    title: 'Event dated in the future',
    description:
      'An event claimed a time later than it was received (beyond the allowed clock skew). Its time does not move the dead-man switch or the threshold windows; a future date is a way to silence both.',
    severity: 'high',
    controls: ['A.8.15'],
    mitre: ['T1562'],
    runbook: [
      'CloudTrail sets eventTime itself: a future one did not come from CloudTrail. Find who injected it (bus, queue or function invoke permissions).',
      'Check the dead-man switch state (health.pipeline-silent) and recent threshold findings for the account and region.',
    ],
  },
} as const satisfies Record<string, CheckMeta>;
export type IntegrityRuleId = keyof typeof INTEGRITY_RULES;

/** Repeats fold for an hour per account and region: a flood of forged events pages once, then counts. */
export const INTEGRITY_DEDUP_MS = 3_600_000;

export interface IntegrityCandidate {
  readonly finding: Finding;
  readonly dedupKey: string;
  readonly dedupWindowMs: number;
}

/**
 * One integrity finding about one event. Its id depends on the event id alone (not on when it was received), so
 * a redelivered event is a duplicate, never a second page. `seenMs`: the event's time, or the receive time when
 * the event's own time cannot be believed.
 */
export const integrityFinding = (
  ruleId: IntegrityRuleId,
  event: AuditEvent,
  details: readonly string[],
  seenMs: number,
): IntegrityCandidate => {
  const rule = INTEGRITY_RULES[ruleId];
  const drill = event.drill === true;
  const ns = drill ? 'drill|' : event.drillClaim !== undefined ? 'unverified-drill|' : '';
  const groupKey = `${event.account}/${event.region}`;
  return {
    finding: {
      schema: 'trailwarden.finding/v1',
      id: findingId(ruleId, `${ns}${event.id}`, 0),
      ruleId,
      title: rule.title,
      description: rule.description,
      severity: rule.severity,
      criticality: 'high',
      controls: rule.controls,
      mitre: rule.mitre,
      account: event.account,
      region: event.region,
      actor: actorOf(event),
      resources: [],
      eventIds: [event.id],
      eventName: eventNameOf(event),
      groupKey,
      firstSeen: new Date(seenMs).toISOString(),
      lastSeen: new Date(seenMs).toISOString(),
      count: 1,
      threshold: null,
      runbook: rule.runbook,
      details,
      drill,
    },
    dedupKey: `${ns}${ruleId}|${groupKey}`,
    dedupWindowMs: INTEGRITY_DEDUP_MS,
  };
};

/** The forged-drill finding for an event whose drill claim was not honoured; undefined for any other event. */
export const forgedDrillOf = (event: AuditEvent, receivedMs: number): IntegrityCandidate | undefined => {
  if (event.drillClaim === undefined || event.drill === true) return undefined;
  const reason = event.forgedDrill ?? 'no drill key to verify it with (only the evaluate function has one)';
  const run = event.drillClaim.kind === 'signed' ? [`Claimed drill run: ${event.drillClaim.run}`] : [];
  return integrityFinding(
    'trailwarden.forged-drill',
    event,
    [
      `Drill marker ignored: ${reason}.`,
      `Event ${event.id} (${eventNameOf(event)}) was judged as a real event.`,
      ...run,
    ],
    // Stryker disable next-line EqualityOperator: at equality both branches are the same instant
    Number.isFinite(event.timeMs) && event.timeMs <= receivedMs ? event.timeMs : receivedMs,
  );
};

/** Default clock skew allowed between an event's time and when it was received (config `clockSkewMinutes`). */
export const DEFAULT_CLOCK_SKEW_MS = 15 * 60_000;

/** Latest event time believed at receive time `receivedMs`: later ones are future-dated. */
export const believableUntil = (receivedMs: number, skewMs: number): number => receivedMs + skewMs;

/** The future-dated-event finding for an event dated after `receivedMs + skewMs`; undefined otherwise. */
export const futureDatedOf = (
  event: AuditEvent,
  receivedMs: number,
  skewMs: number,
): IntegrityCandidate | undefined => {
  if (!(event.timeMs > believableUntil(receivedMs, skewMs))) return undefined;
  const claimed = Number.isFinite(event.timeMs) ? new Date(event.timeMs).toISOString() : String(event.timeMs);
  return integrityFinding(
    'trailwarden.future-dated-event',
    event,
    [
      `Event ${event.id} (${eventNameOf(event)}) claims time ${claimed}; it was received at ${new Date(receivedMs).toISOString()} (allowed skew ${Math.round(skewMs / 60_000)} min).`,
      'Its time did not advance the heartbeat (dead-man switch) and counts as the receive time in threshold windows.',
    ],
    receivedMs,
  );
};
