import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DETECTION_CONFIG,
  incidentConfigOf,
  parseDetectionConfig,
  resolveCriticality,
  s3SourceOf,
} from '../../../rules/core/config.ts';
import { DEFAULT_INCIDENT_CONFIG } from '../../../rules/core/incident.ts';
import {
  ANONYMISER_REFUSALS,
  ANONYMISER_TAKES,
  TEMPORARY_ACCESS_REFUSALS,
  TEMPORARY_ACCESS_TAKES,
} from './config-cases.ts';

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
  it.each(ANONYMISER_TAKES)('takes %j', (anonymisers, expected) => {
    const parsed = parseDetectionConfig({ anonymisers });
    expect(parsed.ok && parsed.config.anonymisers).toStrictEqual(expected);
  });

  it.each(ANONYMISER_REFUSALS)('refuses %j', (anonymisers, errors) => {
    expect(errorsOf({ anonymisers })).toEqual(errors);
  });
});

describe('temporaryAccess', () => {
  it.each(TEMPORARY_ACCESS_TAKES)('takes %s', (_name, e) => {
    const parsed = parseDetectionConfig({ temporaryAccess: [e] });
    expect(parsed.ok && parsed.config.temporaryAccess).toEqual([e]);
  });

  it.each(TEMPORARY_ACCESS_REFUSALS)('refuses %s', (_name, temporaryAccess, errors) => {
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
