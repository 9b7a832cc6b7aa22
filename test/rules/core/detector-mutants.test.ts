import { describe, expect, it } from 'vitest';
import type { CloudTrailRecord } from '../../../rules/core/cloudtrail.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../../rules/core/config.ts';
import { defineRule } from '../../../rules/core/define-rule.ts';
import type { DetectorDeps } from '../../../rules/core/detector.ts';
import { actsOn, createDetector, namespaceOf, needsDetector, prejudgedOf } from '../../../rules/core/detector.ts';
import { buildCatalogue, catalogueOf } from '../../../rules/core/engine.ts';
import { fromRecord } from '../../../rules/core/events.ts';
import type { Finding } from '../../../rules/core/finding.ts';
import { createMemoryCounterStore, createMemoryLedger } from '../../../rules/core/memory.ts';
import type { FindingLedger, FindingSink, HistoryStore, IncidentStore } from '../../../rules/core/ports.ts';
import type { AuditEvent } from '../../../rules/core/types.ts';
import { TEST_RULE } from '../../support/test-rule.ts';

/**
 * Edges of the detector the other suites leave open (found by mutation testing): namespaces, receive-time
 * clamping, what reaches correlation, release of a failed delivery, folds' incidents, intel loading, distinct
 * thresholds and finding ids.
 */

const stopLogging = defineRule({
  ...TEST_RULE,
  id: 'test.stop-logging',
  title: 'Stop logging',
  severity: 'critical',
  on: { source: 'cloudtrail', eventNames: ['StopLogging'] },
  match: (e) => e.errorCode === undefined,
});

/** Dedup on the trail name: a second StopLogging of one trail folds into the first. */
const stopLoggingByTrail = defineRule({
  ...TEST_RULE,
  id: 'test.stop-logging-trail',
  title: 'Stop logging (by trail)',
  severity: 'critical',
  on: { source: 'cloudtrail', eventNames: ['StopLogging'] },
  match: (e) => e.errorCode === undefined,
  dedup: { key: () => 'trail', windowSeconds: 3600 },
});

const failedLogins = defineRule({
  ...TEST_RULE,
  id: 'test.failed-logins',
  title: 'Failed logins',
  severity: 'high',
  on: { source: 'signin', eventNames: ['ConsoleLogin'] },
  match: (e) => e.errorMessage !== undefined,
  threshold: { count: 3, windowSeconds: 300, groupBy: (e) => e.userIdentity.userName ?? 'unknown' },
});

const manyAddresses = defineRule({
  ...TEST_RULE,
  id: 'test.many-addresses',
  title: 'Failed logins from many addresses',
  severity: 'high',
  on: { source: 'signin', eventNames: ['ConsoleLogin'] },
  match: (e) => e.errorMessage !== undefined,
  threshold: {
    count: 3,
    windowSeconds: 300,
    groupBy: () => 'all',
    distinct: (e) => e.sourceIPAddress ?? 'none',
  },
});

const T0 = Date.parse('2026-11-02T10:00:00Z');
let seq = 0;
const event = (overrides: Partial<CloudTrailRecord> & Pick<CloudTrailRecord, 'eventSource' | 'eventName'>) => {
  const parsed = fromRecord({
    eventTime: '2026-11-02T10:00:00Z',
    eventID: `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`,
    awsRegion: 'us-east-1',
    recipientAccountId: '111122223333',
    userIdentity: { type: 'IAMUser', userName: 'alice', arn: 'arn:aws:iam::111122223333:user/alice' },
    ...overrides,
  });
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.event;
};
const at = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const stop = (overrides: Partial<CloudTrailRecord> = {}) =>
  event({ eventSource: 'cloudtrail.amazonaws.com', eventName: 'StopLogging', ...overrides });
const failed = (ms: number, overrides: Partial<CloudTrailRecord> = {}) =>
  event({
    eventSource: 'signin.amazonaws.com',
    eventName: 'ConsoleLogin',
    eventTime: at(ms),
    errorMessage: 'Failed authentication',
    ...overrides,
  });

const recordingSink = (overrides: Partial<FindingSink> = {}) => {
  const delivered: Finding[] = [];
  const folded: Finding[] = [];
  const sink: FindingSink = {
    deliver: async (f) => {
      delivered.push(f);
    },
    fold: async (f) => {
      folded.push(f);
    },
    ...overrides,
  };
  return { sink, delivered, folded };
};

