import { createHash } from 'node:crypto';
import type { CloudTrailSelector, EventSelector } from '../rules/core/types.ts';
import { isCloudTrailSelector } from '../rules/core/types.ts';

/**
 * EventBridge patterns generated from the rules' own `on` selectors, so routing and detection cannot drift
 * apart (DESIGN §2). Pure: no CDK here, so the routing proof in the tests needs no synth.
 */

export const API_CALL = 'AWS API Call via CloudTrail';
export const CONSOLE_SIGN_IN = 'AWS Console Sign In via CloudTrail';
/** Events AWS itself records (e.g. KMS `DeleteKey` when a scheduled deletion completes). */
export const SERVICE_EVENT = 'AWS Service Event via CloudTrail';
export const CONFIG_ITEM_CHANGE = 'Config Configuration Item Change';
export const CONFIG_COMPLIANCE_CHANGE = 'Config Rules Compliance Change';

/**
 * Services whose CloudTrail events reach EventBridge only in us-east-1: IAM, STS (global endpoint), console
 * sign-in and Organizations (TOOLCHAIN), plus the other global services CloudTrail records there
 * (CloudFront, Route 53, WAF Classic), and Route 53 Domains and Account Management (EnableRegion), whose APIs are
 * served from us-east-1 only. Only selectors touching these are mirrored by the forwarder.
 */
export const GLOBAL_SERVICES = [
  'account',
  'cloudfront',
  'iam',
  'organizations',
  'route53',
  'route53domains',
  'signin',
  'sts',
  'waf',
] as const;
export const GLOBAL_EVENTS_REGION = 'us-east-1';

/**
 * The default quota is 2048 characters per pattern (adjustable to 4096). We stay well under it because
 * CloudFormation, not us, serialises the pattern and may not do so as compactly as `JSON.stringify`.
 */
export const MAX_PATTERN_CHARS = 1800;

/**
 * The subset of the EventBridge pattern language we emit: exact strings, nested objects, `exists`, `prefix`, and
 * `wildcard` (`*` for any run of characters; case-sensitive) for user-agent substrings.
 */
export type PatternValue =
  | string
  | { readonly exists: boolean }
  | { readonly prefix: string }
  | { readonly wildcard: string };
export interface EventPatternJson {
  readonly [field: string]: readonly PatternValue[] | EventPatternJson;
}

export interface GeneratedPattern {
  /**
   * Stable, readable id (`cloudtrail-iam`, `cloudtrail-iam-2`, `cloudtrail-filtered-<hash>`, `config-items`…),
   * used as the construct id.
   */
  readonly id: string;
  readonly pattern: EventPatternJson;
  /**
   * CloudTrail patterns: the rule must be `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`, otherwise
   * read-only management events (root `List*`, `GetSecretValue`, `AssumeRole`, denied `Describe*`) never
   * reach it and a rule that declared them would be silently blind.
   */
  readonly managementEvents: boolean;
}

export interface PatternOptions {
  /** Keep only CloudTrail events of these services (the forwarder); Config selectors are dropped. */
  readonly onlyServices?: readonly string[];
  readonly maxChars?: number;
}

const SUFFIX = '.amazonaws.com';
export const eventSourceOf = (service: string): string => `${service}${SUFFIX}`;
/**
 * The EventBridge `source` of a service's CloudTrail events: `aws.` and the eventSource's prefix (`aws.iam`,
 * `aws.signin`, `aws.macie2`, `aws.route53resolver`; EventBridge event reference). Every route pins its source,
 * because PutEvents refuses a custom event whose source starts with `aws.`: a principal allowed to put events
 * on the bus cannot forge one a route accepts. Forwarded events keep their source.
 */
export const awsSourceOf = (service: string): string => `aws.${service}`;
/** Every AWS source and no custom one, for the selectors that watch any service. */
export const ANY_AWS_SOURCE: PatternValue = { prefix: 'aws.' };
export const CONFIG_SOURCE = 'aws.config';
/** Sign-in events have their own detail-type; for the rest the eventSource/eventName filter does the work. */
const detailTypesFor = (service: string): string[] =>
  service === 'signin'
    ? [CONSOLE_SIGN_IN]
    : service === '*'
      ? [API_CALL, CONSOLE_SIGN_IN, SERVICE_EVENT]
      : [API_CALL, SERVICE_EVENT];

const sortedUnique = (values: Iterable<string>): string[] => [...new Set(values)].sort();

