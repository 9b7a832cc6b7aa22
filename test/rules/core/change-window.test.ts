import { describe, expect, it } from 'vitest';
import type { ChangeWindow } from '../../../rules/core/change-window.ts';
import {
  describeWindow,
  isTimeZone,
  isWithinAnyWindow,
  isWithinWindow,
  localTime,
  parseChangeWindow,
} from '../../../rules/core/change-window.ts';

const at = (iso: string) => Date.parse(iso);
// 2026-11-02 is a Monday; 2026-07-06 too (summer time in Europe).
const weekdayMornings: ChangeWindow = { days: ['Mon', 'Tue'], start: '09:00', end: '11:30', timezone: 'UTC' };

describe('isWithinWindow', () => {
  it.each([
    ['one minute before start', '2026-11-02T08:59:59.999Z', false],
    ['at start (inclusive)', '2026-11-02T09:00:00.000Z', true],
    ['inside', '2026-11-02T10:15:00.000Z', true],
    ['the last minute before end', '2026-11-02T11:29:59.999Z', true],
    ['at end (exclusive)', '2026-11-02T11:30:00.000Z', false],
    ['a day not listed, inside the hours', '2026-11-04T10:00:00.000Z', false],
    ['the second listed day', '2026-11-03T10:00:00.000Z', true],
  ])('%s', (_why, iso, inside) => {
    expect(isWithinWindow(at(iso), weekdayMornings)).toBe(inside);
  });

  it('judges day and time in the window’s time zone, daylight saving included', () => {
    const berlin: ChangeWindow = { ...weekdayMornings, timezone: 'Europe/Berlin' };
    // Winter: UTC+1. 08:30Z is 09:30 in Berlin.
    expect(isWithinWindow(at('2026-11-02T08:30:00Z'), berlin)).toBe(true);
    expect(isWithinWindow(at('2026-11-02T10:30:00Z'), berlin)).toBe(false);
    // Summer: UTC+2. 07:30Z is 09:30 in Berlin; 09:30Z is 11:30, the end.
    expect(isWithinWindow(at('2026-07-06T07:30:00Z'), berlin)).toBe(true);
    expect(isWithinWindow(at('2026-07-06T09:30:00Z'), berlin)).toBe(false);
    // Sunday 23:30 UTC is already Monday in Tokyo.
    const tokyo: ChangeWindow = { days: ['Mon'], start: '08:00', end: '09:00', timezone: 'Asia/Tokyo' };
    expect(isWithinWindow(at('2026-11-01T23:30:00Z'), tokyo)).toBe(true);
  });
});

describe('localTime', () => {
  it('gives the weekday and zero-padded 24-hour time', () => {
    expect(localTime(at('2026-11-08T00:05:00Z'), 'UTC')).toEqual({ day: 'Sun', hhmm: '00:05' });
    expect(localTime(at('2026-11-07T23:59:00Z'), 'America/New_York')).toEqual({ day: 'Sat', hhmm: '18:59' });
  });
});

describe('isWithinAnyWindow', () => {
  const friday: ChangeWindow = { days: ['Fri'], start: '14:00', end: '16:00', timezone: 'UTC' };
  it.each([
    ['no windows configured: any time is allowed', [], '2026-11-08T03:00:00Z', true],
    ['inside the second window', [weekdayMornings, friday], '2026-11-06T15:00:00Z', true],
    ['inside the first window', [weekdayMornings, friday], '2026-11-02T09:00:00Z', true],
    ['outside every window', [weekdayMornings, friday], '2026-11-06T16:00:00Z', false],
  ])('%s', (_why, windows, iso, inside) => {
    expect(isWithinAnyWindow(at(iso), windows)).toBe(inside);
  });
});

describe('describeWindow', () => {
  it('names days, hours and zone', () => {
    expect(describeWindow({ ...weekdayMornings, timezone: 'Europe/Berlin' })).toBe('Mon,Tue 09:00-11:30 Europe/Berlin');
  });
});

describe('isTimeZone', () => {
  it.each([
    ['UTC', true],
    ['Europe/Berlin', true],
    ['Mars/Olympus_Mons', false],
    ['', false],
  ])('%j → %s', (tz, ok) => {
    expect(isTimeZone(tz)).toBe(ok);
  });
});

