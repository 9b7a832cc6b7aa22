import type { JsonObject, JsonValue } from './cloudtrail.ts';

/**
 * Policy documents as CloudTrail logs them: an object, a JSON string, or (IAM, some SDKs) a URL-encoded JSON
 * string. Parsing never throws; a document that cannot be read is a result that says why.
 */
export type PolicyParse =
  | { readonly ok: true; readonly statements: readonly PolicyStatement[] }
  | { readonly ok: false; readonly error: string };

/** One statement with the label a finding can quote: its `Sid`, else its position. */
export interface PolicyStatement {
  readonly label: string;
  readonly body: JsonObject;
}

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

const parseJson = (text: string): { ok: true; value: unknown } | { ok: false } => {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
};

const decodeUri = (text: string): string | undefined => {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
};

/** A JSON string, or the same URL-encoded (RFC 3986 `%20`, or form-style `+` for spaces). */
const parseText = (raw: string): { ok: true; value: unknown } | { ok: false } => {
  const text = raw.trim();
  const direct = parseJson(text);
  if (direct.ok) return direct;
  if (!text.includes('%')) return direct;
  for (const candidate of [decodeUri(text), decodeUri(text.replace(/\+/g, ' '))]) {
    if (candidate === undefined) continue;
    const decoded = parseJson(candidate);
    if (decoded.ok) return decoded;
  }
  return { ok: false };
};

/** Read a policy document into its statements. `Statement` may be one object or a list of them. */
export const parsePolicyDocument = (input: unknown): PolicyParse => {
  let document: unknown = input;
  if (typeof input === 'string') {
    if (input.trim() === '') return { ok: false, error: 'policy document is empty' };
    const parsed = parseText(input);
    if (!parsed.ok) return { ok: false, error: 'policy document is not valid JSON' };
    document = parsed.value;
  }
  if (!isObject(document)) return { ok: false, error: 'policy document is not a JSON object' };
  const statement = document.Statement;
  if (statement === undefined) return { ok: false, error: 'policy document has no Statement' };
  const list: readonly JsonValue[] = Array.isArray(statement) ? statement : [statement];
  const statements: PolicyStatement[] = [];
  for (const [index, body] of list.entries()) {
    if (!isObject(body)) return { ok: false, error: `Statement[${index}] is not an object` };
    const sid = body.Sid;
    statements.push({ label: typeof sid === 'string' && sid !== '' ? sid : `Statement[${index}]`, body });
  }
  return { ok: true, statements };
};

/** A policy element that may be one string or a list of them (`Action`, `Resource`, principal values…). */
export const stringsOf = (value: JsonValue | undefined): string[] => {
  if (typeof value === 'string') return [value];
  if (typeof value === 'number' || typeof value === 'boolean') return [String(value)];
  if (Array.isArray(value)) return value.flatMap((v) => stringsOf(v));
  return [];
};

export const isAllow = (statement: JsonObject): boolean => statement.Effect === 'Allow';

// ---------------------------------------------------------------------------------------------------------
// Is a resource policy public?
// ---------------------------------------------------------------------------------------------------------

export type PublicPolicyResult =
  | { readonly kind: 'public'; readonly statements: readonly string[] }
  | { readonly kind: 'not-public' }
  | { readonly kind: 'invalid'; readonly error: string };

/** Does the statement grant to everyone: `"*"`, `{"AWS": "*"}`, `{"AWS": [..., "*"]}`, or `NotPrincipal`? */
const grantsToEveryone = (statement: JsonObject): boolean => {
  // Allow + NotPrincipal grants to every principal except those listed.
  if (statement.NotPrincipal !== undefined) return true;
  const principal = statement.Principal;
  if (principal === '*') return true;
  if (!isObject(principal)) return false;
  return stringsOf(principal.AWS).includes('*');
};

const hasWildcard = (value: string): boolean => /[*?]/.test(value) || value.includes('${');

/** No wildcard and no policy variable anywhere: `o-abc123`, `vpce-1a2b3c4d`, `111122223333`. */
const fixedExactly = (value: string): boolean => value !== '' && !hasWildcard(value);

/**
 * An ARN pinned to one account: `arn:aws:iam::111122223333:role/*` still names a single account, so the
 * wildcard in the resource part does not open it up. ARNs with no account field (S3 buckets) must be exact,
 * since anyone can create a bucket whose name fits a pattern.
 */
const fixedArn = (value: string): boolean => {
  if (value.includes('${')) return false;
  const parts = value.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return false;
  const account = parts[4] ?? '';
  return account === '' ? fixedExactly(value) : fixedExactly(account);
};

