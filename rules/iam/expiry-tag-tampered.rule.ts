import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { param } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { EXPIRES_TAG_KEYS } from '../core/elevated-access.ts';
import { iamTargetArns } from '../core/iam-policy.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';

const isExpiresKey = (key: unknown): boolean =>
  typeof key === 'string' && (EXPIRES_TAG_KEYS as readonly string[]).includes(key.trim().toLowerCase());

/**
 * The expiry keys a tagging call touches: `tagKeys` of an Untag*, the keys of `tags` of a Tag*. Undefined when
 * CloudTrail did not record the list (then the call may have touched one: fail safe).
 */
const touchedExpiryKeys = (e: CloudTrailRecord): string[] | undefined => {
  const list = e.eventName.startsWith('Untag')
    ? param(e.requestParameters, 'tagKeys')
    : param(e.requestParameters, 'tags');
  if (!Array.isArray(list)) return undefined;
  return list.flatMap((item: unknown) => {
    const key = e.eventName.startsWith('Untag')
      ? item
      : typeof item === 'object' && item !== null
        ? (item as Record<string, unknown>).key
        : undefined;
    return isExpiresKey(key) ? [String(key)] : [];
  });
};

export const rule = defineRule({
  id: 'iam.expiry-tag-tampered',
  title: 'Expiry tag of temporary access removed or changed outside the approved process',
  severity: 'high',
  controls: ['A.8.2'],
  mitre: ['T1098'],
  on: {
    source: 'iam',
    eventNames: ['UntagPolicy', 'UntagRole', 'UntagUser', 'TagPolicy', 'TagRole', 'TagUser'],
  },
  explain: (e, ctx) => {
    const keys = touchedExpiryKeys(e);
    const values = e.eventName.startsWith('Tag')
      ? (((param(e.requestParameters, 'tags') as unknown[] | undefined) ?? []) as Record<string, unknown>[])
          .filter((t) => isExpiresKey(t.key))
          .map((t) => `${String(t.key)}=${String(t.value)}`)
      : [];
    return [
      e.eventName.startsWith('Untag')
        ? `expiry tag removed: ${(keys ?? []).join(', ')}`
        : `expiry tag set: ${values.join(', ')}`,
      ...unapprovedReasons(e, ctx.config.approved),
    ];
  },
  match: (e, ctx) => {
    if (!isUnapprovedChange(e, ctx.config.approved)) return false;
    const keys = touchedExpiryKeys(e);
    return keys === undefined || keys.length > 0;
  },
  resources: iamTargetArns,
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An `expires` (or `trailwarden:expires`) tag, which marks a grant or a principal as temporary admin access, was ' +
    'removed, or set to a new value, by someone other than the approved automation. Removing it is how a grantee ' +
    'would try to keep access past its expiry; setting it by hand is an extension nobody approved.',
  runbook: [
    'Read the details: which tag, on which policy, user or role, and the new value if it was set.',
    'Ask the actor for the ticket that extended or ended the access. Without one, restore the tag to its approved ' +
      'value (`aws iam tag-policy|tag-role|tag-user … --tags Key=expires,Value=<approved expiry>`).',
    'Check the elevated-access check: it remembers the last expiry it saw, so an `iam.temporary-access-not-revoked` ' +
      'finding for the same principal says "remembered" once the grant is overdue.',
    'If the actor is the grantee, treat it as an attempt to keep admin rights: revoke the grant now and review ' +
      'their activity since it was granted.',
  ],
  rationale:
    'The scheduled check (iam.temporary-access-not-revoked) confirms live state; this rule sees the tampering the ' +
    'moment it happens, from CloudTrail. One call is enough: expiry tags change rarely and only through the ' +
    'approved process, so no threshold. A call whose tag list CloudTrail did not record is treated as touching an ' +
    'expiry tag (fail safe). Tags with other keys are ignored.',
  falsePositives: [
    'An access-management tool that extends or ends temporary access but is not yet listed in ' +
      '`approved.automationRoles` / `approved.iacUserAgents`.',
    'An administrator fixing a mistyped expiry by hand.',
  ],
  cases: () => [
    {
      name: 'expires tag removed from the temporary admin policy',
      expect: 'match',
      event: fixture('iam/UntagPolicy-expires'),
    },
    {
      name: 'trailwarden:expires removed from the break-glass role',
      expect: 'match',
      event: fixture('iam/UntagRole-expires'),
    },
    { name: 'expiry of a user pushed out by hand', expect: 'match', event: fixture('iam/TagUser-expires') },
    {
      name: 'UntagUser removing Expires (any case)',
      expect: 'match',
      event: fixture('iam/UntagRole-expires', {
        eventName: 'UntagUser',
        requestParameters: { userName: 'alice', tagKeys: ['Expires'] },
      }),
    },
    {
      name: 'TagPolicy setting a new expiry',
      expect: 'match',
      event: fixture('iam/TagUser-expires', {
        eventName: 'TagPolicy',
        requestParameters: {
          policyArn: 'arn:aws:iam::111122223333:policy/temp-admin-INC-7',
          tags: [{ key: 'trailwarden:expires', value: '2027-01-31T00:00:00Z' }],
        },
      }),
    },
    { name: 'tagging with other keys only', expect: 'no-match', event: fixture('iam/TagRole') },
    {
      name: 'untagging other keys only',
      expect: 'no-match',
      event: fixture('iam/UntagRole-expires', { requestParameters: { roleName: 'break-glass', tagKeys: ['owner'] } }),
    },
    {
      name: 'the approved deploy role through CloudFormation',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('iam/UntagPolicy-expires', {
        userIdentity: fixture('iam/AttachRolePolicy-cloudformation').userIdentity,
        sourceIPAddress: 'cloudformation.amazonaws.com',
        userAgent: 'cloudformation.amazonaws.com',
      }),
    },
    {
      name: 'UntagRole denied',
      expect: 'no-match',
      event: fixture('iam/UntagRole-expires', {
        errorCode: 'AccessDenied',
        errorMessage:
          'User: arn:aws:iam::111122223333:user/alice is not authorized to perform: iam:UntagRole on resource: role break-glass because no identity-based policy allows the iam:UntagRole action',
      }),
    },
  ],
};
