import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { param, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

/** ELBv2 (`SetSecurityGroups`) names the balancer by ARN; the classic API by name. */
const balancerArn = (e: CloudTrailRecord): string =>
  stringParam(e.requestParameters, 'loadBalancerArn') ??
  resourceArn(
    e,
    'elasticloadbalancing',
    `loadbalancer/${stringParam(e.requestParameters, 'loadBalancerName') ?? 'unknown'}`,
  );

const groupsSet = (e: CloudTrailRecord): string[] => {
  const v = param(e.requestParameters, 'securityGroups');
  return Array.isArray(v) ? v.filter((g): g is string => typeof g === 'string') : [];
};

export const rule = defineRule({
  id: 'elasticloadbalancing.security-groups-changed',
  title: 'Load balancer security groups replaced outside the approved process',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.20', 'A.8.9'],
  mitre: ['T1562.007', 'T1599'],
  on: { source: 'elasticloadbalancing', eventNames: ['SetSecurityGroups', 'ApplySecurityGroupsToLoadBalancer'] },
  match: (e, ctx) => isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => {
    const groups = groupsSet(e);
    return [
      `security groups of the load balancer replaced by ${groups.length > 0 ? groups.join(', ') : '(none recorded)'}: what may reach it, and what it may reach, now follow those groups`,
      ...unapprovedReasons(e, ctx.config.approved),
    ];
  },
  resources: (e) => [balancerArn(e)],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'The security groups of an Application or Network Load Balancer (SetSecurityGroups) or a Classic Load Balancer ' +
    '(ApplySecurityGroupsToLoadBalancer) were replaced outside the approved process. The call swaps the whole set, ' +
    'so one call can put an internet-open group in front of a service, or take the restricting one away.',
  runbook: [
    'Read the groups now attached (`aws elbv2 describe-load-balancers --load-balancer-arns <arn>` or `aws elb describe-load-balancers --load-balancer-names <name>`) and their rules (`aws ec2 describe-security-group-rules --filters Name=group-id,Values=<sg>`).',
    'Compare with IaC (`aws cloudformation detect-stack-drift`); put the intended groups back unless a change record explains it.',
    'Check the balancer’s access logs and the targets’ traffic since the change for sources that could not reach it before.',
  ],
  rationale:
    'Security group rule changes are ec2.security-group-changed and ec2.ingress-open-to-internet; swapping which ' +
    'groups a balancer uses changes its exposure without touching any rule, so those rules never see it. Outside the ' +
    'approved process, like the other network changes: medium, high on high-criticality assets. Both APIs log under ' +
    'elasticloadbalancing.amazonaws.com.',
  falsePositives: ['Console changes during an incident: record them and suppress per balancer with a dated reason.'],
  cases: () => [
    { name: 'ALB security groups replaced', expect: 'match', event: fixture('elasticloadbalancing/SetSecurityGroups') },
    {
      name: 'classic balancer security groups replaced',
      expect: 'match',
      event: fixture('elasticloadbalancing/ApplySecurityGroupsToLoadBalancer'),
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture(
        'elasticloadbalancing/SetSecurityGroups',
        denied('AccessDenied', 'elasticloadbalancing:SetSecurityGroups'),
      ),
    },
    {
      name: 'the approved deploy role through CloudFormation',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('elasticloadbalancing/SetSecurityGroups', BY_APPROVED_DEPLOY),
    },
  ],
};