/** `o-abc123/r-ab12/ou-ab12-11111111/*` is pinned to an organisation; `o-*` or `*` is not. */
const fixedOrgPath = (value: string): boolean => {
  if (value.includes('${')) return false;
  const org = value.split('/')[0] ?? '';
  return fixedExactly(org);
};

/** `AROAEXAMPLEID:*` pins one role's sessions (AWS's own "outside the pattern AROLEID:*"); `AROA*` does not. */
const fixedUserId = (value: string): boolean => {
  if (value.includes('${')) return false;
  const [id = ''] = value.split(':');
  return fixedExactly(id);
};

/**
 * Narrowest CIDR that still counts as "the internet". AWS counts any set of CIDRs in `aws:SourceIp` as
 * restricting; a range such as `0.0.0.0/1` is half the internet, so this helper treats anything wider than
 * a /8 (IPv4) or /32 (IPv6) as unrestricted. Real office and VPN ranges are far narrower.
 */
const MIN_PREFIX = { v4: 8, v6: 32 } as const;

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** A single address or CIDR that is not the whole (or most of the) internet. */
export const isNarrowCidr = (value: string): boolean => {
  const [address = '', prefixText, ...rest] = value.trim().split('/');
  if (rest.length > 0) return false;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return false;
  const v4 = IPV4.exec(address);
  if (v4) {
    if (v4.slice(1).some((octet) => Number(octet) > 255)) return false;
    const prefix = prefixText === undefined ? 32 : Number(prefixText);
    return prefix <= 32 && prefix >= MIN_PREFIX.v4;
  }
  if (address.includes(':') && /^[0-9a-f:.]+$/i.test(address)) {
    const prefix = prefixText === undefined ? 128 : Number(prefixText);
    return prefix <= 128 && prefix >= MIN_PREFIX.v6;
  }
  return false;
};

type ValueCheck = (value: string) => boolean;

/**
 * Condition keys that, held to fixed values, confine an `Allow` to everyone (S3 Block Public Access,
 * "The meaning of public"): a caller without the key (anonymous, another organisation) fails the condition.
 * Keys are lower-case because IAM compares them without regard to case.
 */
const RESTRICTING_KEYS: Readonly<Record<string, ValueCheck>> = {
  'aws:principalorgid': fixedExactly,
  'aws:principalorgpaths': fixedOrgPath,
  'aws:principalaccount': fixedExactly,
  'aws:principalarn': fixedArn,
  'aws:sourceorgid': fixedExactly,
  'aws:sourceorgpaths': fixedOrgPath,
  'aws:sourcevpce': fixedExactly,
  'aws:sourcevpc': fixedExactly,
  'aws:sourcearn': fixedArn,
  'aws:sourceaccount': fixedExactly,
  'aws:sourceowner': fixedExactly,
  // The account of the caller, in KMS key policies (AWS-managed keys grant `"AWS": "*"` held to it).
  'kms:calleraccount': fixedExactly,
  'aws:userid': fixedUserId,
  's3:dataaccesspointarn': fixedArn,
  's3:dataaccesspointaccount': fixedExactly,
  's3:x-amz-server-side-encryption-aws-kms-key-id': fixedExactly,
};

/** Operators that require the key to equal (or match) the listed values. Negations restrict nothing. */
const POSITIVE_STRING_OPERATORS = new Set([
  'stringequals',
  'stringequalsignorecase',
  'stringlike',
  'arnequals',
  'arnlike',
]);

/**
 * Does this operator/key/values triple confine the statement? `…IfExists` and `ForAllValues:` are satisfied by
 * a request that lacks the key (an anonymous one), so they confine nothing.
 */
const restricts = (operator: string, key: string, values: readonly string[]): boolean => {
  let op = operator.toLowerCase();
  if (op.startsWith('forallvalues:') || op.endsWith('ifexists')) return false;
  if (op.startsWith('foranyvalue:')) op = op.slice('foranyvalue:'.length);
  if (values.length === 0) return false;
  const lowerKey = key.toLowerCase();
  // EFS: only clients mounting through a mount target, i.e. from inside a VPC the file system is reachable in
  // (the console's default "prevent anonymous access" policy). IAM Access Analyzer does not count it as public.
  if (lowerKey === 'elasticfilesystem:accessedviamounttarget') {
    return op === 'bool' && values.every((v) => v.toLowerCase() === 'true');
  }
  if (lowerKey === 'aws:sourceip') return op === 'ipaddress' && values.every(isNarrowCidr);
  const check = RESTRICTING_KEYS[lowerKey];
  return check !== undefined && POSITIVE_STRING_OPERATORS.has(op) && values.every(check);
};

