import { accountRootArn, partitionOf, resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord, JsonValue } from '../core/cloudtrail.ts';
import { accountOf, isServiceInvoked, isSuccess, param, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

const isFalse = (v: JsonValue | undefined): boolean =>
  v === false || (typeof v === 'string' && v.toLowerCase() === 'false');

const strings = (v: JsonValue | undefined): string[] =>
  Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];

/**
 * DeleteMembers / StopMonitoringMembers report the accounts they could not act on in `unprocessedAccounts`; the
 * call succeeds even when every account was refused (not a member, wrong detector). Unknown lists count as changed.
 */
const changesSomeMember = (e: CloudTrailRecord): boolean => {
  const requested = strings(param(e.requestParameters, 'accountIds'));
  const unprocessed = param(e.responseElements, 'unprocessedAccounts');
  if (requested.length === 0 || !Array.isArray(unprocessed)) return true;
  const refused = new Set(
    unprocessed.flatMap((u) => {
      const id = typeof u === 'object' && u !== null && !Array.isArray(u) ? u.accountId : undefined;
      return typeof id === 'string' ? [id] : [];
    }),
  );
  return requested.some((id) => !refused.has(id));
};

/** Does this call switch GuardDuty off, or cut an account out of the administrator's view? */
const disablesMonitoring = (e: CloudTrailRecord): boolean => {
  switch (e.eventName) {
    case 'UpdateDetector':
      return isFalse(param(e.requestParameters, 'enable'));
    case 'DeleteMembers':
    case 'StopMonitoringMembers':
      return changesSomeMember(e);
    default:
      return true;
  }
};

/** The detector touched, when the call names one; the organisation-level call names the admin account instead. */
const resourcesOf = (e: CloudTrailRecord): string[] => {
  const detector = stringParam(e.requestParameters, 'detectorId');
  if (detector !== undefined) {
    return [resourceArn(e, 'guardduty', `detector/${detector}`)];
  }
  const admin = stringParam(e.requestParameters, 'adminAccountId');
  return admin === undefined ? [] : [accountRootArn(partitionOf(e.awsRegion), admin)];
};

const asServiceLinkedRole = {
  userIdentity: {
    type: 'AssumedRole',
    principalId: 'AROA3XFRBF23GDSLREXAMPLE:GuardDuty',
    arn: 'arn:aws:sts::111122223333:assumed-role/AWSServiceRoleForAmazonGuardDuty/GuardDuty',
    sessionContext: {
      sessionIssuer: {
        principalId: 'AROA3XFRBF23GDSLREXAMPLE',
        arn: 'arn:aws:iam::111122223333:role/aws-service-role/guardduty.amazonaws.com/AWSServiceRoleForAmazonGuardDuty',
        userName: 'AWSServiceRoleForAmazonGuardDuty',
      },
    },
    invokedBy: 'guardduty.amazonaws.com',
  },
  sourceIPAddress: 'guardduty.amazonaws.com',
  userAgent: 'guardduty.amazonaws.com',
  tlsDetails: undefined,
};

