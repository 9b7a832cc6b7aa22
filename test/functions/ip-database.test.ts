import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Reader } from 'mmdb-lib';
import { describe, expect, it } from 'vitest';
import {
  createFileGeoLookup,
  GEO_FILES,
  geoFilesIn,
  npmGeoFiles,
  uint32At,
} from '../../functions/shared/adapters/ip-database.ts';

/**
 * The adapter against the real ip-location-db files from npm. The addresses are public resolvers whose holder has
 * not changed in a decade; the expected values are what the pinned database says (checked with the DB itself).
 */
describe('IP database adapter (ip-location-db from npm)', () => {
  const counting = () => {
    const reads: string[] = [];
    const geo = createFileGeoLookup(npmGeoFiles(), {
      read: (path) => {
        reads.push(path);
        return readFileSync(path);
      },
    });
    return { geo, reads };
  };
  const { geo, reads } = counting();

  it('opens nothing until the first lookup of a public address, then reads the files of its family once', () => {
    const fresh = counting();
    const names = () => fresh.reads.map((p) => p.split('/').at(-1));
    expect(fresh.geo.lookup('10.1.2.3')).toBeUndefined();
    expect(fresh.geo.lookup('::1')).toBeUndefined();
    expect(fresh.reads).toEqual([]);
    expect(fresh.geo.loaded()).toBe(false);
    expect(fresh.geo.lookup('8.8.8.8')?.country).toBe('US');
    expect(fresh.geo.lookup('9.9.9.9')).toBeDefined();
    expect(fresh.geo.lookup('::ffff:1.1.1.1')?.country).toBe('AU');
    // IPv4 only so far: the IPv6 half of the database is never read.
    expect(names()).toEqual([GEO_FILES.countryV4, GEO_FILES.asnV4]);
    expect(fresh.geo.loaded()).toBe(true);
    expect(fresh.geo.lookup('2001:4860:4860::8888')?.country).toBe('US');
    expect(fresh.geo.lookup('2606:4700:4700::1111')).toBeDefined();
    expect(names()).toEqual([GEO_FILES.countryV4, GEO_FILES.asnV4, GEO_FILES.countryV6, GEO_FILES.asnV6]);
  }, 60_000);

  it('answers as the combined country database of the same package, for addresses of both families', () => {
    const dir = npmGeoFiles().countryV4.replace(/\/[^/]+$/, '');
    const combined = new Reader(readFileSync(join(dir, 'geo-whois-asn-country.mmdb')));
    const codeOf = (ip: string): unknown => (combined.get(ip) as { country_code?: unknown } | null)?.country_code;
    // A spread of public addresses: every /8 that is not special-purpose, and IPv6 across the global unicast range.
    const v4 = Array.from({ length: 223 }, (_, i) => `${i + 1}.${(i * 37) % 256}.${(i * 91) % 256}.7`).filter(
      (ip) => !/^(10|127|100|169|172|192|198|203)\./.test(ip),
    );
    const v6 = Array.from(
      { length: 64 },
      (_, i) => `2${(i * 97).toString(16).padStart(3, '0')}:${((i * 4099) % 65536).toString(16)}::1`,
    );
    let placed = 0;
    for (const ip of [...v4, ...v6]) {
      const expected = codeOf(ip);
      expect(geo.lookup(ip)?.country, ip).toBe(expected);
      if (expected !== undefined) placed++;
    }
    expect(placed).toBeGreaterThan(150);
  }, 60_000);

  it.each([
    ['8.8.8.8', { country: 'US', asn: 15169, asOrg: 'Google LLC' }],
    ['1.1.1.1', { country: 'AU', asn: 13335, asOrg: 'Cloudflare, Inc.' }],
    ['2001:4860:4860::8888', { country: 'US', asn: 15169, asOrg: 'Google LLC' }],
    ['2606:4700:4700::1111', { country: 'US', asn: 13335, asOrg: 'Cloudflare, Inc.' }],
    ['::ffff:8.8.8.8', { country: 'US', asn: 15169, asOrg: 'Google LLC' }],
    ['193.0.6.139', { country: 'NL', asn: 3333 }],
  ])(
    '%s → %o',
    (ip, expected) => {
      expect(geo.lookup(ip)).toMatchObject(expected);
    },
    60_000,
  );

  it('never places private or special-purpose addresses, even where the npm data does', () => {
    // The raw database puts the documentation block 198.51.100.0/24 in Australia: the adapter must not ask it.
    const raw = new Reader(readFileSync(npmGeoFiles().countryV4)).get('198.51.100.23') as {
      country_code?: string;
    } | null;
    expect(raw?.country_code).toBe('AU');
    for (const ip of ['198.51.100.23', '192.0.2.1', '203.0.113.9', '10.0.0.1', '100.64.1.1', 'fd00::1', '2001:db8::1'])
      expect(geo.lookup(ip), ip).toBeUndefined();
    expect(geo.lookup('AWS Internal')).toBeUndefined();
    expect(geo.lookup('not-an-ip')).toBeUndefined();
  });

  it('read every file once for all the lookups above', () => {
    expect(reads).toHaveLength(4);
  });

  it('a missing file fails every lookup, naming the file (rules then error and retry, never guess)', () => {
    const broken = createFileGeoLookup(geoFilesIn('/nonexistent-trailwarden-geo'));
    expect(() => broken.lookup('8.8.8.8')).toThrow(`/nonexistent-trailwarden-geo/${GEO_FILES.countryV4}`);
    expect(() => broken.lookup('2001:4860:4860::8888')).toThrow(`/nonexistent-trailwarden-geo/${GEO_FILES.countryV6}`);
    expect(() => broken.lookup('8.8.8.8')).toThrow(/unreadable/);
  });

  it('a corrupt ASN table is refused with its line', () => {
    const files = npmGeoFiles();
    const bad = createFileGeoLookup(files, {
      read: (path) =>
        path === files.asnV4 ? Buffer.from('16777216,16777471,13335,x\nnot,a,row\n') : readFileSync(path),
    });
    expect(() => bad.lookup('8.8.8.8')).toThrow(`${files.asnV4}:2`);
  }, 60_000);

  it('reads ASN rows from the bytes: quoted org names with commas and quotes, blank lines, a short line named', () => {
    const files = npmGeoFiles();
    // Sorted by start, as the files are.
    const v4 = [
      '',
      '16843008,16843263,13335,Cloudflare',
      '16843264,16843519,13335,"Not the first name of 13335"',
      '134744064,134744319,15169,"Google, ""LLC"""',
    ].join('\n');
    const geo = createFileGeoLookup(files, {
      read: (path) => (path === files.asnV4 ? Buffer.from(v4) : readFileSync(path)),
    });
    // 8.8.8.8 = 134744072 and 1.1.1.1 = 16843009; an AS keeps the org of its first row.
    expect(geo.lookup('8.8.8.8')).toMatchObject({ asn: 15169, asOrg: 'Google, "LLC"' });
    expect(geo.lookup('1.1.1.1')).toMatchObject({ asn: 13335, asOrg: 'Cloudflare' });
    const short = createFileGeoLookup(files, {
      read: (path) => (path === files.asnV4 ? Buffer.from(`${v4}\n\n1,2,3\n`) : readFileSync(path)),
    });
    expect(() => short.lookup('8.8.8.8')).toThrow(`${files.asnV4}:6: not start,end,asn,org`);
  }, 60_000);
});