/** Conditions in one statement are ANDed: one restricting key is enough to confine it. */
const restrictedByCondition = (statement: JsonObject): boolean => {
  const condition = statement.Condition;
  if (!isObject(condition)) return false;
  return Object.entries(condition).some(
    ([operator, keys]) =>
      isObject(keys) && Object.entries(keys).some(([key, values]) => restricts(operator, key, stringsOf(values))),
  );
};

/**
 * Is a resource policy (bucket, queue, topic, key, secret…) public in the sense S3 Block Public Access uses?
 * Public when an `Allow` statement grants to everyone (`"*"`, `{"AWS":"*"}`, or via `NotPrincipal`) and no
 * condition holds it to fixed values of a key that identifies the caller or the network path. `Deny`
 * statements never make a policy public. The result names the statements that did, for the finding.
 */
export const analyzeResourcePolicy = (input: unknown): PublicPolicyResult => {
  const parsed = parsePolicyDocument(input);
  if (!parsed.ok) return { kind: 'invalid', error: parsed.error };
  const offending = parsed.statements
    .filter(({ body }) => isAllow(body) && grantsToEveryone(body) && !restrictedByCondition(body))
    .map(({ label }) => label);
  return offending.length > 0 ? { kind: 'public', statements: offending } : { kind: 'not-public' };
};

export const isPublicPolicy = (input: unknown): boolean => analyzeResourcePolicy(input).kind === 'public';

// ---------------------------------------------------------------------------------------------------------
// Which principals does a statement name?
// ---------------------------------------------------------------------------------------------------------

/** The principals a statement's `Principal` names, by kind, and whether it reaches everyone. */
export interface NamedPrincipals {
  /** `"*"` (bare or as an `AWS` value), or `NotPrincipal`: every principal except any listed. */
  readonly everyone: boolean;
  /** Accounts, users, roles, sessions or unique ids under `AWS` (`"*"` included when written). */
  readonly aws: readonly string[];
  readonly service: readonly string[];
  readonly federated: readonly string[];
  readonly canonicalUser: readonly string[];
}

/**
 * Read a statement's `Principal` into its kinds (trust policies, resource policies). The principals a
 * `NotPrincipal` lists are the ones left out, so they are never reported as named; the statement reaches
 * `everyone` else instead.
 */
export const statementPrincipals = (statement: JsonObject): NamedPrincipals => {
  const principal = statement.Principal;
  const kind = (key: string): string[] => (isObject(principal) ? stringsOf(principal[key]) : []);
  const aws = kind('AWS');
  return {
    everyone: statement.NotPrincipal !== undefined || principal === '*' || aws.includes('*'),
    aws,
    service: kind('Service'),
    federated: kind('Federated'),
    canonicalUser: kind('CanonicalUser'),
  };
};

const ACCOUNT_ID = /^\d{12}$/;
const IAM_OR_STS_ARN = /^arn:aws(?:-[a-z]+)*:(?:iam|sts)::(\d{12}):/;

/**
 * The account an `AWS` principal value belongs to: a bare account id (`111122223333`) or an IAM/STS ARN
 * (`arn:aws:iam::111122223333:root`, `…:role/x`, `arn:aws:sts::111122223333:assumed-role/x/y`). Undefined for
 * `"*"`, unique ids (`AROA…`, which IAM writes when the principal was deleted) and anything else.
 */
export const accountOfPrincipal = (value: string): string | undefined => {
  const text = value.trim();
  if (ACCOUNT_ID.test(text)) return text;
  return IAM_OR_STS_ARN.exec(text)?.[1];
};

// ---------------------------------------------------------------------------------------------------------
// Public, or open to accounts outside the organisation?
// ---------------------------------------------------------------------------------------------------------

/**
 * How far a resource policy reaches, judged on its `Allow` statements:
 * - `public`: some statement grants to everyone with no restricting condition (as `analyzeResourcePolicy`);
 * - `outside-org`: none is public, but some grants to an account that is neither the resource's own nor in the
 *   organisation, by naming it as a principal, or by holding `"*"` (or a service) to it with a condition
 *   (`aws:PrincipalAccount`, `aws:SourceAccount`, `kms:CallerAccount`, an ARN in another account, another
 *   organisation's id);
 * - `private`: everything else; `invalid`: the document could not be read.
 * `statements` names the statements behind the verdict; `accounts` the outside accounts granted (an `o-…`
 * organisation id when a statement is held to a foreign organisation), sorted. With no organisation accounts
 * configured, every account but the resource's own is outside.
 */
