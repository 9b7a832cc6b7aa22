import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { resourceArn } from '../core/arn.ts';
import { accountOf, actorArn, isServiceInvoked, isSuccess } from '../core/cloudtrail.ts';
import { keyPairName } from '../core/compute.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

export const rule = defineRule({
  id: 'ec2.key-pair-outside-process',
  title: 'EC2 key pair created or imported outside the approved process',
  severity: 'low',
  escalation: { high: 'medium' },
  controls: ['A.8.5'],
  mitre: ['T1098.001'],
  on: { source: 'ec2', eventNames: ['CreateKeyPair', 'ImportKeyPair'] },
  match: (e, ctx) => isSuccess(e) && !isServiceInvoked(e) && isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [
    `${actorArn(e)} ${e.eventName === 'ImportKeyPair' ? 'imported a public key it holds the private half of' : 'created a key pair and received its private key'}: ${JSON.stringify(keyPairName(e) ?? 'name not recorded')}`,
    ...unapprovedReasons(e, ctx.config.approved),
  ],
  resources: (e) => [resourceArn(e, 'ec2', `key-pair/${keyPairName(e) ?? 'unknown'}`)],
  dedup: { key: (e) => `${accountOf(e)}|${actorArn(e)}`, windowSeconds: 86_400 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An EC2 key pair was created or imported by someone other than the approved automation: a long-lived SSH ' +
    'credential to every instance later launched with it, held outside the credential process.',
  runbook: [
    'Ask the caller what the key pair is for; where the organisation uses SSM Session Manager or EC2 Instance Connect, key pairs should not be needed at all.',
    'If unexplained: find instances launched with it (`aws ec2 describe-instances --filters Name=key-name,Values=<name>`) and delete the key pair.',
  ],
  rationale:
    'Sigma aws_ec2_import_key_pair_*: an imported key is persistence an attacker fully controls. Developers also ' +
    'create key pairs by hand, so this is low (medium on high-criticality accounts) and never pages on its own: a ' +
    'record for review and for incident correlation; the precise indicator (known-bad names) is ' +
    'ec2.suspicious-key-pair, high.',
  falsePositives: [
    "Developers creating key pairs by hand in sandboxes: lower the sandbox accounts to low criticality, or add the team's provisioning role to approved.automationRoles.",
  ],
  cases: () => [
    { name: 'a developer imports a public key', expect: 'match', event: fixture('ec2/ImportKeyPair') },
    { name: 'a script creates a key pair', expect: 'match', event: fixture('ec2/CreateKeyPair') },
    {
      name: 'the approved deploy role creates one',
      expect: 'no-match',
      event: fixture('ec2/CreateKeyPair', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture('ec2/ImportKeyPair', denied('Client.UnauthorizedOperation', 'ec2:ImportKeyPair')),
    },
  ],
};
