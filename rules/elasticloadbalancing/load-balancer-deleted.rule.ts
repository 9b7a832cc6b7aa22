import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

/** ELBv2 names the balancer by ARN; the classic API (same eventSource and eventName) by name. */
const balancerArn = (e: CloudTrailRecord): string =>
  stringParam(e.requestParameters, 'loadBalancerArn') ??
  resourceArn(
    e,
    'elasticloadbalancing',
    `loadbalancer/${stringParam(e.requestParameters, 'loadBalancerName') ?? 'unknown'}`,
  );

export const rule = defineRule({
  id: 'elasticloadbalancing.load-balancer-deleted',
  title: 'Load balancer deleted outside the approved process',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.20', 'A.8.9'],
  mitre: ['T1489', 'T1485'],
  on: { source: 'elasticloadbalancing', eventNames: ['DeleteLoadBalancer'] },
  match: (e, ctx) => isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => unapprovedReasons(e, ctx.config.approved),
  resources: (e) => [balancerArn(e)],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An Application, Network or Gateway Load Balancer, or a Classic Load Balancer, was deleted by someone other ' +
    'than the approved deploy automation: the entry point to a service is gone, and its DNS name can never be ' +
    'recovered.',
  runbook: [
    'Recreate it from IaC (`aws cloudformation detect-stack-drift --stack-name <stack>`, then redeploy) and repoint DNS: the new balancer gets a new DNS name, so CNAMEs and alias records must change.',
    'Find the change record. If there is none, treat it as an incident: revoke the actor’s sessions and review their other calls.',
    'Prevent it: turn on deletion protection (`aws elbv2 modify-load-balancer-attributes --load-balancer-arn <arn> --attributes Key=deletion_protection.enabled,Value=true`).',
  ],
  rationale:
    'Deleting a load balancer takes a service off the network at once (T1489) and its DNS name with it. Every deletion outside the approved process is a finding (no threshold): medium, high on high-criticality assets, like the other network-change rules. Both APIs (elbv2 and classic) log `DeleteLoadBalancer` under elasticloadbalancing.amazonaws.com.',
  falsePositives: ['Balancers of retired environments removed by hand (set those accounts to low criticality).'],
  cases: () => [
    {
      name: 'alice deletes an application load balancer',
      expect: 'match',
      event: fixture('elasticloadbalancing/DeleteLoadBalancer'),
    },
    {
      name: 'classic load balancer named by name',
      expect: 'match',
      event: fixture('elasticloadbalancing/DeleteLoadBalancer', {
        requestParameters: { loadBalancerArn: undefined, loadBalancerName: 'legacy-web' },
      }),
    },
    {
      name: 'denied',
      expect: 'no-match',
      event: fixture(
        'elasticloadbalancing/DeleteLoadBalancer',
        denied('AccessDenied', 'elasticloadbalancing:DeleteLoadBalancer'),
      ),
    },
    {
      name: 'deletion protection on: ELB refuses',
      expect: 'no-match',
      event: fixture('elasticloadbalancing/DeleteLoadBalancer', {
        errorCode: 'OperationNotPermittedException',
        errorMessage: 'Load balancer is protected from deletion',
      }),
    },
    {
      name: 'approved deploy role through CloudFormation',
      expect: 'no-match',
      event: fixture('elasticloadbalancing/DeleteLoadBalancer', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
  ],
};