export const rule = defineRule({
  id: 'guardduty.detector-disabled',
  title: 'GuardDuty disabled, suspended or cut off from its administrator',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.16'],
  mitre: ['T1562.001'],
  on: {
    source: 'guardduty',
    eventNames: [
      'DeleteDetector',
      'UpdateDetector',
      'DisassociateFromMasterAccount',
      'DisassociateFromAdministratorAccount',
      'DeleteMembers',
      'StopMonitoringMembers',
      'DisableOrganizationAdminAccount',
    ],
  },
  match: (e) => isSuccess(e) && !isServiceInvoked(e) && disablesMonitoring(e),
  // One detector (or one org setting) per region: repeated calls on it are one incident.
  dedup: { key: (e) => `${accountOf(e)}|${e.awsRegion}|guardduty` },
  resources: resourcesOf,
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'GuardDuty stopped watching an account: the detector was deleted or suspended (UpdateDetector enable=false), ' +
    'the account left its GuardDuty administrator, the administrator removed or stopped monitoring member ' +
    "accounts, or the organisation's delegated GuardDuty administrator was removed.",
  runbook: [
    'Check the region: `aws guardduty list-detectors --region <region>` then `aws guardduty get-detector --detector-id ' +
      '<id>` (Status ENABLED); for members, `aws guardduty list-members --detector-id <id> --only-associated false` in ' +
      'the administrator account.',
    'Restore it: `aws guardduty update-detector --detector-id <id> --enable`; recreate a deleted detector with ' +
      '`aws guardduty create-detector --enable` (earlier findings are gone); re-add members with `aws guardduty ' +
      'create-members` and `start-monitoring-members`; restore the delegated admin with `aws guardduty ' +
      'enable-organization-admin-account --admin-account-id <account>` from the management account.',
    'Review every call by the actor, and any activity in the account while GuardDuty was off, through CloudTrail: ' +
      'disabling threat detection is usually done just before the real attack.',
    'If the actor is not the approved security automation, treat it as an incident and rotate its credentials.',
  ],
  rationale:
    'No threshold: GuardDuty is the threat-detection control for A.8.16, and switching it off is a standard ' +
    'defence-evasion step (T1562.001). High, critical on high-criticality accounts. Suspending (enable=false) counts ' +
    'like deleting because findings stop either way; other UpdateDetector changes (publishing frequency, features) ' +
    'do not match. DeleteMembers and StopMonitoringMembers match only when at least one account was actually ' +
    'processed. Calls GuardDuty makes itself through its service-linked role (organisation membership changes) do not ' +
    "match; CloudFormation-driven calls do, since they carry the deployer's identity.",
  falsePositives: [
    'Closing or moving an account between organisations (members are removed first).',
    'Migrating to a new delegated administrator account (DisableOrganizationAdminAccount then Enable…).',
    'Cost-driven suspension in sandbox accounts: set them to low criticality or suppress with a dated reason.',
  ],
  cases: () => [
    { name: 'detector deleted', expect: 'match', event: fixture('guardduty/DeleteDetector') },
    { name: 'detector suspended (enable=false)', expect: 'match', event: fixture('guardduty/UpdateDetector') },
    {
      name: 'detector suspended on a high-criticality account',
      expect: 'match',
      criticality: 'high',
      event: fixture('guardduty/UpdateDetector'),
    },
    {
      name: 'member account leaves its GuardDuty administrator',
      expect: 'match',
      event: fixture('guardduty/DisassociateFromAdministratorAccount'),
    },
    {
      name: 'member account leaves its master account (legacy API name)',
      expect: 'match',
      event: fixture('guardduty/DisassociateFromAdministratorAccount', {
        eventName: 'DisassociateFromMasterAccount',
      }),
    },
    { name: 'administrator deletes a member', expect: 'match', event: fixture('guardduty/DeleteMembers') },
    {
      name: 'administrator stops monitoring a member',
      expect: 'match',
      event: fixture('guardduty/StopMonitoringMembers'),
    },
    {
      name: 'delegated GuardDuty administrator removed for the organisation',
      expect: 'match',
      event: fixture('guardduty/DisableOrganizationAdminAccount'),
    },
    {
      name: 'detector deleted by a CloudFormation stack is still the deployer',
      expect: 'match',
      event: fixture('guardduty/DeleteDetector', {
        userIdentity: { invokedBy: 'cloudformation.amazonaws.com' },
        sourceIPAddress: 'cloudformation.amazonaws.com',
        userAgent: 'cloudformation.amazonaws.com',
        tlsDetails: undefined,
      }),
    },
    {
      name: 'DeleteDetector denied',
      expect: 'no-match',
      event: fixture('guardduty/DeleteDetector', {
        errorCode: 'AccessDeniedException',
        errorMessage:
          'User: arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/alice is not authorized to perform: guardduty:DeleteDetector on resource: arn:aws:guardduty:eu-west-1:111122223333:detector/12abc34d567e8fa901bc2d34e56789f0 with an explicit deny in a service control policy',
      }),
    },
    {
      name: 'UpdateDetector re-enabling the detector is benign',
      expect: 'no-match',
      event: fixture('guardduty/UpdateDetector', { requestParameters: { enable: true } }),
    },
    {
      name: 'UpdateDetector changing only the publishing frequency is benign',
      expect: 'no-match',
      event: fixture('guardduty/UpdateDetector', {
        requestParameters: { enable: undefined, findingPublishingFrequency: 'FIFTEEN_MINUTES' },
      }),
    },
    {
      name: 'StopMonitoringMembers where every account was unprocessed changed nothing',
      expect: 'no-match',
      event: fixture('guardduty/StopMonitoringMembers', {
        responseElements: {
          unprocessedAccounts: [
            { accountId: '444455556666', result: 'The request is rejected because the account is not a member.' },
          ],
        },
      }),
    },
    {
      name: 'GuardDuty removing a member through its service-linked role (account left the organisation)',
      expect: 'no-match',
      event: fixture('guardduty/DeleteMembers', asServiceLinkedRole),
    },
  ],
};
