import type { DetectionConfig } from '../../rules/core/config.ts';
import { parseDetectionConfig } from '../../rules/core/config.ts';

export interface EvaluateEnv {
  readonly tableName: string;
  readonly topicArn: string;
  readonly evidenceBucket: string;
  readonly detection: DetectionConfig;
  /** ARN of the Secrets Manager secret holding the drill key; absent: no drill is ever honoured. */
  readonly drillKeySecret?: string;
  /** Opt-in Security Hub sink: the account's default product ARN (`securityHub: true` sets it). */
  readonly securityHub?: { readonly partition: string; readonly region: string; readonly account: string };
  /** Opt-in chat topic (`chat: { enabled: true }`): Amazon Q Developer custom notifications. */
  readonly chatTopicArn?: string;
  /** Organisation deployment: read account criticality from Organizations tags, cached this long. */
  readonly orgTags?: { readonly orgId: string; readonly cacheMinutes: number };
}

const parseJsonEnv = (name: string, raw: string | undefined): unknown => {
  if (raw === undefined || raw === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw new Error(`${name} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
};
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `ORG_TAGS` = `{"orgId":"o-…","cacheMinutes":60}` (set by infra/constructs/organization.ts). */
export const parseOrgTagsEnv = (raw: string | undefined): EvaluateEnv['orgTags'] => {
  const v = parseJsonEnv('ORG_TAGS', raw);
  if (v === undefined) return undefined;
  if (!isRecord(v) || typeof v.orgId !== 'string' || !Number.isInteger(v.cacheMinutes) || Number(v.cacheMinutes) < 1) {
    throw new Error(`ORG_TAGS must be {"orgId": "o-…", "cacheMinutes": n >= 1} (got ${raw})`);
  }
  return { orgId: v.orgId, cacheMinutes: Number(v.cacheMinutes) };
};

export interface OrgHealthEnv {
  readonly orgId: string;
  readonly targets: readonly string[];
  readonly regions: readonly string[];
  readonly graceMs: number;
  readonly readerRoleName: string;
  readonly partition: string;
}

/** `ORG` (set by infra/constructs/organization.ts): the expected set and the member reader role. */
export const parseOrgHealthEnv = (raw: string | undefined): OrgHealthEnv | undefined => {
  const v = parseJsonEnv('ORG', raw);
  if (v === undefined) return undefined;
  const strings = (x: unknown): x is string[] =>
    Array.isArray(x) && x.length > 0 && x.every((s) => typeof s === 'string' && s !== '');
  if (
    !isRecord(v) ||
    typeof v.orgId !== 'string' ||
    !strings(v.targets) ||
    !strings(v.regions) ||
    !Number.isInteger(v.graceMinutes) ||
    Number(v.graceMinutes) < 0 ||
    typeof v.readerRoleName !== 'string' ||
    typeof v.partition !== 'string'
  ) {
    throw new Error(
      `ORG must be {"orgId", "targets": [..], "regions": [..], "graceMinutes", "readerRoleName", "partition"} (got ${raw})`,
    );
  }
  return {
    orgId: v.orgId,
    targets: v.targets,
    regions: v.regions,
    graceMs: Number(v.graceMinutes) * 60_000,
    readerRoleName: v.readerRoleName,
    partition: v.partition,
  };
};

const PRODUCT_ARN = /^arn:(aws[a-z-]*):securityhub:([a-z0-9-]+):(\d{12}):product\/(\d{12})\/default$/;

/** `arn:<partition>:securityhub:<region>:<account>:product/<account>/default`, the only product we import into. */
export const parseSecurityHubProductArn = (
  arn: string,
): { readonly partition: string; readonly region: string; readonly account: string } => {
  const m = PRODUCT_ARN.exec(arn);
  if (m === null || m[3] !== m[4])
    throw new Error(`SECURITY_HUB_PRODUCT_ARN is not an account default product ARN: ${arn}`);
  return { partition: m[1] ?? '', region: m[2] ?? '', account: m[3] ?? '' };
};

const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;

const parseTopicArn = (name: string, arn: string): string => {
  if (!TOPIC_ARN.test(arn)) throw new Error(`${name} is not an SNS topic ARN: ${arn}`);
  return arn;
};

/** Parsed once per container; a misconfigured function fails at init, loudly, not per event. */
export const parseEvaluateEnv = (env: Readonly<Record<string, string | undefined>>): EvaluateEnv => {
  const need = (name: string): string => {
    const value = env[name];
    if (value === undefined || value === '') throw new Error(`environment variable ${name} is required`);
    return value;
  };
  let raw: unknown;
  try {
    raw = env.DETECTION_CONFIG ? JSON.parse(env.DETECTION_CONFIG) : undefined;
  } catch (err) {
    throw new Error(`DETECTION_CONFIG is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const detection = parseDetectionConfig(raw, 'DETECTION_CONFIG');
  if (!detection.ok) throw new Error(`invalid DETECTION_CONFIG:\n${detection.errors.join('\n')}`);
  return {
    tableName: need('TABLE_NAME'),
    topicArn: need('TOPIC_ARN'),
    evidenceBucket: need('EVIDENCE_BUCKET'),
    detection: detection.config,
    ...(env.DRILL_KEY_SECRET_ARN ? { drillKeySecret: env.DRILL_KEY_SECRET_ARN } : {}),
    ...(env.SECURITY_HUB_PRODUCT_ARN ? { securityHub: parseSecurityHubProductArn(env.SECURITY_HUB_PRODUCT_ARN) } : {}),
    ...(env.CHAT_TOPIC_ARN ? { chatTopicArn: parseTopicArn('CHAT_TOPIC_ARN', env.CHAT_TOPIC_ARN) } : {}),
    ...(env.ORG_TAGS ? { orgTags: parseOrgTagsEnv(env.ORG_TAGS) } : {}),
  };
};

export interface HealthEnv {
  readonly tableName: string;
  readonly topicArn: string;
  readonly evidenceBucket: string;
  /** Trail names or ARNs to check (may be empty: then only recorders and heartbeats are checked). */
  readonly trails: readonly string[];
  readonly account: string;
  readonly region: string;
  readonly deliveryLagMs: number;
  readonly silenceMs: number;
  /** Opt-in chat topic: silence and trail findings, and their resolutions, as chat cards too. */
  readonly chatTopicArn?: string;
  /** Organisation deployment: expected accounts × regions, member recorders. */
  readonly org?: OrgHealthEnv;
}

/** Parsed once per container, like the evaluate function's: a bad setting fails at init. */
export const parseHealthEnv = (env: Readonly<Record<string, string | undefined>>): HealthEnv => {
  const need = (name: string): string => {
    const value = env[name];
    if (value === undefined || value === '') throw new Error(`environment variable ${name} is required`);
    return value;
  };
  const minutes = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback * 60_000;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number of minutes >= 1 (got ${raw})`);
    return n * 60_000;
  };
  let trails: unknown = [];
  try {
    trails = env.TRAILS ? JSON.parse(env.TRAILS) : [];
  } catch (err) {
    throw new Error(`TRAILS is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!Array.isArray(trails) || !trails.every((t) => typeof t === 'string' && t !== '')) {
    throw new Error(`TRAILS must be a JSON list of trail names or ARNs (got ${env.TRAILS})`);
  }
  return {
    tableName: need('TABLE_NAME'),
    topicArn: need('TOPIC_ARN'),
    evidenceBucket: need('EVIDENCE_BUCKET'),
    trails: trails as string[],
    account: need('ACCOUNT_ID'),
    region: need('AWS_REGION'),
    deliveryLagMs: minutes('DELIVERY_LAG_MINUTES', 60),
    silenceMs: minutes('SILENCE_MINUTES', 360),
    ...(env.CHAT_TOPIC_ARN ? { chatTopicArn: parseTopicArn('CHAT_TOPIC_ARN', env.CHAT_TOPIC_ARN) } : {}),
    ...(env.ORG ? { org: parseOrgHealthEnv(env.ORG) } : {}),
  };
};
