import type { ChangeWindow } from './change-window.ts';
import { parseChangeWindow } from './change-window.ts';
import type { TemporaryAccessEntry } from './elevated-access.ts';
import { parseExpiry } from './elevated-access.ts';
import { globToRegExp } from './glob.ts';
import type { IncidentConfig } from './incident.ts';
import { DEFAULT_INCIDENT_CONFIG, INCIDENT_LIMITS } from './incident.ts';
import type { Suppression } from './suppressions.ts';
import { SUPPRESSION_MATCHERS } from './suppressions.ts';
import { unknownKeys } from './unknown-keys.ts';
import type { Criticality } from './vocabulary.ts';
import { SEVERITIES } from './vocabulary.ts';

/**
 * Everything detection reads from configuration. Pure data: the CLI loads it from a file, the Lambda from
 * its environment, and rules see it through `RuleContext`.
 */
export interface DetectionConfig {
  readonly criticality: CriticalityConfig;
  readonly approved: ApprovedProcess;
  /** AWS Organizations id and member accounts: grants inside the organisation are not "outside". */
  readonly organization: { readonly id?: string; readonly accounts: readonly string[] };
  /** Reasoned, dated exceptions (see `suppressions.ts`). */
  readonly suppressions: readonly Suppression[];
  /** Working hours, for off-hours access to high-criticality accounts; empty = no off-hours rule. */
  readonly businessHours?: readonly ChangeWindow[];
  /** Regions the organisation uses; activity elsewhere is a finding. Empty = every region approved. */
  readonly approvedRegions?: readonly string[];
  /** Trailwarden's own resources and who may change them; absent = the self-protection rules never match. */
  readonly selfProtection?: SelfProtection;
  /**
   * How far an event's time may lie after its receive time, in minutes (1..1440, default 15). Later ones are
   * future-dated: a finding each, and they never move the dead-man switch or the threshold windows.
   */
  readonly clockSkewMinutes?: number;
  /** Alert correlation (DESIGN §6); absent = `DEFAULT_INCIDENT_CONFIG` (60-minute window, pages from high). */
  readonly incidents?: IncidentConfig;
  /** Approved software (A.8.19): images instances may run, accounts whose Lambda layers functions may use. */
  readonly software?: SoftwareConfig;
  /**
   * Compute abuse: which instance types are unusual (launches of them are findings, refused ones too) and which
   * key pair names are known-bad. Absent = the default watch list (GPU, accelerator, memory-giant and largest sizes).
   */
  readonly compute?: ComputeConfig;
  /**
   * IAM users that are service identities, by user-name glob (`svc-*`, `*-ci`): they must never sign in to the
   * console, and their long-lived keys are watched for new networks. Absent = no user is known to be a service.
   */
  readonly serviceUsers?: readonly string[];
  /**
   * Admin grants that are temporary by decision rather than by tag (elevated-access.ts): still in place after
   * `expires` (plus the grace) is `iam.temporary-access-not-revoked`. Absent = only tags mark grants temporary.
   */
  readonly temporaryAccess?: readonly TemporaryAccessEntry[];
  /**
   * An anonymiser list (Tor exit nodes, VPN ranges): one address or CIDR a line, from a file (`file:PATH`, the CLI)
   * or an S3 object (`s3://bucket/key`, the Lambda reads it with a TTL cache). Absent = signin.anonymiser never
   * matches. Its name and source are in every finding it raises.
   */
  readonly anonymisers?: AnonymiserConfig;
}

export interface AnonymiserConfig {
  readonly source: string;
  readonly name: string;
  /** How long the Lambda keeps an S3 copy before reading it again (1..1440, default 60). */
  readonly ttlMinutes?: number;
}

/** `s3://bucket/key` split, or undefined for a file source. Bucket names per S3's rules (3–63, lower case). */
export const s3SourceOf = (source: string): { readonly bucket: string; readonly key: string } | undefined => {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/.exec(source);
  return m?.[1] === undefined || m[2] === undefined ? undefined : { bucket: m[1], key: m[2] };
};

