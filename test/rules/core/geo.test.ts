import { describe, expect, it } from 'vitest';
import { cachedAnonymiserList } from '../../../functions/shared/adapters/anonymiser-list.ts';
import { parseDetectionConfig } from '../../../rules/core/config.ts';
import { createAnonymiserList, locate, parseAnonymiserList, placeOf } from '../../../rules/core/geo.ts';
import { addressScope, parseCidr, parseIp } from '../../../rules/core/ip.ts';
import { fakeGeo } from '../../../rules/fixtures/geo.ts';

describe('addresses', () => {
  it.each([
    ['192.0.2.1', 4],
    ['2001:db8::1', 6],
    ['::ffff:192.0.2.1', 4],
    ['1:2:3:4:5:6:7:8', 6],
  ])('%s parses as IPv%i', (ip, version) => expect(parseIp(ip)?.version).toBe(version));

  it.each([
    'AWS Internal',
    'signin.amazonaws.com',
    '256.1.1.1',
    '1.2.3',
    '1::2::3',
    'fe80::1%eth0',
    '',
    '1:2:3:4:5:6:7:8:9',
  ])('%j is not an address', (s) => expect(parseIp(s)).toBeUndefined());

  it.each([
    ['10.9.8.7', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['100.64.0.1', 'private'],
    ['fd12:3456::1', 'private'],
    ['198.51.100.23', 'reserved'],
    ['2001:db8:1::1', 'reserved'],
    ['8.8.8.8', 'public'],
  ])('%s is %s', (ip, scope) => {
    const parsed = parseIp(ip);
    expect(parsed && addressScope(parsed)).toBe(scope);
  });

  it('CIDRs ignore host bits and reject nonsense', () => {
    expect(parseCidr('203.0.113.77/25')?.first).toBe(BigInt(parseIp('203.0.113.0')?.value ?? -1));
    expect(parseCidr('203.0.113.0/33')).toBeUndefined();
    expect(parseCidr('203.0.113.0/8/1')).toBeUndefined();
  });
});

describe('locate', () => {
  const geo = fakeGeo({ '198.51.100.23': { country: 'br', asn: 64500 }, '198.51.100.24': { asn: 64500 } });
  it.each([
    [undefined, 'unknown'],
    ['AWS Internal', 'service'],
    ['signin.amazonaws.com', 'service'],
    ['10.20.30.40', 'internal'],
    ['garbage', 'unknown'],
    ['198.51.100.24', 'unknown'],
    ['203.0.113.1', 'unknown'],
    ['198.51.100.23', 'located'],
  ])('%s → %s', (ip, kind) => expect(locate(ip, geo).kind).toBe(kind));

  it('remembers country and network, upper-cased; unknown places teach nothing', () => {
    expect(placeOf(locate('198.51.100.23', geo))).toBe('BR|AS64500');
    expect(placeOf(locate('10.20.30.40', geo))).toBe('internal');
    expect(placeOf(locate('203.0.113.1', geo))).toBeUndefined();
    expect(placeOf(locate('AWS Internal', geo))).toBeUndefined();
  });
});

describe('anonymiser lists', () => {
  it('reads addresses, CIDRs and the Tor exit-list format; matches what they cover', () => {
    const parsed = parseAnonymiserList(
      '# c\nExitAddress 192.0.2.7 2026-01-01 00:00:00\n\n203.0.113.0/25 # vpn\n2001:db8:7::/48\n',
      'l',
    );
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const list = createAnonymiserList({ name: 'n', source: 'file:l', loadedAtMs: 0 }, parsed.entries);
    expect(list.match('192.0.2.7')).toBe('192.0.2.7');
    expect(list.match('203.0.113.127')).toBe('203.0.113.0/25');
    expect(list.match('203.0.113.128')).toBeUndefined();
    expect(list.match('2001:db8:7:ffff::1')).toBe('2001:db8:7::/48');
    expect(list.match('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(list.match('AWS Internal')).toBeUndefined();
  });

  it('refuses the whole list on a bad line, naming it; and an empty list', () => {
    expect(parseAnonymiserList('192.0.2.1\nexample.com\n', 'tor.txt')).toEqual({
      ok: false,
      errors: ['tor.txt:2: not an IP address or CIDR: "example.com"'],
    });
    expect(parseAnonymiserList('# nothing\n', 'x').ok).toBe(false);
  });

  it('caches for the TTL, serves the last good copy when a refresh fails, throws with none', async () => {
    let now = 0;
    let text: string | Error = '192.0.2.1\n';
    let reads = 0;
    const stale: string[] = [];
    const source = cachedAnonymiserList(
      { source: 's3://b/k', name: 'tor', ttlMinutes: 10 },
      {
        now: () => now,
        fetch: async () => {
          reads++;
          if (text instanceof Error) throw text;
          return text;
        },
        onStale: (error) => stale.push(error),
      },
    );
    const [a, b] = await Promise.all([source.load(), source.load()]);
    expect(reads).toBe(1);
    expect(a).toBe(b);
    now = 9 * 60_000;
    await source.load();
    expect(reads).toBe(1);
    now = 11 * 60_000;
    text = '192.0.2.2\n';
    expect((await source.load()).match('192.0.2.2')).toBe('192.0.2.2');
    expect(reads).toBe(2);
    now = 30 * 60_000;
    text = new Error('AccessDenied');
    const kept = await source.load();
    expect(kept.match('192.0.2.2')).toBe('192.0.2.2');
    expect(stale).toEqual(['AccessDenied']);
    const empty = cachedAnonymiserList({ source: 's3://b/k', name: 'tor' }, { fetch: async () => 'not an address\n' });
    await expect(empty.load()).rejects.toThrow('s3://b/k:1');
  });

  it('config: source, name and TTL validated with their paths', () => {
    const bad = parseDetectionConfig({ anonymisers: { source: 'http://x', name: '', ttlMinutes: 0, extra: 1 } });
    expect(bad.ok ? [] : bad.errors).toEqual([
      'detection.anonymisers.extra: unknown key',
      'detection.anonymisers.source: must be file:PATH or s3://bucket/key (got "http://x")',
      'detection.anonymisers.name: must name the list (e.g. tor-exits), for the findings',
      'detection.anonymisers.ttlMinutes: must be a whole number of minutes from 1 to 1440 (got 0)',
    ]);
    const good = parseDetectionConfig({ anonymisers: { source: 's3://intel-bucket/tor/exits.txt', name: 'tor' } });
    expect(good.ok && good.config.anonymisers).toEqual({ source: 's3://intel-bucket/tor/exits.txt', name: 'tor' });
  });
});
