import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, actorArn, isServiceInvoked, isSuccess, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { byAwsService, denied } from '../fixtures/overrides.ts';

const byActor = (e: CloudTrailRecord): string => `${accountOf(e)}|${actorArn(e)}`;
const instanceOf = (e: CloudTrailRecord): string =>
  stringParam(e.requestParameters, 'instanceId') ?? 'unknown-instance';

const readOf = (instanceId: string) =>
  fixture('ec2/DescribeInstanceAttribute-userData', { requestParameters: { instanceId, attribute: 'userData' } });

export const rule = defineRule({
  id: 'ec2.user-data-read-burst',
  title: 'User data of many EC2 instances read by one identity',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.3', 'A.8.16'],
  mitre: ['T1552.005', 'T1580'],
  on: { source: 'ec2', eventNames: ['DescribeInstanceAttribute'] },
  // Refused reads (Stratus Red Team's ec2-download-user-data makes 15) are iam.access-denied-burst's.
  match: (e) =>
    isSuccess(e) && !isServiceInvoked(e) && stringParam(e.requestParameters, 'attribute')?.toLowerCase() === 'userdata',
  threshold: {
    count: 5,
    windowSeconds: 600,
    byCriticality: { high: { count: 3, windowSeconds: 600 }, low: { count: 10, windowSeconds: 900 } },
    groupBy: byActor,
    distinct: instanceOf,
  },
  dedup: { key: byActor },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'One identity asked for the user data of several different instances within minutes ' +
    '(DescribeInstanceAttribute attribute=userData): the Pacu ec2__download_userdata sweep for secrets left in ' +
    'bootstrap scripts. Refused attempts are counted by iam.access-denied-burst.',
  runbook: [
    'List the instances asked for: `aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue=DescribeInstanceAttribute --start-time <first-seen>`.',
    "Check those instances' user data for credentials; rotate any found and move them to Secrets Manager or SSM.",
    "Review the identity's other calls in the session; revoke it if unknown.",
  ],
  rationale:
    "Reading one instance's user data is debugging; five different instances in 10 minutes by one identity is " +
    'harvesting (3 on high-criticality assets, 10 in 15 minutes on low). Distinct instances are counted, so ' +
    'one engineer re-reading the same script does not add up. Medium, high on high-criticality assets.',
  falsePositives: [
    'Inventory or CSPM scanners that read user data of every instance: suppress their role with a dated reason.',
  ],
  cases: () => [
    { name: 'user data read', expect: 'match', event: readOf('i-0a1b2c3d4e5f60718') },
    {
      name: 'refused read (iam.access-denied-burst counts these)',
      expect: 'no-match',
      event: fixture(
        'ec2/DescribeInstanceAttribute-userData',
        denied('Client.UnauthorizedOperation', 'ec2:DescribeInstanceAttribute'),
      ),
    },
    {
      name: 'another attribute',
      expect: 'no-match',
      event: fixture('ec2/DescribeInstanceAttribute-userData', { requestParameters: { attribute: 'instanceType' } }),
    },
    {
      name: 'AWS reading it',
      expect: 'no-match',
      event: fixture('ec2/DescribeInstanceAttribute-userData', byAwsService('ssm')),
    },
  ],
};
