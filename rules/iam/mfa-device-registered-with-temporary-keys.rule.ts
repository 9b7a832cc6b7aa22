import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { isActingIamUser } from '../core/iam-policy.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { denied } from '../fixtures/overrides.ts';

/** How CloudTrail names the root user in `requestParameters.userName` of root MFA calls. */
const ROOT_USER_NAME = 'AWS ROOT USER';

/**
 * Session keys (ASIA…) used outside the console: GetSessionToken output or keys lifted from a session. The
 * console's own session keys carry `sessionCredentialFromConsole: "true"` and are the normal enrolment path.
 */
const temporaryKeysOutsideConsole = (e: CloudTrailRecord): boolean =>
  (e.userIdentity.accessKeyId ?? '').startsWith('ASIA') && e.sessionCredentialFromConsole !== 'true';

/**
 * Is the caller registering a device for itself? Only IAM users and root own MFA devices. CreateVirtualMFADevice
 * binds the new device to nobody yet, so for a user it is the first step of enrolling itself; EnableMFADevice
 * naming another identity is iam.mfa-device-for-another-user's finding, not this one's. When CloudTrail did not
 * record the name the target is unknown, and that rule cannot fire: this one does (fail safe).
 */
const forItself = (e: CloudTrailRecord): boolean => {
  const type = e.userIdentity.type;
  if (type !== 'IAMUser' && type !== 'Root') return false;
  if (e.eventName === 'CreateVirtualMFADevice') return true;
  const user = stringParam(e.requestParameters, 'userName');
  if (user === undefined || user === '') return true;
  return user === ROOT_USER_NAME ? type === 'Root' : isActingIamUser(e, user);
};

const serialOf = (e: CloudTrailRecord): string | undefined =>
  stringParam(e.requestParameters, 'serialNumber') ??
  stringParam(e.responseElements, 'virtualMFADevice', 'serialNumber');

export const rule = defineRule({
  id: 'iam.mfa-device-registered-with-temporary-keys',
  title: 'MFA device registered for itself with temporary keys outside the console',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.5', 'A.8.2'],
  mitre: ['T1098.005', 'T1556.006'],
  on: { source: 'iam', eventNames: ['CreateVirtualMFADevice', 'EnableMFADevice'] },
  match: (e, ctx) => temporaryKeysOutsideConsole(e) && forItself(e) && isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [
    `${e.eventName} of ${serialOf(e) ?? 'a device (serial not recorded)'} by ${
      e.userIdentity.arn ?? 'an unnamed caller'
    } with session key ${e.userIdentity.accessKeyId ?? ''}, not from the console`,
    ...unapprovedReasons(e, ctx.config.approved),
  ],
  resources: (e) => {
    const serial = serialOf(e);
    return [
      ...(e.userIdentity.arn === undefined ? [] : [e.userIdentity.arn]),
      ...(serial?.startsWith('arn:') ? [serial] : []),
    ];
  },
  // The create-then-enable pair of one enrolment pages once.
  dedup: { key: (e) => `${accountOf(e)}|${e.userIdentity.arn ?? ''}`, windowSeconds: 3600 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An IAM user (or root) created or enabled an MFA device for itself with temporary session keys (an ASIA… ' +
    'access key) outside the console. People enrol MFA in the console; doing it from session keys on the command ' +
    'line is what someone holding stolen session credentials does to pin their own device to the identity, keep ' +
    'access after the password or keys are reset, and lock the owner out of MFA-protected actions.',
  runbook: [
    'Ask the user whether they enrolled a device from the command line just now, and from where (compare ' +
      'sourceIPAddress and user agent with their usual ones).',
    'List the devices: `aws iam list-mfa-devices --user-name <user>` and `aws iam list-virtual-mfa-devices`; ' +
      'remove one nobody owns: `aws iam deactivate-mfa-device --user-name <user> --serial-number <serial>` then ' +
      '`aws iam delete-virtual-mfa-device --serial-number <serial>`.',
    'If it was not the user: the session keys are stolen. Deactivate the user’s access keys, reset the password, ' +
      'deny sessions issued before now (an inline policy with `aws:TokenIssueTime`), and review every call of the ' +
      'key (`aws cloudtrail lookup-events --lookup-attributes AttributeKey=AccessKeyId,AttributeValue=<key>`).',
  ],
  rationale:
    'Registering a device with session keys is device registration for persistence (T1098.005) that changes what ' +
    'MFA proves (T1556.006): Elastic "AWS IAM Virtual MFA Device Registration Attempt with Session Token", after ' +
    'the Bybit intrusion, where stolen session tokens were used to try exactly this. Console sessions ' +
    '(`sessionCredentialFromConsole`), long-term keys, refused calls and the approved automation are ignored; a ' +
    'device bound to another user is iam.mfa-device-for-another-user’s finding, so the two never fire on the same ' +
    'call. Medium as Elastic rates it, high on high-criticality accounts. Dedup per caller for an hour, so ' +
    'CreateVirtualMFADevice and EnableMFADevice page once.',
  falsePositives: [
    'A user who signs in to the CLI with GetSessionToken (the usual MFA CLI flow) adding a second device from ' +
      'the command line.',
    'Scripts that enrol hardware tokens for their own user with session keys (move them to the approved ' +
      'automation or the console).',
  ],
  cases: () => [
    {
      name: 'alice enables a device for herself with session keys from the CLI',
      expect: 'match',
      event: fixture('iam/EnableMFADevice-session'),
    },
    {
      name: 'alice creates a virtual device with session keys from the CLI',
      expect: 'match',
      event: fixture('iam/CreateVirtualMFADevice-session'),
    },
    {
      name: 'EnableMFADevice with session keys, parameters left out (target unknown: fail safe)',
      expect: 'match',
      event: fixture('iam/EnableMFADevice-session', {
        requestParameters: {
          userName: undefined,
          serialNumber: undefined,
          reason: 'requestParameters too large',
          omitted: true,
        },
      }),
    },
    {
      name: 'alice enrols her device in the console (session keys from the console)',
      expect: 'no-match',
      event: fixture('iam/EnableMFADevice-session', {
        sessionCredentialFromConsole: 'true',
        sourceIPAddress: 'AWS Internal',
        userAgent: 'AWS Internal',
      }),
    },
    {
      name: 'alice enrols her device with her long-term access key',
      expect: 'no-match',
      event: fixture('iam/EnableMFADevice-session', { userIdentity: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE' } }),
    },
    {
      name: 'a device bound to bob with session keys (iam.mfa-device-for-another-user’s finding)',
      expect: 'no-match',
      event: fixture('iam/EnableMFADevice-session', {
        requestParameters: { userName: 'bob', serialNumber: 'arn:aws:iam::111122223333:mfa/bob-phone' },
      }),
    },
    {
      name: 'a role session creating a virtual device (bound to nobody; roles own no MFA)',
      expect: 'no-match',
      event: fixture('iam/CreateVirtualMFADevice-session', {
        userIdentity: {
          type: 'AssumedRole',
          arn: 'arn:aws:sts::111122223333:assumed-role/developer/alice',
          userName: undefined,
        },
      }),
    },
    {
      name: 'refused EnableMFADevice',
      expect: 'no-match',
      event: fixture('iam/EnableMFADevice-session', denied('AccessDenied', 'iam:EnableMFADevice', 'user alice')),
    },
    {
      name: 'the approved automation enrolling its own user’s device',
      expect: 'no-match',
      config: { approved: { automationRoles: ['arn:aws:iam::111122223333:user/alice'], iacUserAgents: [] } },
      event: fixture('iam/EnableMFADevice-session'),
    },
  ],
};
