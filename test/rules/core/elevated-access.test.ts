import { describe, expect, it } from 'vitest';
import { parseDetectionConfig } from '../../../rules/core/config.ts';
import type {
  GrantMemory,
  ManagedPolicyState,
  PrincipalRead,
  PrincipalState,
  TemporaryAccessEntry,
} from '../../../rules/core/elevated-access.ts';
import { assessElevatedAccess, grantKey, parseExpiry } from '../../../rules/core/elevated-access.ts';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const ALICE = `arn:aws:iam::${ACCOUNT}:user/ops/alice`;
const BREAKGLASS = `arn:aws:iam::${ACCOUNT}:role/break-glass`;
const ADMIN_ARN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const READONLY_ARN = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const CUSTOM_ARN = `arn:aws:iam::${ACCOUNT}:policy/temp-admin`;
const ADMIN_DOC = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
const READ_DOC = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] };

const NOW = Date.parse('2026-12-07T12:00:00Z');
const HOUR = 3_600_000;
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
  opts: { config?: TemporaryAccessEntry[]; memory?: GrantMemory[]; now?: number; grace?: number } = {},
) =>
  assessElevatedAccess({
    account: ACCOUNT,
    region: REGION,
    principals,
    config: opts.config ?? [],
    memory: opts.memory ?? [],
    nowMs: opts.now ?? NOW,
    settings: { graceMinutes: opts.grace ?? 15, dedupWindowMs: 24 * HOUR },
  });

describe('parseExpiry', () => {
  it.each([
    ['2026-12-07', Date.parse('2026-12-07T23:59:59.999Z')],
    ['2026-12-07T10:00:00Z', Date.parse('2026-12-07T10:00:00Z')],
    ['2026-12-07T10:00+02:00', Date.parse('2026-12-07T08:00:00Z')],
    [' 2026-12-07 ', Date.parse('2026-12-07T23:59:59.999Z')],
    ['next friday', undefined],
    ['2026-02-31', undefined],
    ['2026-12-07T10:00:00', undefined], // no zone: ambiguous
    ['', undefined],
  ])('%j → %s', (text, expected) => {
    expect(parseExpiry(text)).toBe(expected);
  });
});

