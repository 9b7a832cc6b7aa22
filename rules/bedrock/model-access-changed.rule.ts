import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { partitionOf } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, actorArn, isServiceInvoked, isSuccess, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

/** What each call opens: access to a model, or capacity billed by the hour, or a model trained on chosen data. */
const WHAT: Readonly<Record<string, string>> = {
  CreateFoundationModelAgreement: 'accepted a model provider agreement (model access)',
  PutFoundationModelEntitlement: 'enabled a foundation model (model access)',
  PutUseCaseForModelAccess: 'submitted the use-case form that unlocks model access',
  CreateModelCustomizationJob: 'started a model customisation (fine-tuning) job',
  CreateProvisionedModelThroughput: 'bought provisioned model throughput (billed by the hour)',
  UpdateProvisionedModelThroughput: 'changed provisioned model throughput',
};

const modelOf = (e: CloudTrailRecord): string | undefined =>
  stringParam(e.requestParameters, 'modelId') ?? stringParam(e.requestParameters, 'baseModelIdentifier');

/** The console uses session credentials; a long-lived key (AKIA) calling these console-first APIs is a script. */
const longLivedKey = (e: CloudTrailRecord): boolean => (e.userIdentity.accessKeyId ?? '').startsWith('AKIA');

export const rule = defineRule({
  id: 'bedrock.model-access-changed',
  title: 'Bedrock model access or capacity opened outside the approved process',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.5.23', 'A.8.2'],
  mitre: ['T1496', 'T1548'],
  on: { source: 'bedrock', eventNames: Object.keys(WHAT) },
  match: (e, ctx) => isSuccess(e) && !isServiceInvoked(e) && isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [
    `${actorArn(e)} ${WHAT[e.eventName] ?? e.eventName}${modelOf(e) === undefined ? '' : ` for ${modelOf(e)}`} in ${e.awsRegion}`,
    ...(longLivedKey(e)
      ? ['with a long-lived access key (AKIA…): a script, not the console these calls are made from']
      : []),
    ...unapprovedReasons(e, ctx.config.approved),
  ],
  resources: (e) => {
    const model = modelOf(e);
    return model === undefined || model.startsWith('arn:')
      ? model === undefined
        ? []
        : [model]
      : [`arn:${partitionOf(e.awsRegion)}:bedrock:${e.awsRegion}::foundation-model/${model}`];
  },
  dedup: { key: (e) => `${accountOf(e)}|${actorArn(e)}|${e.awsRegion}`, windowSeconds: 86_400 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'Someone outside the approved process opened Bedrock model access (CreateFoundationModelAgreement, ' +
    'PutFoundationModelEntitlement, PutUseCaseForModelAccess), started a fine-tuning job, or bought or changed ' +
    'provisioned throughput. These are the preparation steps of LLMjacking: stolen credentials enabling models ' +
    "to resell or run inference at the victim's cost.",
  runbook: [
    'Ask the caller and the account owner whether a generative-AI project asked for this model in this region.',
    "If not: revoke the caller's credentials, delete provisioned throughput and customisation jobs it created, and check for InvokeModel calls by the same principal (CloudTrail, event source bedrock.amazonaws.com).",
    "Where Bedrock is not used, deny bedrock:* by SCP; where it is, allow model access only to the platform team's role.",
  ],
  rationale:
    'LLMjacking campaigns (Sysdig, Permiso, Datadog, 2024-2025) enable models in accounts that never used Bedrock, ' +
    'often from long-lived keys (Sigma aws_cloudtrail_bedrock_*). Model access is a one-time decision per model ' +
    'and region, normally made by a platform team, so outside the approved process it is a finding: medium, high ' +
    'on high-criticality accounts; a long-lived key is named in the details.',
  falsePositives: [
    "A data-science team enabling a model from the console: route model access through the platform team's role, or suppress the account with a date.",
  ],
  cases: () => [
    {
      name: 'LLMjacking: a model agreement accepted with a long-lived key',
      expect: 'match',
      event: fixture('bedrock/CreateFoundationModelAgreement'),
    },
    {
      name: 'provisioned throughput bought from the console',
      expect: 'match',
      event: fixture('bedrock/DeleteModelInvocationLoggingConfiguration', {
        eventName: 'CreateProvisionedModelThroughput',
        requestParameters: { modelId: 'anthropic.claude-3-5-sonnet-20240620-v1:0', modelUnits: 1 },
      }),
    },
    {
      name: "the platform team's pipeline enables the model",
      expect: 'no-match',
      event: fixture('bedrock/CreateFoundationModelAgreement', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture(
        'bedrock/CreateFoundationModelAgreement',
        denied('AccessDeniedException', 'bedrock:CreateFoundationModelAgreement'),
      ),
    },
  ],
};
