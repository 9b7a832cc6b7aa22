import { parseArn, resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord, JsonObject } from '../core/cloudtrail.ts';
import {
  accountOf,
  actorArn,
  isJsonObject,
  isServiceInvoked,
  isSuccess,
  param,
  stringParam,
} from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { isOutsideOrganization } from '../core/resource-policy.ts';
import type { RuleContext, RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { denied } from '../fixtures/overrides.ts';

const ORGANIZATION = { organization: { id: 'o-exampleorgid', accounts: ['111122223333', '444455556666'] } };

/** The ids EventBridge refused (`failedEntries[].targetId`): those targets were not added. */
const refusedIds = (e: CloudTrailRecord): Set<string> => {
  const failed = param(e.responseElements, 'failedEntries');
  return new Set(
    (Array.isArray(failed) ? failed : []).flatMap((f) =>
      isJsonObject(f) && typeof f.targetId === 'string' ? [f.targetId] : [],
    ),
  );
};

/** The targets the call added, without the refused ones; undefined when the record carries no target list. */
const addedTargets = (e: CloudTrailRecord): JsonObject[] | undefined => {
  const targets = param(e.requestParameters, 'targets');
  if (!Array.isArray(targets)) return undefined;
  const refused = refusedIds(e);
  return targets.filter(isJsonObject).filter((t) => typeof t.id !== 'string' || !refused.has(t.id));
};

/** Target ARNs in accounts outside the organisation (another account's bus, queue, topic or function). */
const outsideTargets = (e: CloudTrailRecord, ctx: RuleContext): string[] | undefined =>
  addedTargets(e)?.flatMap((t) => {
    const arn = typeof t.arn === 'string' ? t.arn : undefined;
    const account = arn === undefined ? undefined : parseArn(arn)?.account;
    if (arn === undefined || account === undefined || account === '' || account === 'aws') return [];
    return isOutsideOrganization(account, accountOf(e), ctx.config.organization) ? [arn] : [];
  });

const ruleArnOf = (e: CloudTrailRecord): string => {
  const bus = stringParam(e.requestParameters, 'eventBusName');
  const name = stringParam(e.requestParameters, 'rule') ?? 'unknown-rule';
  return bus === undefined || bus === 'default' || bus.startsWith('arn:')
    ? resourceArn(e, 'events', `rule/${name}`)
    : resourceArn(e, 'events', `rule/${bus}/${name}`);
};

export const rule = defineRule({
  id: 'events.target-outside-organization',
  title: 'EventBridge rule sending events to an account outside the organisation',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.3', 'A.5.23'],
  mitre: ['T1537'],
  on: { source: 'events', eventNames: ['PutTargets'] },
  // No approved-process exemption: the deploy sends events to the organisation's own buses, never elsewhere.
  match: (e, ctx) => {
    if (!isSuccess(e) || isServiceInvoked(e)) return false;
    const outside = outsideTargets(e, ctx);
    return outside === undefined || outside.length > 0;
  },
  explain: (e, ctx) => {
    const outside = outsideTargets(e, ctx);
    return [
      outside === undefined
        ? `${actorArn(e)} set targets on ${ruleArnOf(e)}; the record lists none, so they are treated as outside the organisation`
        : `${actorArn(e)} made ${ruleArnOf(e)} send matching events to ${outside.join(', ')}, outside organization.accounts`,
    ];
  },
  resources: (e) => [ruleArnOf(e)],
  dedup: { key: (e) => ruleArnOf(e), windowSeconds: 3600 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An EventBridge rule was given a target (PutTargets) in an account that is neither this account nor in ' +
    "organization.accounts: another account's event bus, queue, topic or function. Every event the rule matches, " +
    'CloudTrail management events included, is then copied to that account as it happens.',
  runbook: [
    'Remove the target: `aws events remove-targets --rule <rule> [--event-bus-name <bus>] --ids <target-id>`, and read ' +
      'the rule pattern (`aws events describe-rule`) to know what was sent.',
    'An unknown receiving account has had every matching event since the call: treat their contents (caller ' +
      'identities, resource names, request parameters) as disclosed.',
    "Review the actor's other calls and deny events:PutTargets to foreign ARNs by SCP (condition on " +
      'events:TargetArn) except for the event-routing pipeline role.',
  ],
  rationale:
    'Real-time event forwarding to a foreign bus is how an attacker watches the response from outside (the events ' +
    'say who is investigating) and exfiltrates the audit stream (T1537); the target ARN names its account, judged ' +
    'against the same organisation as the logs, S3 and KMS rules. High, critical on high-criticality accounts. ' +
    'Targets refused in failedEntries are not counted; a record without a target list fails closed. Forwarding to ' +
    'buses of member accounts (a central security account) is routine and not a finding.',
  falsePositives: [
    "A SaaS partner's event bus (a monitoring vendor): suppress the rule for that rule ARN with a dated reason.",
  ],
  cases: () => [
    {
      name: 'rule sends events to the bus of an outside account',
      expect: 'match',
      event: fixture('events/PutTargets-outside-bus'),
      config: ORGANIZATION,
    },
    {
      name: 'an outside queue beside a member-account bus',
      expect: 'match',
      event: fixture('events/PutTargets-outside-bus', {
        requestParameters: {
          targets: [
            { id: 'central', arn: 'arn:aws:events:eu-west-1:444455556666:event-bus/security' },
            { id: 'drop', arn: 'arn:aws:sqs:eu-west-1:999988887777:collector' },
          ],
        },
      }),
      config: ORGANIZATION,
    },
    {
      name: 'target list not recorded (fails closed)',
      expect: 'match',
      event: fixture('events/PutTargets-outside-bus', { requestParameters: { targets: undefined } }),
      config: ORGANIZATION,
    },
    {
      name: 'forwarded to the security account of the organisation',
      expect: 'no-match',
      event: fixture('events/PutTargets-outside-bus', {
        requestParameters: {
          targets: [{ id: 'central', arn: 'arn:aws:events:eu-west-1:444455556666:event-bus/security' }],
        },
      }),
      config: ORGANIZATION,
    },
    {
      name: 'the outside target was refused (failedEntries)',
      expect: 'no-match',
      event: fixture('events/PutTargets-outside-bus', {
        responseElements: {
          failedEntryCount: 1,
          failedEntries: [{ targetId: 'copy-to-partner', errorCode: 'AccessDeniedException' }],
        },
      }),
      config: ORGANIZATION,
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture('events/PutTargets-outside-bus', denied('AccessDeniedException', 'events:PutTargets')),
      config: ORGANIZATION,
    },
  ],
};