describe('assessElevatedAccess: which grants are temporary and overdue', () => {
  const past = iso(NOW - 2 * HOUR);
  const future = iso(NOW + 2 * HOUR);

  it.each([
    {
      name: 'expires tag on the managed policy',
      principal: user({ managed: [managed(ADMIN_ARN, ADMIN_DOC, { expires: past })] }),
      config: [],
      source: 'tag expires on the policy',
    },
    {
      name: 'trailwarden:expires tag on the managed policy (any case)',
      principal: user({ managed: [managed(CUSTOM_ARN, ADMIN_DOC, { 'Trailwarden:Expires': past })] }),
      config: [],
      source: 'tag Trailwarden:Expires on the policy',
    },
    {
      name: 'expires tag on the principal',
      principal: user({ tags: { expires: past }, managed: [managed(ADMIN_ARN, ADMIN_DOC)] }),
      config: [],
      source: 'tag expires on the principal',
    },
    {
      name: 'config entry naming the principal (without its path) and the policy',
      principal: user({ managed: [managed(ADMIN_ARN, ADMIN_DOC)] }),
      config: [
        {
          principal: `arn:aws:iam::${ACCOUNT}:user/alice`,
          policy: ADMIN_ARN,
          expires: past,
          ticket: 'CHG-42',
          reason: 'incident response for INC-7',
        },
      ],
      source: 'temporaryAccess config entry (incident response for INC-7)',
    },
  ])('$name → one high finding', ({ principal, config, source }) => {
    const out = run([ok(principal)], { config });
    expect(out.candidates).toHaveLength(1);
    const f = out.candidates[0]?.finding;
    expect(f?.ruleId).toBe('iam.temporary-access-not-revoked');
    expect(f?.severity).toBe('high');
    expect(f?.controls).toEqual(['A.8.2']);
    expect(f?.details).toContain(`expires: ${past} (${source})`);
    expect(f?.details).toContain('overdue by 2 h (grace 15 min)');
    expect(f?.details?.some((d) => d.startsWith('ticket: '))).toBe(true);
    expect(out.memory).toHaveLength(1);
    expect(out.memory[0]?.open?.findingId).toBe(f?.id);
  });

  it('names the ticket of a config entry', () => {
    const config = [{ principal: ALICE, expires: past, ticket: 'CHG-42', reason: 'incident response for INC-7' }];
    const out = run([ok(user({ managed: [managed(ADMIN_ARN, ADMIN_DOC)] }))], { config });
    expect(out.candidates[0]?.finding.details).toContain('ticket: CHG-42');
  });

  it.each([
    ['not yet expired', future, 15, 0],
    ['inside the grace period', iso(NOW - 14 * 60_000), 15, 0],
    ['just past the grace period', iso(NOW - 16 * 60_000), 15, 1],
    ['grace 0: one minute past expiry', iso(NOW - 60_000), 0, 1],
  ])('%s → %d finding(s)', (_name, expires, grace, count) => {
    const out = run([ok(user({ managed: [managed(ADMIN_ARN, ADMIN_DOC, { expires })] }))], { grace });
    expect(out.candidates).toHaveLength(count);
  });

  it('ignores non-admin grants, even when tagged and expired', () => {
    const principal = user({
      tags: { expires: past },
      managed: [managed(READONLY_ARN, READ_DOC, { expires: past })],
      inline: [{ name: 'read', document: READ_DOC }],
    });
    const out = run([ok(principal)]);
    expect(out.candidates).toEqual([]);
    expect(out.memory).toEqual([]);
  });

  it('ignores admin grants nobody marked temporary (standing admin is iam.admin-granted)', () => {
    expect(run([ok(user({ managed: [managed(ADMIN_ARN, ADMIN_DOC)] }))]).candidates).toEqual([]);
  });

  it('inline admin policy on a role, marked by the role tag', () => {
    const role: PrincipalState = {
      arn: BREAKGLASS,
      type: 'role',
      name: 'break-glass',
      tags: { 'trailwarden:expires': past },
      managed: [],
      inline: [{ name: 'all', document: encodeURIComponent(JSON.stringify(ADMIN_DOC)) }],
      groups: [],
    };
    const out = run([ok(role)]);
    expect(out.candidates.map((c) => c.finding.details?.[1])).toEqual(['grant: inline:all']);
    expect(out.candidates[0]?.finding.actor).toMatchObject({ arn: BREAKGLASS, type: 'Role' });
  });

  it('admin through a group: the group managed policy tag, and the user tag for the group inline policy', () => {
    const principal = user({
      tags: { expires: past },
      groups: [
        {
          name: 'admins',
          arn: `arn:aws:iam::${ACCOUNT}:group/admins`,
          managed: [managed(CUSTOM_ARN, ADMIN_DOC)],
          inline: [{ name: 'iam-all', document: { Statement: { Effect: 'Allow', Action: 'iam:*', Resource: '*' } } }],
        },
      ],
    });
    const out = run([ok(principal)]);
    expect(out.candidates.map((c) => c.finding.details?.[1]).sort()).toEqual([
      `grant: ${CUSTOM_ARN} via group admins`,
      'grant: inline:iam-all via group admins',
    ]);
  });

  it('a config entry for another policy does not mark this one', () => {
    const config = [{ principal: ALICE, policy: CUSTOM_ARN, expires: past, reason: 'only the custom policy' }];
    expect(run([ok(user({ managed: [managed(ADMIN_ARN, ADMIN_DOC)] }))], { config }).candidates).toEqual([]);
  });

  it('an unparseable expiry is taken as expired and says so', () => {
    const out = run([ok(user({ managed: [managed(ADMIN_ARN, ADMIN_DOC, { expires: 'end of sprint' })] }))]);
    expect(out.candidates).toHaveLength(1);
    expect(out.candidates[0]?.finding.details).toContain(
      'expiry "end of sprint" is no ISO date or date-time: taken as expired (fail closed)',
    );
  });

  it('with several marks the earliest wins', () => {
    const out = run([
      ok(user({ tags: { expires: future }, managed: [managed(ADMIN_ARN, ADMIN_DOC, { expires: past })] })),
    ]);
    expect(out.candidates[0]?.finding.details).toContain(`expires: ${past} (tag expires on the policy)`);
    expect(out.candidates[0]?.finding.details).toContain(
      `also marked: expires: ${future} (tag expires on the principal)`,
    );
  });

  it('an unreadable policy document counts as admin (fail closed)', () => {
    const out = run([ok(user({ managed: [managed(CUSTOM_ARN, '{not json', { expires: past })] }))]);
    expect(out.candidates).toHaveLength(1);
    expect(out.candidates[0]?.finding.details?.[2]).toMatch(/^why admin: policy document unreadable/);
  });
});

