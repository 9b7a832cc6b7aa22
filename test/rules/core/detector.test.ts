import { describe, expect, it } from 'vitest';
import type { CloudTrailRecord } from '../../../rules/core/cloudtrail.ts';
import { isSuccess } from '../../../rules/core/cloudtrail.ts';
import type { DetectionConfig } from '../../../rules/core/config.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../../rules/core/config.ts';
import { defineRule } from '../../../rules/core/define-rule.ts';
import { createDetector } from '../../../rules/core/detector.ts';
import { buildCatalogue, evaluate } from '../../../rules/core/engine.ts';
import { fromRecord } from '../../../rules/core/events.ts';
import type { Finding } from '../../../rules/core/finding.ts';
import { createMemoryCounterStore, createMemoryIncidentStore, createMemoryLedger } from '../../../rules/core/memory.ts';
import type { FindingSink } from '../../../rules/core/ports.ts';
import type { AuditEvent } from '../../../rules/core/types.ts';
import { TEST_RULE } from '../../support/test-rule.ts';

const failedLogins = defineRule({
  ...TEST_RULE,
  id: 'test.failed-logins',
  title: 'Failed logins',
  severity: 'high',
  escalation: { high: 'critical' },
  on: { source: 'signin', eventNames: ['ConsoleLogin'] },
  match: (e) => e.errorMessage !== undefined,
  threshold: {
    count: 3,
    windowSeconds: 300,
    groupBy: (e) => e.userIdentity.userName ?? 'unknown',
    byCriticality: { low: { count: 5, windowSeconds: 300 } },
  },
});

const stopLogging = defineRule({
  ...TEST_RULE,
  id: 'test.stop-logging',
  title: 'Stop logging',
  severity: 'critical',
  on: { source: 'cloudtrail', eventNames: ['StopLogging'] },
  match: (e) => isSuccess(e),
});

const throwing = defineRule({
  ...TEST_RULE,
  id: 'test.throws',
  title: 'Always throws',
  severity: 'low',
  on: { source: 'cloudtrail', eventNames: ['StopLogging'] },
  match: () => {
    throw new Error('boom');
  },
});

const rootAnything = defineRule({
  ...TEST_RULE,
  id: 'test.root',
  title: 'Root did something',
  severity: 'high',
  on: { source: '*', eventNames: '*', where: { userIdentityType: ['Root'] } },
  match: () => true,
});

let seq = 0;
const record = (
  overrides: Partial<CloudTrailRecord> & Pick<CloudTrailRecord, 'eventSource' | 'eventName'>,
): CloudTrailRecord => ({
  eventTime: '2026-11-02T10:00:00Z',
  eventID: `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`,
  awsRegion: 'us-east-1',
  recipientAccountId: '111122223333',
  userIdentity: { type: 'IAMUser', userName: 'alice', arn: 'arn:aws:iam::111122223333:user/alice' },
  ...overrides,
});
const event = (r: CloudTrailRecord): AuditEvent => {
  const parsed = fromRecord(r);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.event;
};
const failure = (at: string, user = 'alice') =>
  event(
    record({
      eventSource: 'signin.amazonaws.com',
      eventName: 'ConsoleLogin',
      eventTime: at,
      errorMessage: 'Failed authentication',
      userIdentity: { type: 'IAMUser', userName: user },
    }),
  );
const stop = (at: string) =>
  event(record({ eventSource: 'cloudtrail.amazonaws.com', eventName: 'StopLogging', eventTime: at }));

const collectingSink = () => {
  const delivered: Finding[] = [];
  const folded: Finding[] = [];
  const sink: FindingSink = {
    deliver: async (f) => void delivered.push(f),
    fold: async (f) => void folded.push(f),
  };
  return { sink, delivered, folded };
};

const setup = (config: DetectionConfig = DEFAULT_DETECTION_CONFIG, sinkOverride?: FindingSink) => {
  const catalogue = buildCatalogue([failedLogins, stopLogging, throwing, rootAnything]);
  const out = collectingSink();
  const detector = createDetector({
    catalogue,
    config,
    counters: createMemoryCounterStore(),
    ledger: createMemoryLedger(),
    sink: sinkOverride ?? out.sink,
  });
  return { detector, catalogue, ...out };
};

