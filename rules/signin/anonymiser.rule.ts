import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { identityArns, personKey } from '../core/signin.ts';
import { anonymiserNote, isSuccessfulSignIn, placeDetails } from '../core/signin-place.ts';
import type { RuleContext, RuleDocs } from '../core/types.ts';
import { anonymiserListSource, fakeAnonymisers, fakeGeo } from '../fixtures/geo.ts';
import { fixture } from '../fixtures/index.ts';

/** The list entry covering the sign-in's address; nothing when no list is loaded (see the detector's `intel`). */
const listedAs = (e: CloudTrailRecord, ctx: RuleContext): string | undefined =>
  ctx.anonymisers?.kind === 'loaded' && e.sourceIPAddress !== undefined
    ? ctx.anonymisers.list.match(e.sourceIPAddress)
    : undefined;

export const rule = defineRule({
  id: 'signin.anonymiser',
  title: 'Console sign-in from an anonymising network (Tor exit node, VPN range)',
  severity: 'high',
  controls: ['A.8.5', 'A.8.16'],
  mitre: ['T1078', 'T1078.004', 'T1090.003'],
  on: { source: 'signin', eventNames: ['ConsoleLogin'] },
  intel: ['anonymisers', 'geo'],
  match: (e, ctx) => isSuccessfulSignIn(e) && listedAs(e, ctx) !== undefined,
  explain: (e, ctx) => [
    ...[anonymiserNote(e.sourceIPAddress, ctx.anonymisers)].flatMap((n) => n ?? []),
    ...(ctx.anonymisers?.kind === 'loaded'
      ? [`list read ${new Date(ctx.anonymisers.list.loadedAtMs).toISOString()}, ${ctx.anonymisers.list.size} entries`]
      : []),
    ...placeDetails(e, ctx, undefined).filter((d) => !d.includes('known for this person') && !d.includes('anonymiser')),
  ],
  resources: identityArns,
  dedup: { key: (e) => `${personKey(e)}|${e.sourceIPAddress ?? ''}`, windowSeconds: 86_400 },
});

const list = () => fakeAnonymisers();
/** The same list as config: what a drill's handler loads through the file adapter. */
const configured = () => ({ anonymisers: { source: anonymiserListSource(), name: 'tor-exits' } });

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A console sign-in succeeded from an address on the configured anonymiser list (rules config `anonymisers`: Tor ' +
    'exit nodes, commercial VPN ranges, CIDRs), read from a file or an S3 object; the finding names the list and ' +
    'its source.',
  runbook: [
    'Ask the person whether they used Tor or a VPN service for this sign-in (policy usually forbids both for the console).',
    'If not theirs, or policy forbids it: disable the console password and keys, revoke active sessions, reset MFA, open an incident.',
    'Review what the session did (CloudTrail by the principal and source IP) and whether the list entry is current.',
  ],
  rationale:
    'The ISO 27001 guidance names "logins from new countries or TOR exit nodes" as high. No learning period: an ' +
    'anonymiser hides where someone is, which is what an attacker with stolen credentials wants. The list is ' +
    'yours to choose (the Tor Project publishes its exit list; VPN vendors publish ranges) and its name and source ' +
    'are in every finding, so an auditor sees what was checked. A list that cannot be loaded is never read as ' +
    '"not listed": the events are retried (stage intel) and a copy older than its TTL is served while refreshes fail.',
  falsePositives: [
    'A person who uses a privacy VPN by habit; a corporate VPN whose ranges are on a commercial VPN list.',
    'A stale list: addresses leave Tor and VPN pools; refresh the list object.',
  ],
  cases: () => [
    {
      name: 'a sign-in from a listed Tor exit',
      expect: 'match',
      event: fixture('signin/ConsoleLogin'),
      config: configured(),
      intel: { anonymisers: list(), geo: fakeGeo({}) },
    },
    {
      name: 'a sign-in from a listed VPN range (IPv6)',
      expect: 'match',
      event: fixture('signin/ConsoleLogin', { sourceIPAddress: '2001:db8:7:1::25' }),
      config: configured(),
      intel: { anonymisers: list() },
    },
    {
      name: 'an address not on the list',
      expect: 'no-match',
      event: fixture('signin/ConsoleLogin', { sourceIPAddress: '203.0.113.200' }),
      intel: { anonymisers: list() },
    },
    {
      name: 'a failed sign-in from a listed address',
      expect: 'no-match',
      event: fixture('signin/ConsoleLogin-failure', { sourceIPAddress: '198.51.100.23' }),
      intel: { anonymisers: list() },
    },
    {
      name: 'the list could not be loaded (the detector retries the event)',
      expect: 'no-match',
      event: fixture('signin/ConsoleLogin'),
      intel: {
        anonymisers: { kind: 'unavailable', source: 's3://example-intel/tor-exits.txt', error: 'AccessDenied' },
      },
    },
    { name: 'no list configured', expect: 'no-match', event: fixture('signin/ConsoleLogin') },
  ],
};
