import { type ChangeWindow, parseChangeWindow } from '../rules/core/change-window.ts';
import type { DetectionConfig } from '../rules/core/config.ts';
import { parseDetectionConfig } from '../rules/core/config.ts';
import type { DrillsConfig } from '../rules/core/drill-run.ts';
import { parseDrillsConfig } from '../rules/core/drill-run.ts';
import type { SlaConfig } from '../rules/core/sla.ts';
import { parseSlaConfig } from '../rules/core/sla.ts';
import { unknownKeys } from '../rules/core/unknown-keys.ts';
import { type ElevatedAccessConfig, parseElevatedAccess } from './elevated-access-config.ts';
import type { ReplayConfig } from './replay-config.ts';
import { parseReplayConfig } from './replay-config.ts';
import { parseTrailIntegrity, type TrailIntegrityConfig } from './trail-integrity-config.ts';

export type { ElevatedAccessConfig } from './elevated-access-config.ts';

export type { TrailIntegrityConfig } from './trail-integrity-config.ts';

/**
 * The one deployment configuration: `trailwarden.config.json` at the repo root (or `-c configFile=…`),
 * overridden key by key with `-c key=value`. Everything is validated before any construct is built, so a
 * typo fails `cdk synth` with a message naming the key and the value instead of deploying something else.
 */
export interface TrailwardenConfig {
  /** Region of the pipeline. Unset: the main stack is environment-agnostic. */
  readonly homeRegion?: string;
  /** Account of the pipeline. Unset: environment-agnostic. */
  readonly account?: string;
  /** Object Lock COMPLIANCE retention of each evidence object, in days (1..36500, default 365). */
  readonly retentionDays: number;
  /** Expiry of the evidence bucket's server access logs, in days (default: `retentionDays`). */
  readonly evidenceLogRetentionDays?: number;
  readonly alerts: AlertsConfig;
  /** Thresholds of the scheduled health checks (defaults applied). */
  readonly health: HealthConfig;
  /** Trail names (or ARNs) the health checks watch. */
  readonly trails: readonly string[];
  /** Approved change windows (all times in `timezone`). */
  readonly changeWindows: readonly ChangeWindow[];
  readonly detection: DetectionConfig;
  /**
   * IAM role ARNs allowed to read the drill key and so run `trailwarden drill --invoke` (default: none, and then
   * no drill can be signed for the deployed function; nobody else can read the key).
   */
  readonly drillOperators: readonly string[];
  /**
   * The one role that may schedule deletion of, disable, or change the policy of Trailwarden's KMS keys (and turn
   * their rotation off or delete their aliases). A role of the pipeline's account, by ARN. Unset: nobody can,
   * not even the account root user; a key policy then never changes again once deployed.
   */
  readonly breakGlassRoleArn?: string;
  /** Response SLAs per severity (minutes to acknowledge and resolve; defaults applied). */
  readonly sla: SlaConfig;
  /**
   * Opt-in: import every finding into AWS Security Hub (CSPM) in ASFF, into the pipeline account's default
   * product (`functions/shared/adapters/securityhub-importer.ts`). Default false.
   */
  readonly securityHub: boolean;
  /** Opt-in: a chat topic carrying Amazon Q Developer (AWS Chatbot) custom notifications. Default off. */
  readonly chat: ChatConfig;
  /** The Step Functions replay of old CloudTrail (`infra/replay-config.ts`; defaults applied). */
  readonly replay: ReplayConfig;
  /** Scheduled drills of the critical and high rules (schedule, rules, wait, latency SLAs; defaults applied). */
  readonly drills: DrillsConfig;
  /**
   * Organisation-wide deployment (infra/constructs/organization.ts). Unset: single account, the default. Set:
   * `account` and `homeRegion` are required, because every member forwards to that account's home bus.
   */
  readonly org?: OrgConfig;
  /** CloudTrail log-file integrity validation (trail-integrity function); no buckets: not deployed. */
  readonly trailIntegrity: TrailIntegrityConfig;
  /** The scheduled check for temporary admin access not revoked (`infra/elevated-access-config.ts`). */
  readonly elevatedAccess: ElevatedAccessConfig;
}

/** The chat topic (`infra/constructs/chat.ts`): connect it to a Slack or Teams channel in Amazon Q Developer. */
export interface ChatConfig {
  readonly enabled: boolean;
}

/**
 * Member accounts and regions watched through a service-managed StackSet. Every key but `id`,
 * `deploymentTargets` and `regions` has a default.
 */
