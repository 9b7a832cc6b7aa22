import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { iamTargetArns, isActingIamUser } from '../core/iam-policy.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

/** How CloudTrail names the root user in `requestParameters.userName` of root MFA calls. */
const ROOT_USER_NAME = 'AWS ROOT USER';

/**
 * Is the device being bound to someone other than the caller? EnableMFADevice always names the user; only root
 * can enrol root's device, and roles or federated sessions are never the IAM user they name.
 */
const forAnotherIdentity = (e: CloudTrailRecord): boolean => {
  const user = stringParam(e.requestParameters, 'userName');
  if (user === undefined || user === '') return false;
  if (user === ROOT_USER_NAME) return e.userIdentity.type !== 'Root';
  return !isActingIamUser(e, user);
};

const resourcesOf = (e: CloudTrailRecord): string[] => {
  const serial = stringParam(e.requestParameters, 'serialNumber');
  return [...iamTargetArns(e), ...(serial?.startsWith('arn:') ? [serial] : [])];
};

export const rule = defineRule({
  id: 'iam.mfa-device-for-another-user',
  title: 'MFA device registered for another IAM user',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.5', 'A.8.2'],
  mitre: ['T1098.005', 'T1556.006'],
  on: { source: 'iam', eventNames: ['EnableMFADevice'] },
  match: (e, ctx) => forAnotherIdentity(e) && isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [
    `MFA device ${stringParam(e.requestParameters, 'serialNumber') ?? '(serial not recorded)'} bound to ${
      stringParam(e.requestParameters, 'userName') ?? '(user not recorded)'
    } by ${e.userIdentity.arn ?? 'an unnamed caller'}`,
    ...unapprovedReasons(e, ctx.config.approved),
  ],
  resources: resourcesOf,
  dedup: { key: (e) => `${accountOf(e)}|${(stringParam(e.requestParameters, 'userName') ?? '').toLowerCase()}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An MFA device was enabled for an IAM user by someone other than that user: whoever holds the device (the ' +
    'seed of a virtual device shown once at creation) now passes the MFA check as that user, alongside or ' +
    'instead of the owner. With a password set for the same user it is a complete, MFA-protected backdoor.',
  runbook: [
    'Ask the target user whether they enrolled a new device and the actor why they did it for them; onboarding ' +
      'by an administrator is the usual honest answer and should come with a ticket.',
    'List the user’s devices: `aws iam list-mfa-devices --user-name <user>`; an unknown serial (or a second ' +
      'virtual device) is the attacker’s. Remove it: `aws iam deactivate-mfa-device --user-name <user> ' +
      '--serial-number <serial>` then `aws iam delete-virtual-mfa-device --serial-number <serial>`.',
    'Look for what usually comes with it: CreateLoginProfile / UpdateLoginProfile and CreateAccessKey for the same ' +
      'user, and console sign-ins as the user since (`aws cloudtrail lookup-events --region us-east-1 ' +
      '--lookup-attributes AttributeKey=Username,AttributeValue=<user>`).',
    'If it was not requested, treat the actor as compromised: revoke its sessions and review its recent calls.',
  ],
  rationale:
    'Registering an attacker-held MFA device for another user is device registration for persistence (T1098.005, ' +
    'Splunk "AWS New MFA Method Registered For User", Elastic "IAM Virtual MFA Device Registration Attempt"), and ' +
    'it defeats the MFA condition of every policy that trusts it. Users enrolling their own device are routine and ' +
    'ignored, as are the approved automation, refused calls and CreateVirtualMFADevice alone (it creates a device ' +
    'bound to nobody; EnableMFADevice is the binding). High, critical on high-criticality assets. Dedup per target ' +
    'user.',
  falsePositives: [
    'Administrators enrolling hardware tokens for users who cannot do it themselves (onboarding, lost device).',
    'A help-desk role re-registering a replaced phone by hand instead of through the approved automation.',
  ],
  cases: () => [
    {
      name: 'alice binds her device to bob',
      expect: 'match',
      event: fixture('iam/EnableMFADevice-other-user'),
    },
    {
      name: 'an administrator role enrols a device for bob from the console',
      expect: 'match',
      event: fixture('iam/EnableMFADevice-other-user', {
        userIdentity: {
          ...(fixture('iam/DeactivateMFADevice').userIdentity as Record<string, unknown>),
          userName: undefined,
        },
        sourceIPAddress: 'AWS Internal',
        userAgent: 'AWS Internal',
      }),
    },
    {
      name: 'bob enrols his own device (name in another case)',
      expect: 'no-match',
      event: fixture('iam/EnableMFADevice-other-user', {
        userIdentity: {
          principalId: 'AIDAJQABLZS4A3QDU576Q',
          arn: 'arn:aws:iam::111122223333:user/bob',
          userName: 'bob',
        },
        requestParameters: { userName: 'Bob', serialNumber: 'arn:aws:iam::111122223333:mfa/bob-phone' },
      }),
    },
    {
      name: 'root enrols its own device',
      expect: 'no-match',
      event: fixture('iam/EnableMFADevice-other-user', {
        userIdentity: {
          ...(fixture('iam/CreateAccessKey-root').userIdentity as Record<string, unknown>),
          userName: undefined,
        },
        requestParameters: {
          userName: 'AWS ROOT USER',
          serialNumber: 'arn:aws:iam::111122223333:mfa/root-account-mfa-device',
        },
      }),
    },
    {
      name: 'an IAM user tries to enrol a device for root (IAM refuses)',
      expect: 'no-match',
      event: fixture('iam/EnableMFADevice-other-user', {
        requestParameters: { userName: 'AWS ROOT USER', serialNumber: 'arn:aws:iam::111122223333:mfa/x' },
        ...denied('AccessDenied', 'iam:EnableMFADevice', 'user AWS ROOT USER'),
      }),
    },
    {
      name: 'refused for bob',
      expect: 'no-match',
      event: fixture('iam/EnableMFADevice-other-user', denied('AccessDenied', 'iam:EnableMFADevice', 'user bob')),
    },
    {
      name: 'the approved automation enrolling a device',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('iam/EnableMFADevice-other-user', BY_APPROVED_DEPLOY),
    },
  ],
};
