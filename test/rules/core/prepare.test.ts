import { describe, expect, it } from 'vitest';
import { defineRule } from '../../../rules/core/define-rule.ts';
import { toAuditEvent } from '../../../rules/core/events.ts';
import {
  dailyBefore,
  MAX_PREPARE_DAYS,
  preparedHistory,
  preparedRecords,
  prepareErrors,
} from '../../../rules/core/prepare.ts';
import type { AuditEvent, ConfigItemSelector, PreparedEvent } from '../../../rules/core/types.ts';
import { fixture } from '../../../rules/fixtures/index.ts';
import { TEST_RULE } from '../../support/test-rule.ts';

/**
 * Backdated preparation (rules/core/prepare.ts): one definition serves a case's own test (the history) and the
 * drill (dated records), so the dates, the order, what is checked and what is remembered must be exact.
 */
const DAY = 86_400_000;

/** Remembers the source address of each sign-in, keyed by user name. */
const remembering = defineRule({
  ...TEST_RULE,
  id: 'test.remembering',
  on: { source: 'cloudtrail', eventNames: ['ConsoleLogin'] },
  history: {
    key: (e) => String(e.userIdentity?.userName),
    remember: (e) => (e.sourceIPAddress === '203.0.113.9' ? undefined : e.sourceIPAddress),
    retainSeconds: 400 * 86_400,
  },
  match: () => true,
});
const forgetful = defineRule({
  ...TEST_RULE,
  id: 'test.forgetful',
  on: { source: 'cloudtrail', eventNames: ['ConsoleLogin'] },
  match: () => true,
});
const configRule = defineRule<ConfigItemSelector>({
  ...TEST_RULE,
  id: 'test.config',
  on: { source: 'config.item-change', resourceTypes: ['AWS::S3::Bucket'] },
  history: { key: () => 'k', remember: () => 'v', retainSeconds: 60 },
  match: () => true,
});

const login = (overrides: Record<string, unknown> = {}) => fixture('signin/ConsoleLogin', overrides);
const event = (record: Record<string, unknown>): AuditEvent => {
  const parsed = toAuditEvent(record);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.event;
};

describe('dailyBefore', () => {
  it('gives one record a day on each of the days before, oldest first, down to the day before', () => {
    const e = { x: 1 };
    expect(dailyBefore(3, e)).toEqual([
      { daysBefore: 3, event: e },
      { daysBefore: 2, event: e },
      { daysBefore: 1, event: e },
    ]);
    expect(dailyBefore(0, e)).toEqual([]);
  });
});

describe('prepareErrors', () => {
  it('accepts a CloudTrail rule that remembers, with days in (0, MAX_PREPARE_DAYS]', () => {
    expect(MAX_PREPARE_DAYS).toBe(366);
    const ok: PreparedEvent[] = [
      { daysBefore: 1, event: login() },
      { daysBefore: 0.5, event: login() },
      { daysBefore: MAX_PREPARE_DAYS, event: login() },
    ];
    expect(prepareErrors(remembering, ok)).toEqual([]);
    expect(prepareErrors(remembering, [])).toEqual([]);
  });

  it('refuses days at or below zero, beyond a year and not finite, naming the entry and the value', () => {
    const days = [0, -1, MAX_PREPARE_DAYS + 1, Number.NaN, Number.POSITIVE_INFINITY];
    const errors = prepareErrors(
      remembering,
      days.map((daysBefore) => ({ daysBefore, event: login() })),
    );
    expect(errors).toEqual([
      'prepare[0].daysBefore must be more than 0 and at most 366 (got 0)',
      'prepare[1].daysBefore must be more than 0 and at most 366 (got -1)',
      'prepare[2].daysBefore must be more than 0 and at most 366 (got 367)',
      'prepare[3].daysBefore must be more than 0 and at most 366 (got NaN)',
      'prepare[4].daysBefore must be more than 0 and at most 366 (got Infinity)',
    ]);
  });

  it('refuses an event that is not a record object: null, an array, a string', () => {
    const errors = prepareErrors(remembering, [
      { daysBefore: 1, event: null },
      { daysBefore: 1, event: [login()] },
      { daysBefore: 1, event: 'ConsoleLogin' },
      { daysBefore: 1, event: login() },
    ]);
    expect(errors).toEqual([
      'prepare[0].event is not a CloudTrail record',
      'prepare[1].event is not a CloudTrail record',
      'prepare[2].event is not a CloudTrail record',
    ]);
  });

  it('refuses a preparation for a rule that remembers nothing or is not a CloudTrail rule', () => {
    expect(prepareErrors(forgetful, [{ daysBefore: 1, event: login() }])).toEqual([
      'the rule remembers nothing: a preparation would teach it nothing',
    ]);
    expect(prepareErrors(configRule, [{ daysBefore: 1, event: {} }])).toEqual([
      'only CloudTrail rules take a backdated preparation',
    ]);
  });
});

