/**
 * Inputs of the detection-config tests, shared with test/config-schema.test.ts: what parseDetectionConfig takes
 * must validate against trailwarden.config.schema.json (under `detection`), and what it refuses for a shape reason
 * must fail it.
 */

const reason = 'planned migration of the trail';

/** A detection object with every section; parseDetectionConfig takes it. */
export const FULL_DETECTION = {
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

/** [name, detection input, expected errors]: every refusal, by path. */
export const DETECTION_REFUSALS: readonly (readonly [string, unknown, string[]])[] = [
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
  [
    'a criticality default misspelt, a resource with a stray key, an organisation key misspelt',
    {
      criticality: { defualt: 'high', resources: [{ pattern: 'arn:aws:s3:::logs-*', level: 'high', levle: 'low' }] },
      organization: { accounts: ['111122223333'], ids: 'o-exampleorgid' },
    },
    [
      'detection.criticality.defualt: unknown key',
      'detection.criticality.resources[0]: must be {pattern: "arn:…" glob, level: high|medium|low}',
      'detection.organization.ids: unknown key',
    ],
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
  ['incidents not an object', { incidents: 60 }, ['detection.incidents: must be {correlationMinutes?, pageSeverity?}']],
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
];

/** [detection input, expected error]: self-protection blocks refused. */
export const SELF_PROTECTION_REFUSALS: readonly (readonly [unknown, string])[] = [
  [{ selfProtection: 'Trailwarden-*' }, 'detection.selfProtection: must be {resources, deployRoles}'],
  [{ selfProtection: { resource: ['Trailwarden-*'] } }, 'detection.selfProtection.resource: unknown key'],
  [
    { selfProtection: { resources: 'Trailwarden-*' } },
    'detection.selfProtection.resources: must be a list of non-empty strings',
  ],
  [{ selfProtection: { resources: [''] } }, 'detection.selfProtection.resources: must be a list of non-empty strings'],
  [
    { selfProtection: { resources: ['*'] } },
    'detection.selfProtection.resources: "*" matches every resource; name Trailwarden\'s own (e.g. Trailwarden-*)',
  ],
  [
    { selfProtection: { resources: ['Trailwarden-*'], deployRoles: ['cdk-*-cfn-exec-role-*'] } },
    'detection.selfProtection.deployRoles: "cdk-*-cfn-exec-role-*" is not an ARN glob (arn:aws:iam::<account>:role/<name>)',
  ],
];

/** [anonymisers block, the parsed block]: anonymiser lists taken. */
export const ANONYMISER_TAKES: readonly (readonly [unknown, Record<string, unknown>])[] = [
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
];

/** [anonymisers block, expected errors]: anonymiser lists refused. */
export const ANONYMISER_REFUSALS: readonly (readonly [unknown, string[]])[] = [
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
];

const entry = {
  principal: 'arn:aws:iam::111122223333:role/breakglass',
  expires: '2026-12-01',
  reason: 'incident response for INC-7',
};

/** [name, one temporaryAccess entry]: entries taken. */
export const TEMPORARY_ACCESS_TAKES: readonly (readonly [string, Record<string, unknown>])[] = [
  ['a role with no policy', entry],
  ['a user in another partition', { ...entry, principal: 'arn:aws-us-gov:iam::111122223333:user/alice' }],
  ['an AWS managed policy', { ...entry, policy: 'arn:aws:iam::aws:policy/AdministratorAccess' }],
  ['a customer managed policy', { ...entry, policy: 'arn:aws:iam::111122223333:policy/path/admin' }],
  ['an inline policy name', { ...entry, policy: 'break-glass_2026' }],
  ['a ticket', { ...entry, ticket: 'INC-7' }],
  ['a reason of exactly ten characters', { ...entry, reason: '0123456789' }],
];

/** [name, temporaryAccess value, expected errors]: values refused. */
export const TEMPORARY_ACCESS_REFUSALS: readonly (readonly [string, unknown, string[]])[] = [
  ['not a list', {}, ['detection.temporaryAccess: must be a list of {principal, policy?, expires, ticket?, reason}']],
  [
    'an empty ticket',
    [{ ...entry, ticket: '  ' }],
    ['detection.temporaryAccess[0].ticket: must be a non-empty string'],
  ],
  ['a numeric ticket', [{ ...entry, ticket: 7 }], ['detection.temporaryAccess[0].ticket: must be a non-empty string']],
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
];
