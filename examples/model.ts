/**
 * Building blocks of the example CloudTrail generator: a seeded PRNG, stable ids, timestamps, identities and
 * a record builder that lays fields out in CloudTrail's own order. No clock, no `Math.random`: the same
 * seed always gives the same bytes.
 */

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json | undefined };
export type JsonRecord = { [key: string]: Json | undefined };

/** A CloudTrail record as this generator writes it (a superset of what rules read). */
export interface CtRecord extends JsonRecord {
  eventTime: string;
  eventSource: string;
  eventName: string;
  awsRegion: string;
  eventID: string;
  recipientAccountId: string;
}

// ---------------------------------------------------------------------------------------------- randomness

/** cyrb128: four 32-bit words from a string, to seed sfc32. */
const hash128 = (text: string): [number, number, number, number] => {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  return [(h1 ^ h2 ^ h3 ^ h4) >>> 0, (h2 ^ h1) >>> 0, (h3 ^ h1) >>> 0, (h4 ^ h1) >>> 0];
};

/** A 32-bit hash of a string (stable ids, delivery lag). */
export const hash32 = (text: string): number => hash128(text)[0];

const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const HEX = '0123456789abcdef';

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [min, max]. */
  int(min: number, max: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** `n` characters of `alphabet`. */
  chars(n: number, alphabet: string): string;
  hex(n: number): string;
  uuid(): string;
}

/** sfc32 seeded from the parts: every activity gets its own stream, so plans compose without coupling. */
export const rngFrom = (...parts: readonly (string | number)[]): Rng => {
  let [a, b, c, d] = hash128(parts.join('|'));
  const next = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  const chars = (n: number, alphabet: string): string => {
    let out = '';
    for (let i = 0; i < n; i++) out += alphabet[Math.floor(next() * alphabet.length)];
    return out;
  };
  return {
    next,
    int,
    chance: (p) => next() < p,
    pick: <T>(items: readonly T[]): T => {
      const item = items[Math.floor(next() * items.length)];
      if (item === undefined) throw new Error('pick from an empty list');
      return item;
    },
    chars,
    hex: (n) => chars(n, HEX),
    uuid: () => {
      const h = chars(32, HEX);
      const variant = HEX[8 + Math.floor(next() * 4)] ?? '8';
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
    },
  };
};

/** An id that depends only on `name`, so a role or user keeps its id whatever else is generated. */
export const stableId = (prefix: string, name: string, length = 17): string =>
  prefix + rngFrom('stable', prefix, name).chars(length, UPPER_ALNUM);

