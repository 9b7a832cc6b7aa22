import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, param, principalArn, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { explainSelfTampering, isSelfTampering } from '../core/self-protection.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_DEPLOY_ROLE, SELF_PROTECTION } from '../fixtures/self-protection.ts';

/**
 * Lambda's CloudTrail event names carry the API version the call was made through, and older versions are
 * still accepted: every variant AWS documents for these actions.
 */
const EVENT_NAMES = [
  'UpdateFunctionCode',
  'UpdateFunctionCode20150331',
  'UpdateFunctionCode20150331v2',
  'UpdateFunctionConfiguration',
  'UpdateFunctionConfiguration20150331',
  'UpdateFunctionConfiguration20150331v2',
  'DeleteFunction',
  'DeleteFunction20150331',
  'RemovePermission20150331',
  'RemovePermission20150331v2',
  'PutFunctionConcurrency20171031',
  'DeleteEventSourceMapping20150331',
  'UpdateEventSourceMapping20150331',
] as const;

const isMapping = (e: CloudTrailRecord): boolean => e.eventName.includes('EventSourceMapping');

/**
 * The function a call names: `functionName` is a name, a full ARN or a partial one (`<account>:function:<name>`),
 * each optionally qualified (`:<version|alias>`); mapping calls name it only in their response.
 */
const functionOf = (e: CloudTrailRecord): { name: string; arn: string } | undefined => {
  const raw = stringParam(e.requestParameters, 'functionName') ?? stringParam(e.responseElements, 'functionArn');
  if (raw === undefined) return undefined;
  const m = /^(?:arn:[^:]+:lambda:[^:]*:)?(?:(\d{12}):function:)?([^:]+)/.exec(raw);
  const name = m?.[2] ?? raw;
  return { name, arn: resourceArn(e, 'lambda', `function:${name}`, m?.[1] ?? accountOf(e)) };
};

/** The event source mapping's UUID (CloudTrail spells Lambda's `UUID` as `uUID`). */
const mappingId = (e: CloudTrailRecord): string | undefined =>
  stringParam(e.requestParameters, 'uUID') ?? stringParam(e.requestParameters, 'uuid');

/**
 * Names and ARNs to test: the function's, and for a mapping also its queue (Trailwarden's event queue) and its
 * UUID. A mapping call whose response is missing names no function and is judged by its queue alone.
 */
const candidates = (e: CloudTrailRecord): string[] => {
  const fn = functionOf(e);
  const out = fn ? [fn.name, fn.arn] : [];
  if (isMapping(e)) {
    const source = stringParam(e.responseElements, 'eventSourceArn');
    if (source !== undefined) out.push(source, source.slice(source.lastIndexOf(':') + 1));
    const id = mappingId(e);
    if (id !== undefined) out.push(id);
  }
  return out;
};

/** The function; for a mapping call also the mapping and its queue, any of which may be the Trailwarden one. */
const resourcesOf = (e: CloudTrailRecord): string[] => {
  const fn = functionOf(e)?.arn;
  if (!isMapping(e)) return [fn ?? resourceArn(e, 'lambda', 'function:unknown-function')];
  const mapping =
    stringParam(e.responseElements, 'eventSourceMappingArn') ??
    resourceArn(e, 'lambda', `event-source-mapping:${mappingId(e) ?? 'unknown'}`);
  const source = stringParam(e.responseElements, 'eventSourceArn');
  return [mapping, ...(fn === undefined ? [] : [fn]), ...(source === undefined ? [] : [source])];
};

/** What the call did to the pipeline, in the words an on-call engineer needs. */
const effect = (e: CloudTrailRecord): string[] => {
  if (e.eventName.startsWith('PutFunctionConcurrency')) {
    const n = param(e.requestParameters, 'reservedConcurrentExecutions');
    return n === 0
      ? ['reserved concurrency set to 0: the function is switched off and events pile up in the queue']
      : [`reserved concurrency set to ${String(n)}`];
  }
  if (isMapping(e) && param(e.requestParameters, 'enabled') === false) {
    return ['event source mapping disabled: the function no longer reads the event queue'];
  }
  if (e.eventName.startsWith('DeleteEventSourceMapping')) {
    return ['event source mapping deleted: the function no longer reads the event queue'];
  }
  return [];
};

