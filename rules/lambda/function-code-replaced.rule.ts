import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isServiceInvoked, isSuccess, stringParam } from '../core/cloudtrail.ts';
import type { DetectionConfig } from '../core/config.ts';
import { defineRule } from '../core/define-rule.ts';
import { deletionReasons, isUnapprovedDeletion } from '../core/destruction.ts';
import { functionNameOf, outsideLayers, requestedLayers } from '../core/software.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

// Lambda's CloudTrail event names carry the API version the call was made through.
const CODE_EVENTS = ['UpdateFunctionCode20150331v2', 'UpdateFunctionCode20150331', 'UpdateFunctionCode'] as const;
const CONFIGURATION_EVENTS = ['UpdateFunctionConfiguration20150331v2', 'UpdateFunctionConfiguration20150331'] as const;

/**
 * A configuration change replaces code when it sets layers: a layer (or the extension it carries) runs inside the
 * function with its role, before the handler (Stratus lambda-layer-extension). Only the request says what the call
 * set; the layers in the response are the function's, changed or not. Layers from outside the organisation are
 * lambda.layer-outside-organization's, so one call is one finding.
 */
const replacesCode = (e: CloudTrailRecord, config: DetectionConfig): boolean =>
  !e.eventName.startsWith('UpdateFunctionConfiguration') ||
  (requestedLayers(e).length > 0 && outsideLayers(e, config).length === 0);

const changed = (e: CloudTrailRecord): string =>
  e.eventName.startsWith('UpdateFunctionConfiguration')
    ? `layers set: ${requestedLayers(e).join(', ')}`
    : `new code (sha256 ${stringParam(e.responseElements, 'codeSha256') ?? '?'})`;

const arnOf = (e: CloudTrailRecord): string => {
  const returned = stringParam(e.responseElements, 'functionArn');
  const name = functionNameOf(e);
  return returned ?? (name.startsWith('arn:') ? name : resourceArn(e, 'lambda', `function:${name}`));
};

export const rule = defineRule({
  id: 'lambda.function-code-replaced',
  title: 'Lambda function code or layers replaced outside the approved process',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.9', 'A.8.19'],
  mitre: ['T1525', 'T1648'],
  on: { source: 'lambda', eventNames: [...CODE_EVENTS, ...CONFIGURATION_EVENTS] },
  // Trailwarden's own functions have their critical tampering rule; they are not doubled here.
  match: (e, ctx) =>
    isSuccess(e) &&
    !isServiceInvoked(e) &&
    replacesCode(e, ctx.config) &&
    isUnapprovedDeletion(e, ctx.config, [functionNameOf(e), arnOf(e)]),
  explain: (e, ctx) => [
    `${changed(e)}; runs with role ${stringParam(e.responseElements, 'role') ?? '?'}`,
    ...deletionReasons(e, ctx.config),
  ],
  resources: (e) => [arnOf(e)],
  dedup: { key: (e) => `${accountOf(e)}|${functionNameOf(e)}`, windowSeconds: 3600 },
});

const OWN_LAYER = 'arn:aws:lambda:eu-west-1:111122223333:layer:shared-utils:8';

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'The code of a Lambda function was replaced (UpdateFunctionCode), or layers were set on it ' +
    '(UpdateFunctionConfiguration with layers), by someone outside the approved process: their code now runs with ' +
    "the function's role on every invocation (Stratus Red Team lambda-overwrite-code, lambda-layer-extension).",
  runbook: [
    "Download what runs now: `aws lambda get-function --function-name <name> --query Code.Location` and compare its sha256 with the pipeline's last artefact.",
    "If it is not a release, redeploy the function from the pipeline and review the role's calls since the change.",
    'Restrict lambda:UpdateFunctionCode to the deploy role (SCP or permission boundary).',
  ],
  rationale:
    'Production code changes go through the pipeline; a hand upload is either a hotfix or an implant, and ' +
    'CloudTrail cannot tell them apart. A layer is code too: an extension in a layer of the same account runs ' +
    'beside the handler and sees every request (Stratus lambda-layer-extension, Panther ' +
    'AWS.Lambda.UpdateFunctionConfiguration); layers from outside the organisation are ' +
    "lambda.layer-outside-organization's. Only the request says what a configuration call set: layers listed only " +
    'in the response were already there. Medium, high on high-criticality assets; repeats on one function fold ' +
    'for an hour.',
  falsePositives: [
    'Emergency hotfixes uploaded by hand; functions in sandbox accounts (set their criticality to low or suppress the account).',
  ],
  cases: () => [
    { name: 'code uploaded from a laptop', expect: 'match', event: fixture('lambda/UpdateFunctionCode20150331v2') },
    {
      name: 'code uploaded by an IAM Identity Center user (Panther)',
      expect: 'match',
      event: fixture('lambda/UpdateFunctionCode20150331v2-panther-sso'),
    },
    {
      name: 'a layer of the own account set on the function by hand (Stratus lambda-layer-extension)',
      expect: 'match',
      event: fixture('lambda/UpdateFunctionConfiguration20150331v2', {
        requestParameters: { layers: [OWN_LAYER] },
      }),
    },
    {
      name: 'layers set through the older API version',
      expect: 'match',
      event: fixture('lambda/UpdateFunctionConfiguration20150331v2', {
        eventName: 'UpdateFunctionConfiguration20150331',
        requestParameters: { layers: [OWN_LAYER] },
      }),
    },
    {
      name: 'a configuration change that sets no layers (the function keeps the ones it had)',
      expect: 'no-match',
      event: fixture('lambda/UpdateFunctionConfiguration20150331v2-panther-iam-user-layers'),
    },
    {
      name: 'layers removed',
      expect: 'no-match',
      event: fixture('lambda/UpdateFunctionConfiguration20150331v2', { requestParameters: { layers: [] } }),
    },
    {
      name: 'a layer from outside the organisation (lambda.layer-outside-organization reports it)',
      expect: 'no-match',
      event: fixture('lambda/UpdateFunctionConfiguration20150331v2'),
      config: { organization: { accounts: ['111122223333', '444455556666'] } },
    },
    {
      name: 'the pipeline sets the layers',
      expect: 'no-match',
      event: fixture('lambda/UpdateFunctionConfiguration20150331v2', {
        ...BY_APPROVED_DEPLOY,
        requestParameters: { layers: [OWN_LAYER] },
      }),
      config: { approved: APPROVED_DEPLOYS },
    },
    {
      name: 'the pipeline deploys',
      expect: 'no-match',
      event: fixture('lambda/UpdateFunctionCode20150331v2', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture(
        'lambda/UpdateFunctionCode20150331v2',
        denied('AccessDeniedException', 'lambda:UpdateFunctionCode'),
      ),
    },
    {
      name: "Trailwarden's own function (its tampering rule reports it)",
      expect: 'no-match',
      event: fixture('lambda/UpdateFunctionCode20150331v2-trailwarden'),
      config: {
        selfProtection: { resources: ['Trailwarden-*'], deployRoles: ['arn:aws:iam::111122223333:role/deploy-role'] },
      },
    },
  ],
};