/**
 * What software is approved. Fail closed: with no image listed every launch is from an unapproved image.
 * Owner accounts of images are deliberately not here: RunInstances and launch templates name only the image id,
 * so a predicate cannot know the owner without an ec2:DescribeImages call (not built; list the ids instead).
 */
export interface SoftwareConfig {
  /** AMI ids (`ami-…`) instances may be launched from and launch templates may name. */
  readonly approvedImages: readonly string[];
  /**
   * Accounts besides the organisation's whose Lambda layers may be used (e.g. a vendor's extension publisher);
   * the function's own account and `organization.accounts` are always in.
   */
  readonly approvedLayerAccounts: readonly string[];
}

/**
 * Instance types and key pair names (rules/core/compute.ts). A team that runs GPUs for a living lists its accounts
 * (`approvedAccounts`) or the exact types it uses (`approvedInstanceTypes`); everywhere else a GPU launch is a finding.
 */
export interface ComputeConfig {
  /** Globs on instance type names (`p*`, `*.48xlarge`) that are unusual; replaces `DEFAULT_WATCHED_INSTANCE_TYPES`. */
  readonly watchedInstanceTypes?: readonly string[];
  /** Globs of watched types that are approved in every account (`g4dn.xlarge` for the render farm). */
  readonly approvedInstanceTypes?: readonly string[];
  /** Accounts where any instance type is approved (the ML training accounts). */
  readonly approvedAccounts?: readonly string[];
  /** Key pair names to treat as known-bad, besides `KNOWN_BAD_KEY_PAIR_NAMES` (threat intelligence). */
  readonly suspiciousKeyPairNames?: readonly string[];
}

export const COMPUTE_KEYS = [
  'watchedInstanceTypes',
  'approvedInstanceTypes',
  'approvedAccounts',
  'suspiciousKeyPairNames',
];

/** The keys of each section the parser checks for unknown keys (the JSON Schema's key coverage test reads them). */
export const DETECTION_KEYS = [
  'criticality',
  'approved',
  'organization',
  'suppressions',
  'businessHours',
  'approvedRegions',
  'selfProtection',
  'clockSkewMinutes',
  'incidents',
  'software',
  'compute',
  'serviceUsers',
  'temporaryAccess',
  'anonymisers',
];
export const CRITICALITY_KEYS = ['default', 'accounts', 'resources', 'tags'];
export const CRITICALITY_RESOURCE_KEYS = ['pattern', 'level'];
export const ORGANIZATION_KEYS = ['id', 'accounts'];
export const APPROVED_KEYS = ['automationRoles', 'iacUserAgents', 'changeWindows', 'ticketPattern'];
export const CRITICALITY_TAG_KEYS = ['key', 'value', 'level'];
export const SELF_PROTECTION_KEYS = ['resources', 'deployRoles'];
export const SOFTWARE_KEYS = ['approvedImages', 'approvedLayerAccounts'];
export const INCIDENT_KEYS = ['correlationMinutes', 'pageSeverity'];
export const ANONYMISER_KEYS = ['source', 'name', 'ttlMinutes'];
export const TEMPORARY_ACCESS_KEYS = ['principal', 'policy', 'expires', 'ticket', 'reason'];

export const incidentConfigOf = (config: DetectionConfig): IncidentConfig =>
  config.incidents ?? DEFAULT_INCIDENT_CONFIG;

/**
 * Tampering with Trailwarden itself (DESIGN §3, A.8.16): changes to its own rules, function, topic, table,
 * buckets, keys and queues by anyone but the roles that deploy it.
 */
export interface SelfProtection {
  /**
   * Globs (`*` wildcard) of Trailwarden's resources: ARNs, or bare names for services whose CloudTrail requests
   * carry names (Lambda, EventBridge, DynamoDB, S3, SQS), e.g. `Trailwarden-*` for CloudFormation-named resources.
   */
  readonly resources: readonly string[];
  /** ARN globs of the roles allowed to change them: the CloudFormation execution role of the deployment. */
  readonly deployRoles: readonly string[];
}

