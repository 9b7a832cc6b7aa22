import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DETECTION_CONFIG,
  incidentConfigOf,
  parseDetectionConfig,
  resolveCriticality,
  s3SourceOf,
} from '../../../rules/core/config.ts';
import { DEFAULT_INCIDENT_CONFIG } from '../../../rules/core/incident.ts';

/** Edges of the detection config the mutation run showed untested: exact bounds and every message in full. */
const errorsOf = (input: unknown): readonly string[] => {
  const parsed = parseDetectionConfig(input);
  return parsed.ok ? [] : parsed.errors;
};

describe('s3SourceOf', () => {
  it.each<[string, { bucket: string; key: string } | undefined]>([
    ['s3://intel-bucket/tor/exits.txt', { bucket: 'intel-bucket', key: 'tor/exits.txt' }],
    ['s3://abc/k', { bucket: 'abc', key: 'k' }],
    [`s3://${'a'.repeat(63)}/k`, { bucket: 'a'.repeat(63), key: 'k' }],
    [`s3://${'a'.repeat(64)}/k`, undefined],
    ['s3://ab/k', undefined],
    ['s3://Intel-Bucket/k', undefined],
    ['s3://-bucket/k', undefined],
    ['s3://bucket-/k', undefined],
    ['s3://bucket/', undefined],
    ['s3://bucket', undefined],
    ['file:/tmp/exits.txt', undefined],
    [' s3://bucket/k', undefined],
    ['s3://bucket/k\nextra', undefined],
  ])('%s → %j', (source, expected) => {
    expect(s3SourceOf(source)).toEqual(expected);
  });
});

describe('incidentConfigOf', () => {
  it('is the configured incidents section, else the default', () => {
    const incidents = { correlationMinutes: 5, pageSeverity: 'critical' as const };
    expect(incidentConfigOf({ ...DEFAULT_DETECTION_CONFIG, incidents })).toBe(incidents);
    expect(incidentConfigOf(DEFAULT_DETECTION_CONFIG)).toBe(DEFAULT_INCIDENT_CONFIG);
  });
});

describe('approved.ticketPattern bounds', () => {
  it('takes a pattern of exactly 200 characters', () => {
    const pattern = 'x'.repeat(200);
    const parsed = parseDetectionConfig({ approved: { ticketPattern: pattern } });
    expect(parsed.ok && parsed.config.approved.ticketPattern).toBe(pattern);
  });

  it('quotes the regular expression engine on a pattern that does not compile', () => {
    const pattern = '(CHG';
    let message = '';
    try {
      new RegExp(pattern);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).not.toBe('');
    expect(errorsOf({ approved: { ticketPattern: pattern } })).toEqual([
      `detection.approved.ticketPattern: is not a valid regular expression: ${message}`,
    ]);
  });
});

describe('anonymisers', () => {
  it.each<[unknown, Record<string, unknown>]>([
    [
      { source: 'file:x', name: 'tor' },
      { source: 'file:x', name: 'tor' },
    ],
    [
      { source: 's3://abc/k', name: 'vpn', ttlMinutes: 1 },
      { source: 's3://abc/k', name: 'vpn', ttlMinutes: 1 },
    ],
    [
      { source: 'file:/a', name: 't', ttlMinutes: 1440 },
      { source: 'file:/a', name: 't', ttlMinutes: 1440 },
    ],
  ])('takes %j', (anonymisers, expected) => {
    const parsed = parseDetectionConfig({ anonymisers });
    expect(parsed.ok && parsed.config.anonymisers).toStrictEqual(expected);
  });

  it.each<[unknown, string[]]>([
    ['tor', ["detection.anonymisers: must be {source: 'file:PATH' | 's3://bucket/key', name, ttlMinutes?}"]],
    [
      { source: 'file:', name: 'tor' },
      ['detection.anonymisers.source: must be file:PATH or s3://bucket/key (got "file:")'],
    ],
    [{ source: 7, name: 'tor' }, ['detection.anonymisers.source: must be file:PATH or s3://bucket/key (got 7)']],
    [
      { source: 'file:x', name: '   ' },
      ['detection.anonymisers.name: must name the list (e.g. tor-exits), for the findings'],
    ],
    [
      { source: 'file:x', name: 5 },
      ['detection.anonymisers.name: must name the list (e.g. tor-exits), for the findings'],
    ],
    [
      { source: 'file:x', name: 't', ttlMinutes: 1441 },
      ['detection.anonymisers.ttlMinutes: must be a whole number of minutes from 1 to 1440 (got 1441)'],
    ],
    [
      { source: 'file:x', name: 't', ttlMinutes: 1.5 },
      ['detection.anonymisers.ttlMinutes: must be a whole number of minutes from 1 to 1440 (got 1.5)'],
    ],
    [
      { source: 'file:x', name: 't', ttlMinutes: '60' },
      ['detection.anonymisers.ttlMinutes: must be a whole number of minutes from 1 to 1440 (got "60")'],
    ],
  ])('refuses %j', (anonymisers, errors) => {
    expect(errorsOf({ anonymisers })).toEqual(errors);
  });
});

