import { resourceArn } from '../core/arn.ts';
import { accountOf, isSuccess, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { deprecatedSince, functionNameOf, requestedRuntime } from '../core/software.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

// Lambda's CloudTrail event names carry the API version the call was made through.
const EVENTS = [
  'CreateFunction20150331',
  'UpdateFunctionConfiguration20150331v2',
  'UpdateFunctionConfiguration20150331',
] as const;

const functionArn = (e: Parameters<typeof functionNameOf>[0]): string => {
  const returned = stringParam(e.responseElements, 'functionArn');
  if (returned !== undefined) return returned;
  const name = functionNameOf(e);
  return name.startsWith('arn:') ? name : resourceArn(e, 'lambda', `function:${name}`);
};

export const rule = defineRule({
  id: 'lambda.deprecated-runtime',
  title: 'Lambda function created or updated with a deprecated runtime',
  severity: 'medium',
  controls: ['A.8.19', 'A.8.8'],
  mitre: ['T1648'],
  on: { source: 'lambda', eventNames: EVENTS },
  // Only a call that sets the runtime is judged: an update of the timeout leaves an old runtime where it was.
  match: (e) => {
    const runtime = requestedRuntime(e);
    return isSuccess(e) && runtime !== undefined && deprecatedSince(runtime, Date.parse(e.eventTime)) !== undefined;
  },
  explain: (e) => {
    const runtime = requestedRuntime(e) ?? 'unknown';
    return [
      `runtime ${runtime} deprecated by AWS Lambda on ${deprecatedSince(runtime, Date.parse(e.eventTime)) ?? 'an unknown date'}`,
    ];
  },
  resources: (e) => [functionArn(e)],
  dedup: { key: (e) => `${accountOf(e)}|${functionNameOf(e)}|${requestedRuntime(e) ?? ''}`, windowSeconds: 86_400 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A Lambda function was created (CreateFunction) or reconfigured (UpdateFunctionConfiguration) with a runtime ' +
    'AWS had already deprecated on the date of the call: it gets no more security patches.',
  runbook: [
    'Ask the owner why a deprecated runtime was chosen; plan the upgrade to a supported runtime.',
    'If the function was created by someone outside the deploy pipeline, review its code and role (`aws lambda get-function`).',
  ],
  rationale:
    'Unsupported software is unapproved software (A.8.19) and an unpatched vulnerability (A.8.8). The deprecation ' +
    'dates are data (DEPRECATED_RUNTIMES in rules/core/software.ts, from the Lambda documentation) compared with ' +
    "the event's own time, so a replay of old logs judges a call by what was true then. Medium: no exposure on its own.",
  falsePositives: ['A short-lived migration that pins an old runtime on purpose (suppress with a dated reason).'],
  cases: () => [
    {
      name: 'function created with python3.8 (deprecated 2024-10-14)',
      expect: 'match',
      event: fixture('lambda/CreateFunction20150331'),
    },
    {
      name: 'configuration updated to nodejs16.x',
      expect: 'match',
      event: fixture('lambda/UpdateFunctionConfiguration20150331v2', { requestParameters: { runtime: 'nodejs16.x' } }),
    },
    {
      name: 'function created with a supported runtime',
      expect: 'no-match',
      event: fixture('lambda/CreateFunction20150331', {
        requestParameters: { runtime: 'python3.12' },
        responseElements: { runtime: 'python3.12' },
      }),
    },
    {
      name: 'python3.8 before its deprecation date (a replay of 2023 logs)',
      expect: 'no-match',
      event: fixture('lambda/CreateFunction20150331', { eventTime: '2023-06-01T10:00:00Z' }),
    },
    {
      name: 'update that does not set the runtime',
      expect: 'no-match',
      event: fixture('lambda/UpdateFunctionConfiguration20150331v2'),
    },
    {
      name: 'denied creation',
      expect: 'no-match',
      event: fixture('lambda/CreateFunction20150331', {
        errorCode: 'AccessDenied',
        errorMessage: 'User is not authorized to perform: lambda:CreateFunction',
        responseElements: null,
      }),
    },
  ],
};
