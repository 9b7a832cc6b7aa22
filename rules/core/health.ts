import type { Finding } from './finding.ts';
import { findingId } from './finding.ts';
import type { CheckMeta } from './types.ts';

/**
 * Health checks of the logging pipeline itself (DESIGN §2, A.8.15 / A.8.16): what the health function observed
 * through its ports, turned into findings. Pure: observations and the clock value come in, findings go out.
 */
export type HealthObservation = TrailObservation | RecorderObservation | HeartbeatObservation | CheckFailure;

export interface Where {
  readonly account: string;
  readonly region: string;
}

export interface TrailObservation extends Where {
  readonly kind: 'trail';
  /** The trail as configured (name or ARN). */
  readonly trail: string;
  readonly isLogging: boolean;
  readonly latestDeliveryTimeMs?: number;
  readonly latestDeliveryError?: string;
  /** Undefined when the selectors could not be read (a separate `check-failed` says why). */
  readonly managementEventsSelected?: boolean;
}

export interface RecorderObservation extends Where {
  readonly kind: 'recorder';
  readonly recorder: string;
  readonly recording: boolean;
  /** `SUCCESS`, `PENDING` or `FAILURE` as AWS Config reports it. */
  readonly lastStatus?: string;
  readonly lastErrorCode?: string;
  readonly lastErrorMessage?: string;
}

/** The newest event time the evaluate function saw for one account and region. */
export interface HeartbeatObservation extends Where {
  readonly kind: 'heartbeat';
  readonly lastEventMs: number;
}

/** A check that could not run (throttled, access denied, …): never taken for healthy. */
export interface CheckFailure extends Where {
  readonly kind: 'check-failed';
  /** What was checked: `cloudtrail:GetTrailStatus`, `config:DescribeConfigurationRecorderStatus`, `heartbeat`. */
  readonly check: string;
  readonly target: string;
  readonly errorCode: string;
  readonly message: string;
}

export interface HealthSettings {
  /** Trail delivery older than this is delayed (default 1 h). */
  readonly deliveryLagMs: number;
  /** No event for this long from an account+region that used to send them is silence (default 6 h). */
  readonly silenceMs: number;
  /** Findings of the same check inside one period share an id, so repeats fold (default 1 h). */
  readonly periodMs: number;
  /** Dedup window of the ledger: repeats inside it fold instead of paging again (default 24 h). */
  readonly dedupWindowMs: number;
}

const HOUR_MS = 3_600_000;
export const DEFAULT_HEALTH_SETTINGS: HealthSettings = {
  deliveryLagMs: HOUR_MS,
  silenceMs: 6 * HOUR_MS,
  periodMs: HOUR_MS,
  dedupWindowMs: 24 * HOUR_MS,
};

