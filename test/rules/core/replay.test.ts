import { describe, expect, it } from 'vitest';
import type { SelectedFile } from '../../../rules/core/replay.ts';
import {
  byWalkOrder,
  deliveryDays,
  inRange,
  isReplayMark,
  parseDay,
  rangeOf,
  replayNamespace,
  replayPartition,
  scanBatches,
} from '../../../rules/core/replay.ts';

const DAY = 86_400_000;
const utc = (day: string): number => Date.parse(`${day}T00:00:00Z`);

describe('isReplayMark', () => {
  it.each<[string, unknown, boolean]>([
    ['a well-formed mark', { id: 'replay-2026_11', day: '2026-11-02' }, true],
    ['an id of 80 characters', { id: 'a'.repeat(80), day: '2026-11-02' }, true],
    ['an id of 81 characters', { id: 'a'.repeat(81), day: '2026-11-02' }, false],
    ['an empty id', { id: '', day: '2026-11-02' }, false],
    ['an id with a slash (a key path)', { id: 'a/b', day: '2026-11-02' }, false],
    ['an id with a bar (a namespace separator)', { id: 'a|b', day: '2026-11-02' }, false],
    ['an id with a trailing newline', { id: 'abc\n', day: '2026-11-02' }, false],
    ['a numeric id', { id: 7, day: '2026-11-02' }, false],
    ['a day with text before it', { id: 'r', day: 'x2026-11-02' }, false],
    ['a day with text after it', { id: 'r', day: '2026-11-02x' }, false],
    ['a day not zero-padded', { id: 'r', day: '2026-11-2' }, false],
    ['a day that is a number', { id: 'r', day: 20261102 }, false],
    ['null', null, false],
    ['a string', 'replay', false],
  ])('%s: %s', (_name, value, ok) => {
    expect(isReplayMark(value)).toBe(ok);
  });
});

describe('replay namespace and partition', () => {
  it('keeps a replay apart by its id, and keys its evidence by the day it ran', () => {
    const mark = { id: 'r-1', day: '2026-11-02' };
    expect(replayNamespace(mark)).toBe('replay|r-1|');
    expect(replayPartition(mark)).toBe('dt=2026-11-02/replay=r-1/');
  });
});

describe('parseDay / rangeOf / inRange', () => {
  it.each<[string, number | undefined]>([
    ['2026-11-02', utc('2026-11-02')],
    ['2024-02-29', utc('2024-02-29')],
    // Not real calendar days: Date.parse would roll some of them over into the next month.
    ['2026-02-29', undefined],
    ['2026-04-31', undefined],
    ['2026-13-01', undefined],
    ['2026-11-02T00:00:00Z', undefined],
    [' 2026-11-02', undefined],
    ['yesterday', undefined],
  ])('%s → %s', (text, ms) => {
    expect(parseDay(text)).toBe(ms);
  });

  it('runs from the start of the first day to the end of the last, one day at least', () => {
    expect(rangeOf('2026-11-02', '2026-11-04')).toEqual({ fromMs: utc('2026-11-02'), toMs: utc('2026-11-05') });
    expect(rangeOf('2026-11-02', '2026-11-02')).toEqual({ fromMs: utc('2026-11-02'), toMs: utc('2026-11-03') });
  });

  it.each([
    ['2026-11-31', '2026-12-01', '--from 2026-11-31 is not a day (YYYY-MM-DD)'],
    ['2026-11-01', '11/30/2026', '--to 11/30/2026 is not a day (YYYY-MM-DD)'],
    ['2026-11-02', '2026-11-01', '--to 2026-11-01 is before --from 2026-11-02'],
  ])('refuses %s to %s', (from, to, message) => {
    expect(rangeOf(from, to)).toBe(message);
  });

  it('holds its first millisecond and not its end', () => {
    const range = { fromMs: utc('2026-11-02'), toMs: utc('2026-11-03') };
    expect(inRange(range, range.fromMs - 1)).toBe(false);
    expect(inRange(range, range.fromMs)).toBe(true);
    expect(inRange(range, range.toMs - 1)).toBe(true);
    expect(inRange(range, range.toMs)).toBe(false);
  });
});

describe('deliveryDays', () => {
  it('lists every day of the range and the day after (late deliveries of the last day)', () => {
    expect(deliveryDays({ fromMs: utc('2026-11-30'), toMs: utc('2026-12-02') })).toEqual([
      '2026/11/30',
      '2026/12/01',
      '2026/12/02',
    ]);
    expect(deliveryDays({ fromMs: utc('2026-11-02'), toMs: utc('2026-11-02') + DAY })).toEqual([
      '2026/11/02',
      '2026/11/03',
    ]);
  });
});

describe('byWalkOrder', () => {
  it.each<[string, string, number]>([
    ['a/b/x.json.gz', 'a/c/a.json.gz', -1],
    ['a/c/a.json.gz', 'a/b/x.json.gz', 1],
    // Byte order: upper case before lower case.
    ['a/B.gz', 'a/a.gz', -1],
    // A folder's files and sub-folders, name by name, and a shorter path first at a tie.
    ['a/b', 'a/b/c', -1],
    ['a/b/c', 'a/b', 1],
    ['a/z', 'a/b/c', 1],
    ['a/b/c', 'a/b/c', 0],
  ])('%s vs %s', (a, b, sign) => {
    expect(Math.sign(byWalkOrder(a, b))).toBe(sign);
  });
});

describe('scanBatches', () => {
  const file = (key: string, events: number, positions: number[]): SelectedFile<string> => ({
    key,
    events,
    candidates: positions.map((i) => ({ i, event: `${key}#${i}` })),
  });

  it('cuts at the positions scan cuts at: files in walk order, positions counted over every event', () => {
    const batches = scanBatches([file('2026/11/02/b.json.gz', 3, [0, 2]), file('2026/11/02/a.json.gz', 4, [1, 3])], 3);
    // a holds positions 0-3, b 4-6: batches [0-2], [3-5], [6].
    expect(batches).toEqual([
      ['2026/11/02/a.json.gz#1'],
      ['2026/11/02/a.json.gz#3', '2026/11/02/b.json.gz#0'],
      ['2026/11/02/b.json.gz#2'],
    ]);
  });

  it('leaves out batches with no candidate, and keeps batches in position order', () => {
    const batches = scanBatches([file('k', 10, [9, 0])], 2);
    expect(batches).toEqual([['k#0'], ['k#9']]);
  });

  it('gives nothing for files with no candidates', () => {
    expect(scanBatches([file('k', 100, [])], 10)).toEqual([]);
  });
});
