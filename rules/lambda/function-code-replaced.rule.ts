import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isServiceInvoked, isSuccess, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { deletionReasons, isUnapprovedDeletion } from '../core/destruction.ts';
import { functionNameOf } from '../core/software.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

// Lambda's CloudTrail event names carry the API version the call was made through.
const EVENTS = ['UpdateFunctionCode20150331v2', 'UpdateFunctionCode20150331', 'UpdateFunctionCode'] as const;

const arnOf = (e: CloudTrailRecord): string => {
  const returned = stringParam(e.responseElements, 'functionArn');
  const name = functionNameOf(e);
  return returned ?? (name.startsWith('arn:') ? name : resourceArn(e, 'lambda', `function:${name}`));
};

export const rule = defineRule({
  id: 'lambda.function-code-replaced',
  title: 'Lambda function code replaced outside the approved process',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.9', 'A.8.19'],
  mitre: ['T1525', 'T1648'],
  on: { source: 'lambda', eventNames: EVENTS },
  // Trailwarden's own functions have their critical tampering rule; they are not doubled here.
  match: (e, ctx) =>
    isSuccess(e) && !isServiceInvoked(e) && isUnapprovedDeletion(e, ctx.config, [functionNameOf(e), arnOf(e)]),
  explain: (e, ctx) => [
    `new code (sha256 ${stringParam(e.responseElements, 'codeSha256') ?? '?'}) runs with role ${stringParam(e.responseElements, 'role') ?? '?'}`,
    ...deletionReasons(e, ctx.config),
  ],
  resources: (e) => [arnOf(e)],
  dedup: { key: (e) => `${accountOf(e)}|${functionNameOf(e)}`, windowSeconds: 3600 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'The code of a Lambda function was replaced (UpdateFunctionCode) by someone outside the approved process: ' +
    "their code now runs with the function's role on every invocation (Stratus Red Team lambda-overwrite-code).",
  runbook: [
    "Download what runs now: `aws lambda get-function --function-name <name> --query Code.Location` and compare its sha256 with the pipeline's last artefact.",
    "If it is not a release, redeploy the function from the pipeline and review the role's calls since the change.",
    'Restrict lambda:UpdateFunctionCode to the deploy role (SCP or permission boundary).',
  ],
  rationale:
    'Production code changes go through the pipeline; a hand upload is either a hotfix or an implant, and ' +
    'CloudTrail cannot tell them apart. Medium, high on high-criticality assets; repeats on one function fold ' +
    'for an hour.',
  falsePositives: [
    'Emergency hotfixes uploaded by hand; functions in sandbox accounts (set their criticality to low or suppress the account).',
  ],
  cases: () => [
    { name: 'code uploaded from a laptop', expect: 'match', event: fixture('lambda/UpdateFunctionCode20150331v2') },
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