export interface CriticalityConfig {
  readonly default: Criticality;
  /** Account id → criticality. */
  readonly accounts: Readonly<Record<string, Criticality>>;
  /** ARN glob (`*` wildcard) → criticality; the most critical match wins. */
  readonly resources: readonly { readonly pattern: string; readonly level: Criticality }[];
  /** Tag on the event's resource → criticality (`value` omitted: any value); the most critical match wins. */
  readonly tags?: readonly { readonly key: string; readonly value?: string; readonly level: Criticality }[];
}

export interface ApprovedProcess {
  /** ARN globs of deploy/automation roles allowed to change IAM, network and logging. */
  readonly automationRoles: readonly string[];
  /** Substrings of user agents of approved IaC tooling (e.g. `aws-cdk`, `Terraform`). */
  readonly iacUserAgents: readonly string[];
  /** When changes may happen; empty = any time. Changes outside every window are findings. */
  readonly changeWindows?: readonly ChangeWindow[];
  /**
   * A change ticket the approved process must carry (`^(CHG|INC)-\\d+`), searched in the role session name, the
   * `sourceIdentity` and the session tags; without one an otherwise approved change is a finding. Unset = no ticket.
   */
  readonly ticketPattern?: string;
}

export const DEFAULT_DETECTION_CONFIG: DetectionConfig = {
  criticality: { default: 'medium', accounts: {}, resources: [] },
  approved: { automationRoles: [], iacUserAgents: [], changeWindows: [] },
  organization: { accounts: [] },
  suppressions: [],
};

const RANK: Record<Criticality, number> = { high: 3, medium: 2, low: 1 };

/** Criticality of an event's asset: the most critical of its account and any matching resource pattern. */
export const resolveCriticality = (
  config: CriticalityConfig,
  account: string,
  resourceArns: readonly string[],
  tags: () => Readonly<Record<string, string>> = () => ({}),
): Criticality => {
  let best: Criticality | undefined = config.accounts[account];
  const raise = (level: Criticality) => {
    // Stryker disable next-line EqualityOperator: raising to a level of equal rank leaves the same level
    if (best === undefined || RANK[level] > RANK[best]) best = level;
  };
  for (const { pattern, level } of config.resources) {
    const re = globToRegExp(pattern);
    if (resourceArns.some((arn) => re.test(arn))) raise(level);
  }
  // Tags are read lazily: most configs have none, and extracting them costs a walk of the request.
  if (config.tags && config.tags.length > 0) {
    const present = tags();
    for (const { key, value, level } of config.tags) {
      const actual = present[key];
      if (actual !== undefined && (value === undefined || actual === value)) raise(level);
    }
  }
  return best ?? config.default;
};

export type ConfigParse =
  | { readonly ok: true; readonly config: DetectionConfig }
  | { readonly ok: false; readonly errors: readonly string[] };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCriticality = (v: unknown): v is Criticality => v === 'high' || v === 'medium' || v === 'low';
const ACCOUNT_ID = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/**
 * Validate detection config from a file or context. Unknown keys are errors too: a typo such as
 * `automationRole` must not silently approve nothing. Every problem is reported at once, by path.
 */
/** `approved.ticketPattern`: a non-empty regular expression that compiles, at most 200 characters. */
const ticketPatternOf = (v: unknown, at: (path: string, problem: string) => void): { ticketPattern?: string } => {
  if (v === undefined) return {};
  if (typeof v !== 'string' || v === '' || v.length > 200) {
    at('approved.ticketPattern', 'must be a regular expression of 1 to 200 characters, e.g. "^(CHG|INC)-\\d+"');
    return {};
  }
  try {
    new RegExp(v);
  } catch (err) {
    at(
      'approved.ticketPattern',
      `is not a valid regular expression: ${err instanceof Error ? err.message : String(err)}`,
    );
    return {};
  }
  return { ticketPattern: v };
};