export interface OrgConfig {
  /** The organisation id (`o-…`): the home bus accepts only principals of this organisation. */
  readonly id: string;
  /** Root (`r-…`) or organizational unit (`ou-…`) ids: every active account under them is watched. */
  readonly deploymentTargets: readonly string[];
  /** The approved regions: the forwarder goes to each, and each is expected to send events. */
  readonly regions: readonly string[];
  /** `SELF` from the management account, `DELEGATED_ADMIN` from a registered delegated administrator (default SELF). */
  readonly callAs: 'SELF' | 'DELEGATED_ADMIN';
  /** A newly joined account is not expected to send events before this many minutes (60..10080, default 1440). */
  readonly newAccountGraceMinutes: number;
  /** Percentage of accounts per region that may fail before a StackSet operation stops (0..100, default 10). */
  readonly failureTolerancePercentage: number;
  /** Percentage of accounts deployed at once (1..100, default 25). */
  readonly maxConcurrentPercentage: number;
  /** How long the evaluate function trusts an account's Organizations tags, in minutes (1..1440, default 60). */
  readonly tagCacheMinutes: number;
}

export interface AlertsConfig {
  readonly emails: readonly string[];
  readonly https: readonly HttpsAlert[];
}

/**
 * An HTTPS subscriber such as a PagerDuty Events API integration URL. A pager usually filters on the
 * message attributes the notifier sets (kind, incidentId, severity, ruleId, account, drill), e.g.
 * `{ "kind": ["page", "escalation", "resolved"], "drill": [{ "exists": false }] }`: one page per incident and
 * one per severity rise, never the updates (which stay on unfiltered subscribers). The filter applies to
 * findings only: pipeline alarms carry no message attributes, so every endpoint is also subscribed, unfiltered,
 * to the separate alarm topic.
 */
export interface HttpsAlert {
  readonly url: string;
  readonly filterPolicy?: FilterPolicy;
}
/** An SNS filter policy on message attributes: attribute name → list of conditions. */
export type FilterPolicy = Readonly<Record<string, readonly unknown[]>>;

/** Thresholds of the health function (`functions/health`). */
export interface HealthConfig {
  /** Trail delivery older than this is a finding, in minutes (5..1440, default 60). */
  readonly deliveryLagMinutes: number;
  /** No event from an account+region for this long is a finding, in minutes (15..10080, default 360). */
  readonly silenceMinutes: number;
}

export type { ChangeWindow, Weekday } from '../rules/core/change-window.ts';
export { WEEKDAYS } from '../rules/core/change-window.ts';

export const DEFAULT_RETENTION_DAYS = 365;
export const MAX_RETENTION_DAYS = 36_500;
/** Each health setting: default and inclusive range, in minutes. */
export const HEALTH_LIMITS = {
  deliveryLagMinutes: { default: 60, min: 5, max: 1440 },
  silenceMinutes: { default: 360, min: 15, max: 10_080 },
} as const;
export const DEFAULT_HEALTH_CONFIG: HealthConfig = {
  deliveryLagMinutes: HEALTH_LIMITS.deliveryLagMinutes.default,
  silenceMinutes: HEALTH_LIMITS.silenceMinutes.default,
};

/** Keys read from CDK context (`-c key=value`); everything else in the context belongs to CDK. */
export const CONTEXT_KEYS = [
  'configFile',
  'homeRegion',
  'account',
  'retentionDays',
  'evidenceLogRetentionDays',
  'alerts',
  'health',
  'trails',
  'changeWindows',
  'detection',
  'drillOperators',
  'breakGlassRoleArn',
  'sla',
  'securityHub',
  'chat',
  'replay',
  'drills',
  'org',
  'trailIntegrity',
  'elevatedAccess',
] as const;
export type ConfigContext = Readonly<Partial<Record<(typeof CONTEXT_KEYS)[number], unknown>>>;

/** Keys of the file itself (besides `$schema`, which names the JSON Schema for editors and is ignored). */
export const FILE_KEYS = CONTEXT_KEYS.filter((k) => k !== 'configFile');
/** `"$schema": "./trailwarden.config.schema.json"`: read by editors only, so never an unknown key. */
export const SCHEMA_KEY = '$schema';
export const ALERTS_KEYS = ['emails', 'https'] as const;
export const HTTPS_ALERT_KEYS = ['url', 'filterPolicy'] as const;
export const CHAT_KEYS = ['enabled'] as const;