describe('preparedRecords', () => {
  const at = Date.parse('2026-11-20T12:00:00Z');

  it('dates each record its days before, oldest first, with its own id and a whole-second eventTime', () => {
    const records = preparedRecords(
      [
        { daysBefore: 1, event: login({ sourceIPAddress: '198.51.100.1' }) },
        { daysBefore: 3, event: login({ sourceIPAddress: '198.51.100.3' }) },
        { daysBefore: 2, event: login({ sourceIPAddress: '198.51.100.2' }) },
      ],
      at,
      (i) => `id-${i}`,
    );
    expect(records.map((r) => r.timeMs)).toEqual([at - 3 * DAY, at - 2 * DAY, at - DAY]);
    expect(records.map((r) => [r.record.eventID, r.record.eventTime, r.record.sourceIPAddress])).toEqual([
      ['id-0', '2026-11-17T12:00:00Z', '198.51.100.3'],
      ['id-1', '2026-11-18T12:00:00Z', '198.51.100.2'],
      ['id-2', '2026-11-19T12:00:00Z', '198.51.100.1'],
    ]);
    // The rest of the payload is kept as it was.
    expect(records[0]?.record.eventName).toBe('ConsoleLogin');
  });

  it('rounds a fractional day to whole seconds, as CloudTrail writes them', () => {
    // 1.00001 days is 86 400.864 s: the record is dated 86 401 s before, not at a fraction of a second.
    const [r] = preparedRecords([{ daysBefore: 1.00001, event: login() }], at, () => 'x');
    expect(r?.timeMs).toBe(at - 86_401_000);
    expect(r?.record.eventTime).toBe('2026-11-19T11:59:59Z');
  });

  it('gives a payload that is not an object only its id and time', () => {
    const [r] = preparedRecords([{ daysBefore: 1, event: ['not', 'a', 'record'] }], at, () => 'x');
    expect(r?.record).toEqual({ eventID: 'x', eventTime: '2026-11-19T12:00:00Z' });
  });
});

describe('preparedHistory', () => {
  const now = login({ eventID: 'now', eventTime: '2026-11-20T12:00:00Z', sourceIPAddress: '192.0.2.50' });

  it('remembers what the rule keeps of the same key, strictly before the event, as sightings', () => {
    const history = preparedHistory(
      remembering,
      [
        { daysBefore: 2, event: login({ sourceIPAddress: '198.51.100.2' }) },
        { daysBefore: 5, event: login({ sourceIPAddress: '198.51.100.5' }) },
      ],
      event(now),
      {},
    );
    const t5 = Date.parse('2026-11-15T12:00:00Z');
    const t2 = Date.parse('2026-11-18T12:00:00Z');
    expect(history).toEqual({
      first: t5,
      sightings: [
        { id: 'prepare-0', v: '198.51.100.5', t: t5, last: t5 },
        { id: 'prepare-1', v: '198.51.100.2', t: t2, last: t2 },
      ],
    });
  });

  it('learns nothing from records of another key, from what the rule does not remember, or from junk', () => {
    const history = preparedHistory(
      remembering,
      [
        { daysBefore: 1, event: login({ userIdentity: { type: 'IAMUser', userName: 'bob' } }) },
        { daysBefore: 2, event: login({ sourceIPAddress: '203.0.113.9' }) },
        { daysBefore: 3, event: 'not a record' },
        { daysBefore: 4, event: login({ sourceIPAddress: '198.51.100.4' }) },
      ],
      event(now),
      {},
    );
    expect(history?.sightings.map((s) => s.v)).toEqual(['198.51.100.4']);
  });

  it('is undefined for a rule that remembers nothing', () => {
    expect(preparedHistory(forgetful, [{ daysBefore: 1, event: login() }], event(now), {})).toBeUndefined();
  });
});