export const parseDetectionConfig = (input: unknown, path = 'detection'): ConfigParse => {
  const errors: string[] = [];
  const at = (p: string, msg: string) => errors.push(`${path}.${p}: ${msg}`);
  if (input === undefined) return { ok: true, config: DEFAULT_DETECTION_CONFIG };
  if (!isRecord(input)) return { ok: false, errors: [`${path}: must be an object`] };
  unknownKeys(input, DETECTION_KEYS, '', at, 'bare');

  const crit = input.criticality ?? {};
  let criticality = DEFAULT_DETECTION_CONFIG.criticality;
  if (!isRecord(crit)) at('criticality', 'must be an object');
  else {
    unknownKeys(crit, CRITICALITY_KEYS, 'criticality.', at, 'bare');
    const accounts: Record<string, Criticality> = {};
    const def = crit.default ?? 'medium';
    if (!isCriticality(def)) at('criticality.default', `must be high, medium or low (got ${JSON.stringify(def)})`);
    const rawAccounts = crit.accounts ?? {};
    if (!isRecord(rawAccounts)) at('criticality.accounts', 'must map account ids to high|medium|low');
    else
      for (const [id, level] of Object.entries(rawAccounts)) {
        if (!ACCOUNT_ID.test(id)) at(`criticality.accounts.${id}`, 'is not a 12-digit account id');
        if (!isCriticality(level))
          at(`criticality.accounts.${id}`, `must be high, medium or low (got ${JSON.stringify(level)})`);
        else accounts[id] = level;
      }
    const rawResources = crit.resources ?? [];
    const resources: { pattern: string; level: Criticality }[] = [];
    if (!Array.isArray(rawResources)) at('criticality.resources', 'must be a list of {pattern, level}');
    else
      rawResources.forEach((r: unknown, i) => {
        if (
          !isRecord(r) ||
          typeof r.pattern !== 'string' ||
          !r.pattern.startsWith('arn:') ||
          !isCriticality(r.level) ||
          Object.keys(r).some((k) => !CRITICALITY_RESOURCE_KEYS.includes(k))
        ) {
          at(`criticality.resources[${i}]`, 'must be {pattern: "arn:…" glob, level: high|medium|low}');
        } else resources.push({ pattern: r.pattern, level: r.level });
      });
    const rawTags = crit.tags ?? [];
    const tags: { key: string; value?: string; level: Criticality }[] = [];
    if (!Array.isArray(rawTags)) at('criticality.tags', 'must be a list of {key, value?, level}');
    else
      rawTags.forEach((t: unknown, i) => {
        if (
          !isRecord(t) ||
          typeof t.key !== 'string' ||
          t.key === '' ||
          (t.value !== undefined && typeof t.value !== 'string') ||
          !isCriticality(t.level) ||
          Object.keys(t).some((k) => !CRITICALITY_TAG_KEYS.includes(k))
        ) {
          at(`criticality.tags[${i}]`, 'must be {key: "…", value?: "…", level: high|medium|low}');
        } else tags.push({ key: t.key, ...(typeof t.value === 'string' ? { value: t.value } : {}), level: t.level });
      });
    // Stryker disable next-line StringLiteral: an invalid default was reported, and parseDetectionConfig discards the config whenever an error was reported
    criticality = { default: isCriticality(def) ? def : 'medium', accounts, resources, tags };
  }

  const approvedInput = input.approved ?? {};
  const strings = (v: unknown, p: string, check?: (s: string) => string | undefined): string[] => {
    if (v === undefined) return [];
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string' || s === '')) {
      at(p, 'must be a list of non-empty strings');
      // Stryker disable next-line ArrayDeclaration: parseDetectionConfig discards the config whenever an error was reported
      return [];
    }
    for (const s of v as string[]) {
      const problem = check?.(s);
      if (problem) at(p, `${JSON.stringify(s)} ${problem}`);
    }
    return v as string[];
  };
  let approved = DEFAULT_DETECTION_CONFIG.approved;
  if (!isRecord(approvedInput)) at('approved', 'must be an object');
  else {
    unknownKeys(approvedInput, APPROVED_KEYS, 'approved.', at, 'bare');
    approved = {
      automationRoles: strings(approvedInput.automationRoles, 'approved.automationRoles', (s) =>
        s.startsWith('arn:') ? undefined : 'is not an ARN glob (arn:aws:iam::<account>:role/<name>)',
      ),
      iacUserAgents: strings(approvedInput.iacUserAgents, 'approved.iacUserAgents'),
      changeWindows: parseWindows(approvedInput.changeWindows, 'approved.changeWindows', at),
      ...ticketPatternOf(approvedInput.ticketPattern, at),
    };
  }

  const orgInput = input.organization ?? {};
  let organization = DEFAULT_DETECTION_CONFIG.organization;
  if (!isRecord(orgInput)) at('organization', 'must be an object');
  else {
    unknownKeys(orgInput, ORGANIZATION_KEYS, 'organization.', at, 'bare');
    const id = orgInput.id;
    if (id !== undefined && (typeof id !== 'string' || !/^o-[a-z0-9]{10,32}$/.test(id))) {
      at('organization.id', `must look like o-xxxxxxxxxx (got ${JSON.stringify(id)})`);
    }
    const accounts = strings(orgInput.accounts, 'organization.accounts', (s) =>
      ACCOUNT_ID.test(s) ? undefined : 'is not a 12-digit account id',
    );
    organization = { ...(typeof id === 'string' ? { id } : {}), accounts };
  }

  const suppressions = parseSuppressions(input.suppressions, at);
  const businessHours = parseWindows(input.businessHours, 'businessHours', at);
  const approvedRegions = strings(input.approvedRegions, 'approvedRegions', (r) =>
    REGION.test(r) ? undefined : 'is not a region name (e.g. eu-west-1)',
  );

  let selfProtection: SelfProtection | undefined;
  const selfInput = input.selfProtection;
  if (selfInput !== undefined && !isRecord(selfInput)) at('selfProtection', 'must be {resources, deployRoles}');
  else if (selfInput !== undefined) {
    unknownKeys(selfInput, SELF_PROTECTION_KEYS, 'selfProtection.', at, 'bare');
    selfProtection = {
      // A lone `*` would make every change to every watched resource type "tampering with Trailwarden".
      resources: strings(selfInput.resources, 'selfProtection.resources', (s) =>
        /^\*+$/.test(s) ? "matches every resource; name Trailwarden's own (e.g. Trailwarden-*)" : undefined,
      ),
      deployRoles: strings(selfInput.deployRoles, 'selfProtection.deployRoles', (s) =>
        s.startsWith('arn:') ? undefined : 'is not an ARN glob (arn:aws:iam::<account>:role/<name>)',
      ),
    };
  }

  const skew = input.clockSkewMinutes;
  if (skew !== undefined && !(typeof skew === 'number' && Number.isInteger(skew) && skew >= 1 && skew <= 1440)) {
    at('clockSkewMinutes', `must be a whole number of minutes from 1 to 1440 (got ${JSON.stringify(skew)})`);
  }
  const incidents = parseIncidents(input.incidents, at);

  let software: SoftwareConfig | undefined;
  const softwareInput = input.software;
  if (softwareInput !== undefined && !isRecord(softwareInput)) {
    at('software', 'must be {approvedImages?, approvedLayerAccounts?}');
  } else if (softwareInput !== undefined) {
    unknownKeys(softwareInput, SOFTWARE_KEYS, 'software.', at, 'bare');
    software = {
      approvedImages: strings(softwareInput.approvedImages, 'software.approvedImages', (s) =>
        /^ami-[0-9a-f]{8,17}$/.test(s) ? undefined : 'is not an AMI id (ami-0123456789abcdef0)',
      ),
      approvedLayerAccounts: strings(softwareInput.approvedLayerAccounts, 'software.approvedLayerAccounts', (s) =>
        ACCOUNT_ID.test(s) ? undefined : 'is not a 12-digit account id',
      ),
    };
  }
  let compute: ComputeConfig | undefined;
  const computeInput = input.compute;
  if (computeInput !== undefined && !isRecord(computeInput)) {
    at('compute', `must be {${COMPUTE_KEYS.map((k) => `${k}?`).join(', ')}}`);
  } else if (computeInput !== undefined) {
    unknownKeys(computeInput, COMPUTE_KEYS, 'compute.', at, 'bare');
    // Instance type names are lower case (p5.48xlarge); a lone `*` would watch, or approve, every launch.
    const typeGlob = (s: string) =>
      /^\*+$/.test(s)
        ? 'matches every instance type; name families or sizes (p*, *.48xlarge)'
        : s !== s.toLowerCase()
          ? 'must be lower case, as instance type names are'
          : undefined;
    const watched = computeInput.watchedInstanceTypes;
    compute = {
      ...(watched === undefined
        ? {}
        : { watchedInstanceTypes: strings(watched, 'compute.watchedInstanceTypes', typeGlob) }),
      approvedInstanceTypes: strings(computeInput.approvedInstanceTypes, 'compute.approvedInstanceTypes', typeGlob),
      approvedAccounts: strings(computeInput.approvedAccounts, 'compute.approvedAccounts', (s) =>
        ACCOUNT_ID.test(s) ? undefined : 'is not a 12-digit account id',
      ),
      suspiciousKeyPairNames: strings(computeInput.suspiciousKeyPairNames, 'compute.suspiciousKeyPairNames'),
    };
  }
  // A lone `*` would call every IAM user a service identity and page on every console sign-in.
  const serviceUsers = strings(input.serviceUsers, 'serviceUsers', (s) =>
    /^\*+$/.test(s) ? 'matches every user; name the service users (e.g. svc-*)' : undefined,
  );
  const temporaryAccess = parseTemporaryAccess(input.temporaryAccess, at);

  const anonymisers = parseAnonymisers(input.anonymisers, at);

  return errors.length > 0
    ? { ok: false, errors }
    : {
        ok: true,
        config: {
          criticality,
          approved,
          organization,
          suppressions,
          businessHours,
          approvedRegions,
          ...(selfProtection ? { selfProtection } : {}),
          ...(typeof skew === 'number' ? { clockSkewMinutes: skew } : {}),
          ...(incidents ? { incidents } : {}),
          ...(software ? { software } : {}),
          ...(compute ? { compute } : {}),
          ...(serviceUsers.length > 0 ? { serviceUsers } : {}),
          ...(temporaryAccess.length > 0 ? { temporaryAccess } : {}),
          ...(anonymisers ? { anonymisers } : {}),
        },
      };
};