export type TrailwardenConfigParse =
  | { readonly ok: true; readonly config: TrailwardenConfig }
  | { readonly ok: false; readonly errors: readonly string[] };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => JSON.stringify(v) ?? String(v);

const ACCOUNT_ID = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const TRAIL = /^(arn:[^\s]+|[A-Za-z0-9][A-Za-z0-9._-]{2,127})$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
/** An IAM role ARN, its account captured (IAM's own limits on path and name); no wildcard, which would widen the exemption. */
const BREAK_GLASS_ROLE_ARN = /^arn:aws(-[a-z]+)*:iam::(\d{12}):role\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;

/**
 * Context values typed on the command line arrive as strings; from `cdk.json` or a test they may already be
 * typed. Numbers accept `"400"`, lists accept `"a,b"` or a JSON array, objects accept JSON.
 */
const fromContext = (key: string, raw: unknown, errors: string[]): unknown => {
  if (typeof raw !== 'string') return raw;
  const where = `${key} (from -c ${key}=${raw})`;
  switch (key) {
    case 'retentionDays':
    case 'evidenceLogRetentionDays':
      return /^\s*\d+\s*$/.test(raw) ? Number(raw) : raw;
    case 'trails':
    case 'drillOperators':
      return raw.trim().startsWith('[') ? parseJson(where, raw, errors) : raw.split(',').map((s) => s.trim());
    case 'securityHub':
      return raw === 'true' ? true : raw === 'false' ? false : raw;
    case 'chat':
      // `-c chat=true` is short for `{"enabled":true}`.
      if (raw === 'true' || raw === 'false') return { enabled: raw === 'true' };
      return parseJson(where, raw, errors);
    case 'alerts':
    case 'health':
    case 'changeWindows':
    case 'detection':
    case 'sla':
    case 'replay':
    case 'drills':
    case 'org':
    case 'trailIntegrity':
    case 'elevatedAccess':
      return parseJson(where, raw, errors);
    default:
      return raw;
  }
};

