import type { CloudTrailRecord, JsonValue } from './cloudtrail.ts';
import { accountOf, isJsonObject, param, stringParam } from './cloudtrail.ts';
import type { DetectionConfig } from './config.ts';
import { globToRegExp } from './glob.ts';

/**
 * Compute abuse (A.5.23, A.8.16): unusual instance types launched (cryptomining, stolen-GPU LLM hosting) and key
 * pairs planted for later access. Pure: no SDK, no clock.
 */

/**
 * Instance types that are unusual in most accounts and expensive in all: GPU and accelerator families (p, g, inf,
 * trn, dl, f, vt), memory giants (x1, x2, u-, u7) and the largest sizes of any family, which CPU miners pick. Globs on
 * the full type name; `compute.watchedInstanceTypes` replaces the list.
 */
export const DEFAULT_WATCHED_INSTANCE_TYPES: readonly string[] = [
  'p*',
  'g*',
  'inf*',
  'trn*',
  'dl*',
  'f1.*',
  'f2.*',
  'vt1.*',
  'x1.*',
  'x1e.*',
  'x2*',
  'u-*',
  'u7*',
  '*.24xlarge',
  '*.32xlarge',
  '*.48xlarge',
  '*.metal-48xl',
];

/**
 * Key pair names observed reused across unrelated compromised AWS accounts (Datadog Security Labs, "Following
 * attackers' trail in AWS", 2025; Stratus Red Team ec2-create-suspicious-keypair). `compute.suspiciousKeyPairNames`
 * adds to them.
 */
export const KNOWN_BAD_KEY_PAIR_NAMES: readonly string[] = ['xg1', 'temp_key_pair'];

const items = (v: JsonValue | undefined): JsonValue[] =>
  // Stryker disable next-line ArrayDeclaration: equivalent, a non-object item is dropped by every caller
  Array.isArray(v) ? v : isJsonObject(v) && Array.isArray(v.items) ? v.items : [];

/**
 * The instance type a request names: a string, or `{ "value": … }` as EC2 logs attribute values (ModifyInstanceAttribute,
 * and the RunInstances records Panther's tests carry). Refused calls leave only this, so both spellings must count.
 */
export const requestedInstanceType = (e: CloudTrailRecord): string | undefined =>
  stringParam(e.requestParameters, 'instanceType') ?? stringParam(e.requestParameters, 'instanceType', 'value');

/**
 * The instance types a RunInstances call asked for or got: the request's `instanceType`, and each launched
 * instance's in the response (a launch from a launch template names no type in the request).
 */
export const launchedInstanceTypes = (e: CloudTrailRecord): string[] => {
  const asked = requestedInstanceType(e);
  const got = items(param(e.responseElements, 'instancesSet')).flatMap((i) =>
    isJsonObject(i) && typeof i.instanceType === 'string' ? [i.instanceType] : [],
  );
  return [...new Set([...(asked === undefined ? [] : [asked]), ...got])];
};

/**
 * The type ModifyInstanceAttribute resizes an instance to: `instanceType: { "value": … }` as SDKs send it, or the
 * CLI's `--attribute instanceType --value …` form, logged as `attribute` and `value`. Undefined when the call changes
 * another attribute.
 */
export const resizedInstanceType = (e: CloudTrailRecord): string | undefined =>
  requestedInstanceType(e) ??
  (stringParam(e.requestParameters, 'attribute')?.toLowerCase() === 'instancetype'
    ? stringParam(e.requestParameters, 'value')
    : undefined);

/** Spot and fleet requests: capacity asked for in bulk, the cheap way to mine (Spot is 60-90 % cheaper). */
export const FLEET_REQUESTS = ['RequestSpotInstances', 'RequestSpotFleet', 'CreateFleet'] as const;

/**
 * Every instance type a spot or fleet request names, at any depth: `launchSpecification.instanceType`
 * (RequestSpotInstances), each launch specification or template override of a Spot Fleet, and the PascalCase
 * `CreateFleetRequest…Overrides[].InstanceType` of CreateFleet, in the request or in what the response returns. A
 * fleet that takes its type from a launch template alone, or picks types by attributes, names none here.
 */
export const fleetInstanceTypes = (e: CloudTrailRecord): string[] => {
  const found = new Set<string>();
  const walk = (v: JsonValue | undefined, depth: number): void => {
    if (depth > 8 || v === null || v === undefined || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const x of v) walk(x, depth + 1);
      return;
    }
    for (const [key, value] of Object.entries(v)) {
      if (key.toLowerCase() === 'instancetype') {
        const type = typeof value === 'string' ? value : isJsonObject(value) ? value.value : undefined;
        if (typeof type === 'string' && type !== '') found.add(type);
      } else walk(value, depth + 1);
    }
  };
  walk(e.requestParameters ?? undefined, 0);
  walk(e.responseElements ?? undefined, 0);
  return [...found];
};

/**
 * The instance types a call puts to work: launched by RunInstances, asked for by a spot or fleet request, or resized
 * to by ModifyInstanceAttribute (stop, resize, start is the same abuse as a launch, on an instance nobody watches for
 * new launches).
 */
export const instanceTypesPutToWork = (e: CloudTrailRecord): string[] => {
  if ((FLEET_REQUESTS as readonly string[]).includes(e.eventName)) return fleetInstanceTypes(e);
  if (e.eventName !== 'ModifyInstanceAttribute') return launchedInstanceTypes(e);
  const resized = resizedInstanceType(e);
  return resized === undefined ? [] : [resized];
};

/** Why each type is unusual here; empty when none is (watched and not approved, outside approved accounts). */
export const unusualInstanceTypes = (
  e: CloudTrailRecord,
  types: readonly string[],
  config: DetectionConfig,
): string[] => {
  const compute = config.compute;
  // Stryker disable next-line ArrayDeclaration: equivalent, no account id is the mutant's placeholder string
  if ((compute?.approvedAccounts ?? []).includes(accountOf(e))) return [];
  const watched = compute?.watchedInstanceTypes ?? DEFAULT_WATCHED_INSTANCE_TYPES;
  // Stryker disable next-line ArrayDeclaration: equivalent, the placeholder string matches no instance type
  const approved = compute?.approvedInstanceTypes ?? [];
  return types.flatMap((type) => {
    const t = type.toLowerCase();
    const hit = watched.find((glob) => globToRegExp(glob).test(t));
    if (hit === undefined || approved.some((glob) => globToRegExp(glob).test(t))) return [];
    return [`${type} matches the watched instance types (${hit}) and is not in compute.approvedInstanceTypes`];
  });
};

/** The name a CreateKeyPair / ImportKeyPair call gave its key pair (request, else response). */
export const keyPairName = (e: CloudTrailRecord): string | undefined =>
  stringParam(e.requestParameters, 'keyName') ?? stringParam(e.responseElements, 'keyName');

/** The known-bad name a key pair carries (compared without case), or undefined. */
export const knownBadKeyPairName = (name: string | undefined, config: DetectionConfig): string | undefined => {
  if (name === undefined) return undefined;
  const lower = name.toLowerCase();
  // Stryker disable next-line ArrayDeclaration: equivalent unless a key pair is named after the placeholder itself
  return [...KNOWN_BAD_KEY_PAIR_NAMES, ...(config.compute?.suspiciousKeyPairNames ?? [])].find(
    (bad) => bad.toLowerCase() === lower,
  );
};
