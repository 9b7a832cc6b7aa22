import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { partitionOf } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isJsonObject, param, parametersNotRecorded, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { flagParam } from '../core/destruction.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

/** The calls that take a web ACL off a distribution (or a multi-tenant distribution's tenant) outright. */
const DETACH = ['DisassociateDistributionWebACL', 'DisassociateDistributionTenantWebACL'] as const;

const distributionId = (e: CloudTrailRecord): string =>
  stringParam(e.requestParameters, 'id') ?? stringParam(e.responseElements, 'distribution', 'id') ?? 'unknown';

const distributionArn = (e: CloudTrailRecord): string =>
  stringParam(e.responseElements, 'distribution', 'aRN') ??
  `arn:${partitionOf(e.awsRegion)}:cloudfront::${accountOf(e)}:distribution/${distributionId(e)}`;

/**
 * What the call leaves the distribution without. UpdateDistribution replaces the whole configuration, so the
 * record says what the distribution has from now on, not what it had: no web ACL and standard logging off are
 * read from the new configuration. A record without it (CloudTrail omits oversized requests) fails closed.
 */
const removed = (e: CloudTrailRecord): string[] => {
  if ((DETACH as readonly string[]).includes(e.eventName)) {
    return ['web ACL detached: the distribution is served without WAF filtering'];
  }
  const config = param(e.requestParameters, 'distributionConfig');
  if (parametersNotRecorded(e) || !isJsonObject(config)) {
    return [
      'the record carries no distribution configuration: WAF and logging are not known, so both count as removed',
    ];
  }
  const out: string[] = [];
  if ((stringParam(config, 'webACLId') ?? '') === '') {
    out.push('no web ACL (webACLId empty): the distribution is served without WAF filtering');
  }
  if (flagParam(config, 'logging', 'enabled') !== true) {
    out.push('standard logging off (logging.enabled false): viewer requests are no longer logged');
  }
  return out;
};

export const rule = defineRule({
  id: 'cloudfront.distribution-protection-removed',
  title: 'CloudFront distribution left without WAF or access logging by hand',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.20', 'A.8.15'],
  mitre: ['T1562.001', 'T1562.008'],
  on: { source: 'cloudfront', eventNames: ['UpdateDistribution', ...DETACH] },
  match: (e, ctx) => removed(e).length > 0 && isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [
    `${distributionArn(e)}: ${removed(e).join('; ')}`,
    ...unapprovedReasons(e, ctx.config.approved),
  ],
  resources: (e) => [distributionArn(e)],
  dedup: { key: (e) => `${accountOf(e)}|${distributionId(e)}` },
});

const UPDATE = 'cloudfront/UpdateDistribution-protection-removed';

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A CloudFront distribution was left without its edge protections by someone outside the approved process: its ' +
    'WAF web ACL detached (DisassociateDistributionWebACL, or UpdateDistribution with an empty `webACLId`) or its ' +
    'standard access logging switched off (UpdateDistribution with `logging.enabled: false`). WAF web ACLs of ' +
    'CloudFront cannot be removed with WAF’s own DisassociateWebACL, so `wafv2.protection-removed` never sees this.',
  runbook: [
    'Read the distribution now: `aws cloudfront get-distribution-config --id <id>` (WebACLId, Logging) and the web ACL it should carry (`aws wafv2 list-web-acls --scope CLOUDFRONT --region us-east-1`).',
    'If the distribution had a web ACL or logging before (IaC, `aws cloudtrail lookup-events --region us-east-1 --lookup-attributes AttributeKey=ResourceName,AttributeValue=<id>`), restore it by redeploying the stack that owns it.',
    'Review the actor’s other calls around the change (origins, behaviours, functions): WAF is removed before a probe or an attack it would have blocked.',
    'If the distribution never had WAF or logging by design, suppress the rule for its ARN.',
  ],
  rationale:
    'UpdateDistribution sends the whole configuration, so the record shows what the distribution has afterwards, ' +
    'not what it had: the rule reads the new configuration (the Turbot tailpipe queries read snake_case paths ' +
    'CloudTrail never logs, and invert the geo-restriction test). Judged only outside the approved process, where an ' +
    'unprotected result is worth a look; medium, high on high-criticality assets. A record without the configuration ' +
    'fails closed. Geo restriction, certificates and origins are left to the approved-process review: their safe ' +
    'value depends on the site.',
  falsePositives: [
    'A hand-made change to a distribution that never had WAF or standard logging (suppress its ARN), or one that ' +
      'logs through the CloudWatch Logs delivery (v2 standard logging), which the legacy `logging` block does not show.',
  ],
  cases: () => [
    { name: 'update leaves the shop without WAF and logging', expect: 'match', event: fixture(UPDATE) },
    {
      name: 'web ACL detached with the dedicated call',
      expect: 'match',
      event: fixture('cloudfront/DisassociateDistributionWebACL'),
    },
    {
      name: 'WAF kept, logging switched off',
      expect: 'match',
      event: fixture(UPDATE, {
        requestParameters: {
          distributionConfig: { webACLId: 'arn:aws:wafv2:us-east-1:111122223333:global/webacl/shop/a1b2c3d4' },
        },
      }),
    },
    {
      name: 'oversized request omitted by CloudTrail: fails closed',
      expect: 'match',
      event: fixture(UPDATE, {
        requestParameters: { reason: 'requestParameters too large', omitted: true },
      }),
    },
    {
      name: 'update keeps WAF and logging (a cache tweak)',
      expect: 'no-match',
      event: fixture(UPDATE, {
        requestParameters: {
          distributionConfig: {
            webACLId: 'arn:aws:wafv2:us-east-1:111122223333:global/webacl/shop/a1b2c3d4',
            logging: {
              includeCookies: false,
              prefix: 'shop/',
              enabled: 'true',
              bucket: 'logs-111122223333.s3.amazonaws.com',
            },
          },
        },
      }),
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture(UPDATE, denied('AccessDenied', 'cloudfront:UpdateDistribution')),
    },
    {
      name: 'the approved deploy role',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('cloudfront/DisassociateDistributionWebACL', BY_APPROVED_DEPLOY),
    },
  ],
};
