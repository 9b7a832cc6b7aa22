import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { dailyBefore } from '../core/prepare.ts';
import { identityArns } from '../core/signin.ts';
import {
  hasLearned,
  isSuccessfulSignIn,
  knownCountries,
  PLACE_DEDUP,
  PLACE_HISTORY,
  PLACE_LEARNING_DAYS,
  placeDetails,
  signInLocation,
} from '../core/signin-place.ts';
import type { RuleContext, RuleDocs } from '../core/types.ts';
import { fakeGeo, rememberedPlaces } from '../fixtures/geo.ts';
import { fixture } from '../fixtures/index.ts';

/**
 * A successful sign-in, after the learning period, from a country the person has no memory of. A location no
 * database can place (an address outside every table, a record without a usable address) counts as new: the rule
 * cannot say it is known, and an attacker gains nothing from an unplaceable egress. The organisation's own
 * private networks and AWS service names are not countries.
 */
const isNewCountry = (e: CloudTrailRecord, ctx: RuleContext): boolean => {
  if (!isSuccessfulSignIn(e) || !hasLearned(ctx.history, Date.parse(e.eventTime))) return false;
  const loc = signInLocation(e, ctx);
  if (loc === undefined) return false;
  if (loc.kind === 'unknown') return true;
  return loc.kind === 'located' && !knownCountries(ctx.history).has(loc.country);
};

export const rule = defineRule({
  id: 'signin.new-country',
  title: 'Console sign-in from a country never seen for this person',
  severity: 'high',
  controls: ['A.8.5', 'A.8.16'],
  mitre: ['T1078', 'T1078.004'],
  on: { source: 'signin', eventNames: ['ConsoleLogin'] },
  intel: ['geo'],
  history: PLACE_HISTORY,
  match: (e, ctx) => isNewCountry(e, ctx),
  explain: (e, ctx) => placeDetails(e, ctx, ctx.history),
  resources: identityArns,
  dedup: PLACE_DEDUP,
});

const at = Date.parse('2026-11-02T08:59:12Z');
/** A person first seen `firstDaysAgo` days before the fixture, with these places. */
const known = (firstDaysAgo: number, places: readonly string[]) => rememberedPlaces(at, firstDaysAgo, places);
/** The fixture's address (198.51.100.23) placed in Brazil on a documentation ASN. */
const geo = () =>
  fakeGeo({
    '198.51.100.23': { country: 'BR', asn: 64500, asOrg: 'Example Telecom' },
    '192.0.2.10': { country: 'DE', asn: 64496, asOrg: 'Example Carrier' },
  });

/**
 * Public addresses the shipped IP database places (test/functions/ip-database.test.ts pins both): the drill case
 * is judged on the deployed database, so its addresses must be real ones; this table says what that database says.
 */
