import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { partitionOf } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

/** Hosted zone ARNs are global: `arn:aws:route53:::hostedzone/<id>` (the id may come as `/hostedzone/<id>`). */
const zoneArn = (e: CloudTrailRecord): string => {
  const id = (stringParam(e.requestParameters, 'id') ?? 'unknown').replace(/^\/?hostedzone\//, '');
  return `arn:${partitionOf(e.awsRegion)}:route53:::hostedzone/${id}`;
};

export const rule = defineRule({
  id: 'route53.hosted-zone-deleted',
  title: 'Route 53 hosted zone deleted outside the approved process',
  severity: 'high',
  escalation: { low: 'medium', high: 'critical' },
  controls: ['A.8.20', 'A.8.9'],
  mitre: ['T1489', 'T1485'],
  on: { source: 'route53', eventNames: ['DeleteHostedZone'] },
  match: (e, ctx) => isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => unapprovedReasons(e, ctx.config.approved),
  resources: (e) => [zoneArn(e)],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A Route 53 hosted zone was deleted by someone other than the approved deploy automation: every name in it ' +
    'stops resolving (public zone: for the internet; private zone: for the VPCs associated with it), and a ' +
    'recreated public zone gets new name servers that the registrar must be told about.',
  runbook: [
    'Recreate the zone from IaC or a zone export and restore its records; for a public zone, update the name servers at the registrar (`aws route53domains update-domain-nameservers`) to the new zone’s NS set.',
    'Watch for subdomain takeover: records pointing at deleted resources elsewhere can be claimed by others while the zone is rebuilt.',
    'Find the change record. If there is none, treat it as an incident: revoke the actor’s sessions and review their other calls.',
  ],
  rationale:
    'A hosted zone can only be deleted once its records are gone, so a successful deletion is the end of a deliberate teardown, and takes every service named in it off the network (T1489). High, critical on high-criticality assets, medium on low: DNS outages hit every customer at once. Route 53 events reach EventBridge in us-east-1, where the forwarder picks them up.',
  falsePositives: ['Zones of retired domains or test environments removed by hand after a ticket.'],
  cases: () => [
    { name: 'alice deletes a hosted zone', expect: 'match', event: fixture('route53/DeleteHostedZone') },
    {
      name: 'denied',
      expect: 'no-match',
      event: fixture('route53/DeleteHostedZone', denied('AccessDenied', 'route53:DeleteHostedZone')),
    },
    {
      name: 'zone still has records: Route 53 refuses',
      expect: 'no-match',
      event: fixture('route53/DeleteHostedZone', {
        errorCode: 'HostedZoneNotEmpty',
        errorMessage: 'The specified hosted zone contains non-required resource record sets and so cannot be deleted.',
        responseElements: null,
      }),
    },
    {
      name: 'approved deploy role through CloudFormation',
      expect: 'no-match',
      event: fixture('route53/DeleteHostedZone', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
  ],
};
