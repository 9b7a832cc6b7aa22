import { resourceArn } from '../core/arn.ts';
import { accountOf, actorArn, isSuccess } from '../core/cloudtrail.ts';
import { keyPairName, knownBadKeyPairName } from '../core/compute.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

export const rule = defineRule({
  id: 'ec2.suspicious-key-pair',
  title: 'EC2 key pair created or imported with a known-bad name',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.5', 'A.8.16'],
  mitre: ['T1098.001'],
  on: { source: 'ec2', eventNames: ['CreateKeyPair', 'ImportKeyPair'] },
  // The name is the indicator, whoever calls: approved automation does not pick attacker names. Refused attempts
  // are ec2.compute-abuse-refused.
  match: (e, ctx) => isSuccess(e) && knownBadKeyPairName(keyPairName(e), ctx.config) !== undefined,
  explain: (e, ctx) => [
    `${actorArn(e)} ${e.eventName === 'ImportKeyPair' ? 'imported' : 'created'} key pair ${JSON.stringify(keyPairName(e) ?? '')}, a name reused by attackers across compromised accounts (${knownBadKeyPairName(keyPairName(e), ctx.config) ?? ''})`,
  ],
  resources: (e) => [resourceArn(e, 'ec2', `key-pair/${keyPairName(e) ?? 'unknown'}`)],
  dedup: { key: (e) => `${accountOf(e)}|${e.awsRegion}|${keyPairName(e) ?? ''}`, windowSeconds: 86_400 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'CreateKeyPair or ImportKeyPair used a key pair name that attackers reuse across unrelated compromised ' +
    'accounts (xg1, temp_key_pair, plus compute.suspiciousKeyPairNames): they plant their key to reach instances ' +
    'they launch later. Refused attempts are ec2.compute-abuse-refused.',
  runbook: [
    'Find every instance launched with the key (`aws ec2 describe-instances --filters Name=key-name,Values=<name>`) in every region, and isolate them.',
    "Delete the key pair (`aws ec2 delete-key-pair --key-name <name>`), then treat the caller's credentials as stolen: rotate them and review their calls.",
    'Look for the rest of the playbook: GPU launches, new IAM users or keys, security groups opened to the internet.',
  ],
  rationale:
    'An atomic indicator with no legitimate use (Datadog Security Labs, 2025; Stratus Red Team ' +
    'ec2-create-suspicious-keypair). A list of names is forgeable by renaming, so it complements rather than ' +
    'replaces ec2.key-pair-outside-process; its value is its precision. High; critical on high-criticality accounts.',
  falsePositives: ['A team that happens to name a key pair xg1: rename it.'],
  cases: () => [
    { name: 'Stratus: CreateKeyPair named xg1', expect: 'match', event: fixture('ec2/CreateKeyPair') },
    {
      name: 'ImportKeyPair named TEMP_KEY_PAIR (case differs)',
      expect: 'match',
      event: fixture('ec2/ImportKeyPair', {
        requestParameters: { keyName: 'TEMP_KEY_PAIR' },
        responseElements: { keyName: 'TEMP_KEY_PAIR' },
      }),
    },
    {
      name: 'a name from threat intelligence in config',
      expect: 'match',
      event: fixture('ec2/ImportKeyPair', {
        requestParameters: { keyName: 'kali' },
        responseElements: { keyName: 'kali' },
      }),
      config: { compute: { suspiciousKeyPairNames: ['kali'] } },
    },
    { name: 'an ordinary key pair name', expect: 'no-match', event: fixture('ec2/ImportKeyPair') },
    {
      name: 'xg1 refused (ec2.compute-abuse-refused judges attempts)',
      expect: 'no-match',
      event: fixture('ec2/CreateKeyPair', denied('Client.UnauthorizedOperation', 'ec2:CreateKeyPair')),
    },
    {
      name: 'an ordinary name from the deploy role',
      expect: 'no-match',
      event: fixture('ec2/CreateKeyPair', {
        ...BY_APPROVED_DEPLOY,
        requestParameters: { keyName: 'bastion-2026' },
        responseElements: { keyName: 'bastion-2026' },
      }),
      config: { approved: APPROVED_DEPLOYS },
    },
  ],
};
