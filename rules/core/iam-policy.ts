import type { CloudTrailRecord, JsonObject } from './cloudtrail.ts';
import { accountOf, param, stringParam } from './cloudtrail.ts';
import { isAllow, parsePolicyDocument, stringsOf } from './resource-policy.ts';

export type AdminResult =
  | { readonly kind: 'admin'; readonly statements: readonly string[] }
  | { readonly kind: 'not-admin' }
  | { readonly kind: 'invalid'; readonly error: string };

/**
 * `*` and `*:*` grant everything; `iam:*` lets the holder grant itself everything. Action names are
 * case-insensitive in IAM.
 */
const ADMIN_ACTIONS = new Set(['*', '*:*', 'iam:*']);

/** `Resource: "*"` (or a list holding it), or `NotResource`, which allows every resource but the few listed. */
const coversAllResources = (statement: JsonObject): boolean =>
  statement.NotResource !== undefined || stringsOf(statement.Resource).includes('*');

/**
 * Admin-equivalent: an `Allow` on every resource of `*`, `*:*` or `iam:*`, or of `NotAction` (everything but
 * the few actions listed). Conditions are ignored on purpose: admin limited to one region or to MFA sessions
 * is still admin.
 */
const isAdminStatement = (statement: JsonObject): boolean => {
  if (!isAllow(statement) || !coversAllResources(statement)) return false;
  if (statement.NotAction !== undefined) return true;
  return stringsOf(statement.Action).some((action) => ADMIN_ACTIONS.has(action.trim().toLowerCase()));
};

/**
 * Which statements of an identity policy make it admin-equivalent. The document may be an object, a JSON
 * string, or a URL-encoded JSON string (the IAM API returns documents URL-encoded; tools that copy them into
 * requests, and some CloudTrail records, keep that form).
 */
export const analyzeIdentityPolicy = (document: unknown): AdminResult => {
  const parsed = parsePolicyDocument(document);
  if (!parsed.ok) return { kind: 'invalid', error: parsed.error };
  const admin = parsed.statements.filter(({ body }) => isAdminStatement(body)).map(({ label }) => label);
  return admin.length > 0 ? { kind: 'admin', statements: admin } : { kind: 'not-admin' };
};

export const isAdminEquivalent = (document: unknown): boolean => analyzeIdentityPolicy(document).kind === 'admin';

/** AWS managed policies that are admin, or let the holder make itself admin. */
export const ADMIN_MANAGED_POLICY_NAMES = ['AdministratorAccess', 'IAMFullAccess'] as const;

const ADMIN_MANAGED_POLICY_ARN = new RegExp(
  `^arn:aws(?:-[a-z]+)*:iam::aws:policy/(?:${ADMIN_MANAGED_POLICY_NAMES.join('|')})$`,
);

/**
 * `arn:<partition>:iam::aws:policy/AdministratorAccess` in any partition (`aws`, `aws-us-gov`, `aws-cn`, …).
 * Only AWS managed policies: a customer policy that happens to share the name says nothing about its content.
 */
export const isAdminManagedPolicyArn = (arn: string): boolean => ADMIN_MANAGED_POLICY_ARN.test(arn.trim());

/** The partition of the identity that acted, read from its ARN (IAM ARNs carry no region to read it from). */
const actorPartition = (e: CloudTrailRecord): string => {
  // Stryker disable next-line StringLiteral: any fallback that is not an ARN leads to 'aws' below, so its text is unobservable
  const arn = e.userIdentity.arn ?? e.userIdentity.sessionContext?.sessionIssuer?.arn ?? '';
  const partition = arn.split(':')[1];
  return arn.startsWith('arn:') && partition ? partition : 'aws';
};

/**
 * The IAM identities and policies an IAM call changes, as ARNs for the finding and for criticality patterns.
 * Built from `requestParameters` because CloudTrail records no `resources` for IAM. Role, user and group
 * names carry no path there, so the ARNs are path-less (`…:role/<name>`).
 */
export const iamTargetArns = (e: CloudTrailRecord): string[] => {
  const p = e.requestParameters;
  const prefix = `arn:${actorPartition(e)}:iam::${accountOf(e)}`;
  const arns: string[] = [];
  const role = stringParam(p, 'roleName');
  const user = stringParam(p, 'userName');
  const group = stringParam(p, 'groupName');
  if (role) arns.push(`${prefix}:role/${role}`);
  if (user) arns.push(`${prefix}:user/${user}`);
  if (group) arns.push(`${prefix}:group/${group}`);
  for (const key of ['policyArn', 'permissionsBoundary']) {
    const arn = stringParam(p, key);
    if (arn?.startsWith('arn:')) arns.push(arn);
  }
  return arns;
};

// ---------------------------------------------------------------------------------------------------------
// Who an IAM call is about

/** IAM user, group and role names are unique regardless of case, so `Alice` names the same user as `alice`. */
export const sameIamName = (a: string | undefined, b: string | undefined): boolean =>
  a !== undefined && a !== '' && b !== undefined && a.toLowerCase() === b.toLowerCase();

/** Is the caller the IAM user named `userName`? Root, roles and federated sessions never are the IAM user they name. */
export const isActingIamUser = (e: CloudTrailRecord, userName: string | undefined): boolean =>
  e.userIdentity.type === 'IAMUser' && sameIamName(e.userIdentity.userName, userName);

/**
 * The user IAM says it issued the new access key or login profile to (`responseElements`), when it answered: a
 * key for root names no user. The answer is what happened, so it decides before the request does; and a call
 * with no `userName` (IAM acted on the caller) is told apart from one whose parameters CloudTrail left out.
 */
const issuedTo = (e: CloudTrailRecord): { readonly answered: boolean; readonly userName?: string } => {
  for (const field of ['accessKey', 'loginProfile']) {
    const issued = param(e.responseElements, field);
    if (typeof issued === 'object' && issued !== null && !Array.isArray(issued)) {
      const userName = stringParam(e.responseElements, field, 'userName');
      return userName === undefined ? { answered: true } : { answered: true, userName };
    }
  }
  // Stryker disable next-line ObjectLiteral: `{}` leaves `answered` undefined, which callers read exactly as false
  return { answered: false };
};

/**
 * Does the call act on an IAM user other than the caller? IAM's answer names the user when there is one;
 * otherwise `requestParameters.userName` does, and without a user name IAM acts on the caller itself.
 */
export const targetsAnotherIamUser = (e: CloudTrailRecord): boolean => {
  const issued = issuedTo(e);
  const target = issued.answered ? issued.userName : stringParam(e.requestParameters, 'userName');
  return target !== undefined && target !== '' && !isActingIamUser(e, target);
};

/** The user, role or group name a call targets, lower-cased for dedup keys (IAM names ignore case); '' when absent. */
export const iamNameKey = (e: CloudTrailRecord, field: 'userName' | 'roleName' | 'groupName'): string =>
  (stringParam(e.requestParameters, field) ?? '').toLowerCase();
