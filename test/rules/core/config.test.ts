import { describe, expect, it } from 'vitest';
import { DEFAULT_DETECTION_CONFIG, parseDetectionConfig } from '../../../rules/core/config.ts';

describe('parseDetectionConfig', () => {
  it('defaults everything when nothing is given', () => {
    expect(parseDetectionConfig(undefined)).toEqual({ ok: true, config: DEFAULT_DETECTION_CONFIG });
  });

  it('accepts business hours and change windows', () => {
    const window = { days: ['Mon', 'Tue'], start: '08:00', end: '18:00', timezone: 'Europe/London' };
    const parsed = parseDetectionConfig({ businessHours: [window], approved: { changeWindows: [window] } });
    expect(parsed).toMatchObject({
      ok: true,
      config: { businessHours: [window], approved: { changeWindows: [window] } },
    });
  });

  it('reports every problem by path at once', () => {
    const parsed = parseDetectionConfig({
      businessHours: [{ days: ['Mon'], start: '18:00', end: '08:00' }],
      approved: { changeWindows: 'weekdays' },
      criticallity: {},
    });
    expect(parsed).toEqual({
      ok: false,
      errors: [
        'detection.criticallity: unknown key',
        'detection.approved.changeWindows: must be a list of {days, start, end, timezone}',
        'detection.businessHours[0].end: must be after start "18:00" (got "08:00"); split a window across midnight in two',
      ],
    });
  });
});
