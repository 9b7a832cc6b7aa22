import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { deletionReasons, isUnapprovedDeletion } from '../core/destruction.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

const domainName = (e: CloudTrailRecord): string => stringParam(e.requestParameters, 'domainName') ?? 'unknown';
const domainArn = (e: CloudTrailRecord): string => resourceArn(e, 'es', `domain/${domainName(e)}`);

export const rule = defineRule({
  id: 'es.domain-deleted',
  title: 'OpenSearch or Elasticsearch domain deleted outside the approved process',
  severity: 'high',
  escalation: { high: 'critical', low: 'medium' },
  controls: ['A.8.10'],
  mitre: ['T1485'],
  // Both APIs are logged under es.amazonaws.com: DeleteDomain (OpenSearch) and DeleteElasticsearchDomain (legacy).
  on: { source: 'es', eventNames: ['DeleteDomain', 'DeleteElasticsearchDomain'] },
  match: (e, ctx) => isUnapprovedDeletion(e, ctx.config, [domainName(e), domainArn(e)]),
  explain: (e, ctx) => deletionReasons(e, ctx.config),
  resources: (e) => [domainArn(e)],
  dedup: { key: domainArn },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An Amazon OpenSearch Service domain (or a legacy Elasticsearch domain) was deleted by someone other than the ' +
    'approved deploy automation, with every index in it: often search data, and often security logs.',
  runbook: [
    'Automated snapshots are deleted with the domain: find manual snapshots in the registered snapshot repository (the S3 bucket behind `_snapshot`) and restore them into a new domain.',
    'If the domain held security or audit logs, the sources (CloudTrail, flow logs in S3) still have the events: re-ingest them.',
    'Find the change record. If there is none, treat it as an incident: revoke the actor’s sessions and review their other calls.',
  ],
  rationale:
    'Deleting a domain destroys its indices and its automated snapshots at once (T1485). One call is enough: high, critical on high-criticality assets, medium on low ones. Only calls outside the approved process match.',
  falsePositives: ['Short-lived test domains deleted by hand (set sandbox accounts to low criticality).'],
  cases: () => [
    { name: 'alice deletes the search-logs domain', expect: 'match', event: fixture('es/DeleteDomain') },
    {
      name: 'legacy Elasticsearch API',
      expect: 'match',
      event: fixture('es/DeleteDomain', { eventName: 'DeleteElasticsearchDomain' }),
    },
    {
      name: 'denied',
      expect: 'no-match',
      event: fixture('es/DeleteDomain', denied('AccessDeniedException', 'es:DeleteDomain')),
    },
    {
      name: 'approved deploy role through CloudFormation',
      expect: 'no-match',
      event: fixture('es/DeleteDomain', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
    {
      name: 'deleting a package is not deleting a domain',
      expect: 'no-match',
      event: fixture('es/DeleteDomain', { eventName: 'DeletePackage', requestParameters: { packageID: 'F123456789' } }),
    },
  ],
};
