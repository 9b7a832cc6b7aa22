import { isApprovedChange, unapprovedReasons } from '../core/approved.ts';
import { resourceArn } from '../core/arn.ts';
import { isAuditLogGroup, logGroupOf } from '../core/audit-logs.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isServiceInvoked, isSuccess, param } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';

/** A year: the retention ISO 27001 auditors usually expect for security logs. */
const MIN_RETENTION_DAYS = 365;

/** retentionInDays is a number in CloudTrail; replayed or hand-made records sometimes carry it as a string. */
const retentionDays = (e: CloudTrailRecord): number | undefined => {
  const value = param(e.requestParameters, 'retentionInDays');
  const days = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof days === 'number' && Number.isFinite(days) ? days : undefined;
};

/** Deleting the group loses every event in it; a retention under a year silently expires evidence. */
const losesEvidence = (e: CloudTrailRecord): boolean => {
  if (e.eventName === 'DeleteLogGroup') return true;
  const days = retentionDays(e);
  return days !== undefined && days < MIN_RETENTION_DAYS;
};

const lambdaLogGroup = '/aws/lambda/orders-api-ResizeImageFunction-3F9A1B2C4D5E';

export const rule = defineRule({
  id: 'logs.audit-log-group-deleted',
  title: 'CloudWatch Logs group deleted or its retention cut below a year',
  severity: 'high',
  controls: ['A.8.15'],
  mitre: ['T1070', 'T1562.008'],
  on: { source: 'logs', eventNames: ['DeleteLogGroup', 'PutRetentionPolicy'] },
  explain: (e, ctx) => unapprovedReasons(e, ctx.config.approved),
  match: (e, ctx) =>
    isSuccess(e) &&
    !isServiceInvoked(e) &&
    losesEvidence(e) &&
    (isAuditLogGroup(e) || !isApprovedChange(e, ctx.config.approved)),
  dedup: { key: (e) => `${accountOf(e)}|${e.awsRegion}|${logGroupOf(e)}` },
  resources: (e) => [resourceArn(e, 'logs', `log-group:${logGroupOf(e)}`)],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A CloudWatch Logs log group was deleted, or its retention was set below 365 days so events expire early. Audit ' +
    'log groups (CloudTrail, VPC flow and DNS logs, security tooling, Control Tower, Trailwarden) always match; any ' +
    'other log group matches only when the change did not come through the approved deployment process.',
  runbook: [
    "See the group's state: `aws logs describe-log-groups --log-group-name-prefix <name> --region <region>` (gone, or " +
      'its retentionInDays).',
    'For a retention cut, restore it at once, before events expire: `aws logs put-retention-policy --log-group-name ' +
      '<name> --retention-in-days 365` (or `aws logs delete-retention-policy --log-group-name <name>` to never expire).',
    "For a deletion, the events are gone from CloudWatch: recover them from the source's other copy (the CloudTrail S3 " +
      'bucket, flow logs in S3, a log archive account) and recreate the group and its subscription from IaC.',
    'Check whether the writer still delivers: a deleted CloudTrail or flow-log group makes delivery fail ' +
      '(`aws cloudtrail get-trail-status --name <trail>` LatestCloudWatchLogsDeliveryError).',
    'If the actor is not the approved deploy role, treat it as an incident: review its other calls and rotate its credentials.',
  ],
  rationale:
    'No threshold: deleting logs or shortening their life is indicator removal (T1070) and impairs logging ' +
    '(T1562.008); one call is enough. Log groups of short-lived Lambda functions are deleted and given short ' +
    'retention by CloudFormation stacks all the time, so matching every group would bury the signal. The rule ' +
    'therefore always matches log groups whose name marks them as audit evidence (cloudtrail, audit, flow, vpc, ' +
    'security, trailwarden, aws-controltower, guardduty), even for the approved deploy role, since no deployment ' +
    'should shorten or remove those; and matches any other group only when the change did not come through the ' +
    'approved process (an approved automation role, via approved IaC tooling when configured). With no approved ' +
    'process configured every deletion and short retention matches, which is the safe default. 365 days is the ' +
    'usual minimum an auditor accepts for security logs; DeleteRetentionPolicy (never expire) is not a weakening. ' +
    'High rather than critical: the source (CloudTrail in S3, flow logs in S3) usually keeps another copy.',
  falsePositives: [
    'Application log groups set to short retention by hand, or by the CDK LogRetention custom resource (its own ' +
      'Lambda role, not the deploy role): add that role to the approved automation roles or suppress it.',
    'Cleaning up log groups of deleted functions by hand in sandbox accounts (set those accounts to low criticality ' +
      'or suppress them).',
    'A name that matches the audit pattern by accident (for example /aws/lambda/cashflow-report).',
  ],
  cases: () => [
    { name: 'CloudTrail log group deleted', expect: 'match', event: fixture('logs/DeleteLogGroup') },
    {
      name: 'Trailwarden log group deleted by the approved deploy role through CloudFormation still matches',
      expect: 'match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('logs/DeleteLogGroup-cloudformation', {
        requestParameters: { logGroupName: '/aws/lambda/trailwarden-evaluate' },
      }),
    },
    {
      name: 'Lambda log group deleted by the approved deploy role through CloudFormation is routine',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('logs/DeleteLogGroup-cloudformation'),
    },
    {
      name: 'Lambda log group deleted through CloudFormation when no process is approved',
      expect: 'match',
      event: fixture('logs/DeleteLogGroup-cloudformation'),
    },
    {
      name: 'Lambda log group deleted by hand while deploys are approved',
      expect: 'match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('logs/DeleteLogGroup', { requestParameters: { logGroupName: lambdaLogGroup } }),
    },
    {
      name: 'approved deploy role used by hand from the CLI is not the approved process',
      expect: 'match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('logs/DeleteLogGroup-cloudformation', {
        userIdentity: {
          principalId: 'AROACKCEVSQ6C2EXAMPLE:alice',
          arn: 'arn:aws:sts::111122223333:assumed-role/deploy-role/alice',
          invokedBy: undefined,
        },
        sourceIPAddress: '203.0.113.66',
        userAgent: 'aws-cli/2.22.4 md/command#logs.delete-log-group',
      }),
    },
    { name: 'flow log retention cut to 1 day', expect: 'match', event: fixture('logs/PutRetentionPolicy') },
    {
      name: 'retention 364 days is under a year',
      expect: 'match',
      criticality: 'high',
      event: fixture('logs/PutRetentionPolicy', { requestParameters: { retentionInDays: 364 } }),
    },
    {
      name: 'retention exactly 365 days is enough',
      expect: 'no-match',
      event: fixture('logs/PutRetentionPolicy', { requestParameters: { retentionInDays: 365 } }),
    },
    {
      name: 'retention raised to ten years is benign',
      expect: 'no-match',
      event: fixture('logs/PutRetentionPolicy', { requestParameters: { retentionInDays: 3653 } }),
    },
    {
      name: 'retention logged as a string ("30") still counts',
      expect: 'match',
      event: fixture('logs/PutRetentionPolicy', {
        requestParameters: { logGroupName: 'security-hub-findings', retentionInDays: '30' },
      }),
    },
    {
      name: 'Lambda log group given 14-day retention by the approved deploy role is routine',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('logs/DeleteLogGroup-cloudformation', {
        eventName: 'PutRetentionPolicy',
        requestParameters: { retentionInDays: 14 },
      }),
    },
    {
      name: 'flow log retention cut by the approved deploy role still matches',
      expect: 'match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('logs/DeleteLogGroup-cloudformation', {
        eventName: 'PutRetentionPolicy',
        requestParameters: { logGroupName: '/aws/vpc/flow-logs/prod', retentionInDays: 30 },
      }),
    },
    {
      name: 'DeleteRetentionPolicy (never expire) is benign',
      expect: 'no-match',
      event: fixture('logs/DeleteRetentionPolicy'),
    },
    {
      name: 'DeleteLogGroup denied',
      expect: 'no-match',
      event: fixture('logs/DeleteLogGroup', {
        errorCode: 'AccessDeniedException',
        errorMessage:
          'User: arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/alice is not authorized to perform: logs:DeleteLogGroup on resource: arn:aws:logs:eu-west-1:111122223333:log-group:aws-cloudtrail-logs-111122223333-org-trail:* with an explicit deny in a service control policy',
      }),
    },
    {
      name: 'deleting a log group that does not exist',
      expect: 'no-match',
      event: fixture('logs/DeleteLogGroup', {
        errorCode: 'ResourceNotFoundException',
        errorMessage: 'The specified log group does not exist.',
      }),
    },
  ],
};