export const HEALTH_RULES = {
  'health.trail-not-logging': {
    title: 'CloudTrail trail is not logging',
    description: 'GetTrailStatus reports IsLogging=false: API activity is not being recorded.',
    severity: 'critical',
    controls: ['A.8.15', 'A.8.16'],
    mitre: ['T1562.008'],
    runbook: [
      'Run `aws cloudtrail start-logging --name <trail>` and confirm IsLogging=true.',
      'Find who stopped it: look up StopLogging / UpdateTrail in the trail of another region or in Config history.',
    ],
  },
  'health.trail-delivery-delayed': {
    title: 'CloudTrail log delivery delayed',
    description: 'The trail has not delivered a log file to S3 for longer than the configured lag.',
    severity: 'medium',
    controls: ['A.8.15', 'A.8.16'],
    mitre: [],
    runbook: [
      'Check the trail bucket and its policy, KMS key policy and S3 service health.',
      'Confirm delivery resumes (LatestDeliveryTime moves).',
    ],
  },
  'health.trail-delivery-error': {
    title: 'CloudTrail log delivery failing',
    description: 'GetTrailStatus reports a LatestDeliveryError: log files are not reaching the bucket.',
    severity: 'high',
    controls: ['A.8.15', 'A.8.16'],
    mitre: ['T1562.008'],
    runbook: [
      'Read the error: AccessDenied usually means the bucket or KMS key policy changed.',
      'Fix the policy and confirm LatestDeliveryError clears.',
    ],
  },
  'health.management-events-not-selected': {
    title: 'CloudTrail trail does not record management events',
    description: 'No event selector of the trail includes management events: control-plane changes go unrecorded.',
    severity: 'high',
    controls: ['A.8.15', 'A.8.16'],
    mitre: ['T1562.008'],
    runbook: [
      'Restore an event selector with IncludeManagementEvents=true (ReadWriteType All).',
      'Find who changed the selectors (PutEventSelectors).',
    ],
  },
  'health.config-recorder-stopped': {
    title: 'AWS Config recorder stopped or failing',
    description: 'The configuration recorder is not recording, or its last recording attempt failed.',
    severity: 'high',
    controls: ['A.8.15', 'A.8.16'],
    mitre: ['T1562.008'],
    runbook: [
      'Run `aws configservice start-configuration-recorder` or fix the error it reports.',
      'Find who stopped it (StopConfigurationRecorder).',
    ],
  },
  'health.pipeline-silent': {
    title: 'Trailwarden received no events',
    description: 'No CloudTrail or Config event arrived from this account and region for the configured period.',
    severity: 'high',
    controls: ['A.8.15', 'A.8.16'],
    mitre: ['T1562.008'],
    runbook: [
      'Check the trail (IsLogging), the EventBridge rules and their targets, the event queue and its DLQ.',
      'Check the forwarder stack in us-east-1 for global-service events.',
      'The finding resolves by itself, with a notification, when events arrive again.',
    ],
  },
  'health.never-heard-from': {
    title: 'No event ever arrived from an expected account and region',
    description:
      'An active account of the organisation targets, in an approved region, has sent no CloudTrail or Config event since it was first expected: its forwarder was never deployed, or was removed or blocked.',
    severity: 'high',
    controls: ['A.8.15', 'A.8.16'],
    mitre: ['T1562.008'],
    runbook: [
      'Check the StackSet `trailwarden-member-forwarders`: is there a stack instance for this account and region, and is it CURRENT?',
      'In the member: the `trailwarden-fwd-*` rules exist and are enabled, and the organisation trail (or an account trail) logs there.',
      'Until events arrive, replay the account and region from the trail logs with `trailwarden scan`.',
    ],
  },
  'health.check-failed': {
    title: 'Trailwarden health check could not run',
    description: 'A health check failed (throttled or access denied): the state it checks is unknown.',
    severity: 'high',
    controls: ['A.8.16'],
    mitre: [],
    runbook: [
      'Read the error: AccessDenied means the health function lost a permission (or an SCP denies it).',
      'Throttling that persists means other callers exhaust the API quota.',
    ],
  },
} as const satisfies Record<string, CheckMeta>;
export type HealthRuleId = keyof typeof HEALTH_RULES;

/** A health finding and how the ledger folds its repeats. */
export interface HealthCandidate {
  readonly finding: Finding;
  readonly dedupKey: string;
  readonly dedupWindowMs: number;
}

export const HEALTH_ACTOR = { arn: 'trailwarden:health', type: 'Trailwarden' } as const;

interface Parts extends Where {
  readonly ruleId: HealthRuleId;
  readonly groupKey: string;
  readonly windowStartMs: number;
  readonly nowMs: number;
  readonly resources: readonly string[];
  readonly eventName: string;
  readonly details: readonly string[];
}

/** The same Finding shape the detector builds, from a health rule instead of a catalogue rule. */
export const buildHealthFinding = (p: Parts, settings: HealthSettings): HealthCandidate => {
  const rule = HEALTH_RULES[p.ruleId];
  const groupKey = `${p.account}/${p.region}/${p.groupKey}`;
  return {
    finding: {
      schema: 'trailwarden.finding/v1',
      id: findingId(p.ruleId, groupKey, p.windowStartMs),
      ruleId: p.ruleId,
      title: rule.title,
      description: rule.description,
      severity: rule.severity,
      criticality: 'high',
      controls: rule.controls,
      mitre: rule.mitre,
      account: p.account,
      region: p.region,
      actor: HEALTH_ACTOR,
      resources: p.resources,
      eventIds: [],
      eventName: p.eventName,
      groupKey,
      firstSeen: new Date(p.windowStartMs).toISOString(),
      lastSeen: new Date(p.nowMs).toISOString(),
      count: 1,
      threshold: null,
      runbook: rule.runbook,
      ...(p.details.length > 0 ? { details: p.details } : {}),
      drill: false,
    },
    dedupKey: `${p.ruleId}|${groupKey}`,
    dedupWindowMs: settings.dedupWindowMs,
  };
};

const iso = (ms: number): string => new Date(ms).toISOString();
const minutes = (ms: number): string => `${Math.round(ms / 60_000)} min`;

