import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isServiceInvoked, isSuccess, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

/** `projectVisibility` as sent: PUBLIC_READ or PRIVATE (the API's only values), in any case. */
const isMadePublic = (e: CloudTrailRecord): boolean =>
  stringParam(e.requestParameters, 'projectVisibility')?.toUpperCase() === 'PUBLIC_READ';

const projectArn = (e: CloudTrailRecord): string =>
  stringParam(e.requestParameters, 'projectArn') ??
  stringParam(e.responseElements, 'projectArn') ??
  resourceArn(e, 'codebuild', 'project/unknown');

export const rule = defineRule({
  id: 'codebuild.project-made-public',
  title: 'CodeBuild project made public: its build logs and artifacts readable by anyone',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.5.23', 'A.8.3'],
  mitre: ['T1567', 'T1552.001'],
  on: { source: 'codebuild', eventNames: ['UpdateProjectVisibility'] },
  // No exemption for the approved process: a public project is an exposure whoever made it, as for buckets.
  match: (e) => isSuccess(e) && !isServiceInvoked(e) && isMadePublic(e),
  explain: (e) => {
    const role = stringParam(e.requestParameters, 'resourceAccessRole');
    return [
      `${projectArn(e)} is public (PUBLIC_READ): every build's logs and artifacts, past ones included, are readable without an AWS account`,
      ...(role === undefined ? [] : [`public reads go through ${role}`]),
    ];
  },
  resources: (e) => [projectArn(e)],
  dedup: { key: (e) => `${accountOf(e)}|${projectArn(e)}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'UpdateProjectVisibility set a CodeBuild project to PUBLIC_READ: all of its build results, logs and artifacts, ' +
    'including those of builds run while it was private, are served to anyone through the public build URL. ' +
    'Build logs routinely print environment variables, tokens and source code.',
  runbook: [
    'Make it private again at once: `aws codebuild update-project-visibility --project-arn <arn> --project-visibility PRIVATE`.',
    "Read the project's last build logs (`aws codebuild batch-get-builds`, the CloudWatch log group) for secrets: every credential, token or key printed there must be treated as disclosed and rotated.",
    'Check who changed it and their other calls; look for webhooks or buildspec changes on the same project (a public project that builds pull requests can also be used to run an attacker’s code).',
  ],
  rationale:
    'Making a build project public publishes its whole history of logs and artifacts (T1567, T1552.001; Panther ' +
    'AWS.CloudTrail.CodebuildProjectMadePublic). One successful call is enough: high, critical on high-criticality ' +
    'accounts. Unlike configuration changes it is not excused by the approved process, as a public bucket is not. ' +
    'Setting a project back to PRIVATE, refused calls and AWS acting on its own do not match.',
  falsePositives: ['Open-source projects that publish their CI builds on purpose: suppress by project ARN.'],
  cases: () => [
    { name: 'alice makes a project public', expect: 'match', event: fixture('codebuild/UpdateProjectVisibility') },
    {
      name: 'Panther test event: a role session makes a project public',
      expect: 'match',
      event: fixture('codebuild/UpdateProjectVisibility-panther-public'),
    },
    {
      name: 'made public by the approved deploy role (still an exposure)',
      expect: 'match',
      event: fixture('codebuild/UpdateProjectVisibility', BY_APPROVED_DEPLOY),
    },
    {
      name: 'visibility sent in lower case',
      expect: 'match',
      event: fixture('codebuild/UpdateProjectVisibility', { requestParameters: { projectVisibility: 'public_read' } }),
    },
    {
      name: 'project made private',
      expect: 'no-match',
      event: fixture('codebuild/UpdateProjectVisibility', { requestParameters: { projectVisibility: 'PRIVATE' } }),
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture(
        'codebuild/UpdateProjectVisibility',
        denied('AccessDeniedException', 'codebuild:UpdateProjectVisibility'),
      ),
    },
  ],
};
