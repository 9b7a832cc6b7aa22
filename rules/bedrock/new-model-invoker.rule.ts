import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isSuccess, principalArn, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { HistoryView } from '../core/history.ts';
import { isNewAfterLearning } from '../core/history.ts';
import { dailyBefore } from '../core/prepare.ts';
import type { RuleDocs } from '../core/types.ts';
import { rememberedValues } from '../fixtures/history.ts';
import { fixture } from '../fixtures/index.ts';

/** An account whose Bedrock use has been watched this long knows its invokers; a new one then means something. */
export const LEARNING_DAYS = 14;
/** Invokers are remembered this long: a quarterly batch job still counts as known. */
export const REMEMBER_DAYS = 90;

/** The invoker: the role behind a session (sessions change every hour), else the user. */
const invokerOf = (e: CloudTrailRecord): string => principalArn(e);

/**
 * New to this account's model use: after the learning period, an invoker not remembered; or the first invocation
 * the account ever made (as far as memory goes), which is the LLMjacking case of an account that never used Bedrock.
 */
const isNewInvoker = (invoker: string, atMs: number, history: HistoryView | undefined): boolean => {
  if (history === undefined) return false;
  if (history.first === null) return true;
  return isNewAfterLearning(invoker, atMs, history, LEARNING_DAYS);
};

/** Memory as of the fixture's time: `names` invoked the account's models since `firstDaysAgo`. */
const known = (firstDaysAgo: number, names: readonly string[]) =>
  rememberedValues(Date.parse('2026-11-02T19:20:37Z'), firstDaysAgo, names);
const APP_ROLE = 'arn:aws:iam::111122223333:role/chat-backend';

export const rule = defineRule({
  id: 'bedrock.new-model-invoker',
  title: 'Bedrock model invoked by an identity new to the account',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.5.23', 'A.8.16'],
  mitre: ['T1496'],
  // Inference calls are read-only management events: routed like the others, no data events needed. Memory is
  // per account and holds each invoker once: a busy application costs a history read per batch and a write only
  // when an invoker is new (or its last sighting moves by about a day), never one per invocation.
  on: {
    source: 'bedrock',
    eventNames: ['InvokeModel', 'InvokeModelWithResponseStream', 'Converse', 'ConverseStream'],
  },
  history: {
    key: (e) => accountOf(e),
    // Refused calls teach nothing: the identity has not used a model yet.
    remember: (e) => (isSuccess(e) ? invokerOf(e) : undefined),
    retainSeconds: REMEMBER_DAYS * 86_400,
    distinctValues: true,
    // Only an invoker new to the account matches (`isNewInvoker`): a scan drops an application's repeats early.
    onlyNewValues: true,
  },
  match: (e, ctx) => isSuccess(e) && isNewInvoker(invokerOf(e), Date.parse(e.eventTime), ctx.history),
  explain: (e, ctx) => {
    const known = ctx.history?.sightings.map((s) => s.v) ?? [];
    return [
      `${invokerOf(e)} invoked ${stringParam(e.requestParameters, 'modelId') ?? 'a model'} (${e.eventName}) in ${e.awsRegion} from ${e.sourceIPAddress ?? 'unknown'}`,
      ctx.history?.first === null
        ? 'the first model invocation remembered for this account'
        : `identities that invoked models here in the last ${REMEMBER_DAYS} days: ${known.join(', ') || 'none'}`,
    ];
  },
  resources: (e) => [invokerOf(e)],
  dedup: { key: (e) => `${accountOf(e)}|${invokerOf(e)}`, windowSeconds: 86_400 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  // Plain literals: a template literal here would keep `docs` in the Lambda bundle.
  description:
    'A Bedrock model was invoked (InvokeModel, Converse and their streaming forms) by an identity that has not ' +
    'invoked one in this account in the last 90 days, after 14 days of learning; or it is the first invocation ' +
    'remembered for the account at all. LLMjacking: stolen credentials used to run, or resell, inference.',
  runbook: [
    'Ask the owner of the identity whether it runs a model workload; a CI user, an old access key or a role of an unrelated application has been stolen.',
    'If not legitimate: revoke its credentials, then look at its other Bedrock calls (model access agreements, ListFoundationModels across regions) and at the account bill for Bedrock usage.',
    'Where Bedrock is not used, deny bedrock:InvokeModel* by SCP.',
  ],
  rationale:
    'Stratus aws.impact.bedrock-invoke-model and Sigma aws_bedrock_model_invocation_by_unauthorized_identity: ' +
    'the attack is an ordinary call by the wrong identity, so only memory tells it apart. Inference calls are ' +
    'logged as read-only management events (bedrock.amazonaws.com, modelId in the request) and reach EventBridge ' +
    'with the other management events. Memory per account, one entry per invoker: learning 14 days, kept 90. ' +
    'The first invocation an account ever makes fires too, since LLMjacking favours accounts that never used ' +
    'Bedrock; right after deployment that is one finding per account that already does. Medium, high on ' +
    'high-criticality accounts.',
  falsePositives: [
    'A new application or role starting to use Bedrock: expected once per identity.',
    'The first invocation seen in each Bedrock-using account after Trailwarden is deployed.',
  ],
  cases: () => [
    {
      name: 'Stratus: the first model invocation of an account',
      expect: 'match',
      event: fixture('bedrock/InvokeModel'),
    },
    {
      name: 'an IAM user invokes a model where only the application role did',
      expect: 'match',
      event: fixture('bedrock/InvokeModel'),
      history: known(30, [APP_ROLE]),
    },
    {
      name: 'drill: the application role invoked daily for 14 days, then a stolen key',
      expect: 'match',
      event: fixture('bedrock/InvokeModel', { eventName: 'Converse' }),
      prepare: dailyBefore(
        LEARNING_DAYS,
        fixture('bedrock/InvokeModel', {
          userIdentity: {
            type: 'AssumedRole',
            principalId: 'AROAEXAMPLECHATBACK:i-0abc1234def567890',
            arn: 'arn:aws:sts::111122223333:assumed-role/chat-backend/i-0abc1234def567890',
            accessKeyId: 'ASIAIOSFODNN7EXAMPLE',
            userName: undefined,
            sessionContext: {
              sessionIssuer: {
                type: 'Role',
                principalId: 'AROAEXAMPLECHATBACK',
                arn: APP_ROLE,
                accountId: '111122223333',
                userName: 'chat-backend',
              },
            },
          },
        }),
      ),
    },
    {
      name: 'a known invoker',
      expect: 'no-match',
      event: fixture('bedrock/InvokeModel'),
      history: known(30, [APP_ROLE, 'arn:aws:iam::111122223333:user/ci-deployer']),
    },
    {
      name: 'still learning the account',
      expect: 'no-match',
      event: fixture('bedrock/InvokeModel'),
      history: known(3, [APP_ROLE]),
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture('bedrock/InvokeModel', {
        errorCode: 'AccessDeniedException',
        errorMessage:
          'User: arn:aws:iam::111122223333:user/ci-deployer is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-v2',
      }),
    },
  ],
};
