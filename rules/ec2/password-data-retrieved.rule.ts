import { isApprovedChange, unapprovedReasons } from '../core/approved.ts';
import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, actorArn, isServiceInvoked, isSuccess, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, byAwsService, denied } from '../fixtures/overrides.ts';

const instanceOf = (e: CloudTrailRecord): string =>
  stringParam(e.requestParameters, 'instanceId') ?? 'unknown-instance';

export const rule = defineRule({
  id: 'ec2.password-data-retrieved',
  title: 'Windows administrator password data of an EC2 instance retrieved',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.5', 'A.8.2'],
  mitre: ['T1552'],
  on: { source: 'ec2', eventNames: ['GetPasswordData'] },
  // Refused attempts (Stratus Red Team's ec2-get-password-data makes 30) are iam.access-denied-burst's.
  match: (e, ctx) => isSuccess(e) && !isServiceInvoked(e) && !isApprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [
    `the encrypted administrator password of ${instanceOf(e)} was returned to ${actorArn(e)}`,
    ...unapprovedReasons(e, ctx.config.approved),
  ],
  resources: (e) => [resourceArn(e, 'ec2', `instance/${instanceOf(e)}`)],
  // One identity sweeping instances is one finding for an hour, whatever the number of instances.
  dedup: { key: (e) => `${accountOf(e)}|${actorArn(e)}`, windowSeconds: 3600 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'Someone outside the approved process called ec2:GetPasswordData: the encrypted Windows administrator ' +
    'password of an instance, which anyone holding the launch key pair decrypts. Refused attempts are counted ' +
    'by iam.access-denied-burst (Stratus Red Team makes 30 of them).',
  runbook: [
    'Identify the caller and every instance asked for: `aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue=GetPasswordData --start-time <first-seen>`.',
    'If any call succeeded and the caller may hold the key pair, rotate the local Administrator password of those instances (SSM `AWS-PasswordReset` or EC2Launch) and review RDP logons since.',
  ],
  rationale:
    'Reading the administrator password is rarely needed outside first-boot automation, and attackers sweep it ' +
    'across instances (T1552). One call is a finding; a sweep folds into it for an hour. Medium, high on ' +
    'high-criticality assets. Approved automation roles (image pipelines) are not findings.',
  falsePositives: [
    'Administrators retrieving the password of a new Windows instance by hand from the console (prefer SSM Fleet Manager or an approved role).',
  ],
  cases: () => [
    { name: 'an SSO user reads the password data', expect: 'match', event: fixture('ec2/GetPasswordData') },
    {
      name: 'refused attempt (iam.access-denied-burst counts these)',
      expect: 'no-match',
      event: fixture('ec2/GetPasswordData', denied('Client.UnauthorizedOperation', 'ec2:GetPasswordData')),
    },
    {
      name: 'the approved image pipeline through CloudFormation',
      expect: 'no-match',
      event: fixture('ec2/GetPasswordData', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
    { name: 'AWS itself', expect: 'no-match', event: fixture('ec2/GetPasswordData', byAwsService('ssm')) },
    {
      name: 'reading the console output is not the password',
      expect: 'no-match',
      event: fixture('ec2/GetPasswordData', { eventName: 'GetConsoleOutput' }),
    },
  ],
};
