import { resourceArn } from '../core/arn.ts';
import { accountOf, isSuccess, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { functionNameOf, outsideLayers } from '../core/software.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

// Lambda's CloudTrail event names carry the API version the call was made through.
const EVENTS = [
  'CreateFunction20150331',
  'UpdateFunctionConfiguration20150331v2',
  'UpdateFunctionConfiguration20150331',
] as const;

const ORG = { accounts: ['111122223333', '444455556666'] };
const VENDOR_LAYER = 'arn:aws:lambda:eu-west-1:999988887777:layer:perf-agent:12';

export const rule = defineRule({
  id: 'lambda.layer-outside-organization',
  title: 'Lambda function given a layer published outside the organisation',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.19', 'A.5.23'],
  mitre: ['T1195', 'T1648'],
  on: { source: 'lambda', eventNames: EVENTS },
  match: (e, ctx) => isSuccess(e) && outsideLayers(e, ctx.config).length > 0,
  explain: (e, ctx) =>
    outsideLayers(e, ctx.config).map(
      (arn) => `layer ${arn} is published by an account outside the organisation and software.approvedLayerAccounts`,
    ),
  resources: (e) => {
    const returned = stringParam(e.responseElements, 'functionArn');
    const name = functionNameOf(e);
    return [returned ?? (name.startsWith('arn:') ? name : resourceArn(e, 'lambda', `function:${name}`))];
  },
  dedup: { key: (e) => `${accountOf(e)}|${functionNameOf(e)}`, windowSeconds: 86_400 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A Lambda function was created or reconfigured with a layer whose ARN names an account that is neither the ' +
    "function's own, a member of organization.accounts, nor listed in software.approvedLayerAccounts: code from " +
    'outside runs inside the function with its role.',
  runbook: [
    'Identify the layer publisher (the account in the layer ARN) and what the layer contains (`aws lambda get-layer-version-by-arn`).',
    'If it is a known vendor extension, add its account to software.approvedLayerAccounts.',
    "Otherwise remove the layer (`aws lambda update-function-configuration --layers …`) and review the function's recent invocations and role use.",
  ],
  rationale:
    'A layer is code executed with the function role: a public layer from an unknown account is a supply-chain ' +
    'implant (Stratus Red Team and Pacu both add layers for persistence). Medium, high on high-criticality accounts.',
  falsePositives: [
    'Vendor extensions (monitoring agents, AWS Parameters and Secrets extension, Lambda Insights) until their publisher accounts are listed.',
  ],
  cases: () => [
    {
      name: 'vendor layer from an unlisted account added',
      expect: 'match',
      event: fixture('lambda/UpdateFunctionConfiguration20150331v2'),
      config: { organization: ORG },
    },
    {
      name: 'function created with a layer from an outside account',
      expect: 'match',
      event: fixture('lambda/CreateFunction20150331', { requestParameters: { layers: [VENDOR_LAYER] } }),
      config: { organization: ORG },
    },
    {
      name: 'layers of the own account only',
      expect: 'no-match',
      event: fixture('lambda/CreateFunction20150331'),
      config: { organization: ORG },
    },
    {
      name: 'vendor account approved',
      expect: 'no-match',
      event: fixture('lambda/UpdateFunctionConfiguration20150331v2'),
      config: { organization: ORG, software: { approvedImages: [], approvedLayerAccounts: ['999988887777'] } },
    },
    {
      name: 'layer from another organisation member',
      expect: 'no-match',
      event: fixture('lambda/UpdateFunctionConfiguration20150331v2', {
        requestParameters: { layers: ['arn:aws:lambda:eu-west-1:444455556666:layer:shared-auth:3'] },
      }),
      config: { organization: ORG },
    },
    {
      name: 'denied update',
      expect: 'no-match',
      event: fixture('lambda/UpdateFunctionConfiguration20150331v2', {
        errorCode: 'AccessDeniedException',
        errorMessage: 'User is not authorized to perform: lambda:GetLayerVersion',
        responseElements: null,
      }),
      config: { organization: ORG },
    },
  ],
};
