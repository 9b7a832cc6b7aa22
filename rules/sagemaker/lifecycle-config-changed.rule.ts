import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isServiceInvoked, isSuccess, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

const EVENTS = [
  'CreateNotebookInstanceLifecycleConfig',
  'UpdateNotebookInstanceLifecycleConfig',
  'UpdateNotebookInstance',
  'CreateStudioLifecycleConfig',
] as const;

/**
 * UpdateNotebookInstance changes many things; only attaching a lifecycle script (a non-empty name) runs code.
 * Detaching (an empty name, `DisassociateLifecycleConfig`) removes it.
 */
const runsNewScript = (e: CloudTrailRecord): boolean => {
  if (e.eventName !== 'UpdateNotebookInstance') return true;
  const name = stringParam(e.requestParameters, 'lifecycleConfigName');
  return name !== undefined && name !== '';
};

const targetOf = (e: CloudTrailRecord): string =>
  stringParam(e.requestParameters, 'notebookInstanceName') ??
  stringParam(e.requestParameters, 'notebookInstanceLifecycleConfigName') ??
  stringParam(e.requestParameters, 'studioLifecycleConfigName') ??
  'unknown';

export const rule = defineRule({
  id: 'sagemaker.lifecycle-config-changed',
  title: 'SageMaker lifecycle script created or attached outside the approved process',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.19', 'A.8.2'],
  mitre: ['T1059', 'T1098'],
  on: { source: 'sagemaker', eventNames: EVENTS },
  match: (e, ctx) =>
    isSuccess(e) && !isServiceInvoked(e) && runsNewScript(e) && isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [
    `${e.eventName} on ${targetOf(e)}: the script runs as root with the notebook's execution role at the next start`,
    ...unapprovedReasons(e, ctx.config.approved),
  ],
  dedup: { key: (e) => `${accountOf(e)}|${targetOf(e)}`, windowSeconds: 3600 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A SageMaker lifecycle configuration was created or changed, or attached to a notebook instance, outside the ' +
    'approved process. Its script runs at every notebook start with the execution role: a privilege escalation ' +
    'for anyone allowed to stop, update and start a notebook (Stratus Red Team sagemaker-update-lifecycle-config).',
  runbook: [
    'Read the script: `aws sagemaker describe-notebook-instance-lifecycle-config --notebook-instance-lifecycle-config-name <name> --query OnStart[0].Content --output text | base64 -d`.',
    "If unplanned, stop the notebook, detach the configuration (`aws sagemaker update-notebook-instance --disassociate-lifecycle-config`), and review the execution role's calls since the last start.",
  ],
  rationale:
    'Lifecycle scripts are infrastructure: a hand change is a code path onto a privileged role. Medium, high on ' +
    'high-criticality accounts; repeats on one notebook fold for an hour.',
  falsePositives: [
    'Data scientists managing their own sandbox notebooks (set the sandbox account to low criticality or suppress it).',
  ],
  cases: () => [
    {
      name: 'lifecycle script created',
      expect: 'match',
      event: fixture('sagemaker/CreateNotebookInstanceLifecycleConfig'),
    },
    { name: 'script attached to a notebook', expect: 'match', event: fixture('sagemaker/UpdateNotebookInstance') },
    {
      name: 'notebook resized, no script',
      expect: 'no-match',
      event: fixture('sagemaker/UpdateNotebookInstance', {
        requestParameters: {
          notebookInstanceName: 'research-notebook',
          lifecycleConfigName: undefined,
          instanceType: 'ml.t3.large',
        },
      }),
    },
    {
      name: 'script detached (empty name)',
      expect: 'no-match',
      event: fixture('sagemaker/UpdateNotebookInstance', {
        requestParameters: { notebookInstanceName: 'research-notebook', lifecycleConfigName: '' },
      }),
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture(
        'sagemaker/CreateNotebookInstanceLifecycleConfig',
        denied('AccessDeniedException', 'sagemaker:CreateNotebookInstanceLifecycleConfig'),
      ),
    },
    {
      name: 'approved pipeline',
      expect: 'no-match',
      event: fixture('sagemaker/CreateNotebookInstanceLifecycleConfig', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
  ],
};
