import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { iamTargetArns, targetsAnotherIamUser } from '../core/iam-policy.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';

const newKeyId = (e: CloudTrailRecord): string =>
  stringParam(e.responseElements, 'accessKey', 'accessKeyId') ?? 'unknown-key';

export const rule = defineRule({
  id: 'iam.access-key-for-another-user',
  title: 'Access key created for another IAM user',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.2'],
  mitre: ['T1098.001'],
  on: { source: 'iam', eventNames: ['CreateAccessKey'] },
  // Is the key for someone other than the caller? Without `userName` IAM issues the key to the caller itself (root's
  // own key is iam.root-access-key-created); root, roles and federated sessions are never the IAM user they name.
  explain: (e, ctx) => unapprovedReasons(e, ctx.config.approved),
  match: (e, ctx) => targetsAnotherIamUser(e) && isUnapprovedChange(e, ctx.config.approved),
  resources: iamTargetArns,
  dedup: { key: (e) => `${accountOf(e)}|${newKeyId(e)}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An access key was created for an IAM user by someone other than that user: long-lived credentials the actor ' +
    'now holds for an identity that is not theirs, a common way to persist or to borrow more privileges.',
  runbook: [
    'Find the new key in the finding (responseElements.accessKey.accessKeyId) and ask the target user and the ' +
      'actor whether it was requested.',
    'If not, deactivate and delete it: `aws iam update-access-key --user-name <user> --access-key-id <key-id> ' +
      '--status Inactive`, then `aws iam delete-access-key --user-name <user> --access-key-id <key-id>`.',
    'Search for every call made with it: `aws cloudtrail lookup-events --lookup-attributes ' +
      'AttributeKey=AccessKeyId,AttributeValue=<key-id>` in each region.',
    'Compare the target’s permissions with the actor’s (`aws iam list-attached-user-policies --user-name <user>`, ' +
      '`aws iam list-groups-for-user --user-name <user>`): a more privileged target is privilege escalation; treat ' +
      'the actor as compromised and review all its recent calls.',
  ],
  rationale:
    'Creating keys for someone else is a classic persistence and escalation step (T1098.001; Stratus Red Team ' +
    '"create an access key for another user"): the actor walks away with credentials the owner does not know exist. ' +
    'High without a threshold, critical on high-criticality assets. Keys users create for themselves and keys the ' +
    'approved automation issues are excluded, as are failed calls (including LimitExceeded when the user already ' +
    'has two keys). Dedup is per new key, so two keys for two users are two findings.',
  falsePositives: [
    'Administrators issuing a key for a service account by hand instead of through the approved automation.',
    'Break-glass key rotation for a user who cannot sign in.',
  ],
  cases: () => [
    {
      name: 'IAM user creates a key for another user',
      expect: 'match',
      event: fixture('iam/CreateAccessKey-other-user'),
    },
    {
      name: 'SSO administrator creates a key for an IAM user from the console',
      expect: 'match',
      event: fixture('iam/CreateAccessKey-other-user', {
        userIdentity: {
          ...(fixture('iam/DeactivateMFADevice').userIdentity as Record<string, unknown>),
          userName: undefined,
        },
        sourceIPAddress: 'AWS Internal',
        userAgent: 'AWS Internal',
        sessionCredentialFromConsole: 'true',
        tlsDetails: undefined,
      }),
    },
    {
      name: 'root creates a key for an IAM user',
      expect: 'match',
      event: fixture('iam/CreateAccessKey-root', {
        requestParameters: { userName: 'bob' },
        responseElements: { accessKey: { userName: 'bob' } },
      }),
    },
    { name: 'user creates a key for itself (no userName)', expect: 'no-match', event: fixture('iam/CreateAccessKey') },
    {
      name: 'user names itself explicitly, in another case',
      expect: 'no-match',
      event: fixture('iam/CreateAccessKey', { requestParameters: { userName: 'Alice' } }),
    },
    {
      name: 'root creates its own key (left to iam.root-access-key-created)',
      expect: 'no-match',
      event: fixture('iam/CreateAccessKey-root'),
    },
    {
      name: 'key creation for another user denied',
      expect: 'no-match',
      event: fixture('iam/CreateAccessKey-other-user', {
        errorCode: 'AccessDenied',
        errorMessage:
          'User: arn:aws:iam::111122223333:user/alice is not authorized to perform: iam:CreateAccessKey on resource: user bob because no identity-based policy allows the iam:CreateAccessKey action',
        responseElements: null,
      }),
    },
    {
      name: 'target already has two keys',
      expect: 'no-match',
      event: fixture('iam/CreateAccessKey-other-user', {
        errorCode: 'LimitExceededException',
        errorMessage: 'Cannot exceed quota for AccessKeysPerUser: 2',
        responseElements: null,
      }),
    },
    {
      name: 'approved automation issuing a service-account key through CloudFormation',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('iam/CreateAccessKey-other-user', {
        userIdentity: {
          ...(fixture('iam/AttachRolePolicy-cloudformation').userIdentity as Record<string, unknown>),
          userName: undefined,
        },
        sourceIPAddress: 'cloudformation.amazonaws.com',
        userAgent: 'cloudformation.amazonaws.com',
        tlsDetails: undefined,
      }),
    },
  ],
};
