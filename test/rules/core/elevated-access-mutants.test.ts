import { describe, expect, it } from 'vitest';
import type {
  ElevatedSettings,
  GrantMemory,
  ManagedPolicyState,
  PrincipalRead,
  PrincipalState,
  TemporaryAccessEntry,
} from '../../../rules/core/elevated-access.ts';
import {
  assessElevatedAccess,
  ELEVATED_CASES,
  elevatedAccessObservationRules,
  expiresTag,
  grantKey,
  parseExpiry,
} from '../../../rules/core/elevated-access.ts';
import { findingId } from '../../../rules/core/finding.ts';

/** Edges the first suite left open (found by Stryker): exact words, keys and fields, edges of time and of memory. */

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const ALICE = `arn:aws:iam::${ACCOUNT}:user/ops/alice`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/team/a/break-glass`;
const ADMIN_ARN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const CUSTOM_ARN = `arn:aws:iam::${ACCOUNT}:policy/temp-admin`;
const ADMIN_DOC = {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'All', Effect: 'Allow', Action: '*', Resource: '*' },
    { Effect: 'Allow', Action: 'iam:*', Resource: '*' },
  ],
};
const READ_DOC = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] };
const NOW = Date.parse('2026-12-07T12:00:00Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
const iso = (ms: number) => new Date(ms).toISOString();

const managed = (arn: string, document: unknown, tags: Record<string, string> = {}): ManagedPolicyState => ({
  arn,
  name: arn.split('/').at(-1) ?? arn,
  document,
  tags,
});
const user = (over: Partial<PrincipalState> = {}): PrincipalState => ({
  arn: ALICE,
  type: 'user',
  name: 'alice',
  tags: {},
  managed: [],
  inline: [],
  groups: [],
  ...over,
});
const ok = (principal: PrincipalState): PrincipalRead => ({ ok: true, principal });
const run = (
  principals: readonly PrincipalRead[],
  opts: {
    config?: TemporaryAccessEntry[];
    memory?: readonly GrantMemory[];
    now?: number;
    settings?: ElevatedSettings;
  } = {},
) =>
  assessElevatedAccess({
    account: ACCOUNT,
    region: REGION,
    principals,
    config: opts.config ?? [],
    memory: opts.memory ?? [],
    nowMs: opts.now ?? NOW,
    ...(opts.settings ? { settings: opts.settings } : {}),
  });
const details = (out: ReturnType<typeof run>) => out.candidates.map((c) => c.finding.details);

describe('parseExpiry, edges', () => {
  it('a date-time whose zone moves it to another UTC day is still that instant', () => {
    expect(parseExpiry('2026-12-07T23:00-02:00')).toBe(Date.parse('2026-12-08T01:00:00Z'));
    expect(parseExpiry('2026-12-07T00:30:00.5+01:00')).toBe(Date.parse('2026-12-06T23:30:00.500Z'));
  });
});

describe('expiresTag', () => {
  it.each([
    [{}, undefined],
    [{ owner: 'ops' }, undefined],
    [{ EXPIRES: '2026-12-01' }, { key: 'EXPIRES', value: '2026-12-01' }],
    [
      { 'trailwarden:expires': 'b', Expires: 'a' },
      { key: 'Expires', value: 'a' },
    ],
    [
      { 'TrailWarden:Expires': 'b', owner: 'ops' },
      { key: 'TrailWarden:Expires', value: 'b' },
    ],
  ])('%o → %o', (tags, tag) => {
    expect(expiresTag(tags)).toEqual(tag);
  });
});

describe('grantKey', () => {
  it.each([
    [
      ALICE,
      { kind: 'managed', policyArn: ADMIN_ARN } as const,
      `${ACCOUNT}|arn:aws:iam::${ACCOUNT}:user/alice|${ADMIN_ARN}`,
    ],
    [ROLE, { kind: 'inline', name: 'all' } as const, `${ACCOUNT}|arn:aws:iam::${ACCOUNT}:role/break-glass|inline/all`],
    [
      `arn:aws:iam::${ACCOUNT}:user/alice`,
      { kind: 'managed', policyArn: CUSTOM_ARN, via: 'admins' } as const,
      `${ACCOUNT}|arn:aws:iam::${ACCOUNT}:user/alice|group/admins|${CUSTOM_ARN}`,
    ],
    [
      `arn:aws-us-gov:iam::${ACCOUNT}:user/a/b/c/alice`,
      { kind: 'inline', name: 'x', via: 'g' } as const,
      `${ACCOUNT}|arn:aws-us-gov:iam::${ACCOUNT}:user/alice|group/g|inline/x`,
    ],
    // Not a user or role ARN of a 12-digit account: kept as it is.
    [
      `arn:aws:iam::${ACCOUNT}:group/ops/admins`,
      { kind: 'inline', name: 'x' } as const,
      `${ACCOUNT}|arn:aws:iam::${ACCOUNT}:group/ops/admins|inline/x`,
    ],
    [
      'arn:aws:iam::1234:user/ops/alice',
      { kind: 'inline', name: 'x' } as const,
      `${ACCOUNT}|arn:aws:iam::1234:user/ops/alice|inline/x`,
    ],
    [
      `x-arn:aws:iam::${ACCOUNT}:user/ops/alice`,
      { kind: 'inline', name: 'x' } as const,
      `${ACCOUNT}|x-arn:aws:iam::${ACCOUNT}:user/ops/alice|inline/x`,
    ],
    [
      `arn:aws:iam::${ACCOUNT}:user/ops/`,
      { kind: 'inline', name: 'x' } as const,
      `${ACCOUNT}|arn:aws:iam::${ACCOUNT}:user/ops/|inline/x`,
    ],
  ])('%s %o', (principal, grant, key) => {
    expect(grantKey(ACCOUNT, principal, grant)).toBe(key);
  });
});

describe('one finding, every field', () => {
  it('a user with a tagged AWS admin policy and an expired config entry with a ticket', () => {
    const expires = iso(NOW - 3 * HOUR);
    const out = run([ok(user({ managed: [managed(ADMIN_ARN, READ_DOC, { expires })] }))], {
      config: [{ principal: ALICE, expires: iso(NOW - HOUR), ticket: 'CHG-9', reason: 'quarterly DR exercise' }],
    });
    const key = `${ACCOUNT}|arn:aws:iam::${ACCOUNT}:user/alice|${ADMIN_ARN}`;
    expect(out.candidates).toEqual([
      {
        dedupKey: `iam.temporary-access-not-revoked|${key}|${NOW}`,
        dedupWindowMs: 24 * HOUR,
        finding: expect.objectContaining({
          schema: 'trailwarden.finding/v1',
          id: findingId('iam.temporary-access-not-revoked', key, NOW),
          ruleId: 'iam.temporary-access-not-revoked',
          title: 'Temporary elevated access not revoked',
          severity: 'high',
          criticality: 'high',
          controls: ['A.8.2'],
          mitre: ['T1098', 'T1078.004'],
          account: ACCOUNT,
          region: REGION,
          actor: { arn: ALICE, type: 'IAMUser', userName: 'alice' },
          resources: [ALICE, ADMIN_ARN],
          eventIds: [],
          eventName: 'ElevatedAccessCheck',
          groupKey: key,
          firstSeen: iso(NOW),
          lastSeen: iso(NOW),
          count: 1,
          threshold: null,
          drill: false,
          details: [
            `principal: ${ALICE} (user)`,
            `grant: ${ADMIN_ARN}`,
            `why admin: AWS managed admin policy ${ADMIN_ARN}`,
            `expires: ${expires} (tag expires on the policy)`,
            'overdue by 3 h (grace 15 min)',
            `also marked: expires: ${iso(NOW - HOUR)} (temporaryAccess config entry (quarterly DR exercise))`,
            'ticket: CHG-9',
          ],
        }),
      },
    ]);
  });

  it('an inline grant on a role: admin by content, no policy among the resources', () => {
    const role: PrincipalState = {
      arn: ROLE,
      type: 'role',
      name: 'break-glass',
      tags: { expires: iso(NOW - HOUR) },
      managed: [],
      inline: [{ name: 'all', document: ADMIN_DOC }],
      groups: [],
    };
    const f = run([ok(role)]).candidates[0]?.finding;
    expect(f?.actor).toEqual({ arn: ROLE, type: 'Role', userName: 'break-glass' });
    expect(f?.resources).toEqual([ROLE]);
    expect(f?.details).toEqual([
      `principal: ${ROLE} (role)`,
      'grant: inline:all',
      'why admin: admin-equivalent statements: All, Statement[1]',
      `expires: ${iso(NOW - HOUR)} (tag expires on the principal)`,
      'overdue by 60 min (grace 15 min)',
      'ticket: none recorded',
    ]);
  });
});

describe('overdue: edges of time', () => {
  const overdueBy = (ms: number) => {
    const out = run([ok(user({ managed: [managed(ADMIN_ARN, ADMIN_DOC, { expires: iso(NOW - ms) })] }))], {
      settings: { graceMinutes: 0, dedupWindowMs: HOUR },
    });
    return out.candidates[0]?.finding.details?.[4];
  };

  it.each([
    [0, undefined],
    [1, 'overdue by 0 min (grace 0 min)'],
    [119 * MIN, 'overdue by 119 min (grace 0 min)'],
    [120 * MIN, 'overdue by 2 h (grace 0 min)'],
    [2879 * MIN, 'overdue by 48 h (grace 0 min)'],
    [2880 * MIN, 'overdue by 2 days (grace 0 min)'],
    [10 * 24 * HOUR, 'overdue by 10 days (grace 0 min)'],
  ])('expired %i ms ago → %s', (ms, text) => {
    expect(overdueBy(ms)).toBe(text);
  });

  it('the grace ends at its last millisecond, not before', () => {
    const at = (ms: number) =>
      run([ok(user({ managed: [managed(ADMIN_ARN, ADMIN_DOC, { expires: iso(NOW - ms) })] }))], {
        settings: { graceMinutes: 15, dedupWindowMs: HOUR },
      }).candidates.length;
    expect([at(15 * MIN), at(15 * MIN + 1)]).toEqual([0, 1]);
  });

  it('without settings: 15 minutes of grace and a one-day dedup window', () => {
    const at = (ms: number) =>
      run([ok(user({ managed: [managed(ADMIN_ARN, ADMIN_DOC, { expires: iso(NOW - ms) })] }))]).candidates;
    expect(at(15 * MIN)).toEqual([]);
    expect(at(15 * MIN + 1).map((c) => c.dedupWindowMs)).toEqual([24 * HOUR]);
  });
});

describe('which mark holds', () => {
  it('the earliest, wherever it comes from', () => {
    const past = iso(NOW - 2 * HOUR);
    const future = iso(NOW + 2 * HOUR);
    const out = run([
      ok(user({ tags: { expires: past }, managed: [managed(ADMIN_ARN, ADMIN_DOC, { expires: future })] })),
    ]);
    expect(details(out)[0]?.slice(3, 6)).toEqual([
      `expires: ${past} (tag expires on the principal)`,
      'overdue by 2 h (grace 15 min)',
      `also marked: expires: ${future} (tag expires on the policy)`,
    ]);
  });

  it('an unreadable mark before any date, even a later-listed one', () => {
    const out = run([
      ok(user({ tags: { expires: 'soon' }, managed: [managed(ADMIN_ARN, ADMIN_DOC, { expires: iso(NOW - HOUR) })] })),
    ]);
    expect(details(out)[0]?.slice(3, 5)).toEqual([
      'expires: soon (tag expires on the principal)',
      'expiry "soon" is no ISO date or date-time: taken as expired (fail closed)',
    ]);
  });

  it('a config entry marks only the grant it names: an inline policy by name', () => {
    const principal = user({
      managed: [managed(ADMIN_ARN, ADMIN_DOC)],
      inline: [{ name: 'all', document: ADMIN_DOC }],
    });
    const out = run([ok(principal)], {
      config: [{ principal: ALICE, policy: 'all', expires: iso(NOW - HOUR), reason: 'inline grant for the migration' }],
    });
    expect(details(out).map((d) => d?.[1])).toEqual(['grant: inline:all']);
  });

  it('a config entry naming another policy marks no inline grant', () => {
    const principal = user({ inline: [{ name: 'all', document: ADMIN_DOC }] });
    const out = run([ok(principal)], {
      config: [
        { principal: ALICE, policy: 'other', expires: iso(NOW - HOUR), reason: 'inline grant for the migration' },
      ],
    });
    expect(out.candidates).toEqual([]);
  });

  it('a config entry finds its principal without case, path or surrounding blanks', () => {
    const out = run([ok(user({ managed: [managed(ADMIN_ARN, ADMIN_DOC)] }))], {
      config: [
        { principal: ` arn:aws:iam::${ACCOUNT}:user/Alice `, expires: iso(NOW - HOUR), reason: 'one-off change' },
      ],
    });
    expect(out.candidates).toHaveLength(1);
    const other = run([ok(user({ managed: [managed(ADMIN_ARN, ADMIN_DOC)] }))], {
      config: [{ principal: `arn:aws:iam::${ACCOUNT}:user/bob`, expires: iso(NOW - HOUR), reason: 'one-off change' }],
    });
    expect(other.candidates).toEqual([]);
  });

  it('the ticket of a later mark when the earliest has none', () => {
    const out = run([ok(user({ managed: [managed(ADMIN_ARN, ADMIN_DOC, { expires: iso(NOW - 3 * HOUR) })] }))], {
      config: [{ principal: ALICE, expires: iso(NOW - HOUR), ticket: 'CHG-7', reason: 'one-off change' }],
    });
    expect(details(out)[0]?.at(-1)).toBe('ticket: CHG-7');
  });
});

describe('across runs, edges', () => {
  const tagged = (expires: string) => user({ managed: [managed(ADMIN_ARN, ADMIN_DOC, { expires })] });
  const key = grantKey(ACCOUNT, ALICE, { kind: 'managed', policyArn: ADMIN_ARN });

  it('a principal read twice is judged once', () => {
    const out = run([ok(tagged(iso(NOW - HOUR))), ok(tagged(iso(NOW - HOUR)))]);
    expect(out.candidates).toHaveLength(1);
    expect(out.memory).toHaveLength(1);
  });

  it('remembers what it saw, exactly, for a grant not yet due', () => {
    const out = run([ok(tagged(iso(NOW + HOUR)))]);
    expect(out.memory).toEqual([
      {
        key,
        account: ACCOUNT,
        principal: ALICE,
        expiry: { source: 'policy-tag', text: iso(NOW + HOUR), origin: 'expires' },
      },
    ]);
    expect(out.resolutions).toEqual([]);
  });

  it('says when the expiry changed since an open finding, and not when it did not', () => {
    const first = run([ok(tagged(iso(NOW - 2 * HOUR)))]);
    const same = run([ok(tagged(iso(NOW - 2 * HOUR)))], { memory: first.memory, now: NOW + HOUR });
    expect(details(same)[0]?.some((d) => d.startsWith('expiry changed'))).toBe(false);
    const moved = run([ok(tagged(iso(NOW - HOUR)))], { memory: first.memory, now: NOW + HOUR });
    expect(details(moved)[0]).toContain(`expiry changed since an earlier run: was ${iso(NOW - 2 * HOUR)} (policy-tag)`);
    expect(moved.candidates[0]?.finding.firstSeen).toBe(iso(NOW));
    expect(moved.candidates[0]?.finding.lastSeen).toBe(iso(NOW + HOUR));
  });

  it('an extension resolves with the new expiry in words', () => {
    const first = run([ok(tagged(iso(NOW - 2 * HOUR)))]);
    const out = run([ok(tagged('2026-12-31'))], { memory: first.memory, now: NOW + HOUR });
    expect(out.resolutions.map((r) => r.reason)).toEqual([
      'expiry extended to 2026-12-31 (policy-tag); the grant is no longer overdue',
    ]);
    // The resolution carries what was remembered, open finding included, for triage to close it.
    expect(out.resolutions.map((r) => r.memory)).toEqual(first.memory);
  });

  it('nothing to resolve where no finding was open: grant still due later, or gone', () => {
    const first = run([ok(tagged(iso(NOW + 3 * HOUR)))]);
    expect(run([ok(tagged(iso(NOW + 3 * HOUR)))], { memory: first.memory, now: NOW + HOUR }).resolutions).toEqual([]);
    const gone = run([ok(user())], { memory: first.memory, now: NOW + HOUR });
    expect(gone.resolutions).toEqual([]);
    expect(gone.memory).toEqual([]);
  });

  it('an unreadable principal is matched to its memory without case or path', () => {
    const first = run([ok(tagged(iso(NOW - HOUR)))]);
    const out = run([{ ok: false, arn: `arn:aws:iam::${ACCOUNT}:user/ALICE`, error: 'Throttling' }], {
      memory: first.memory,
      now: NOW + HOUR,
    });
    expect(out.resolutions).toEqual([]);
    expect(out.memory).toEqual(first.memory);
  });
});

describe('the rule for docs and coverage', () => {
  it('runs its own cases, all passing', () => {
    const [rule, ...rest] = elevatedAccessObservationRules();
    expect(rest).toEqual([]);
    expect(rule?.id).toBe('iam.temporary-access-not-revoked');
    expect(rule?.cases).toEqual({ total: ELEVATED_CASES.length, passed: ELEVATED_CASES.length, failures: [] });
    expect(rule?.source).toContain('a tag expires or trailwarden:expires (ISO date = end of that day UTC');
  });
});