describe('assessElevatedAccess: across runs', () => {
  const expired = iso(NOW - 2 * HOUR);
  const tagged = user({ managed: [managed(ADMIN_ARN, ADMIN_DOC, { expires: expired })] });

  it('a later run repeats the same finding id (the ledger dedups it)', () => {
    const first = run([ok(tagged)]);
    const second = run([ok(tagged)], { memory: [...first.memory], now: NOW + 30 * 60_000 });
    expect(second.candidates[0]?.finding.id).toBe(first.candidates[0]?.finding.id);
    expect(second.candidates[0]?.finding.firstSeen).toBe(iso(NOW));
    expect(second.resolutions).toEqual([]);
  });

  it('resolves when the grant is gone, and a re-grant after that opens a new finding', () => {
    const first = run([ok(tagged)]);
    const gone = run([ok(user())], { memory: [...first.memory], now: NOW + HOUR });
    expect(gone.candidates).toEqual([]);
    expect(gone.resolutions.map((r) => [r.memory.open.findingId, r.reason])).toEqual([
      [first.candidates[0]?.finding.id, 'the grant is no longer in place'],
    ]);
    expect(gone.memory).toEqual([]);
    const again = run([ok(tagged)], { memory: [...gone.memory], now: NOW + 2 * HOUR });
    expect(again.candidates).toHaveLength(1);
    expect(again.candidates[0]?.finding.id).not.toBe(first.candidates[0]?.finding.id);
  });

  it('resolves when the expiry is extended past now', () => {
    const first = run([ok(tagged)]);
    const extended = user({ managed: [managed(ADMIN_ARN, ADMIN_DOC, { expires: iso(NOW + 24 * HOUR) })] });
    const out = run([ok(extended)], { memory: [...first.memory], now: NOW + HOUR });
    expect(out.candidates).toEqual([]);
    expect(out.resolutions).toHaveLength(1);
    expect(out.resolutions[0]?.reason).toMatch(/^expiry extended to /);
    expect(out.memory.map((m) => [m.key, m.open])).toEqual([
      [grantKey(ACCOUNT, ALICE, { kind: 'managed', policyArn: ADMIN_ARN }), undefined],
    ]);
  });

  it('removing the expires tag while the grant stays is still held to the remembered expiry', () => {
    const before = run([ok(user({ managed: [managed(ADMIN_ARN, ADMIN_DOC, { expires: iso(NOW + HOUR) })] }))]);
    expect(before.candidates).toEqual([]);
    expect(before.memory).toHaveLength(1);
    const untagged = run([ok(user({ managed: [managed(ADMIN_ARN, ADMIN_DOC)] }))], {
      memory: [...before.memory],
      now: NOW + 3 * HOUR,
    });
    expect(untagged.candidates).toHaveLength(1);
    expect(untagged.candidates[0]?.finding.details).toContain(
      `expires: ${iso(NOW + HOUR)} (remembered from an earlier run (policy-tag expires); the mark is gone now)`,
    );
    // and it keeps remembering it
    expect(untagged.memory[0]?.expiry).toEqual({ source: 'policy-tag', text: iso(NOW + HOUR), origin: 'expires' });
  });

  it('an unreadable principal keeps its memory and is never resolved', () => {
    const first = run([ok(tagged)]);
    const out = run([{ ok: false, arn: ALICE, error: 'AccessDenied: iam:ListAttachedUserPolicies' }], {
      memory: [...first.memory],
      now: NOW + HOUR,
    });
    expect(out.resolutions).toEqual([]);
    expect(out.memory).toEqual(first.memory);
    expect(out.unreadable).toEqual([{ arn: ALICE, error: 'AccessDenied: iam:ListAttachedUserPolicies' }]);
  });

  it("another account's memory is not this run's business", () => {
    const first = run([ok(tagged)]);
    const other = first.memory.map((m) => ({ ...m, account: '444455556666' }));
    expect(run([ok(user())], { memory: other }).resolutions).toEqual([]);
  });
});

describe('temporaryAccess config', () => {
  it('accepts a valid entry', () => {
    const entry = {
      principal: ALICE,
      policy: ADMIN_ARN,
      expires: '2026-12-08',
      ticket: 'CHG-1',
      reason: 'quarterly DR exercise',
    };
    const parsed = parseDetectionConfig({ temporaryAccess: [entry] });
    expect(parsed).toEqual({ ok: true, config: expect.objectContaining({ temporaryAccess: [entry] }) });
  });

  it('names every problem by path', () => {
    const parsed = parseDetectionConfig({
      temporaryAccess: [{ principal: 'alice', policy: 'bad policy!', expires: 'soon', reason: 'x', extra: 1 }, 'nope'],
    });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors).toEqual([
      'detection.temporaryAccess[0].extra: unknown key',
      'detection.temporaryAccess[0].principal: must be an IAM user or role ARN (got "alice")',
      'detection.temporaryAccess[0].policy: must be a managed policy ARN or an inline policy name (got "bad policy!")',
      'detection.temporaryAccess[0].expires: must be an ISO date or date-time with a zone, e.g. 2026-12-01 or 2026-12-01T18:00:00Z (got "soon")',
      'detection.temporaryAccess[0].reason: must say why (at least 10 characters): auditors read it',
      'detection.temporaryAccess[1]: must be an object',
    ]);
  });
});
