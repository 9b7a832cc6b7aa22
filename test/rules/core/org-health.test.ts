import { describe, expect, it } from 'vitest';
import { findingId } from '../../../rules/core/finding.ts';
import { DEFAULT_HEALTH_SETTINGS } from '../../../rules/core/health.ts';
import type { ExpectedPair, OrgAccount } from '../../../rules/core/org-health.ts';
import { expectedPairs, inactiveAccounts, neverHeard, pairKey, unheard } from '../../../rules/core/org-health.ts';

const HOUR = 3_600_000;
const NOW = Date.parse('2026-11-02T12:00:00Z');
const accounts: OrgAccount[] = [
  { id: '111122223333', name: 'prod', status: 'ACTIVE', joinedMs: NOW - 100 * HOUR },
  { id: '444455556666', status: 'ACTIVE' },
  { id: '777788889999', status: 'SUSPENDED' },
  { id: '222233334444', status: 'PENDING_CLOSURE' },
];

describe('expectedPairs / unheard / inactiveAccounts', () => {
  it('expects every active account in every approved region, with its joining time when known', () => {
    expect(expectedPairs(accounts, ['eu-west-1', 'us-east-1'])).toEqual([
      { account: '111122223333', region: 'eu-west-1', joinedMs: NOW - 100 * HOUR },
      { account: '111122223333', region: 'us-east-1', joinedMs: NOW - 100 * HOUR },
      { account: '444455556666', region: 'eu-west-1' },
      { account: '444455556666', region: 'us-east-1' },
    ]);
  });

  it('carries no joining time at all for an account listed without one', () => {
    expect(expectedPairs([{ id: '444455556666', status: 'ACTIVE' }], ['eu-west-1'])).toStrictEqual([
      { account: '444455556666', region: 'eu-west-1' },
    ]);
  });

  it('keeps the pairs with no heartbeat', () => {
    const expected = expectedPairs(accounts, ['eu-west-1', 'us-east-1']);
    expect(
      unheard(expected, [
        { account: '111122223333', region: 'eu-west-1' },
        { account: '444455556666', region: 'us-east-1' },
        { account: '999999999999', region: 'eu-west-1' },
      ]).map((p) => pairKey(p.account, p.region)),
    ).toEqual(['111122223333/us-east-1', '444455556666/eu-west-1']);
  });

  it('names the accounts that are listed but not active', () => {
    expect([...inactiveAccounts(accounts)]).toEqual(['777788889999', '222233334444']);
  });
});

describe('neverHeard', () => {
  const expectation = { regions: ['eu-west-1'], graceMs: 24 * HOUR };
  const silence = DEFAULT_HEALTH_SETTINGS.silenceMs;
  const joined = (joinedMs?: number): ExpectedPair => ({
    account: '111122223333',
    region: 'eu-west-1',
    ...(joinedMs === undefined ? {} : { joinedMs }),
  });
  const since = (ms: number) => new Map([['111122223333/eu-west-1', ms]]);
  const count = (pair: ExpectedPair, firstExpected: ReadonlyMap<string, number>) =>
    neverHeard([pair], firstExpected, NOW, expectation, DEFAULT_HEALTH_SETTINGS).length;

  it.each<[string, ExpectedPair, ReadonlyMap<string, number>, number]>([
    ['silent for the allowed silence exactly: a finding', joined(), since(NOW - silence), 1],
    ['silent a millisecond less: none yet', joined(), since(NOW - silence + 1), 0],
    ['first expected only now (nothing remembered): none yet', joined(), new Map(), 0],
    ['joined exactly one grace ago, silent long enough: a finding', joined(NOW - 24 * HOUR), since(0), 1],
    ['joined a millisecond inside the grace: none', joined(NOW - 24 * HOUR + 1), since(0), 0],
  ])('%s', (_name, pair, firstExpected, n) => {
    expect(count(pair, firstExpected)).toBe(n);
  });

  it('builds a finding whose id stays the same for as long as the pair is unheard', () => {
    const first = NOW - 10 * HOUR;
    const joinedMs = NOW - 100 * HOUR;
    const [c] = neverHeard([joined(joinedMs)], since(first), NOW, expectation, DEFAULT_HEALTH_SETTINGS);
    expect(c?.finding).toMatchObject({
      id: findingId('health.never-heard-from', '111122223333/eu-west-1/events', first),
      ruleId: 'health.never-heard-from',
      account: '111122223333',
      region: 'eu-west-1',
      groupKey: '111122223333/eu-west-1/events',
      resources: [],
      eventName: 'Heartbeat',
      firstSeen: '2026-11-02T02:00:00.000Z',
      lastSeen: '2026-11-02T12:00:00.000Z',
      details: [
        'Expected since 2026-11-02T02:00:00.000Z; no event received from 111122223333 in eu-west-1.',
        'Joined the organisation 2026-10-29T08:00:00.000Z.',
      ],
    });
    const later = neverHeard([joined(joinedMs)], since(first), NOW + 5 * HOUR, expectation, DEFAULT_HEALTH_SETTINGS);
    expect(later[0]?.finding.id).toBe(c?.finding.id);
  });

  it('says nothing of joining when the listing gives no date', () => {
    const [c] = neverHeard([joined()], since(NOW - 7 * HOUR), NOW, expectation, DEFAULT_HEALTH_SETTINGS);
    expect(c?.finding.details).toEqual([
      'Expected since 2026-11-02T05:00:00.000Z; no event received from 111122223333 in eu-west-1.',
    ]);
  });
});