describe('uint32At: decimal numbers read from bytes', () => {
  const at = (text: string) => uint32At(Buffer.from(`,${text},`), 1, text.length + 1);
  it.each([
    ['0', 0],
    ['7', 7],
    ['16777216', 16777216],
    ['4294967295', 4294967295],
    ['0000000042', 42],
  ])('%s → %d', (text, n) => {
    expect(at(text)).toBe(n);
  });
  it.each(['', '4294967296', '99999999999', '12a', '-1', ' 1', '1.5', '+1'])('%j is not a 32-bit number', (text) => {
    expect(at(text)).toBeNaN();
  });
});

describe('IP database adapter, ASN tables read piece by piece', () => {
  it('finds what a whole read finds, whatever the piece size (rows and lines across piece ends)', () => {
    const files = npmGeoFiles();
    const whole = createFileGeoLookup(files, { read: (path) => readFileSync(path) });
    const addresses = ['8.8.8.8', '1.1.1.1', '9.9.9.9', '208.67.222.222', '2001:4860:4860::8888', '2606:4700::1111'];
    // 7 bytes: shorter than any line, so every line spans pieces and the buffer grows; 1 MB: the default.
    for (const chunkBytes of [7, 4096, 1024 * 1024]) {
      const pieces = createFileGeoLookup(files, { chunkBytes });
      for (const ip of addresses)
        expect(pieces.lookup(ip), `${ip} in pieces of ${chunkBytes}`).toEqual(whole.lookup(ip));
    }
    expect(whole.lookup('8.8.8.8')).toEqual({ country: 'US', asn: 15169, asOrg: 'Google LLC' });
  }, 120_000);

  it('names the line of a bad row counted across pieces', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trailwarden-asn-'));
    const files = { ...npmGeoFiles(), asnV4: join(dir, GEO_FILES.asnV4) };
    writeFileSync(files.asnV4, '16843008,16843263,13335,Cloudflare\n\n134744064,134744319,15169,Google\nnot,a,row\n');
    expect(() => createFileGeoLookup(files, { chunkBytes: 5 }).lookup('8.8.8.8')).toThrow(`${files.asnV4}:4:`);
  }, 60_000);
});
