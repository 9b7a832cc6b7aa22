import { parseArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, actorArn, isServiceInvoked, isSuccess, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { isOutsideOrganization } from '../core/resource-policy.ts';
import type { RuleContext, RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { denied } from '../fixtures/overrides.ts';

const ORGANIZATION = { organization: { id: 'o-exampleorgid', accounts: ['111122223333', '444455556666'] } };

/**
 * Where the log events go: `destinationArn` of a log group's subscription filter, or `DestinationArn` inside the
 * JSON `policyDocument` of an account-wide subscription filter policy (PutAccountPolicy,
 * SUBSCRIPTION_FILTER_POLICY, which streams every log group the selection criteria do not exclude). Undefined
 * when the record does not say (parameters cut, a document that is not JSON): the caller fails closed.
 */
const destinationOf = (e: CloudTrailRecord): string | undefined => {
  if (e.eventName === 'PutSubscriptionFilter') return stringParam(e.requestParameters, 'destinationArn');
  if (e.eventName === 'CreateDelivery') return stringParam(e.requestParameters, 'deliveryDestinationArn');
  const doc = stringParam(e.requestParameters, 'policyDocument');
  if (doc === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(doc);
    const arn =
      typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>).DestinationArn : undefined;
    return typeof arn === 'string' ? arn : undefined;
  } catch {
    return undefined;
  }
};

/** PutAccountPolicy also writes data-protection, field-index and transformer policies: only subscriptions send logs. */
const isSubscription = (e: CloudTrailRecord): boolean => {
  if (e.eventName !== 'PutAccountPolicy') return true;
  const type = stringParam(e.requestParameters, 'policyType');
  return type === undefined || type === 'SUBSCRIPTION_FILTER_POLICY';
};

/** The destination's account, or undefined when the record names no readable ARN (judged as outside). */
const destinationAccount = (e: CloudTrailRecord): string | undefined => {
  const arn = destinationOf(e);
  const account = arn === undefined ? undefined : parseArn(arn)?.account;
  return account === '' ? undefined : account;
};

const leaves = (e: CloudTrailRecord, ctx: RuleContext): boolean => {
  const account = destinationAccount(e);
  return account === undefined || isOutsideOrganization(account, accountOf(e), ctx.config.organization);
};

const source = (e: CloudTrailRecord): string =>
  e.eventName === 'CreateDelivery'
    ? `delivery source ${stringParam(e.requestParameters, 'deliverySourceName') ?? '(not recorded)'}`
    : e.eventName === 'PutSubscriptionFilter'
      ? `log group ${stringParam(e.requestParameters, 'logGroupName') ?? '(not recorded)'}`
      : `every log group of the account (${stringParam(e.requestParameters, 'scope') ?? 'scope not recorded'}${
          stringParam(e.requestParameters, 'selectionCriteria') === undefined
            ? ''
            : `, ${stringParam(e.requestParameters, 'selectionCriteria')}`
        })`;

export const rule = defineRule({
  id: 'logs.subscription-outside-organization',
  title: 'CloudWatch Logs streamed to an account outside the organisation',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.15', 'A.8.3'],
  mitre: ['T1537'],
  on: { source: 'logs', eventNames: ['PutSubscriptionFilter', 'PutAccountPolicy', 'CreateDelivery'] },
  // No approved-process exemption: a deploy forwards logs to the organisation's own log archive, never elsewhere.
  match: (e, ctx) => isSuccess(e) && !isServiceInvoked(e) && isSubscription(e) && leaves(e, ctx),
  explain: (e) => {
    const arn = destinationOf(e);
    const account = destinationAccount(e);
    return [
      `${actorArn(e)} subscribed ${source(e)} to ${arn ?? '(destination not recorded)'}`,
      account === undefined
        ? 'the record names no destination account, so it is treated as outside the organisation'
        : `destination account ${account} is neither this account nor in organization.accounts`,
    ];
  },
  resources: (e) => {
    const arn = destinationOf(e);
    return arn === undefined ? [] : [arn];
  },
  dedup: { key: (e) => `${accountOf(e)}|${destinationOf(e) ?? 'unknown'}`, windowSeconds: 3600 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A CloudWatch Logs subscription now streams log events to a destination in an account that is neither this ' +
    "account nor in organization.accounts: a log group's subscription filter (PutSubscriptionFilter), an " +
    'account-wide subscription filter policy (PutAccountPolicy, SUBSCRIPTION_FILTER_POLICY), or a vended-logs ' +
    'delivery (CreateDelivery) to a delivery destination of another account. Every matching event, ' +
    'from then on, is copied out in real time: CloudTrail, VPC flow logs, application logs with their tokens.',
  runbook: [
    'Remove the subscription: `aws logs delete-subscription-filter --log-group-name <group> --filter-name <name>` ' +
      'or `aws logs delete-account-policy --policy-name <name> --policy-type SUBSCRIPTION_FILTER_POLICY`, or ' +
      '`aws logs delete-delivery --id <delivery-id>` (`aws logs describe-deliveries` lists them).',
    'Identify the destination account; an unknown account means the logs since the call have left: read what the ' +
      'groups carry (secrets in application logs, personal data) and treat it as disclosed.',
    "Review the actor's other calls and deny logs:PutSubscriptionFilter, logs:PutAccountPolicy and " +
      'logs:CreateDelivery by SCP except ' +
      'for the log-archive pipeline role.',
  ],
  rationale:
    'Turbot tailpipe flags subscription filters redirected to another account; Trailwarden judges the destination ' +
    'ARN the record carries (cross-account delivery always goes through a logical destination in the receiving ' +
    'account) against the same organisation the S3, KMS and DynamoDB rules use. Streaming logs out is both ' +
    'exfiltration (T1537) and a copy an attacker can read to watch the response: high, critical on high-criticality ' +
    'accounts. A record without a readable destination fails closed. Destinations inside the organisation (a ' +
    'central log archive) are routine and not findings.',
  falsePositives: [
    'A SIEM or log vendor that receives logs through a destination in its own AWS account: suppress the rule for ' +
      'that destination ARN with a dated reason (do not add the vendor to organization.accounts).',
  ],
  cases: () => [
    {
      name: 'log group subscribed to a destination of an outside account',
      expect: 'match',
      event: fixture('logs/PutSubscriptionFilter'),
      config: ORGANIZATION,
    },
    {
      name: 'account-wide subscription filter policy to an outside destination',
      expect: 'match',
      event: fixture('logs/PutAccountPolicy-subscription'),
      config: ORGANIZATION,
    },
    {
      name: 'vended logs delivered to a delivery destination of an outside account (CreateDelivery)',
      expect: 'match',
      event: fixture('logs/PutSubscriptionFilter', {
        eventName: 'CreateDelivery',
        requestParameters: {
          logGroupName: undefined,
          filterName: undefined,
          filterPattern: undefined,
          destinationArn: undefined,
          deliverySourceName: 'cloudfront-access-logs',
          deliveryDestinationArn: 'arn:aws:logs:eu-west-1:999988887777:delivery-destination:collector',
        },
      }),
      config: ORGANIZATION,
    },
    {
      name: 'vended logs delivered inside the organisation',
      expect: 'no-match',
      event: fixture('logs/PutSubscriptionFilter', {
        eventName: 'CreateDelivery',
        requestParameters: {
          destinationArn: undefined,
          deliverySourceName: 'cloudfront-access-logs',
          deliveryDestinationArn: 'arn:aws:logs:eu-west-1:444455556666:delivery-destination:archive',
        },
      }),
      config: ORGANIZATION,
    },
    {
      name: 'destination not recorded (fails closed)',
      expect: 'match',
      event: fixture('logs/PutSubscriptionFilter', { requestParameters: { destinationArn: undefined } }),
      config: ORGANIZATION,
    },
    {
      name: 'policy document that is not JSON (fails closed)',
      expect: 'match',
      event: fixture('logs/PutAccountPolicy-subscription', { requestParameters: { policyDocument: '{"Destination' } }),
      config: ORGANIZATION,
    },
    {
      name: 'subscribed to the organisation log archive',
      expect: 'no-match',
      event: fixture('logs/PutSubscriptionFilter', {
        requestParameters: { destinationArn: 'arn:aws:logs:eu-west-1:444455556666:destination:log-archive' },
      }),
      config: ORGANIZATION,
    },
    {
      name: 'same-account Kinesis stream',
      expect: 'no-match',
      event: fixture('logs/PutSubscriptionFilter', {
        requestParameters: { destinationArn: 'arn:aws:kinesis:eu-west-1:111122223333:stream/audit' },
      }),
    },
    {
      name: 'account policy of another type (data protection)',
      expect: 'no-match',
      event: fixture('logs/PutAccountPolicy-subscription', {
        requestParameters: { policyType: 'DATA_PROTECTION_POLICY', policyDocument: '{"Name":"mask"}' },
      }),
      config: ORGANIZATION,
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture('logs/PutSubscriptionFilter', denied('AccessDeniedException', 'logs:PutSubscriptionFilter')),
      config: ORGANIZATION,
    },
  ],
};
