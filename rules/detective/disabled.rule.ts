import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isServiceInvoked, isSuccess } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { findParam } from '../core/policy-call.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

/** Detective logs its request body as sent (`GraphArn`); read it without case. */
const graphArn = (e: CloudTrailRecord): string => {
  const arn = findParam(e.requestParameters, ['GraphArn'], 1);
  return typeof arn === 'string' ? arn : resourceArn(e, 'detective', 'graph:unknown');
};

export const rule = defineRule({
  id: 'detective.disabled',
  title: 'Amazon Detective graph deleted or an account withdrawn from it',
  severity: 'high',
  controls: ['A.8.16'],
  mitre: ['T1562.001'],
  on: { source: 'detective', eventNames: ['DeleteGraph', 'DisassociateMembership', 'DeleteMembers'] },
  match: (e) => isSuccess(e) && !isServiceInvoked(e),
  dedup: { key: (e) => `${accountOf(e)}|${e.awsRegion}|detective` },
  resources: (e) => [graphArn(e)],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'The Detective behaviour graph was deleted (DeleteGraph: investigations lose their history), or an account ' +
    'left it or was removed from it (DisassociateMembership, DeleteMembers): its activity is no longer analysed.',
  runbook: [
    'Check: `aws detective list-graphs`, `aws detective list-members --graph-arn <arn>`.',
    "Recreate or re-invite unless a change record explains it; the deleted graph's history is gone, so preserve other evidence now.",
    "Review the actor's other calls in the session.",
  ],
  rationale:
    'One successful call is enough: the event name is the change. High, like the other detection services being ' +
    'switched off; Detective history cannot be restored.',
  falsePositives: ['Accounts leaving the organisation, documented.'],
  cases: () => [
    { name: 'graph deleted', expect: 'match', event: fixture('detective/DeleteGraph') },
    { name: 'member account left the graph', expect: 'match', event: fixture('detective/DisassociateMembership') },
    {
      name: 'called by an AWS service',
      expect: 'no-match',
      event: fixture('detective/DeleteGraph', {
        userIdentity: { type: 'AWSService', invokedBy: 'detective.amazonaws.com' },
      }),
    },
    {
      name: 'DeleteGraph denied',
      expect: 'no-match',
      event: fixture('detective/DeleteGraph', {
        errorCode: 'AccessDeniedException',
        errorMessage:
          'User: arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/bob is not authorized to perform: detective:DeleteGraph',
      }),
    },
  ],
};
