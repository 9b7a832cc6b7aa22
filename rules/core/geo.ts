import type { Cidr, ParsedIp } from './ip.ts';
import { addressScope, cidrContains, parseCidr, parseIp } from './ip.ts';

/**
 * Where an address is, as an IP database says: ISO 3166-1 alpha-2 country, autonomous system number and its
 * holder. Each part may be missing (a database knows the country but not the network, or the reverse).
 */
export interface GeoInfo {
  readonly country?: string;
  readonly asn?: number;
  readonly asOrg?: string;
}

/**
 * The IP database port. Synchronous and pure as far as rules can tell: adapters open their files on the first
 * lookup and answer from memory after. Undefined when the database has nothing for the address. An adapter that
 * cannot read its database throws: the rule's verdict is then an error (retried, counted), never a silent miss.
 */
export interface GeoLookup {
  lookup(ip: string): GeoInfo | undefined;
  /** What the data is and under which licence, for the finding's details. */
  readonly source: string;
}

/** One anonymiser list (Tor exit nodes, VPN ranges) as loaded: what it is called and where it came from. */
export interface AnonymiserList {
  readonly name: string;
  /** `file:PATH` or `s3://bucket/key`, as configured. */
  readonly source: string;
  /** When this copy was read (epoch ms): a stale copy says so in the finding. */
  readonly loadedAtMs: number;
  /** The entry (address or CIDR, as written) that covers `ip`, if any. */
  match(ip: string): string | undefined;
  readonly size: number;
}

/**
 * The list a rule sees: loaded, not configured, or configured but never loaded (the events are then retried, see
 * the detector's `intel` stage, and the rule says nothing rather than guess).
 */
export type AnonymiserView =
  | { readonly kind: 'loaded'; readonly list: AnonymiserList }
  | { readonly kind: 'unavailable'; readonly source: string; readonly error: string };

/** IP intelligence a rule may read besides the event and config (`RuleContext.geo`, `RuleContext.anonymisers`). */
export interface RuleIntel {
  readonly geo?: GeoLookup;
  readonly anonymisers?: AnonymiserView;
}

/** What the address of a sign-in says about where the person was. */
export type Location =
  /** A service name (`AWS Internal`, `signin.amazonaws.com`): an AWS front end acted, no client address. */
  | { readonly kind: 'service'; readonly value: string }
  /** The organisation's own network (private, carrier-grade NAT, loopback, link-local, unique-local). */
  | { readonly kind: 'internal'; readonly ip: string }
  /** An address, or what should have been one, that no database could place: the rule cannot say it is known. */
  | { readonly kind: 'unknown'; readonly ip: string; readonly why: string }
  | {
      readonly kind: 'located';
      readonly ip: string;
      readonly country: string;
      readonly asn?: number;
      readonly asOrg?: string;
    };

/** CloudTrail writes a service's name where an AWS front end made the call: `AWS Internal`, `x.amazonaws.com`. */
const SERVICE_NAME = /^(?:AWS Internal|[a-z0-9.-]+\.amazonaws\.com(?:\.cn)?)$/i;
const COUNTRY = /^[A-Z]{2}$/;

export const locate = (sourceIPAddress: string | undefined, geo: GeoLookup): Location => {
  if (sourceIPAddress === undefined || sourceIPAddress === '')
    return { kind: 'unknown', ip: '(none)', why: 'the record has no sourceIPAddress' };
  if (SERVICE_NAME.test(sourceIPAddress)) return { kind: 'service', value: sourceIPAddress };
  const parsed = parseIp(sourceIPAddress);
  if (parsed === undefined)
    return { kind: 'unknown', ip: sourceIPAddress, why: 'sourceIPAddress is neither an address nor an AWS service' };
  if (addressScope(parsed) === 'private') return { kind: 'internal', ip: sourceIPAddress };
  const info = geo.lookup(sourceIPAddress);
  const country = info?.country?.toUpperCase();
  if (country === undefined || !COUNTRY.test(country))
    return { kind: 'unknown', ip: sourceIPAddress, why: `no country for this address in ${geo.source}` };
  return {
    kind: 'located',
    ip: sourceIPAddress,
    country,
    ...(info?.asn === undefined ? {} : { asn: info.asn }),
    ...(info?.asOrg === undefined ? {} : { asOrg: info.asOrg }),
  };
};

