import { partitionOf } from './arn.ts';
import type { CloudTrailRecord } from './cloudtrail.ts';
import { accountOf, stringParam } from './cloudtrail.ts';
import { globToRegExp } from './glob.ts';

/** Console sign-in outcome as CloudTrail records it (`responseElements.ConsoleLogin`). */
export const signInResult = (e: CloudTrailRecord): string | undefined =>
  stringParam(e.responseElements, 'ConsoleLogin');

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const IPV6 = /^[0-9a-f]*:[0-9a-f:.]*$/i;

/**
 * Only a literal address says where someone is. CloudTrail puts a service name there (`AWS Internal`,
 * `signin.amazonaws.com`) when an AWS front end acted for the user.
 */
export const isAddress = (ip: string | undefined): ip is string => ip !== undefined && (IPV4.test(ip) || IPV6.test(ip));

export const accountOfUser = (e: CloudTrailRecord): string => e.userIdentity.accountId ?? accountOf(e);

/** `assumed-role/<role>/<session>` or `federated-user/<name>`: the part after the last slash names the person. */
const lastSegment = (arn: string | undefined): string | undefined => {
  const name = arn?.split('/').at(-1);
  return name !== undefined && name !== '' && arn?.includes('/') ? name : undefined;
};

/**
 * The person behind a sign-in. IAM users by name (case-insensitive in IAM); federated and IAM Identity Center
 * sessions by role session name, which the identity provider sets to the user (often an e-mail address): the
 * same person signing in through two permission sets is still one person.
 */
export const personOf = (e: CloudTrailRecord): string => {
  const id = e.userIdentity;
  switch (id.type) {
    case 'Root':
      return 'root';
    case 'IAMUser': {
      const name = id.userName ?? lastSegment(id.arn);
      return name !== undefined ? `user/${name.toLowerCase()}` : (id.arn ?? id.principalId ?? 'unknown');
    }
    case 'AssumedRole': {
      const session = lastSegment(id.arn) ?? id.principalId?.split(':')[1];
      return session ? `session/${session.toLowerCase()}` : (id.arn ?? id.principalId ?? 'unknown');
    }
    case 'FederatedUser': {
      const name = lastSegment(id.arn) ?? id.principalId?.split(':')[1];
      return name ? `federated-user/${name.toLowerCase()}` : (id.arn ?? id.principalId ?? 'unknown');
    }
    default:
      return id.arn ?? id.principalId ?? 'unknown';
  }
};

/** One person in one account: the key behaviour rules remember sign-ins by. */
export const personKey = (e: CloudTrailRecord): string => `${accountOfUser(e)}|${personOf(e)}`;

/** The identity signed in as, and for role sessions the role too, so criticality patterns on either apply. */
export const identityArns = (e: CloudTrailRecord): readonly string[] => {
  const id = e.userIdentity;
  const account = accountOfUser(e);
  if (id.type === 'Root') return [id.arn ?? `arn:${partitionOf(e.awsRegion)}:iam::${account}:root`];
  const own =
    id.arn ??
    (id.type === 'IAMUser' && id.userName
      ? `arn:${partitionOf(e.awsRegion)}:iam::${account}:user/${id.userName}`
      : undefined);
  const role = id.sessionContext?.sessionIssuer?.arn;
  return [own, role].filter((arn): arn is string => arn !== undefined && arn !== '');
};

/** CloudTrail hides a mistyped user name: such failures cannot be tied to a person. */
export const HIDDEN_USER = 'HIDDEN_DUE_TO_SECURITY_REASONS';
export const isHiddenUser = (e: CloudTrailRecord): boolean => e.userIdentity.userName === HIDDEN_USER;

/**
 * The network an address belongs to, for novelty: the /24 of an IPv4 address, the /48 of an IPv6 one (what one
 * site or ISP customer is usually given). Undefined for what is not an address (`AWS Internal`).
 */
export const networkOf = (ip: string | undefined): string | undefined => {
  if (!isAddress(ip)) return undefined;
  if (IPV4.test(ip)) {
    const parts = ip.split('.');
    return parts.some((p) => Number(p) > 255) ? undefined : `${parts.slice(0, 3).join('.')}.0/24`;
  }
  // Expand `::` so the first three groups are the real ones: `2001:db8::1` → 2001:db8:0.
  const [head = '', tail] = ip.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined ? left : [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  if (groups.length < 3) return undefined;
  return `${groups
    .slice(0, 3)
    .map((g: string) => g.replace(/^0+/, '') || '0')
    .join(':')}::/48`;
};

/** An IAM user name matches one of the `serviceUsers` globs (IAM user names are case-insensitive). */
export const isServiceUserName = (name: string | undefined, patterns: readonly string[] | undefined): boolean =>
  name !== undefined && (patterns ?? []).some((glob) => globToRegExp(glob.toLowerCase()).test(name.toLowerCase()));
