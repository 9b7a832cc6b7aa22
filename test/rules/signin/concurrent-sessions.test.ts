import { describe, expect, it } from 'vitest';
import type { DetectionConfig } from '../../../rules/core/config.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../../rules/core/config.ts';
import { createDetector } from '../../../rules/core/detector.ts';
import { buildCatalogue } from '../../../rules/core/engine.ts';
import { fromRecord } from '../../../rules/core/events.ts';
import type { Finding } from '../../../rules/core/finding.ts';
import { createMemoryCounterStore, createMemoryLedger } from '../../../rules/core/memory.ts';
import type { AuditEvent } from '../../../rules/core/types.ts';
import type { Overrides } from '../../../rules/fixtures/index.ts';
import { fixture } from '../../../rules/fixtures/index.ts';
import { rule } from '../../../rules/signin/concurrent-sessions.rule.ts';

let seq = 0;
/** A sign-in from `ip` at `time` (UTC, on 2026-11-02), with a fresh eventID so each counts once. */
const signIn = (time: string, ip: string, name = 'signin/ConsoleLogin', overrides: Overrides = {}): AuditEvent => {
  const parsed = fromRecord(
    fixture(name, {
      eventTime: `2026-11-02T${time}Z`,
      sourceIPAddress: ip,
      eventID: `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`,
      ...overrides,
    }),
  );
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.event;
};

const run = async (events: readonly AuditEvent[], config: DetectionConfig = DEFAULT_DETECTION_CONFIG) => {
  const delivered: Finding[] = [];
  const detector = createDetector({
    catalogue: buildCatalogue([rule]),
    config,
    counters: createMemoryCounterStore(),
    ledger: createMemoryLedger(),
    sink: { deliver: async (f) => void delivered.push(f), fold: async () => {} },
  });
  const outcome = await detector.process(events);
  expect(outcome.failures).toEqual([]);
  expect(outcome.ruleErrors).toEqual([]);
  return delivered;
};

const asBob = { userIdentity: { arn: 'arn:aws:iam::111122223333:user/bob', userName: 'bob' } };
const inPermissionSet = (set: string) => ({
  userIdentity: {
    arn: `arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_${set}_3f9a1c5e7b2d4f6a/alice@example.com`,
    sessionContext: {
      sessionIssuer: {
        arn: `arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_${set}_3f9a1c5e7b2d4f6a`,
      },
    },
  },
});

describe('signin.concurrent-sessions through the detector', () => {
  it('same IP five times: no finding', async () => {
    const burst = ['09:00:00', '09:01:00', '09:02:00', '09:03:00', '09:04:00'].map((t) => signIn(t, '198.51.100.23'));
    expect(await run(burst)).toEqual([]);
  });

  it('two IPs within 10 minutes: one finding naming both sign-ins', async () => {
    const first = signIn('09:00:00', '198.51.100.23');
    const second = signIn('09:06:00', '203.0.113.45');
    const findings = await run([first, signIn('09:03:00', '198.51.100.23'), second]);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      ruleId: 'signin.concurrent-sessions',
      severity: 'high',
      groupKey: '111122223333|user/alice',
      firstSeen: '2026-11-02T09:00:00.000Z',
      lastSeen: '2026-11-02T09:06:00.000Z',
      threshold: { count: 2, windowSeconds: 600 },
      resources: ['arn:aws:iam::111122223333:user/alice'],
    });
    expect(findings[0]?.eventIds).toContain(first.id);
    expect(findings[0]?.eventIds).toContain(second.id);
  });

  it('two IPs 11 minutes apart: no finding', async () => {
    expect(await run([signIn('09:00:00', '198.51.100.23'), signIn('09:11:00', '203.0.113.45')])).toEqual([]);
  });

  it('two IPs exactly 10 minutes apart: no finding (the window is half-open)', async () => {
    expect(await run([signIn('09:00:00', '198.51.100.23'), signIn('09:10:00', '203.0.113.45')])).toEqual([]);
  });

  it('counts late, out-of-order deliveries by event time', async () => {
    const findings = await run([signIn('09:08:00', '203.0.113.45'), signIn('09:01:00', '198.51.100.23')]);
    expect(findings.map((f) => f.firstSeen)).toEqual(['2026-11-02T09:01:00.000Z']);
  });

  it('two different users from two IPs: no finding', async () => {
    expect(
      await run([
        signIn('09:00:00', '198.51.100.23'),
        signIn('09:02:00', '203.0.113.45', 'signin/ConsoleLogin', asBob),
      ]),
    ).toEqual([]);
  });

  it('an AWS-internal source address is not a second location', async () => {
    expect(
      await run([
        signIn('09:00:00', '198.51.100.23'),
        signIn('09:01:00', 'AWS Internal'),
        signIn('09:02:00', 'signin.amazonaws.com'),
      ]),
    ).toEqual([]);
  });

  it('one Identity Center user in two permission sets from two IPs is one person in two places', async () => {
    const findings = await run([
      signIn('09:00:00', '198.51.100.23', 'signin/ConsoleLogin-sso', inPermissionSet('AdministratorAccess')),
      signIn('09:04:00', '203.0.113.45', 'signin/ConsoleLogin-sso', inPermissionSet('ReadOnlyAccess')),
    ]);
    expect(findings.map((f) => f.groupKey)).toEqual(['111122223333|session/alice@example.com']);
  });

  it('escalates to critical on a high-criticality account', async () => {
    const config: DetectionConfig = {
      ...DEFAULT_DETECTION_CONFIG,
      criticality: { default: 'medium', accounts: { '111122223333': 'high' }, resources: [] },
    };
    const findings = await run([signIn('09:00:00', '198.51.100.23'), signIn('09:05:00', '203.0.113.45')], config);
    expect(findings.map((f) => [f.severity, f.criticality])).toEqual([['critical', 'high']]);
  });
});

describe('signin.concurrent-sessions grouping', () => {
  it.each([
    [
      'an IAM user, by account and lower-cased user name',
      signIn('09:00:00', '198.51.100.23'),
      '111122223333|user/alice',
    ],
    [
      'an IAM user whose name differs only in case, as the same user',
      signIn('09:00:00', '198.51.100.23', 'signin/ConsoleLogin', { userIdentity: { userName: 'Alice' } }),
      '111122223333|user/alice',
    ],
    ['root, by account', signIn('09:00:00', '203.0.113.45', 'signin/ConsoleLogin-root'), '111122223333|root'],
    [
      'an Identity Center session, by role session name',
      signIn('09:00:00', '198.51.100.23', 'signin/ConsoleLogin-sso'),
      '111122223333|session/alice@example.com',
    ],
    [
      'a federated user, by federated user name',
      signIn('09:00:00', '198.51.100.23', 'signin/ConsoleLogin', {
        userIdentity: {
          type: 'FederatedUser',
          arn: 'arn:aws:sts::111122223333:federated-user/carol',
          principalId: '111122223333:carol',
          userName: undefined,
        },
      }),
      '111122223333|federated-user/carol',
    ],
  ])('groups %s', (_what, e, key) => {
    expect(rule.threshold?.groupBy(e)).toBe(key);
    expect(rule.dedup.key(e)).toBe(key);
  });
});
