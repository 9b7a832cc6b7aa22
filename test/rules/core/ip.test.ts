import { describe, expect, it } from 'vitest';
import { addressScope, cidrContains, parseCidr, parseIp } from '../../../rules/core/ip.ts';

/** Addresses as numbers, checked bit for bit: a range test is only as right as the numbers it compares. */
const v4 = (value: number) => ({ version: 4, value });
const v6 = (value: bigint) => ({ version: 6, value });

describe('parseIp, IPv4', () => {
  it.each([
    ['0.0.0.0', 0],
    ['192.0.2.1', 0xc0000201],
    ['255.255.255.255', 0xffffffff],
    ['10.20.30.40', 0x0a141e28],
    [' 198.51.100.7\n', 0xc6336407],
  ])('%j is %i, unsigned', (text, value) => {
    expect(parseIp(text)).toEqual(v4(value));
  });

  it.each([undefined, '', '   ', '1.2.3', '1.2.3.4.5', '1.2.3.x', '256.0.0.1', '1.2.3.4/32'])(
    '%j is not an address',
    (text) => {
      expect(parseIp(text)).toBeUndefined();
    },
  );
});

describe('parseIp, IPv6', () => {
  it.each([
    ['::', 0n],
    ['::1', 1n],
    ['1::', 1n << 112n],
    ['2001:db8::1', 0x20010db8000000000000000000000001n],
    ['2001:DB8:0:0:8:800:200C:417A', 0x20010db80000000000080800200c417an],
    ['1:2:3:4:5:6:7:8', 0x00010002000300040005000600070008n],
    ['1:2:3:4:5:6:7::', 0x00010002000300040005000600070000n],
    ['::2:3:4:5:6:7:8', 0x00000002000300040005000600070008n],
    ['1:2::7:8', 0x00010002000000000000000000070008n],
    ['64:ff9b::192.0.2.33', 0x0064ff9b0000000000000000c0000221n],
    ['::192.0.2.33', 0xc0000221n],
    ['1::ffff:192.0.2.1', 0x00010000000000000000ffffc0000201n],
    ['::fffe:192.0.2.1', 0xfffec0000201n],
    ['1:2:3:4:5:6:192.0.2.1', 0x000100020003000400050006c0000201n],
  ])('%s is %s', (text, value) => {
    expect(parseIp(text)).toEqual(v6(value));
  });

  it('an IPv4-mapped address is judged as its IPv4 form, however it is written', () => {
    expect(parseIp('::ffff:192.0.2.1')).toEqual(v4(0xc0000201));
    expect(parseIp('::ffff:c000:201')).toEqual(v4(0xc0000201));
    expect(parseIp('::FFFF:255.255.255.255')).toEqual(v4(0xffffffff));
    // The longest form an address takes (45 characters) still parses.
    const longest = '0000:0000:0000:0000:0000:ffff:192.168.100.200';
    expect(longest).toHaveLength(45);
    expect(parseIp(longest)).toEqual(v4(0xc0a864c8));
  });

  it.each([
    '1::2::3',
    '1:2:3:4:5:6:7:8::1::2',
    ':::',
    'g::1',
    '1::g',
    '12345::1',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7::8',
    '::1:2:3:4:5:6:7:8',
    '::ffff:256.0.0.1',
    '::ffff:1.2.3',
    '1.2.3.4::1',
    '1.2.3.4::',
    '1:2:3:4:5:6:7:1.2.3.4',
    '1:2:3:4:5:192.0.2.1:7',
    'fe80::1%eth0',
  ])('%j is not an address', (text) => {
    expect(parseIp(text)).toBeUndefined();
  });
});

describe('parseCidr', () => {
  it.each([
    ['203.0.113.77/25', 4, 0xcb007100n, 0xcb00717fn],
    ['0.0.0.0/0', 4, 0n, 0xffffffffn],
    ['192.0.2.1/32', 4, 0xc0000201n, 0xc0000201n],
    ['192.0.2.1', 4, 0xc0000201n, 0xc0000201n],
    ['10.1.2.3/8', 4, 0x0a000000n, 0x0affffffn],
    ['2001:db8:7:1::9/48', 6, 0x20010db8000700000000000000000000n, 0x20010db80007ffffffffffffffffffffn],
    ['::1', 6, 1n, 1n],
    ['::1/128', 6, 1n, 1n],
    ['::/0', 6, 0n, (1n << 128n) - 1n],
  ])('%s covers its block', (text, version, first, last) => {
    expect(parseCidr(text)).toEqual({ version, first, last, text });
  });

  it('keeps the text as written, without surrounding blanks', () => {
    expect(parseCidr('  198.51.100.0/24 \t')?.text).toBe('198.51.100.0/24');
  });

  it.each([
    '203.0.113.0/33',
    '::/129',
    '203.0.113.0/8/1',
    '203.0.113.0/',
    '203.0.113.0/x8',
    '203.0.113.0/8x',
    '203.0.113.0/-1',
    '203.0.113.0/0024',
    'example.com/24',
    '/24',
  ])('%j is refused', (text) => {
    expect(parseCidr(text)).toBeUndefined();
  });
});

describe('cidrContains', () => {
  it('holds both ends of a block and nothing either side', () => {
    const cidr = parseCidr('203.0.113.0/25');
    expect(cidr).toBeDefined();
    if (cidr === undefined) return;
    const inside = (ip: string) => {
      const parsed = parseIp(ip);
      return parsed !== undefined && cidrContains(cidr, parsed);
    };
    expect(['203.0.113.0', '203.0.113.64', '203.0.113.127'].map(inside)).toEqual([true, true, true]);
    expect(['203.0.112.255', '203.0.113.128'].map(inside)).toEqual([false, false]);
  });

  it('never matches across versions, even when the numbers would', () => {
    const v4Block = parseCidr('10.0.0.0/8');
    const v6Block = parseCidr('::a00:0/104');
    const v6Address = parseIp('::a00:1');
    const v4Address = parseIp('10.0.0.1');
    expect(v4Block && v6Block && v6Address && v4Address).toBeTruthy();
    if (!v4Block || !v6Block || !v6Address || !v4Address) return;
    expect(cidrContains(v4Block, v6Address)).toBe(false);
    expect(cidrContains(v6Block, v4Address)).toBe(false);
    expect(cidrContains(v4Block, v4Address)).toBe(true);
    expect(cidrContains(v6Block, v6Address)).toBe(true);
  });
});

describe('addressScope', () => {
  it.each([
    ['10.0.0.0', 'private'],
    ['9.255.255.255', 'public'],
    ['11.0.0.0', 'public'],
    ['192.168.1.1', 'private'],
    ['127.0.0.1', 'private'],
    ['169.254.169.254', 'private'],
    ['::1', 'private'],
    ['fe80::1', 'private'],
    ['0.1.2.3', 'reserved'],
    ['203.0.113.9', 'reserved'],
    ['224.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['::', 'reserved'],
    ['ff02::1', 'reserved'],
    ['::ffff:10.1.1.1', 'private'],
    ['2600:1f18::1', 'public'],
    ['::2', 'public'],
  ])('%s is %s', (text, scope) => {
    const parsed = parseIp(text);
    expect(parsed && addressScope(parsed)).toBe(scope);
  });
});
