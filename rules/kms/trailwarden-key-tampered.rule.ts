import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, principalArn, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { explainSelfTampering, isSelfTampering } from '../core/self-protection.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import {
  BY_DEPLOY_ROLE,
  SELF_PROTECTION,
  TRAILWARDEN_KEY_ARN,
  TRAILWARDEN_KEY_ID,
} from '../fixtures/self-protection.ts';

const KEY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$|^mrk-[0-9a-f]{32}$/;

/**
 * The key's ARNs: CloudTrail's `resources` (KMS records the key ARN even when the call named an alias), a
 * `keyId` that is an ARN or a bare key id (made into an ARN), and the `keyId` as given, so an alias glob
 * works too.
 */
const candidates = (e: CloudTrailRecord): string[] => {
  const out = (e.resources ?? []).flatMap((r) => (r.ARN ? [r.ARN] : []));
  const returned = stringParam(e.responseElements, 'keyId');
  if (returned?.startsWith('arn:')) out.push(returned);
  const requested = stringParam(e.requestParameters, 'keyId');
  if (requested !== undefined) {
    out.push(requested);
    if (KEY_ID.test(requested)) out.push(resourceArn(e, 'kms', `key/${requested}`));
  }
  return [...new Set(out)];
};

const keyArn = (e: CloudTrailRecord): string =>
  candidates(e).find((c) => /^arn:[^:]+:kms:[^:]*:\d{12}:key\//.test(c)) ??
  stringParam(e.requestParameters, 'keyId') ??
  'unknown-key';

const effect = (e: CloudTrailRecord): string[] => {
  if (e.eventName === 'ScheduleKeyDeletion') {
    const when = stringParam(e.responseElements, 'deletionDate');
    return [`deletion scheduled${when === undefined ? '' : ` for ${when}`}: cancel it before then`];
  }
  if (e.eventName === 'CreateGrant') {
    const grantee = stringParam(e.requestParameters, 'granteePrincipal') ?? 'unknown principal';
    return [`grant to ${grantee}`];
  }
  return [];
};

const OTHER_KEY = 'arn:aws:kms:eu-west-1:111122223333:key/7f3e9a2b-4c1d-4e8f-9a6b-2d5c8e1f0a3b';
const onTrailwardenKey = {
  requestParameters: { keyId: TRAILWARDEN_KEY_ID },
  resources: [{ accountId: '111122223333', type: 'AWS::KMS::Key', ARN: TRAILWARDEN_KEY_ARN }],
};

export const rule = defineRule({
  id: 'kms.trailwarden-key-tampered',
  title: "Trailwarden's KMS key disabled, scheduled for deletion or re-permissioned",
  severity: 'critical',
  controls: ['A.8.16', 'A.8.15'],
  mitre: ['T1562.001', 'T1485'],
  on: {
    source: 'kms',
    eventNames: ['DisableKey', 'ScheduleKeyDeletion', 'PutKeyPolicy', 'DisableKeyRotation', 'CreateGrant'],
  },
  // Grants AWS services create for themselves (DynamoDB, SQS and SNS on use of the key) are service-invoked.
  match: (e, ctx) => isSelfTampering(e, candidates(e), ctx.config),
  explain: (e, ctx) => [...explainSelfTampering(e, candidates(e), ctx.config), ...effect(e)],
  resources: (e) => [keyArn(e)],
  dedup: { key: (e) => `${accountOf(e)}|${principalArn(e)}|${keyArn(e)}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    "One of Trailwarden's KMS keys (the messaging key of its queues and topic, or the storage key of its state " +
    'table and evidence bucket) was disabled, scheduled for deletion, had its key policy replaced or its rotation ' +
    "turned off, or a grant was created on it, by someone other than Trailwarden's deploy role. A disabled key " +
    'stops the pipeline at once (EventBridge cannot enqueue, the function cannot read state or write evidence); a ' +
    'deleted one makes the evidence unreadable for good; a new grant or policy hands its decryption to others.',
  runbook: [
    'Stop the damage first: `aws kms cancel-key-deletion --key-id <key-arn>` then `aws kms enable-key --key-id <key-arn>`; for a grant, `aws kms list-grants --key-id <key-arn>` and `aws kms revoke-grant --key-id <key-arn> --grant-id <id>`; `aws kms enable-key-rotation --key-id <key-arn>`.',
    'Restore the key policy from the stack: `npx cdk deploy Trailwarden`, then compare `aws kms get-key-policy --key-id <key-arn> --policy-name default` with the synthesized template.',
    'Measure the outage while the key was unusable: the dead-letter queue, the EvaluateErrors alarm and the `kms:Decrypt` failures in CloudTrail; redrive the dead-letter queue once the key works (`aws sqs start-message-move-task --source-arn <dlq-arn>`).',
    'Treat the actor as compromised unless the change is explained: review their calls since the session began and rotate the credentials behind them. For a grant, look for Decrypt calls by the grantee.',
    "Restrict `kms:DisableKey`, `kms:ScheduleKeyDeletion`, `kms:PutKeyPolicy`, `kms:DisableKeyRotation` and `kms:CreateGrant` on Trailwarden's keys to the deploy role, in the key policy or an SCP.",
  ],
  rationale:
    'Critical on a single call, without a threshold: everything Trailwarden holds is encrypted under these two ' +
    'keys, so whoever controls them controls the pipeline and the evidence (A.8.16, A.8.15). CreateGrant is ' +
    'watched because a grant is a key-policy change by another name: it gives decryption of state, findings and ' +
    'evidence to a new principal. Grants that AWS services create while using the key are service-invoked and ' +
    'not matched. The same DisableKey and ScheduleKeyDeletion calls also raise kms.key-disabled; this rule adds ' +
    'that the key is Trailwarden. Matches only when `detection.selfProtection` is configured.',
  falsePositives: [
    "Key administrators managing every key in the account (rotation, policies) with a role that is not Trailwarden's deploy role: have them leave these keys to the stack.",
  ],
  cases: () => [
    {
      name: "bob disables Trailwarden's storage key",
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('kms/DisableKey', onTrailwardenKey),
    },
    {
      name: 'deletion of the key scheduled',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('kms/ScheduleKeyDeletion', {
        ...onTrailwardenKey,
        responseElements: { keyId: TRAILWARDEN_KEY_ARN },
      }),
    },
    {
      name: 'the key policy replaced',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('kms/PutKeyPolicy', onTrailwardenKey),
    },
    {
      name: 'rotation turned off',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('kms/DisableKeyRotation-trailwarden'),
    },
    {
      name: 'alice grants herself decryption',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('kms/CreateGrant-trailwarden'),
    },
    {
      name: 'the key named by an alias: the record still carries the key ARN',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('kms/DisableKeyRotation-trailwarden', {
        requestParameters: { keyId: 'alias/trailwarden-storage' },
      }),
    },
    {
      name: 'a bare key id with no resources in the record',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('kms/DisableKeyRotation-trailwarden', { resources: undefined }),
    },
    {
      name: 'CloudFormation sets the key policy during cdk deploy',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('kms/PutKeyPolicy', { ...onTrailwardenKey, ...BY_DEPLOY_ROLE }),
    },
    {
      name: 'DynamoDB creating its grant while using the key',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('kms/CreateGrant-trailwarden', {
        userIdentity: { invokedBy: 'dynamodb.amazonaws.com' },
        sourceIPAddress: 'dynamodb.amazonaws.com',
        userAgent: 'dynamodb.amazonaws.com',
        tlsDetails: undefined,
      }),
    },
    {
      name: 'a key that is not Trailwarden',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('kms/DisableKey'),
    },
    {
      name: 'DisableKey denied',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('kms/DisableKey', {
        ...onTrailwardenKey,
        errorCode: 'AccessDeniedException',
        errorMessage: `User: arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/bob is not authorized to perform: kms:DisableKey on resource: ${TRAILWARDEN_KEY_ARN} because no resource-based policy allows the kms:DisableKey action`,
      }),
    },
    {
      name: 'cancelling the deletion is the remedy',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('kms/CancelKeyDeletion', onTrailwardenKey),
    },
    {
      name: 'selfProtection not configured',
      expect: 'no-match',
      event: fixture('kms/DisableKey', onTrailwardenKey),
    },
    {
      name: 'rotation turned off on another key',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('kms/DisableKeyRotation-trailwarden', {
        requestParameters: { keyId: OTHER_KEY },
        resources: [{ accountId: '111122223333', type: 'AWS::KMS::Key', ARN: OTHER_KEY }],
      }),
    },
  ],
};
