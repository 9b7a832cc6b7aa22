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
  countryV4: 'geo-whois-asn-country-ipv4.mmdb',
  asnV4: 'asn-ipv4-num.csv',
  countryV6: 'geo-whois-asn-country-ipv6.mmdb',
  asnV6: 'asn-ipv6.csv',
} as const;

export const GEO_SOURCE =
  'ip-location-db geo-whois-asn-country (CC0-1.0; RIR data by the NRO, CC BY 4.0) and asn (CC BY 4.0: RouteViews, DB-IP, NRO)';

export interface GeoFiles {
  readonly countryV4: string;
  readonly asnV4: string;
  readonly countryV6: string;
  readonly asnV6: string;
}

/** The files beside the Lambda's `index.mjs` (copied there by the bundling, see infra `GEO_ASSET_FILES`). */
export const geoFilesIn = (dir: string): GeoFiles => ({
  countryV4: join(dir, GEO_FILES.countryV4),
  asnV4: join(dir, GEO_FILES.asnV4),
  countryV6: join(dir, GEO_FILES.countryV6),
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
    return existsSync(beside.countryV4) ? beside : npmGeoFiles();
  };

/** The files as npm installed them: what the CLI reads and what infra copies beside the bundle. */
export const npmGeoFiles = (): GeoFiles => {
  const require = createRequire(import.meta.url);
  const dirOf = (pkg: string) => dirname(require.resolve(`${pkg}/package.json`));
  const country = dirOf('@ip-location-db/geo-whois-asn-country-mmdb');
  const asn = dirOf('@ip-location-db/asn');
  return {
    countryV4: join(country, GEO_FILES.countryV4),
    asnV4: join(asn, GEO_FILES.asnV4),
    countryV6: join(country, GEO_FILES.countryV6),
    asnV6: join(asn, GEO_FILES.asnV6),
  };
};

/** Sorted, non-overlapping ranges and their AS; `orgs` by AS number (names repeat across ranges). */
interface AsnTable<N> {
  readonly starts: ArrayLike<N>;
  readonly ends: ArrayLike<N>;
  readonly asns: Uint32Array;
  readonly orgs: OrgNames;
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
 * One row, given as where its fields lie in a piece of lines: `start`, `end` and `asn` are the bytes before the
 * first, second and third comma (`a`, `b`, `c`), `org` the rest of the line up to `eol`. Offsets, not strings or an
 * object per row: a table of 400,000 rows read as strings left some 20 MB of garbage that grew the heap for good
 * (V8 keeps a young generation it has grown) on the thread that asked.
 */
type Row = (buf: Buffer, at: number, a: number, b: number, c: number, eol: number, line: number) => void;

/** The rows of a `start,end,asn,org` file (org may be quoted: `"Cloudflare, Inc."`, with `""` for a quote). */
const eachRow = (lines: Lines, file: string, row: Row): void => {
  let line = 0;
  for (const buf of lines()) line = rowsOf(buf, file, line, row);
};

/** The rows of one piece of whole lines, numbered after line `before`; returns the number of its last line. */
const rowsOf = (buf: Buffer, file: string, before: number, row: Row): number => {
  let line = before;
  for (let at = 0; at < buf.length; ) {
    let eol = buf.indexOf(NEWLINE, at);
    if (eol < 0) eol = buf.length;
    line++;
    if (eol > at) {
      const a = buf.indexOf(COMMA, at);
      const b = a < 0 || a >= eol ? -1 : buf.indexOf(COMMA, a + 1);
      const c = b < 0 || b >= eol ? -1 : buf.indexOf(COMMA, b + 1);
      if (c < 0 || c >= eol) throw notARow(file, line);
      row(buf, at, a, b, c, eol, line);
    }
    at = eol + 1;
  }
  return line;
};

const notARow = (file: string, line: number): Error => new Error(`${file}:${line}: not start,end,asn,org`);

/** The decimal number spelt by `buf[from, to)`, or NaN unless it is 1 to 10 digits and fits 32 bits. */
export const uint32At = (buf: Buffer, from: number, to: number): number => {
  if (to <= from || to - from > 10) return Number.NaN;
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = (buf[i] as number) - 0x30;
    if (d < 0 || d > 9) return Number.NaN;
    n = n * 10 + d;
  }
  return n > 0xffffffff ? Number.NaN : n;
};

/**
 * The organisation of each AS, as the bytes of its first row (quoted or not), decoded only when a lookup asks:
 * 91,000 names kept as strings in a Map cost some 7 MB of heap; here they are one buffer and two arrays.
 */
interface OrgNames {
  /** AS numbers, ascending. */
  readonly asns: Uint32Array;
  /** Where each AS's name starts in `bytes`; the next entry is where it ends. */
  readonly offsets: Uint32Array;
  readonly bytes: Buffer;
}

/** Collects each AS's first org name while a table is read. */
const orgCollector = () => {
  const seen = new Set<number>();
  const asns: number[] = [];
  const starts: number[] = [];
  let bytes = Buffer.allocUnsafe(1024 * 1024);
  let used = 0;
  return {
    /** The org of `buf[from, to)` for `asn`, unless the AS already has one. */
    add: (asn: number, buf: Buffer, from: number, to: number): void => {
      if (seen.has(asn)) return;
      seen.add(asn);
      const length = to - from;
      if (used + length > bytes.length) {
        const bigger = Buffer.allocUnsafe(Math.max(bytes.length * 2, used + length));
        bytes.copy(bigger, 0, 0, used);
        bytes = bigger;
      }
      buf.copy(bytes, used, from, to);
      asns.push(asn);
      starts.push(used);
      used += length;
    },
    done: (): OrgNames => {
      const order = asns.map((_, i) => i).sort((x, y) => (asns[x] as number) - (asns[y] as number));
      const sorted = new Uint32Array(order.length);
      const offsets = new Uint32Array(order.length + 1);
      const packed = Buffer.allocUnsafe(used);
      let at = 0;
      order.forEach((i, k) => {
        const from = starts[i] as number;
        const to = i + 1 < starts.length ? (starts[i + 1] as number) : used;
        sorted[k] = asns[i] as number;
        offsets[k] = at;
        at += bytes.copy(packed, at, from, to);
      });
      offsets[order.length] = at;
      return { asns: sorted, offsets, bytes: packed };
    },
  };
};

/** The org name of `asn`, unquoted, if the table named one. */
const orgOf = (orgs: OrgNames, asn: number): string | undefined => {
  let lo = 0;
  let hi = orgs.asns.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = orgs.asns[mid] as number;
    if (v === asn) {
      const org = orgs.bytes.toString('utf8', orgs.offsets[mid], orgs.offsets[mid + 1]);
      return org.startsWith('"') && org.endsWith('"') ? org.slice(1, -1).replace(/""/g, '"') : org;
    }
    if (v < asn) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
};

/** Lines in the file, an upper bound on its rows. */
const lineCount = (lines: Lines): number => {
  let n = 1;
  for (const buf of lines()) for (let i = buf.indexOf(NEWLINE); i >= 0; i = buf.indexOf(NEWLINE, i + 1)) n++;
  return n;
};

/** The IPv4 table (`asn-ipv4-num.csv`: addresses as 32-bit numbers), read with no string per row. */
const readAsnV4 = (buf: Lines, file: string): AsnTable<number> => {
  const size = lineCount(buf);
  const starts = new Uint32Array(size);
  const ends = new Uint32Array(size);
  const asns = new Uint32Array(size);
  const orgs = orgCollector();
  let n = 0;
  eachRow(buf, file, (b, at, c1, c2, c3, eol, line) => {
    const start = uint32At(b, at, c1);
    const end = uint32At(b, c1 + 1, c2);
    const asn = uint32At(b, c2 + 1, c3);
    if (Number.isNaN(start) || Number.isNaN(end) || Number.isNaN(asn)) throw notARow(file, line);
    starts[n] = start;
    ends[n] = end;
    asns[n] = asn;
    orgs.add(asn, b, c3 + 1, eol);
    n++;
  });
  // Views, not copies: the slack is the file's blank lines, and a copy would leave the first arrays to a full GC.
  return { starts: starts.subarray(0, n), ends: ends.subarray(0, n), asns: asns.subarray(0, n), orgs: orgs.done() };
};

/**
 * IPv6 by the top 64 bits of each address: routed IPv6 prefixes are /64 or shorter (announcements longer than /48
 * are filtered on the internet), so the upper half decides the network and fits a BigUint64Array.
 */
const readAsnV6 = (buf: Lines, file: string): AsnTable<bigint> => {
  const size = lineCount(buf);
  const starts = new BigUint64Array(size);
  const ends = new BigUint64Array(size);
  const asns = new Uint32Array(size);
  const orgs = orgCollector();
  let n = 0;
  eachRow(buf, file, (b, at, c1, c2, c3, eol, line) => {
    const start = parseIp(b.toString('latin1', at, c1));
    const end = parseIp(b.toString('latin1', c1 + 1, c2));
    const asn = uint32At(b, c2 + 1, c3);
    if (start?.version !== 6 || end?.version !== 6 || Number.isNaN(asn)) throw notARow(file, line);
    starts[n] = start.value >> 64n;
    ends[n] = end.value >> 64n;
    asns[n] = asn;
    orgs.add(asn, b, c3 + 1, eol);
    n++;
  });
  return { starts: starts.subarray(0, n), ends: ends.subarray(0, n), asns: asns.subarray(0, n), orgs: orgs.done() };
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

/** One address family's database: its country MMDB and its ASN table. */
interface Family<N extends number | bigint> {
  readonly country: Reader<Response>;
  readonly asn: AsnTable<N>;
}

export interface FileGeoLookupOptions {
  /** Reads a file whole (tests count the reads); default: the ASN tables piece by piece, the country files whole. */
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
  const load = <T>(path: string, parse: (path: string) => T): T => {
    try {
      return parse(path);
    } catch (err) {
      throw new Error(`IP database ${path} unreadable: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  /** A family's files, read on its first lookup and kept (a failed read is retried, and named, on every lookup). */
  const family = <N extends number | bigint>(
    files: (f: GeoFiles) => { readonly country: string; readonly asn: string },
    readAsn: (lines: Lines, file: string) => AsnTable<N>,
  ): (() => Family<N>) => {
    let loaded: Family<N> | undefined;
    return () => {
      if (loaded !== undefined) return loaded;
      const paths = files(typeof where === 'function' ? where() : where);
      loaded = {
        country: load(paths.country, (path) => new Reader<Response>(read(path))),
        asn: load(paths.asn, (path) => readAsn(lines(path), path)),
      };
      opened = true;
      return loaded;
    };
  };
  let opened = false;
  const openV4 = family((f) => ({ country: f.countryV4, asn: f.asnV4 }), readAsnV4);
  const openV6 = family((f) => ({ country: f.countryV6, asn: f.asnV6 }), readAsnV6);
  /** ip-location-db's records are `{country_code}`, not MaxMind's shape: read the field, whatever the type says. */
  const countryIn = (reader: Reader<Response>, text: string): string | undefined => {
    const record: unknown = reader.get(text);
    const code =
      typeof record === 'object' && record !== null ? (record as { country_code?: unknown }).country_code : undefined;
    return typeof code === 'string' ? code : undefined;
  };
  return {
    source: GEO_SOURCE,
    loaded: () => opened,
    lookup: (ip) => {
      const parsed = parseIp(ip);
      if (parsed === undefined || addressScope(parsed) !== 'public') return undefined;
      let country: string | undefined;
      let asn: number | undefined;
      let orgs: OrgNames;
      if (parsed.version === 4) {
        // mmdb-lib wants the address in its own spelling; an IPv4-mapped IPv6 is looked up as IPv4.
        const d = openV4();
        country = countryIn(d.country, [24, 16, 8, 0].map((shift) => (parsed.value >>> shift) & 255).join('.'));
        asn = find(d.asn, parsed.value);
        orgs = d.asn.orgs;
      } else {
        const d = openV6();
        country = countryIn(d.country, ip.trim());
        asn = find(d.asn, parsed.value >> 64n);
        orgs = d.asn.orgs;
      }
      const asOrg = asn === undefined ? undefined : orgOf(orgs, asn);
      const info: GeoInfo = {
        ...(country === undefined ? {} : { country }),
        ...(asn === undefined ? {} : { asn }),
        ...(asOrg === undefined || asOrg === '' ? {} : { asOrg }),
      };
      return Object.keys(info).length === 0 ? undefined : info;
    },
  };
};