export const alnum = (rng: Rng, n: number): string => rng.chars(n, ALNUM);
export const accessKey = (rng: Rng, prefix: 'ASIA' | 'AKIA' = 'ASIA'): string => prefix + rng.chars(16, UPPER_ALNUM);
/** S3 request ids: 16 upper-case alphanumerics. */
export const s3RequestId = (rng: Rng): string => rng.chars(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789');

// -------------------------------------------------------------------------------------------------- time

export const DAY = '2026-11-02';
export const DAY_START_MS = Date.UTC(2026, 10, 2);
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY_MS = 24 * HOUR;

/** Milliseconds into the example day. */
export const at = (hours: number, minutes = 0, seconds = 0): number =>
  DAY_START_MS + hours * HOUR + minutes * MINUTE + seconds * 1000;

/** CloudTrail's timestamp format: whole seconds, `Z`. */
export const iso = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/** `Nov 2, 2026, 9:14:03 AM`: how STS writes credential expiry and IAM its create dates. */
export const awsDate = (ms: number): string => {
  const d = new Date(ms);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const h = d.getUTCHours();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${months[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}, ${h % 12 === 0 ? 12 : h % 12}:${pad(
    d.getUTCMinutes(),
  )}:${pad(d.getUTCSeconds())} ${h < 12 ? 'AM' : 'PM'}`;
};

// ------------------------------------------------------------------------------------------- identities

export const HOME_REGION = 'eu-west-1';
/** IAM, sign-in and other global services record their events in us-east-1. */
export const GLOBAL_REGION = 'us-east-1';

/** Who makes a call, from where and with what: everything about a caller that repeats across its calls. */
export interface Actor {
  readonly account: string;
  readonly identity: JsonRecord;
  readonly sourceIp: string;
  readonly userAgent: string;
  /** Calls made from the console carry `sessionCredentialFromConsole`. */
  readonly console?: boolean;
  /** Calls AWS services make for themselves carry no TLS details. */
  readonly tls?: boolean;
}

export const roleArn = (account: string, name: string, path = '/'): string =>
  `arn:aws:iam::${account}:role${path}${name}`;

export interface RoleSessionOptions {
  readonly path?: string;
  readonly createdMs: number;
  readonly accessKeyId: string;
  readonly mfa?: boolean;
  readonly invokedBy?: string;
  readonly extra?: JsonRecord;
}

/** An assumed-role session (`AssumedRole`): SSO permission sets, deploy roles, Lambda execution roles. */
export const roleSession = (account: string, role: string, session: string, o: RoleSessionOptions): JsonRecord => {
  const issuerArn = roleArn(account, role, o.path);
  const roleId = stableId('AROA', issuerArn);
  return {
    type: 'AssumedRole',
    principalId: `${roleId}:${session}`,
    arn: `arn:aws:sts::${account}:assumed-role/${role}/${session}`,
    accountId: account,
    accessKeyId: o.accessKeyId,
    sessionContext: {
      sessionIssuer: { type: 'Role', principalId: roleId, arn: issuerArn, accountId: account, userName: role },
      attributes: { creationDate: iso(o.createdMs), mfaAuthenticated: o.mfa === true ? 'true' : 'false' },
    },
    ...(o.invokedBy ? { invokedBy: o.invokedBy } : {}),
    ...o.extra,
  };
};

export const userArn = (account: string, name: string): string => `arn:aws:iam::${account}:user/${name}`;

/** An IAM user: long-term access key (CLI), or a console session with MFA. */
export const iamUser = (
  account: string,
  name: string,
  o: { readonly accessKeyId: string; readonly consoleSessionMs?: number },
): JsonRecord => ({
  type: 'IAMUser',
  principalId: stableId('AIDA', userArn(account, name)),
  arn: userArn(account, name),
  accountId: account,
  accessKeyId: o.accessKeyId,
  userName: name,
  ...(o.consoleSessionMs === undefined
    ? {}
    : { sessionContext: { attributes: { creationDate: iso(o.consoleSessionMs), mfaAuthenticated: 'true' } } }),
});

/** A call an AWS service makes with its own credentials (`AWSService`). */
export const awsService = (service: string): JsonRecord => ({ type: 'AWSService', invokedBy: service });

/** The caller of a call a service makes for itself (service-linked roles, CloudFormation, …). */
export const serviceActor = (account: string, identity: JsonRecord, service: string): Actor => ({
  account,
  identity,
  sourceIp: service,
  userAgent: service,
  tls: false,
});

// ------------------------------------------------------------------------------------------ the builder

export interface CallSpec {
  readonly source: string;
  readonly name: string;
  readonly region: string;
  readonly request?: JsonRecord | null;
  readonly response?: JsonRecord | null;
  readonly additional?: JsonRecord;
  readonly readOnly?: boolean;
  readonly resources?: readonly { readonly ARN: string; readonly type: string; readonly accountId?: string }[];
  readonly error?: { readonly code?: string; readonly message: string };
  readonly eventType?: 'AwsApiCall' | 'AwsServiceEvent' | 'AwsConsoleSignIn';
  /** The account that receives the record, when it is not the caller's (cross-account calls). */
  readonly recipient?: string;
  readonly sharedEventID?: string;
  readonly serviceEventDetails?: JsonRecord;
  readonly requestID?: string | null;
}

const hostOf = (source: string, region: string): string => {
  const service = source.replace('.amazonaws.com', '');
  if (service === 'iam') return 'iam.amazonaws.com';
  if (service === 's3') return `s3.${region}.amazonaws.com`;
  if (service === 'signin') return 'signin.aws.amazon.com';
  return `${service}.${region}.amazonaws.com`;
};

/** One CloudTrail record, fields in the order CloudTrail writes them. */
export const ctRecord = (rng: Rng, actor: Actor, t: number, c: CallSpec): CtRecord => {
  const eventID = rng.uuid();
  const requestID =
    c.requestID === null
      ? undefined
      : (c.requestID ?? (c.source === 's3.amazonaws.com' ? s3RequestId(rng) : rng.uuid()));
  const record: CtRecord = {
    eventVersion: '1.11',
    userIdentity: actor.identity,
    eventTime: iso(t),
    eventSource: c.source,
    eventName: c.name,
    awsRegion: c.region,
    sourceIPAddress: actor.sourceIp,
    userAgent: actor.userAgent,
    ...(c.error ? { ...(c.error.code ? { errorCode: c.error.code } : {}), errorMessage: c.error.message } : {}),
    requestParameters: c.request ?? null,
    responseElements: c.response ?? null,
    ...(c.additional ? { additionalEventData: c.additional } : {}),
    ...(requestID === undefined ? {} : { requestID }),
    eventID,
    readOnly: c.readOnly ?? false,
    ...(c.resources ? { resources: c.resources.map((r) => ({ ...r })) } : {}),
    eventType: c.eventType ?? 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: c.recipient ?? actor.account,
    ...(c.sharedEventID ? { sharedEventID: c.sharedEventID } : {}),
    ...(c.serviceEventDetails ? { serviceEventDetails: c.serviceEventDetails } : {}),
    eventCategory: 'Management',
    ...(actor.tls === false || c.eventType === 'AwsServiceEvent'
      ? {}
      : {
          tlsDetails: {
            tlsVersion: 'TLSv1.3',
            cipherSuite: 'TLS_AES_128_GCM_SHA256',
            clientProvidedHostHeader: hostOf(c.source, c.region),
          },
        }),
    ...(actor.console ? { sessionCredentialFromConsole: 'true' } : {}),
  };
  return record;
};

/** Where an activity's records go; `rng` is the activity's own stream. */
export interface Ctx {
  readonly rng: Rng;
  emit(record: CtRecord): void;
}

/** Make a call and record it. */
export const call = (ctx: Ctx, actor: Actor, t: number, spec: CallSpec): CtRecord => {
  const record = ctRecord(ctx.rng, actor, t, spec);
  ctx.emit(record);
  return record;
};

/** A planned piece of activity: expanded into records only when needed, with its own random stream. */
export interface Activity {
  /** Unique within a plan; seeds the activity's random stream. */
  readonly key: string;
  /** When it starts; all its records are at or after this time. */
  readonly at: number;
  readonly run: (ctx: Ctx) => void;
}

/** Plan order: by start time, then key, so expansion is deterministic and roughly chronological. */
export const byStartThenKey = (a: Activity, b: Activity): number =>
  a.at - b.at || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** Expand activities into records (in plan order), each with a random stream seeded by `seed` and its key. */
export const expand = (seed: string, activities: readonly Activity[], sink: (r: CtRecord) => void): void => {
  for (const activity of activities) {
    activity.run({ rng: rngFrom(seed, activity.key), emit: sink });
  }
};
