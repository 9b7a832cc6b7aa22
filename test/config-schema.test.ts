import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detectionConfigFrom } from '../cli/config-file.ts';
import {
  ALERTS_KEYS,
  CHAT_KEYS,
  FILE_KEYS,
  HEALTH_KEYS,
  HEALTH_LIMITS,
  HTTPS_ALERT_KEYS,
  MAX_RETENTION_DAYS,
  ORG_KEYS,
  ORG_LIMITS,
  parseConfig,
  SCHEMA_KEY,
} from '../infra/config.ts';
import { DEFAULT_ELEVATED_ACCESS, ELEVATED_ACCESS_KEYS } from '../infra/elevated-access-config.ts';
import { REPLAY_KEYS, REPLAY_LIMITS } from '../infra/replay-config.ts';
import { DEFAULT_TRAIL_INTEGRITY, TRAIL_BUCKET_KEYS, TRAIL_INTEGRITY_KEYS } from '../infra/trail-integrity-config.ts';
import { CHANGE_WINDOW_KEYS, WEEKDAYS } from '../rules/core/change-window.ts';
import {
  ANONYMISER_KEYS,
  APPROVED_KEYS,
  COMPUTE_KEYS,
  CRITICALITY_KEYS,
  CRITICALITY_RESOURCE_KEYS,
  CRITICALITY_TAG_KEYS,
  DETECTION_KEYS,
  INCIDENT_KEYS,
  ORGANIZATION_KEYS,
  parseDetectionConfig,
  SELF_PROTECTION_KEYS,
  SOFTWARE_KEYS,
  TEMPORARY_ACCESS_KEYS,
} from '../rules/core/config.ts';
import { DEFAULT_DRILLS_CONFIG, DRILLS_KEYS } from '../rules/core/drill-run.ts';
import { DEFAULT_INCIDENT_CONFIG, INCIDENT_LIMITS } from '../rules/core/incident.ts';
import { DEFAULT_SLA } from '../rules/core/sla.ts';
import { SUPPRESSION_MATCHERS } from '../rules/core/suppressions.ts';
import { CRITICALITIES, SEVERITIES } from '../rules/core/vocabulary.ts';
import {
  BAD_ORG_FILE,
  COMPLETE_CONFIG,
  CONFIG_REFUSALS,
  ORG_BLOCK,
  ORG_HOME,
  SWITCH_REFUSALS,
} from './infra/config-cases.ts';
import {
  ANONYMISER_REFUSALS,
  ANONYMISER_TAKES,
  DETECTION_REFUSALS,
  FULL_DETECTION,
  SELF_PROTECTION_REFUSALS,
  TEMPORARY_ACCESS_REFUSALS,
  TEMPORARY_ACCESS_TAKES,
} from './rules/core/config-cases.ts';

/**
 * trailwarden.config.schema.json is what editors complete and check; infra/config.ts and rules/core/config.ts are
 * what Trailwarden enforces. These tests keep the two in step: every config the parsers take validates, every
 * config they refuse for a shape reason fails, and the schema names exactly the keys the parsers know.
 */
