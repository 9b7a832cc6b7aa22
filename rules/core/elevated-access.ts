import type { Finding } from './finding.ts';
import { findingId } from './finding.ts';
import { analyzeIdentityPolicy, isAdminManagedPolicyArn } from './iam-policy.ts';
import type { ObservationRule } from './trail-integrity.ts';
import type { CheckMeta, RuleDocs } from './types.ts';

/**
 * Temporary elevated access not revoked (issue #11 family 8, A.8.2). A scheduled check reads the live IAM state
 * of the account (functions/elevated-access) and this module decides, purely, which admin-equivalent grants are
 * marked temporary and are still in place after their expiry, which open findings are resolved (grant gone or
 * expiry extended), and what must be remembered for the next run (the last expiry seen per grant, so a grantee
 * who deletes the `expires` tag is still held to it). No I/O, no clock: the state and `nowMs` come in.
 *
 * "Marked temporary", each an expiry source:
 * - `policy-tag`: the managed policy (the grant) carries an `expires` or `trailwarden:expires` tag;
 * - `principal-tag`: the user or role carries one (every admin grant it holds is temporary);
 * - `config`: a `temporaryAccess` entry of the detection config names the principal (and the policy, or all);
 * - `remembered`: an earlier run saw one of those on a grant that is still in place, and it is gone now.
 * Values are ISO dates (`2026-12-01`: the end of that day, UTC, as suppressions read them) or date-times with a
 * zone. An unparseable value is taken as already expired (fail closed) and the finding says so. With several
 * sources, the earliest expiry wins (an unparseable one is earliest).
 */

export const ELEVATED_RULE_ID = 'iam.temporary-access-not-revoked';

/** Tag keys read as an expiry, compared without case (IAM tag keys are unique regardless of case). */
export const EXPIRES_TAG_KEYS = ['expires', 'trailwarden:expires'] as const;

export const ELEVATED_RULE = {
  title: 'Temporary elevated access not revoked',
  description:
    'An admin-equivalent grant marked temporary (an expires tag on the policy or the principal, or a temporaryAccess config entry) is still in place after its expiry.',
  severity: 'high',
  controls: ['A.8.2'],
  mitre: ['T1098', 'T1078.004'],
  runbook: [
    'Confirm with the ticket owner whether the access is still needed; if not, detach the policy (or delete the inline policy, or remove the user from the group) now.',
    'If it is needed, extend it through the approved process: a new expiry on the tag or the temporaryAccess entry, with a ticket. The finding resolves on the next run.',
    'Review what the principal did with admin rights after the expiry (CloudTrail: every call by the principal since the expiry).',
    'If the expiry tag was removed or moved (the details say "remembered"), find who did it (UntagPolicy / UntagUser / UntagRole / TagPolicy …) and treat it as an attempt to keep access.',
  ],
  rationale:
    'Time-boxed admin access that outlives its box is standing privilege nobody approved (A.8.2). The check reads the live IAM state rather than trusting the revocation job, and fails closed: an unreadable expiry counts as expired, an unreadable principal is reported, never taken for revoked.',
  falsePositives: [
    'The revocation job runs late: covered by the grace period (elevatedAccess.graceMinutes, default 15).',
    'An approved extension that was agreed but not yet written to the tag or config.',
  ],
} as const satisfies CheckMeta & Pick<RuleDocs, 'rationale' | 'falsePositives'>;

export const ELEVATED_ACTOR = { arn: 'trailwarden:elevated-access', type: 'Trailwarden' } as const;

export type Tags = Readonly<Record<string, string>>;

export interface ManagedPolicyState {
  readonly arn: string;
  readonly name: string;
  /** The default version's document; undefined when it could not be read (the principal is then unreadable). */
  readonly document: unknown;
  readonly tags: Tags;
}

export interface InlinePolicyState {
  readonly name: string;
  readonly document: unknown;
}

export interface GroupState {
  readonly name: string;
  readonly arn: string;
  readonly managed: readonly ManagedPolicyState[];
  readonly inline: readonly InlinePolicyState[];
}