export type PolicyExposure =
  | {
      readonly kind: 'public' | 'outside-org';
      readonly statements: readonly string[];
      readonly accounts: readonly string[];
    }
  | { readonly kind: 'private'; readonly statements: readonly []; readonly accounts: readonly [] }
  | {
      readonly kind: 'invalid';
      readonly error: string;
      readonly statements: readonly [];
      readonly accounts: readonly [];
    };

interface Perimeter {
  readonly isInside: (account: string) => boolean;
  /** The organisation's own id; without it an organisation condition cannot be placed inside or out. */
  readonly orgId: string | undefined;
}

/**
 * Whom one restricting condition admits: only callers inside the perimeter, some outside it (named), or a
 * network path or identity that names no account (VPC endpoint, source IP, role id, bucket ARN).
 */
type Reach =
  | { readonly kind: 'inside' }
  | { readonly kind: 'outside'; readonly who: readonly string[] }
  | { readonly kind: 'unplaced' };

const ACCOUNT_KEYS: ReadonlySet<string> = new Set([
  'aws:principalaccount',
  'aws:sourceaccount',
  'aws:sourceowner',
  'kms:calleraccount',
  's3:dataaccesspointaccount',
]);
const ARN_KEYS: ReadonlySet<string> = new Set(['aws:principalarn', 'aws:sourcearn', 's3:dataaccesspointarn']);
const ORG_KEYS: ReadonlySet<string> = new Set([
  'aws:principalorgid',
  'aws:sourceorgid',
  'aws:principalorgpaths',
  'aws:sourceorgpaths',
]);

const accountOfArn = (value: string): string | undefined => {
  const parts = value.split(':');
  const account = parts[4] ?? '';
  return parts[0] === 'arn' && parts.length >= 6 && ACCOUNT_ID.test(account) ? account : undefined;
};

const reachOf = (key: string, values: readonly string[], perimeter: Perimeter): Reach => {
  let who: readonly (string | undefined)[];
  let inside = perimeter.isInside;
  if (ACCOUNT_KEYS.has(key)) who = values;
  else if (ARN_KEYS.has(key)) who = values.map(accountOfArn);
  else if (ORG_KEYS.has(key) && perimeter.orgId !== undefined) {
    const own = perimeter.orgId;
    // `o-abc/r-ab12/ou-…` paths start with the organisation id.
    who = values.map((v) => v.split('/')[0]);
    inside = (org) => org === own;
  } else return { kind: 'unplaced' };
  const placed = who.filter((w): w is string => w !== undefined);
  if (placed.length < who.length) return { kind: 'unplaced' };
  const outside = placed.filter((w) => !inside(w));
  return outside.length === 0 ? { kind: 'inside' } : { kind: 'outside', who: outside };
};

/** The conditions of a statement that confine it (see `restricts`), each with whom it admits. */
const reachesOf = (statement: JsonObject, perimeter: Perimeter): Reach[] => {
  const condition = statement.Condition;
  if (!isObject(condition)) return [];
  return Object.entries(condition).flatMap(([operator, keys]) =>
    isObject(keys)
      ? Object.entries(keys).flatMap(([key, raw]) => {
          const values = stringsOf(raw);
          return restricts(operator, key, values) ? [reachOf(key.toLowerCase(), values, perimeter)] : [];
        })
      : [],
  );
};

type StatementReach = { readonly kind: 'public' | 'private' } | { readonly kind: 'outside'; readonly who: string[] };

const PRIVATE: StatementReach = { kind: 'private' };

const reachOfStatement = (statement: JsonObject, perimeter: Perimeter): StatementReach => {
  if (!isAllow(statement)) return PRIVATE;
  const reaches = reachesOf(statement, perimeter);
  // Conditions are ANDed: one that keeps callers inside the perimeter confines the whole statement.
  if (reaches.some((r) => r.kind === 'inside')) return PRIVATE;
  const unplaced = reaches.some((r) => r.kind === 'unplaced');
  const named = reaches.flatMap((r) => (r.kind === 'outside' ? r.who : []));
  if (grantsToEveryone(statement)) {
    if (reaches.length === 0) return { kind: 'public' };
    // Everyone, held to a VPC endpoint, office range or role id: not public, and no outside account named.
    return unplaced ? PRIVATE : { kind: 'outside', who: named };
  }
  const principals = statementPrincipals(statement);
  const foreign = principals.aws.flatMap((p) => {
    const account = accountOfPrincipal(p);
    return account !== undefined && !perimeter.isInside(account) ? [account] : [];
  });
  if (foreign.length > 0) return { kind: 'outside', who: foreign };
  // A service principal acts for whichever resource its `aws:Source…` condition names: here, another account's.
  if (principals.service.length > 0 && named.length > 0 && !unplaced) return { kind: 'outside', who: named };
  return PRIVATE;
};

