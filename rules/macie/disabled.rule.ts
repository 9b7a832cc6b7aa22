import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isServiceInvoked, isSuccess, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

/** DisableMacie always turns it off; UpdateMacieSession only when it pauses the account (status PAUSED). */
const stopsMacie = (e: CloudTrailRecord): boolean =>
  e.eventName === 'DisableMacie' || stringParam(e.requestParameters, 'status')?.toUpperCase() === 'PAUSED';

export const rule = defineRule({
  id: 'macie.disabled',
  title: 'Amazon Macie disabled or paused',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.16'],
  mitre: ['T1562.001'],
  // Macie's API is macie2; the original Macie (macie.amazonaws.com) has been retired.
  on: { source: 'macie2', eventNames: ['DisableMacie', 'UpdateMacieSession'] },
  match: (e) => isSuccess(e) && !isServiceInvoked(e) && stopsMacie(e),
  dedup: { key: (e) => `${accountOf(e)}|${e.awsRegion}|macie` },
  // Macie's session has no ARN of its own; the account decides criticality.
  resources: () => [],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'Macie was disabled (its findings, jobs and configuration are deleted) or paused (UpdateMacieSession status ' +
    'PAUSED) in a region: sensitive-data discovery and S3 bucket posture monitoring stop for the account.',
  runbook: [
    'Check the region: `aws macie2 get-macie-session --region <region>` (status ENABLED, PAUSED, or an error when disabled).',
    'Resume or re-enable: `aws macie2 update-macie-session --status ENABLED`, or `aws macie2 enable-macie` after a ' +
      'disable (findings, jobs and settings were deleted and must be recreated from IaC; member accounts re-added ' +
      'from the administrator).',
    'Check what the actor did to S3 around the change (PutBucketPolicy, PutBucketAcl, GetObject bursts): pausing ' +
      'data discovery is a step before touching sensitive buckets.',
    'If the actor is not the approved security automation, treat it as an incident and rotate its credentials.',
  ],
  rationale:
    'No threshold: turning off sensitive-data discovery is defence evasion (T1562.001). Medium at medium criticality ' +
    'because Macie runs periodic discovery rather than real-time detection and CloudTrail still records S3 changes; ' +
    'high on high-criticality accounts, where Macie is the evidence that sensitive data is watched. Pausing counts ' +
    'like disabling because monitoring stops either way; changing only the publishing frequency does not match. ' +
    "The service's own follow-up events after a disable (jobs cancelled) are service events and do not match.",
  falsePositives: [
    'Cost-driven pause or disable in sandbox or low-data accounts (set them to low criticality or suppress them).',
    'An account being closed or moved to another organisation.',
  ],
  cases: () => [
    { name: 'Macie disabled', expect: 'match', event: fixture('macie2/DisableMacie') },
    { name: 'Macie paused', expect: 'match', event: fixture('macie2/UpdateMacieSession') },
    {
      name: 'Macie paused on a high-criticality account',
      expect: 'match',
      criticality: 'high',
      event: fixture('macie2/UpdateMacieSession'),
    },
    {
      name: "publishing frequency changed (Panther's AWS.Macie.Evasion positive): Macie still runs",
      expect: 'no-match',
      event: fixture('macie2/UpdateMacieSession-panther-frequency'),
    },
    {
      name: 'DisableMacie denied',
      expect: 'no-match',
      event: fixture('macie2/DisableMacie', {
        errorCode: 'AccessDeniedException',
        errorMessage:
          'User: arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/alice is not authorized to perform: macie2:DisableMacie',
      }),
    },
    {
      name: 'Macie resumed (status ENABLED) is benign',
      expect: 'no-match',
      event: fixture('macie2/UpdateMacieSession', { requestParameters: { status: 'ENABLED' } }),
    },
    {
      name: 'changing only the finding publishing frequency is benign',
      expect: 'no-match',
      event: fixture('macie2/UpdateMacieSession', {
        requestParameters: { status: undefined, findingPublishingFrequency: 'FIFTEEN_MINUTES' },
      }),
    },
    {
      name: 'a record Macie writes for itself (AwsServiceEvent, invokedBy macie2) is not a person acting',
      expect: 'no-match',
      event: fixture('macie2/UpdateMacieSession', {
        eventType: 'AwsServiceEvent',
        userIdentity: {
          type: 'AWSAccount',
          principalId: undefined,
          arn: undefined,
          accessKeyId: undefined,
          sessionContext: undefined,
          invokedBy: 'macie2.amazonaws.com',
        },
        sourceIPAddress: 'macie2.amazonaws.com',
        userAgent: 'macie2.amazonaws.com',
        tlsDetails: undefined,
      }),
    },
  ],
};
