import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { isServiceInvoked, isSuccess, principalArn, stringParam } from '../core/cloudtrail.ts';
import type { DetectionConfig } from '../core/config.ts';
import { defineRule } from '../core/define-rule.ts';
import { globToRegExp } from '../core/glob.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';

const targetRole = (e: CloudTrailRecord): string | undefined => stringParam(e.requestParameters, 'roleArn');

const isAutomationRole = (e: CloudTrailRecord, config: DetectionConfig): boolean => {
  const role = targetRole(e);
  return role !== undefined && config.approved.automationRoles.some((glob) => globToRegExp(glob).test(role));
};

/**
 * Signs that a person, not a pipeline, is behind the call: an IAM user or the root user, a session of an
 * Identity Center permission set (`AWSReservedSSO_…`), console credentials, or a browser or AWS CLI user agent.
 * Pipelines reach deploy roles through OIDC web identity, a service, or their own role with an SDK.
 */
const humanSigns = (e: CloudTrailRecord): string[] => {
  const id = e.userIdentity;
  const agent = e.userAgent ?? '';
  const issuer = id.sessionContext?.sessionIssuer?.arn ?? '';
  return [
    ...(id.type === 'IAMUser' || id.type === 'Root'
      ? [`caller is ${id.type === 'Root' ? 'the root user' : `IAM user ${id.userName ?? '?'}`}`]
      : []),
    ...(issuer.includes('/AWSReservedSSO_') ? [`caller is an Identity Center session (${issuer})`] : []),
    ...(e.sessionCredentialFromConsole === 'true' ? ['console credentials'] : []),
    ...(/Mozilla\/|^aws-cli\/|^AWS Internal/.test(agent)
      ? [`interactive user agent ${JSON.stringify(agent.slice(0, 80))}`]
      : []),
  ];
};

export const rule = defineRule({
  id: 'iam.automation-role-used-interactively',
  title: 'Approved automation role assumed by a person or from a console or CLI',
  severity: 'high',
  controls: ['A.8.2'],
  mitre: ['T1078.004', 'T1550.001'],
  on: { source: 'sts', eventNames: ['AssumeRole'] },
  match: (e, ctx) =>
    isSuccess(e) && !isServiceInvoked(e) && isAutomationRole(e, ctx.config) && humanSigns(e).length > 0,
  explain: (e) => [`${principalArn(e)} assumed ${targetRole(e) ?? '?'}`, ...humanSigns(e)],
  dedup: { key: (e) => `${principalArn(e)}|${targetRole(e) ?? '?'}` },
  resources: (e) => {
    const role = targetRole(e);
    return role === undefined ? [] : [role];
  },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A role listed in approved.automationRoles (the deploy or automation identity whose changes count as the ' +
    'approved process) was assumed by a person: an IAM user, the root user or an Identity Center session, or with ' +
    'console credentials or a browser or AWS CLI user agent. Whatever that person then changes looks approved.',
  runbook: [
    "Identify the person (the caller in the finding) and ask what they did and why; list the session's calls by its access key or session name.",
    'Check the trust policy of the automation role: only the pipeline (OIDC provider, CI role, CloudFormation) should be able to assume it. Remove people and broad account principals.',
    'Review every change made in that session as unapproved.',
  ],
  rationale:
    'One successful call is enough: the approved process is only worth its name if nobody can borrow its identity. ' +
    'High because every later change of the session escapes the unapproved-change rules. User agents can be forged, ' +
    'so they only add evidence; the caller type and the Identity Center session decide on their own.',
  falsePositives: [
    'Break-glass use of the deploy role by the platform team, documented: suppress for that person with a dated reason.',
    'CDK deployments run from a laptop (the CLI assumes the CDK deploy role): these are people using the approved role by hand, which is what the rule reports.',
  ],
  cases: () => [
    {
      name: 'IAM user assumes the deploy role from the CLI',
      expect: 'match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('sts/AssumeRole-deploy-role'),
    },
    {
      name: 'Identity Center session switches into the deploy role from the console',
      expect: 'match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('sts/AssumeRole-deploy-role', {
        userIdentity: {
          type: 'AssumedRole',
          userName: undefined,
          principalId: 'AROAEXAMPLESSOID:alice@example.com',
          arn: 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b/alice@example.com',
          sessionContext: {
            sessionIssuer: {
              type: 'Role',
              arn: 'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b',
            },
          },
        },
        userAgent:
          'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36',
      }),
    },
    {
      name: 'the CI role chains into the deploy role with the SDK',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('sts/AssumeRole-deploy-role', {
        userIdentity: {
          type: 'AssumedRole',
          userName: undefined,
          principalId: 'AROAEXAMPLECIROLE:GitHubActions',
          arn: 'arn:aws:sts::111122223333:assumed-role/github-ci/GitHubActions',
          accessKeyId: 'ASIAEXAMPLECIKEY',
          sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/github-ci' } },
        },
        userAgent: 'aws-sdk-js/3.654.0 ua/2.0 os/linux#6.5.0 lang/js md/nodejs#20.17.0 api/sts#3.654.0',
      }),
    },
    {
      name: 'a person assumes a role that is not an automation role',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('sts/AssumeRole-deploy-role', {
        requestParameters: { roleArn: 'arn:aws:iam::111122223333:role/ReadOnly' },
      }),
    },
    {
      name: 'AssumeRole denied',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('sts/AssumeRole-deploy-role', {
        errorCode: 'AccessDenied',
        errorMessage:
          'User: arn:aws:iam::111122223333:user/alice is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::111122223333:role/deploy-role',
        responseElements: null,
      }),
    },
  ],
};