/**
 * What a sign-in teaches the memory: `US|AS15169` (country and network), `US|AS?` when the network is unknown,
 * `internal` for the organisation's own network. Unknown locations and service names teach nothing.
 */
export const placeOf = (loc: Location): string | undefined => {
  if (loc.kind === 'internal') return 'internal';
  if (loc.kind !== 'located') return undefined;
  return `${loc.country}|AS${loc.asn ?? '?'}`;
};

export const countryOfPlace = (place: string): string | undefined => {
  const [country] = place.split('|');
  return country !== undefined && COUNTRY.test(country) ? country : undefined;
};

/** `US, AS15169 (Google LLC)`: a location for people. */
export const describeLocation = (loc: Location): string => {
  switch (loc.kind) {
    case 'service':
      return `${loc.value} (an AWS service acted; no client address)`;
    case 'internal':
      return `${loc.ip} (a private or internal network)`;
    case 'unknown':
      return `${loc.ip}: location unknown (${loc.why})`;
    case 'located':
      return `${loc.ip}: ${loc.country}, ${loc.asn === undefined ? 'network unknown' : `AS${loc.asn}`}${loc.asOrg === undefined ? '' : ` (${loc.asOrg})`}`;
  }
};

// ---------------------------------------------------------------------------------------------------------
// Anonymiser lists

export type AnonymiserParse =
  | { readonly ok: true; readonly entries: readonly Cidr[] }
  | { readonly ok: false; readonly errors: readonly string[] };

/**
 * One address or CIDR a line, `#` comments and blank lines ignored (the shape of the Tor Project's exit list and
 * of most VPN range exports). A line that is neither is an error naming the line: a half-read list would let an
 * attacker's range slip through unnoticed, so the whole list is refused.
 */
export const parseAnonymiserList = (text: string, where: string): AnonymiserParse => {
  const entries: Cidr[] = [];
  const errors: string[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') continue;
    // The Tor bulk exit list format is `ExitAddress 192.0.2.1 2026-01-01 00:00:00`: take the address.
    const token = line.startsWith('ExitAddress ') ? (line.split(/\s+/)[1] ?? '') : line;
    const cidr = parseCidr(token);
    if (cidr === undefined) errors.push(`${where}:${i + 1}: not an IP address or CIDR: ${JSON.stringify(raw)}`);
    else entries.push(cidr);
  }
  if (errors.length > 0) return { ok: false, errors: errors.slice(0, 10) };
  if (entries.length === 0) return { ok: false, errors: [`${where}: the list holds no address`] };
  return { ok: true, entries };
};

/** An in-memory list: exact IPv4 addresses by hash, the rest (ranges, IPv6) by a scan of the ranges. */
export const createAnonymiserList = (
  meta: { readonly name: string; readonly source: string; readonly loadedAtMs: number },
  entries: readonly Cidr[],
): AnonymiserList => {
  const exact = new Map<string, string>();
  const ranges: Cidr[] = [];
  for (const c of entries) {
    if (c.first === c.last) exact.set(`${c.version}:${c.first}`, c.text);
    else ranges.push(c);
  }
  return {
    ...meta,
    size: entries.length,
    match: (ip) => {
      const parsed: ParsedIp | undefined = parseIp(ip);
      if (parsed === undefined) return undefined;
      return (
        exact.get(`${parsed.version}:${BigInt(parsed.value)}`) ?? ranges.find((r) => cidrContains(r, parsed))?.text
      );
    },
  };
};
