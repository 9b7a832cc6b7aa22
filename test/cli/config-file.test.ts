import { describe, expect, it } from 'vitest';
import { detectionConfigFrom } from '../../cli/config-file.ts';

describe('config file', () => {
  it.each([
    [
      'the project file',
      { retentionDays: 30, alerts: { emails: [] }, detection: { criticality: { default: 'high' } } },
      'high',
    ],
    ['a project file without detection settings', { retentionDays: 30, trails: ['main'] }, 'medium'],
    ['a bare detection config', { criticality: { default: 'low' } }, 'low'],
  ])('reads the detection config from %s', (_name, raw, level) => {
    const parsed = detectionConfigFrom(raw);
    expect(parsed.ok && parsed.config.criticality.default).toBe(level);
  });

  it('reports errors in the detection part by path', () => {
    expect(detectionConfigFrom({ detection: { approved: { automationRoles: ['deployer'] } } })).toEqual({
      ok: false,
      errors: [
        'detection.approved.automationRoles: "deployer" is not an ARN glob (arn:aws:iam::<account>:role/<name>)',
      ],
    });
    expect(detectionConfigFrom([1])).toMatchObject({ ok: false });
  });
});
