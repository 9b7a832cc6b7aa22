import { partitionOf } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isServiceInvoked, isSuccess, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

/** How CloudTrail names the root user in `requestParameters.userName` of root MFA calls. */
const ROOT_USER_NAME = 'AWS ROOT USER';

/**
 * The identity that lost its MFA device, and the device. `DeactivateMFADevice` names the user (or, without a
 * name, the caller itself); `DeleteVirtualMFADevice` names only the device.
 */
const targets = (e: CloudTrailRecord): string[] => {
  const account = accountOf(e);
  const arns: string[] = [];
  const user = stringParam(e.requestParameters, 'userName');
  if (e.eventName === 'DeactivateMFADevice') {
    if (user === ROOT_USER_NAME || (user === undefined && e.userIdentity.type === 'Root')) {
      arns.push(`arn:${partitionOf(e.awsRegion)}:iam::${account}:root`);
    } else if (user) arns.push(`arn:${partitionOf(e.awsRegion)}:iam::${account}:user/${user}`);
    else if (e.userIdentity.type === 'IAMUser' && e.userIdentity.arn) arns.push(e.userIdentity.arn);
  }
  const serial = stringParam(e.requestParameters, 'serialNumber');
  if (serial?.startsWith('arn:')) arns.push(serial);
  return arns;
};

export const rule = defineRule({
  id: 'iam.mfa-device-deactivated',
  title: 'MFA device deactivated or deleted',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.5'],
  mitre: ['T1556.006'],
  on: { source: 'iam', eventNames: ['DeactivateMFADevice', 'DeleteVirtualMFADevice'] },
  match: (e) => isSuccess(e) && !isServiceInvoked(e),
  resources: targets,
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An MFA device was deactivated for a user (or root), or a virtual MFA device was deleted: that identity can ' +
    'now sign in with a password alone until a new device is registered.',
  runbook: [
    'Ask the user (and the actor, if different) why the device was removed; a lost or replaced phone is the usual ' +
      'answer, and a new device should follow within minutes (`EnableMFADevice` in CloudTrail).',
    'Check the current state: `aws iam list-mfa-devices --user-name <user>` and `aws iam list-virtual-mfa-devices ' +
      '--assignment-status Unassigned`; for root, `aws iam get-account-summary` → AccountMFAEnabled.',
    'If nobody expected it: reset the user’s password (`aws iam update-login-profile --user-name <user> ' +
      '--password-reset-required`), deactivate their access keys (`aws iam update-access-key --status Inactive`), ' +
      'and review every call by the actor and the user since.',
    'Re-enrol MFA and confirm the deny-without-MFA guard policy still applies to the user.',
  ],
  rationale:
    'Removing MFA is a textbook way to weaken authentication before using a stolen password (T1556.006), and it is ' +
    'rare enough to review each time: high without a threshold, critical on high-criticality assets (root, ' +
    'production admins). Denied calls change nothing and calls AWS makes on its own are excluded. A deactivate ' +
    'followed by a delete of the same device by the same actor folds into one finding through the default dedup.',
  falsePositives: [
    'A user replacing a lost or new phone: the old device is deactivated and deleted, then a new one enabled.',
    'The console deleting an unassigned virtual device after an abandoned MFA enrolment.',
    'Offboarding scripts that remove MFA devices before deleting a user.',
  ],
  cases: () => [
    {
      name: 'administrator deactivates another user’s MFA device from the console',
      expect: 'match',
      event: fixture('iam/DeactivateMFADevice'),
    },
    { name: 'user deletes their virtual MFA device', expect: 'match', event: fixture('iam/DeleteVirtualMFADevice') },
    {
      name: 'root deactivates the root MFA device',
      expect: 'match',
      criticality: 'high',
      event: fixture('iam/DeactivateMFADevice', {
        userIdentity: {
          type: 'Root',
          principalId: '111122223333',
          arn: 'arn:aws:iam::111122223333:root',
          accessKeyId: 'ASIAIOSFODNN7EXAMPLE',
          sessionContext: { sessionIssuer: {}, attributes: { mfaAuthenticated: 'true' } },
        },
        requestParameters: {
          userName: ROOT_USER_NAME,
          serialNumber: 'arn:aws:iam::111122223333:mfa/root-account-mfa-device',
        },
      }),
    },
    {
      name: 'deactivation denied',
      expect: 'no-match',
      event: fixture('iam/DeactivateMFADevice', {
        errorCode: 'AccessDenied',
        errorMessage:
          'User: arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_AdministratorAccess_3f9a1c5e7b2d4f6a/carol@example.com is not authorized to perform: iam:DeactivateMFADevice on resource: user bob with an explicit deny in a service control policy',
      }),
    },
    {
      name: 'deleting a device still assigned fails with DeleteConflict',
      expect: 'no-match',
      event: fixture('iam/DeleteVirtualMFADevice', {
        errorCode: 'DeleteConflict',
        errorMessage: 'MFA Device is still in use',
      }),
    },
    {
      name: 'enabling an MFA device is a sibling event the rule does not select',
      expect: 'no-match',
      event: fixture('iam/DeactivateMFADevice', {
        eventName: 'EnableMFADevice',
        requestParameters: { userName: 'bob', serialNumber: 'arn:aws:iam::111122223333:mfa/bob-new-phone' },
      }),
    },
    {
      name: 'resyncing a device is a sibling event the rule does not select',
      expect: 'no-match',
      event: fixture('iam/DeactivateMFADevice', { eventName: 'ResyncMFADevice' }),
    },
  ],
};
