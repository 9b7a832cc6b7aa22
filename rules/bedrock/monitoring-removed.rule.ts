import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { accountOf, isServiceInvoked, isSuccess, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

export const rule = defineRule({
  id: 'bedrock.monitoring-removed',
  title: 'Bedrock model invocation logging or a guardrail deleted',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.15', 'A.8.16'],
  mitre: ['T1562.008', 'T1562.001'],
  on: { source: 'bedrock', eventNames: ['DeleteModelInvocationLoggingConfiguration', 'DeleteGuardrail'] },
  match: (e, ctx) => isSuccess(e) && !isServiceInvoked(e) && isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [
    e.eventName === 'DeleteGuardrail'
      ? `guardrail ${stringParam(e.requestParameters, 'guardrailIdentifier') ?? '?'} deleted`
      : `model invocation logging deleted in ${e.awsRegion}: prompts and completions no longer recorded`,
    ...unapprovedReasons(e, ctx.config.approved),
  ],
  dedup: { key: (e) => `${accountOf(e)}|${e.awsRegion}|${e.eventName}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'Amazon Bedrock model invocation logging was deleted, or a guardrail removed, outside the approved process: ' +
    "the usual preparation for LLMjacking (invoking models on the victim's bill) or for abusing a model without " +
    'its content filters.',
  runbook: [
    'Restore logging: `aws bedrock put-model-invocation-logging-configuration --logging-config file://…` (from IaC) in the region of the finding.',
    'Look for InvokeModel / Converse activity by the same identity or from new networks since the change.',
    'If a guardrail was deleted, recreate it from IaC and re-attach it to the applications that used it.',
  ],
  rationale:
    'Both are rare administrative actions and both blind the only record of model use (Stratus Red Team ' +
    'bedrock-model-invocation-logging-delete and bedrock-guardrail-delete; Sigma). Medium, high on ' +
    'high-criticality accounts.',
  falsePositives: ['Tearing down a Bedrock sandbox: do it through the pipeline.'],
  cases: () => [
    {
      name: 'invocation logging deleted from the console',
      expect: 'match',
      event: fixture('bedrock/DeleteModelInvocationLoggingConfiguration'),
    },
    { name: 'guardrail deleted', expect: 'match', event: fixture('bedrock/DeleteGuardrail') },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture('bedrock/DeleteGuardrail', denied('AccessDeniedException', 'bedrock:DeleteGuardrail')),
    },
    {
      name: 'approved pipeline',
      expect: 'no-match',
      event: fixture('bedrock/DeleteGuardrail', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
  ],
};
