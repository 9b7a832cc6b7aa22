import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isServiceInvoked, isSuccess, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

/** Each event, the request field that names what it deleted, and the ARN resource type. */
const DELETIONS = {
  DeleteConfigRule: ['configRuleName', 'config-rule'],
  DeleteOrganizationConfigRule: ['organizationConfigRuleName', 'organization-config-rule'],
  DeleteConformancePack: ['conformancePackName', 'conformance-pack'],
  DeleteOrganizationConformancePack: ['organizationConformancePackName', 'organization-conformance-pack'],
  DeleteConfigurationAggregator: ['configurationAggregatorName', 'config-aggregator'],
  DeleteAggregationAuthorization: ['authorizedAccountId', 'aggregation-authorization'],
  DeleteRemediationConfiguration: ['configRuleName', 'remediation-configuration'],
} as const;
type Deletion = keyof typeof DELETIONS;
const isDeletion = (name: string): name is Deletion => name in DELETIONS;

const deleted = (e: CloudTrailRecord): string | undefined =>
  isDeletion(e.eventName) ? stringParam(e.requestParameters, DELETIONS[e.eventName][0]) : undefined;

/**
 * Config rule ARNs carry a generated id the request does not; the name in the event's region and account is what
 * on-call searches for, so the resource is named by it.
 */
const resourcesOf = (e: CloudTrailRecord): string[] =>
  isDeletion(e.eventName) ? [resourceArn(e, 'config', `${DELETIONS[e.eventName][1]}/${deleted(e) ?? 'unknown'}`)] : [];

export const rule = defineRule({
  id: 'config.rules-deleted',
  title: 'AWS Config rules, conformance packs or aggregators deleted',
  severity: 'high',
  controls: ['A.8.16', 'A.8.9'],
  mitre: ['T1562.001'],
  on: { source: 'config', eventNames: Object.keys(DELETIONS) },
  match: (e) => isSuccess(e) && !isServiceInvoked(e),
  explain: (e) => [`${e.eventName.replace(/^Delete/, '')} deleted: ${deleted(e) ?? 'name not recorded'}`],
  dedup: { key: (e) => `${accountOf(e)}|${e.awsRegion}|config-rules` },
  resources: resourcesOf,
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'The recorder kept running, but what judges its records went: a Config rule (account or organisation), a ' +
    'conformance pack, a remediation, or the aggregator (and its authorisation) that gives the security account the ' +
    'organisation-wide view. Compliance drift after this goes unreported.',
  runbook: [
    'See what is left: `aws configservice describe-config-rules`, `describe-conformance-packs`, `describe-configuration-aggregators`.',
    'Redeploy the deleted rule or pack from its source (the organisation stack or pack template) unless a change record explains it.',
    "Review the actor's other calls in the session: removing the check often precedes the change it would have caught.",
  ],
  rationale:
    'One successful call is enough; high because these rules evidence A.8.9 and A.8.16 for the auditor as much as ' +
    'they detect. Deletions made by AWS services (organisation rules removed by Config itself, Security Hub ' +
    'disabling its service-linked rules) are left out.',
  falsePositives: [
    'Rule and pack clean-ups during infrastructure-as-code deployments outside the approved process: run them through the approved role.',
  ],
  cases: () => [
    { name: 'a Config rule deleted', expect: 'match', event: fixture('config/DeleteConfigRule') },
    { name: 'a conformance pack deleted', expect: 'match', event: fixture('config/DeleteConformancePack') },
    { name: 'the aggregator deleted', expect: 'match', event: fixture('config/DeleteConfigurationAggregator') },
    {
      name: 'Security Hub removes its own service-linked rule',
      expect: 'no-match',
      event: fixture('config/DeleteConfigRule', {
        requestParameters: { configRuleName: 'securityhub-cloud-trail-cloud-watch-logs-enabled-3a4b5c' },
        userIdentity: { invokedBy: 'securityhub.amazonaws.com' },
        sourceIPAddress: 'securityhub.amazonaws.com',
        userAgent: 'securityhub.amazonaws.com',
      }),
    },
    {
      name: 'DeleteConfigRule denied',
      expect: 'no-match',
      event: fixture('config/DeleteConfigRule', {
        errorCode: 'AccessDeniedException',
        errorMessage:
          'User: arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/bob is not authorized to perform: config:DeleteConfigRule',
      }),
    },
  ],
};