/** One user or role as the reader found it. */
export interface PrincipalState {
  readonly arn: string;
  readonly type: 'user' | 'role';
  readonly name: string;
  readonly tags: Tags;
  readonly managed: readonly ManagedPolicyState[];
  readonly inline: readonly InlinePolicyState[];
  /** Users only; roles belong to no group. */
  readonly groups: readonly GroupState[];
}

/** A principal that could not be read is reported, and what was remembered about it is kept, never resolved. */
export type PrincipalRead =
  | { readonly ok: true; readonly principal: PrincipalState }
  | { readonly ok: false; readonly arn: string; readonly error: string };

/** `temporaryAccess` config entry (rules/core/config.ts validates it). */
export interface TemporaryAccessEntry {
  /** User or role ARN (with or without its path). */
  readonly principal: string;
  /** Managed policy ARN or inline policy name; absent = every admin grant of the principal. */
  readonly policy?: string;
  /** ISO date or date-time with a zone. */
  readonly expires: string;
  readonly ticket?: string;
  readonly reason: string;
}

export type ExpirySource = 'policy-tag' | 'principal-tag' | 'config' | 'remembered';

export interface Expiry {
  readonly source: ExpirySource;
  /** The value as written. */
  readonly text: string;
  /** Undefined when `text` is no ISO date or date-time: treated as already expired. */
  readonly ms: number | undefined;
  /** The tag key, or for `config` the entry's reason. */
  readonly origin: string;
  readonly ticket?: string;
}

/** What grants the admin rights. `via` names the group it comes through. */
export type GrantRef =
  | { readonly kind: 'managed'; readonly policyArn: string; readonly via?: string }
  | { readonly kind: 'inline'; readonly name: string; readonly via?: string };

/** What the check remembers per grant marked temporary, between runs (one record per grant key). */
export interface GrantMemory {
  readonly key: string;
  readonly account: string;
  readonly principal: string;
  /** The earliest expiry seen from a tag or config; what holds the grantee when the mark disappears. */
  readonly expiry: {
    readonly source: Exclude<ExpirySource, 'remembered'>;
    readonly text: string;
    readonly origin: string;
  };
  /** Set while a finding is open for this grant: resolved when the grant goes or its expiry moves past now. */
  readonly open?: { readonly findingId: string; readonly openedMs: number; readonly finding: Finding };
}

export interface ElevatedSettings {
  /** Minutes after expiry before a grant still in place is a finding (a revocation job racing the check). */
  readonly graceMinutes: number;
  /** Ledger dedup window: every run inside it sees the same open finding id (default 24 h). */
  readonly dedupWindowMs: number;
}

export const DEFAULT_ELEVATED_SETTINGS: ElevatedSettings = { graceMinutes: 15, dedupWindowMs: 24 * 3_600_000 };

export interface ElevatedCandidate {
  readonly finding: Finding;
  readonly dedupKey: string;
  readonly dedupWindowMs: number;
}

export interface ElevatedResolution {
  readonly memory: GrantMemory & { readonly open: NonNullable<GrantMemory['open']> };
  readonly reason: string;
}

export interface ElevatedOutcome {
  /** Findings for grants overdue now (a repeat of an open one has its id, so the ledger says duplicate). */
  readonly candidates: readonly ElevatedCandidate[];
  readonly resolutions: readonly ElevatedResolution[];
  /** The memory to keep: every grant marked temporary still in place, plus everything about unreadable principals. */
  readonly memory: readonly GrantMemory[];
  /** Principals that could not be read, with the error. */
  readonly unreadable: readonly { readonly arn: string; readonly error: string }[];
}

