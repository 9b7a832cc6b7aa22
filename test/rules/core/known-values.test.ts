import { describe, expect, it } from 'vitest';
import { rule as stopLogging } from '../../../rules/cloudtrail/logging-stopped.rule.ts';
import type { CloudTrailRecord } from '../../../rules/core/cloudtrail.ts';
import { fromRecord } from '../../../rules/core/events.ts';
import { createKnownValues, createSegmentedKnownValues } from '../../../rules/core/known-values.ts';
import type { AuditEvent, Rule } from '../../../rules/core/types.ts';
import { fixture } from '../../../rules/fixtures/index.ts';
import { rule as secretsBurst } from '../../../rules/secretsmanager/secrets-retrieved-burst.rule.ts';

/** Which reads a scan may drop before the detector: repeats, within a day, of a value seen at an earlier time. */

const DAY = 86_400_000;
const T0 = Date.parse('2026-11-02T00:00:00Z');
const roleSession = (role: string, session: string): CloudTrailRecord['userIdentity'] => ({
  type: 'AssumedRole',
  principalId: `AROA3XFRBF23EXAMPLE7:${session}`,
  arn: `arn:aws:sts::111122223333:assumed-role/${role}/${session}`,
  accountId: '111122223333',
  sessionContext: {
    sessionIssuer: {
      type: 'Role',
      arn: `arn:aws:iam::111122223333:role/${role}`,
      accountId: '111122223333',
      userName: role,
    },
  },
});

let seq = 0;
const read = (secretId: string, atMs: number, role = 'orders-api', extra: Record<string, unknown> = {}): AuditEvent => {
  const parsed = fromRecord(
    fixture('secretsmanager/GetSecretValue', {
      eventID: `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`,
      eventTime: new Date(atMs).toISOString(),
      userIdentity: roleSession(role, `i-${seq}`),
      requestParameters: { secretId },
      ...extra,
    }),
  );
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.event;
};

const seen = (events: readonly AuditEvent[], rule: Rule = secretsBurst): boolean[] => {
  const known = createKnownValues();
  return events.map((e) => known.seenBefore(rule, e));
};

describe('createKnownValues', () => {
  it('knows a value read again later the same day by the same role (any session), not the first read', () => {
    expect(seen([read('db', T0 + 1000), read('db', T0 + 2000), read('db', T0 + 9 * 3_600_000)])).toEqual([
      false,
      true,
      true,
    ]);
  });

  it('does not know another value, another role, or the same read on another day', () => {
    expect(
      seen([read('db', T0 + 1000), read('api-key', T0 + 2000), read('db', T0 + 3000, 'billing'), read('db', T0 + DAY)]),
    ).toEqual([false, false, false, false]);
  });

  it('knows only what was read at an earlier time: an earlier read met later in the scan is not a repeat', () => {
    // Files are not in time order: the detector would see the 09:00 read as new against a history of 10:00.
    expect(seen([read('db', T0 + 10 * 3_600_000), read('db', T0 + 9 * 3_600_000), read('db', T0 + 9.5 * 3_600_000)]))
      // the 09:00 read lowers what is known: the 09:30 read comes after it in time
      .toEqual([false, false, true]);
  });

  it('a read at the very same time is not a repeat (the history shows only what is strictly before)', () => {
    expect(seen([read('db', T0 + 5000), read('db', T0 + 5000)])).toEqual([false, false]);
  });

  it('learns nothing from refused reads, reads by AWS services, or reads whose secret CloudTrail did not record', () => {
    const refused = read('db', T0 + 1000, 'orders-api', { errorCode: 'AccessDeniedException' });
    const byService = read('db', T0 + 1500, 'orders-api', {
      userIdentity: { ...roleSession('orders-api', 's'), invokedBy: 'rds.amazonaws.com' },
    });
    const unrecorded = (at: number) => read('db', at, 'orders-api', { requestParameters: null });
    expect(seen([refused, read('db', T0 + 3000)])).toEqual([false, false]);
    expect(seen([byService, read('db', T0 + 3000)])).toEqual([false, false]);
    expect(seen([unrecorded(T0 + 2000), unrecorded(T0 + 2500), read('db', T0 + 3000)])).toEqual([false, false, false]);
  });

  it('keeps drills apart from real reads', () => {
    const drill = { ...read('db', T0 + 1000), drill: true };
    expect(seen([drill, read('db', T0 + 2000)])).toEqual([false, false]);
  });

  it('knows nothing for a rule whose key or value throws (the detector reports it), or whose memory is too short to step', () => {
    const history = secretsBurst.history;
    if (history === null) throw new Error('the rule has a history');
    const throwing: Rule = {
      ...secretsBurst,
      history: {
        ...history,
        key: () => {
          throw new Error('no key');
        },
      },
    };
    expect(seen([read('db', T0 + 1000), read('db', T0 + 2000)], throwing)).toEqual([false, false]);
    // No memory makes no step (not one step holding every time); 100 seconds of memory make steps of a second.
    const brief = (retainMs: number): Rule => ({
      ...secretsBurst,
      history: { ...history, spec: { ...history.spec, retainMs } },
    });
    expect(seen([read('db', T0 + 1000), read('db', T0 + 1010)], brief(0))).toEqual([false, false]);
    expect(seen([read('db', T0 + 1000), read('db', T0 + 1010), read('db', T0 + 2010)], brief(100_000))).toEqual([
      false,
      true,
      false,
    ]);
  });

  it('never knows anything for a rule without `onlyNewValues`', () => {
    const stop = fromRecord(fixture('cloudtrail/StopLogging'));
    if (!stop.ok) throw new Error(stop.error);
    expect(seen([stop.event, { ...stop.event, timeMs: stop.event.timeMs + 1 }], stopLogging)).toEqual([false, false]);
  });
});

describe('createSegmentedKnownValues', () => {
  it('keeps one memory for a segment and starts afresh with the next', () => {
    const knownIn = createSegmentedKnownValues();
    expect(knownIn(0).seenBefore(secretsBurst, read('db', T0 + 1000))).toBe(false);
    expect(knownIn(0).seenBefore(secretsBurst, read('db', T0 + 2000))).toBe(true);
    expect(knownIn(1).seenBefore(secretsBurst, read('db', T0 + 3000))).toBe(false);
    expect(knownIn(1).seenBefore(secretsBurst, read('db', T0 + 4000))).toBe(true);
  });
});
