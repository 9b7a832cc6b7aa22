import { describe, expect, it } from 'vitest';
import { DEFAULT_DETECTION_CONFIG, parseDetectionConfig, resolveCriticality } from '../../../rules/core/config.ts';

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

describe('parseDetectionConfig: every refusal, by path', () => {
  const reason = 'planned migration of the trail';
  it.each<[string, unknown, string[]]>([
    ['not an object', 'high', ['detection: must be an object']],
    ['a list', [], ['detection: must be an object']],
    ['criticality not an object', { criticality: 'high' }, ['detection.criticality: must be an object']],
    [
      'an unknown default criticality',
      { criticality: { default: 'urgent' } },
      ['detection.criticality.default: must be high, medium or low (got "urgent")'],
    ],
    [
      'accounts not a map',
      { criticality: { accounts: ['111122223333'] } },
      ['detection.criticality.accounts: must map account ids to high|medium|low'],
    ],
    [
      'a short account id and an unknown level',
      { criticality: { accounts: { '1111': 'high', '111122223333': 'top' } } },
      [
        'detection.criticality.accounts.1111: is not a 12-digit account id',
        'detection.criticality.accounts.111122223333: must be high, medium or low (got "top")',
      ],
    ],
    [
      'resources not a list',
      { criticality: { resources: {} } },
      ['detection.criticality.resources: must be a list of {pattern, level}'],
    ],
    [
      'resource entries that are not ARN globs with a level',
      {
        criticality: {
          resources: [
            'arn:aws:s3:::b',
            { pattern: 7, level: 'high' },
            { pattern: 's3://b', level: 'high' },
            { pattern: 'arn:aws:s3:::b', level: 'top' },
          ],
        },
      },
      [0, 1, 2, 3].map(
        (i) => `detection.criticality.resources[${i}]: must be {pattern: "arn:…" glob, level: high|medium|low}`,
      ),
    ],
    [
      'tags not a list',
      { criticality: { tags: {} } },
      ['detection.criticality.tags: must be a list of {key, value?, level}'],
    ],
    [
      'tag entries with no key, an empty key, a numeric value, no level or an unknown field',
      {
        criticality: {
          tags: [
            'env',
            { key: 7, level: 'high' },
            { key: '', level: 'high' },
            { key: 'env', value: 1, level: 'high' },
            { key: 'env', level: 'top' },
            { key: 'env', level: 'high', scope: 'all' },
          ],
        },
      },
      [0, 1, 2, 3, 4, 5].map(
        (i) => `detection.criticality.tags[${i}]: must be {key: "…", value?: "…", level: high|medium|low}`,
      ),
    ],
    ['approved not an object', { approved: [] }, ['detection.approved: must be an object']],
    [
      'an unknown approved key and a role that is no ARN',
      { approved: { automationRole: 'x', automationRoles: ['deploy-role'] } },
      [
        'detection.approved.automationRole: unknown key',
        'detection.approved.automationRoles: "deploy-role" is not an ARN glob (arn:aws:iam::<account>:role/<name>)',
      ],
    ],
    [
      'user agents that are not strings',
      { approved: { iacUserAgents: ['terraform', 3] } },
      ['detection.approved.iacUserAgents: must be a list of non-empty strings'],
    ],
    [
      'a ticket pattern over 200 characters',
      { approved: { ticketPattern: 'x'.repeat(201) } },
      ['detection.approved.ticketPattern: must be a regular expression of 1 to 200 characters, e.g. "^(CHG|INC)-\\d+"'],
    ],
    ['organization not an object', { organization: 'o-1' }, ['detection.organization: must be an object']],
    [
      'an organisation id of the wrong shape, and a bad member id',
      { organization: { id: 'o-short', accounts: ['111122223333', '12'] } },
      [
        'detection.organization.id: must look like o-xxxxxxxxxx (got "o-short")',
        'detection.organization.accounts: "12" is not a 12-digit account id',
      ],
    ],
    [
      'a numeric organisation id',
      { organization: { id: 1234567890 } },
      ['detection.organization.id: must look like o-xxxxxxxxxx (got 1234567890)'],
    ],
    [
      'regions that are not region names',
      { approvedRegions: ['eu-west-1', 'europe', 'EU-WEST-1'] },
      [
        'detection.approvedRegions: "europe" is not a region name (e.g. eu-west-1)',
        'detection.approvedRegions: "EU-WEST-1" is not a region name (e.g. eu-west-1)',
      ],
    ],
    [
      'a clock skew of 0',
      { clockSkewMinutes: 0 },
      ['detection.clockSkewMinutes: must be a whole number of minutes from 1 to 1440 (got 0)'],
    ],
    [
      'a fractional clock skew',
      { clockSkewMinutes: 1.5 },
      ['detection.clockSkewMinutes: must be a whole number of minutes from 1 to 1440 (got 1.5)'],
    ],
    [
      'a clock skew over a day',
      { clockSkewMinutes: 1441 },
      ['detection.clockSkewMinutes: must be a whole number of minutes from 1 to 1440 (got 1441)'],
    ],
    [
      'a clock skew as text',
      { clockSkewMinutes: '15' },
      ['detection.clockSkewMinutes: must be a whole number of minutes from 1 to 1440 (got "15")'],
    ],
    [
      'incidents not an object',
      { incidents: 60 },
      ['detection.incidents: must be {correlationMinutes?, pageSeverity?}'],
    ],
    [
      'incident settings out of range',
      { incidents: { correlationMinutes: 0, pageSeverity: 'loud', window: 5 } },
      [
        'detection.incidents.window: unknown key',
        'detection.incidents.correlationMinutes: must be a whole number of minutes, 1..1440 (got 0)',
        'detection.incidents.pageSeverity: must be one of critical, high, medium, low, info (got "loud")',
      ],
    ],
    [
      'an incident window over a day',
      { incidents: { correlationMinutes: 1441 } },
      ['detection.incidents.correlationMinutes: must be a whole number of minutes, 1..1440 (got 1441)'],
    ],
    [
      'a fractional incident window',
      { incidents: { correlationMinutes: 2.5 } },
      ['detection.incidents.correlationMinutes: must be a whole number of minutes, 1..1440 (got 2.5)'],
    ],
    [
      'software not an object',
      { software: ['ami-1'] },
      ['detection.software: must be {approvedImages?, approvedLayerAccounts?}'],
    ],
    [
      'software with an unknown key, a bad image and a bad account',
      { software: { images: [], approvedImages: ['ami-xyz'], approvedLayerAccounts: ['vendor'] } },
      [
        'detection.software.images: unknown key',
        'detection.software.approvedImages: "ami-xyz" is not an AMI id (ami-0123456789abcdef0)',
        'detection.software.approvedLayerAccounts: "vendor" is not a 12-digit account id',
      ],
    ],
    [
      'compute not an object',
      { compute: ['p*'] },
      [
        'detection.compute: must be {watchedInstanceTypes?, approvedInstanceTypes?, approvedAccounts?, suspiciousKeyPairNames?}',
      ],
    ],
    [
      'compute with an unknown key, a catch-all watch, an upper-case type, a bad account and an empty name',
      {
        compute: {
          gpuTypes: [],
          watchedInstanceTypes: ['*'],
          approvedInstanceTypes: ['P5.*'],
          approvedAccounts: ['ml'],
          suspiciousKeyPairNames: [''],
        },
      },
      [
        'detection.compute.gpuTypes: unknown key',
        'detection.compute.watchedInstanceTypes: "*" matches every instance type; name families or sizes (p*, *.48xlarge)',
        'detection.compute.approvedInstanceTypes: "P5.*" must be lower case, as instance type names are',
        'detection.compute.approvedAccounts: "ml" is not a 12-digit account id',
        'detection.compute.suspiciousKeyPairNames: must be a list of non-empty strings',
      ],
    ],
    [
      'a service-user glob that matches everyone',
      { serviceUsers: ['svc-*', '**'] },
      ['detection.serviceUsers: "**" matches every user; name the service users (e.g. svc-*)'],
    ],
    [
      'suppressions not a list',
      { suppressions: {} },
      ['detection.suppressions: must be a list of {ruleId?, principal?, resource?, account?, reason, expires}'],
    ],
    [
      'suppressions that are not objects, or empty of matchers',
      { suppressions: ['x', { reason, expires: '2026-12-01' }] },
      [
        'detection.suppressions[0]: must be an object',
        'detection.suppressions[1].ruleId: needs at least one of ruleId, principal, resource, account',
      ],
    ],
    [
      'a suppression with an unknown key, an empty matcher, a bad account, a short reason and a bad date',
      { suppressions: [{ rule: 'x', ruleId: '', account: '12', reason: 'because', expires: '2026-02-30x' }] },
      [
        'detection.suppressions[0].rule: unknown key',
        'detection.suppressions[0].ruleId: must be a non-empty string',
        'detection.suppressions[0].account: is not a 12-digit account id',
        'detection.suppressions[0].reason: must say why (at least 10 characters): auditors read it',
        'detection.suppressions[0].expires: must be a date YYYY-MM-DD (got "2026-02-30x")',
      ],
    ],
    [
      'a suppression reason of spaces, and an expiry that is no calendar date',
      { suppressions: [{ ruleId: 'iam.admin-granted', reason: '          x', expires: '2026-13-45' }] },
      [
        'detection.suppressions[0].reason: must say why (at least 10 characters): auditors read it',
        'detection.suppressions[0].expires: must be a date YYYY-MM-DD (got "2026-13-45")',
      ],
    ],
    [
      'business hours not a list',
      { businessHours: 'weekdays' },
      ['detection.businessHours: must be a list of {days, start, end, timezone}'],
    ],
  ])('%s', (_name, input, errors) => {
    expect(parseDetectionConfig(input)).toEqual({ ok: false, errors });
  });

  it('takes a config with every section, keeping what each says', () => {
    const input = {
      criticality: {
        default: 'low',
        accounts: { '111122223333': 'high' },
        resources: [{ pattern: 'arn:aws:s3:::evidence-*', level: 'high' }],
        tags: [
          { key: 'env', value: 'prod', level: 'high' },
          { key: 'pci', level: 'medium' },
        ],
      },
      approved: {
        automationRoles: ['arn:aws:iam::111122223333:role/deploy'],
        iacUserAgents: ['terraform'],
        ticketPattern: '^CHG-\\d+',
      },
      organization: { id: 'o-abcdefghij', accounts: ['444455556666'] },
      suppressions: [{ ruleId: 'iam.admin-granted', reason, expires: '2026-12-01' }],
      approvedRegions: ['eu-west-1', 'us-gov-west-1'],
      clockSkewMinutes: 1440,
      incidents: { correlationMinutes: 1440 },
      software: { approvedImages: ['ami-0123456789abcdef0'], approvedLayerAccounts: ['444455556666'] },
      serviceUsers: ['svc-*'],
      compute: {
        watchedInstanceTypes: ['p*', '*.metal'],
        approvedInstanceTypes: ['g4dn.*'],
        approvedAccounts: ['444455556666'],
        suspiciousKeyPairNames: ['kali'],
      },
    };
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
