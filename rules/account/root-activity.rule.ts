import { partitionOf } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isServiceInvoked, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

/** A wrong root password proves nothing about who holds root: that is brute force, counted by the sign-in rules. */
const isFailedSignIn = (e: CloudTrailRecord): boolean =>
  e.eventName === 'ConsoleLogin' && stringParam(e.responseElements, 'ConsoleLogin') === 'Failure';

const rootAccount = (e: CloudTrailRecord): string => e.userIdentity.accountId ?? accountOf(e);

export const rule = defineRule({
  id: 'account.root-activity',
  title: 'Root user activity',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.2'],
  mitre: ['T1078.004'],
  on: { source: '*', eventNames: '*', where: { userIdentityType: ['Root'] } },
  match: (e) => e.userIdentity.type === 'Root' && !isServiceInvoked(e) && !isFailedSignIn(e),
  // One finding per account per hour of root use: the sign-in and every call after it fold into it.
  dedup: { key: (e) => `root|${rootAccount(e)}`, windowSeconds: 3600 },
  resources: (e) => [
    e.userIdentity.arn ?? `arn:${partitionOf(e.awsRegion)}:iam::${rootAccount(e)}:root`,
    ...(e.resources ?? []).flatMap((r) => (r.ARN ? [r.ARN] : [])),
  ],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'The account root user signed in or called an API. Root bypasses IAM policies and cannot be restricted inside ' +
    'its own account, so day-to-day use of it is itself a finding.',
  runbook: [
    'Ask the root credential custodians whether they used root, and for which task (one of the tasks that require ' +
      'root, such as closing the account or changing the support plan).',
    'Review everything root did in the window: `aws cloudtrail lookup-events --lookup-attributes ' +
      'AttributeKey=Username,AttributeValue=root --start-time <first-seen>` (repeat in each region used).',
    'Check root has MFA and no access keys: `aws iam get-account-summary` (AccountMFAEnabled = 1, ' +
      'AccountAccessKeysPresent = 0).',
    'If the use was not authorised: reset the root password, replace its MFA device, delete any root access keys, and ' +
      'review IAM changes made since the first root call.',
    'In an AWS Organization, consider centralised root access (`aws iam enable-organizations-root-credentials-management`) ' +
      'so member accounts have no root credentials at all.',
  ],
  rationale:
    'No threshold: any root use is rare and privileged, so one event is enough (high; critical on high-criticality ' +
    'accounts). Failed API calls are included on purpose: a call is only denied (by an SCP, say) after it ' +
    'authenticated as root, so it still proves someone holds working root credentials. Failed root password attempts ' +
    'are left to signin.console-login-failures, since they prove nothing about who holds root. Calls AWS services ' +
    'make for the account (AwsServiceEvent, invokedBy a service) are not a person using root and are ignored.',
  falsePositives: [
    'Planned root tasks (account settings, support plan, closing the account) by the credential custodians.',
    'Root-only recovery such as restoring an IAM administrator who locked themselves out.',
  ],
  cases: () => [
    { name: 'root signs in to the console', expect: 'match', event: fixture('signin/ConsoleLogin-root') },
    { name: 'root calls an API', expect: 'match', criticality: 'high', event: fixture('iam/CreateAccessKey-root') },
    {
      name: 'root console call signed invokedBy signin.amazonaws.com is a person, not a service',
      expect: 'match',
      event: fixture('iam/CreateAccessKey-root', {
        userIdentity: { invokedBy: 'signin.amazonaws.com' },
        sourceIPAddress: 'signin.amazonaws.com',
        userAgent: 'signin.amazonaws.com',
      }),
    },
    {
      name: 'root call denied by an SCP still proves root credentials are in use',
      expect: 'match',
      event: fixture('iam/CreateAccessKey-root', {
        errorCode: 'AccessDenied',
        errorMessage:
          'User: arn:aws:iam::111122223333:root is not authorized to perform: iam:CreateAccessKey with an explicit deny in a service control policy',
        responseElements: null,
      }),
    },
    {
      name: 'failed root password attempt is left to the sign-in failure rule',
      expect: 'no-match',
      event: fixture('signin/ConsoleLogin-root', {
        errorMessage: 'Failed authentication',
        responseElements: { ConsoleLogin: 'Failure' },
      }),
    },
    {
      name: 'a service acting for the account (invokedBy support.amazonaws.com)',
      expect: 'no-match',
      event: fixture('iam/CreateAccessKey-root', {
        eventName: 'GetAccountSummary',
        readOnly: true,
        userIdentity: { invokedBy: 'support.amazonaws.com', accessKeyId: undefined, sessionContext: undefined },
        sourceIPAddress: 'support.amazonaws.com',
        userAgent: 'support.amazonaws.com',
        requestParameters: null,
        responseElements: null,
        sessionCredentialFromConsole: undefined,
      }),
    },
    {
      name: 'AwsServiceEvent recorded under the root identity is the service, not a person',
      expect: 'no-match',
      event: fixture('iam/CreateAccessKey-root', {
        eventName: 'GenerateCredentialReport',
        eventType: 'AwsServiceEvent',
        requestParameters: null,
        responseElements: null,
        sessionCredentialFromConsole: undefined,
      }),
    },
    { name: 'the same call by an IAM user is not root', expect: 'no-match', event: fixture('iam/CreateAccessKey') },
    { name: 'an IAM user signing in is not root', expect: 'no-match', event: fixture('signin/ConsoleLogin') },
  ],
};