/** `anonymisers: {source: 'file:PATH' | 's3://bucket/key', name, ttlMinutes?}`, every problem by path. */
const parseAnonymisers = (input: unknown, at: (p: string, msg: string) => void): AnonymiserConfig | undefined => {
  if (input === undefined) return undefined;
  if (!isRecord(input)) {
    at('anonymisers', "must be {source: 'file:PATH' | 's3://bucket/key', name, ttlMinutes?}");
    return undefined;
  }
  unknownKeys(input, ANONYMISER_KEYS, 'anonymisers.', at, 'bare');
  const { source, name, ttlMinutes } = input;
  let ok = true;
  if (typeof source !== 'string' || !((source.startsWith('file:') && source.length > 5) || s3SourceOf(source))) {
    at('anonymisers.source', `must be file:PATH or s3://bucket/key (got ${JSON.stringify(source)})`);
    // Stryker disable next-line BooleanLiteral: the problem was reported, and parseDetectionConfig discards the config whenever an error was reported
    ok = false;
  }
  if (typeof name !== 'string' || name.trim() === '') {
    at('anonymisers.name', 'must name the list (e.g. tor-exits), for the findings');
    // Stryker disable next-line BooleanLiteral: the problem was reported, and parseDetectionConfig discards the config whenever an error was reported
    ok = false;
  }
  if (
    ttlMinutes !== undefined &&
    !(typeof ttlMinutes === 'number' && Number.isInteger(ttlMinutes) && ttlMinutes >= 1 && ttlMinutes <= 1440)
  ) {
    at(
      'anonymisers.ttlMinutes',
      `must be a whole number of minutes from 1 to 1440 (got ${JSON.stringify(ttlMinutes)})`,
    );
    // Stryker disable next-line BooleanLiteral: the problem was reported, and parseDetectionConfig discards the config whenever an error was reported
    ok = false;
  }
  // Stryker disable next-line ConditionalExpression,LogicalOperator: each case was reported above (the type checks only narrow for TypeScript), and parseDetectionConfig discards the config whenever an error was reported
  if (!ok || typeof source !== 'string' || typeof name !== 'string') return undefined;
  return { source, name, ...(typeof ttlMinutes === 'number' ? { ttlMinutes } : {}) };
};

