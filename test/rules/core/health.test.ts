import { describe, expect, it } from 'vitest';
import { findingId } from '../../../rules/core/finding.ts';
import type { HealthObservation } from '../../../rules/core/health.ts';
import {
  buildHealthFinding,
  DEFAULT_HEALTH_SETTINGS,
  deriveHealth,
  silenceTransition,
} from '../../../rules/core/health.ts';
import { CONTROLS } from '../../../rules/core/types.ts';

const NOW = Date.parse('2026-11-02T10:17:00Z');
const HOUR = 3_600_000;
const where = { account: '111122223333', region: 'eu-west-1' };
const trail = (o: Partial<Extract<HealthObservation, { kind: 'trail' }>> = {}): HealthObservation => ({
  kind: 'trail',
  ...where,
  trail: 'org-trail',
  isLogging: true,
  latestDeliveryTimeMs: NOW - 5 * 60_000,
  managementEventsSelected: true,
  ...o,
});
const recorder = (o: Partial<Extract<HealthObservation, { kind: 'recorder' }>> = {}): HealthObservation => ({
  kind: 'recorder',
  ...where,
  recorder: 'default',
  recording: true,
  lastStatus: 'SUCCESS',
  ...o,
});
const beat = (lastEventMs: number) => ({ kind: 'heartbeat' as const, ...where, lastEventMs });
const ids = (obs: HealthObservation[], now = NOW, settings = DEFAULT_HEALTH_SETTINGS) =>
  deriveHealth(obs, now, settings).map((c) => [c.finding.ruleId, c.finding.severity]);

describe('deriveHealth', () => {
  it.each<[string, HealthObservation[], [string, string][]]>([
    ['healthy trail', [trail()], []],
    ['trail not logging', [trail({ isLogging: false })], [['health.trail-not-logging', 'critical']]],
    ['delivery 59 min old', [trail({ latestDeliveryTimeMs: NOW - HOUR + 60_000 })], []],
    ['delivery exactly 1 h old', [trail({ latestDeliveryTimeMs: NOW - HOUR })], []],
    [
      'delivery 61 min old',
      [trail({ latestDeliveryTimeMs: NOW - HOUR - 60_000 })],
      [['health.trail-delivery-delayed', 'medium']],
    ],
    ['never delivered yet', [trail({ latestDeliveryTimeMs: undefined })], []],
    ['delivery error', [trail({ latestDeliveryError: 'AccessDenied' })], [['health.trail-delivery-error', 'high']]],
    [
      'management events dropped',
      [trail({ managementEventsSelected: false })],
      [['health.management-events-not-selected', 'high']],
    ],
    ['selectors unknown', [trail({ managementEventsSelected: undefined })], []],
    ['recorder recording', [recorder()], []],
    ['recorder stopped', [recorder({ recording: false })], [['health.config-recorder-stopped', 'high']]],
    [
      'recorder failing',
      [recorder({ lastStatus: 'FAILURE', lastErrorCode: 'AccessDenied' })],
      [['health.config-recorder-stopped', 'high']],
    ],
    ['events 5 h 59 min ago', [beat(NOW - 6 * HOUR + 60_000)], []],
    ['events exactly 6 h ago', [beat(NOW - 6 * HOUR)], [['health.pipeline-silent', 'high']]],
    [
      'throttled check',
      [
        {
          kind: 'check-failed',
          ...where,
          check: 'cloudtrail:GetTrailStatus',
          target: 'org-trail',
          errorCode: 'ThrottlingException',
          message: 'Rate exceeded',
        },
      ],
      [['health.check-failed', 'high']],
    ],
  ])('%s', (_name, obs, expected) => {
    expect(ids(obs)).toEqual(expected);
  });

  it('takes the lag and silence from settings', () => {
    const settings = { ...DEFAULT_HEALTH_SETTINGS, deliveryLagMs: 10 * 60_000, silenceMs: 30 * 60_000 };
    expect(ids([trail({ latestDeliveryTimeMs: NOW - 11 * 60_000 }), beat(NOW - 31 * 60_000)], NOW, settings)).toEqual([
      ['health.trail-delivery-delayed', 'medium'],
      ['health.pipeline-silent', 'high'],
    ]);
  });

  it('maps to A.8.15 / A.8.16 and builds the finding shape', () => {
    const [c] = deriveHealth([trail({ isLogging: false })], NOW);
    expect(c?.finding).toMatchObject({
      schema: 'trailwarden.finding/v1',
      ruleId: 'health.trail-not-logging',
      controls: ['A.8.15', 'A.8.16'],
      account: '111122223333',
      region: 'eu-west-1',
      resources: ['org-trail'],
      groupKey: '111122223333/eu-west-1/org-trail',
      firstSeen: '2026-11-02T10:00:00.000Z',
      lastSeen: '2026-11-02T10:17:00.000Z',
      details: ['IsLogging: false'],
    });
    expect(c?.dedupKey).toBe('health.trail-not-logging|111122223333/eu-west-1/org-trail');
    for (const candidate of deriveHealth([trail({ isLogging: false }), beat(0)], NOW))
      for (const control of candidate.finding.controls) expect(Object.keys(CONTROLS)).toContain(control);
  });

  it('gives repeats inside one check period the same id, and the next period a new one', () => {
    const id = (now: number) => deriveHealth([trail({ isLogging: false })], now)[0]?.finding.id;
    expect(id(NOW)).toBe(id(NOW + 40 * 60_000));
    expect(id(NOW)).toBe(
      findingId('health.trail-not-logging', '111122223333/eu-west-1/org-trail', Date.parse('2026-11-02T10:00:00Z')),
    );
    expect(id(NOW)).not.toBe(id(NOW + HOUR));
  });

  it('keeps one silence one id for as long as it lasts', () => {
    const last = NOW - 7 * HOUR;
    const id = (now: number) => deriveHealth([beat(last)], now)[0]?.finding.id;
    expect(id(NOW)).toBe(id(NOW + 5 * HOUR));
  });
});