const ROOT = join(import.meta.dirname, '..');
type SchemaNode = {
  readonly type?: string;
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly items?: SchemaNode;
  readonly additionalProperties?: boolean | SchemaNode;
  readonly $ref?: string;
  readonly enum?: readonly unknown[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly default?: unknown;
  readonly description?: string;
  readonly definitions?: Readonly<Record<string, SchemaNode>>;
  readonly [key: string]: unknown;
};
const SCHEMA = JSON.parse(readFileSync(join(ROOT, 'trailwarden.config.schema.json'), 'utf8')) as SchemaNode;
const ajv = new Ajv({ allErrors: true });
const validate = ajv.compile(SCHEMA);
const schemaErrors = (value: unknown): string => (validate(value) ? '' : JSON.stringify(validate.errors));

const fileErrors = (file: unknown): readonly string[] => {
  const parsed = parseConfig(file);
  return parsed.ok ? [] : parsed.errors;
};
const detectionErrors = (detection: unknown): readonly string[] => {
  const parsed = parseDetectionConfig(detection);
  return parsed.ok ? [] : parsed.errors;
};

/**
 * Refusals the schema cannot express (JSON Schema sees one value at a time, with no calendar, time zone database or
 * regex compiler): a parser error matching one of these is allowed to pass the schema. The test below also proves
 * each one does pass it, so an entry goes away as soon as the schema learns to catch it.
 */
const KNOWN_EXCEPTIONS: readonly { readonly error: RegExp; readonly why: string }[] = [
  { error: /changeWindows\[\d+\]\.end: must be after start/, why: 'cross-field: end after start' },
  { error: /\.timezone: must be an IANA time zone/, why: 'needs the time zone database (Intl)' },
  { error: /^breakGlassRoleArn: must be a role of account/, why: 'cross-field: the role of `account`' },
  { error: /ticketPattern: is not a valid regular expression/, why: 'needs compiling the regex' },
  { error: /^detection\.anonymisers\.source: the deployed function reads lists from S3/, why: 'CLI takes file:' },
  { error: /^org\.regions: must include homeRegion/, why: 'cross-field: homeRegion among org.regions' },
  { error: /resolveMinutes .* is shorter than ackMinutes/, why: 'cross-field: resolve not before ack' },
  { error: /^drills\.latencySeconds\.\w+: .* is longer than sla\./, why: 'cross-field: drill latency within the SLA' },
  {
    error: /temporaryAccess\[\d+\]\.expires: must be an ISO date .*\(got "\d{4}-\d{2}-(29|30|31)"\)$/,
    why: 'calendar: 2026-02-31 does not exist',
  },
];
const excepted = (errors: readonly string[]): boolean =>
  errors.length > 0 && errors.every((e) => KNOWN_EXCEPTIONS.some((x) => x.error.test(e)));

/** `detection.suppressions[0].expires: …` → `/detection/suppressions/0/expires` (`config file: …` → the root). */
const pointerOf = (error: string): string => {
  const path = error.slice(0, error.indexOf(': '));
  return path === 'config file'
    ? ''
    : `/${path
        .replace(/\[(\d+)\]/g, '.$1')
        .split('.')
        .join('/')}`;
};
/**
 * Parser errors the schema misses: each must meet a schema error on the same value, a part of it (a list item,
 * a key) or the object holding it (unknown and required keys), so a refusal is not passed by luck on another key.
 */
/** Keywords that judge an object's keys: reported on the object, naming the key in `params`. */
const KEY_PARAMS: Readonly<Record<string, string>> = {
  additionalProperties: 'additionalProperty',
  required: 'missingProperty',
  propertyNames: 'propertyName',
};
const unmatched = (parserErrors: readonly string[], value: unknown): string[] => {
  validate(value);
  const found = validate.errors ?? [];
  return parserErrors
    .filter((e) => !KNOWN_EXCEPTIONS.some((x) => x.error.test(e)))
    .filter((e) => {
      const p = pointerOf(e);
      return !found.some(({ instancePath: s, keyword, params }) => {
        const key: unknown = keyword === 'dependencies' ? params.property : params[KEY_PARAMS[keyword] ?? ''];
        return (
          s === p ||
          s.startsWith(`${p}/`) ||
          (key !== undefined && p === `${s}/${String(key)}`) ||
          // A list item listed twice is reported on the list.
          (keyword === 'uniqueItems' && p.startsWith(`${s}/`))
        );
      });
    });
};

/** Files the parsers take, from the parser tests' own tables. */
const ACCEPTED_FILES: readonly (readonly [string, unknown])[] = [
  ['an empty file', {}],
  ['the complete file of test/infra/config.test.ts', COMPLETE_CONFIG],
  ['an org deployment', { ...ORG_HOME, org: ORG_BLOCK }],
  ['a delegated-admin org over an OU', { ...ORG_HOME, org: { ...ORG_BLOCK, deploymentTargets: ['ou-ab12-cdefgh34'] } }],
  ['Security Hub and chat on', { securityHub: true, chat: { enabled: true } }],
  ['health at its edges', { health: { deliveryLagMinutes: 1440, silenceMinutes: 15 } }],
  ['an empty health block', { health: {} }],
  ['drill operators', { drillOperators: ['arn:aws:iam::111122223333:role/drill'] }],
  [
    'a break-glass role with a path',
    {
      account: '111122223333',
      breakGlassRoleArn:
        'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_BreakGlass_0a1b',
    },
  ],
  ['a GovCloud break-glass role', { breakGlassRoleArn: 'arn:aws-us-gov:iam::111122223333:role/bg' }],
  ['the full detection object', { detection: FULL_DETECTION }],
  ...ANONYMISER_TAKES.filter(([a]) => !JSON.stringify(a).includes('file:')).map(
    ([anonymisers]) => [`anonymisers ${JSON.stringify(anonymisers)}`, { detection: { anonymisers } }] as const,
  ),
  ...TEMPORARY_ACCESS_TAKES.map(
    ([name, e]) => [`temporaryAccess: ${name}`, { detection: { temporaryAccess: [e] } }] as const,
  ),
  [
    'every optional block at its defaults',
    {
      $schema: './trailwarden.config.schema.json',
      retentionDays: MAX_RETENTION_DAYS,
      sla: DEFAULT_SLA,
      drills: DEFAULT_DRILLS_CONFIG,
      elevatedAccess: DEFAULT_ELEVATED_ACCESS,
      trailIntegrity: DEFAULT_TRAIL_INTEGRITY,
      replay: { maxConcurrency: 1, batchFiles: 1000, trailBuckets: ['s3://org-trail/ct', 'org-trail'] },
    },
  ],
];

/** Detection objects the CLI takes (file: sources included), from the parser tests' tables. */
const ACCEPTED_DETECTION: readonly (readonly [string, unknown])[] = [
  ['the full detection object', FULL_DETECTION],
  ...ANONYMISER_TAKES.map(([anonymisers]) => [`anonymisers ${JSON.stringify(anonymisers)}`, { anonymisers }] as const),
];

/** Files the parsers refuse, each with the parser's errors. */
const REFUSED_FILES: readonly (readonly [string, unknown])[] = [
  ...[...CONFIG_REFUSALS, ...SWITCH_REFUSALS]
    .filter(([, context]) => Object.keys(context).length === 0)
    .map(([file, , error]) => [error, file] as const),
  ['a bad org block', BAD_ORG_FILE],
  ['org without account and homeRegion', { org: ORG_BLOCK }],
  ['org regions without the home region', { ...ORG_HOME, homeRegion: 'eu-central-1', org: ORG_BLOCK }],
  ['a $schema that is no string', { $schema: 7 }],
  ...DETECTION_REFUSALS.map(([name, input]) => [`detection: ${name}`, { detection: input }] as const),
  ...SELF_PROTECTION_REFUSALS.map(([input, error]) => [error, { detection: input }] as const),
  ...ANONYMISER_REFUSALS.map(([anonymisers, errors]) => [errors.join('; '), { detection: { anonymisers } }] as const),
  ...TEMPORARY_ACCESS_REFUSALS.map(
    ([name, temporaryAccess]) => [`temporaryAccess: ${name}`, { detection: { temporaryAccess } }] as const,
  ),
  ['a ticket pattern that does not compile', { detection: { approved: { ticketPattern: '(CHG' } } }],
  ['an anonymiser file on the deployed function', { detection: { anonymisers: { source: 'file:x', name: 't' } } }],
  [
    'a drill slower than its SLA',
    { sla: { critical: { ackMinutes: 1, resolveMinutes: 10 } }, drills: { latencySeconds: { critical: 61 } } },
  ],
  ['an SLA resolved before it is acknowledged', { sla: { high: { ackMinutes: 60, resolveMinutes: 30 } } }],
  ['an unknown SLA severity', { sla: { urgent: { ackMinutes: 1 } } }],
  ['a rate under 5 minutes', { elevatedAccess: { schedule: 'rate(4 minutes)' } }],
  ['a wildcard trail bucket', { replay: { trailBuckets: ['org-trail/ct*'] } }],
  ['a trail-integrity block without buckets', { trailIntegrity: { lagMinutes: 30 } }],
  ['a prefix with a trailing slash', { trailIntegrity: { buckets: [{ bucket: 'org-trail', prefix: 'ct/' }] } }],
  ['a day listed twice', { changeWindows: [{ days: ['Mon', 'Mon'], start: '08:00', end: '09:00' }] }],
  [
    'a February 31st expiry',
    { detection: { temporaryAccess: [{ ...TEMPORARY_ACCESS_TAKES[0]?.[1], expires: '2026-02-31' }] } },
  ],
];

describe('trailwarden.config.schema.json', () => {
  it('is a valid draft-07 schema that ajv compiles in strict mode', () => {
    expect(SCHEMA.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(ajv.validateSchema(SCHEMA), JSON.stringify(ajv.errors)).toBe(true);
    expect(() => new Ajv({ strict: true, strictRequired: false }).compile(SCHEMA)).not.toThrow();
  });

  const examples = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.config.json'));
  it('has example configs to check', () => expect(examples).toContain('trailwarden.config.json'));
  it.each(examples)('validates examples/%s, which names the schema and which both parsers take', (name) => {
    const file: unknown = JSON.parse(readFileSync(join(ROOT, 'examples', name), 'utf8'));
    expect(schemaErrors(file)).toBe('');
    expect(file).toMatchObject({ $schema: '../trailwarden.config.schema.json' });
    expect(fileErrors(file)).toEqual([]);
    expect(detectionConfigFrom(file).ok).toBe(true);
  });

  it("validates every README JSON block that parseConfig takes (the Configuration section's examples)", () => {
    const blocks = [...readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(/```json\n([\s\S]*?)```/g)].flatMap(
      (m) => {
        try {
          return [JSON.parse(m[1] ?? '') as unknown];
        } catch {
          return []; // fragments ("key": …) are not whole files
        }
      },
    );
    const files = blocks.filter((b) => typeof b === 'object' && b !== null && fileErrors(b).length === 0);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(schemaErrors(f), JSON.stringify(f)).toBe('');
  });
});

describe('the schema agrees with the parsers', () => {
  it.each(ACCEPTED_FILES)('parseConfig takes %s, and so does the schema', (_name, file) => {
    expect(fileErrors(file)).toEqual([]);
    expect(schemaErrors(file)).toBe('');
  });

  it.each(ACCEPTED_DETECTION)('parseDetectionConfig takes %s, and so does the schema', (_name, detection) => {
    expect(detectionErrors(detection)).toEqual([]);
    expect(schemaErrors({ detection })).toBe('');
  });

  it.each(REFUSED_FILES)('the parsers refuse %s, and so does the schema (or it is a known exception)', (_n, file) => {
    const errors = fileErrors(file);
    expect(errors.length).toBeGreaterThan(0);
    if (excepted(errors)) expect(schemaErrors(file), `a known exception now caught: ${errors.join('; ')}`).toBe('');
    else expect(unmatched(errors, file), schemaErrors(file)).toEqual([]);
  });

  it('uses every known exception, so none stays listed for nothing', () => {
    const seen = REFUSED_FILES.flatMap(([, file]) => fileErrors(file));
    for (const x of KNOWN_EXCEPTIONS)
      expect(
        seen.some((e) => x.error.test(e)),
        x.why,
      ).toBe(true);
  });
});

/** Paths of the schema's object nodes (`properties`), `$ref`s followed, with the keys each lists. */
const objectNodes = (): Map<string, SchemaNode> => {
  const out = new Map<string, SchemaNode>();
  const resolve = (n: SchemaNode): SchemaNode =>
    n.$ref === undefined ? n : (SCHEMA.definitions?.[n.$ref.replace('#/definitions/', '')] ?? n);
  const walk = (path: string, node: SchemaNode) => {
    const n = resolve(node);
    if (n.properties) {
      out.set(path, n);
      for (const [k, child] of Object.entries(n.properties)) walk(path === '' ? k : `${path}.${k}`, child);
    }
    if (n.items) walk(`${path}[]`, n.items);
  };
  walk('', SCHEMA);
  return out;
};

/** Every object the parsers read, with the keys they know (every one refuses a key it does not know). */
const PARSER_KEYS: Readonly<Record<string, { readonly keys: readonly string[] }>> = {
  '': { keys: [SCHEMA_KEY, ...FILE_KEYS] },
  alerts: { keys: ALERTS_KEYS },
  'alerts.https[]': { keys: HTTPS_ALERT_KEYS },
  health: { keys: HEALTH_KEYS },
  'changeWindows[]': { keys: CHANGE_WINDOW_KEYS },
  detection: { keys: DETECTION_KEYS },
  'detection.criticality': { keys: CRITICALITY_KEYS },
  'detection.criticality.resources[]': { keys: CRITICALITY_RESOURCE_KEYS },
  'detection.criticality.tags[]': { keys: CRITICALITY_TAG_KEYS },
  'detection.approved': { keys: APPROVED_KEYS },
  'detection.approved.changeWindows[]': { keys: CHANGE_WINDOW_KEYS },
  'detection.organization': { keys: ORGANIZATION_KEYS },
  'detection.suppressions[]': { keys: [...SUPPRESSION_MATCHERS, 'reason', 'expires'] },
  'detection.businessHours[]': { keys: CHANGE_WINDOW_KEYS },
  'detection.selfProtection': { keys: SELF_PROTECTION_KEYS },
  'detection.incidents': { keys: INCIDENT_KEYS },
  'detection.software': { keys: SOFTWARE_KEYS },
  'detection.compute': { keys: COMPUTE_KEYS },
  'detection.temporaryAccess[]': { keys: TEMPORARY_ACCESS_KEYS },
  'detection.anonymisers': { keys: ANONYMISER_KEYS },
  sla: { keys: SEVERITIES },
  ...Object.fromEntries(SEVERITIES.map((s) => [`sla.${s}`, { keys: ['ackMinutes', 'resolveMinutes'] }])),
  chat: { keys: CHAT_KEYS },
  replay: { keys: REPLAY_KEYS },
  drills: { keys: DRILLS_KEYS },
  'drills.latencySeconds': { keys: Object.keys(DEFAULT_DRILLS_CONFIG.latencySeconds) },
  org: { keys: ORG_KEYS },
  trailIntegrity: { keys: TRAIL_INTEGRITY_KEYS },
  'trailIntegrity.buckets[]': { keys: TRAIL_BUCKET_KEYS },
  elevatedAccess: { keys: ELEVATED_ACCESS_KEYS },
};

describe('key coverage', () => {
  const nodes = objectNodes();
  it('describes exactly the objects the parsers read', () => {
    expect([...nodes.keys()].sort()).toEqual(Object.keys(PARSER_KEYS).sort());
  });

  it.each(Object.entries(PARSER_KEYS))('%s: the schema lists exactly the parser keys', (path, { keys }) => {
    const node = nodes.get(path);
    expect(Object.keys(node?.properties ?? {}).sort()).toEqual([...keys].sort());
    // Closed, as the parser refuses unknown keys.
    expect(node?.additionalProperties).toBe(false);
  });

  it('gives every property a one-line description', () => {
    const missing: string[] = [];
    for (const [path, node] of nodes) {
      for (const [k, child] of Object.entries(node.properties ?? {})) {
        const d = child.description;
        if (typeof d !== 'string' || d.length < 8 || d.includes('\n')) missing.push(`${path}.${k}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('takes enums, limits and defaults from the parsers', () => {
    const at = (path: string, key: string): SchemaNode => nodes.get(path)?.properties?.[key] ?? {};
    const defs = SCHEMA.definitions ?? {};
    expect(defs.severity?.enum).toEqual(SEVERITIES);
    expect(defs.criticality?.enum).toEqual(CRITICALITIES);
    expect(nodes.get('changeWindows[]')?.properties?.days?.items?.enum).toEqual(WEEKDAYS);
    const limits = (path: string, table: Record<string, { default: number; min: number; max: number }>) => {
      for (const [key, { default: d, min, max }] of Object.entries(table)) {
        expect([at(path, key).minimum, at(path, key).maximum, at(path, key).default], `${path}.${key}`).toEqual([
          min,
          max,
          d,
        ]);
      }
    };
    limits('health', HEALTH_LIMITS);
    limits('org', ORG_LIMITS);
    limits('replay', REPLAY_LIMITS);
    limits('detection.incidents', INCIDENT_LIMITS);
    expect(at('detection.incidents', 'pageSeverity').default).toBe(DEFAULT_INCIDENT_CONFIG.pageSeverity);
    expect(at('', 'retentionDays').maximum).toBe(MAX_RETENTION_DAYS);
    for (const s of SEVERITIES) {
      expect([at(`sla.${s}`, 'ackMinutes').default, at(`sla.${s}`, 'resolveMinutes').default]).toEqual([
        DEFAULT_SLA[s].ackMinutes,
        DEFAULT_SLA[s].resolveMinutes,
      ]);
    }
    const defaults = (path: string, values: object) => {
      for (const [k, v] of Object.entries(values)) {
        if (typeof v !== 'object') expect(at(path, k).default, `${path}.${k}`).toEqual(v);
      }
    };
    defaults('drills', DEFAULT_DRILLS_CONFIG);
    defaults('drills.latencySeconds', DEFAULT_DRILLS_CONFIG.latencySeconds);
    defaults('elevatedAccess', DEFAULT_ELEVATED_ACCESS);
    defaults('trailIntegrity', DEFAULT_TRAIL_INTEGRITY);
  });
});

describe('property: random configs from the parsers’ keys', () => {
  type Shape = { readonly keys: Readonly<Record<string, Shape>> } | { readonly items: Shape } | 'leaf';
  const obj = (keys: readonly string[], nested: Record<string, Shape> = {}): Shape => ({
    keys: Object.fromEntries(keys.map((k) => [k, nested[k] ?? 'leaf'])),
  });
  const window = obj(CHANGE_WINDOW_KEYS);
  const detection = obj(DETECTION_KEYS, {
    criticality: obj(['default', 'accounts', 'resources', 'tags'], {
      resources: { items: obj(['pattern', 'level']) },
      tags: { items: obj(CRITICALITY_TAG_KEYS) },
    }),
    approved: obj(APPROVED_KEYS, { changeWindows: { items: window } }),
    organization: obj(['id', 'accounts']),
    suppressions: { items: obj([...SUPPRESSION_MATCHERS, 'reason', 'expires']) },
    businessHours: { items: window },
    selfProtection: obj(SELF_PROTECTION_KEYS),
    incidents: obj(INCIDENT_KEYS),
    software: obj(SOFTWARE_KEYS),
    compute: obj(COMPUTE_KEYS),
    temporaryAccess: { items: obj(TEMPORARY_ACCESS_KEYS) },
    anonymisers: obj(ANONYMISER_KEYS),
  });
  const file = obj(FILE_KEYS, {
    alerts: obj(ALERTS_KEYS, { https: { items: obj(HTTPS_ALERT_KEYS) } }),
    health: obj(HEALTH_KEYS),
    changeWindows: { items: window },
    detection,
    sla: obj(SEVERITIES, Object.fromEntries(SEVERITIES.map((s) => [s, obj(['ackMinutes', 'resolveMinutes'])]))),
    chat: obj(CHAT_KEYS),
    replay: obj(REPLAY_KEYS),
    drills: obj(DRILLS_KEYS, { latencySeconds: obj(['critical', 'high']) }),
    org: obj(ORG_KEYS),
    trailIntegrity: obj(TRAIL_INTEGRITY_KEYS, { buckets: { items: obj(TRAIL_BUCKET_KEYS) } }),
    elevatedAccess: obj(ELEVATED_ACCESS_KEYS),
  });

  // Values seen at each key in the accepted configs (so random configs are often valid), beside random JSON.
  const seen = new Map<string, unknown[]>();
  const collect = (v: unknown, key: string) => {
    if (Array.isArray(v)) for (const x of v) collect(x, `${key}[]`);
    else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) collect(x, k);
    seen.set(key, [...(seen.get(key) ?? []), v]);
  };
  for (const [, f] of ACCEPTED_FILES) collect(f, '');
  const edges = [
    0,
    1,
    5,
    13,
    15,
    59,
    60,
    100,
    101,
    1440,
    1441,
    10_080,
    36_500,
    525_600,
    1.5,
    -1,
    '',
    ' ',
    '*',
    true,
    null,
  ];
  const leaf = (key: string): fc.Arbitrary<unknown> => {
    const known = [...(seen.get(key) ?? []), ...(seen.get(`${key}[]`) ?? []).map((x) => [x])];
    return fc.oneof(
      { weight: 4, arbitrary: known.length > 0 ? fc.constantFrom(...known) : fc.constant(undefined) },
      { weight: 1, arbitrary: fc.constantFrom(...edges) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
    );
  };
  const arb = (shape: Shape, key: string): fc.Arbitrary<unknown> => {
    if (shape === 'leaf') return leaf(key);
    if ('items' in shape) return fc.oneof(fc.array(arb(shape.items, `${key}[]`), { maxLength: 3 }), leaf(key));
    // A few keys at a time: with every key drawn at once, nearly no random file would be one the parser takes.
    const children = Object.fromEntries(Object.entries(shape.keys).map(([k, s]) => [k, arb(s, k)]));
    const record = fc
      .subarray(Object.keys(children), { maxLength: Math.min(3, Object.keys(children).length) })
      .chain((keys) => fc.record(Object.fromEntries(keys.map((k) => [k, children[k] ?? fc.constant(null)]))));
    return key === '' ? record : fc.oneof({ weight: 5, arbitrary: record }, { weight: 1, arbitrary: leaf(key) });
  };
  const clean = (v: unknown): unknown => JSON.parse(JSON.stringify(v) ?? 'null');

  it('parseConfig takes it ⇒ the schema takes it', () => {
    let taken = 0;
    fc.assert(
      fc.property(arb(file, '').map(clean), (config) => {
        if (fileErrors(config).length > 0) return;
        taken++;
        expect(schemaErrors(config), JSON.stringify(config)).toBe('');
      }),
      { numRuns: 3000 },
    );
    // Not vacuous: a good share of the random files are ones the parser takes.
    expect(taken).toBeGreaterThan(300);
  });

  it('parseDetectionConfig takes it ⇒ the schema takes it under `detection`', () => {
    let taken = 0;
    fc.assert(
      fc.property(arb(detection, 'detection').map(clean), (d) => {
        if (detectionErrors(d).length > 0) return;
        taken++;
        expect(schemaErrors({ detection: d }), JSON.stringify(d)).toBe('');
      }),
      { numRuns: 3000 },
    );
    expect(taken).toBeGreaterThan(300);
  });
});

describe('$schema in the file', () => {
  const detection = { criticality: { default: 'high' } };
  it.each([
    ['the project layout', { $schema: './trailwarden.config.schema.json', detection }],
    [
      'the bare detection layout',
      { $schema: './node_modules/trailwarden/trailwarden.config.schema.json', ...detection },
    ],
  ])('is ignored by the CLI in %s', (_name, file) => {
    const parsed = detectionConfigFrom(file);
    expect(parsed.ok && parsed.config.criticality.default).toBe('high');
  });

  it('must be a string, for both parsers', () => {
    expect(detectionConfigFrom({ $schema: 7, detection }).ok).toBe(false);
    expect(fileErrors({ $schema: ['x'] })).toEqual(['$schema: must be the path or URL of the JSON Schema (got ["x"])']);
    expect(fileErrors({ $schema: 'https://example.com/s.json', detection })).toEqual([]);
  });
});
