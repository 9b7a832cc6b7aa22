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

describe('parseDetectionConfig: selfProtection', () => {
  const selfProtection = {
    resources: ['Trailwarden-*', 'trailwarden-*', 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-*'],
    deployRoles: ['arn:aws:iam::111122223333:role/cdk-*-cfn-exec-role-*'],
  };

  it('is absent unless configured, so the self-protection rules stay silent', () => {
    const parsed = parseDetectionConfig({});
    expect(parsed.ok && parsed.config.selfProtection).toBe(undefined);
  });

  it('accepts resource globs (names or ARNs) and deploy role ARN globs', () => {
    expect(parseDetectionConfig({ selfProtection })).toMatchObject({ ok: true, config: { selfProtection } });
  });

  it('defaults missing lists to empty', () => {
    expect(parseDetectionConfig({ selfProtection: { resources: ['Trailwarden-*'] } })).toMatchObject({
      ok: true,
      config: { selfProtection: { resources: ['Trailwarden-*'], deployRoles: [] } },
    });
  });

  it.each([
    [{ selfProtection: 'Trailwarden-*' }, 'detection.selfProtection: must be {resources, deployRoles}'],
    [{ selfProtection: { resource: ['Trailwarden-*'] } }, 'detection.selfProtection.resource: unknown key'],
    [
      { selfProtection: { resources: 'Trailwarden-*' } },
      'detection.selfProtection.resources: must be a list of non-empty strings',
    ],
    [
      { selfProtection: { resources: [''] } },
      'detection.selfProtection.resources: must be a list of non-empty strings',
    ],
    [
      { selfProtection: { resources: ['*'] } },
      'detection.selfProtection.resources: "*" matches every resource; name Trailwarden\'s own (e.g. Trailwarden-*)',
    ],
    [
      { selfProtection: { resources: ['Trailwarden-*'], deployRoles: ['cdk-*-cfn-exec-role-*'] } },
      'detection.selfProtection.deployRoles: "cdk-*-cfn-exec-role-*" is not an ARN glob (arn:aws:iam::<account>:role/<name>)',
    ],
  ])('rejects %j', (input, error) => {
    expect(parseDetectionConfig(input)).toEqual({ ok: false, errors: [error] });
  });

  it('reads back its own output (the stack serialises the parsed config into DETECTION_CONFIG)', () => {
    const parsed = parseDetectionConfig({ selfProtection, approvedRegions: ['eu-west-1'] });
    if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
    expect(parseDetectionConfig(JSON.parse(JSON.stringify(parsed.config)))).toEqual(parsed);
  });
});

describe('parseDetectionConfig: approved.ticketPattern', () => {
  it('keeps a valid pattern', () => {
    const parsed = parseDetectionConfig({ approved: { ticketPattern: '^(CHG|INC)-\\d+' } });
    expect(parsed.ok && parsed.config.approved.ticketPattern).toBe('^(CHG|INC)-\\d+');
  });
  it.each([
    ['(CHG', 'detection.approved.ticketPattern: is not a valid regular expression'],
    ['', 'detection.approved.ticketPattern: must be a regular expression of 1 to 200 characters'],
    [42, 'detection.approved.ticketPattern: must be a regular expression of 1 to 200 characters'],
  ])('rejects %j by path', (pattern, error) => {
    const parsed = parseDetectionConfig({ approved: { ticketPattern: pattern } });
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? [] : parsed.errors.join('\n')).toContain(error);
  });
});