describe('dispatch', () => {
  it('offers a rule only the events its selector names', () => {
    const { catalogue } = setup();
    expect(catalogue.candidates(stop('2026-11-02T10:00:00Z')).map((r) => r.id)).toEqual([
      'test.stop-logging',
      'test.throws',
    ]);
    expect(
      catalogue.candidates(event(record({ eventSource: 'ec2.amazonaws.com', eventName: 'DescribeInstances' }))),
    ).toEqual([]);
  });

  it('narrows wildcard selectors with `where`', () => {
    const { catalogue } = setup();
    const root = event(
      record({ eventSource: 'ec2.amazonaws.com', eventName: 'RunInstances', userIdentity: { type: 'Root' } }),
    );
    expect(catalogue.candidates(root).map((r) => r.id)).toEqual(['test.root']);
  });

  it('a throwing rule yields an error verdict and the others still run', () => {
    const { catalogue } = setup();
    const verdicts = evaluate(catalogue, DEFAULT_DETECTION_CONFIG, stop('2026-11-02T10:00:00Z'));
    expect(verdicts.map((v) => [v.rule.id, v.kind])).toEqual([
      ['test.stop-logging', 'match'],
      ['test.throws', 'error'],
    ]);
  });

  it('refuses duplicate rule ids', () => {
    expect(() => buildCatalogue([stopLogging, stopLogging])).toThrow(/duplicate rule id/);
  });
});

