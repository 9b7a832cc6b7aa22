/**
 * IP addresses as numbers, for range tests (anonymiser CIDRs, special-purpose blocks, the ASN table). Strict: what
 * is not a literal address (`AWS Internal`, `signin.amazonaws.com`, a zone id, a typo) is undefined, never guessed.
 */

export type ParsedIp =
  | { readonly version: 4; readonly value: number }
  /** IPv6 as a 128-bit unsigned integer; an IPv4-mapped address (`::ffff:192.0.2.1`) is turned into its IPv4 form. */
  | { readonly version: 6; readonly value: bigint };

const OCTET = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const HEX_GROUP = /^[0-9a-f]{1,4}$/i;

const parseV4 = (s: string): number | undefined => {
  const parts = s.split('.');
  if (parts.length !== 4 || !parts.every((p) => OCTET.test(p))) return undefined;
  // `>>> 0` keeps it an unsigned 32-bit number.
  return parts.reduce((n, p) => ((n << 8) | Number(p)) >>> 0, 0);
};

const parseV6 = (s: string): bigint | undefined => {
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  // A dotted IPv4 tail is only allowed in the low 32 bits (RFC 4291 2.2): last group of the half that ends the
  // address, so `1.2.3.4::1` is not an address.
  const groupsOf = (half: string, endsAddress: boolean): string[] | undefined => {
    if (half === '') return [];
    const groups = half.split(':');
    const out: string[] = [];
    for (const [i, g] of groups.entries()) {
      if (endsAddress && i === groups.length - 1 && g.includes('.')) {
        const v4 = parseV4(g);
        if (v4 === undefined) return undefined;
        out.push(((v4 >>> 16) & 0xffff).toString(16), (v4 & 0xffff).toString(16));
      } else if (HEX_GROUP.test(g)) out.push(g);
      else return undefined;
    }
    return out;
  };
  const left = groupsOf(halves[0] ?? '', halves.length === 1);
  const right = halves.length === 2 ? groupsOf(halves[1] ?? '', true) : [];
  if (left === undefined || right === undefined) return undefined;
  const width = left.length + right.length;
  if (halves.length === 2 ? width > 7 : width !== 8) return undefined;
  const groups = [...left, ...Array<string>(8 - width).fill('0'), ...right];
  return groups.reduce((n, g) => (n << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
};

const V4_MAPPED_PREFIX = 0xffffn << 32n;

export const parseIp = (input: string | undefined): ParsedIp | undefined => {
  if (input === undefined) return undefined;
  const s = input.trim();
  if (s === '' || s.length > 45) return undefined;
  if (!s.includes(':')) {
    const v4 = parseV4(s);
    return v4 === undefined ? undefined : { version: 4, value: v4 };
  }
  const v6 = parseV6(s);
  if (v6 === undefined) return undefined;
  // ::ffff:a.b.c.d is an IPv4 client seen through a dual-stack front end: judge it as the IPv4 address.
  if (v6 >> 32n === V4_MAPPED_PREFIX >> 32n) return { version: 4, value: Number(v6 & 0xffffffffn) };
  return { version: 6, value: v6 };
};

export interface Cidr {
  readonly version: 4 | 6;
  /** First and last address of the block, inclusive. */
  readonly first: bigint;
  readonly last: bigint;
  readonly text: string;
}

/** `a.b.c.d/n`, `x::/n` or a single address (a /32 or /128). Host bits are ignored, as AWS ignores them. */
export const parseCidr = (input: string): Cidr | undefined => {
  const text = input.trim();
  const [address = '', prefix, extra] = text.split('/');
  if (extra !== undefined) return undefined;
  const ip = parseIp(address);
  if (ip === undefined) return undefined;
  const bits = ip.version === 4 ? 32 : 128;
  if (prefix !== undefined && !/^\d{1,3}$/.test(prefix)) return undefined;
  const length = prefix === undefined ? bits : Number(prefix);
  if (length > bits) return undefined;
  const value = BigInt(ip.value);
  const hostBits = BigInt(bits - length);
  const first = (value >> hostBits) << hostBits;
  const last = first | ((1n << hostBits) - 1n);
  return { version: ip.version, first, last, text };
};

export const cidrContains = (cidr: Cidr, ip: ParsedIp): boolean => {
  if (cidr.version !== ip.version) return false;
  const v = BigInt(ip.value);
  return v >= cidr.first && v <= cidr.last;
};

/** Special-purpose blocks: what an address in one of them says about where a person is. */
export type AddressScope = 'private' | 'reserved' | 'public';

const block = (text: string, scope: Exclude<AddressScope, 'public'>) => {
  const cidr = parseCidr(text);
  if (cidr === undefined) throw new Error(`bad built-in block ${text}`);
  return { cidr, scope };
};

/**
 * `private`: the organisation's own networks (RFC 1918, carrier-grade NAT, loopback, link-local, unique-local IPv6):
 * a console reached over private connectivity (Console Private Access through a VPC endpoint) shows these.
 * `reserved`: blocks that are never a real client on the internet (documentation, benchmarking, multicast,
 * future use, 0/8): no IP database knows a country for them, and some place them anyway (the npm data of
 * ip-location-db puts 198.51.100.0/24 in AU), so they never reach a database.
 */
const SPECIAL_BLOCKS = [
  block('10.0.0.0/8', 'private'),
  block('172.16.0.0/12', 'private'),
  block('192.168.0.0/16', 'private'),
  block('100.64.0.0/10', 'private'),
  block('127.0.0.0/8', 'private'),
  block('169.254.0.0/16', 'private'),
  block('::1/128', 'private'),
  block('fc00::/7', 'private'),
  block('fe80::/10', 'private'),
  block('0.0.0.0/8', 'reserved'),
  block('192.0.0.0/24', 'reserved'),
  block('192.0.2.0/24', 'reserved'),
  block('198.18.0.0/15', 'reserved'),
  block('198.51.100.0/24', 'reserved'),
  block('203.0.113.0/24', 'reserved'),
  block('224.0.0.0/4', 'reserved'),
  block('240.0.0.0/4', 'reserved'),
  block('::/128', 'reserved'),
  block('2001:db8::/32', 'reserved'),
  block('ff00::/8', 'reserved'),
] as const;

export const addressScope = (ip: ParsedIp): AddressScope =>
  SPECIAL_BLOCKS.find((b) => cidrContains(b.cidr, ip))?.scope ?? 'public';
