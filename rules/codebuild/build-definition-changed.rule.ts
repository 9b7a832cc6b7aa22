import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord, JsonValue } from '../core/cloudtrail.ts';
import { accountOf, actorArn, param, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

/** UpdateProject fields that decide what a build runs, from where, and with which role. */
const PROJECT_FIELDS: Readonly<Record<string, string>> = {
  serviceRole: 'service role replaced',
  source: 'source replaced (repository, buildspec)',
  secondarySources: 'secondary sources replaced',
  environment: 'build environment replaced (image, variables, privileged mode)',
};

/** StartBuild / StartBuildBatch overrides that run other code, from elsewhere, or with another role. */
const BUILD_OVERRIDES: Readonly<Record<string, string>> = {
  buildspecOverride: 'buildspec overridden',
  sourceLocationOverride: 'source location overridden',
  sourceTypeOverride: 'source type overridden',
  secondarySourcesOverride: 'secondary sources overridden',
  environmentVariablesOverride: 'environment variables overridden',
  serviceRoleOverride: 'service role overridden',
  imageOverride: 'build image overridden',
  privilegedModeOverride: 'privileged mode overridden',
  debugSessionEnabled: 'debug session (a shell in the build container) enabled',
};

const isSet = (v: JsonValue | undefined): boolean =>
  v !== undefined && v !== null && v !== false && !(typeof v === 'string' && v.trim().toLowerCase() === 'false');

const isBuild = (e: CloudTrailRecord): boolean => e.eventName.startsWith('StartBuild');

const projectName = (e: CloudTrailRecord): string =>
  stringParam(e.requestParameters, isBuild(e) ? 'projectName' : 'name') ??
  stringParam(e.responseElements, 'project', 'name') ??
  stringParam(e.responseElements, 'build', 'projectName') ??
  'unknown-project';

/**
 * What the call changes in what a build runs. A record whose request does not name the project (not recorded,
 * CloudTrail's omitted marker, or the bare `awsActId` of CodeBuild's documented 2016 example) does not say what
 * it changed, so it counts as the dangerous case.
 */
const changes = (e: CloudTrailRecord): string[] => {
  const req = e.requestParameters;
  if (param(req, isBuild(e) ? 'projectName' : 'name') === undefined) {
    return ['the record does not carry the request: what the call changed is not known'];
  }
  if (e.eventName === 'CreateProject') {
    return [`project created to run as ${stringParam(req, 'serviceRole') ?? 'an unrecorded role'}`];
  }
  const fields = isBuild(e) ? BUILD_OVERRIDES : PROJECT_FIELDS;
  return Object.entries(fields).flatMap(([key, what]) => (isSet(param(req, key)) ? [what] : []));
};

export const rule = defineRule({
  id: 'codebuild.build-definition-changed',
  title: 'CodeBuild role, source, buildspec or environment changed by hand',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.9', 'A.8.2'],
  mitre: ['T1648', 'T1195', 'T1098'],
  on: { source: 'codebuild', eventNames: ['CreateProject', 'UpdateProject', 'StartBuild', 'StartBuildBatch'] },
  match: (e, ctx) => changes(e).length > 0 && isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [
    `${e.eventName} on ${projectName(e)} by ${actorArn(e)}: ${changes(e).join('; ')}`,
    ...unapprovedReasons(e, ctx.config.approved),
  ],
  resources: (e) => [resourceArn(e, 'codebuild', `project/${projectName(e)}`)],
  dedup: { key: (e) => `${accountOf(e)}|${e.awsRegion}|${projectName(e)}` },
});

const SERVICE_ROLE = 'codebuild/UpdateProject-service-role';
const START = 'codebuild/StartBuild-overrides';

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'Outside the approved process, someone changed what a CodeBuild project runs or as whom: a project created ' +
    '(CreateProject), its service role, source repository, buildspec or build environment replaced (UpdateProject), ' +
    'or a build started with overrides of the buildspec, source, environment variables, image, privileged mode or ' +
    'service role, or with a debug session (StartBuild, StartBuildBatch). Each lets the caller run their own commands ' +
    'with the project’s role and its secrets: a known escalation path (iam:PassRole plus codebuild:UpdateProject or ' +
    'StartBuild) and a supply-chain foothold (a build pulling from another repository).',
  runbook: [
    'Read the project now: `aws codebuild batch-get-projects --names <project>` (serviceRole, source.location, source.buildspec, environment) and the builds started since: `aws codebuild list-builds-for-project --project-name <project>`.',
    'For a build with overrides, read what it ran: `aws codebuild batch-get-builds --ids <build-id>` and its CloudWatch Logs; a buildspec that reads `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` or sends data out means the role’s credentials left the account: revoke its sessions.',
    'Restore the project from IaC (redeploy the pipeline stack); review what the service role did since the change (`aws cloudtrail lookup-events --lookup-attributes AttributeKey=Username,AttributeValue=<role session>`).',
    'If the caller is a legitimate pipeline, add its role to `approved.automationRoles`.',
  ],
  rationale:
    'The Turbot tailpipe detections flag any UpdateProject that names a service role, source location or ' +
    'environment variables; the escalation also goes through StartBuild overrides, which change nothing on the ' +
    'project, and CreateProject, so all four are read. Routine calls are left out: an UpdateProject of description, ' +
    'timeouts or tags, and a build started without overrides. Only outside the approved process (CodePipeline’s ' +
    'own calls are AWS acting); medium, high on high-criticality accounts. A request that is not recorded fails ' +
    'closed.',
  falsePositives: [
    'Developers starting builds with overrides or editing projects from the console: move project changes to IaC, ' +
      'or suppress for the projects that are sandboxes.',
  ],
  cases: () => [
    { name: 'service role swapped for an admin role', expect: 'match', event: fixture(SERVICE_ROLE) },
    {
      name: 'source pointed at a fork with an inline buildspec',
      expect: 'match',
      event: fixture('codebuild/UpdateProject-source'),
    },
    { name: 'environment variables replaced', expect: 'match', event: fixture('codebuild/UpdateProject-environment') },
    { name: 'build started with buildspec and role overrides', expect: 'match', event: fixture(START) },
    {
      name: 'batch build with a debug session',
      expect: 'match',
      event: fixture(START, {
        eventName: 'StartBuildBatch',
        requestParameters: { buildspecOverride: undefined, serviceRoleOverride: undefined, debugSessionEnabled: true },
      }),
    },
    {
      name: 'project created by hand',
      expect: 'match',
      event: fixture(SERVICE_ROLE, { eventName: 'CreateProject' }),
    },
    {
      name: 'UpdateProject recorded with only awsActId (CodeBuild’s documented shape): fails closed',
      expect: 'match',
      event: fixture(SERVICE_ROLE, {
        requestParameters: { name: undefined, serviceRole: undefined, awsActId: '111122223333' },
      }),
    },
    {
      name: 'timeout and description changed only',
      expect: 'no-match',
      event: fixture(SERVICE_ROLE, {
        requestParameters: { serviceRole: undefined, timeoutInMinutes: 90, description: 'payments API build' },
      }),
    },
    {
      name: 'a build started without overrides',
      expect: 'no-match',
      event: fixture(START, { requestParameters: { buildspecOverride: undefined, serviceRoleOverride: undefined } }),
    },
    {
      name: 'privileged mode explicitly off',
      expect: 'no-match',
      event: fixture(START, {
        requestParameters: {
          buildspecOverride: undefined,
          serviceRoleOverride: undefined,
          privilegedModeOverride: false,
        },
      }),
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture(SERVICE_ROLE, denied('AccessDeniedException', 'codebuild:UpdateProject')),
    },
    {
      name: 'the approved pipeline',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture(SERVICE_ROLE, BY_APPROVED_DEPLOY),
    },
  ],
};
