import type { HealthCandidate, HealthSettings } from './health.ts';
import { buildHealthFinding } from './health.ts';

/**
 * The organisation's expected set for the dead-man switch (issue #13): every active account of the deployment
 * targets × every approved region. A heartbeat only exists once an account+region sent something, so without
 * this an account that was silent from the start would never be missed. Pure: the listing, the heartbeats and
 * the clock value come in, findings go out.
 */

/** An account as Organizations lists it. */
export interface OrgAccount {
  readonly id: string;
  readonly name?: string;
  /** `ACTIVE`, `SUSPENDED`, `PENDING_CLOSURE`… (the account's status or state). */
  readonly status: string;
  /** When it joined (or was created in) the organisation. */
  readonly joinedMs?: number;
}

export interface OrgExpectation {
  readonly regions: readonly string[];
  /** A newly joined account is not expected before this long after joining. */
  readonly graceMs: number;
}

export interface ExpectedPair {
  readonly account: string;
  readonly region: string;
  readonly joinedMs?: number;
}

const key = (account: string, region: string) => `${account}/${region}`;

/** Only active accounts are expected: a suspended or closing one sends nothing by design. */
export const expectedPairs = (accounts: readonly OrgAccount[], regions: readonly string[]): ExpectedPair[] =>
  accounts
    .filter((a) => a.status === 'ACTIVE')
    .flatMap((a) =>
      regions.map((region) => ({
        account: a.id,
        region,
        ...(a.joinedMs === undefined ? {} : { joinedMs: a.joinedMs }),
      })),
    );

/** The pairs with no heartbeat at all: the ones whose first expectation must be remembered. */
export const unheard = (
  expected: readonly ExpectedPair[],
  heard: readonly { readonly account: string; readonly region: string }[],
): ExpectedPair[] => {
  const seen = new Set(heard.map((h) => key(h.account, h.region)));
  return expected.filter((p) => !seen.has(key(p.account, p.region)));
};

/**
 * A finding for each unheard pair that is past both its grace (joined + grace) and the silence allowed since
 * it was first expected (`firstExpectedMs`, remembered by the health function). Its window starts at the first
 * expectation, so every check gives the same id until events arrive.
 */
export const neverHeard = (
  pairs: readonly ExpectedPair[],
  firstExpectedMs: ReadonlyMap<string, number>,
  nowMs: number,
  expectation: OrgExpectation,
  settings: HealthSettings,
): HealthCandidate[] => {
  const out: HealthCandidate[] = [];
  for (const p of pairs) {
    const since = firstExpectedMs.get(key(p.account, p.region)) ?? nowMs;
    const graceUntil = (p.joinedMs ?? Number.NEGATIVE_INFINITY) + expectation.graceMs;
    if (nowMs < graceUntil || nowMs - since < settings.silenceMs) continue;
    out.push(
      buildHealthFinding(
        {
          account: p.account,
          region: p.region,
          ruleId: 'health.never-heard-from',
          groupKey: 'events',
          windowStartMs: since,
          nowMs,
          resources: [],
          eventName: 'Heartbeat',
          details: [
            `Expected since ${new Date(since).toISOString()}; no event received from ${p.account} in ${p.region}.`,
            ...(p.joinedMs === undefined ? [] : [`Joined the organisation ${new Date(p.joinedMs).toISOString()}.`]),
          ],
        },
        settings,
      ),
    );
  }
  return out;
};

/** Accounts listed but not active: their old heartbeats going quiet is expected, not a silence. */
export const inactiveAccounts = (accounts: readonly OrgAccount[]): ReadonlySet<string> =>
  new Set(accounts.filter((a) => a.status !== 'ACTIVE').map((a) => a.id));

export const pairKey = key;
