import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../rules/core/finding.ts';
import { atLeast, findingId, foldInto, MAX_EVENT_IDS } from '../../../rules/core/finding.ts';
import { sampleFinding } from '../../functions/support.ts';

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
const finding = (eventIds: readonly string[], overrides: Partial<Finding> = {}): Finding =>
  sampleFinding({ eventIds, count: eventIds.length, ...overrides });

describe('findingId', () => {
  it('is stable for the same rule, group and window start, and differs otherwise', () => {
    const id = findingId('r', 'g', 1000);
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(findingId('r', 'g', 1000)).toBe(id);
    expect(new Set([id, findingId('r2', 'g', 1000), findingId('r', 'g2', 1000), findingId('r', 'g', 1001)]).size).toBe(
      4,
    );
  });
});

describe('foldInto', () => {
  it('unions evidence and widens the time span', () => {
    const base = finding(['a', 'b'], {
      firstSeen: '2026-11-02T10:00:00Z',
      lastSeen: '2026-11-02T10:05:00Z',
      resources: ['r1'],
    });
    const repeat = finding(['b', 'c'], {
      firstSeen: '2026-11-02T09:59:00Z',
      lastSeen: '2026-11-02T10:07:00Z',
      resources: ['r2'],
    });
    const folded = foldInto(base, repeat);
    expect(folded.eventIds).toEqual(['a', 'b', 'c']);
    expect(folded.count).toBe(3);
    expect(folded.resources).toEqual(['r1', 'r2']);
    expect([folded.firstSeen, folded.lastSeen]).toEqual(['2026-11-02T09:59:00Z', '2026-11-02T10:07:00Z']);
  });

  it('a retried fold of the same repeat does not inflate the count', () => {
    const repeat = finding(['c', 'd']);
    const once = foldInto(finding(['a', 'b']), repeat);
    expect(foldInto(once, repeat)).toEqual(once);
  });

  it(`keeps at most ${MAX_EVENT_IDS} event ids while the count keeps growing`, () => {
    let current = finding(ids('first', MAX_EVENT_IDS - 10));
    current = foldInto(current, finding(ids('second', 50)));
    expect(current.eventIds).toHaveLength(MAX_EVENT_IDS);
    expect(current.count).toBe(MAX_EVENT_IDS + 40);
    current = foldInto(current, finding(ids('third', 5)));
    expect(current.eventIds).toHaveLength(MAX_EVENT_IDS);
    expect(current.count).toBe(MAX_EVENT_IDS + 45);
  });
});

describe('atLeast', () => {
  it.each([
    ['critical', 'high', true],
    ['high', 'high', true],
    ['medium', 'high', false],
    ['info', 'low', false],
    ['low', 'info', true],
    ['info', 'info', true],
  ] as const)('%s at least %s: %s', (severity, floor, expected) => {
    expect(atLeast(severity, floor)).toBe(expected);
  });
});

describe('foldInto keeps what is already wider', () => {
  it('a repeat inside the span, with nothing new, changes neither span, evidence nor count', () => {
    const base = finding(['a', 'b'], {
      firstSeen: '2026-11-02T10:00:00Z',
      lastSeen: '2026-11-02T10:05:00Z',
      resources: ['r1'],
    });
    const inside = finding(['a'], {
      firstSeen: '2026-11-02T10:01:00Z',
      lastSeen: '2026-11-02T10:04:00Z',
      resources: ['r1'],
    });
    expect(foldInto(base, inside)).toEqual(base);
  });

  it('a base already at the cap takes no ids but counts the new ones', () => {
    const full = finding(ids('x', MAX_EVENT_IDS));
    const folded = foldInto(full, finding(['new-1', 'new-2']));
    expect(folded.eventIds).toBe(full.eventIds);
    expect(folded.count).toBe(MAX_EVENT_IDS + 2);
  });
});

describe('findingId keeps its parts apart', () => {
  it('moving text between rule and group is another finding', () => {
    expect(findingId('ab', 'c', 1)).not.toBe(findingId('a', 'bc', 1));
    expect(findingId('a', 'b1', 2)).not.toBe(findingId('a', 'b', 12));
  });
});
