import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, param, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

/**
 * The addresses the set holds after the call. UpdateIPSet replaces the whole list, so this is the new content,
 * never a difference; undefined when CloudTrail did not record the list.
 */
const addressesOf = (e: CloudTrailRecord): readonly string[] | undefined => {
  const list = param(e.requestParameters, 'addresses');
  return Array.isArray(list) ? list.filter((a): a is string => typeof a === 'string') : undefined;
};

/** The IP set's ARN: CreateIPSet returns it; UpdateIPSet names the set by name, scope and id. */
const ipSetArn = (e: CloudTrailRecord): string => {
  const returned = stringParam(e.responseElements, 'summary', 'aRN');
  if (returned !== undefined) return returned;
  const p = e.requestParameters;
  const scope = (stringParam(p, 'scope') ?? 'REGIONAL').toUpperCase() === 'CLOUDFRONT' ? 'global' : 'regional';
  const id = stringParam(p, 'id') ?? stringParam(e.responseElements, 'summary', 'id') ?? 'unknown';
  return resourceArn(e, 'wafv2', `${scope}/ipset/${stringParam(p, 'name') ?? 'unknown'}/${id}`);
};

/** A new set with no addresses lets nothing through and blocks nothing until an update fills it (judged then). */
const createdEmpty = (e: CloudTrailRecord): boolean => e.eventName === 'CreateIPSet' && addressesOf(e)?.length === 0;

export const rule = defineRule({
  id: 'wafv2.ip-set-changed',
  title: 'WAF IP set created or rewritten outside the approved process',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.20', 'A.8.9'],
  mitre: ['T1562.007'],
  on: { source: 'wafv2', eventNames: ['CreateIPSet', 'UpdateIPSet'] },
  match: (e, ctx) => isUnapprovedChange(e, ctx.config.approved) && !createdEmpty(e),
  explain: (e, ctx) => {
    const addresses = addressesOf(e);
    const list =
      addresses === undefined
        ? 'addresses not recorded'
        : addresses.length === 0
          ? 'now empty'
          : `now ${addresses.slice(0, 10).join(', ')}${addresses.length > 10 ? ` and ${addresses.length - 10} more` : ''}`;
    return [
      `IP set ${stringParam(e.requestParameters, 'name') ?? ipSetArn(e)} ${e.eventName === 'CreateIPSet' ? 'created' : 'rewritten'} (${list}): a rule that allows or blocks by this set now treats these addresses differently`,
      ...unapprovedReasons(e, ctx.config.approved),
    ];
  },
  resources: (e) => [ipSetArn(e)],
  dedup: { key: (e) => `${accountOf(e)}|${ipSetArn(e)}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A WAF (wafv2) IP set was created or its address list replaced (CreateIPSet / UpdateIPSet) outside the ' +
    'approved process. Web ACL rules allow or block by these sets: an address added to an allow list passes the ' +
    'rate limits, geo blocks and admin-path rules, and one taken off a block list is let back in.',
  runbook: [
    'Read the set and where it is used: `aws wafv2 get-ip-set --name <name> --scope REGIONAL --id <id>` (CLOUDFRONT ' +
      'in us-east-1), then `aws wafv2 get-web-acl` for each web ACL whose rules reference its ARN (allow or block).',
    'Compare the addresses with the IaC definition; restore it by redeploying the owning stack unless a change ' +
      'record explains the edit.',
    'For any address that is not yours, search the load balancer or CloudFront access logs for its requests since ' +
      'the change, and review the actor’s other calls (web ACL rules changed, logging removed).',
  ],
  rationale:
    'Editing an IP set changes what the firewall lets in without touching the web ACL, so wafv2.protection-removed ' +
    'does not see it; Panther (aws_ipset_modified) watches it for the same reason (T1562.007). The record holds the ' +
    'new list, not the old one, and not whether a rule allows or blocks by it, so every change outside the approved ' +
    'process is a finding and the new list is in it. An empty set created is skipped: it does nothing until filled. ' +
    'Medium, high on high-criticality accounts. GuardDuty trusted-IP lists are guardduty.findings-suppressed; AWS ' +
    'WAF Classic (waf, waf-regional) reached end of support and is not watched.',
  falsePositives: [
    'Block-list automation (the AWS WAF Security Automations Lambda functions, a SOAR playbook) rewriting sets all ' +
      'day: approve its role.',
    'An engineer adding an office or partner address by hand during an incident: record it and move it into IaC.',
  ],
  cases: () => [
    { name: 'an address added to the office allow list', expect: 'match', event: fixture('wafv2/UpdateIPSet') },
    { name: 'a CloudFront allow list created with one address', expect: 'match', event: fixture('wafv2/CreateIPSet') },
    {
      name: 'a block list emptied',
      expect: 'match',
      event: fixture('wafv2/UpdateIPSet', { requestParameters: { name: 'bad-actors', addresses: [] } }),
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture('wafv2/UpdateIPSet', denied('AccessDeniedException', 'wafv2:UpdateIPSet')),
    },
    {
      name: 'a stale lock token (another writer got there first: nothing changed)',
      expect: 'no-match',
      event: fixture('wafv2/UpdateIPSet', {
        errorCode: 'WAFOptimisticLockException',
        errorMessage:
          'AWS WAF couldn’t save your changes because someone changed the resource after you started to edit it.',
        responseElements: null,
      }),
    },
    {
      name: 'an empty set created (it allows and blocks nothing yet)',
      expect: 'no-match',
      event: fixture('wafv2/CreateIPSet', { requestParameters: { addresses: [] } }),
    },
    {
      name: 'the approved deploy role through CloudFormation',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('wafv2/UpdateIPSet', BY_APPROVED_DEPLOY),
    },
  ],
};
