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
