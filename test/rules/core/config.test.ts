import { describe, expect, it } from 'vitest';
import { DEFAULT_DETECTION_CONFIG, parseDetectionConfig, resolveCriticality } from '../../../rules/core/config.ts';
import { DETECTION_REFUSALS, FULL_DETECTION, SELF_PROTECTION_REFUSALS } from './config-cases.ts';

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

  it.each(SELF_PROTECTION_REFUSALS)('rejects %j', (input, error) => {
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

describe('parseDetectionConfig: every refusal, by path', () => {
  const reason = 'planned migration of the trail';
  it.each(DETECTION_REFUSALS)('%s', (_name, input, errors) => {
    expect(parseDetectionConfig(input)).toEqual({ ok: false, errors });
  });

  it('takes a config with every section, keeping what each says', () => {
    const input = FULL_DETECTION;
    expect(parseDetectionConfig(input)).toEqual({
      ok: true,
      config: {
        criticality: input.criticality,
        approved: { ...input.approved, changeWindows: [] },
        organization: input.organization,
        suppressions: input.suppressions,
        businessHours: [],
        approvedRegions: input.approvedRegions,
        clockSkewMinutes: 1440,
        incidents: { correlationMinutes: 1440, pageSeverity: 'high' },
        software: input.software,
        serviceUsers: ['svc-*'],
        compute: input.compute,
      },
    });
    // Without its own watch list, compute keeps the default one (the key stays absent).
    expect(parseDetectionConfig({ compute: { approvedAccounts: ['444455556666'] } })).toMatchObject({
      ok: true,
      config: {
        compute: { approvedInstanceTypes: [], approvedAccounts: ['444455556666'], suspiciousKeyPairNames: [] },
      },
    });
    const parsed = parseDetectionConfig({ compute: {} });
    expect(parsed.ok && 'watchedInstanceTypes' in (parsed.config.compute ?? {})).toBe(false);
    expect(parseDetectionConfig({ clockSkewMinutes: 1, incidents: { correlationMinutes: 1 } })).toMatchObject({
      ok: true,
      config: { clockSkewMinutes: 1, incidents: { correlationMinutes: 1 } },
    });
  });

  it('leaves out the optional sections it was not given, and defaults the rest', () => {
    expect(parseDetectionConfig({})).toEqual({
      ok: true,
      config: {
        criticality: { default: 'medium', accounts: {}, resources: [], tags: [] },
        approved: { automationRoles: [], iacUserAgents: [], changeWindows: [] },
        organization: { accounts: [] },
        suppressions: [],
        businessHours: [],
        approvedRegions: [],
      },
    });
  });

  it('keeps a suppression matched by any one of its matchers', () => {
    for (const matcher of ['principal', 'resource', 'account'] as const) {
      const s = { [matcher]: matcher === 'account' ? '111122223333' : 'arn:aws:iam::*', reason, expires: '2026-12-01' };
      expect(parseDetectionConfig({ suppressions: [s] })).toMatchObject({ ok: true, config: { suppressions: [s] } });
    }
  });
});

describe('resolveCriticality', () => {
  const config = {
    default: 'low' as const,
    accounts: { '111122223333': 'medium' as const },
    resources: [
      { pattern: 'arn:aws:s3:::evidence-*', level: 'high' as const },
      { pattern: 'arn:aws:s3:::logs-*', level: 'low' as const },
    ],
    tags: [
      { key: 'env', value: 'prod', level: 'high' as const },
      { key: 'pci', level: 'medium' as const },
    ],
  };
  it.each<[string, string, string[], Record<string, string>, string]>([
    ['the default for an unknown account', '444455556666', [], {}, 'low'],
    ['the account level', '111122223333', [], {}, 'medium'],
    ['a more critical resource raises it', '111122223333', ['arn:aws:s3:::evidence-1'], {}, 'high'],
    ['a less critical resource never lowers it', '111122223333', ['arn:aws:s3:::logs-1'], {}, 'medium'],
    ['a resource on an unlisted account', '444455556666', ['arn:aws:s3:::logs-1'], {}, 'low'],
    ['a tag with the configured value', '444455556666', [], { env: 'prod' }, 'high'],
    ['a tag with another value', '444455556666', [], { env: 'dev' }, 'low'],
    ['a tag matched on its key alone', '444455556666', [], { pci: 'any' }, 'medium'],
  ])('%s', (_name, account, arns, tags, level) => {
    expect(resolveCriticality(config, account, arns, () => tags)).toBe(level);
  });

  it('never reads tags when none are configured', () => {
    let read = false;
    const level = resolveCriticality({ ...config, tags: [] }, '444455556666', [], () => {
      read = true;
      return { env: 'prod' };
    });
    expect([level, read]).toEqual(['low', false]);
    expect(resolveCriticality({ default: 'medium', accounts: {}, resources: [] }, 'x', [])).toBe('medium');
  });
});
