import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, actorArn, isServiceInvoked, isSuccess, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { firstReadHistory, isFirstRead } from '../core/first-reads.ts';
import type { RuleDocs } from '../core/types.ts';
import { rememberedValues } from '../fixtures/history.ts';
import { fixture } from '../fixtures/index.ts';
import { byAwsService, denied } from '../fixtures/overrides.ts';

const byActor = (e: CloudTrailRecord): string => `${accountOf(e)}|${actorArn(e)}`;

/** The secret the call named; undefined when CloudTrail did not record it. */
const secretIdOf = (e: CloudTrailRecord): string | undefined => stringParam(e.requestParameters, 'secretId');

/** An unrecorded secret id counts as one more secret each time: unknown is the dangerous case. */
const secretOf = (e: CloudTrailRecord): string => secretIdOf(e) ?? `unrecorded:${e.eventID ?? ''}`;

export const rule = defineRule({
  id: 'secretsmanager.secrets-retrieved-burst',
  title: 'Values of many different secrets read by one identity',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.3', 'A.8.5'],
  mitre: ['T1555.006', 'T1552'],
  on: { source: 'secretsmanager', eventNames: ['GetSecretValue'] },
  // Only secrets this identity never read before count: an application re-reading its own secrets costs nothing.
  history: firstReadHistory(secretIdOf),
  match: (e, ctx) => isSuccess(e) && !isServiceInvoked(e) && isFirstRead(secretIdOf(e), ctx.history),
  threshold: {
    count: 10,
    windowSeconds: 600,
    byCriticality: { high: { count: 5, windowSeconds: 600 }, low: { count: 20, windowSeconds: 900 } },
    groupBy: byActor,
    distinct: secretOf,
  },
  dedup: { key: byActor },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'One identity read the values of many different Secrets Manager secrets within minutes (GetSecretValue): ' +
    'a secret store being dumped (Stratus Red Team secretsmanager-retrieve-secrets, LUCR-3 / Scattered Spider).',
  runbook: [
    'List what was read: `aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue=GetSecretValue --start-time <first-seen>`, filtered on the actor.',
    "Revoke the identity's sessions or keys, then rotate every secret it read (`aws secretsmanager rotate-secret --secret-id <id>`), most privileged first.",
    'Review what the stolen values unlock (databases, third-party APIs) for use since first-seen.',
  ],
  rationale:
    'Applications read the same few secrets again and again: only secrets the identity (the role behind a ' +
    'session, else the user) did not read in the last 100 days count, and distinct ones, so restarts, caches and ' +
    'new instances of an application add nothing (and cost no DynamoDB write). A dump reads what the identity ' +
    'never needed. 10 different new secrets in 10 minutes by one identity (a role session on its own) is a ' +
    'dump: 5 on high-criticality assets, 20 in 15 minutes on low. Secrets read by AWS services for ' +
    'themselves (RDS, Lambda extensions through a service principal) are excluded. Medium, high on ' +
    'high-criticality assets (an application reading many secrets at start-up looks the same, hence not high by default).',
  falsePositives: [
    'A deployment tool that reads every secret of an environment to render configuration: give it its own role and suppress that role with a dated reason.',
  ],
  cases: () => [
    { name: 'a secret value read', expect: 'match', event: fixture('secretsmanager/GetSecretValue') },
    {
      name: 'a secret new to a role that reads others',
      expect: 'match',
      event: fixture('secretsmanager/GetSecretValue'),
      history: rememberedValues(Date.parse('2026-11-02T16:30:11Z'), 20, [
        'prod/orders/api-key',
        'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/payments/stripe-key-Q9w8E7',
      ]),
    },
    {
      name: 'a secret this role read last week (an application re-reading its own secret)',
      expect: 'no-match',
      event: fixture('secretsmanager/GetSecretValue'),
      history: rememberedValues(Date.parse('2026-11-02T16:30:11Z'), 20, [
        'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/payments/db-password-a1B2c3',
      ]),
    },
    {
      name: 'refused (counted by the access-denied rules instead)',
      expect: 'no-match',
      event: fixture('secretsmanager/GetSecretValue', denied('AccessDeniedException', 'secretsmanager:GetSecretValue')),
    },
    {
      name: 'read by an AWS service for itself',
      expect: 'no-match',
      event: fixture('secretsmanager/GetSecretValue', byAwsService('rds')),
    },
    {
      name: 'describing a secret is not reading it',
      expect: 'no-match',
      event: fixture('secretsmanager/GetSecretValue', { eventName: 'DescribeSecret' }),
    },
  ],
};