describe('detector', () => {
  it('turns a threshold burst into one finding with every contributing event', async () => {
    const { detector, delivered } = setup();
    const burst = ['10:00:00', '10:01:00', '10:02:00', '10:03:00'].map((t) => failure(`2026-11-02T${t}Z`));
    const outcome = await detector.process(burst);
    expect(outcome.matches).toBe(4);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({
      ruleId: 'test.failed-logins',
      severity: 'high',
      count: 3,
      firstSeen: '2026-11-02T10:00:00.000Z',
      lastSeen: '2026-11-02T10:02:00.000Z',
      threshold: { count: 3, windowSeconds: 300 },
      groupKey: 'alice',
    });
    expect(delivered[0]?.eventIds).toEqual(burst.slice(0, 3).map((e) => e.id));
  });

  it('picks the threshold and severity by the asset criticality', async () => {
    const low: DetectionConfig = {
      ...DEFAULT_DETECTION_CONFIG,
      criticality: { default: 'low', accounts: {}, resources: [] },
    };
    const high: DetectionConfig = {
      ...DEFAULT_DETECTION_CONFIG,
      criticality: { default: 'low', accounts: { '111122223333': 'high' }, resources: [] },
    };
    const three = ['10:00:00', '10:01:00', '10:02:00'].map((t) => failure(`2026-11-02T${t}Z`));
    const lowRun = setup(low);
    await lowRun.detector.process(three);
    expect(lowRun.delivered).toHaveLength(0);
    const highRun = setup(high);
    await highRun.detector.process(three);
    expect(highRun.delivered.map((f) => [f.severity, f.criticality])).toEqual([['critical', 'high']]);
  });

  it('counts across batches and out of order', async () => {
    const { detector, delivered } = setup();
    await detector.process([failure('2026-11-02T10:04:00Z')]);
    await detector.process([failure('2026-11-02T10:00:30Z')]);
    expect(delivered).toHaveLength(0);
    await detector.process([failure('2026-11-02T10:02:00Z')]);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]?.firstSeen).toBe('2026-11-02T10:00:30.000Z');
  });

  it('pages a single-event finding first, then folds repeats inside the dedup window', async () => {
    const { detector, delivered, folded } = setup();
    await detector.process([stop('2026-11-02T10:00:00Z'), stop('2026-11-02T10:20:00Z')]);
    await detector.process([stop('2026-11-02T10:40:00Z')]);
    expect(delivered).toHaveLength(1);
    expect(folded).toHaveLength(2);
    expect(folded[1]).toMatchObject({ id: delivered[0]?.id, count: 3, lastSeen: '2026-11-02T10:40:00.000Z' });
    await detector.process([stop('2026-11-02T11:30:00Z')]);
    expect(delivered).toHaveLength(2);
  });

  it('gives the same finding id for the same event, so retries deduplicate', async () => {
    const e = stop('2026-11-02T10:00:00Z');
    const a = setup();
    const b = setup();
    await a.detector.process([e]);
    await b.detector.process([e]);
    expect(a.delivered[0]?.id).toBe(b.delivered[0]?.id);
    expect(a.delivered[0]?.id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('reports a sink failure against its events and delivers on retry without paging twice', async () => {
    let failNext = true;
    const delivered: Finding[] = [];
    const flaky: FindingSink = {
      deliver: async (f) => {
        if (failNext) {
          failNext = false;
          throw new Error('SNS unavailable');
        }
        delivered.push(f);
      },
      fold: async () => {},
    };
    const { detector } = setup(DEFAULT_DETECTION_CONFIG, flaky);
    const burst = ['10:00:00', '10:01:00', '10:02:00'].map((t) => failure(`2026-11-02T${t}Z`));
    const first = await detector.process(burst);
    expect(first.failures).toEqual([
      {
        stage: 'sink',
        eventIds: burst.map((e) => e.id),
        error: 'SNS unavailable',
        ruleId: 'test.failed-logins',
        findingId: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
    ]);
    const retry = await detector.process(burst);
    expect(retry.failures).toEqual([]);
    expect(delivered).toHaveLength(1);
    const again = await detector.process(burst);
    expect(again.duplicates).toBe(1);
    expect(delivered).toHaveLength(1);
  });

  it('counts matches per rule, below a threshold too, and leaves out rules that threw', async () => {
    const { detector } = setup();
    const outcome = await detector.process([
      failure('2026-11-02T10:00:00Z'),
      failure('2026-11-02T10:01:00Z'),
      stop('2026-11-02T10:00:00Z'),
    ]);
    expect(outcome.matchesByRule).toEqual({ 'test.failed-logins': 2, 'test.stop-logging': 1 });
    expect(outcome.matches).toBe(3);
    expect(outcome.ruleErrors.map((e) => e.ruleId)).toEqual(['test.throws']);
  });

  it('reports rule errors without failing the batch', async () => {
    const { detector, delivered } = setup();
    const outcome = await detector.process([stop('2026-11-02T10:00:00Z')]);
    expect(outcome.ruleErrors).toEqual([{ ruleId: 'test.throws', eventId: expect.any(String), error: 'boom' }]);
    expect(delivered).toHaveLength(1);
  });

  it("carries a rule's explanation into the finding, and survives an explanation that throws", async () => {
    const explained = defineRule({
      ...TEST_RULE,
      id: 'test.explained',
      title: 'Explained stop',
      severity: 'high',
      on: { source: 'cloudtrail', eventNames: ['StopLogging'] },
      match: (e) => isSuccess(e),
      explain: (e) => [`trail ${String(e.requestParameters?.name ?? 'unknown')}`],
    });
    const broken = defineRule({
      ...TEST_RULE,
      id: 'test.explain-throws',
      title: 'Broken explanation',
      severity: 'high',
      on: { source: 'cloudtrail', eventNames: ['StopLogging'] },
      match: (e) => isSuccess(e),
      explain: () => {
        throw new Error('bad shape');
      },
    });
    const out = collectingSink();
    const detector = createDetector({
      catalogue: buildCatalogue([explained, broken]),
      config: DEFAULT_DETECTION_CONFIG,
      counters: createMemoryCounterStore(),
      ledger: createMemoryLedger(),
      sink: out.sink,
    });
    const e = event(
      record({ eventSource: 'cloudtrail.amazonaws.com', eventName: 'StopLogging', requestParameters: { name: 'org' } }),
    );
    await detector.process([e]);
    const byRule = Object.fromEntries(out.delivered.map((f) => [f.ruleId, f.details]));
    expect(byRule).toEqual({
      'test.explained': ['trail org'],
      'test.explain-throws': ['(explanation failed: bad shape)'],
    });
  });
});

describe('future-dated events (issue 16 §3)', () => {
  const RECEIVED = Date.parse('2026-11-02T10:10:00Z');
  const withClock = () => {
    const out = collectingSink();
    const detector = createDetector({
      catalogue: buildCatalogue([failedLogins, stopLogging]),
      config: DEFAULT_DETECTION_CONFIG,
      counters: createMemoryCounterStore(),
      ledger: createMemoryLedger(),
      sink: out.sink,
      clock: { now: () => RECEIVED },
    });
    return { detector, ...out };
  };

  it('one failure dated 2100 does not stop a later real burst from counting', async () => {
    const { detector, delivered } = withClock();
    await detector.process([failure('2100-01-01T00:00:00Z')]);
    // The 2100 event counts at its receive time (10:10); it alone is below the threshold.
    expect(delivered.map((f) => f.ruleId)).toEqual(['trailwarden.future-dated-event']);
    await detector.process([failure('2026-11-02T10:07:00Z'), failure('2026-11-02T10:08:00Z')]);
    // Without the clamp the window's watermark is 2100 and these two age out at once: no fire, ever.
    const fired = delivered.filter((f) => f.ruleId === 'test.failed-logins');
    expect(fired).toHaveLength(1);
    expect(fired[0]?.count).toBe(3);
  });

  it.each([
    ['exactly at the skew', 15 * 60_000, false],
    ['one second past it', 15 * 60_000 + 1000, true],
  ] as const)('an event dated %s after receipt: future-dated = %s', async (_name, aheadMs, future) => {
    const { detector, delivered } = withClock();
    await detector.process([stop(new Date(RECEIVED + aheadMs).toISOString())]);
    expect(delivered.some((f) => f.ruleId === 'trailwarden.future-dated-event')).toBe(future);
    // The event itself is judged either way.
    expect(delivered.some((f) => f.ruleId === 'test.stop-logging')).toBe(true);
  });

  it('the skew is configurable', async () => {
    const out = collectingSink();
    const detector = createDetector({
      catalogue: buildCatalogue([stopLogging]),
      config: { ...DEFAULT_DETECTION_CONFIG, clockSkewMinutes: 1 },
      counters: createMemoryCounterStore(),
      ledger: createMemoryLedger(),
      sink: out.sink,
      clock: { now: () => RECEIVED },
    });
    await detector.process([stop(new Date(RECEIVED + 2 * 60_000).toISOString())]);
    expect(out.delivered.map((f) => f.ruleId)).toContain('trailwarden.future-dated-event');
  });

  it('a redelivered future-dated event is a duplicate, not a second page', async () => {
    const { detector, delivered } = withClock();
    const e = stop('2100-01-01T00:00:00Z');
    await detector.process([e]);
    await detector.process([e]);
    expect(delivered.filter((f) => f.ruleId === 'trailwarden.future-dated-event')).toHaveLength(1);
  });
});

describe('incidents', () => {
  const recording = () => {
    const log: string[] = [];
    const notices: { findingId: string; kind: string; incidentId: string | undefined }[] = [];
    const sink: FindingSink = {
      deliver: async (f, notice) => {
        log.push(`deliver ${f.ruleId}`);
        notices.push({ findingId: f.id, kind: notice?.kind ?? 'none', incidentId: f.incidentId });
      },
      fold: async (f) => void log.push(`fold ${f.ruleId} ${f.incidentId}`),
      incident: async (i) => void log.push(`incident ${i.id} r${i.revision}`),
    };
    return { sink, log, notices };
  };
  const rootCall = (at: string, name = 'StopLogging') =>
    event(
      record({
        eventSource: 'cloudtrail.amazonaws.com',
        eventName: name,
        eventTime: at,
        userIdentity: { type: 'Root', arn: 'arn:aws:iam::111122223333:root' },
      }),
    );

  it('gives every finding of one actor in the window one incident that pages once', async () => {
    const out = recording();
    const { detector } = setup(DEFAULT_DETECTION_CONFIG, out.sink);
    // Root looks around (`test.root`, high: the page), then stops logging 30 minutes later (`test.stop-logging`,
    // critical: the escalation; its `test.root` match folds into the first).
    const first = await detector.process([rootCall('2026-11-02T10:00:00Z', 'DescribeTrails')]);
    const second = await detector.process([rootCall('2026-11-02T10:30:00Z')]);
    const ids = new Set(out.notices.map((n) => n.incidentId));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/^[0-9a-f]{32}$/);
    expect(first.delivered[0]?.incidentId).toBe([...ids][0]);
    expect(out.notices.map((n) => n.kind)).toEqual(['page', 'escalation']);
    expect(second.notices.get(second.delivered[0]?.id ?? '')?.incident).toMatchObject({
      findingIds: [first.delivered[0]?.id, second.delivered[0]?.id],
      severity: 'critical',
      pagedSeverity: 'critical',
      revision: 2,
    });
  });

  it('pages once, at the higher severity, for one event that matches a critical and a high rule', async () => {
    const out = recording();
    const { detector } = setup(DEFAULT_DETECTION_CONFIG, out.sink);
    await detector.process([rootCall('2026-11-02T10:00:00Z')]);
    expect(out.notices.map((n) => n.kind)).toEqual(['page', 'update']);
    expect(out.log[1]).toBe('deliver test.stop-logging');
  });

  it('archives each incident once per batch, before its first publication', async () => {
    const out = recording();
    const { detector } = setup(DEFAULT_DETECTION_CONFIG, out.sink);
    await detector.process([rootCall('2026-11-02T10:00:00Z'), stop('2026-11-02T10:01:00Z')]);
    // Root (two findings) and alice (one) are two actors: two incidents, each archived once, first.
    expect(out.log.filter((l) => l.startsWith('incident'))).toHaveLength(2);
    const rootIncident = out.log.findIndex((l) => l.startsWith('incident'));
    expect(out.log[rootIncident + 1]).toMatch(/^deliver/);
    expect(out.log.filter((l) => l.startsWith('incident')).every((l) => l.endsWith(' r2') || l.endsWith(' r1'))).toBe(
      true,
    );
  });

  it('keeps drills apart from real findings of the same actor', async () => {
    const out = recording();
    const { detector } = setup(DEFAULT_DETECTION_CONFIG, out.sink);
    const real = rootCall('2026-11-02T10:00:00Z', 'DescribeTrails');
    const drill = { ...rootCall('2026-11-02T10:01:00Z'), drill: true };
    const outcome = await detector.process([real, drill]);
    const byRule = new Map(outcome.delivered.map((f) => [`${f.drill ? 'drill ' : ''}${f.ruleId}`, f]));
    const realIncident = byRule.get('test.root')?.incidentId;
    const drillIncident = byRule.get('drill test.stop-logging')?.incidentId;
    expect(realIncident).toBeDefined();
    expect(drillIncident).toBeDefined();
    expect(drillIncident).not.toBe(realIncident);
    // Each pages on its own: the drill's page is not an escalation of the real incident.
    expect(outcome.notices.get(byRule.get('drill test.stop-logging')?.id ?? '')?.kind).toBe('page');
    expect(outcome.notices.get(byRule.get('test.root')?.id ?? '')?.kind).toBe('page');
  });

  it('fails the events of a finding whose incident cannot be stored, then delivers it on retry', async () => {
    const out = recording();
    let down = true;
    const real = createMemoryIncidentStore();
    const detector = createDetector({
      catalogue: buildCatalogue([stopLogging]),
      config: DEFAULT_DETECTION_CONFIG,
      counters: createMemoryCounterStore(),
      ledger: createMemoryLedger(),
      sink: out.sink,
      incidents: {
        correlate: async (findings, config) => {
          if (down) throw new Error('table unavailable');
          return real.correlate(findings, config);
        },
      },
    });
    const e = stop('2026-11-02T10:00:00Z');
    const first = await detector.process([e]);
    expect(first.failures).toEqual([
      expect.objectContaining({ stage: 'incident', eventIds: [e.id], error: 'table unavailable' }),
    ]);
    expect(out.notices).toEqual([]);
    down = false;
    const retry = await detector.process([e]);
    expect(retry.failures).toEqual([]);
    expect(out.notices.map((n) => n.kind)).toEqual(['page']);
  });

  it('a repeat folded later carries the incident of the finding it repeats', async () => {
    const out = recording();
    const { detector } = setup(DEFAULT_DETECTION_CONFIG, out.sink);
    const burst = ['10:00:00', '10:01:00', '10:02:00'].map((t) => failure(`2026-11-02T${t}Z`));
    const repeat = ['10:10:00', '10:11:00', '10:12:00'].map((t) => failure(`2026-11-02T${t}Z`));
    await detector.process(burst);
    await detector.process(repeat);
    const incidentId = out.notices[0]?.incidentId;
    expect(incidentId).toBeDefined();
    expect(out.log.at(-1)).toBe(`fold test.failed-logins ${incidentId}`);
  });
});
