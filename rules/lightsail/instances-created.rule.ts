import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, actorArn, param, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

const names = (e: CloudTrailRecord): string[] => {
  const list = param(e.requestParameters, 'instanceNames');
  return Array.isArray(list) ? list.filter((n): n is string => typeof n === 'string') : [];
};

export const rule = defineRule({
  id: 'lightsail.instances-created',
  title: 'Lightsail instances created outside the approved process',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.9', 'A.5.23'],
  mitre: ['T1578.002', 'T1496.001'],
  on: { source: 'lightsail', eventNames: ['CreateInstances', 'CreateInstancesFromSnapshot'] },
  match: (e, ctx) => isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [
    `${names(e).length || 'an unrecorded number of'} instance(s) of bundle ${
      stringParam(e.requestParameters, 'bundleId') ?? 'not recorded'
    } in ${e.awsRegion}${e.eventName === 'CreateInstancesFromSnapshot' ? ', from a snapshot' : ''}`,
    ...unapprovedReasons(e, ctx.config.approved),
  ],
  resources: (e) => names(e).map((n) => resourceArn(e, 'lightsail', `Instance/${n}`)),
  // One identity launching a fleet across regions is one finding for an hour.
  dedup: { key: (e) => `${accountOf(e)}|${actorArn(e)}`, windowSeconds: 3600 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'Lightsail instances were created (or restored from a snapshot) by someone other than the approved automation. ' +
    'Lightsail runs outside the account’s VPCs, security groups and most guardrails: a quiet place for a foothold, ' +
    'a crypto miner, or a copy of an instance rebuilt from its snapshot.',
  runbook: [
    'List them: `aws lightsail get-instances --region <region>` (and every region the finding names).',
    'Ask the actor. If unexplained, snapshot one for evidence, then delete them (`aws lightsail delete-instance`) ' +
      'and the key pairs and static IPs created with them.',
    'Look for how the actor got there: new access keys, a console session from an unusual place, other regions.',
  ],
  rationale:
    'Attackers with stolen keys launch compute where nobody looks (T1578.002, compute hijacking T1496.001; Sigma ' +
    '"AWS Lightsail Instance Created or Started"). In most organisations Lightsail is not part of the platform ' +
    'at all, so any launch outside the approved process is worth a look; medium, high on high-criticality assets, ' +
    'folded per identity for an hour. Refused calls are left to iam.access-denied-burst.',
  falsePositives: ['Teams that use Lightsail on purpose for small sites and create instances by hand.'],
  cases: () => [
    {
      name: 'three xlarge instances in ap-south-1 from a script',
      expect: 'match',
      event: fixture('lightsail/CreateInstances'),
    },
    {
      name: 'restored from a snapshot of an existing instance',
      expect: 'match',
      event: fixture('lightsail/CreateInstances', {
        eventName: 'CreateInstancesFromSnapshot',
        requestParameters: { instanceSnapshotName: 'billing-wp-1-nightly', instanceNames: ['copy-1'] },
      }),
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture('lightsail/CreateInstances', denied('AccessDeniedException', 'lightsail:CreateInstances')),
    },
    {
      name: 'the approved automation',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('lightsail/CreateInstances', BY_APPROVED_DEPLOY),
    },
  ],
};