const detectorOf = (deps: Partial<DetectorDeps> & Pick<DetectorDeps, 'catalogue'>) =>
  createDetector({
    config: DEFAULT_DETECTION_CONFIG,
    counters: createMemoryCounterStore(),
    ledger: createMemoryLedger(),
    sink: recordingSink().sink,
    ...deps,
  });

describe('namespaceOf and actsOn', () => {
  it('keeps real, drill, unverified-drill and replay events apart', () => {
    const real = stop();
    expect(namespaceOf(real)).toBe('');
    expect(namespaceOf({ ...real, drill: true })).toBe('drill|');
    expect(namespaceOf({ ...real, drillClaim: { kind: 'unsigned', marker: 'x' } })).toBe('unverified-drill|');
    expect(namespaceOf({ ...real, drill: false })).toBe('');
    const replay = { id: 'exec-1', day: '2026-11-02' };
    expect(namespaceOf({ ...real, replay })).toBe('replay|exec-1|');
    expect(namespaceOf({ ...real, replay, drill: true })).toBe('replay|exec-1|drill|');
  });

  it('acts on a candidate event or a drill claim, and on nothing else', () => {
    const catalogue = buildCatalogue([stopLogging]);
    const other = event({ eventSource: 'cloudtrail.amazonaws.com', eventName: 'DescribeTrails' });
    expect(actsOn(catalogue, stop())).toBe(true);
    expect(actsOn(catalogue, other)).toBe(false);
    expect(actsOn(catalogue, { ...other, drillClaim: { kind: 'unsigned', marker: 'x' } })).toBe(true);
    expect(actsOn(buildCatalogue([]), stop())).toBe(false);
  });
});

describe('receive time', () => {
  it('honours a configured clock skew in minutes: 5 minutes ahead within 10 allowed is not future-dated', async () => {
    const received = T0;
    const detector = detectorOf({
      catalogue: buildCatalogue([stopLogging]),
      config: { ...DEFAULT_DETECTION_CONFIG, clockSkewMinutes: 10 },
      clock: { now: () => received },
    });
    const out = await detector.process([stop({ eventTime: at(received + 5 * 60_000) })]);
    expect(out.delivered.map((f) => f.ruleId)).toEqual(['test.stop-logging']);
  });

  it('past events keep their own times in windows: failures spread over 20 minutes never fire', async () => {
    const received = T0 + 3_600_000;
    const detector = detectorOf({ catalogue: buildCatalogue([failedLogins]), clock: { now: () => received } });
    const out = await detector.process([failed(T0), failed(T0 + 10 * 60_000), failed(T0 + 20 * 60_000)]);
    expect(out.matches).toBe(3);
    expect(out.delivered).toEqual([]);
  });

  it('an event dated exactly at the end of the allowed skew keeps its own time', async () => {
    const received = T0;
    const detector = detectorOf({
      catalogue: buildCatalogue([failedLogins]),
      config: { ...DEFAULT_DETECTION_CONFIG, clockSkewMinutes: 10 },
      clock: { now: () => received },
    });
    // At their own times the three span 14 minutes (no fire in 5); the last counted at the receive time would fire.
    const out = await detector.process([failed(T0 - 240_000), failed(T0 - 240_000), failed(T0 + 600_000)]);
    expect(out.matches).toBe(3);
    expect(out.delivered).toEqual([]);
  });

  it('a forged drill with a clock is dated at its event time when that is in the past', async () => {
    const received = T0 + 3_600_000;
    const detector = detectorOf({ catalogue: buildCatalogue([stopLogging]), clock: { now: () => received } });
    const forged = { ...stop({ eventTime: at(T0) }), drillClaim: { kind: 'unsigned' as const, marker: 'x' } };
    const out = await detector.process([forged]);
    const finding = out.delivered.find((f) => f.ruleId === 'trailwarden.forged-drill');
    expect(finding?.firstSeen).toBe(at(T0).replace('Z', '.000Z'));
  });

  it('a forged drill whose finding cannot be delivered retries that event', async () => {
    const { sink } = recordingSink({
      deliver: async () => {
        throw new Error('topic down');
      },
    });
    const detector = detectorOf({ catalogue: buildCatalogue([]), sink });
    const forged = { ...stop(), drillClaim: { kind: 'unsigned' as const, marker: 'x' } };
    const out = await detector.process([forged]);
    expect(out.failures).toEqual([
      expect.objectContaining({ stage: 'sink', eventIds: [forged.id], ruleId: 'trailwarden.forged-drill' }),
    ]);
  });

  it('a finding whose date cannot be represented is a rule error, never an escaped exception', async () => {
    const detector = detectorOf({ catalogue: buildCatalogue([stopLogging]) });
    const e: AuditEvent = { ...stop(), timeMs: 8.64e15 + 1 };
    const out = await detector.process([e]);
    expect(out.delivered).toEqual([]);
    expect(out.ruleErrors).toEqual([expect.objectContaining({ ruleId: 'test.stop-logging', eventId: e.id })]);
    expect(out.ruleErrors[0]?.error).not.toBe('');
  });
});

