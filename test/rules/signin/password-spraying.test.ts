import { describe, expect, it } from 'vitest';
import { DEFAULT_DETECTION_CONFIG } from '../../../rules/core/config.ts';
import { createDetector } from '../../../rules/core/detector.ts';
import { buildCatalogue } from '../../../rules/core/engine.ts';
import { fromRecord } from '../../../rules/core/events.ts';
import type { Finding } from '../../../rules/core/finding.ts';
import { createMemoryCounterStore, createMemoryLedger } from '../../../rules/core/memory.ts';
import type { AuditEvent } from '../../../rules/core/types.ts';
import type { Overrides } from '../../../rules/fixtures/index.ts';
import { fixture } from '../../../rules/fixtures/index.ts';
import { rule } from '../../../rules/signin/password-spraying.rule.ts';

let seq = 0;
const event = (name: string, overrides: Overrides = {}): AuditEvent => {
  seq++;
  const parsed = fromRecord(
    fixture(name, { eventID: `5e1a7c3f-8d2b-4f6a-9c04-${String(seq).padStart(12, '0')}`, ...overrides }),
  );
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.event;
};

/** A failed sign-in for `user` from `ip`, `minute` minutes after 09:00. */
const failure = (user: string, minute: number, ip = '203.0.113.66'): AuditEvent =>
  event('signin/ConsoleLogin-failure', {
    userIdentity: { userName: user },
    sourceIPAddress: ip,
    eventTime: new Date(Date.UTC(2026, 10, 2, 9, minute, 0)).toISOString().replace('.000', ''),
  });

const run = async (events: readonly AuditEvent[]): Promise<Finding[]> => {
  const delivered: Finding[] = [];
  const detector = createDetector({
    catalogue: buildCatalogue([rule]),
    config: DEFAULT_DETECTION_CONFIG,
    counters: createMemoryCounterStore(),
    ledger: createMemoryLedger(),
    sink: { deliver: async (f) => void delivered.push(f), fold: async () => {} },
  });
  await detector.process(events);
  return delivered;
};

const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];

describe('signin.password-spraying grouping', () => {
  it.each([
    ['an IAM user', event('signin/ConsoleLogin-failure'), '111122223333|203.0.113.66', 'bob'],
    ['a user name in another case', failure('Bob', 0), '111122223333|203.0.113.66', 'bob'],
    [
      'root',
      event('signin/ConsoleLogin-root', { responseElements: { ConsoleLogin: 'Failure' } }),
      '111122223333|203.0.113.45',
      'root',
    ],
    [
      'a masked user name',
      event('signin/ConsoleLogin-hidden-user'),
      '111122223333|203.0.113.66',
      'HIDDEN_DUE_TO_SECURITY_REASONS',
    ],
  ])('groups %s by account and source IP, counting its user name', (_what, e, group, user) => {
    expect(rule.threshold?.groupBy(e)).toBe(group);
    expect(rule.threshold?.distinct?.(e)).toBe(user);
    expect(rule.dedup.key(e)).toBe(group);
  });
});

describe('signin.password-spraying threshold (real detector)', () => {
  it.each([
    [4, 0],
    [5, 1],
    [6, 1],
  ])('%i distinct users from one IP within 15 minutes gives %i finding', async (users, findings) => {
    const burst = USERS.slice(0, users).map((u, i) => failure(u, i * 2));
    const delivered = await run(burst);
    expect(delivered).toHaveLength(findings);
    if (findings > 0) {
      expect(delivered[0]).toMatchObject({
        ruleId: 'signin.password-spraying',
        severity: 'high',
        groupKey: '111122223333|203.0.113.66',
        count: 5,
      });
    }
  });

  it('does not fire for many failures of one user (that is signin.console-login-failures)', async () => {
    expect(await run(Array.from({ length: 12 }, (_, i) => failure('bob', i)))).toHaveLength(0);
  });

  it('counts user names case-insensitively', async () => {
    expect(await run(['bob', 'Bob', 'BOB', 'alice', 'Alice'].map((u, i) => failure(u, i)))).toHaveLength(0);
  });

  it('counts every masked user name as one', async () => {
    const masked = Array.from({ length: 8 }, (_, i) =>
      event('signin/ConsoleLogin-hidden-user', {
        eventTime: new Date(Date.UTC(2026, 10, 2, 9, i, 0)).toISOString().replace('.000', ''),
      }),
    );
    expect(await run(masked)).toHaveLength(0);
    expect(await run([...masked, ...USERS.slice(0, 4).map((u, i) => failure(u, i))])).toHaveLength(1);
  });

  it('does not add up users tried from different IPs', async () => {
    const spread = USERS.map((u, i) => failure(u, i, `198.51.100.${10 + i}`));
    expect(await run(spread)).toHaveLength(0);
  });

  it('does not fire when the five users are spread over more than 15 minutes', async () => {
    expect(await run(USERS.slice(0, 5).map((u, i) => failure(u, i * 4)))).toHaveLength(0);
  });
});
