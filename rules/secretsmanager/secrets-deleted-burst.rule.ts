import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { byAccountAndActor, deletionBurst, flagParam, isCountedDeletion } from '../core/destruction.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { denied } from '../fixtures/overrides.ts';

const secretArn = (e: CloudTrailRecord): string => {
  const returned = stringParam(e.responseElements, 'arn');
  if (returned !== undefined) return returned;
  const id = stringParam(e.requestParameters, 'secretId') ?? 'unknown';
  return id.startsWith('arn:') ? id : resourceArn(e, 'secretsmanager', `secret:${id}`);
};

export const rule = defineRule({
  id: 'secretsmanager.secrets-deleted-burst',
  title: 'Burst of Secrets Manager secret deletions by one identity',
  severity: 'high',
  escalation: { high: 'critical', low: 'medium' },
  controls: ['A.8.10'],
  mitre: ['T1485', 'T1531'],
  on: { source: 'secretsmanager', eventNames: ['DeleteSecret'] },
  match: (e) => isCountedDeletion(e),
  threshold: deletionBurst(),
  dedup: { key: byAccountAndActor },
  resources: (e) => [secretArn(e)],
  explain: (e) =>
    flagParam(e.requestParameters, 'forceDeleteWithoutRecovery') === true
      ? ['forceDeleteWithoutRecovery: the secret cannot be restored']
      : ['scheduled for deletion: restorable with `aws secretsmanager restore-secret` until the deletion date'],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'One identity scheduled several secrets for deletion (or deleted them at once, without a recovery window) ' +
    'within minutes: the credentials applications need to reach their data, removed in bulk.',
  runbook: [
    'Restore every secret still in its recovery window: `aws secretsmanager restore-secret --secret-id <arn>` (list them with `aws secretsmanager list-secrets --include-planned-deletion`).',
    'Secrets deleted with forceDeleteWithoutRecovery are gone: rotate the underlying credentials (database passwords, API keys) and store them again.',
    'Revoke the identity’s sessions and review its other calls.',
  ],
  rationale:
    'Deleting one secret is routine; several within minutes locks applications out of their own data (T1531, T1485). Counted per account and acting identity: 3 in 10 minutes on high-criticality assets, 5 in 10 minutes on medium, 10 in 15 minutes on low. ' +
    'High, critical on high-criticality assets; the details say whether each secret can still be restored.',
  falsePositives: [
    'Stack teardowns deleting the secrets they created; rotation tooling that replaces secrets by deleting them.',
  ],
  cases: () => [
    { name: 'alice force-deletes a database secret', expect: 'match', event: fixture('secretsmanager/DeleteSecret') },
    {
      name: 'scheduled deletion with a recovery window',
      expect: 'match',
      event: fixture('secretsmanager/DeleteSecret', {
        requestParameters: { forceDeleteWithoutRecovery: undefined, recoveryWindowInDays: 7 },
      }),
    },
    {
      name: 'denied',
      expect: 'no-match',
      event: fixture('secretsmanager/DeleteSecret', denied('AccessDeniedException', 'secretsmanager:DeleteSecret')),
    },
    {
      name: 'restoring a secret is the remedy',
      expect: 'no-match',
      event: fixture('secretsmanager/DeleteSecret', {
        eventName: 'RestoreSecret',
        requestParameters: { secretId: 'prod/payments/db' },
      }),
    },
  ],
};
