import { partitionOf } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isServiceInvoked, isSuccess, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

/**
 * The key's ARN: CloudTrail's `resources`, else ScheduleKeyDeletion's response, else built from the request's
 * key id when that is a bare key id (an alias cannot be turned into a key ARN without a lookup).
 */
const keyArns = (e: CloudTrailRecord): string[] => {
  const fromResources = (e.resources ?? []).flatMap((r) => (r.ARN ? [r.ARN] : []));
  if (fromResources.length > 0) return fromResources;
  const returned = stringParam(e.responseElements, 'keyId');
  if (returned?.startsWith('arn:')) return [returned];
  const requested = stringParam(e.requestParameters, 'keyId');
  if (requested === undefined) return [];
  if (requested.startsWith('arn:')) return [requested];
  return requested.startsWith('alias/')
    ? []
    : [`arn:${partitionOf(e.awsRegion)}:kms:${e.awsRegion}:${accountOf(e)}:key/${requested}`];
};

const keyOf = (e: CloudTrailRecord): string =>
  keyArns(e)[0] ?? stringParam(e.requestParameters, 'keyId') ?? 'unknown-key';

export const rule = defineRule({
  id: 'kms.key-disabled',
  title: 'KMS key disabled or scheduled for deletion',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.9', 'A.5.23'],
  mitre: ['T1485'],
  // Not DeleteKey: KMS logs it itself (AwsServiceEvent) when a scheduled deletion completes. It is the
  // consequence of a ScheduleKeyDeletion this rule already reported, not a new action by anyone.
  on: { source: 'kms', eventNames: ['DisableKey', 'ScheduleKeyDeletion'] },
  match: (e) => isSuccess(e) && !isServiceInvoked(e),
  resources: keyArns,
  dedup: { key: (e) => `${accountOf(e)}|${keyOf(e)}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A customer managed KMS key was disabled or scheduled for deletion. Everything encrypted under it (S3 ' +
    'objects, EBS volumes, RDS databases, secrets) becomes unreadable while it is disabled, and is lost for good ' +
    'once the deletion completes.',
  runbook: [
    'Stop the damage first: `aws kms cancel-key-deletion --key-id <key-arn>` (the key comes back disabled), then `aws kms enable-key --key-id <key-arn>` if it should be in use. A scheduled deletion can only be cancelled before its `deletionDate`.',
    'Find what depends on the key: `aws kms list-grants --key-id <key-arn>`, `aws kms list-aliases --key-id <key-arn>`, and CloudTrail Decrypt/GenerateDataKey calls with this key over the last 90 days (their `userIdentity.invokedBy` names the services).',
    "Find the change record. If there is none, ask the actor; if the actor did not make it, treat it as an incident (ransom and destruction campaigns disable or schedule deletion of keys), rotate the actor's credentials and review their other calls.",
    'Restrict `kms:DisableKey` and `kms:ScheduleKeyDeletion` in the key policy or an SCP to break-glass roles, and keep the waiting period at 30 days.',
  ],
  rationale:
    'A single call is enough (no threshold): disabling a key is an immediate outage for every workload that uses it, and scheduling deletion starts a countdown to irrecoverable data loss (T1485). ' +
    'High by default and critical on high-criticality assets. It matches even for approved automation: stack teardowns schedule key deletion too, and a human should confirm that nothing still needs the key during the waiting period. ' +
    "KMS's own DeleteKey event at the end of the waiting period is not watched, so one decision raises one finding, on the day it can still be reversed.",
  falsePositives: [
    'Deliberate key retirement after re-encrypting data under a new key (suppress that key with a dated, reasoned suppression).',
    "CloudFormation or Terraform stack deletions that schedule deletion of the stack's own key in test accounts (set those accounts to low criticality).",
  ],
  cases: () => [
    { name: 'bob disables a key', expect: 'match', event: fixture('kms/DisableKey') },
    {
      name: 'bob schedules deletion with the minimum 7-day window',
      expect: 'match',
      event: fixture('kms/ScheduleKeyDeletion'),
    },
    {
      name: 'scheduled deletion on a high-criticality key',
      expect: 'match',
      criticality: 'high',
      event: fixture('kms/ScheduleKeyDeletion'),
    },
    {
      name: "stack deletion through CloudFormation schedules the key for deletion: still someone's decision",
      expect: 'match',
      event: fixture('kms/ScheduleKeyDeletion', {
        userIdentity: { invokedBy: 'cloudformation.amazonaws.com' },
        sourceIPAddress: 'cloudformation.amazonaws.com',
        userAgent: 'cloudformation.amazonaws.com',
        tlsDetails: undefined,
      }),
    },
    {
      name: 'denied',
      expect: 'no-match',
      event: fixture('kms/DisableKey', {
        errorCode: 'AccessDenied',
        errorMessage:
          'User: arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/bob is not authorized to perform: kms:DisableKey on resource: arn:aws:kms:eu-west-1:111122223333:key/7f3e9a2b-4c1d-4e8f-9a6b-2d5c8e1f0a3b because no resource-based policy allows the kms:DisableKey action',
      }),
    },
    {
      name: 'scheduling deletion of a key already pending deletion fails',
      expect: 'no-match',
      event: fixture('kms/ScheduleKeyDeletion', {
        errorCode: 'KMSInvalidStateException',
        errorMessage:
          'arn:aws:kms:eu-west-1:111122223333:key/7f3e9a2b-4c1d-4e8f-9a6b-2d5c8e1f0a3b is pending deletion.',
        responseElements: null,
      }),
    },
    {
      name: 'cancelling a deletion is the remedy, not the risk',
      expect: 'no-match',
      event: fixture('kms/CancelKeyDeletion'),
    },
    {
      name: 'KMS deleting the key when the waiting period ends is a consequence, not a new action',
      expect: 'no-match',
      event: fixture('kms/DeleteKey'),
    },
  ],
};