/** Is this resource policy public, open to accounts outside the organisation, or private? Never throws. */
export const policyExposure = (
  policy: unknown,
  ownAccount: string,
  orgAccounts: readonly string[],
  orgId?: string,
): PolicyExposure => {
  const parsed = parsePolicyDocument(policy);
  if (!parsed.ok) return { kind: 'invalid', error: parsed.error, statements: [], accounts: [] };
  const members = new Set(orgAccounts);
  const perimeter: Perimeter = { isInside: (a) => a === ownAccount || members.has(a), orgId };
  const open: string[] = [];
  const outside: string[] = [];
  const accounts = new Set<string>();
  for (const { label, body } of parsed.statements) {
    const reach = reachOfStatement(body, perimeter);
    if (reach.kind === 'public') open.push(label);
    else if (reach.kind === 'outside') {
      outside.push(label);
      for (const account of reach.who) accounts.add(account);
    }
  }
  const sorted = [...accounts].sort();
  if (open.length > 0) return { kind: 'public', statements: open, accounts: sorted };
  if (outside.length > 0) return { kind: 'outside-org', statements: outside, accounts: sorted };
  return { kind: 'private', statements: [], accounts: [] };
};

// ---------------------------------------------------------------------------------------------------------
// A call that set a resource policy: did it open the resource, and how to say so
// ---------------------------------------------------------------------------------------------------------

/** The `organization` of the detection config: its accounts, and its id when known. */
export interface Organization {
  readonly id?: string;
  readonly accounts: readonly string[];
}

/** An account that is neither `ownAccount` nor one of the organisation's (every other account when none is configured). */
export const isOutsideOrganization = (account: string, ownAccount: string, organization: Organization): boolean =>
  account !== ownAccount && !organization.accounts.includes(account);

/**
 * The account ids a share names that are neither the resource's own account nor organisation members (every other
 * account when none are configured), trimmed; `all` (public, any case) is not an account and is left to the caller.
 */
export const accountsOutsideOrganization = (
  values: readonly string[],
  ownAccount: string,
  organization: Organization,
): string[] =>
  values
    .map((v) => v.trim())
    .filter((v) => v.toLowerCase() !== 'all' && isOutsideOrganization(v, ownAccount, organization));

/**
 * How far the policy a call set reaches (`policyExposure`), for a resource owned by `ownAccount`, judged against
 * the configured organisation. Undefined when the call set no policy (absent or null): there is nothing to judge.
 */
export const orgPolicyExposure = (
  policy: unknown,
  ownAccount: string,
  organization: Organization,
): PolicyExposure | undefined =>
  policy === undefined || policy === null
    ? undefined
    : policyExposure(policy, ownAccount, organization.accounts, organization.id);

/**
 * The policy SNS and SQS `AddPermission` write: one statement, its Sid the call's `label`, letting the granted
 * accounts call the actions (already prefixed, `SQS:SendMessage`) on the resource. Undefined when the call
 * grants no account.
 */
export const addPermissionPolicy = (grant: {
  readonly label: string | undefined;
  readonly accounts: readonly string[];
  readonly actions: readonly string[];
  readonly resource: string;
}): JsonObject | undefined =>
  grant.accounts.length === 0
    ? undefined
    : {
        Statement: [
          {
            Sid: grant.label ?? 'AddPermission',
            Effect: 'Allow',
            Principal: { AWS: [...grant.accounts] },
            Action: [...grant.actions],
            Resource: grant.resource,
          },
        ],
      };

/** An exposure that opens the resource: to everyone, or to an account outside the organisation. */
export type OpenedExposure = Extract<PolicyExposure, { readonly kind: 'public' | 'outside-org' }>;

export const isOpenedExposure = (x: PolicyExposure | undefined): x is OpenedExposure =>
  x?.kind === 'public' || x?.kind === 'outside-org';

/**
 * For the finding: `public through <statements>` (or `open outside the organisation through …`), then the outside
 * accounts it reaches, if any. `through` names what opened it when the statement labels are not the best name
 * (Lambda's statement id). Empty when the exposure opens nothing.
 */
export const describeOpenedExposure = (x: PolicyExposure | undefined, through?: string): string[] =>
  isOpenedExposure(x)
    ? [
        `${x.kind === 'public' ? 'public' : 'open outside the organisation'} through ${through ?? x.statements.join(', ')}`,
        ...(x.accounts.length > 0 ? [`accounts outside the organisation: ${x.accounts.join(', ')}`] : []),
      ]
    : [];