export interface ElevatedInput {
  readonly account: string;
  readonly region: string;
  readonly principals: readonly PrincipalRead[];
  readonly config: readonly TemporaryAccessEntry[];
  readonly memory: readonly GrantMemory[];
  readonly nowMs: number;
  readonly settings?: ElevatedSettings;
  /**
   * A signed drill observation (observation-drill.ts), not the live state: its findings are drills, with ids and
   * dedup keys of their own (never those of a real grant), and the caller keeps their memory apart.
   */
  readonly drill?: boolean;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** An ISO date (end of that day, UTC) or date-time with a zone; undefined for anything else. */
export const parseExpiry = (text: string): number | undefined => {
  const t = text.trim();
  const ms = DATE_ONLY.test(t) ? Date.parse(`${t}T23:59:59.999Z`) : DATE_TIME.test(t) ? Date.parse(t) : Number.NaN;
  if (Number.isNaN(ms)) return undefined;
  // `2026-02-31` parses to March 3rd in some engines: the date must survive the round trip.
  if (new Date(ms).toISOString().slice(0, 10) !== t.slice(0, 10) && DATE_ONLY.test(t)) return undefined;
  return ms;
};

/** The expiry tag of a tag set, if any (first of `EXPIRES_TAG_KEYS` present, keys without case). */
export const expiresTag = (tags: Tags): { readonly key: string; readonly value: string } | undefined => {
  for (const wanted of EXPIRES_TAG_KEYS) {
    for (const [key, value] of Object.entries(tags)) {
      if (key.toLowerCase() === wanted) return { key, value };
    }
  }
  return undefined;
};

const tagExpiry = (tags: Tags, source: 'policy-tag' | 'principal-tag'): Expiry | undefined => {
  const tag = expiresTag(tags);
  return tag === undefined ? undefined : { source, text: tag.value, ms: parseExpiry(tag.value), origin: tag.key };
};

/** `arn:aws:iam::111122223333:user/path/alice` → `arn:aws:iam::111122223333:user/alice`. */
const pathless = (arn: string): string => {
  const m = /^(arn:[^:]+:iam::\d{12}:(?:user|role))\/(?:.*\/)?([^/]+)$/.exec(arn);
  return m === null ? arn : `${m[1]}/${m[2]}`;
};

const samePrincipal = (configured: string, p: PrincipalState): boolean => {
  const c = pathless(configured.trim()).toLowerCase();
  return c === pathless(p.arn).toLowerCase();
};

const grantName = (g: GrantRef): string =>
  `${g.kind === 'managed' ? g.policyArn : `inline:${g.name}`}${g.via === undefined ? '' : ` via group ${g.via}`}`;

/** Stable per (account, principal, grant): the memory key and the finding's group. */
export const grantKey = (account: string, principalArn: string, g: GrantRef): string =>
  `${account}|${pathless(principalArn)}|${g.via === undefined ? '' : `group/${g.via}|`}${g.kind === 'managed' ? g.policyArn : `inline/${g.name}`}`;

interface AdminGrant {
  readonly grant: GrantRef;
  readonly why: string;
  readonly policyTags: Tags;
}

/** Admin-equivalent by content, or an AWS admin policy by ARN; an unparseable document counts as admin (fail closed). */
const adminWhy = (document: unknown, arn?: string): string | undefined => {
  if (arn !== undefined && isAdminManagedPolicyArn(arn)) return `AWS managed admin policy ${arn}`;
  const result = analyzeIdentityPolicy(document);
  if (result.kind === 'admin') return `admin-equivalent statements: ${result.statements.join(', ')}`;
  if (result.kind === 'invalid') return `policy document unreadable (${result.error}): taken as admin`;
  return undefined;
};

const adminGrants = (p: PrincipalState): AdminGrant[] => {
  const out: AdminGrant[] = [];
  const managed = (list: readonly ManagedPolicyState[], via?: string) => {
    for (const m of list) {
      const why = adminWhy(m.document, m.arn);
      if (why !== undefined) {
        out.push({ grant: { kind: 'managed', policyArn: m.arn, ...(via ? { via } : {}) }, why, policyTags: m.tags });
      }
    }
  };
  const inline = (list: readonly InlinePolicyState[], via?: string) => {
    for (const i of list) {
      const why = adminWhy(i.document);
      if (why !== undefined)
        out.push({ grant: { kind: 'inline', name: i.name, ...(via ? { via } : {}) }, why, policyTags: {} });
    }
  };
  managed(p.managed);
  inline(p.inline);
  for (const g of p.groups) {
    managed(g.managed, g.name);
    inline(g.inline, g.name);
  }
  return out;
};

const configExpiries = (p: PrincipalState, g: GrantRef, entries: readonly TemporaryAccessEntry[]): Expiry[] =>
  entries
    .filter((e) => samePrincipal(e.principal, p))
    .filter((e) => e.policy === undefined || (g.kind === 'managed' ? e.policy === g.policyArn : e.policy === g.name))
    .map((e) => ({
      source: 'config' as const,
      text: e.expires,
      ms: parseExpiry(e.expires),
      origin: e.reason,
      ...(e.ticket === undefined ? {} : { ticket: e.ticket }),
    }));

/** Earliest first; an unparseable expiry sorts before every date (it is expired). */
const earliest = (list: readonly Expiry[]): Expiry | undefined =>
  [...list].sort((a, b) => (a.ms ?? Number.NEGATIVE_INFINITY) - (b.ms ?? Number.NEGATIVE_INFINITY))[0];

const minutes = (ms: number): string => {
  const m = Math.round(ms / 60_000);
  return m < 120 ? `${m} min` : m < 2880 ? `${Math.round(m / 60)} h` : `${Math.round(m / 1440)} days`;
};

const describeExpiry = (e: Expiry): string => {
  const where =
    e.source === 'policy-tag'
      ? `tag ${e.origin} on the policy`
      : e.source === 'principal-tag'
        ? `tag ${e.origin} on the principal`
        : e.source === 'config'
          ? `temporaryAccess config entry (${e.origin})`
          : `remembered from an earlier run (${e.origin}); the mark is gone now`;
  return `expires: ${e.text} (${where})`;
};

interface Assessed {
  readonly key: string;
  readonly principal: PrincipalState;
  readonly admin: AdminGrant;
  readonly expiry: Expiry;
  readonly all: readonly Expiry[];
  readonly remembered?: GrantMemory;
}

const isOverdue = (e: Expiry, nowMs: number, graceMs: number): boolean => e.ms === undefined || nowMs > e.ms + graceMs;

/** Decide one account's run: findings, resolutions and the memory to keep. */
export const assessElevatedAccess = (input: ElevatedInput): ElevatedOutcome => {
  const settings = input.settings ?? DEFAULT_ELEVATED_SETTINGS;
  const graceMs = settings.graceMinutes * 60_000;
  const { nowMs, account, region } = input;
  const remembered = new Map(input.memory.filter((m) => m.account === account).map((m) => [m.key, m]));
  const candidates: ElevatedCandidate[] = [];
  const resolutions: ElevatedResolution[] = [];
  const memory: GrantMemory[] = [];
  const unreadable: { arn: string; error: string }[] = [];
  const seen = new Set<string>();
  const unreadableArns = new Set<string>();

  for (const read of input.principals) {
    if (!read.ok) {
      unreadable.push({ arn: read.arn, error: read.error });
      unreadableArns.add(pathless(read.arn).toLowerCase());
      continue;
    }
    const p = read.principal;
    const principalTag = tagExpiry(p.tags, 'principal-tag');
    for (const admin of adminGrants(p)) {
      const key = grantKey(account, p.arn, admin.grant);
      if (seen.has(key)) continue;
      seen.add(key);
      const marks = [
        ...[tagExpiry(admin.policyTags, 'policy-tag')].filter((e): e is Expiry => e !== undefined),
        ...(principalTag === undefined ? [] : [principalTag]),
        ...configExpiries(p, admin.grant, input.config),
      ];
      const before = remembered.get(key);
      const current = earliest(marks);
      // The mark vanished while the grant stayed: hold the grantee to the expiry seen before.
      const expiry: Expiry | undefined =
        current ??
        (before === undefined
          ? undefined
          : {
              source: 'remembered',
              text: before.expiry.text,
              ms: parseExpiry(before.expiry.text),
              origin: `${before.expiry.source} ${before.expiry.origin}`,
            });
      if (expiry === undefined) continue; // not temporary: standing admin is admin-granted's business
      const a: Assessed = { key, principal: p, admin, expiry, all: marks, ...(before ? { remembered: before } : {}) };
      const kept: GrantMemory['expiry'] =
        current !== undefined && current.source !== 'remembered'
          ? { source: current.source, text: current.text, origin: current.origin }
          : (before?.expiry ?? { source: 'config', text: expiry.text, origin: expiry.origin });
      if (isOverdue(expiry, nowMs, graceMs)) {
        const openedMs = before?.open?.openedMs ?? nowMs;
        const candidate = buildCandidate(a, account, region, openedMs, nowMs, settings, input.drill === true);
        candidates.push(candidate);
        memory.push({
          key,
          account,
          principal: p.arn,
          expiry: kept,
          open: before?.open ?? { findingId: candidate.finding.id, openedMs, finding: candidate.finding },
        });
      } else {
        if (before?.open !== undefined) {
          resolutions.push({
            memory: { ...before, open: before.open },
            reason: `expiry extended to ${expiry.text} (${expiry.source}); the grant is no longer overdue`,
          });
        }
        memory.push({ key, account, principal: p.arn, expiry: kept });
      }
    }
  }

  for (const [key, before] of remembered) {
    if (seen.has(key)) continue;
    if (unreadableArns.has(pathless(before.principal).toLowerCase())) {
      memory.push(before); // unknown is not revoked
      continue;
    }
    if (before.open !== undefined) {
      resolutions.push({ memory: { ...before, open: before.open }, reason: 'the grant is no longer in place' });
    }
  }
  return { candidates, resolutions, memory, unreadable };
};

const buildCandidate = (
  a: Assessed,
  account: string,
  region: string,
  openedMs: number,
  nowMs: number,
  settings: ElevatedSettings,
  drill: boolean,
): ElevatedCandidate => {
  // A drill's finding and ledger entry live in the drill namespace, as event drills' do (detector.ts namespaceOf).
  const ns = drill ? 'drill|' : '';
  const { principal: p, admin, expiry } = a;
  const overdue =
    expiry.ms === undefined
      ? `expiry "${expiry.text}" is no ISO date or date-time: taken as expired (fail closed)`
      : `overdue by ${minutes(nowMs - expiry.ms)} (grace ${settings.graceMinutes} min)`;
  const others = a.all.filter((e) => e !== expiry);
  const ticket = [expiry, ...others].find((e) => e.ticket !== undefined)?.ticket;
  const details = [
    `principal: ${p.arn} (${p.type})`,
    `grant: ${grantName(admin.grant)}`,
    `why admin: ${admin.why}`,
    describeExpiry(expiry),
    overdue,
    ...others.map((e) => `also marked: ${describeExpiry(e)}`),
    ...(a.remembered !== undefined && a.remembered.expiry.text !== expiry.text && expiry.source !== 'remembered'
      ? [`expiry changed since an earlier run: was ${a.remembered.expiry.text} (${a.remembered.expiry.source})`]
      : []),
    ticket === undefined ? 'ticket: none recorded' : `ticket: ${ticket}`,
  ];
  const groupKey = a.key;
  const finding: Finding = {
    schema: 'trailwarden.finding/v1',
    id: findingId(ELEVATED_RULE_ID, `${ns}${groupKey}`, openedMs),
    ruleId: ELEVATED_RULE_ID,
    title: ELEVATED_RULE.title,
    description: ELEVATED_RULE.description,
    severity: ELEVATED_RULE.severity,
    criticality: 'high',
    controls: ELEVATED_RULE.controls,
    mitre: ELEVATED_RULE.mitre,
    account,
    region,
    actor: { arn: p.arn, type: p.type === 'user' ? 'IAMUser' : 'Role', userName: p.name },
    resources: [p.arn, ...(admin.grant.kind === 'managed' ? [admin.grant.policyArn] : [])],
    eventIds: [],
    eventName: 'ElevatedAccessCheck',
    groupKey,
    firstSeen: new Date(openedMs).toISOString(),
    lastSeen: new Date(nowMs).toISOString(),
    count: 1,
    threshold: null,
    runbook: ELEVATED_RULE.runbook,
    details: drill ? ['DRILL: a signed drill observation, not the live IAM state.', ...details] : details,
    drill,
  };
  // One ledger key per episode (grant key + opening time): repeats of an open finding are duplicates, and a
  // re-grant after a resolution is a new episode that pages, however soon it comes.
  return {
    finding,
    dedupKey: `${ns}${ELEVATED_RULE_ID}|${groupKey}|${openedMs}`,
    dedupWindowMs: settings.dedupWindowMs,
  };
};

// ---------------------------------------------------------------------------------------------------------
// Documentation and coverage: the rule's cases, run through the real assessment path.

const CASE_NOW = Date.UTC(2026, 11, 7, 12);
const CASE_ACCOUNT = '111122223333';
const CASE_ADMIN: ManagedPolicyState = {
  arn: 'arn:aws:iam::aws:policy/AdministratorAccess',
  name: 'AdministratorAccess',
  document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
  tags: {},
};
const casePrincipal = (over: Partial<PrincipalState>): PrincipalState => ({
  arn: `arn:aws:iam::${CASE_ACCOUNT}:user/alice`,
  type: 'user',
  name: 'alice',
  tags: {},
  managed: [],
  inline: [],
  groups: [],
  ...over,
});

/** Cases of the rule: the principal's state and how many findings the assessment must give. */
export const ELEVATED_CASES: readonly {
  readonly name: string;
  readonly principal: PrincipalState;
  readonly config?: readonly TemporaryAccessEntry[];
  readonly findings: number;
}[] = [
  {
    name: 'AdministratorAccess tagged expires two hours ago',
    principal: casePrincipal({ managed: [{ ...CASE_ADMIN, tags: { expires: '2026-12-07T10:00:00Z' } }] }),
    findings: 1,
  },
  {
    name: 'user tagged trailwarden:expires yesterday, admin through a group',
    principal: casePrincipal({
      tags: { 'trailwarden:expires': '2026-12-06' },
      groups: [{ name: 'admins', arn: `arn:aws:iam::${CASE_ACCOUNT}:group/admins`, managed: [CASE_ADMIN], inline: [] }],
    }),
    findings: 1,
  },
  {
    name: 'temporaryAccess config entry expired',
    principal: casePrincipal({ managed: [CASE_ADMIN] }),
    config: [
      {
        principal: `arn:aws:iam::${CASE_ACCOUNT}:user/alice`,
        expires: '2026-12-07T08:00:00Z',
        reason: 'incident response',
      },
    ],
    findings: 1,
  },
  {
    name: 'expiry inside the grace period',
    principal: casePrincipal({ managed: [{ ...CASE_ADMIN, tags: { expires: '2026-12-07T11:50:00Z' } }] }),
    findings: 0,
  },
  {
    name: 'expired tag on a read-only grant',
    principal: casePrincipal({
      managed: [
        {
          arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
          name: 'ReadOnlyAccess',
          document: { Statement: [{ Effect: 'Allow', Action: 's3:Get*', Resource: '*' }] },
          tags: { expires: '2026-12-01' },
        },
      ],
    }),
    findings: 0,
  },
];

/** The rule with its cases run, for `trailwarden docs` and `coverage`. */
export const elevatedAccessObservationRules = (): readonly ObservationRule[] => {
  const failures = ELEVATED_CASES.flatMap((c) => {
    const out = assessElevatedAccess({
      account: CASE_ACCOUNT,
      region: 'us-east-1',
      principals: [{ ok: true, principal: c.principal }],
      config: c.config ?? [],
      memory: [],
      nowMs: CASE_NOW,
    });
    return out.candidates.length === c.findings
      ? []
      : [{ name: c.name, reason: `gave ${out.candidates.length} finding(s), expected ${c.findings}` }];
  });
  return [
    {
      id: ELEVATED_RULE_ID,
      title: ELEVATED_RULE.title,
      description: ELEVATED_RULE.description,
      severity: ELEVATED_RULE.severity,
      controls: ELEVATED_RULE.controls,
      mitre: ELEVATED_RULE.mitre,
      runbook: ELEVATED_RULE.runbook,
      source: `live IAM state of the pipeline account (elevated-access function, on its schedule, default every 30 minutes): admin-equivalent grants marked temporary by a tag ${EXPIRES_TAG_KEYS.join(' or ')} (ISO date = end of that day UTC, or date-time with a zone) on the policy or the principal, or by detection.temporaryAccess; one finding per (account, principal, grant), resolved when the grant goes or its expiry moves past now`,
      cases: { total: ELEVATED_CASES.length, passed: ELEVATED_CASES.length - failures.length, failures },
    },
  ];
};
