import type { CloudTrailRecord } from './cloudtrail.ts';
import { accountOf, isServiceInvoked, isSuccess } from './cloudtrail.ts';
import type { Organization } from './resource-policy.ts';

/**
 * Where a KMS key named in a request lives, relative to the account that uses it: the heart of "encryption as
 * a weapon" (T1486). Data re-encrypted under a key the victim does not own can only be read back with the
 * owner's consent, so a key in an account outside the organisation is the ransom note.
 *
 * A key is referred to by id (`1234abcd-…`), alias (`alias/x`), key ARN or alias ARN. Only ARNs name an
 * account; a bare id or alias always resolves in the caller's own account and region (KMS semantics), so it is
 * never outside.
 */

export type KeyPlacement =
  /** A bare id or alias, or an ARN in the using account. */
  | { readonly kind: 'own' }
  /** Another account listed in the configured organisation. */
  | { readonly kind: 'organization'; readonly account: string }
  /** Any other account (every other account when no organisation is configured). */
  | { readonly kind: 'outside'; readonly account: string }
  /** Neither a key reference nor an ARN we can read (a value CloudTrail redacted, say). */
  | { readonly kind: 'unknown' };

const KMS_ARN = /^arn:aws(?:-[a-z]+)*:kms:[a-z0-9-]*:(\d{12}):(?:key|alias)\/.+$/;
const BARE_KEY = /^(?:alias\/.+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/i;

/** The account in a KMS key or alias ARN; undefined for a bare id or alias (the caller's own account). */
export const kmsKeyAccount = (ref: string): string | undefined => KMS_ARN.exec(ref.trim())?.[1];

/** Where `ref` lives relative to `ownAccount`, judged against the configured organisation. */
export const keyPlacement = (ref: string, ownAccount: string, organization: Organization): KeyPlacement => {
  const text = ref.trim();
  const account = kmsKeyAccount(text);
  if (account === undefined) return BARE_KEY.test(text) ? { kind: 'own' } : { kind: 'unknown' };
  if (account === ownAccount) return { kind: 'own' };
  return organization.accounts.includes(account) ? { kind: 'organization', account } : { kind: 'outside', account };
};

/** The key references (deduplicated, in order) that live outside the organisation. */
export const outsideKeys = (
  refs: readonly (string | undefined)[],
  ownAccount: string,
  organization: Organization,
): string[] => {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const ref of refs) {
    if (ref === undefined || ref.trim() === '' || seen.has(ref)) continue;
    seen.add(ref);
    if (keyPlacement(ref, ownAccount, organization).kind === 'outside') out.push(ref);
  }
  return out;
};

/** For the finding: `KMS key <arn> belongs to account <id>, outside the organisation`. */
export const describeOutsideKeys = (keys: readonly string[]): string[] =>
  keys.map((key) => `KMS key ${key} belongs to account ${kmsKeyAccount(key) ?? 'unknown'}, outside the organisation`);

/**
 * Keys whose name says "this is a KMS key reference", in every casing services log: `kmsKeyId` (RDS, EC2),
 * `KmsKeyId` (EC2's newer wrapped requests), `KMSMasterKeyID` (S3 bucket encryption), `kMSMasterKeyId` /
 * `kMSMasterKeyArn` (DynamoDB), `SSEKMSKeyId`, and S3's `x-amz-server-side-encryption-aws-kms-key-id` header.
 */
const KEY_FIELD =
  /^(?:kms_?key_?(?:id|arn)|kmsmasterkey(?:id|arn)|ssekmskeyid|x-amz-server-side-encryption-aws-kms-key-id)$/i;

const MAX_DEPTH = 8;

/**
 * Every KMS key reference anywhere in a request or response, in document order. CloudTrail shapes differ per
 * service and API version (wrapped `…Request` objects, `{items: […]}` lists, one rule object or a list), so the
 * walk goes by field name rather than by path. Bounded in depth; never throws.
 */
export const kmsKeyRefsIn = (value: unknown, depth = 0): string[] => {
  if (depth > MAX_DEPTH || typeof value !== 'object' || value === null) return [];
  if (Array.isArray(value)) return value.flatMap((v) => kmsKeyRefsIn(v, depth + 1));
  const out: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    if (typeof v === 'string' && KEY_FIELD.test(key) && v.trim() !== '') out.push(v.trim());
    else if (typeof v === 'object') out.push(...kmsKeyRefsIn(v, depth + 1));
  }
  return out;
};

/** The outside-the-organisation keys a call named, in its request or (S3 object calls) its response. */
export const outsideKeysOf = (e: CloudTrailRecord, organization: Organization): string[] =>
  outsideKeys([...kmsKeyRefsIn(e.requestParameters), ...kmsKeyRefsIn(e.responseElements)], accountOf(e), organization);

/**
 * Encryption as a weapon: a successful call someone made (not AWS on its own) that encrypts data under a key in
 * an account outside the organisation. Not exempt for approved automation: no deploy should need such a key.
 */
export const encryptsWithOutsideKey = (e: CloudTrailRecord, organization: Organization): boolean =>
  isSuccess(e) && !isServiceInvoked(e) && outsideKeysOf(e, organization).length > 0;
