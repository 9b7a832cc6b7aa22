import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord, JsonValue } from '../core/cloudtrail.ts';
import { isServiceInvoked, isSuccess, param, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { denied } from '../fixtures/overrides.ts';

/**
 * What a container's own definition should never name: the ECS task credential endpoint (169.254.170.2 and the
 * variables that point at it), and the EC2 instance metadata credentials path. The SDKs find these by
 * themselves; a command line that spells them out is fetching the role's keys to hand them elsewhere.
 */
const CREDENTIAL_ENDPOINTS = [
  '169.254.170.2',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
  '/latest/meta-data/iam/security-credentials',
  '169.254.169.254',
  'fd00:ec2::254',
] as const;

/** Fields of a container definition (or of a run's container override) that run or feed a command. */
const RUN_FIELDS = ['command', 'entryPoint', 'healthCheck'] as const;

/**
 * The containers the call defines (RegisterTaskDefinition) or whose command it overrides for one run (RunTask,
 * StartTask: an existing definition started with another command line, nothing registered).
 */
const containersOf = (e: CloudTrailRecord): JsonValue | undefined =>
  e.eventName === 'RegisterTaskDefinition'
    ? param(e.requestParameters, 'containerDefinitions')
    : param(e.requestParameters, 'overrides', 'containerOverrides');

/** Container name → endpoints its command line names, for every container that names one. */
const findings = (e: CloudTrailRecord): string[] => {
  const containers = containersOf(e);
  if (!Array.isArray(containers)) return [];
  return containers.flatMap((c, i) => {
    if (typeof c !== 'object' || c === null || Array.isArray(c)) return [];
    const text = RUN_FIELDS.map((f) => JSON.stringify(c[f] ?? '')).join(' ');
    const named = CREDENTIAL_ENDPOINTS.filter((endpoint) => text.includes(endpoint));
    const name = typeof c.name === 'string' ? c.name : `#${i}`;
    return named.length > 0 ? [`container ${name} command names ${named.join(', ')}`] : [];
  });
};

/** The registered revision, or the definition a run started (its ARN or `family:revision`). */
const taskDefinitionArn = (e: CloudTrailRecord): string => {
  const registered = stringParam(e.responseElements, 'taskDefinition', 'taskDefinitionArn');
  if (registered !== undefined) return registered;
  const named = stringParam(e.requestParameters, 'taskDefinition') ?? stringParam(e.requestParameters, 'family');
  if (named?.startsWith('arn:')) return named;
  return resourceArn(e, 'ecs', `task-definition/${named ?? 'unknown'}`);
};

export const rule = defineRule({
  id: 'ecs.task-reads-credentials',
  title: 'ECS task defined or run with a command that fetches the task role credentials',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.2', 'A.8.9'],
  mitre: ['T1552.005', 'T1525'],
  on: { source: 'ecs', eventNames: ['RegisterTaskDefinition', 'RunTask', 'StartTask'] },
  match: (e) => isSuccess(e) && !isServiceInvoked(e) && findings(e).length > 0,
  explain: (e) => [...findings(e), `task role ${stringParam(e.requestParameters, 'taskRoleArn') ?? 'not recorded'}`],
  resources: (e) => {
    const role = stringParam(e.requestParameters, 'taskRoleArn');
    return [taskDefinitionArn(e), ...(role?.startsWith('arn:') ? [role] : [])];
  },
  dedup: { key: taskDefinitionArn },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A task definition was registered (or a task run with a command override) whose container command, entry ' +
    'point or health check names the ECS ' +
    'credential endpoint (169.254.170.2, AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) or the EC2 metadata credentials ' +
    'path: the container will fetch the task role’s temporary keys itself, typically to post them elsewhere. ' +
    'When a service is updated to the new revision, the attacker receives the role’s keys.',
  runbook: [
    'Read the revision: `aws ecs describe-task-definition --task-definition <family:revision> --query ' +
      'taskDefinition.containerDefinitions[].[name,entryPoint,command]` and note where the output is sent.',
    'Find whether it ran: `aws ecs list-services` / `describe-services` for services on that revision, and RunTask ' +
      'or UpdateService calls naming it in CloudTrail. Deregister it (`aws ecs deregister-task-definition`) and roll ' +
      'services back to the previous revision.',
    'If it ran, treat the task role’s credentials as stolen: look for calls by the role from addresses that are ' +
      'not your tasks’, and tighten or recreate the role (sessions already issued stay valid until they expire; ' +
      'an explicit deny on `aws:TokenIssueTime` revokes them).',
  ],
  rationale:
    'Backdooring a task definition so the container exfiltrates its role credentials is a known privilege ' +
    'escalation and persistence path (Pacu ecs__backdoor_task_def, T1552.005; Elastic and Sigma watch task ' +
    'definition changes; Sigma also reads RunTask, where a command override does the same without registering ' +
    'anything). Application code never needs to spell these endpoints in its command line: the SDKs read the ' +
    'variables themselves. High, critical on high-criticality assets; a single registration or run is enough, ' +
    'whoever made it (a stolen deploy role is exactly who would). Image names, ports and environment variable ' +
    'names are not read, only what the container runs.',
  falsePositives: [
    'Entry-point scripts of legacy images that fetch credentials with curl because they predate the SDK support (rare; fix the image).',
    'Debug task definitions that print the credential endpoint’s answer, registered by hand.',
  ],
  cases: () => [
    {
      name: 'an existing definition run with a command that posts its credentials (no registration)',
      expect: 'match',
      event: fixture('ecs/RegisterTaskDefinition-credential-endpoint', {
        eventName: 'RunTask',
        requestParameters: {
          family: undefined,
          taskRoleArn: undefined,
          executionRoleArn: undefined,
          networkMode: undefined,
          requiresCompatibilities: undefined,
          cpu: undefined,
          memory: undefined,
          containerDefinitions: undefined,
          cluster: 'orders',
          taskDefinition: 'orders-api:41',
          count: 1,
          launchType: 'FARGATE',
          overrides: {
            containerOverrides: [
              {
                name: 'orders-api',
                command: ['sh', '-c', 'wget -qO- "http://169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"'],
              },
            ],
          },
        },
        responseElements: {
          tasks: [
            {
              taskArn: 'arn:aws:ecs:eu-west-1:111122223333:task/orders/0f3b5c1d2e4a4b6c8d9e0f1a2b3c4d5e',
              taskDefinitionArn: 'arn:aws:ecs:eu-west-1:111122223333:task-definition/orders-api:41',
              lastStatus: 'PROVISIONING',
            },
          ],
          failures: [],
        },
      }),
    },
    {
      name: 'a run with an ordinary command override',
      expect: 'no-match',
      event: fixture('ecs/RegisterTaskDefinition-credential-endpoint', {
        eventName: 'RunTask',
        requestParameters: {
          containerDefinitions: undefined,
          taskDefinition: 'orders-api:41',
          overrides: { containerOverrides: [{ name: 'orders-api', command: ['/app/migrate', '--up'] }] },
        },
        responseElements: null,
      }),
    },
    {
      name: 'command pipes the task credentials to an outside collector',
      expect: 'match',
      event: fixture('ecs/RegisterTaskDefinition-credential-endpoint'),
    },
    {
      name: 'EC2 launch type health check reading instance credentials',
      expect: 'match',
      event: fixture('ecs/RegisterTaskDefinition-credential-endpoint', {
        requestParameters: {
          containerDefinitions: [
            {
              name: 'worker',
              image: '111122223333.dkr.ecr.eu-west-1.amazonaws.com/worker:3.1.0',
              essential: true,
              healthCheck: {
                command: [
                  'CMD-SHELL',
                  'wget -qO- http://169.254.169.254/latest/meta-data/iam/security-credentials/ > /tmp/c',
                ],
              },
            },
          ],
        },
      }),
    },
    {
      name: 'an ordinary service definition',
      expect: 'no-match',
      event: fixture('ecs/RegisterTaskDefinition-credential-endpoint', {
        requestParameters: {
          containerDefinitions: [
            {
              name: 'orders-api',
              image: '111122223333.dkr.ecr.eu-west-1.amazonaws.com/orders-api:1.42.0',
              essential: true,
              command: ['/app/orders-api', '--port', '8080'],
              environment: [{ name: 'AWS_REGION', value: 'eu-west-1' }],
            },
          ],
        },
      }),
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture(
        'ecs/RegisterTaskDefinition-credential-endpoint',
        denied('AccessDeniedException', 'ecs:RegisterTaskDefinition'),
      ),
    },
  ],
};
