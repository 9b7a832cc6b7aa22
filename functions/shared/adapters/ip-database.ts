import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
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

const NEWLINE = 0x0a;
const COMMA = 0x2c;

/** A file's bytes in pieces of whole lines (the last may end without a newline at the end of the file). */
type Lines = () => Iterable<Buffer>;

/** Bytes read at a time from an ASN table: the buffer every piece is read into, reused to the end. */
export const ASN_READ_BYTES = 1024 * 1024;

/**
 * The file's lines through one buffer of `chunkBytes` (grown only for a longer line), each piece a view of it that is
 * valid until the next is asked for. The tables are 9 and 21 MB: read whole, each file was a buffer outside the heap
 * that, dead after loading, waited for a full collection (which an idle main thread of a scan with workers may not
 * run for minutes) and counted in the scan's peak RSS.
 */
const linesOfFile = (path: string, chunkBytes: number): Lines =>
  function* () {
    const fd = openSync(path, 'r');
    try {
      let buf = Buffer.allocUnsafe(chunkBytes);
      let have = 0;
      for (;;) {
        if (have === buf.length) {
          const bigger = Buffer.allocUnsafe(buf.length * 2);
          buf.copy(bigger, 0, 0, have);
          buf = bigger;
        }
        const n = readSync(fd, buf, have, buf.length - have, null);
        if (n === 0) {
          if (have > 0) yield buf.subarray(0, have);
          return;
        }
        have += n;
        const end = buf.lastIndexOf(NEWLINE, have - 1);
        if (end < 0) continue;
        yield buf.subarray(0, end + 1);
        buf.copyWithin(0, end + 1, have);
        have -= end + 1;
      }
    } finally {
      closeSync(fd);
    }
  };

/**
 * The rows of a `start,end,asn,org` file (org may be quoted: `"Cloudflare, Inc."`, with `""` for a quote), read
 * from its bytes line by line. Never the whole file as one string: that string (20 MB for IPv4), the array of its
 * lines and every org name sliced from it (which would keep it alive for good) cost the scan over 100 MB of peak
 * memory. Each field is decoded on its own; `org` only when asked (once per AS).
 */
const eachRow = (
  lines: Lines,
  file: string,
  row: (start: string, end: string, asn: string, org: () => string, line: number) => void,
): void => {
  let line = 0;
  for (const buf of lines()) line = rowsOf(buf, file, line, row);
};

/** The rows of one piece of whole lines, numbered after line `before`; returns the number of its last line. */
const rowsOf = (
  buf: Buffer,
  file: string,
  before: number,
  row: (start: string, end: string, asn: string, org: () => string, line: number) => void,
): number => {
  let line = before;
  for (let at = 0; at < buf.length; ) {
    let eol = buf.indexOf(NEWLINE, at);
    if (eol < 0) eol = buf.length;
    line++;
    if (eol > at) {
      const a = buf.indexOf(COMMA, at);
      const b = a < 0 || a >= eol ? -1 : buf.indexOf(COMMA, a + 1);
      const c = b < 0 || b >= eol ? -1 : buf.indexOf(COMMA, b + 1);
      if (c < 0 || c >= eol) throw new Error(`${file}:${line}: not start,end,asn,org`);
      const orgFrom = c + 1;
      row(
        buf.toString('utf8', at, a),
        buf.toString('utf8', a + 1, b),
        buf.toString('utf8', b + 1, c),
        () => {
          const org = buf.toString('utf8', orgFrom, eol);
          return org.startsWith('"') && org.endsWith('"') ? org.slice(1, -1).replace(/""/g, '"') : org;
        },
        line,
      );
    }
    at = eol + 1;
  }
  return line;
};

/** Lines in the file, an upper bound on its rows. */
const lineCount = (lines: Lines): number => {
  let n = 1;
  for (const buf of lines()) for (let i = buf.indexOf(NEWLINE); i >= 0; i = buf.indexOf(NEWLINE, i + 1)) n++;
  return n;
};

const readAsnV4 = (buf: Lines, orgs: Map<number, string>, file: string): AsnTable<number> => {
  const size = lineCount(buf);
  const starts = new Uint32Array(size);
  const ends = new Uint32Array(size);
  const asns = new Uint32Array(size);
  let n = 0;
  eachRow(buf, file, (first, last, as, org, line) => {
    const start = Number(first);
    const end = Number(last);
    const asn = Number(as);
    if (!Number.isInteger(start) || !Number.isInteger(end) || !Number.isInteger(asn))
      throw new Error(`${file}:${line}: not start,end,asn,org`);
    starts[n] = start;
    ends[n] = end;
    asns[n] = asn;
    if (!orgs.has(asn)) orgs.set(asn, org());
    n++;
  });
  // Copies, so the tables hold no slack past the rows.
  return { starts: starts.slice(0, n), ends: ends.slice(0, n), asns: asns.slice(0, n) };
};

/**
 * IPv6 by the top 64 bits of each address: routed IPv6 prefixes are /64 or shorter (announcements longer than /48
 * are filtered on the internet), so the upper half decides the network and fits a BigUint64Array.
 */
const readAsnV6 = (buf: Lines, orgs: Map<number, string>, file: string): AsnTable<bigint> => {
  const size = lineCount(buf);
  const starts = new BigUint64Array(size);
  const ends = new BigUint64Array(size);
  const asns = new Uint32Array(size);
  let n = 0;
  eachRow(buf, file, (first, last, as, org, line) => {
    const start = parseIp(first);
    const end = parseIp(last);
    const asn = Number(as);
    if (start?.version !== 6 || end?.version !== 6 || !Number.isInteger(asn))
      throw new Error(`${file}:${line}: not start,end,asn,org`);
    starts[n] = start.value >> 64n;
    ends[n] = end.value >> 64n;
    asns[n] = asn;
    if (!orgs.has(asn)) orgs.set(asn, org());
    n++;
  });
  return { starts: starts.slice(0, n), ends: ends.slice(0, n), asns: asns.slice(0, n) };
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
  /** Reads a file whole (tests count the reads); default: the ASN tables piece by piece, the country file whole. */
  readonly read?: (path: string) => Buffer;
  /** Bytes read at a time from an ASN table when `read` is not given (default {@link ASN_READ_BYTES}). */
  readonly chunkBytes?: number;
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
  const injected = options.read;
  const read = injected ?? ((path: string) => readFileSync(path));
  const lines = (path: string): Lines => {
    if (injected === undefined) return linesOfFile(path, options.chunkBytes ?? ASN_READ_BYTES);
    const whole = injected(path);
    return () => [whole];
  };
  let db: Loaded | undefined;
  const open = (): Loaded => {
    if (db !== undefined) return db;
    const files = typeof where === 'function' ? where() : where;
    const orgs = new Map<number, string>();
    const load = <T>(path: string, parse: (path: string) => T): T => {
      try {
        return parse(path);
      } catch (err) {
        throw new Error(`IP database ${path} unreadable: ${err instanceof Error ? err.message : String(err)}`);
      }
    };
    db = {
      country: load(files.country, (path) => new Reader<Response>(read(path))),
      v4: load(files.asnV4, (path) => readAsnV4(lines(path), orgs, path)),
      v6: load(files.asnV6, (path) => readAsnV6(lines(path), orgs, path)),
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