/** `incidents: { correlationMinutes?, pageSeverity? }`; each key defaults on its own. */
const parseIncidents = (input: unknown, at: (p: string, msg: string) => void): IncidentConfig | undefined => {
  if (input === undefined) return undefined;
  if (!isRecord(input)) {
    at('incidents', 'must be {correlationMinutes?, pageSeverity?}');
    return undefined;
  }
  unknownKeys(input, INCIDENT_KEYS, 'incidents.', at, 'bare');
  const { min, max } = INCIDENT_LIMITS.correlationMinutes;
  const minutes = input.correlationMinutes ?? DEFAULT_INCIDENT_CONFIG.correlationMinutes;
  if (typeof minutes !== 'number' || !Number.isInteger(minutes) || minutes < min || minutes > max) {
    at(
      'incidents.correlationMinutes',
      `must be a whole number of minutes, ${min}..${max} (got ${JSON.stringify(minutes)})`,
    );
  }
  const pageSeverity = input.pageSeverity ?? DEFAULT_INCIDENT_CONFIG.pageSeverity;
  const severity = SEVERITIES.find((s) => s === pageSeverity);
  if (severity === undefined) {
    at('incidents.pageSeverity', `must be one of ${SEVERITIES.join(', ')} (got ${JSON.stringify(pageSeverity)})`);
  }
  return typeof minutes === 'number' && severity !== undefined
    ? { correlationMinutes: minutes, pageSeverity: severity }
    : undefined;
};

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const PRINCIPAL_ARN = /^arn:aws(-[a-z]+)*:iam::\d{12}:(user|role)\/[\w+=,.@/-]+$/;
const POLICY_ARN = /^arn:aws(-[a-z]+)*:iam::(\d{12}|aws):policy\/[\w+=,.@/-]+$/;
const INLINE_NAME = /^[\w+=,.@-]{1,128}$/;