describe('correlation and delivery', () => {
  const countingIncidents = (answer?: IncidentStore['correlate']) => {
    const calls: number[] = [];
    const store: IncidentStore = {
      correlate: async (findings, config) => {
        calls.push(findings.length);
        if (answer) return answer(findings, config);
        return findings.map((f) => ({
          ok: true as const,
          findingId: f.id,
          kind: 'page' as const,
          incident: { id: `inc-${f.id}` } as never,
        }));
      },
    };
    return { store, calls };
  };

  it('correlates only new findings, and not at all for a batch with none', async () => {
    const { store, calls } = countingIncidents();
    const detector = detectorOf({ catalogue: buildCatalogue([stopLoggingByTrail]), incidents: store });
    await detector.process([stop()]);
    expect(calls).toEqual([1]);
    await detector.process([stop()]);
    expect(calls).toEqual([1]);
    const quiet = await detector.process([event({ eventSource: 'cloudtrail.amazonaws.com', eventName: 'X' })]);
    expect(quiet.delivered).toEqual([]);
    expect(calls).toEqual([1]);
  });

  it('an incident store that refuses a finding fails it with the store error', async () => {
    const { store } = countingIncidents(async (findings) =>
      findings.map((f) => ({ ok: false as const, findingId: f.id, error: 'incident table throttled' })),
    );
    const detector = detectorOf({ catalogue: buildCatalogue([stopLogging]), incidents: store });
    const e = stop();
    const out = await detector.process([e]);
    expect(out.delivered).toEqual([]);
    expect(out.failures).toEqual([
      expect.objectContaining({ stage: 'incident', eventIds: [e.id], error: 'incident table throttled' }),
    ]);
  });

  it('an incident store that does not answer for a finding fails it as "no incident assigned"', async () => {
    const { store } = countingIncidents(async () => []);
    const detector = detectorOf({ catalogue: buildCatalogue([stopLogging]), incidents: store });
    const out = await detector.process([stop()]);
    expect(out.failures).toEqual([expect.objectContaining({ stage: 'incident', error: 'no incident assigned' })]);
  });

  it('a failing incident archive fails the delivery: nothing pages before its incident is archived', async () => {
    const { sink, delivered } = recordingSink({
      incident: async () => {
        throw new Error('bucket refused');
      },
    });
    const detector = detectorOf({ catalogue: buildCatalogue([stopLogging]), sink });
    const out = await detector.process([stop()]);
    expect(delivered).toEqual([]);
    expect(out.failures).toEqual([expect.objectContaining({ stage: 'sink', error: 'bucket refused' })]);
  });

  it('a failed page releases the claim, so the retry pages at once', async () => {
    let down = true;
    const { sink, delivered } = recordingSink();
    const flaky: FindingSink = {
      ...sink,
      deliver: async (f, n) => {
        if (down) throw new Error('topic down');
        await sink.deliver(f, n);
      },
    };
    const inner = createMemoryLedger();
    const released: string[] = [];
    const ledger: FindingLedger = {
      ...inner,
      release: async (f, k) => {
        released.push(f.ruleId);
        await inner.release(f, k);
      },
    };
    const detector = detectorOf({ catalogue: buildCatalogue([stopLogging]), sink: flaky, ledger });
    const e = stop();
    const first = await detector.process([e]);
    expect(first.failures).toEqual([expect.objectContaining({ stage: 'sink', error: 'topic down' })]);
    expect(released).toEqual(['test.stop-logging']);
    down = false;
    const retry = await detector.process([e]);
    expect(retry.delivered.map((f) => f.ruleId)).toEqual(['test.stop-logging']);
    expect(delivered).toHaveLength(1);
  });

  it('a failure to record the delivery does not release the claim (the page went out)', async () => {
    const inner = createMemoryLedger();
    const released: string[] = [];
    const ledger: FindingLedger = {
      admit: (f, k, w) => inner.admit(f, k, w),
      delivered: async () => {
        throw new Error('ledger write failed');
      },
      release: async (f, k) => {
        released.push(k);
        await inner.release(f, k);
      },
    };
    const detector = detectorOf({ catalogue: buildCatalogue([stopLogging]), ledger });
    const out = await detector.process([stop()]);
    expect(out.failures).toEqual([expect.objectContaining({ stage: 'ledger', error: 'ledger write failed' })]);
    expect(released).toEqual([]);
  });

  it('a fold keeps the incident the ledger recorded, and a fold of a finding paged in this batch gets its incident', async () => {
    const { sink, folded } = recordingSink();
    const detector = detectorOf({ catalogue: buildCatalogue([stopLoggingByTrail]), sink });
    const [a, b] = [stop(), stop({ eventTime: at(T0 + 60_000) })];
    const out = await detector.process([a, b]);
    expect(out.delivered).toHaveLength(1);
    const incidentId = out.delivered[0]?.incidentId;
    expect(incidentId).toEqual(expect.any(String));
    expect(folded.map((f) => f.incidentId)).toEqual([incidentId]);
    const later = await detector.process([stop({ eventTime: at(T0 + 120_000) })]);
    expect(later.folded.map((f) => f.incidentId)).toEqual([incidentId]);
  });

  it('a fold the ledger knows no incident for, and that was not paged in this batch, stays without one', async () => {
    const { sink, folded } = recordingSink();
    const ledger: FindingLedger = {
      admit: async (finding) => ({ kind: 'fold', finding }),
      delivered: async () => {},
      release: async () => {},
    };
    const detector = detectorOf({ catalogue: buildCatalogue([stopLogging]), sink, ledger });
    const out = await detector.process([stop()]);
    expect(out.failures).toEqual([]);
    expect(folded).toHaveLength(1);
    expect(Object.hasOwn(folded[0] as object, 'incidentId')).toBe(false);
    const known: FindingLedger = {
      ...ledger,
      admit: async (finding) => ({ kind: 'fold', finding: { ...finding, incidentId: 'inc-7' } }),
    };
    const again = await detectorOf({ catalogue: buildCatalogue([stopLogging]), ledger: known }).process([stop()]);
    expect(again.folded.map((f) => f.incidentId)).toEqual(['inc-7']);
  });
});