const parseJson = (where: string, raw: string, errors: string[]): unknown => {
  try {
    return JSON.parse(raw);
  } catch (err) {
    errors.push(`${where}: is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
    return undefined;
  }
};

/**
 * Validate the file's JSON with the context overrides applied on top. Pure: reading the file is the
 * caller's job. Every problem is reported at once, each naming its key and the offending value.
 */
export const parseConfig = (fileJson: unknown, context: ConfigContext = {}): TrailwardenConfigParse => {
  const errors: string[] = [];
  const at = (key: string, msg: string) => errors.push(`${key}: ${msg}`);
  if (fileJson !== undefined && !isRecord(fileJson)) {
    return { ok: false, errors: [`config file: must be a JSON object (got ${show(fileJson)})`] };
  }
  const file = fileJson ?? {};
  for (const key of Object.keys(file)) {
    if (key === SCHEMA_KEY) {
      if (typeof file[key] !== 'string') at(key, `must be the path or URL of the JSON Schema (got ${show(file[key])})`);
    } else if (!(FILE_KEYS as readonly string[]).includes(key)) {
      at(key, `unknown key (known keys: ${FILE_KEYS.join(', ')})`);
    }
  }
  const { [SCHEMA_KEY]: _schema, ...input }: Record<string, unknown> = file;
  for (const key of FILE_KEYS) {
    const raw = context[key];
    if (raw !== undefined) input[key] = fromContext(key, raw, errors);
  }

  const optionalString = (key: string, re: RegExp, what: string): string | undefined => {
    const v = input[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !re.test(v)) {
      at(key, `must be ${what} (got ${show(v)})`);
      return undefined;
    }
    return v;
  };
  const days = (key: string): number | undefined => {
    const v = input[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_RETENTION_DAYS) {
      at(key, `must be a whole number of days from 1 to ${MAX_RETENTION_DAYS} (got ${show(v)})`);
      return undefined;
    }
    return v;
  };
  const stringList = (key: string, v: unknown, check: (s: string) => boolean, what: string): string[] => {
    if (v === undefined) return [];
    if (!Array.isArray(v)) {
      at(key, `must be a list of ${what} (got ${show(v)})`);
      return [];
    }
    const ok: string[] = [];
    v.forEach((s: unknown, i) => {
      if (typeof s === 'string' && check(s)) ok.push(s);
      else at(`${key}[${i}]`, `must be ${what} (got ${show(s)})`);
    });
    return ok;
  };

  const homeRegion = optionalString('homeRegion', REGION, 'an AWS region such as eu-west-1');
  const account = optionalString('account', ACCOUNT_ID, 'a 12-digit AWS account id, as a string');
  const retentionDays = days('retentionDays') ?? DEFAULT_RETENTION_DAYS;
  const evidenceLogRetentionDays = days('evidenceLogRetentionDays');
  const trails = stringList('trails', input.trails, (s) => TRAIL.test(s), 'trail names or ARNs');
  const drillOperators = stringList(
    'drillOperators',
    input.drillOperators,
    (s) => ROLE_ARN.test(s),
    'IAM role ARNs (arn:aws:iam::<account>:role/<name>)',
  );
  const breakGlassRoleArn = optionalString(
    'breakGlassRoleArn',
    BREAK_GLASS_ROLE_ARN,
    'an IAM role ARN such as arn:aws:iam::111122223333:role/break-glass',
  );
  // Key policies delegate to this account's IAM only: a role of another account could not use the exemption.
  const roleAccount = breakGlassRoleArn ? BREAK_GLASS_ROLE_ARN.exec(breakGlassRoleArn)?.[2] : undefined;
  if (account && roleAccount && roleAccount !== account) {
    at('breakGlassRoleArn', `must be a role of account ${account} (got ${show(breakGlassRoleArn)})`);
  }

  let alerts: AlertsConfig = { emails: [], https: [] };
  const rawAlerts = input.alerts;
  if (rawAlerts !== undefined && !isRecord(rawAlerts)) at('alerts', `must be {emails, https} (got ${show(rawAlerts)})`);
  else if (rawAlerts !== undefined) {
    unknownKeys(rawAlerts, ALERTS_KEYS, 'alerts.', at);
    const emails = stringList('alerts.emails', rawAlerts.emails, (s) => EMAIL.test(s), 'email addresses');
    const https: HttpsAlert[] = [];
    const rawHttps = rawAlerts.https ?? [];
    if (!Array.isArray(rawHttps)) at('alerts.https', `must be a list of {url, filterPolicy?} (got ${show(rawHttps)})`);
    else
      rawHttps.forEach((h: unknown, i) => {
        const p = `alerts.https[${i}]`;
        if (!isRecord(h)) {
          at(p, `must be {url, filterPolicy?} (got ${show(h)})`);
          return;
        }
        unknownKeys(h, HTTPS_ALERT_KEYS, `${p}.`, at);
        if (!isHttpsUrl(h.url)) {
          at(`${p}.url`, `must be an https:// URL (got ${show(h.url)})`);
          return;
        }
        const filterPolicy = checkFilterPolicy(`${p}.filterPolicy`, h.filterPolicy, at);
        https.push({ url: h.url, ...(filterPolicy ? { filterPolicy } : {}) });
      });
    alerts = { emails, https };
  }

  const health = parseHealth(input.health, at);
  const replay = parseReplayConfig(input.replay, at);
  const trailIntegrity = parseTrailIntegrity(input.trailIntegrity, at);
  const elevatedAccess = parseElevatedAccess(input.elevatedAccess, at);

  const changeWindows: ChangeWindow[] = [];
  const rawWindows = input.changeWindows ?? [];
  if (!Array.isArray(rawWindows)) at('changeWindows', `must be a list of {days, start, end, timezone}`);
  else
    rawWindows.forEach((w: unknown, i) => {
      const window = parseChangeWindow(`changeWindows[${i}]`, w, at);
      if (window) changeWindows.push(window);
    });

  const detection = parseDetectionConfig(input.detection, 'detection');
  if (!detection.ok) errors.push(...detection.errors);
  // The deployed function has no file system to read a list from: it reads the S3 object, with read access to it alone.
  const listSource = detection.ok ? detection.config.anonymisers?.source : undefined;
  if (listSource?.startsWith('file:') === true) {
    errors.push(
      `detection.anonymisers.source: the deployed function reads lists from S3 (s3://bucket/key), not ${listSource}`,
    );
  }

  const sla = parseSlaConfig(input.sla, 'sla');
  if (!sla.ok) errors.push(...sla.errors);

  let securityHub = false;
  if (input.securityHub !== undefined) {
    if (typeof input.securityHub === 'boolean') securityHub = input.securityHub;
    else at('securityHub', `must be true or false (got ${show(input.securityHub)})`);
  }
  const chat = parseChat(input.chat, at);

  const drills = parseDrillsConfig(input.drills, 'drills');
  if (!drills.ok) errors.push(...drills.errors);
  // A drill page slower than the time to acknowledge would pass a drill that the response SLA already failed.
  if (drills.ok && sla.ok) {
    for (const s of ['critical', 'high'] as const) {
      if (drills.drills.latencySeconds[s] > sla.sla[s].ackMinutes * 60) {
        errors.push(
          `drills.latencySeconds.${s}: ${drills.drills.latencySeconds[s]} s is longer than sla.${s}.ackMinutes (${sla.sla[s].ackMinutes} min)`,
        );
      }
    }
  }

  const org = parseOrg(input.org, at);
  if (org !== undefined) {
    // Members forward to one account's bus in one region: an env-agnostic stack could not name it.
    if (account === undefined && input.account === undefined) at('org', 'needs account (the pipeline account id)');
    if (homeRegion === undefined && input.homeRegion === undefined) at('org', 'needs homeRegion (the pipeline region)');
    if (homeRegion !== undefined && !org.regions.includes(homeRegion)) {
      at('org.regions', `must include homeRegion ${homeRegion} (got ${show(org.regions)})`);
    }
  }

  if (errors.length > 0 || !detection.ok || !sla.ok || !drills.ok) return { ok: false, errors };
  return {
    ok: true,
    config: {
      ...(homeRegion ? { homeRegion } : {}),
      ...(account ? { account } : {}),
      retentionDays,
      ...(evidenceLogRetentionDays ? { evidenceLogRetentionDays } : {}),
      alerts,
      health,
      trails,
      changeWindows,
      drillOperators,
      sla: sla.sla,
      securityHub,
      chat,
      replay,
      drills: drills.drills,
      trailIntegrity,
      elevatedAccess,
      // The evaluate function reads windows from its detection config: top-level windows join those there.
      detection: {
        ...detection.config,
        approved: {
          ...detection.config.approved,
          changeWindows: [...(detection.config.approved.changeWindows ?? []), ...changeWindows],
        },
      },
      ...(breakGlassRoleArn ? { breakGlassRoleArn } : {}),
      ...(org ? { org } : {}),
    },
  };
};

