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
