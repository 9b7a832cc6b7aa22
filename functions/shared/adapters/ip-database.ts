import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Response } from 'mmdb-lib';
import { Reader } from 'mmdb-lib';
import type { GeoInfo, GeoLookup } from '../../../rules/core/geo.ts';
import { addressScope, parseIp } from '../../../rules/core/ip.ts';

/**
 * The IP database files, by name. Country: ip-location-db's geo-whois-asn-country MMDB (npm
 * `@ip-location-db/geo-whois-asn-country-mmdb`, package licence CC0-1.0, built from RIR data the NRO publishes under
 * CC BY 4.0). Network: ip-location-db's ASN tables (npm `@ip-location-db/asn`, CC BY 4.0 by RouteViews, DB-IP and
 * the NRO), published as CSV only (no MMDB of them is on npm), read into sorted arrays on first use.
 */
export const GEO_FILES = {
  country: 'geo-whois-asn-country.mmdb',
  asnV4: 'asn-ipv4-num.csv',
  asnV6: 'asn-ipv6.csv',
} as const;

export const GEO_SOURCE =
  'ip-location-db geo-whois-asn-country (CC0-1.0; RIR data by the NRO, CC BY 4.0) and asn (CC BY 4.0: RouteViews, DB-IP, NRO)';

export interface GeoFiles {
  readonly country: string;
  readonly asnV4: string;
  readonly asnV6: string;
}

/** The files beside the Lambda's `index.mjs` (copied there by the bundling, see infra `GEO_ASSET_FILES`). */
export const geoFilesIn = (dir: string): GeoFiles => ({
  country: join(dir, GEO_FILES.country),
  asnV4: join(dir, GEO_FILES.asnV4),
  asnV6: join(dir, GEO_FILES.asnV6),
});

/**
 * The evaluate function's files: beside its module (`index.mjs` in the Lambda package), or, run from the
 * repository (tests, the bench), the npm files. Decided on the first lookup, not at cold start.
 */
export const shippedGeoFiles =
  (moduleUrl: string): (() => GeoFiles) =>
  () => {
    const beside = geoFilesIn(dirname(fileURLToPath(moduleUrl)));
    return existsSync(beside.country) ? beside : npmGeoFiles();
  };

/** The files as npm installed them: what the CLI reads and what infra copies beside the bundle. */
export const npmGeoFiles = (): GeoFiles => {
  const require = createRequire(import.meta.url);
  const dirOf = (pkg: string) => dirname(require.resolve(`${pkg}/package.json`));
  const country = dirOf('@ip-location-db/geo-whois-asn-country-mmdb');
  const asn = dirOf('@ip-location-db/asn');
  return {
    country: join(country, GEO_FILES.country),
    asnV4: join(asn, GEO_FILES.asnV4),
    asnV6: join(asn, GEO_FILES.asnV6),
  };
};

/** Sorted, non-overlapping ranges and their AS; `orgs` by AS number (names repeat across ranges). */
interface AsnTable<N> {
  readonly starts: ArrayLike<N>;
  readonly ends: ArrayLike<N>;
  readonly asns: Uint32Array;
}

/** `start,end,asn,org` where org may be quoted (`"Cloudflare, Inc."`, with `""` for a quote). */
const splitRow = (line: string): [string, string, string, string] | undefined => {
  const a = line.indexOf(',');
  const b = line.indexOf(',', a + 1);
  const c = line.indexOf(',', b + 1);
  if (a < 0 || b < 0 || c < 0) return undefined;
  let org = line.slice(c + 1);
  if (org.startsWith('"') && org.endsWith('"')) org = org.slice(1, -1).replace(/""/g, '"');
  return [line.slice(0, a), line.slice(a + 1, b), line.slice(b + 1, c), org];
};

const readAsnV4 = (text: string, orgs: Map<number, string>, file: string): AsnTable<number> => {
  const lines = text.split('\n');
  const starts = new Uint32Array(lines.length);
  const ends = new Uint32Array(lines.length);
  const asns = new Uint32Array(lines.length);
  let n = 0;
  for (const [i, line] of lines.entries()) {
    if (line === '') continue;
    const row = splitRow(line);
    const start = Number(row?.[0]);
    const end = Number(row?.[1]);
    const asn = Number(row?.[2]);
    if (row === undefined || !Number.isInteger(start) || !Number.isInteger(end) || !Number.isInteger(asn))
      throw new Error(`${file}:${i + 1}: not start,end,asn,org`);
    starts[n] = start;
    ends[n] = end;
    asns[n] = asn;
    if (!orgs.has(asn)) orgs.set(asn, row[3]);
    n++;
  }
  return { starts: starts.subarray(0, n), ends: ends.subarray(0, n), asns: asns.subarray(0, n) };
};

/**
 * IPv6 by the top 64 bits of each address: routed IPv6 prefixes are /64 or shorter (announcements longer than /48
 * are filtered on the internet), so the upper half decides the network and fits a BigUint64Array.
 */