/** `chat`: `{ enabled }` (a boolean); more keys would be typos. */
const parseChat = (v: unknown, at: (key: string, msg: string) => void): ChatConfig => {
  if (v === undefined) return { enabled: false };
  if (!isRecord(v)) {
    at('chat', `must be {enabled} (got ${show(v)})`);
    return { enabled: false };
  }
  unknownKeys(v, CHAT_KEYS, 'chat.', at);
  if (v.enabled !== undefined && typeof v.enabled !== 'boolean') {
    at('chat.enabled', `must be true or false (got ${show(v.enabled)})`);
    return { enabled: false };
  }
  return { enabled: v.enabled === true };
};

const ORG_ID = /^o-[a-z0-9]{10,32}$/;
/** A root (`r-` + 4..32) or an OU (`ou-<root part>-<8..32>`), as Organizations spells them. */
const ORG_TARGET = /^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/;
export const ORG_LIMITS = {
  newAccountGraceMinutes: { default: 1440, min: 60, max: 10_080 },
  failureTolerancePercentage: { default: 10, min: 0, max: 100 },
  maxConcurrentPercentage: { default: 25, min: 1, max: 100 },
  tagCacheMinutes: { default: 60, min: 1, max: 1440 },
} as const;
export const ORG_KEYS = ['id', 'deploymentTargets', 'regions', 'callAs', ...Object.keys(ORG_LIMITS)];

