import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, actorArn, isServiceInvoked, isSuccess, param, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

const instanceOf = (e: CloudTrailRecord): string =>
  stringParam(e.requestParameters, 'instanceId') ?? 'unknown-instance';

export const rule = defineRule({
  id: 'ec2-instance-connect.ssh-key-pushed',
  title: 'SSH public key pushed to an EC2 instance (Instance Connect or serial console)',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.2', 'A.8.5'],
  mitre: ['T1021.004', 'T1098.004'],
  on: { source: 'ec2-instance-connect', eventNames: ['SendSSHPublicKey', 'SendSerialConsoleSSHPublicKey'] },
  match: (e, ctx) => isSuccess(e) && !isServiceInvoked(e) && isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [
    e.eventName === 'SendSerialConsoleSSHPublicKey'
      ? `SSH key pushed to the serial console of ${instanceOf(e)} (port ${JSON.stringify(param(e.requestParameters, 'serialPort') ?? 0)})`
      : `SSH key for OS user ${stringParam(e.requestParameters, 'instanceOSUser') ?? '?'} pushed to ${instanceOf(e)}`,
    ...unapprovedReasons(e, ctx.config.approved),
  ],
  resources: (e) => [resourceArn(e, 'ec2', `instance/${instanceOf(e)}`)],
  // One identity walking across instances is one finding for an hour.
  dedup: { key: (e) => `${accountOf(e)}|${actorArn(e)}`, windowSeconds: 3600 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An SSH public key was pushed to an instance through EC2 Instance Connect (SendSSHPublicKey) or the EC2 ' +
    'serial console (SendSerialConsoleSSHPublicKey) by someone outside the approved process: 60 seconds in which ' +
    'the key holder logs in as that OS user, then reaches the instance role.',
  runbook: [
    'List the instances and OS users: `aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue=SendSSHPublicKey --start-time <first-seen>` (and SendSerialConsoleSSHPublicKey).',
    "On each instance, review sshd / serial logins in the minute after each push and the instance role's calls since.",
    'If unexpected, revoke the caller, and restrict ec2-instance-connect:SendSSHPublicKey to named roles and instances by tag.',
  ],
  rationale:
    'Attackers use both to move to instances without planting a key on disk (Stratus Red Team ' +
    'ec2-instance-connect and ec2-serial-console-send-ssh-public-key, LUCR-3, Unit 42). Interactive use is ' +
    'people, not the pipeline, so approved automation is exempt and anyone else is a finding, folded per identity ' +
    'for an hour. Medium, high on high-criticality assets.',
  falsePositives: [
    'Engineers using EC2 Instance Connect from the console as their normal access: prefer SSM Session Manager, or suppress their SSO role with a dated reason.',
  ],
  cases: () => [
    { name: 'Instance Connect key push', expect: 'match', event: fixture('ec2-instance-connect/SendSSHPublicKey') },
    {
      name: 'serial console key push',
      expect: 'match',
      event: fixture('ec2-instance-connect/SendSerialConsoleSSHPublicKey'),
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture(
        'ec2-instance-connect/SendSSHPublicKey',
        denied('AccessDeniedException', 'ec2-instance-connect:SendSSHPublicKey'),
      ),
    },
    {
      name: 'approved automation',
      expect: 'no-match',
      event: fixture('ec2-instance-connect/SendSSHPublicKey', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
  ],
};