const checkSelector = (on: CloudTrailSelector): void => {
  const where = on.where ?? {};
  for (const [key, values] of Object.entries(where)) {
    if (values !== undefined && values.length === 0) {
      throw new Error(`selector ${JSON.stringify(on)}: where.${key} is empty, so it could never match`);
    }
  }
  const narrowed =
    (where.userIdentityType?.length ?? 0) > 0 ||
    (where.errorCode?.length ?? 0) > 0 ||
    (where.userAgentContains?.length ?? 0) > 0;
  if (on.source === '*' && on.eventNames === '*' && !narrowed) {
    throw new Error(`selector ${JSON.stringify(on)} would need a catch-all EventBridge rule; narrow it with where`);
  }
  if (on.eventNames !== '*' && on.eventNames.length === 0) {
    throw new Error(`selector ${JSON.stringify(on)} lists no event names`);
  }
};

/**
 * Split `values` into as few chunks as fit: `build(chunk)` must stay under the size budget. A single value
 * that does not fit is a configuration error, not something to route around.
 */
const chunked = (
  values: readonly string[],
  build: (chunk: readonly string[]) => EventPatternJson,
  maxChars: number,
): EventPatternJson[] => {
  const out: EventPatternJson[] = [];
  let current: string[] = [];
  for (const value of values) {
    const next = [...current, value];
    if (JSON.stringify(build(next)).length <= maxChars) {
      current = next;
      continue;
    }
    if (current.length === 0) throw new Error(`event pattern for ${JSON.stringify(value)} alone exceeds ${maxChars}`);
    out.push(build(current));
    current = [value];
  }
  if (current.length > 0) out.push(build(current));
  return out;
};

const numbered = (base: string, patterns: readonly EventPatternJson[], managementEvents: boolean): GeneratedPattern[] =>
  patterns.map((pattern, i) => ({ id: i === 0 ? base : `${base}-${i + 1}`, pattern, managementEvents }));

const whereDetail = (on: CloudTrailSelector): Record<string, EventPatternJson | readonly PatternValue[]> => ({
  ...(on.where?.userIdentityType ? { userIdentity: { type: sortedUnique(on.where.userIdentityType) } } : {}),
  ...(on.where?.errorCode ? { errorCode: sortedUnique(on.where.errorCode) } : {}),
  ...(on.where?.userAgentContains
    ? {
        userAgent: sortedUnique(on.where.userAgentContains).map((text) => ({ wildcard: `*${wildcardEscaped(text)}*` })),
      }
    : {}),
});

/** EventBridge wildcards treat `*` as any run of characters and `\\` as the escape. */
const wildcardEscaped = (text: string): string => text.replace(/[\\*]/g, (c) => `\\${c}`);

/**
 * Group selectors into a small number of patterns:
 * - named CloudTrail events: one pattern per eventSource with all its event names (split when too big).
 *   `where` on a named selector is left to the predicate, as the engine's dispatch does;
 * - wildcard CloudTrail selectors: one pattern per distinct (event names, where), over the union of their
 *   services, filtered on `detail.userIdentity.type` / `detail.errorCode` (split by event names when too big);
 * - Config item changes: one pattern over all resource types; compliance changes: NON_COMPLIANT only.
 * Never a catch-all: every pattern filters on eventSource, eventName, identity type, error code, resource
 * type or compliance type. Never a forgeable one: every pattern pins `source` to AWS sources (`aws.<service>`,
 * `aws.config`, or the `aws.` prefix for selectors over any service), which custom PutEvents cannot use.
 */
