import { isSuccess, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

export const rule = defineRule({
  id: 'cloudtrail.logging-stopped',
  title: 'CloudTrail logging stopped or trail deleted',
  severity: 'critical',
  controls: ['A.8.15'],
  mitre: ['T1562.008'],
  on: { source: 'cloudtrail', eventNames: ['StopLogging', 'DeleteTrail'] },
  match: (e) => isSuccess(e),
  dedup: { key: (e) => stringParam(e.requestParameters, 'name') ?? 'unknown-trail' },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description: 'A trail stopped logging or was deleted, so API activity is no longer recorded.',
  runbook: [
    'Restart logging (`aws cloudtrail start-logging --name <trail>`) or recreate the trail; confirm IsLogging=true.',
    'Review every call made by the actor since the stop: the gap is exactly what an attacker wanted hidden.',
    'If the actor is not the approved deploy role, treat it as an incident and rotate its credentials.',
  ],
  rationale:
    'Any successful stop is critical without a threshold: logging is the evidence every other control relies on.',
  falsePositives: ['Planned trail migration by the deploy role (suppress with a dated, reasoned suppression).'],
  cases: () => [
    { name: 'StopLogging succeeds', expect: 'match', event: fixture('cloudtrail/StopLogging') },
    { name: 'DeleteTrail succeeds', expect: 'match', event: fixture('cloudtrail/DeleteTrail') },
    {
      name: 'StopLogging denied',
      expect: 'no-match',
      event: fixture('cloudtrail/StopLogging', { errorCode: 'AccessDenied', errorMessage: 'User is not authorized' }),
    },
    { name: 'StartLogging is benign', expect: 'no-match', event: fixture('cloudtrail/StartLogging') },
  ],
};
