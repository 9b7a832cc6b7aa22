import { describe, expect, it } from 'vitest';
import type { CloudTrailRecord } from '../../../rules/core/cloudtrail.ts';
import type { AnonymiserView, RuleIntel } from '../../../rules/core/geo.ts';
import type { HistoryView } from '../../../rules/core/history.ts';
import {
  anonymiserNote,
  hasLearned,
  isSuccessfulSignIn,
  knownCountries,
  knownPlaces,
  PLACE_DEDUP,
  placeDetails,
  rememberPlace,
  signInLocation,
} from '../../../rules/core/signin-place.ts';
import { fakeAnonymisers, fakeGeo } from '../../../rules/fixtures/geo.ts';

/**
 * Where people sign in from (rules/core/signin-place.ts), the part both place rules share: what a sign-in teaches
 * the memory, when the memory has learned enough, and the words on-call reads.
 */
const DAY = 86_400_000;
const AT = Date.parse('2026-11-02T10:00:00Z');

const login = (extra: Partial<CloudTrailRecord> = {}, result = 'Success'): CloudTrailRecord => ({
  eventTime: '2026-11-02T10:00:00Z',
  eventID: 'e1',
  eventSource: 'signin.amazonaws.com',
  eventName: 'ConsoleLogin',
  awsRegion: 'us-east-1',
  recipientAccountId: '111122223333',
  userIdentity: {
    type: 'IAMUser',
    arn: 'arn:aws:iam::111122223333:user/alice',
    accountId: '111122223333',
    userName: 'alice',
  },
  sourceIPAddress: '198.51.100.23',
  responseElements: { ConsoleLogin: result },
  ...extra,
});

const geo = fakeGeo({
  '198.51.100.23': { country: 'BR', asn: 64500, asOrg: 'Example Telecom' },
  '198.51.100.24': { country: 'DE' },
});
const WITH_GEO: RuleIntel = { geo };
const history = (first: number | null, places: readonly string[]): HistoryView => ({
  first,
  sightings: places.map((v, i) => ({ id: `s${i}`, v, t: AT - DAY, last: AT - DAY })),
});

describe('what a sign-in teaches', () => {
  it('only a success is a sign-in', () => {
    expect(isSuccessfulSignIn(login())).toBe(true);
    expect(isSuccessfulSignIn(login({}, 'Failure'))).toBe(false);
    expect(isSuccessfulSignIn(login({ responseElements: null }))).toBe(false);
  });

  it('a place needs an IP database', () => {
    expect(signInLocation(login(), {})).toBeUndefined();
    expect(signInLocation(login(), WITH_GEO)).toEqual({
      kind: 'located',
      ip: '198.51.100.23',
      country: 'BR',
      asn: 64500,
      asOrg: 'Example Telecom',
    });
  });

  it.each([
    ['a located success', login(), WITH_GEO, 'BR|AS64500'],
    ['a located success, network unknown', login({ sourceIPAddress: '198.51.100.24' }), WITH_GEO, 'DE|AS?'],
    ['a success on a private network', login({ sourceIPAddress: '10.1.2.3' }), WITH_GEO, 'internal'],
    ['a failure from a located address', login({}, 'Failure'), WITH_GEO, undefined],
    ['a success no database can place', login({ sourceIPAddress: '203.0.113.9' }), WITH_GEO, undefined],
    ['a success through an AWS service name', login({ sourceIPAddress: 'AWS Internal' }), WITH_GEO, undefined],
    ['a success with no IP database wired', login(), {}, undefined],
  ])('%s → %j', (_name, e, intel, place) => {
    expect(rememberPlace(e, intel)).toBe(place);
  });
});

describe('hasLearned', () => {
  it.each([
    ['no memory', undefined, false],
    ['a memory with no first sighting', history(null, []), false],
    ['first seen a millisecond short of 14 days', history(AT - 14 * DAY + 1, []), false],
    ['first seen exactly 14 days before', history(AT - 14 * DAY, []), true],
    ['first seen 30 days before', history(AT - 30 * DAY, []), true],
  ])('%s → %s', (_name, h, learned) => {
    expect(hasLearned(h, AT)).toBe(learned);
  });
});

describe('known places and countries', () => {
  it('reads every remembered place, and the countries among them', () => {
    const h = history(AT - 30 * DAY, ['DE|AS64496', 'internal', 'BR|AS?', 'DE|AS64497']);
    expect([...knownPlaces(h)]).toEqual(['DE|AS64496', 'internal', 'BR|AS?', 'DE|AS64497']);
    expect([...knownCountries(h)]).toEqual(['DE', 'BR']);
    expect([...knownPlaces(undefined)]).toEqual([]);
    expect([...knownCountries(undefined)]).toEqual([]);
  });
});

describe('anonymiserNote', () => {
  const loaded = fakeAnonymisers('198.51.100.0/24\n', 'tor-exits');
  const source = loaded.kind === 'loaded' ? loaded.list.source : '';
  it.each<[string | undefined, AnonymiserView | undefined, string | undefined]>([
    ['198.51.100.23', undefined, undefined],
    [
      '198.51.100.23',
      { kind: 'unavailable', source: 's3://b/k', error: 'AccessDenied' },
      'anonymiser list not checked: AccessDenied',
    ],
    ['198.51.100.23', loaded, `ON anonymiser list tor-exits (${source}) as 198.51.100.0/24`],
    ['192.0.2.1', loaded, `not on anonymiser list tor-exits (${source})`],
    [undefined, loaded, `not on anonymiser list tor-exits (${source})`],
  ])('%j', (ip, view, note) => {
    expect(anonymiserNote(ip, view)).toBe(note);
  });
});

describe('placeDetails', () => {
  it('where from, what was known (sorted), the IP data and the list', () => {
    const h = history(AT - 30 * DAY, ['DE|AS64496', 'internal', 'AT|AS64499']);
    const anonymisers = fakeAnonymisers('192.0.2.0/24\n', 'vpn');
    const source = anonymisers.kind === 'loaded' ? anonymisers.list.source : '';
    expect(placeDetails(login(), { geo, anonymisers }, h)).toEqual([
      'signed in from 198.51.100.23: BR, AS64500 (Example Telecom)',
      'countries known for this person: AT, DE',
      'networks known for this person: AT AS64499, DE AS64496, internal',
      'IP data: case table',
      `not on anonymiser list vpn (${source})`,
    ]);
  });

  it('says so when nothing is known and no IP database is wired', () => {
    expect(placeDetails(login(), {}, undefined)).toEqual([
      'signed in from 198.51.100.23 (no IP database wired)',
      'countries known for this person: none',
      'networks known for this person: none',
    ]);
    const { sourceIPAddress: _, ...noAddress } = login();
    expect(placeDetails(noAddress, {}, undefined)[0]).toBe('signed in from (none) (no IP database wired)');
  });
});

describe('PLACE_DEDUP', () => {
  it('one finding per person and address', () => {
    expect(PLACE_DEDUP.key(login())).toBe('111122223333|user/alice|198.51.100.23');
    const { sourceIPAddress: _, ...noAddress } = login();
    expect(PLACE_DEDUP.key(noAddress)).toBe('111122223333|user/alice|');
    expect(PLACE_DEDUP.windowSeconds).toBe(86_400);
  });
});
