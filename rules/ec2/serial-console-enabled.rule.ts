import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { accountOf, isServiceInvoked, isSuccess } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

export const rule = defineRule({
  id: 'ec2.serial-console-enabled',
  title: 'EC2 serial console access enabled for the account',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.9', 'A.8.2'],
  mitre: ['T1021', 'T1556'],
  on: { source: 'ec2', eventNames: ['EnableSerialConsoleAccess'] },
  match: (e, ctx) => isSuccess(e) && !isServiceInvoked(e) && isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [
    `serial console access enabled in ${e.awsRegion}: out-of-band shell access bypassing security groups`,
    ...unapprovedReasons(e, ctx.config.approved),
  ],
  dedup: { key: (e) => `${accountOf(e)}|${e.awsRegion}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'EC2 serial console access was enabled for the account and region outside the approved process. The serial ' +
    'console reaches an instance without network access, security groups or SSH keys on disk; it is off by default.',
  runbook: [
    'Disable it unless a recovery is under way: `aws ec2 disable-serial-console-access --region <region>`.',
    'Look for SendSerialConsoleSSHPublicKey calls after the change (ec2-instance-connect.ssh-key-pushed).',
    'Deny ec2:EnableSerialConsoleAccess by SCP outside the break-glass role.',
  ],
  rationale:
    'Attackers enable it before pushing a key through it (Stratus Red Team ec2-serial-console-connect, LUCR-3). ' +
    'One call is enough. Medium, high on high-criticality accounts.',
  falsePositives: ['Recovering an unreachable instance: use a break-glass role listed as approved automation.'],
  cases: () => [
    { name: 'enabled by a user', expect: 'match', event: fixture('ec2/EnableSerialConsoleAccess') },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture(
        'ec2/EnableSerialConsoleAccess',
        denied('Client.UnauthorizedOperation', 'ec2:EnableSerialConsoleAccess'),
      ),
    },
    {
      name: 'disabling it',
      expect: 'no-match',
      event: fixture('ec2/EnableSerialConsoleAccess', { eventName: 'DisableSerialConsoleAccess' }),
    },
    {
      name: 'approved pipeline',
      expect: 'no-match',
      event: fixture('ec2/EnableSerialConsoleAccess', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
  ],
};
