import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { identityArns } from '../core/signin.ts';
import {
  hasLearned,
  isSuccessfulSignIn,
  knownCountries,
  knownPlaces,
  PLACE_DEDUP,
  PLACE_HISTORY,
  placeDetails,
  signInLocation,
} from '../core/signin-place.ts';
import type { RuleContext, RuleDocs } from '../core/types.ts';
import { fakeGeo, rememberedPlaces } from '../fixtures/geo.ts';
import { fixture } from '../fixtures/index.ts';

/**
 * A new network (autonomous system) in a country the person is known in. A new country is signin.new-country's
 * (high) alone, so one sign-in never raises both; an address whose network the database does not know is not
 * judged here (signin.new-source still sees the address).
 */
const isNewNetwork = (e: CloudTrailRecord, ctx: RuleContext): boolean => {
  if (!isSuccessfulSignIn(e) || !hasLearned(ctx.history, Date.parse(e.eventTime))) return false;
  const loc = signInLocation(e, ctx);
  if (loc?.kind !== 'located' || loc.asn === undefined) return false;
  return knownCountries(ctx.history).has(loc.country) && !knownPlaces(ctx.history).has(`${loc.country}|AS${loc.asn}`);
};

export const rule = defineRule({
  id: 'signin.new-network',
  title: 'Console sign-in from a new network (AS) for this person, in a known country',
  severity: 'medium',
  controls: ['A.8.5', 'A.8.16'],
  mitre: ['T1078', 'T1078.004'],
  on: { source: 'signin', eventNames: ['ConsoleLogin'] },
  intel: ['geo'],
  history: PLACE_HISTORY,
  match: (e, ctx) => isNewNetwork(e, ctx),
  explain: (e, ctx) => placeDetails(e, ctx, ctx.history),
  resources: identityArns,
  dedup: PLACE_DEDUP,
});

const at = Date.parse('2026-11-02T08:59:12Z');
/** A person first seen `firstDaysAgo` days before the fixture, with these places. */
const known = (firstDaysAgo: number, places: readonly string[]) => rememberedPlaces(at, firstDaysAgo, places);
const geo = () =>
  fakeGeo({
    '198.51.100.23': { country: 'BR', asn: 64500, asOrg: 'Example Telecom' },
    '198.51.100.99': { country: 'BR' },
  });

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A console sign-in succeeded from an autonomous system (the network operator: ISP, mobile carrier, hosting ' +
    'provider) this person has not used in the last 180 days, in a country they are known in, after 14 days of learning.',
  runbook: [
    'Look at the network named in the details: a home ISP or mobile carrier is usually the person; a hosting or cloud provider (a VPS, a VPN service) is not how people reach the console.',
    'Ask the person whether the sign-in was theirs; check the session for unusual actions.',
    'If not theirs: disable the console password, revoke sessions, reset MFA, open an incident.',
  ],
  rationale:
    'Medium, not a page: a new network in a known country is what a new café, hotel or mobile carrier looks like, ' +
    "and people do that weekly. It is context that incident correlation attaches to the same person's other " +
    'findings (a page from the anonymiser or privilege rules then shows it). A hosting network (attackers rent ' +
    "servers in the victim's country to dodge country rules) is the case that matters; the details name the AS " +
    "holder so on-call sees it. A new address in a known country and network is only signin.new-source's medium " +
    "context. Learning and memory as signin.new-country (14 and 180 days); the AS comes from ip-location-db's ASN " +
    'table (RouteViews, RIRs, DB-IP).',
  falsePositives: ['A new home ISP, a mobile carrier while roaming, hotel and café Wi-Fi, a corporate VPN change.'],
  cases: () => [
    {
      name: 'known in Brazil on another network',
      expect: 'match',
      event: fixture('signin/ConsoleLogin'),
      history: known(30, ['BR|AS64501']),
      intel: { geo: geo() },
    },
    {
      name: 'a known network',
      expect: 'no-match',
      event: fixture('signin/ConsoleLogin'),
      history: known(30, ['BR|AS64500']),
      intel: { geo: geo() },
    },
    {
      name: 'a new country (signin.new-country pages instead)',
      expect: 'no-match',
      event: fixture('signin/ConsoleLogin'),
      history: known(30, ['DE|AS64496']),
      intel: { geo: geo() },
    },
    {
      name: 'network unknown to the database',
      expect: 'no-match',
      event: fixture('signin/ConsoleLogin', { sourceIPAddress: '198.51.100.99' }),
      history: known(30, ['BR|AS64501']),
      intel: { geo: geo() },
    },
    {
      name: 'still learning',
      expect: 'no-match',
      event: fixture('signin/ConsoleLogin'),
      history: known(3, ['BR|AS64501']),
      intel: { geo: geo() },
    },
    {
      name: 'no IP database wired',
      expect: 'no-match',
      event: fixture('signin/ConsoleLogin'),
      history: known(30, ['BR|AS64501']),
    },
  ],
};
