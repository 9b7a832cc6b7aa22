import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isServiceInvoked, isSuccess, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, byAwsService, denied } from '../fixtures/overrides.ts';

/** The database whose stream stopped: `resourceArn` as sent (an instance or cluster ARN). */
const databaseArn = (e: CloudTrailRecord): string =>
  stringParam(e.requestParameters, 'resourceArn') ?? resourceArn(e, 'rds', 'db:unknown');

export const rule = defineRule({
  id: 'rds.activity-stream-stopped',
  title: 'RDS Database Activity Stream stopped',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.15', 'A.8.16'],
  mitre: ['T1562.008'],
  on: { source: 'rds', eventNames: ['StopActivityStream'] },
  // Like trails and cluster logs, stopping the database audit stream is not excused by the approved process.
  match: (e) => isSuccess(e) && !isServiceInvoked(e),
  explain: (e) => {
    const stream = stringParam(e.responseElements, 'kinesisStreamName');
    return [
      `database activity stream of ${databaseArn(e)} stopped${stream === undefined ? '' : ` (Kinesis stream ${stream})`}: SQL run on it is no longer audited`,
    ];
  },
  resources: (e) => [databaseArn(e)],
  dedup: { key: (e) => `${accountOf(e)}|${databaseArn(e)}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'StopActivityStream switched off the Database Activity Stream of an Aurora cluster or RDS instance: the ' +
    'near-real-time, tamper-resistant record of every query and login that DBAs themselves cannot alter. What is ' +
    'run on the database from now on is not audited.',
  runbook: [
    'Start it again unless a change record explains the stop: `aws rds start-activity-stream --resource-arn <arn> --mode async --kms-key-id <key> --apply-immediately`.',
    'Review what the actor did on the database and around it since the stop (snapshots, exports, master password changes, parameter groups).',
    'Check the consumer of the Kinesis stream (the SIEM or Security Lake feed) for the gap, and keep the last records.',
  ],
  rationale:
    'Activity streams exist so that database access stays audited even against privileged users; stopping one is ' +
    'disabling a cloud log (T1562.008; Panther AWS.RDS.ActivityStreamStopped). The ISO guidance makes log ' +
    'forwarding stopped critical; high here, critical on high-criticality assets. One successful call is enough; ' +
    'refused calls and AWS acting on its own do not match.',
  falsePositives: ['A planned engine upgrade or instance class change that requires the stream to be restarted.'],
  cases: () => [
    {
      name: 'bob stops the activity stream of the orders cluster',
      expect: 'match',
      event: fixture('rds/StopActivityStream'),
    },
    {
      name: 'Panther test event: a developer role stops a stream',
      expect: 'match',
      event: fixture('rds/StopActivityStream-panther'),
    },
    {
      name: 'stopped by the approved deploy role (still a logging gap)',
      expect: 'match',
      event: fixture('rds/StopActivityStream', BY_APPROVED_DEPLOY),
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture('rds/StopActivityStream', denied('AccessDenied', 'rds:StopActivityStream')),
    },
    {
      name: 'AWS acting on its own',
      expect: 'no-match',
      event: fixture('rds/StopActivityStream', byAwsService('rds')),
    },
    {
      name: 'the stream started',
      expect: 'no-match',
      event: fixture('rds/StopActivityStream', { eventName: 'StartActivityStream' }),
    },
  ],
};