describe('history store answers', () => {
  const remembering = defineRule({
    ...TEST_RULE,
    id: 'test.remembering',
    title: 'Remembers',
    severity: 'low',
    on: { source: 'cloudtrail', eventNames: ['StopLogging'] },
    match: () => false,
    history: { key: (e) => e.recipientAccountId ?? 'none', remember: () => 'seen', retainSeconds: 86_400 },
  });

  it('a key the store does not answer for fails its events, naming the key', async () => {
    const history: HistoryStore = { record: async () => [] };
    const e = stop();
    const out = await detectorOf({ catalogue: buildCatalogue([remembering]), history }).process([e]);
    expect(out.failures).toEqual([
      {
        stage: 'history',
        eventIds: [e.id],
        error: 'no answer from the history store for test.remembering#111122223333',
      },
    ]);
  });

  it('a failed answer for a key nobody asked about retries no event', async () => {
    const history: HistoryStore = {
      record: async (requests) => [
        ...requests.map((r) => ({ key: r.key, ok: false as const, error: 'throttled' })),
        { key: 'stranger', ok: false as const, error: 'throttled' },
      ],
    };
    const e = stop();
    const out = await detectorOf({ catalogue: buildCatalogue([remembering]), history }).process([e]);
    expect(out.failures.map((f) => f.eventIds)).toEqual([[e.id], []]);
  });
});

