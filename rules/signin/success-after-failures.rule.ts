import { defineRule } from '../core/define-rule.ts';
import type { Sighting } from '../core/history.ts';
import { identityArns, isHiddenUser, personKey, signInResult } from '../core/signin.ts';
import type { RuleDocs } from '../core/types.ts';
import { rememberedEvents } from '../fixtures/history.ts';
import { fixture } from '../fixtures/index.ts';

/** Failures counted before a success, and how far back: a guessed password lands inside a burst. */
export const FAILURES_BEFORE_SUCCESS = 3;
export const LOOKBACK_MS = 15 * 60_000;

const recentFailures = (sightings: readonly Sighting[], atMs: number): number =>
  sightings.filter((s) => s.v === 'failure' && s.t >= atMs - LOOKBACK_MS).length;

const at = '2026-11-02T09:20:00Z';
const atMs = Date.parse(at);
const failuresBefore = (minutesAgo: readonly number[]) => rememberedEvents(atMs, 30, 'failure', minutesAgo);
const success = (overrides = {}) =>
  fixture('signin/ConsoleLogin', {
    eventTime: at,
    userIdentity: { userName: 'bob', arn: 'arn:aws:iam::111122223333:user/bob' },
    ...overrides,
  });

export const rule = defineRule({
  id: 'signin.success-after-failures',
  title: 'Console sign-in succeeded after repeated failures',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.5'],
  mitre: ['T1110', 'T1078'],
  on: { source: 'signin', eventNames: ['ConsoleLogin'] },
  history: {
    key: personKey,
    // Hidden user names cannot be tied to the person who later succeeds: they are not remembered.
    remember: (e) => (signInResult(e) === 'Failure' && !isHiddenUser(e) ? 'failure' : undefined),
    retainSeconds: 3600,
  },
  match: (e, ctx) =>
    signInResult(e) === 'Success' &&
    recentFailures(ctx.history?.sightings ?? [], Date.parse(e.eventTime)) >= FAILURES_BEFORE_SUCCESS,
  explain: (e, ctx) => [
    `${recentFailures(ctx.history?.sightings ?? [], Date.parse(e.eventTime))} failed sign-ins in the 15 minutes before`,
  ],
  resources: identityArns,
  dedup: { key: personKey },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  // Plain literals: a template literal here would keep `docs` in the Lambda bundle (esbuild cannot prove ToString
  // pure); test/rules/signin/docs-figures.test.ts keeps the figures equal to the constants.
  description:
    'A console sign-in succeeded for a person who failed to sign in 3 or more times in the ' +
    '15 minutes before: the password may have been guessed or sprayed successfully.',
  runbook: [
    'Ask the user whether they signed in; if not, disable the console password (`aws iam delete-login-profile --user-name <user>`) and revoke sessions.',
    'Check the source IPs of the failures and of the success: the same unfamiliar address is a strong signal.',
    'Review what the session did after signing in (CloudTrail, filter by the user and the source IP).',
  ],
  rationale:
    // Plain text, not a template: the Lambda bundle drops `docs` only when it is free of side effects.
    '3 failures (FAILURES_BEFORE_SUCCESS) in 15 minutes separate guessing from a mistyped password or two; DESIGN §3 makes a ' +
    'success after failures critical on privileged (high-criticality) accounts.',
  falsePositives: ['A user who forgot their password, tried several, then remembered it (confirm with them).'],
  cases: () => [
    {
      name: 'success after 3 failures in 15 minutes',
      expect: 'match',
      event: success(),
      history: failuresBefore([12, 8, 2]),
      // The failures themselves, for drills that run the real handler.
      before: [1, 2, 3].map(() =>
        fixture('signin/ConsoleLogin-failure', {
          userIdentity: { userName: 'bob', arn: 'arn:aws:iam::111122223333:user/bob' },
        }),
      ),
    },
    { name: 'success after only 2 failures', expect: 'no-match', event: success(), history: failuresBefore([8, 2]) },
    {
      name: 'failures longer ago than 15 minutes',
      expect: 'no-match',
      event: success(),
      history: failuresBefore([40, 30, 20]),
    },
    {
      name: 'a failure itself never matches',
      expect: 'no-match',
      event: fixture('signin/ConsoleLogin-failure'),
      history: failuresBefore([8, 5, 2]),
    },
    { name: 'success with no history', expect: 'no-match', event: success() },
  ],
};
