import { defineRule } from '../core/define-rule.ts';
import { describeLocation, locate } from '../core/geo.ts';
import type { HistoryView } from '../core/history.ts';
import { isNewAfterLearning } from '../core/history.ts';
import { dailyBefore } from '../core/prepare.ts';
import { identityArns, isAddress, personKey, signInResult } from '../core/signin.ts';
import type { RuleDocs } from '../core/types.ts';
import { rememberedValues } from '../fixtures/history.ts';
import { fixture } from '../fixtures/index.ts';

/** How long a person must be known before a new address means anything: until then everything is new. */
export const LEARNING_DAYS = 14;
/** Addresses are remembered this long: an address unused for 90 days is new again. */
export const REMEMBER_DAYS = 90;

const isNewSource = (ip: string, atMs: number, history: HistoryView | undefined): boolean =>
  isNewAfterLearning(ip, atMs, history, LEARNING_DAYS);

const at = '2026-11-02T08:59:12Z';
const atMs = Date.parse(at);
const known = (firstDaysAgo: number, ips: readonly string[]) => rememberedValues(atMs, firstDaysAgo, ips);

export const rule = defineRule({
  id: 'signin.new-source',
  title: 'Console sign-in from an address never seen for this user',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.5', 'A.8.16'],
  mitre: ['T1078'],
  on: { source: 'signin', eventNames: ['ConsoleLogin'] },
  history: {
    key: personKey,
    remember: (e) => (signInResult(e) === 'Success' && isAddress(e.sourceIPAddress) ? e.sourceIPAddress : undefined),
    retainSeconds: REMEMBER_DAYS * 86_400,
    distinctValues: true,
  },
  match: (e, ctx) =>
    signInResult(e) === 'Success' &&
    isAddress(e.sourceIPAddress) &&
    isNewSource(e.sourceIPAddress, Date.parse(e.eventTime), ctx.history),
  explain: (e, ctx) => [
    `${e.sourceIPAddress ?? 'unknown'} is new; known addresses: ${(ctx.history?.sightings ?? []).map((s) => s.v).join(', ') || 'none'}`,
    // Context, not a page: a new country or network for the person is signin.new-country's or signin.new-network's.
    ...(ctx.geo === undefined ? [] : [`location: ${describeLocation(locate(e.sourceIPAddress, ctx.geo))}`]),
  ],
  resources: identityArns,
  dedup: { key: (e) => `${personKey(e)}|${e.sourceIPAddress ?? ''}`, windowSeconds: 86_400 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  // Plain literals: a template literal here would keep `docs` in the Lambda bundle (esbuild cannot prove ToString
  // pure); test/rules/signin/docs-figures.test.ts keeps the figures equal to the constants.
  description:
    'A console sign-in succeeded from a source IP address this person has not used in the last 90 days, ' +
    'after at least 14 days of learning their usual addresses.',
  runbook: [
    'Ask the user whether the sign-in was theirs (travel, new office, new ISP, VPN).',
    'Look up the address (owner, geolocation, anonymising network); check the session for unusual actions.',
    'If not theirs: reset the password, deactivate keys, revoke sessions (`aws iam put-user-policy` with an aws:TokenIssueTime deny).',
  ],
  rationale:
    // Plain text, not a template: the Lambda bundle drops `docs` only when it is free of side effects.
    '14 days (LEARNING_DAYS) learns the addresses of people who sign in weekly; 90 days (REMEMBER_DAYS) of memory keeps ' +
    'quarterly travellers quiet. Medium, high on high-criticality accounts: a new address alone is common, so it is ' +
    'context for on-call rather than a page on its own.',
  falsePositives: ['Travel, a new home ISP or mobile network, VPN exit changes, IPv6 privacy addresses.'],
  cases: () => [
    {
      name: 'known user, new address',
      expect: 'match',
      event: fixture('signin/ConsoleLogin'),
      history: known(30, ['192.0.2.10', '192.0.2.11']),
    },
    {
      // The drill (high on high-criticality accounts): 14 days of sign-ins from one address build the memory
      // (backdated, in the drill's own namespace), then a sign-in from another.
      name: 'drill: a high-criticality account signed in from 192.0.2.10 daily for 14 days, then from a new address',
      expect: 'match',
      criticality: 'high',
      event: fixture('signin/ConsoleLogin'),
      prepare: dailyBefore(LEARNING_DAYS, fixture('signin/ConsoleLogin', { sourceIPAddress: '192.0.2.10' })),
    },
    {
      name: 'known user, known address',
      expect: 'no-match',
      event: fixture('signin/ConsoleLogin'),
      history: known(30, ['198.51.100.23']),
    },
    {
      name: 'still learning (first seen 5 days ago)',
      expect: 'no-match',
      event: fixture('signin/ConsoleLogin'),
      history: known(5, ['192.0.2.10']),
    },
    {
      name: 'a failed sign-in from a new address',
      expect: 'no-match',
      event: fixture('signin/ConsoleLogin-failure'),
      history: known(30, ['192.0.2.10']),
    },
    {
      name: 'a service name instead of an address',
      expect: 'no-match',
      event: fixture('signin/ConsoleLogin', { sourceIPAddress: 'AWS Internal' }),
      history: known(30, ['192.0.2.10']),
    },
    { name: 'first sign-in ever', expect: 'no-match', event: fixture('signin/ConsoleLogin') },
  ],
};