const readAsnV6 = (text: string, orgs: Map<number, string>, file: string): AsnTable<bigint> => {
  const lines = text.split('\n');
  const starts = new BigUint64Array(lines.length);
  const ends = new BigUint64Array(lines.length);
  const asns = new Uint32Array(lines.length);
  let n = 0;
  for (const [i, line] of lines.entries()) {
    if (line === '') continue;
    const row = splitRow(line);
    const start = parseIp(row?.[0]);
    const end = parseIp(row?.[1]);
    const asn = Number(row?.[2]);
    if (row === undefined || start?.version !== 6 || end?.version !== 6 || !Number.isInteger(asn))
      throw new Error(`${file}:${i + 1}: not start,end,asn,org`);
    starts[n] = start.value >> 64n;
    ends[n] = end.value >> 64n;
    asns[n] = asn;
    if (!orgs.has(asn)) orgs.set(asn, row[3]);
    n++;
  }
  return { starts: starts.subarray(0, n), ends: ends.subarray(0, n), asns: asns.subarray(0, n) };
};

/** The last range starting at or before `v`, if it also ends at or after it. */
const find = <N extends number | bigint>(table: AsnTable<N>, v: N): number | undefined => {
  let lo = 0;
  let hi = table.starts.length - 1;
  let best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((table.starts[mid] as N) <= v) {
      best = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (best < 0 || (table.ends[best] as N) < v) return undefined;
  const asn = table.asns[best];
  // AS 0 is "not routed" (RFC 7607), not a network anyone signs in from.
  return asn === 0 ? undefined : asn;
};

interface Loaded {
  readonly country: Reader<Response>;
  readonly v4: AsnTable<number>;
  readonly v6: AsnTable<bigint>;
  readonly orgs: ReadonlyMap<number, string>;
}

export interface FileGeoLookupOptions {
  /** Reads a file (tests count the reads); default `fs.readFileSync`. */
  readonly read?: (path: string) => Buffer;
}

/**
 * The IP database from files. Nothing is read until the first lookup (cold starts that see no sign-in never pay
 * for it); after that every lookup is in memory. A missing or corrupt file throws on every lookup, naming the file:
 * the rules asking then fail loudly (rule errors, retries) instead of treating every address as unplaceable.
 * Private and special-purpose addresses are never looked up: no database knows a country for them, and the npm
 * data places some documentation blocks anyway.
 */
export const createFileGeoLookup = (
  where: GeoFiles | (() => GeoFiles),
  options: FileGeoLookupOptions = {},
): GeoLookup & {
  readonly loaded: () => boolean;
} => {
  const read = options.read ?? ((path: string) => readFileSync(path));
  let db: Loaded | undefined;
  const open = (): Loaded => {
    if (db !== undefined) return db;
    const files = typeof where === 'function' ? where() : where;
    const orgs = new Map<number, string>();
    const load = <T>(path: string, parse: (buf: Buffer) => T): T => {
      try {
        return parse(read(path));
      } catch (err) {
        throw new Error(`IP database ${path} unreadable: ${err instanceof Error ? err.message : String(err)}`);
      }
    };
    db = {
      country: load(files.country, (buf) => new Reader<Response>(buf)),
      v4: load(files.asnV4, (buf) => readAsnV4(buf.toString('utf8'), orgs, files.asnV4)),
      v6: load(files.asnV6, (buf) => readAsnV6(buf.toString('utf8'), orgs, files.asnV6)),
      orgs,
    };
    return db;
  };
  return {
    source: GEO_SOURCE,
    loaded: () => db !== undefined,
    lookup: (ip) => {
      const parsed = parseIp(ip);
      if (parsed === undefined || addressScope(parsed) !== 'public') return undefined;
      const d = open();
      // mmdb-lib wants the address in its own spelling; an IPv4-mapped IPv6 is looked up as IPv4.
      const text =
        parsed.version === 4 ? [24, 16, 8, 0].map((shift) => (parsed.value >>> shift) & 255).join('.') : ip.trim();
      // ip-location-db's records are `{country_code}`, not MaxMind's shape: read the field, whatever the type says.
      const record: unknown = d.country.get(text);
      const country =
        typeof record === 'object' && record !== null ? (record as { country_code?: unknown }).country_code : undefined;
      const asn = parsed.version === 4 ? find(d.v4, parsed.value) : find(d.v6, parsed.value >> 64n);
      const asOrg = asn === undefined ? undefined : d.orgs.get(asn);
      const info: GeoInfo = {
        ...(typeof country === 'string' ? { country } : {}),
        ...(asn === undefined ? {} : { asn }),
        ...(asOrg === undefined || asOrg === '' ? {} : { asOrg }),
      };
      return Object.keys(info).length === 0 ? undefined : info;
    },
  };
};