describe('temporaryAccess', () => {
  const entry = {
    principal: 'arn:aws:iam::111122223333:role/breakglass',
    expires: '2026-12-01',
    reason: 'incident response for INC-7',
  };

  it.each<[string, Record<string, unknown>]>([
    ['a role with no policy', entry],
    ['a user in another partition', { ...entry, principal: 'arn:aws-us-gov:iam::111122223333:user/alice' }],
    ['an AWS managed policy', { ...entry, policy: 'arn:aws:iam::aws:policy/AdministratorAccess' }],
    ['a customer managed policy', { ...entry, policy: 'arn:aws:iam::111122223333:policy/path/admin' }],
    ['an inline policy name', { ...entry, policy: 'break-glass_2026' }],
    ['a ticket', { ...entry, ticket: 'INC-7' }],
    ['a reason of exactly ten characters', { ...entry, reason: '0123456789' }],
  ])('takes %s', (_name, e) => {
    const parsed = parseDetectionConfig({ temporaryAccess: [e] });
    expect(parsed.ok && parsed.config.temporaryAccess).toEqual([e]);
  });

  it.each<[string, unknown, string[]]>([
    ['not a list', {}, ['detection.temporaryAccess: must be a list of {principal, policy?, expires, ticket?, reason}']],
    [
      'an empty ticket',
      [{ ...entry, ticket: '  ' }],
      ['detection.temporaryAccess[0].ticket: must be a non-empty string'],
    ],
    [
      'a numeric ticket',
      [{ ...entry, ticket: 7 }],
      ['detection.temporaryAccess[0].ticket: must be a non-empty string'],
    ],
    [
      'a principal that is a group',
      [{ ...entry, principal: 'arn:aws:iam::111122223333:group/admins' }],
      [
        'detection.temporaryAccess[0].principal: must be an IAM user or role ARN (got "arn:aws:iam::111122223333:group/admins")',
      ],
    ],
    [
      'a principal with trailing text',
      [{ ...entry, principal: 'x arn:aws:iam::111122223333:role/r' }],
      [
        'detection.temporaryAccess[0].principal: must be an IAM user or role ARN (got "x arn:aws:iam::111122223333:role/r")',
      ],
    ],
    [
      'a numeric policy',
      [{ ...entry, policy: 5 }],
      ['detection.temporaryAccess[0].policy: must be a managed policy ARN or an inline policy name (got 5)'],
    ],
    [
      'an inline policy name over 128 characters',
      [{ ...entry, policy: 'p'.repeat(129) }],
      [
        `detection.temporaryAccess[0].policy: must be a managed policy ARN or an inline policy name (got "${'p'.repeat(129)}")`,
      ],
    ],
    [
      'a reason of nine characters',
      [{ ...entry, reason: '123456789' }],
      ['detection.temporaryAccess[0].reason: must say why (at least 10 characters): auditors read it'],
    ],
    [
      'an expiry in a list',
      [{ ...entry, expires: ['2026-12-01'] }],
      [
        'detection.temporaryAccess[0].expires: must be an ISO date or date-time with a zone, e.g. 2026-12-01 or 2026-12-01T18:00:00Z (got ["2026-12-01"])',
      ],
    ],
    [
      'a principal in a list',
      [{ ...entry, principal: ['arn:aws:iam::111122223333:role/r'] }],
      [
        'detection.temporaryAccess[0].principal: must be an IAM user or role ARN (got ["arn:aws:iam::111122223333:role/r"])',
      ],
    ],
    [
      'a reason padded to ten characters',
      [{ ...entry, reason: `${' '.repeat(9)}x` }],
      ['detection.temporaryAccess[0].reason: must say why (at least 10 characters): auditors read it'],
    ],
    [
      'a numeric reason',
      [{ ...entry, reason: 12345678901 }],
      ['detection.temporaryAccess[0].reason: must say why (at least 10 characters): auditors read it'],
    ],
  ])('refuses %s', (_name, temporaryAccess, errors) => {
    expect(errorsOf({ temporaryAccess })).toEqual(errors);
  });
});

