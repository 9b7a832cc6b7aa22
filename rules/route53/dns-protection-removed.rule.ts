import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { partitionOf } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

/** What each call takes away from a public hosted zone. */
const EFFECT: Readonly<Record<string, string>> = {
  DeleteQueryLoggingConfig: 'DNS query logging deleted: queries for the zone are no longer logged',
  DisableHostedZoneDNSSEC: 'DNSSEC signing disabled: answers for the zone can be forged again',
  DeactivateKeySigningKey: 'DNSSEC key-signing key deactivated',
  DeleteKeySigningKey: 'DNSSEC key-signing key deleted',
};

/** The zone (or, for a query logging configuration, the configuration) the call names. */
const target = (e: CloudTrailRecord): string => {
  const zone = stringParam(e.requestParameters, 'hostedZoneId')?.replace(/^\/?hostedzone\//, '');
  if (zone !== undefined) return `arn:${partitionOf(e.awsRegion)}:route53:::hostedzone/${zone}`;
  const config = stringParam(e.requestParameters, 'id') ?? 'unknown';
  return `arn:${partitionOf(e.awsRegion)}:route53:::queryloggingconfig/${config}`;
};

export const rule = defineRule({
  id: 'route53.dns-protection-removed',
  title: 'Route 53 query logging deleted or DNSSEC switched off by hand',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.15', 'A.8.20'],
  mitre: ['T1562.008', 'T1562.001'],
  on: { source: 'route53', eventNames: Object.keys(EFFECT) },
  match: (e, ctx) => isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [
    `${EFFECT[e.eventName] ?? e.eventName} (${target(e)})`,
    ...unapprovedReasons(e, ctx.config.approved),
  ],
  resources: (e) => [target(e)],
  dedup: { key: target },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A public hosted zone lost a protection outside the approved process: its DNS query logging deleted ' +
    '(DeleteQueryLoggingConfig), or its DNSSEC signing disabled or a key-signing key deactivated or deleted ' +
    '(DisableHostedZoneDNSSEC, DeactivateKeySigningKey, DeleteKeySigningKey). The first blinds the record of who ' +
    'resolved the zone’s names; the second lets resolvers accept forged answers again, and a key removed while the ' +
    'parent still holds its DS record makes validating resolvers fail the whole zone.',
  runbook: [
    'Read the zone’s state: `aws route53 list-query-logging-configs --hosted-zone-id <id>` and `aws route53 get-dnssec --hosted-zone-id <id>`.',
    'Restore from IaC (query logging to its us-east-1 log group; `aws route53 enable-hosted-zone-dnssec` with an active key-signing key) unless a change record explains it; a DNSSEC change must be coordinated with the DS record at the registrar.',
    'Review the actor’s other calls: record changes (ChangeResourceRecordSets) right after are the point of removing the protection.',
  ],
  rationale:
    'Route 53 query logging is the hosted-zone counterpart of resolver query logging (`route53resolver.query-logging-removed`), ' +
    'and DNSSEC the integrity of the zone’s answers; both are set once by IaC and rarely touched. Outside the ' +
    'approved process; medium, high on high-criticality accounts. Resolver query logs are a separate rule. No ' +
    'published CloudTrail example of these calls: the record follows Route 53’s (`hostedZoneId`, `id`, as ' +
    'DeleteHostedZone logs them).',
  falsePositives: [
    'A planned DNSSEC key rotation or a zone migration done by hand: do it through IaC or suppress the zone.',
  ],
  cases: () => [
    { name: 'DNSSEC signing disabled', expect: 'match', event: fixture('route53/DisableHostedZoneDNSSEC') },
    { name: 'query logging deleted', expect: 'match', event: fixture('route53/DeleteQueryLoggingConfig') },
    {
      name: 'key-signing key deactivated',
      expect: 'match',
      event: fixture('route53/DisableHostedZoneDNSSEC', {
        eventName: 'DeactivateKeySigningKey',
        requestParameters: { name: 'ksk-2026' },
      }),
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture('route53/DisableHostedZoneDNSSEC', denied('AccessDenied', 'route53:DisableHostedZoneDNSSEC')),
    },
    {
      name: 'the approved deploy role',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('route53/DeleteQueryLoggingConfig', BY_APPROVED_DEPLOY),
    },
  ],
};
