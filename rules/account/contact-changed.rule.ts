import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { accountRootArn, partitionOf } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isServiceInvoked, isSuccess, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

const EVENTS = [
  'PutAlternateContact',
  'DeleteAlternateContact',
  'PutContactInformation',
  'StartPrimaryEmailUpdate',
  'AcceptPrimaryEmailUpdate',
] as const;

/** The management account may change a member account's contacts (`accountId`); otherwise it is the caller's. */
const targetAccount = (e: CloudTrailRecord): string => stringParam(e.requestParameters, 'accountId') ?? accountOf(e);

/**
 * What the change hands to whoever made it, or undefined when it hands nothing that matters. AWS writes to the
 * SECURITY contact about abuse reports and exposed keys; the primary (root) email and the contact information's
 * phone number are how the root user is recovered. BILLING and OPERATIONS contacts only receive notices.
 */
const takes = (e: CloudTrailRecord): string | undefined => {
  switch (e.eventName) {
    case 'PutAlternateContact':
    case 'DeleteAlternateContact': {
      const type = stringParam(e.requestParameters, 'alternateContactType')?.toUpperCase();
      if (type !== undefined && type !== 'SECURITY') return undefined;
      const verb = e.eventName === 'PutAlternateContact' ? 'replaced' : 'deleted';
      return `security contact ${verb}: AWS's abuse and exposed-key notices go ${verb === 'deleted' ? 'only to the root email' : 'to the new address'}`;
    }
    case 'PutContactInformation':
      return 'account contact information replaced: its phone number is the one AWS calls to recover the root user';
    default:
      return 'root email address change started or confirmed: whoever holds the new address can recover the root user';
  }
};

export const rule = defineRule({
  id: 'account.contact-changed',
  title: 'Security contact, contact details or root email changed outside the process',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.5.23', 'A.8.2'],
  mitre: ['T1098', 'T1562'],
  on: { source: 'account', eventNames: [...EVENTS] },
  match: (e, ctx) =>
    isSuccess(e) && !isServiceInvoked(e) && takes(e) !== undefined && isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [
    `${takes(e) ?? ''} (account ${targetAccount(e)})`,
    ...unapprovedReasons(e, ctx.config.approved),
  ],
  resources: (e) => [accountRootArn(partitionOf(e.awsRegion), targetAccount(e))],
  dedup: { key: (e) => `${targetAccount(e)}|${e.eventName}`, windowSeconds: 3600 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    "An account's SECURITY alternate contact was replaced or deleted, its contact information (the recovery phone " +
    'number) replaced, or a change of its root email address started or confirmed, outside the approved process: ' +
    'AWS security notices then reach someone else, and the new holder of the email or phone can recover the root user.',
  runbook: [
    'Read what is set now: `aws account get-alternate-contact --alternate-contact-type SECURITY`, `aws account get-contact-information`, `aws account get-primary-email --account-id <id>` (from the management account).',
    'Ask the actor and the account owner whether the change was requested; if not, restore the contacts from the record of the organisation and treat the actor as compromised.',
    'A root email change not made by the owner is an account takeover in progress: reset the root password and MFA through the management account (or AWS Support) at once and review root activity.',
  ],
  rationale:
    'Attackers who hold an account redirect its security contact so AWS notices about their abuse or a leaked key ' +
    'do not reach the owner, and change the root email or recovery phone to keep the account (Panther ' +
    'AWS.CloudTrail.Account.Discovery lists PutAlternateContact and PutContactInformation). One successful call is ' +
    'enough: high, critical on high-criticality accounts. BILLING and OPERATIONS contacts only receive notices and ' +
    'are not matched; a change whose contact type is not recorded is treated as the security contact (fail closed). ' +
    'Account Management is served from us-east-1 and forwarded from there.',
  falsePositives: [
    'Contact updates by the account owner or the cloud team by hand when staff change: route them through the approved automation or suppress with a change record.',
  ],
  cases: () => [
    {
      name: 'security contact replaced',
      expect: 'match',
      event: fixture('account/PutAlternateContact', {
        requestParameters: {
          name: 'Security Desk',
          emailAddress: 'secops@example.net',
          title: 'Security',
          alternateContactType: 'SECURITY',
        },
      }),
    },
    {
      name: 'security contact of a member account deleted by the management account',
      expect: 'match',
      criticality: 'high',
      event: fixture('account/DeleteAlternateContact', {
        requestParameters: { alternateContactType: 'SECURITY', accountId: '444455556666' },
      }),
    },
    {
      name: 'contact information (recovery phone) replaced',
      expect: 'match',
      event: fixture('account/PutAlternateContact', {
        eventName: 'PutContactInformation',
        requestParameters: {
          contactInformation: { fullName: 'Jane Doe', phoneNumber: '+15555550100', countryCode: 'US' },
        },
      }),
    },
    {
      name: 'root email change started',
      expect: 'match',
      event: fixture('account/PutAlternateContact', {
        eventName: 'StartPrimaryEmailUpdate',
        requestParameters: { accountId: '444455556666', primaryEmail: 'root-new@example.net' },
      }),
    },
    { name: 'billing contact replaced', expect: 'no-match', event: fixture('account/PutAlternateContact') },
    { name: 'operations contact deleted', expect: 'no-match', event: fixture('account/DeleteAlternateContact') },
    {
      name: 'security contact set by the approved automation',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('account/PutAlternateContact', {
        ...BY_APPROVED_DEPLOY,
        requestParameters: { alternateContactType: 'SECURITY', emailAddress: 'secops@example.com' },
      }),
    },
    {
      name: 'security contact change refused',
      expect: 'no-match',
      event: fixture('account/PutAlternateContact', {
        requestParameters: { alternateContactType: 'SECURITY' },
        ...denied('AccessDeniedException', 'account:PutAlternateContact'),
      }),
    },
  ],
};
