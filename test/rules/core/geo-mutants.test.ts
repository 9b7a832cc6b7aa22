import { describe, expect, it } from 'vitest';
import type { Location } from '../../../rules/core/geo.ts';
import {
  countryOfPlace,
  createAnonymiserList,
  describeLocation,
  locate,
  parseAnonymiserList,
  placeOf,
} from '../../../rules/core/geo.ts';
import { fakeGeo } from '../../../rules/fixtures/geo.ts';

/** Edges the first suite left open (found by Stryker): every field of a location, the words people read, list edges. */

const geo = fakeGeo({
  '198.51.100.23': { country: 'br', asn: 64500, asOrg: 'Example Net' },
  '198.51.100.24': { country: 'BR' },
  '198.51.100.25': { country: 'BRA', asn: 64501 },
  '198.51.100.26': { country: '', asn: 64502 },
  '2001:db8::5': { country: 'de', asOrg: 'Example GmbH' },
});

const listOf = (text: string) => {
  const parsed = parseAnonymiserList(text, 'l');
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return createAnonymiserList({ name: 'vpn', source: 's3://intel/vpn.txt', loadedAtMs: 42 }, parsed.entries);
};

describe('locate, whole locations', () => {
  it.each([
    [undefined, { kind: 'unknown', ip: '(none)', why: 'the record has no sourceIPAddress' }],
    ['', { kind: 'unknown', ip: '(none)', why: 'the record has no sourceIPAddress' }],
    ['AWS Internal', { kind: 'service', value: 'AWS Internal' }],
    ['ec2.amazonaws.com', { kind: 'service', value: 'ec2.amazonaws.com' }],
    ['172.16.0.9', { kind: 'internal', ip: '172.16.0.9' }],
    ['bad.host', { kind: 'unknown', ip: 'bad.host', why: 'sourceIPAddress is neither an address nor an AWS service' }],
    ['198.51.100.99', { kind: 'unknown', ip: '198.51.100.99', why: 'no country for this address in case table' }],
    ['198.51.100.25', { kind: 'unknown', ip: '198.51.100.25', why: 'no country for this address in case table' }],
    ['198.51.100.26', { kind: 'unknown', ip: '198.51.100.26', why: 'no country for this address in case table' }],
    ['198.51.100.23', { kind: 'located', ip: '198.51.100.23', country: 'BR', asn: 64500, asOrg: 'Example Net' }],
    ['198.51.100.24', { kind: 'located', ip: '198.51.100.24', country: 'BR' }],
    ['2001:db8::5', { kind: 'located', ip: '2001:db8::5', country: 'DE', asOrg: 'Example GmbH' }],
  ])('%j → %o', (ip, location) => {
    // toStrictEqual: an absent asn or asOrg must be absent, not present as undefined.
    expect(locate(ip, geo)).toStrictEqual(location);
  });
});

describe('places', () => {
  it('a located sign-in with no known network is remembered as AS?', () => {
    expect(placeOf(locate('198.51.100.24', geo))).toBe('BR|AS?');
    expect(placeOf(locate('198.51.100.23', geo))).toBe('BR|AS64500');
    expect(placeOf({ kind: 'service', value: 'AWS Internal' })).toBeUndefined();
  });

  it.each([
    ['US|AS15169', 'US'],
    ['BR|AS?', 'BR'],
    ['internal', undefined],
    ['', undefined],
    ['us|AS1', undefined],
    ['USA|AS1', undefined],
  ])('country of %j is %j', (place, country) => {
    expect(countryOfPlace(place)).toBe(country);
  });
});

describe('describeLocation', () => {
  it.each<[Location, string]>([
    [{ kind: 'service', value: 'AWS Internal' }, 'AWS Internal (an AWS service acted; no client address)'],
    [{ kind: 'internal', ip: '10.0.0.1' }, '10.0.0.1 (a private or internal network)'],
    [{ kind: 'unknown', ip: '192.0.2.1', why: 'no country' }, '192.0.2.1: location unknown (no country)'],
    [{ kind: 'located', ip: '192.0.2.1', country: 'US' }, '192.0.2.1: US, network unknown'],
    [{ kind: 'located', ip: '192.0.2.1', country: 'US', asn: 15169 }, '192.0.2.1: US, AS15169'],
    [
      { kind: 'located', ip: '192.0.2.1', country: 'US', asn: 15169, asOrg: 'Google LLC' },
      '192.0.2.1: US, AS15169 (Google LLC)',
    ],
    [
      { kind: 'located', ip: '192.0.2.1', country: 'US', asOrg: 'Google LLC' },
      '192.0.2.1: US, network unknown (Google LLC)',
    ],
  ])('%o', (loc, text) => {
    expect(describeLocation(loc)).toBe(text);
  });
});

describe('anonymiser lists, edges', () => {
  it('reads Windows line ends and Tor lines spaced by several blanks', () => {
    const parsed = parseAnonymiserList(
      '192.0.2.1\r\nExitAddress 192.0.2.2 2026-01-01 00:00:00\r\nExitAddress   192.0.2.3\r\n',
      'l',
    );
    expect(parsed.ok && parsed.entries.map((c) => c.text)).toEqual(['192.0.2.1', '192.0.2.2', '192.0.2.3']);
  });

  it('skips lines of blanks only, and blanks around a comment', () => {
    const parsed = parseAnonymiserList('192.0.2.1\n   \n\t\n  # note  \n203.0.113.0/25   # vpn\n', 'l');
    expect(parsed.ok && parsed.entries.map((c) => c.text)).toEqual(['192.0.2.1', '203.0.113.0/25']);
  });

  it('names the file of an empty list, and at most ten bad lines', () => {
    expect(parseAnonymiserList('\n# only comments\n', 'vpn.txt')).toEqual({
      ok: false,
      errors: ['vpn.txt: the list holds no address'],
    });
    const bad = parseAnonymiserList(Array.from({ length: 12 }, (_, i) => `host-${i}`).join('\n'), 'vpn.txt');
    expect(bad.ok ? [] : bad.errors).toHaveLength(10);
    expect(bad.ok ? [] : bad.errors.at(-1)).toBe('vpn.txt:10: not an IP address or CIDR: "host-9"');
  });

  it('keeps what the list is and how big', () => {
    const list = listOf('192.0.2.1\n203.0.113.0/24\n2001:db8::1\n');
    expect([list.name, list.source, list.loadedAtMs, list.size]).toEqual(['vpn', 's3://intel/vpn.txt', 42, 3]);
  });

  it('an exact address answers before a range covering it, whatever the order', () => {
    expect(listOf('203.0.113.0/24\n203.0.113.5\n').match('203.0.113.5')).toBe('203.0.113.5');
    expect(listOf('203.0.113.0/24\n203.0.113.5\n').match('203.0.113.6')).toBe('203.0.113.0/24');
  });

  it('an exact entry matches only its own address family', () => {
    const list = listOf('::a00:1\n10.0.0.2\n');
    expect(list.match('::a00:1')).toBe('::a00:1');
    expect(list.match('10.0.0.1')).toBeUndefined();
    expect(list.match('::a00:2')).toBeUndefined();
    expect(list.match('10.0.0.2')).toBe('10.0.0.2');
  });
});