describe('the detection config at its other edges', () => {
  it('refuses null as a whole, not as an empty config', () => {
    expect(errorsOf(null)).toEqual(['detection: must be an object']);
  });

  it('leaves absent optional fields out entirely, not set to undefined', () => {
    const parsed = parseDetectionConfig({
      organization: { accounts: [] },
      criticality: { tags: [{ key: 'pci', level: 'high' }] },
    });
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(Object.keys(parsed.config).sort()).toEqual(
      ['approved', 'approvedRegions', 'businessHours', 'criticality', 'organization', 'suppressions'].sort(),
    );
    expect(Object.keys(parsed.config.organization)).toEqual(['accounts']);
    expect(parsed.config.criticality.tags).toStrictEqual([{ key: 'pci', level: 'high' }]);
  });

  it.each<[unknown, string]>([
    [['o-abcdefghij'], 'detection.organization.id: must look like o-xxxxxxxxxx (got ["o-abcdefghij"])'],
    ['x-o-abcdefghij', 'detection.organization.id: must look like o-xxxxxxxxxx (got "x-o-abcdefghij")'],
    ['o-abcdefghij!', 'detection.organization.id: must look like o-xxxxxxxxxx (got "o-abcdefghij!")'],
  ])('refuses the organisation id %j', (id, error) => {
    expect(errorsOf({ organization: { id } })).toEqual([error]);
  });

  it('accepts resource and user globs that start with a wildcard but are not only wildcards', () => {
    const parsed = parseDetectionConfig({
      selfProtection: { resources: ['*-trailwarden'], deployRoles: [] },
      serviceUsers: ['*-ci'],
    });
    expect(parsed.ok && [parsed.config.selfProtection?.resources, parsed.config.serviceUsers]).toEqual([
      ['*-trailwarden'],
      ['*-ci'],
    ]);
  });

  it('refuses a resource glob of several wildcards', () => {
    expect(errorsOf({ selfProtection: { resources: ['**'] } })).toEqual([
      'detection.selfProtection.resources: "**" matches every resource; name Trailwarden\'s own (e.g. Trailwarden-*)',
    ]);
  });

  it.each(['xami-0123abcd', 'ami-0123abcd!'])('refuses the image id %j', (image) => {
    expect(errorsOf({ software: { approvedImages: [image] } })).toEqual([
      `detection.software.approvedImages: ${JSON.stringify(image)} is not an AMI id (ami-0123456789abcdef0)`,
    ]);
  });

  const reason = 'planned migration of the trail';
  it.each<[string, Record<string, unknown>, string[]]>([
    [
      'a numeric matcher beside a good one',
      { ruleId: 'iam.admin-granted', principal: 5, reason, expires: '2026-12-01' },
      ['detection.suppressions[0].principal: must be a non-empty string'],
    ],
    [
      'an expiry in a list',
      { ruleId: 'iam.admin-granted', reason, expires: ['2026-12-01'] },
      ['detection.suppressions[0].expires: must be a date YYYY-MM-DD (got ["2026-12-01"])'],
    ],
    [
      'an expiry with an expanded year',
      { ruleId: 'iam.admin-granted', reason, expires: '+002026-12-01' },
      ['detection.suppressions[0].expires: must be a date YYYY-MM-DD (got "+002026-12-01")'],
    ],
  ])('refuses a suppression with %s', (_name, suppression, errors) => {
    expect(errorsOf({ suppressions: [suppression] })).toEqual(errors);
  });

  it('takes a suppression whose reason is exactly ten characters', () => {
    const s = { ruleId: 'iam.admin-granted', reason: '0123456789', expires: '2026-12-01' };
    expect(parseDetectionConfig({ suppressions: [s] })).toMatchObject({ ok: true, config: { suppressions: [s] } });
  });

  it('reads no tags when the caller gives none, even with tag rules configured', () => {
    const config = {
      default: 'low' as const,
      accounts: {},
      resources: [],
      tags: [{ key: 'env', level: 'high' as const }],
    };
    expect(resolveCriticality(config, '111122223333', [])).toBe('low');
  });
});
