import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isServiceInvoked, isSuccess, param, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

const instanceOf = (e: CloudTrailRecord): string =>
  stringParam(e.requestParameters, 'instanceId') ?? 'unknown-instance';

/**
 * Does the request replace the user data? SDKs send the `UserData` blob (logged as `userData`, its value
 * redacted), the CLI's `--attribute userData --value …` form is logged as `attribute: "userData"`.
 */
const changesUserData = (e: CloudTrailRecord): boolean =>
  param(e.requestParameters, 'userData') !== undefined ||
  stringParam(e.requestParameters, 'attribute')?.toLowerCase() === 'userdata';

export const rule = defineRule({
  id: 'ec2.user-data-modified',
  title: 'EC2 instance user data replaced outside the approved process',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.9', 'A.8.19'],
  mitre: ['T1059.009', 'T1037'],
  on: { source: 'ec2', eventNames: ['ModifyInstanceAttribute'] },
  match: (e, ctx) =>
    isSuccess(e) && !isServiceInvoked(e) && changesUserData(e) && isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [
    `user data of ${instanceOf(e)} replaced: it runs as root at the next start`,
    ...unapprovedReasons(e, ctx.config.approved),
  ],
  resources: (e) => [resourceArn(e, 'ec2', `instance/${instanceOf(e)}`)],
  dedup: { key: (e) => `${accountOf(e)}|${instanceOf(e)}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'The user data of an EC2 instance was replaced (ModifyInstanceAttribute with userData) by someone outside ' +
    'the approved process. cloud-init runs it as root when the instance starts: stop, replace, start is code ' +
    'execution with the instance role (Stratus Red Team ec2-user-data, hackingthe.cloud).',
  runbook: [
    'Read the new user data: `aws ec2 describe-instance-attribute --instance-id <id> --attribute userData --query UserData.Value --output text | base64 -d`.',
    'If it is not a planned change, stop the instance, restore the previous user data from the launch template or IaC, and look for StopInstances/StartInstances by the same actor around the change.',
    "If the instance already started with it, treat the instance and its role as compromised: rotate what the role can reach, review the role's calls since the start, rebuild the instance.",
  ],
  rationale:
    'CloudTrail redacts the script, so the change itself is the signal; immutable images make in-place ' +
    'user data changes rare. Approved automation is exempt; anyone else is a finding. High, critical on ' +
    'high-criticality assets: it is root code execution at next boot.',
  falsePositives: ['Hand fixes to a bootstrap script on a pet instance: do them through the IaC pipeline.'],
  cases: () => [
    { name: 'user data blob replaced (SDK)', expect: 'match', event: fixture('ec2/ModifyInstanceAttribute-userData') },
    {
      name: 'CLI form --attribute userData',
      expect: 'match',
      event: fixture('ec2/ModifyInstanceAttribute-userData', {
        requestParameters: {
          instanceId: 'i-0a1b2c3d4e5f60718',
          userData: undefined,
          attribute: 'userData',
          value: '<sensitiveDataRemoved>',
        },
      }),
    },
    {
      name: 'instance type changed, not user data',
      expect: 'no-match',
      event: fixture('ec2/ModifyInstanceAttribute-userData', {
        requestParameters: {
          instanceId: 'i-0a1b2c3d4e5f60718',
          userData: undefined,
          instanceType: { value: 'm7i.large' },
        },
      }),
    },
    {
      name: 'the approved pipeline',
      expect: 'no-match',
      event: fixture('ec2/ModifyInstanceAttribute-userData', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture(
        'ec2/ModifyInstanceAttribute-userData',
        denied('Client.UnauthorizedOperation', 'ec2:ModifyInstanceAttribute'),
      ),
    },
  ],
};