describe('parseChangeWindow', () => {
  const parse = (w: unknown) => {
    const errors: string[] = [];
    const window = parseChangeWindow('w', w, (path, msg) => errors.push(`${path}: ${msg}`));
    return { window, errors };
  };
  const valid = { days: ['Mon', 'Fri'], start: '09:00', end: '17:00', timezone: 'Europe/Berlin' };
  const days = 'must be a non-empty list of distinct Mon|Tue|Wed|Thu|Fri|Sat|Sun';

  it('returns a valid window as given', () => {
    expect(parse(valid)).toEqual({ window: valid, errors: [] });
  });

  it('defaults the time zone to UTC', () => {
    const { timezone: _tz, ...noZone } = valid;
    expect(parse(noZone)).toEqual({ window: { ...noZone, timezone: 'UTC' }, errors: [] });
  });

  it.each<[string, unknown, string[]]>([
    ['not an object', 'Mon-Fri', ['w: must be {days, start, end, timezone} (got "Mon-Fri")']],
    ['null', null, ['w: must be {days, start, end, timezone} (got null)']],
    ['a list', [valid], [`w: must be {days, start, end, timezone} (got ${JSON.stringify([valid])})`]],
    ['an unknown key', { ...valid, day: ['Mon'] }, ['w.day: unknown key (known keys: days, start, end, timezone)']],
    ['no days', { ...valid, days: undefined }, [`w.days: ${days} (got undefined)`]],
    ['empty days', { ...valid, days: [] }, [`w.days: ${days} (got [])`]],
    ['duplicate days', { ...valid, days: ['Mon', 'Mon'] }, [`w.days: ${days} (got ["Mon","Mon"])`]],
    ['a misspelt day', { ...valid, days: ['Monday'] }, [`w.days: ${days} (got ["Monday"])`]],
    ['days as a string', { ...valid, days: 'Mon' }, [`w.days: ${days} (got "Mon")`]],
    ['one bad day among good ones', { ...valid, days: ['Mon', 'Funday'] }, [`w.days: ${days} (got ["Mon","Funday"])`]],
    // A list of one string reads as that string once coerced: it must be refused, not coerced.
    ['a time inside a list', { ...valid, start: ['09:00'] }, ['w.start: must be HH:MM (got ["09:00"])']],
    ['hour 24', { ...valid, start: '24:00' }, ['w.start: must be HH:MM (got "24:00")']],
    ['one-digit hour', { ...valid, start: '9:00' }, ['w.start: must be HH:MM (got "9:00")']],
    ['minute 60', { ...valid, end: '17:60' }, ['w.end: must be HH:MM (got "17:60")']],
    ['trailing text', { ...valid, end: '17:00x' }, ['w.end: must be HH:MM (got "17:00x")']],
    ['a number', { ...valid, start: 900 }, ['w.start: must be HH:MM (got 900)']],
    [
      'start == end (an empty window)',
      { ...valid, start: '09:00', end: '09:00' },
      ['w.end: must be after start "09:00" (got "09:00"); split a window across midnight in two'],
    ],
    [
      'end before start (across midnight)',
      { ...valid, start: '22:00', end: '06:00' },
      ['w.end: must be after start "22:00" (got "06:00"); split a window across midnight in two'],
    ],
    [
      'an unknown time zone',
      { ...valid, timezone: 'Europe/Atlantis' },
      ['w.timezone: must be an IANA time zone (got "Europe/Atlantis")'],
    ],
    ['a time zone that is not a string', { ...valid, timezone: 1 }, ['w.timezone: must be an IANA time zone (got 1)']],
    [
      'a time zone inside a list',
      { ...valid, timezone: ['UTC'] },
      ['w.timezone: must be an IANA time zone (got ["UTC"])'],
    ],
    [
      'several problems, each by path',
      { days: [], start: '25:00', end: '17:00', timezone: 'Nowhere' },
      [
        `w.days: ${days} (got [])`,
        'w.start: must be HH:MM (got "25:00")',
        'w.timezone: must be an IANA time zone (got "Nowhere")',
      ],
    ],
  ])('rejects %s', (_why, input, errors) => {
    expect(parse(input)).toEqual({ window: undefined, errors });
  });

  it('rejects an unknown time zone even when all else is valid (no partial window)', () => {
    expect(parse({ ...valid, timezone: 'Nowhere' }).window).toBeUndefined();
  });
});