const ORDERS = 'arn:aws:lambda:eu-west-1:111122223333:function:orders-webhook';

export const rule = defineRule({
  id: 'lambda.trailwarden-function-tampered',
  title: "Trailwarden's evaluate function changed, throttled or cut off from its queue",
  severity: 'critical',
  controls: ['A.8.16', 'A.8.15'],
  mitre: ['T1562.001'],
  on: { source: 'lambda', eventNames: EVENT_NAMES },
  match: (e, ctx) => isSelfTampering(e, candidates(e), ctx.config),
  explain: (e, ctx) => [...explainSelfTampering(e, candidates(e), ctx.config), ...effect(e)],
  resources: resourcesOf,
  dedup: { key: (e) => `${accountOf(e)}|${principalArn(e)}|${resourcesOf(e)[0] ?? ''}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    "Trailwarden's Lambda function had its code or configuration replaced, was deleted, throttled (reserved " +
    'concurrency; 0 switches it off), lost a resource permission, or its SQS event source mapping was disabled, ' +
    "changed or deleted, by someone other than Trailwarden's deploy role. New code can drop or forge findings; a " +
    'stopped function evaluates nothing while events expire in the queue.',
  runbook: [
    'Put the deployed version back: `npx cdk deploy Trailwarden` restores the code, configuration and event source mapping from source. Until then: `aws lambda delete-function-concurrency --function-name <fn>` lifts a throttle, `aws lambda update-event-source-mapping --uuid <uuid> --enabled` resumes the queue.',
    'Compare what ran with what was deployed: `aws lambda get-function --function-name <fn> --query Configuration.[CodeSha256,LastModified,Role,Environment]` against the CDK asset hash; keep a copy of any foreign code package (`Code.Location`) as evidence before redeploying.',
    'Measure the gap: the queue age and dead-letter queue (`aws sqs get-queue-attributes --queue-url <url> --attribute-names ApproximateNumberOfMessages ApproximateAgeOfOldestMessage`) and, for code changes, every finding the altered function produced or failed to produce. Replay the window with `trailwarden scan` over the CloudTrail log files.',
    "Treat the actor as compromised unless the change is explained: review their calls since the session began and rotate the credentials behind them. Changing the monitor's code is how an intruder hides everything that follows.",
    'Restrict `lambda:Update*`, `lambda:Delete*`, `lambda:PutFunctionConcurrency` and `lambda:RemovePermission` on `function:<StackName>-*` to the deploy role with an SCP or permissions boundary.',
  ],
  rationale:
    'Critical on a single call, without a threshold: the function is where detection happens, so changing or ' +
    'stopping it silences every rule at once (DESIGN §3, A.8.16). Any change by a principal other than the ' +
    'configured deploy roles matches, including a harmless-looking configuration edit: environment variables (the ' +
    'detection config and its suppressions) are not logged by CloudTrail, so the record cannot show what changed. ' +
    'Reserved concurrency of any value matches, 0 being the off switch. Every API-version variant of the event ' +
    'names is routed. Matches only when `detection.selfProtection` is configured.',
  falsePositives: [
    'Emergency fixes applied by hand or with `cdk deploy --hotswap` (which calls Lambda directly with the deploy role, not the CloudFormation execution role): redeploy normally, or add that role to `selfProtection.deployRoles` if hotswap is an accepted practice.',
    'An operator throttling the function during an incident: still page, since nothing is evaluated meanwhile.',
  ],
  cases: () => [
    {
      name: "alice replaces the function's code",
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('lambda/UpdateFunctionCode20150331v2-trailwarden'),
    },
    {
      name: 'code replaced through the older API version',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('lambda/UpdateFunctionCode20150331v2-trailwarden', { eventName: 'UpdateFunctionCode20150331' }),
    },
    {
      name: "bob cuts the function's timeout in the console",
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('lambda/UpdateFunctionConfiguration20150331v2-trailwarden'),
    },
    {
      name: 'the function deleted',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('lambda/DeleteFunction20150331-trailwarden'),
    },
    {
      name: 'the function switched off with reserved concurrency 0',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('lambda/PutFunctionConcurrency20171031-trailwarden'),
    },
    {
      name: 'a resource permission removed from the function',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('lambda/RemovePermission20150331v2-trailwarden'),
    },
    {
      name: 'the queue mapping deleted (the request names only its UUID)',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('lambda/DeleteEventSourceMapping20150331-trailwarden'),
    },
    {
      name: 'the queue mapping disabled in the console',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('lambda/UpdateEventSourceMapping20150331-trailwarden'),
    },
    {
      name: 'a mapping from the Trailwarden queue moved to another function',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('lambda/UpdateEventSourceMapping20150331-trailwarden', {
        requestParameters: { enabled: undefined, functionName: 'orders-webhook' },
        responseElements: { functionArn: ORDERS, state: 'Updating' },
      }),
    },
    {
      name: 'a qualified function ARN, with only an ARN glob configured (CloudTrail may log names or ARNs)',
      expect: 'match',
      config: {
        selfProtection: {
          resources: ['arn:aws:lambda:*:111122223333:function:Trailwarden-*'],
          deployRoles: SELF_PROTECTION.selfProtection.deployRoles,
        },
      },
      event: fixture('lambda/DeleteFunction20150331-trailwarden', {
        requestParameters: {
          functionName:
            'arn:aws:lambda:eu-west-1:111122223333:function:Trailwarden-PipelineEvaluateFunction0886DCF1-Ab3dE5fG7hJ9:$LATEST',
        },
      }),
    },
    {
      name: 'CloudFormation deploys new code during cdk deploy',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('lambda/UpdateFunctionCode20150331v2-trailwarden', BY_DEPLOY_ROLE),
    },
    {
      name: 'code change to a function that is not Trailwarden',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('lambda/UpdateFunctionCode20150331v2-trailwarden', {
        requestParameters: { functionName: 'orders-webhook' },
        responseElements: { functionName: 'orders-webhook', functionArn: ORDERS },
      }),
    },
    {
      name: 'a mapping between another function and another queue',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('lambda/DeleteEventSourceMapping20150331-trailwarden', {
        responseElements: { functionArn: ORDERS, eventSourceArn: 'arn:aws:sqs:eu-west-1:111122223333:orders-events' },
      }),
    },
    {
      name: 'UpdateFunctionCode denied',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('lambda/UpdateFunctionCode20150331v2-trailwarden', {
        errorCode: 'AccessDeniedException',
        errorMessage:
          'User: arn:aws:iam::111122223333:user/alice is not authorized to perform: lambda:UpdateFunctionCode on resource: arn:aws:lambda:eu-west-1:111122223333:function:Trailwarden-PipelineEvaluateFunction0886DCF1-Ab3dE5fG7hJ9 because no identity-based policy allows the lambda:UpdateFunctionCode action',
        responseElements: null,
      }),
    },
    {
      name: 'lifting a throttle (DeleteFunctionConcurrency) is the remedy',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('lambda/PutFunctionConcurrency20171031-trailwarden', {
        eventName: 'DeleteFunctionConcurrency20171031',
        requestParameters: { reservedConcurrentExecutions: undefined },
        responseElements: null,
      }),
    },
    {
      name: 'selfProtection not configured',
      expect: 'no-match',
      event: fixture('lambda/UpdateFunctionCode20150331v2-trailwarden'),
    },
  ],
};
