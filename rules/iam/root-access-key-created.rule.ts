import { partitionOf } from '../core/arn.ts';
import { accountOf, isSuccess, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

export const rule = defineRule({
  id: 'iam.root-access-key-created',
  title: 'Access key created for the root user',
  severity: 'critical',
  controls: ['A.8.2'],
  mitre: ['T1098.001'],
  on: { source: 'iam', eventNames: ['CreateAccessKey'] },
  // Without `userName` the key is for the caller itself; with one, root is issuing a key to an IAM user instead.
  match: (e) =>
    isSuccess(e) && e.userIdentity.type === 'Root' && (stringParam(e.requestParameters, 'userName') ?? '') === '',
  resources: (e) => [
    e.userIdentity.arn ?? `arn:${partitionOf(e.awsRegion)}:iam::${e.userIdentity.accountId ?? accountOf(e)}:root`,
  ],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'The root user created an access key for itself: long-lived, unrestricted programmatic credentials for the whole ' +
    'account that no IAM policy can limit.',
  runbook: [
    'Find the new key id in the finding (responseElements.accessKey.accessKeyId) and ask the root credential custodians ' +
      'whether they created it and why.',
    'Unless there is a written, time-boxed reason, deactivate and delete it at once, as root (Security credentials → ' +
      'Access keys) or, with centralised root access, from the management account: `aws sts assume-root ' +
      '--target-principal <account-id> --task-policy-arn arn=arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials` ' +
      'then `aws iam delete-access-key --access-key-id <key-id>` with those credentials.',
    'Search for every call made with the key: `aws cloudtrail lookup-events --lookup-attributes ' +
      'AttributeKey=AccessKeyId,AttributeValue=<key-id>` in each region.',
    'If it was not authorised: reset the root password, replace its MFA device, and review all activity since the ' +
      'root sign-in that preceded the key creation.',
    'Confirm `aws iam get-account-summary` reports AccountAccessKeysPresent = 0 afterwards.',
  ],
  rationale:
    'Critical with no threshold and no criticality scaling: a root access key gives unrestricted, long-lived API access ' +
    'to the whole account, is a classic persistence step after root compromise, and there is almost no legitimate ' +
    'reason to have one. Denied calls and keys root creates for IAM users are excluded: the first creates nothing, ' +
    'the second is an ordinary IAM key (root activity is reported by account.root-activity).',
  falsePositives: ['A documented, time-boxed need for a root key (rare; prefer an IAM role).'],
  cases: () => [
    { name: 'root creates an access key for itself', expect: 'match', event: fixture('iam/CreateAccessKey-root') },
    {
      name: 'root console call signed invokedBy signin.amazonaws.com (older records) is still root',
      expect: 'match',
      event: fixture('iam/CreateAccessKey-root', {
        userIdentity: { invokedBy: 'signin.amazonaws.com' },
        sourceIPAddress: 'signin.amazonaws.com',
        userAgent: 'signin.amazonaws.com',
      }),
    },
    {
      name: 'root key created with an empty parameter object',
      expect: 'match',
      event: fixture('iam/CreateAccessKey-root', { requestParameters: {} }),
    },
    { name: 'IAM user creates a key for itself', expect: 'no-match', event: fixture('iam/CreateAccessKey') },
    {
      name: 'root creates a key for an IAM user',
      expect: 'no-match',
      event: fixture('iam/CreateAccessKey-root', {
        requestParameters: { userName: 'bob' },
        responseElements: { accessKey: { userName: 'bob' } },
      }),
    },
    {
      name: 'root key creation denied (account already has two keys)',
      expect: 'no-match',
      event: fixture('iam/CreateAccessKey-root', {
        errorCode: 'LimitExceededException',
        errorMessage: 'Cannot exceed quota for AccessKeysPerUser: 2',
        responseElements: null,
      }),
    },
    {
      name: 'root key creation denied by an SCP',
      expect: 'no-match',
      event: fixture('iam/CreateAccessKey-root', {
        errorCode: 'AccessDenied',
        errorMessage:
          'User: arn:aws:iam::111122223333:root is not authorized to perform: iam:CreateAccessKey with an explicit deny in a service control policy',
        responseElements: null,
      }),
    },
    {
      name: 'root deleting a key is a sibling event the rule does not select',
      expect: 'no-match',
      event: fixture('iam/CreateAccessKey-root', {
        eventName: 'DeleteAccessKey',
        requestParameters: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE' },
        responseElements: null,
      }),
    },
  ],
};
