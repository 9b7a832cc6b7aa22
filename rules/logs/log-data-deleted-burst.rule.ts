import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { byAccountAndActor, deletionBurst, isCountedDeletion } from '../core/destruction.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { denied } from '../fixtures/overrides.ts';

const logArn = (e: CloudTrailRecord): string => {
  const group =
    stringParam(e.requestParameters, 'logGroupName') ??
    stringParam(e.requestParameters, 'logGroupIdentifier') ??
    'unknown';
  const stream = stringParam(e.requestParameters, 'logStreamName');
  return resourceArn(e, 'logs', `log-group:${group}${stream === undefined ? '' : `:log-stream:${stream}`}`);
};

export const rule = defineRule({
  id: 'logs.log-data-deleted-burst',
  title: 'Burst of CloudWatch log stream or log group deletions by one identity',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.15', 'A.8.10'],
  mitre: ['T1070', 'T1485'],
  on: { source: 'logs', eventNames: ['DeleteLogStream', 'DeleteLogGroup'] },
  match: (e) => isCountedDeletion(e),
  threshold: deletionBurst(),
  dedup: { key: byAccountAndActor },
  resources: (e) => [logArn(e)],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'One identity deleted several CloudWatch Logs streams or groups within minutes, whatever their names: ' +
    'application and security logs erased in bulk.',
  runbook: [
    'List what was deleted (CloudTrail DeleteLogStream / DeleteLogGroup by the identity since first-seen) and which services wrote there.',
    'Recover the events from their other copies (CloudTrail in S3, subscription destinations, a log archive account).',
    'Treat the identity as compromised unless a change record explains it: revoke its sessions and review its other calls.',
  ],
  rationale:
    'Indicator removal (T1070) rarely deletes one stream: it sweeps. Counted per account and acting identity: 3 in 10 minutes on high-criticality assets, 5 in 10 minutes on medium, 10 in 15 minutes on low. ' +
    'Medium, high on high-criticality assets. A single deletion of an audit log group is logs.audit-log-group-deleted (high) on its own.',
  falsePositives: ['Stack teardowns deleting the log groups of many functions; clean-up scripts for old streams.'],
  cases: () => [
    { name: 'alice deletes a log stream', expect: 'match', event: fixture('logs/DeleteLogStream') },
    { name: 'a log group deleted', expect: 'match', event: fixture('logs/DeleteLogGroup') },
    {
      name: 'denied',
      expect: 'no-match',
      event: fixture('logs/DeleteLogStream', denied('AccessDeniedException', 'logs:DeleteLogStream')),
    },
    {
      name: 'stream already gone',
      expect: 'no-match',
      event: fixture('logs/DeleteLogStream', {
        errorCode: 'ResourceNotFoundException',
        errorMessage: 'The specified log stream does not exist.',
      }),
    },
    {
      name: 'a retention change is not a deletion',
      expect: 'no-match',
      event: fixture('logs/PutRetentionPolicy'),
    },
  ],
};