describe('silenceTransition', () => {
  const last = NOW - 7 * HOUR;
  const opened = deriveHealth([beat(last)], NOW)[0];
  if (opened === undefined) throw new Error('no silence');
  const open = { findingId: opened.finding.id, lastEventMs: last, finding: opened.finding };

  it.each([
    ['events flow: nothing', beat(NOW - 60_000), undefined, undefined],
    ['silent, not yet open: open', beat(last), undefined, 'open'],
    ['silent and already open: nothing', beat(last), open, undefined],
    ['moved after opening: resolve', beat(last + 1), open, 'resolve'],
  ] as const)('%s', (_name, h, current, expected) => {
    expect(silenceTransition(h, current, NOW)?.kind).toBe(expected);
  });
});

/** What on-call reads in each health finding: the resource, the call that observed it and the details. */
describe('health finding contents', () => {
  const shown = (obs: HealthObservation[], now = NOW) =>
    deriveHealth(obs, now).map(({ finding: f }) => ({
      ruleId: f.ruleId,
      groupKey: f.groupKey,
      resources: f.resources,
      eventName: f.eventName,
      details: f.details,
    }));
  const failedCheck: HealthObservation = {
    kind: 'check-failed',
    ...where,
    check: 'cloudtrail:GetTrailStatus',
    target: 'org-trail',
    errorCode: 'ThrottlingException',
    message: 'Rate exceeded',
  };
  const trailKey = '111122223333/eu-west-1/org-trail';

  it.each<[string, HealthObservation[], ReturnType<typeof shown>]>([
    [
      'not logging (an old delivery of a stopped trail is not also a delay)',
      [trail({ isLogging: false, latestDeliveryTimeMs: NOW - 5 * HOUR })],
      [
        {
          ruleId: 'health.trail-not-logging',
          groupKey: trailKey,
          resources: ['org-trail'],
          eventName: 'GetTrailStatus',
          details: ['IsLogging: false'],
        },
      ],
    ],
    [
      'delivery error',
      [trail({ latestDeliveryError: 'AccessDenied' })],
      [
        {
          ruleId: 'health.trail-delivery-error',
          groupKey: trailKey,
          resources: ['org-trail'],
          eventName: 'GetTrailStatus',
          details: ['LatestDeliveryError: AccessDenied'],
        },
      ],
    ],
    ['an empty delivery error is no error', [trail({ latestDeliveryError: '' })], []],
    [
      'delivery 70 min old',
      [trail({ latestDeliveryTimeMs: NOW - 70 * 60_000 })],
      [
        {
          ruleId: 'health.trail-delivery-delayed',
          groupKey: trailKey,
          resources: ['org-trail'],
          eventName: 'GetTrailStatus',
          details: ['LatestDeliveryTime: 2026-11-02T09:07:00.000Z (70 min ago; allowed 60 min)'],
        },
      ],
    ],
    [
      'management events dropped',
      [trail({ managementEventsSelected: false })],
      [
        {
          ruleId: 'health.management-events-not-selected',
          groupKey: trailKey,
          resources: ['org-trail'],
          eventName: 'GetEventSelectors',
          details: ['No event selector includes management events.'],
        },
      ],
    ],
    [
      'recorder stopped with no status',
      [recorder({ recording: false, lastStatus: undefined })],
      [
        {
          ruleId: 'health.config-recorder-stopped',
          groupKey: '111122223333/eu-west-1/default',
          resources: ['default'],
          eventName: 'DescribeConfigurationRecorderStatus',
          details: ['recording: false'],
        },
      ],
    ],
    [
      'recorder failing with an error message',
      [recorder({ lastStatus: 'FAILURE', lastErrorCode: 'AccessDenied', lastErrorMessage: 'role gone' })],
      [
        {
          ruleId: 'health.config-recorder-stopped',
          groupKey: '111122223333/eu-west-1/default',
          resources: ['default'],
          eventName: 'DescribeConfigurationRecorderStatus',
          details: ['recording: true', 'lastStatus: FAILURE', 'lastError: AccessDenied (role gone)'],
        },
      ],
    ],
    [
      'recorder failing with an error code only',
      [recorder({ lastStatus: 'FAILURE', lastErrorCode: 'AccessDenied' })],
      [
        {
          ruleId: 'health.config-recorder-stopped',
          groupKey: '111122223333/eu-west-1/default',
          resources: ['default'],
          eventName: 'DescribeConfigurationRecorderStatus',
          details: ['recording: true', 'lastStatus: FAILURE', 'lastError: AccessDenied'],
        },
      ],
    ],
    [
      'check failed',
      [failedCheck],
      [
        {
          ruleId: 'health.check-failed',
          groupKey: '111122223333/eu-west-1/cloudtrail:GetTrailStatus:org-trail',
          resources: ['org-trail'],
          eventName: 'cloudtrail:GetTrailStatus',
          details: [
            'cloudtrail:GetTrailStatus on org-trail failed: ThrottlingException: Rate exceeded',
            'The state this check watches is unknown until it succeeds again.',
          ],
        },
      ],
    ],
    [
      'silence of 7 h',
      [beat(NOW - 7 * HOUR)],
      [
        {
          ruleId: 'health.pipeline-silent',
          groupKey: '111122223333/eu-west-1/events',
          resources: [],
          eventName: 'Heartbeat',
          details: ['Last event: 2026-11-02T03:17:00.000Z (420 min ago; allowed 360 min)'],
        },
      ],
    ],
  ])('%s', (_name, obs, expected) => {
    expect(shown(obs)).toEqual(expected);
  });

  it('marks every health finding high-criticality, a real one (not a drill), with no triggering events', () => {
    const all = deriveHealth([trail({ isLogging: false }), recorder({ recording: false }), beat(0), failedCheck], NOW);
    expect(all).toHaveLength(4);
    for (const { finding } of all) {
      expect(finding).toMatchObject({ criticality: 'high', eventIds: [], drill: false, count: 1, threshold: null });
    }
  });

  it('leaves details out of a finding that has none', () => {
    const { finding } = buildHealthFinding(
      {
        ...where,
        ruleId: 'health.never-heard-from',
        groupKey: 'x',
        windowStartMs: NOW,
        nowMs: NOW,
        resources: [],
        eventName: 'Heartbeat',
        details: [],
      },
      DEFAULT_HEALTH_SETTINGS,
    );
    expect(finding).not.toHaveProperty('details');
  });
});