/** `org`: validated key by key, each error naming its path (`org.deploymentTargets[1]`). */
const parseOrg = (v: unknown, at: (key: string, msg: string) => void): OrgConfig | undefined => {
  if (v === undefined) return undefined;
  if (!isRecord(v)) {
    at('org', `must be {id, deploymentTargets, regions, callAs?, …} (got ${show(v)})`);
    return undefined;
  }
  unknownKeys(v, ORG_KEYS, 'org.', at);
  let ok = true;
  const fail = (key: string, msg: string) => {
    ok = false;
    at(key, msg);
  };
  const id = typeof v.id === 'string' && ORG_ID.test(v.id) ? v.id : undefined;
  if (id === undefined) fail('org.id', `must be an organisation id such as o-a1b2c3d4e5 (got ${show(v.id)})`);
  const list = (key: 'deploymentTargets' | 'regions', re: RegExp, what: string): string[] => {
    const raw = v[key];
    if (!Array.isArray(raw) || raw.length === 0) {
      fail(`org.${key}`, `must be a non-empty list of ${what} (got ${show(raw)})`);
      return [];
    }
    const out: string[] = [];
    raw.forEach((s: unknown, i) => {
      if (typeof s !== 'string' || !re.test(s)) fail(`org.${key}[${i}]`, `must be ${what} (got ${show(s)})`);
      else if (out.includes(s)) fail(`org.${key}[${i}]`, `is listed twice (${s})`);
      else out.push(s);
    });
    return out;
  };
  const deploymentTargets = list('deploymentTargets', ORG_TARGET, 'a root id (r-…) or an OU id (ou-…-…)');
  const regions = list('regions', REGION, 'an AWS region such as eu-west-1');
  const callAs = v.callAs ?? 'SELF';
  if (callAs !== 'SELF' && callAs !== 'DELEGATED_ADMIN') {
    fail('org.callAs', `must be SELF or DELEGATED_ADMIN (got ${show(callAs)})`);
  }
  const number = (key: keyof typeof ORG_LIMITS): number => {
    const { default: fallback, min, max } = ORG_LIMITS[key];
    const n = v[key];
    if (n === undefined) return fallback;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
      fail(`org.${key}`, `must be a whole number from ${min} to ${max} (got ${show(n)})`);
      return fallback;
    }
    return n;
  };
  const rest = {
    newAccountGraceMinutes: number('newAccountGraceMinutes'),
    failureTolerancePercentage: number('failureTolerancePercentage'),
    maxConcurrentPercentage: number('maxConcurrentPercentage'),
    tagCacheMinutes: number('tagCacheMinutes'),
  };
  if (!ok || id === undefined || (callAs !== 'SELF' && callAs !== 'DELEGATED_ADMIN')) return undefined;
  return { id, deploymentTargets, regions, callAs, ...rest };
};

export const HEALTH_KEYS = Object.keys(HEALTH_LIMITS) as (keyof typeof HEALTH_LIMITS)[];

/** `health`: each key optional, a whole number of minutes within its range. */
const parseHealth = (v: unknown, at: (key: string, msg: string) => void): HealthConfig => {
  if (v === undefined) return DEFAULT_HEALTH_CONFIG;
  if (!isRecord(v)) {
    at('health', `must be {${HEALTH_KEYS.map((k) => `${k}?`).join(', ')}} (got ${show(v)})`);
    return DEFAULT_HEALTH_CONFIG;
  }
  unknownKeys(v, HEALTH_KEYS, 'health.', at);
  const minutes = (key: keyof typeof HEALTH_LIMITS): number => {
    const { default: fallback, min, max } = HEALTH_LIMITS[key];
    const n = v[key];
    if (n === undefined) return fallback;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
      at(`health.${key}`, `must be a whole number of minutes from ${min} to ${max} (got ${show(n)})`);
      return fallback;
    }
    return n;
  };
  return { deliveryLagMinutes: minutes('deliveryLagMinutes'), silenceMinutes: minutes('silenceMinutes') };
};

const isHttpsUrl = (v: unknown): v is string => {
  if (typeof v !== 'string') return false;
  try {
    return new URL(v).protocol === 'https:';
  } catch {
    return false;
  }
};

/** SNS limits a filter policy to 5 attribute names; each needs at least one condition. */
const checkFilterPolicy = (p: string, v: unknown, at: (key: string, msg: string) => void): FilterPolicy | undefined => {
  if (v === undefined) return undefined;
  const entries = isRecord(v) ? Object.entries(v) : [];
  if (!isRecord(v) || entries.length === 0 || entries.length > 5) {
    at(p, `must map 1 to 5 message attribute names to lists of conditions (got ${show(v)})`);
    return undefined;
  }
  for (const [name, conditions] of entries) {
    if (!Array.isArray(conditions) || conditions.length === 0) {
      at(`${p}.${name}`, `must be a non-empty list of conditions (got ${show(conditions)})`);
    }
  }
  return v as FilterPolicy;
};

/** Like `parseConfig`, but throws one readable error listing every problem: what `cdk synth` wants. */
export const loadConfig = (
  fileJson: unknown,
  context: ConfigContext = {},
  source = 'trailwarden config',
): TrailwardenConfig => {
  const parsed = parseConfig(fileJson, context);
  if (!parsed.ok) throw new Error(`invalid ${source}:\n  ${parsed.errors.join('\n  ')}`);
  return parsed.config;
};