export const patternsFor = (selectors: readonly EventSelector[], options: PatternOptions = {}): GeneratedPattern[] => {
  const maxChars = options.maxChars ?? MAX_PATTERN_CHARS;
  const only = options.onlyServices;
  const named = new Map<string, Set<string>>();
  const wildcard = new Map<string, { services: Set<string>; on: CloudTrailSelector }>();
  const resourceTypes = new Set<string>();
  let compliance = false;

  for (const on of selectors) {
    if (!isCloudTrailSelector(on)) {
      if (only !== undefined) continue;
      if ('resourceTypes' in on) for (const type of on.resourceTypes) resourceTypes.add(type);
      else compliance = true;
      continue;
    }
    checkSelector(on);
    if (only !== undefined && on.source !== '*' && !only.includes(on.source)) continue;
    if (on.source !== '*' && on.eventNames !== '*') {
      const names = named.get(on.source) ?? new Set<string>();
      for (const name of on.eventNames) names.add(name);
      named.set(on.source, names);
      continue;
    }
    const key = JSON.stringify([on.eventNames === '*' ? '*' : sortedUnique(on.eventNames), whereDetail(on)]);
    const group = wildcard.get(key) ?? { services: new Set<string>(), on };
    group.services.add(on.source);
    wildcard.set(key, group);
  }

  const out: GeneratedPattern[] = [];
  for (const service of [...named.keys()].sort()) {
    const names = sortedUnique(named.get(service) ?? []);
    const build = (chunk: readonly string[]): EventPatternJson => ({
      source: [awsSourceOf(service)],
      'detail-type': detailTypesFor(service),
      detail: { eventSource: [eventSourceOf(service)], eventName: [...chunk] },
    });
    out.push(...numbered(`cloudtrail-${service}`, chunked(names, build, maxChars), true));
  }

  for (const [key, { services, on }] of wildcard) {
    // A `*` service is narrowed by `where` only; under `onlyServices` it becomes those services.
    const anyService = services.has('*');
    const sources = anyService ? (only ?? []) : [...services];
    if (anyService && only !== undefined && only.length === 0) continue;
    const detailTypes = sortedUnique(
      anyService && only === undefined ? detailTypesFor('*') : sources.flatMap((s) => detailTypesFor(s)),
    );
    const build = (names: readonly string[] | undefined): EventPatternJson => ({
      source: anyService && only === undefined ? [ANY_AWS_SOURCE] : sortedUnique(sources.map(awsSourceOf)),
      'detail-type': detailTypes,
      detail: {
        ...(anyService && only === undefined ? {} : { eventSource: sortedUnique(sources.map(eventSourceOf)) }),
        ...(names === undefined ? {} : { eventName: [...names] }),
        ...whereDetail(on),
      },
    });
    // A long list of names (the calls of one kind across services) is split like a service's names are;
    // `chunked` keeps each piece within the budget, so only the pattern of every name is measured here.
    const patterns = on.eventNames === '*' ? [build(undefined)] : chunked(sortedUnique(on.eventNames), build, maxChars);
    if (on.eventNames === '*' && JSON.stringify(patterns[0]).length > maxChars) {
      throw new Error(`event pattern for selector ${JSON.stringify(on)} exceeds ${maxChars} characters`);
    }
    // Named after its content, so adding another filtered selector does not rename (and replace) this rule.
    const id = `cloudtrail-filtered-${createHash('sha256').update(key).digest('hex').slice(0, 8)}`;
    out.push(...numbered(id, patterns, true));
  }

  if (resourceTypes.size > 0) {
    const build = (chunk: readonly string[]): EventPatternJson => ({
      source: [CONFIG_SOURCE],
      'detail-type': [CONFIG_ITEM_CHANGE],
      detail: { configurationItem: { resourceType: [...chunk] } },
    });
    out.push(...numbered('config-items', chunked(sortedUnique(resourceTypes), build, maxChars), false));
  }
  if (compliance) {
    out.push({
      id: 'config-compliance',
      pattern: {
        source: [CONFIG_SOURCE],
        'detail-type': [CONFIG_COMPLIANCE_CHANGE],
        detail: { newEvaluationResult: { complianceType: ['NON_COMPLIANT'] } },
      },
      managementEvents: false,
    });
  }
  return out;
};

/** A named CloudTrail pattern (`source`, `detail-type`, `detail.eventSource`, `detail.eventName`, nothing else). */
const namedParts = (
  p: GeneratedPattern,
): { sources: string[]; types: string[]; eventSources: string[]; eventNames: string[] } | undefined => {
  const { source, 'detail-type': types, detail, ...rest } = p.pattern;
  if (Object.keys(rest).length > 0 || !Array.isArray(source) || !Array.isArray(types)) return undefined;
  if (detail === undefined || Array.isArray(detail)) return undefined;
  const { eventSource, eventName, ...other } = detail as EventPatternJson;
  if (Object.keys(other).length > 0 || !Array.isArray(eventSource) || !Array.isArray(eventName)) return undefined;
  const strings = (v: readonly PatternValue[]): string[] | undefined =>
    v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
  const parts = [strings(source), strings(types), strings(eventSource), strings(eventName)];
  const [a, b, c, d] = parts;
  return a && b && c && d ? { sources: a, types: b, eventSources: c, eventNames: d } : undefined;
};