/** Findings for every unhealthy observation; a healthy one yields none. */
export const deriveHealth = (
  observations: readonly HealthObservation[],
  nowMs: number,
  settings: HealthSettings = DEFAULT_HEALTH_SETTINGS,
): readonly HealthCandidate[] => {
  const periodStart = Math.floor(nowMs / settings.periodMs) * settings.periodMs;
  const out: HealthCandidate[] = [];
  const add = (
    o: Where,
    ruleId: HealthRuleId,
    groupKey: string,
    eventName: string,
    resources: readonly string[],
    details: readonly string[],
    windowStartMs = periodStart,
  ) =>
    out.push(
      buildHealthFinding(
        {
          account: o.account,
          region: o.region,
          ruleId,
          groupKey,
          windowStartMs,
          nowMs,
          resources,
          eventName,
          details,
        },
        settings,
      ),
    );

  for (const o of observations) {
    switch (o.kind) {
      case 'trail': {
        const res = [o.trail];
        if (!o.isLogging) add(o, 'health.trail-not-logging', o.trail, 'GetTrailStatus', res, ['IsLogging: false']);
        if (o.latestDeliveryError !== undefined && o.latestDeliveryError !== '') {
          add(o, 'health.trail-delivery-error', o.trail, 'GetTrailStatus', res, [
            `LatestDeliveryError: ${o.latestDeliveryError}`,
          ]);
        }
        // A trail that never delivered (just created) has no lag to measure yet.
        if (o.isLogging && o.latestDeliveryTimeMs !== undefined) {
          const lag = nowMs - o.latestDeliveryTimeMs;
          if (lag > settings.deliveryLagMs) {
            add(o, 'health.trail-delivery-delayed', o.trail, 'GetTrailStatus', res, [
              `LatestDeliveryTime: ${iso(o.latestDeliveryTimeMs)} (${minutes(lag)} ago; allowed ${minutes(settings.deliveryLagMs)})`,
            ]);
          }
        }
        if (o.managementEventsSelected === false) {
          add(o, 'health.management-events-not-selected', o.trail, 'GetEventSelectors', res, [
            'No event selector includes management events.',
          ]);
        }
        break;
      }
      case 'recorder': {
        const failing = o.lastStatus === 'FAILURE';
        if (!o.recording || failing) {
          add(
            o,
            'health.config-recorder-stopped',
            o.recorder,
            'DescribeConfigurationRecorderStatus',
            [o.recorder],
            [
              `recording: ${o.recording}`,
              ...(o.lastStatus ? [`lastStatus: ${o.lastStatus}`] : []),
              ...(o.lastErrorCode
                ? [`lastError: ${o.lastErrorCode}${o.lastErrorMessage ? ` (${o.lastErrorMessage})` : ''}`]
                : []),
            ],
          );
        }
        break;
      }
      case 'heartbeat': {
        const silence = silenceOf(o, nowMs, settings);
        if (silence) out.push(silence);
        break;
      }
      case 'check-failed':
        add(
          o,
          'health.check-failed',
          `${o.check}:${o.target}`,
          o.check,
          [o.target],
          [
            `${o.check} on ${o.target} failed: ${o.errorCode}: ${o.message}`,
            'The state this check watches is unknown until it succeeds again.',
          ],
        );
        break;
    }
  }
  return out;
};

/**
 * The silence finding for a heartbeat, or undefined while events flow. Its window starts at the last event,
 * so every check during one silence gives the same id (paged once), and a new silence a new one.
 */
export const silenceOf = (
  h: HeartbeatObservation,
  nowMs: number,
  settings: HealthSettings = DEFAULT_HEALTH_SETTINGS,
): HealthCandidate | undefined => {
  const quiet = nowMs - h.lastEventMs;
  if (quiet < settings.silenceMs) return undefined;
  return buildHealthFinding(
    {
      account: h.account,
      region: h.region,
      ruleId: 'health.pipeline-silent',
      groupKey: 'events',
      windowStartMs: h.lastEventMs,
      nowMs,
      resources: [],
      eventName: 'Heartbeat',
      details: [`Last event: ${iso(h.lastEventMs)} (${minutes(quiet)} ago; allowed ${minutes(settings.silenceMs)})`],
    },
    settings,
  );
};

/** An open silence, as the health function remembers it beside the heartbeat. */
export interface OpenSilence {
  readonly findingId: string;
  /** The heartbeat when the silence was opened: any later event resolves it. */
  readonly lastEventMs: number;
  readonly finding: Finding;
}

export type SilenceTransition =
  | { readonly kind: 'open'; readonly candidate: HealthCandidate }
  | { readonly kind: 'resolve'; readonly silence: OpenSilence; readonly resumedAtMs: number };

/** What to do about one heartbeat and the silence remembered for it. */
export const silenceTransition = (
  h: HeartbeatObservation,
  open: OpenSilence | undefined,
  nowMs: number,
  settings: HealthSettings = DEFAULT_HEALTH_SETTINGS,
): SilenceTransition | undefined => {
  if (open !== undefined && h.lastEventMs > open.lastEventMs) {
    return { kind: 'resolve', silence: open, resumedAtMs: h.lastEventMs };
  }
  const candidate = silenceOf(h, nowMs, settings);
  if (candidate === undefined || open?.findingId === candidate.finding.id) return undefined;
  return { kind: 'open', candidate };
};