/** `temporaryAccess: [{principal, policy?, expires, ticket?, reason}]`: a dated, explained, named grant each. */
const parseTemporaryAccess = (input: unknown, at: (p: string, msg: string) => void): TemporaryAccessEntry[] => {
  if (input === undefined) return [];
  if (!Array.isArray(input)) {
    at('temporaryAccess', 'must be a list of {principal, policy?, expires, ticket?, reason}');
    // Stryker disable next-line ArrayDeclaration: parseDetectionConfig discards the config whenever an error was reported
    return [];
  }
  const out: TemporaryAccessEntry[] = [];
  input.forEach((raw: unknown, i) => {
    const p = `temporaryAccess[${i}]`;
    if (!isRecord(raw)) {
      at(p, 'must be an object');
      return;
    }
    let ok = true;
    const fail = (key: string, msg: string) => {
      // Stryker disable next-line BooleanLiteral: the problem is reported on the next line, and parseDetectionConfig discards the config whenever an error was reported
      ok = false;
      at(`${p}.${key}`, msg);
    };
    unknownKeys(raw, TEMPORARY_ACCESS_KEYS, '', fail, 'bare');
    if (typeof raw.principal !== 'string' || !PRINCIPAL_ARN.test(raw.principal)) {
      fail('principal', `must be an IAM user or role ARN (got ${JSON.stringify(raw.principal)})`);
    }
    const policy = raw.policy;
    if (
      policy !== undefined &&
      !(typeof policy === 'string' && (POLICY_ARN.test(policy) || INLINE_NAME.test(policy)))
    ) {
      fail('policy', `must be a managed policy ARN or an inline policy name (got ${JSON.stringify(policy)})`);
    }
    if (typeof raw.expires !== 'string' || parseExpiry(raw.expires) === undefined) {
      fail(
        'expires',
        `must be an ISO date or date-time with a zone, e.g. 2026-12-01 or 2026-12-01T18:00:00Z (got ${JSON.stringify(raw.expires)})`,
      );
    }
    if (raw.ticket !== undefined && (typeof raw.ticket !== 'string' || raw.ticket.trim() === '')) {
      fail('ticket', 'must be a non-empty string');
    }
    if (typeof raw.reason !== 'string' || raw.reason.trim().length < 10) {
      fail('reason', 'must say why (at least 10 characters): auditors read it');
    }
    // Stryker disable next-line ConditionalExpression: a refused entry was reported, and parseDetectionConfig discards the config whenever an error was reported
    if (ok) out.push(raw as unknown as TemporaryAccessEntry);
  });
  return out;
};