describe('distinct thresholds and finding ids', () => {
  it('a distinct threshold counts values, not events: three failures from one address do not fire, three addresses do', async () => {
    const detector = detectorOf({ catalogue: buildCatalogue([manyAddresses]) });
    const same = await detector.process([0, 1, 2].map((i) => failed(T0 + i * 1000, { sourceIPAddress: '192.0.2.1' })));
    expect(same.delivered).toEqual([]);
    const spread = await detector.process(
      [3, 4, 5].map((i) => failed(T0 + i * 1000, { sourceIPAddress: `192.0.2.${i}` })),
    );
    expect(spread.delivered.map((f) => f.ruleId)).toEqual(['test.many-addresses']);
  });

  it('a plain threshold counts every event, whatever the address', async () => {
    const detector = detectorOf({ catalogue: buildCatalogue([failedLogins]) });
    const out = await detector.process([0, 1, 2].map((i) => failed(T0 + i * 1000, { sourceIPAddress: '192.0.2.1' })));
    expect(out.delivered.map((f) => f.ruleId)).toEqual(['test.failed-logins']);
  });

  it('two direct findings at one instant have different ids', async () => {
    const detector = detectorOf({ catalogue: buildCatalogue([stopLogging]) });
    const as = (u: string) =>
      stop({ userIdentity: { type: 'IAMUser', userName: u, arn: `arn:aws:iam::111122223333:user/${u}` } });
    const out = await detector.process([as('alice'), as('bob')]);
    expect(out.delivered).toHaveLength(2);
    expect(new Set(out.delivered.map((f) => f.id)).size).toBe(2);
  });

  it('two threshold groups firing at one instant have different ids', async () => {
    const detector = detectorOf({ catalogue: buildCatalogue([failedLogins]) });
    const users = ['alice', 'bob'].flatMap((u) =>
      [0, 1, 2].map((i) =>
        failed(T0 + i * 1000, {
          userIdentity: { type: 'IAMUser', userName: u, arn: `arn:aws:iam::111122223333:user/${u}` },
        }),
      ),
    );
    const out = await detector.process(users);
    expect(out.delivered).toHaveLength(2);
    expect(new Set(out.delivered.map((f) => f.id)).size).toBe(2);
  });
});

describe('more edges', () => {
  const remembers = defineRule({
    ...TEST_RULE,
    id: 'test.remembers',
    title: 'Remembers',
    severity: 'low',
    on: { source: 'cloudtrail', eventNames: ['StopLogging'] },
    match: () => false,
    history: { key: () => 'k', remember: () => 'seen', retainSeconds: 86_400 },
  });

  it('needsDetector keeps an event for a rule with memory, even when no rule judged alone matches', () => {
    const e = stop({ errorCode: 'AccessDenied' });
    expect(needsDetector(catalogueOf(prejudgedOf([stopLogging])), DEFAULT_DETECTION_CONFIG, e)).toBe(false);
    expect(needsDetector(catalogueOf(prejudgedOf([remembers, stopLogging])), DEFAULT_DETECTION_CONFIG, e)).toBe(true);
  });

  it('the anonymiser list is not loaded for a batch no rule reading it is a candidate for', async () => {
    let loads = 0;
    const detector = detectorOf({
      catalogue: buildCatalogue([stopLogging]),
      intel: {
        anonymisers: {
          source: 'test-list',
          load: async () => {
            loads++;
            throw new Error('should not load');
          },
        },
      },
    });
    const out = await detector.process([stop()]);
    expect(loads).toBe(0);
    expect(out.failures).toEqual([]);
  });

  it('a fold the sink cannot archive fails at the sink stage', async () => {
    const { sink } = recordingSink({
      fold: async () => {
        throw new Error('bucket refused');
      },
    });
    const ledger: FindingLedger = {
      admit: async (finding) => ({ kind: 'fold', finding }),
      delivered: async () => {},
      release: async () => {},
    };
    const out = await detectorOf({ catalogue: buildCatalogue([stopLogging]), sink, ledger }).process([stop()]);
    expect(out.failures).toEqual([expect.objectContaining({ stage: 'sink', error: 'bucket refused' })]);
  });
});
