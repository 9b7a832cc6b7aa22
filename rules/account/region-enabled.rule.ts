import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { accountRootArn, partitionOf } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isServiceInvoked, isSuccess, stringParam } from '../core/cloudtrail.ts';
import type { DetectionConfig } from '../core/config.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

const regionOf = (e: CloudTrailRecord): string | undefined => stringParam(e.requestParameters, 'regionName');
/** The management account may enable a region in a member account (`accountId`); otherwise it is the caller's. */
const targetAccount = (e: CloudTrailRecord): string => stringParam(e.requestParameters, 'accountId') ?? accountOf(e);

/**
 * Why enabling this region is a finding, or undefined. A region outside `approvedRegions` is one whoever enables it
 * (nothing should run there); with no list, any enabling outside the approved process is.
 */
const reason = (e: CloudTrailRecord, config: DetectionConfig): string | undefined => {
  const approved = config.approvedRegions ?? [];
  const region = regionOf(e);
  if (approved.length > 0) {
    if (region !== undefined && approved.includes(region)) return undefined;
    return `${region ?? '(region not recorded)'} is not among the approved regions (${approved.join(', ')})`;
  }
  return isUnapprovedChange(e, config.approved) ? unapprovedReasons(e, config.approved).join('; ') : undefined;
};

export const rule = defineRule({
  id: 'account.region-enabled',
  title: 'Opt-in region enabled outside the approved regions or process',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.5.23', 'A.8.16'],
  mitre: ['T1535'],
  on: { source: 'account', eventNames: ['EnableRegion'] },
  match: (e, ctx) => isSuccess(e) && !isServiceInvoked(e) && reason(e, ctx.config) !== undefined,
  explain: (e, ctx) => [
    `region ${regionOf(e) ?? '(not recorded)'} enabled for account ${targetAccount(e)}`,
    reason(e, ctx.config) ?? '',
  ],
  resources: (e) => [accountRootArn(partitionOf(e.awsRegion), targetAccount(e))],
});

const APPROVED_REGIONS = { approvedRegions: ['eu-west-1', 'us-east-1'] };

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An opt-in region (af-south-1, ap-east-1, me-south-1 …) was enabled for an account with the Account Management ' +
    'EnableRegion call: outside `approvedRegions` when that list is set, else outside the approved process. A region ' +
    'nobody uses is where an intruder runs resources that no dashboard, alarm or regional detector looks at.',
  runbook: [
    'Check what is enabled: `aws account list-regions --region-opt-status-contains ENABLED ENABLING` (add `--account-id` for a member account).',
    'Unless planned, disable it again: `aws account disable-region --region-name <region>`; first list what was created there (`aws ec2 describe-instances --region <region>`, Resource Explorer, Cost Explorer by region).',
    'Block it for good with an SCP denying actions outside the approved regions (aws:RequestedRegion).',
  ],
  rationale:
    'Sigma aws_cloudtrail_enable_region: enabling a region is rare and precedes using it; ec2.unapproved-region sees ' +
    'resources created there afterwards, this sees the door being opened. Tied to `approvedRegions`: enabling an ' +
    'approved region is not a finding, enabling any other is, whoever did it; without a list, any enabling outside ' +
    'the approved process is. Medium, high on high-criticality accounts. Account Management logs in us-east-1, so ' +
    'the us-east-1 forwarder carries it. A record without the region name is treated as an unapproved region.',
  falsePositives: ['A planned expansion into a new region before approvedRegions was updated: update the config.'],
  cases: () => [
    {
      name: "EnableRegion claimed by cloudtrail.amazonaws.com (Panther's test record): not where AWS logs it",
      expect: 'no-match',
      event: fixture('account/EnableRegion-panther'),
    },
    {
      name: 'an unapproved region enabled',
      expect: 'match',
      config: APPROVED_REGIONS,
      event: fixture('account/EnableRegion'),
    },
    {
      name: 'no region list: enabled by hand',
      expect: 'match',
      event: fixture('account/EnableRegion'),
    },
    {
      name: 'an approved region enabled',
      expect: 'no-match',
      config: APPROVED_REGIONS,
      event: fixture('account/EnableRegion', { requestParameters: { regionName: 'eu-west-1' } }),
    },
    {
      name: 'no region list: the approved deploy role enables it',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('account/EnableRegion', BY_APPROVED_DEPLOY),
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture('account/EnableRegion', denied('AccessDeniedException', 'account:EnableRegion')),
    },
  ],
};