/** Each suppression needs a matcher, a reason and a real expiry date: an open-ended, unexplained mute is refused. */
const parseSuppressions = (input: unknown, at: (p: string, msg: string) => void): Suppression[] => {
  if (input === undefined) return [];
  if (!Array.isArray(input)) {
    at('suppressions', 'must be a list of {ruleId?, principal?, resource?, account?, reason, expires}');
    // Stryker disable next-line ArrayDeclaration: parseDetectionConfig discards the config whenever an error was reported
    return [];
  }
  const out: Suppression[] = [];
  input.forEach((raw: unknown, i) => {
    const p = `suppressions[${i}]`;
    if (!isRecord(raw)) {
      at(p, 'must be an object');
      return;
    }
    const before = out.length;
    let ok = true;
    const fail = (key: string, msg: string) => {
      // Stryker disable next-line BooleanLiteral: the problem is reported on the next line, and parseDetectionConfig discards the config whenever an error was reported
      ok = false;
      at(`${p}.${key}`, msg);
    };
    // Built here, not at module load: suppressions.ts and this module import each other.
    const known: readonly string[] = [...SUPPRESSION_MATCHERS, 'reason', 'expires'];
    unknownKeys(raw, known, '', fail, 'bare');
    for (const key of SUPPRESSION_MATCHERS) {
      const v = raw[key];
      if (v !== undefined && (typeof v !== 'string' || v === '')) fail(key, 'must be a non-empty string');
    }
    if (!SUPPRESSION_MATCHERS.some((k) => typeof raw[k] === 'string')) {
      fail('ruleId', `needs at least one of ${SUPPRESSION_MATCHERS.join(', ')}`);
    }
    if (raw.account !== undefined && !ACCOUNT_ID.test(String(raw.account)))
      fail('account', 'is not a 12-digit account id');
    if (typeof raw.reason !== 'string' || raw.reason.trim().length < 10) {
      fail('reason', 'must say why (at least 10 characters): auditors read it');
    }
    const expires = raw.expires;
    if (typeof expires !== 'string' || !DATE.test(expires) || Number.isNaN(Date.parse(`${expires}T00:00:00Z`))) {
      fail('expires', `must be a date YYYY-MM-DD (got ${JSON.stringify(expires)})`);
    }
    // Stryker disable next-line ConditionalExpression,LogicalOperator: nothing pushes between `before` and here, and a refused entry was reported (parseDetectionConfig discards the config whenever an error was reported)
    if (ok && out.length === before) out.push(raw as unknown as Suppression);
  });
  return out;
};

const parseWindows = (input: unknown, path: string, at: (p: string, msg: string) => void): ChangeWindow[] => {
  if (input === undefined) return [];
  if (!Array.isArray(input)) {
    at(path, 'must be a list of {days, start, end, timezone}');
    // Stryker disable next-line ArrayDeclaration: parseDetectionConfig discards the config whenever an error was reported
    return [];
  }
  // Stryker disable next-line ArrayDeclaration: parseChangeWindow returns undefined only after reporting a problem, and parseDetectionConfig discards the config whenever an error was reported
  return input.flatMap((w: unknown, i) => parseChangeWindow(`${path}[${i}]`, w, at) ?? []);
};

// Response SLAs sit beside detection in the same file (top-level `sla`); their parser lives in sla.ts.
export type { SlaConfig, SlaTarget } from './sla.ts';
export { DEFAULT_SLA, parseSlaConfig } from './sla.ts';
