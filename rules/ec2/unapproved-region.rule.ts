import { partitionOf, regionalArn } from '../core/arn.ts';
import { accountOf, isServiceInvoked, isSuccess } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

/**
 * What attackers do in a region nobody watches: launch compute (crypto mining), bring their own key pair,
 * build a network to hide it in. Read-only calls are left out: consoles and scanners touch every region.
 */
const LAUNCH_EVENTS = [
  'RunInstances',
  'RequestSpotInstances',
  'RequestSpotFleet',
  'CreateFleet',
  'ImportKeyPair',
  'CreateKeyPair',
  'CreateVpc',
] as const;

const approvedRegions = { approvedRegions: ['eu-west-1', 'us-east-1'] };

export const rule = defineRule({
  id: 'ec2.unapproved-region',
  title: 'Compute, key pairs or VPCs created in a region the organisation does not use',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.5.23', 'A.8.16'],
  mitre: ['T1535', 'T1496'],
  on: { source: 'ec2', eventNames: LAUNCH_EVENTS },
  match: (e, ctx) => {
    const regions = ctx.config.approvedRegions ?? [];
    return regions.length > 0 && !regions.includes(e.awsRegion) && isSuccess(e) && !isServiceInvoked(e);
  },
  explain: (e, ctx) => [
    `${e.awsRegion} is not among the approved regions (${(ctx.config.approvedRegions ?? []).join(', ')})`,
  ],
  resources: (e) => [regionalArn(partitionOf(e.awsRegion), 'ec2', e.awsRegion, accountOf(e), '*')],
  // One finding per account and region: a mining run is hundreds of launches.
  dedup: { key: (e) => `${accountOf(e)}|${e.awsRegion}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'Instances, spot requests, fleets, key pairs or VPCs were created in a region outside `approvedRegions` ' +
    '(detection config): activity where nobody looks, typically crypto mining with stolen credentials. With no ' +
    'approved regions configured the rule never matches.',
  runbook: [
    'List what was created in the region: `aws ec2 describe-instances --region <region>`, key pairs, VPCs, spot requests.',
    'If nobody owns it, terminate the instances, delete key pairs and revoke the actor’s credentials.',
    'Deny the region with an SCP (`aws:RequestedRegion`) so it cannot happen again.',
  ],
  rationale:
    'Any launch outside the regions in use is worth a look: legitimate expansion is planned and added to the config ' +
    'first. High, critical on high-criticality accounts, because mining bills grow by the hour.',
  falsePositives: [
    'A team starting in a new region before the config lists it.',
    'Disaster-recovery tests in a standby region.',
  ],
  cases: () => [
    {
      name: 'RunInstances in an unapproved region',
      expect: 'match',
      event: fixture('ec2/RunInstances', { awsRegion: 'ap-southeast-3' }),
      config: approvedRegions,
    },
    {
      name: 'ImportKeyPair in an unapproved region',
      expect: 'match',
      event: fixture('ec2/RunInstances', {
        eventName: 'ImportKeyPair',
        awsRegion: 'sa-east-1',
        requestParameters: { keyName: 'k' },
        responseElements: null,
      }),
      config: approvedRegions,
    },
    {
      name: 'RunInstances in an approved region',
      expect: 'no-match',
      event: fixture('ec2/RunInstances'),
      config: approvedRegions,
    },
    {
      name: 'denied in an unapproved region',
      expect: 'no-match',
      event: fixture('ec2/RunInstances', {
        awsRegion: 'ap-southeast-3',
        errorCode: 'Client.UnauthorizedOperation',
        errorMessage: 'You are not authorized to perform this operation.',
        responseElements: null,
      }),
      config: approvedRegions,
    },
    {
      name: 'read-only call in an unapproved region is not selected',
      expect: 'no-match',
      event: fixture('ec2/RunInstances', {
        eventName: 'DescribeInstances',
        awsRegion: 'ap-southeast-3',
        readOnly: true,
      }),
      config: approvedRegions,
    },
    {
      name: 'no approved regions configured',
      expect: 'no-match',
      event: fixture('ec2/RunInstances', { awsRegion: 'ap-southeast-3' }),
    },
  ],
};
