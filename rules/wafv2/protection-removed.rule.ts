import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

/** What each call takes away. */
const EFFECT = {
  DeleteWebACL: 'web ACL deleted: its rules no longer filter any resource',
  DisassociateWebACL: 'web ACL detached: the resource is served without WAF filtering',
  DeleteLoggingConfiguration: 'web ACL logging deleted: requests are no longer logged',
} as const;
type Removal = keyof typeof EFFECT;
const isRemoval = (name: string): name is Removal => name in EFFECT;

/** The web ACL (or the protected resource) the call names; DeleteWebACL names the ACL by name, scope and id. */
const target = (e: CloudTrailRecord): string => {
  const p = e.requestParameters;
  const arn = stringParam(p, 'resourceArn');
  if (arn !== undefined) return arn;
  const scope = (stringParam(p, 'scope') ?? 'REGIONAL').toUpperCase() === 'CLOUDFRONT' ? 'global' : 'regional';
  return resourceArn(
    e,
    'wafv2',
    `${scope}/webacl/${stringParam(p, 'name') ?? 'unknown'}/${stringParam(p, 'id') ?? 'unknown'}`,
  );
};

export const rule = defineRule({
  id: 'wafv2.protection-removed',
  title: 'WAF web ACL deleted, detached or its logging removed',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.20', 'A.8.15'],
  mitre: ['T1562.001', 'T1562.008'],
  on: { source: 'wafv2', eventNames: Object.keys(EFFECT) },
  match: (e, ctx) => isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [
    `${isRemoval(e.eventName) ? EFFECT[e.eventName] : e.eventName} (${target(e)})`,
    ...unapprovedReasons(e, ctx.config.approved),
  ],
  resources: (e) => [target(e)],
  dedup: { key: (e) => `${accountOf(e)}|${e.awsRegion}|waf-protection` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'AWS WAF protection was removed outside the approved process: a web ACL deleted, detached from its load ' +
    'balancer, API or distribution, or its request logging deleted. The application keeps serving, without the ' +
    'filtering (managed rule groups, rate limits, IP blocks) or without the record of what it was sent.',
  runbook: [
    'Check what is attached now: `aws wafv2 get-web-acl-for-resource --resource-arn <arn>` and ' +
      '`aws wafv2 list-web-acls --scope REGIONAL` (CLOUDFRONT in us-east-1); `aws wafv2 get-logging-configuration ' +
      '--resource-arn <web-acl-arn>`.',
    'Restore from IaC (redeploy the stack that owns the ACL, association and logging) unless a change record ' +
      'explains it.',
    'Look at the traffic the resource took while unprotected (load balancer or CloudFront access logs) for the ' +
      'attacks the ACL used to block, and at the actor’s other calls.',
  ],
  rationale:
    'Removing a WAF or its logs is how an attacker prepares an application-layer attack or hides it (T1562.001, ' +
    'T1562.008; Splunk and Elastic watch WAF deletions). Medium, high on high-criticality assets: WAFs are also ' +
    'reshuffled by hand during incidents; only calls outside the approved process count. Refused calls are ' +
    'excluded. AWS WAF Classic (waf, waf-regional) reached end of support and is not watched.',
  falsePositives: [
    'An engineer detaching a web ACL by hand to rule it out while debugging blocked requests (confirm and re-attach).',
    'Decommissioning an application together with its web ACL outside the pipeline.',
  ],
  cases: () => [
    { name: 'bob deletes the storefront web ACL', expect: 'match', event: fixture('wafv2/DeleteWebACL') },
    { name: 'web ACL logging deleted', expect: 'match', event: fixture('wafv2/DeleteLoggingConfiguration') },
    { name: 'web ACL detached from the load balancer', expect: 'match', event: fixture('wafv2/DisassociateWebACL') },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture('wafv2/DeleteWebACL', denied('AccessDeniedException', 'wafv2:DeleteWebACL')),
    },
    {
      name: 'the approved deploy role through CloudFormation',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('wafv2/DeleteLoggingConfiguration', BY_APPROVED_DEPLOY),
    },
  ],
};