/**
 * The member forwarder's patterns (organisation StackSet). A StackSet's TemplateBody holds at most 51,200 bytes
 * and each forwarding rule costs ~450 bytes of target, role and dead-letter wiring besides its pattern, so one
 * rule per service stops fitting as the catalogue grows. Here the named per-service CloudTrail patterns are
 * packed several to a rule, up to `maxChars`: the union of their sources, detail types, event sources and event
 * names. A packed rule forwards a superset (an event name one packed service watches, from another packed
 * service, if that service has such a call); the home bus's exact patterns drop those, so what is detected does
 * not change and only rare extra events cross accounts. Filtered and Config patterns are kept as they are. A pack
 * is named after its services, so adding a name to a service keeps its rule.
 */
export const packedForForwarding = (
  patterns: readonly GeneratedPattern[],
  maxChars: number = MAX_PATTERN_CHARS,
): GeneratedPattern[] => {
  const packs: { ids: string[]; pattern: EventPatternJson }[] = [];
  const merge = (a: EventPatternJson, b: EventPatternJson): EventPatternJson => {
    const x = namedParts({ id: '', pattern: a, managementEvents: true });
    const y = namedParts({ id: '', pattern: b, managementEvents: true });
    if (x === undefined || y === undefined) throw new Error('only named CloudTrail patterns are packed');
    return {
      source: sortedUnique([...x.sources, ...y.sources]),
      'detail-type': sortedUnique([...x.types, ...y.types]),
      detail: {
        eventSource: sortedUnique([...x.eventSources, ...y.eventSources]),
        eventName: sortedUnique([...x.eventNames, ...y.eventNames]),
      },
    };
  };
  const rest: GeneratedPattern[] = [];
  for (const p of patterns) {
    if (!p.managementEvents || namedParts(p) === undefined) {
      rest.push(p);
      continue;
    }
    const last = packs[packs.length - 1];
    const merged = last === undefined ? undefined : merge(last.pattern, p.pattern);
    if (last !== undefined && merged !== undefined && JSON.stringify(merged).length <= maxChars) {
      last.ids.push(p.id);
      last.pattern = merged;
    } else {
      packs.push({ ids: [p.id], pattern: p.pattern });
    }
  }
  const packed = packs.map(({ ids, pattern }) => ({
    id:
      ids.length === 1
        ? (ids[0] ?? 'cloudtrail')
        : `cloudtrail-pack-${createHash('sha256').update(ids.join(',')).digest('hex').slice(0, 8)}`,
    pattern,
    managementEvents: true,
  }));
  return [...packed, ...rest];
};

/** What the us-east-1 forwarder routes: the same generation, restricted to the global services. */
export const forwarderPatternsFor = (selectors: readonly EventSelector[], options: PatternOptions = {}) =>
  patternsFor(selectors, { ...options, onlyServices: options.onlyServices ?? GLOBAL_SERVICES });

/** An EventBridge wildcard as a regular expression: `*` any run, `\\x` a literal x, everything else literal. */
const wildcardRegExp = (pattern: string): RegExp => {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    if (c === '\\' && i + 1 < pattern.length) {
      i++;
      source += pattern.charAt(i).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    } else source += c === '*' ? '.*' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
};

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Matcher for the pattern subset above (exact string values, nested objects, `exists`, `prefix`), following
 * EventBridge semantics: every field of the pattern must match; a list matches if any element does; an
 * array in the event matches if any of its values does. Used by tests to prove routing without AWS.
 */
export const matchesPattern = (pattern: EventPatternJson, event: unknown): boolean => {
  if (!isRecord(event)) return false;
  return Object.entries(pattern).every(([field, expected]) => {
    const actual = event[field];
    if (!Array.isArray(expected)) return matchesPattern(expected as EventPatternJson, actual);
    const values: unknown[] = Array.isArray(actual) ? actual : [actual];
    return (expected as readonly PatternValue[]).some((want) => {
      if (typeof want === 'string') return values.some((v) => v === want);
      if ('prefix' in want) return values.some((v) => typeof v === 'string' && v.startsWith(want.prefix));
      if ('wildcard' in want) return values.some((v) => typeof v === 'string' && wildcardRegExp(want.wildcard).test(v));
      return want.exists === (actual !== undefined && !isRecord(actual));
    });
  });
};
