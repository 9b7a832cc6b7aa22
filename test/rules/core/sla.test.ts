import { describe, expect, it } from 'vitest';
import { DEFAULT_SLA, parseSlaConfig } from '../../../rules/core/sla.ts';

const errorsOf = (input: unknown): readonly string[] => {
  const r = parseSlaConfig(input);
  return r.ok ? [] : r.errors;
};

describe('parseSlaConfig', () => {
  it('keeps the defaults when the file sets no sla', () => {
    expect(parseSlaConfig(undefined)).toEqual({ ok: true, sla: DEFAULT_SLA });
  });

  it('defaults: an ack is due before the resolution, and stricter severities are due sooner', () => {
    const order = ['critical', 'high', 'medium', 'low', 'info'] as const;
    for (const s of order) expect(DEFAULT_SLA[s].ackMinutes).toBeLessThanOrEqual(DEFAULT_SLA[s].resolveMinutes);
    for (let i = 1; i < order.length; i++) {
      const [stricter, looser] = [DEFAULT_SLA[order[i - 1] ?? 'critical'], DEFAULT_SLA[order[i] ?? 'info']];
      expect(stricter.resolveMinutes).toBeLessThan(looser.resolveMinutes);
      expect(stricter.ackMinutes).toBeLessThanOrEqual(looser.ackMinutes);
    }
    expect(DEFAULT_SLA.critical).toEqual({ ackMinutes: 15, resolveMinutes: 240 });
  });

  it('overrides one severity and keeps the default for what it leaves out', () => {
    const r = parseSlaConfig({ critical: { ackMinutes: 5 }, high: { ackMinutes: 30, resolveMinutes: 600 } });
    expect(r).toEqual({
      ok: true,
      sla: {
        ...DEFAULT_SLA,
        critical: { ackMinutes: 5, resolveMinutes: DEFAULT_SLA.critical.resolveMinutes },
        high: { ackMinutes: 30, resolveMinutes: 600 },
      },
    });
  });

  it.each([
    [null, ['sla: must map severities to {ackMinutes, resolveMinutes}']],
    [[], ['sla: must map severities to {ackMinutes, resolveMinutes}']],
    ['15', ['sla: must map severities to {ackMinutes, resolveMinutes}']],
    [{ urgent: {} }, ['sla.urgent: unknown severity (known: critical, high, medium, low, info)']],
    [{ high: 60 }, ['sla.high: must be {ackMinutes, resolveMinutes}']],
    [{ high: null }, ['sla.high: must be {ackMinutes, resolveMinutes}']],
    [{ high: [60, 600] }, ['sla.high: must be {ackMinutes, resolveMinutes}']],
    [{ high: { ackMinutes: 60, ack: 1 } }, ['sla.high.ack: unknown key']],
  ])('rejects %j by path', (input, errors) => {
    expect(errorsOf(input)).toEqual(errors);
  });

  const bad = (got: string) => `sla.low.ackMinutes: must be a whole number of minutes from 1 to 525600 (got ${got})`;
  it.each([
    [0, bad('0')],
    [-5, bad('-5')],
    [1.5, bad('1.5')],
    ['15', bad('"15"')],
    [525_601, bad('525601')],
  ])('rejects ackMinutes %j', (ackMinutes, error) => {
    expect(errorsOf({ low: { ackMinutes } })).toEqual([error]);
  });

  it.each([1, 525_600])('accepts the edges: ackMinutes %j', (ackMinutes) => {
    const r = parseSlaConfig({ info: { ackMinutes, resolveMinutes: 525_600 } });
    expect(r).toEqual({ ok: true, sla: { ...DEFAULT_SLA, info: { ackMinutes, resolveMinutes: 525_600 } } });
  });

  it('checks resolveMinutes the same way, by its own path', () => {
    expect(errorsOf({ low: { resolveMinutes: 0 } })).toEqual([
      'sla.low.resolveMinutes: must be a whole number of minutes from 1 to 525600 (got 0)',
    ]);
  });

  it('a resolution due before the acknowledgement is an error; both due at once is not', () => {
    expect(errorsOf({ medium: { ackMinutes: 120, resolveMinutes: 119 } })).toEqual([
      'sla.medium: resolveMinutes (119) is shorter than ackMinutes (120)',
    ]);
    expect(parseSlaConfig({ medium: { ackMinutes: 120, resolveMinutes: 120 } }).ok).toBe(true);
  });

  it('compares against the default for the half left out', () => {
    expect(errorsOf({ critical: { ackMinutes: 300 } })).toEqual([
      'sla.critical: resolveMinutes (240) is shorter than ackMinutes (300)',
    ]);
  });

  it('reports every problem at once and goes on after an unknown severity', () => {
    expect(errorsOf({ urgent: {}, high: 'x', low: { ackMinutes: 0, resolveMinutes: 0, foo: 1 } })).toEqual([
      'sla.urgent: unknown severity (known: critical, high, medium, low, info)',
      'sla.high: must be {ackMinutes, resolveMinutes}',
      'sla.low.foo: unknown key',
      bad('0'),
      'sla.low.resolveMinutes: must be a whole number of minutes from 1 to 525600 (got 0)',
    ]);
  });

  it('names a custom path', () => {
    const r = parseSlaConfig({ high: 1 }, 'config.sla');
    expect(r).toEqual({ ok: false, errors: ['config.sla.high: must be {ackMinutes, resolveMinutes}'] });
  });
});