const drillGeo = () =>
  fakeGeo({
    '193.0.6.139': { country: 'NL', asn: 3333, asOrg: 'Reseaux IP Europeens Network Coordination Centre (RIPE NCC)' },
    '8.8.8.8': { country: 'US', asn: 15169, asOrg: 'Google LLC' },
  });

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  // Plain literals: a template literal here would keep `docs` in the Lambda bundle.
  description:
    'A console sign-in succeeded from a country this person has not signed in from in the last 180 days, after at ' +
    'least 14 days of learning where they sign in from (IP database: ip-location-db, see README). A public address ' +
    'the database cannot place counts as a new country, and the finding says the location is unknown.',
  runbook: [
    'Ask the person (out of band: phone or chat, not e-mail) whether they are travelling or use a new VPN or proxy.',
    'Check the details: the anonymiser line, the network (AS) and whether new-source or new-network fired too; look at what the session did since the sign-in (CloudTrail by the same principal and source IP).',
    'If not theirs: disable the console password and keys, revoke active sessions (a deny on aws:TokenIssueTime), reset MFA, and open an incident.',
  ],
  rationale:
    'The ISO 27001 guidance this product implements names "logins from new countries or TOR exit nodes" as high. ' +
    'Country, not address: people change addresses daily, countries rarely. 14 days of learning (PLACE_LEARNING_DAYS) ' +
    'as for new addresses; 180 days of memory (PLACE_REMEMBER_DAYS) so half-yearly trips to a known country stay ' +
    'quiet. Console sign-ins only (IAM users, root, SAML and IAM Identity Center sessions all arrive as ConsoleLogin): ' +
    'AssumeRoleWithSAML and AssumeRoleWithWebIdentity are left out because most are machines (CI OIDC, mobile apps) ' +
    'whose egress moves between clouds and countries every run. Per person (account and user or session name), the ' +
    'key signin.new-source uses. Recorded after judging: a sign-in sees only what was known before it, so the ' +
    "attacker's first sign-in never teaches its own country.",
  falsePositives: [
    'Travel (the person confirms); a corporate VPN or zero-trust proxy that egresses in another country.',
    'IP database errors: ranges reassigned to another country after the database was built (redeploy with a newer package).',
  ],
  cases: () => [
    {
      name: 'known in Germany, signs in from Brazil',
      expect: 'match',
      event: fixture('signin/ConsoleLogin'),
      history: known(30, ['DE|AS64496']),
      intel: { geo: geo() },
    },
    {
      name: 'an Identity Center session from a new country',
      expect: 'match',
      event: fixture('signin/ConsoleLogin-sso'),
      history: known(30, ['DE|AS64496']),
      intel: { geo: geo() },
    },
    {
      name: 'a public address no database can place (location unknown)',
      expect: 'match',
      event: fixture('signin/ConsoleLogin', { sourceIPAddress: '203.0.113.77' }),
      history: known(30, ['DE|AS64496']),
      intel: { geo: geo() },
    },
    {
      // The drill: 14 days of sign-ins from the Netherlands build the memory (backdated, in the drill's own
      // namespace), then a sign-in from the United States.
      name: 'drill: signed in from the Netherlands every day for 14 days, then from the United States',
      expect: 'match',
      event: fixture('signin/ConsoleLogin', { sourceIPAddress: '8.8.8.8' }),
      prepare: dailyBefore(PLACE_LEARNING_DAYS, fixture('signin/ConsoleLogin', { sourceIPAddress: '193.0.6.139' })),
      intel: { geo: drillGeo() },
    },
    {
      name: 'only 13 days of sign-ins from the Netherlands: still learning',
      expect: 'no-match',
      event: fixture('signin/ConsoleLogin', { sourceIPAddress: '8.8.8.8' }),
      prepare: dailyBefore(PLACE_LEARNING_DAYS - 1, fixture('signin/ConsoleLogin', { sourceIPAddress: '193.0.6.139' })),
      intel: { geo: drillGeo() },
    },
    {
      name: "14 days of another person's sign-ins teach this person nothing",
      expect: 'no-match',
      event: fixture('signin/ConsoleLogin', { sourceIPAddress: '8.8.8.8' }),
      prepare: dailyBefore(
        PLACE_LEARNING_DAYS,
        fixture('signin/ConsoleLogin', {
          sourceIPAddress: '193.0.6.139',
          userIdentity: { userName: 'bob', arn: 'arn:aws:iam::111122223333:user/bob' },
        }),
      ),
      intel: { geo: drillGeo() },
    },
    {
      name: 'a country already known (another network in it)',
      expect: 'no-match',
      event: fixture('signin/ConsoleLogin'),
      history: known(30, ['DE|AS64496', 'BR|AS64501']),
      intel: { geo: geo() },
    },
    {
      name: 'still learning (first seen 5 days ago)',
      expect: 'no-match',
      event: fixture('signin/ConsoleLogin'),
      history: known(5, ['DE|AS64496']),
      intel: { geo: geo() },
    },
    {
      name: 'a failed sign-in from a new country',
      expect: 'no-match',
      event: fixture('signin/ConsoleLogin-failure', { sourceIPAddress: '198.51.100.23' }),
      history: known(30, ['DE|AS64496']),
      intel: { geo: geo() },
    },
    {
      name: 'Console Private Access: a private address through a VPC endpoint',
      expect: 'no-match',
      event: fixture('signin/ConsoleLogin', {
        sourceIPAddress: '10.20.30.40',
        vpcEndpointId: 'vpce-0a1b2c3d4e5f60718',
      }),
      history: known(30, ['DE|AS64496']),
      intel: { geo: geo() },
    },
    {
      name: 'an AWS service name instead of an address',
      expect: 'no-match',
      event: fixture('signin/ConsoleLogin', { sourceIPAddress: 'AWS Internal' }),
      history: known(30, ['DE|AS64496']),
      intel: { geo: geo() },
    },
    {
      name: 'first sign-in ever',
      expect: 'no-match',
      event: fixture('signin/ConsoleLogin'),
      intel: { geo: geo() },
    },
  ],
};
