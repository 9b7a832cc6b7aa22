import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, actorArn, isServiceInvoked, isSuccess, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { byAwsService, denied } from '../fixtures/overrides.ts';

const byActor = (e: CloudTrailRecord): string => `${accountOf(e)}|${actorArn(e)}`;
const targetOf = (e: CloudTrailRecord): string | undefined => stringParam(e.requestParameters, 'target');

const sessionTo = (target: string) => fixture('ssm/StartSession', { requestParameters: { target } });

export const rule = defineRule({
  id: 'ssm.sessions-started-burst',
  title: 'Session Manager sessions opened to many instances by one identity',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.2', 'A.8.16'],
  mitre: ['T1021', 'T1651'],
  on: { source: 'ssm', eventNames: ['StartSession'] },
  match: (e) => isSuccess(e) && !isServiceInvoked(e) && targetOf(e) !== undefined,
  threshold: {
    count: 3,
    windowSeconds: 600,
    byCriticality: { high: { count: 2, windowSeconds: 600 }, low: { count: 5, windowSeconds: 900 } },
    groupBy: byActor,
    distinct: (e) => targetOf(e) ?? 'unknown-target',
  },
  dedup: { key: byActor },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'One identity opened Session Manager sessions to several different instances within minutes: an interactive ' +
    "shell hopping across the fleet with each instance's role (Stratus Red Team ssm-start-session).",
  runbook: [
    'List the sessions: `aws ssm describe-sessions --state History --filters key=Owner,value=<actor arn>` and the StartSession events since first-seen.',
    'Read the session logs (S3 / CloudWatch Logs, if Session Manager logging is on) for what was run.',
    "If unexpected, terminate active sessions (`aws ssm terminate-session --session-id <id>`), revoke the identity, and review each instance role's calls since.",
  ],
  rationale:
    'Session Manager is the recommended way in, so one session is not a finding; 3 different instances in 10 ' +
    'minutes by one identity (2 on high-criticality assets, 5 in 15 minutes on low) is lateral movement or a ' +
    'sweep. Distinct targets are counted, so reconnecting to one instance adds nothing. Medium, high on ' +
    'high-criticality assets.',
  falsePositives: [
    'An operator patching a handful of instances by hand: prefer Run Command from the pipeline, or suppress for the change window.',
  ],
  cases: () => [
    { name: 'a session to an instance', expect: 'match', event: sessionTo('i-0a1b2c3d4e5f60718') },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture('ssm/StartSession', denied('AccessDeniedException', 'ssm:StartSession')),
    },
    {
      name: 'terminating a session',
      expect: 'no-match',
      event: fixture('ssm/StartSession', {
        eventName: 'TerminateSession',
        requestParameters: { sessionId: 'bob@example.com-0f1e2d3c4b5a69788' },
      }),
    },
    { name: 'opened by AWS', expect: 'no-match', event: fixture('ssm/StartSession', byAwsService('ssm')) },
  ],
};
