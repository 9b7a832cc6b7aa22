import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord, JsonValue } from '../core/cloudtrail.ts';
import { accountOf, param, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

const isFalse = (v: JsonValue | undefined): boolean =>
  v === false || (typeof v === 'string' && v.toLowerCase() === 'false');

/**
 * What the call switched off. A repository's scan-on-push set to false; a registry configuration whose rules
 * scan nothing automatically (no rules, or every rule MANUAL), which overrides every repository's own setting.
 */
const disabled = (e: CloudTrailRecord): string[] => {
  const p = e.requestParameters;
  if (e.eventName === 'PutImageScanningConfiguration') {
    return isFalse(param(p, 'imageScanningConfiguration', 'scanOnPush'))
      ? [`scan on push turned off for repository ${stringParam(p, 'repositoryName') ?? '(name not recorded)'}`]
      : [];
  }
  const rules = param(p, 'rules');
  const automatic = (Array.isArray(rules) ? rules : []).filter((r) => {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) return false;
    return typeof r.scanFrequency === 'string' && r.scanFrequency.toUpperCase() !== 'MANUAL';
  });
  return automatic.length === 0
    ? [`registry scanning (${stringParam(p, 'scanType') ?? 'type not recorded'}) left with no automatic scan rule`]
    : [];
};

const resourcesOf = (e: CloudTrailRecord): string[] => {
  const repo = stringParam(e.requestParameters, 'repositoryName');
  const registry = stringParam(e.requestParameters, 'registryId') ?? accountOf(e);
  return repo === undefined ? [] : [resourceArn(e, 'ecr', `repository/${repo}`, registry)];
};

export const rule = defineRule({
  id: 'ecr.image-scanning-disabled',
  title: 'ECR image scanning on push turned off',
  severity: 'medium',
  controls: ['A.8.8', 'A.8.16'],
  mitre: ['T1562.001', 'T1525'],
  on: { source: 'ecr', eventNames: ['PutImageScanningConfiguration', 'PutRegistryScanningConfiguration'] },
  match: (e, ctx) => isUnapprovedChange(e, ctx.config.approved) && disabled(e).length > 0,
  explain: (e, ctx) => [...disabled(e), ...unapprovedReasons(e, ctx.config.approved)],
  resources: resourcesOf,
  dedup: {
    key: (e) => `${accountOf(e)}|${e.awsRegion}|${stringParam(e.requestParameters, 'repositoryName') ?? 'registry'}`,
  },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'Vulnerability scanning of pushed images was switched off outside the approved process, for one repository ' +
    '(scanOnPush false) or for the whole registry (no automatic scan rule left): the next image pushed, a ' +
    'backdoored one included, is never scanned and raises no finding.',
  runbook: [
    'Check the state: `aws ecr describe-repositories --repository-names <repo> --query ' +
      'repositories[].imageScanningConfiguration` and `aws ecr get-registry-scanning-configuration`.',
    'Restore it unless a change record explains it: `aws ecr put-image-scanning-configuration --repository-name <repo> ' +
      '--image-scanning-configuration scanOnPush=true`, or put the registry rules back from IaC.',
    'Scan what was pushed since (`aws ecr start-image-scan`, or enhanced scanning’s rescan) and look at who pushed it.',
  ],
  rationale:
    'Turning scanning off before pushing an implanted image (T1525) keeps it out of the findings (T1562.001); Splunk ' +
    'and Elastic list ECR scanning changes among container defence evasion. Medium: scanning is a detective ' +
    'control, and repositories are reconfigured by hand now and then; only changes outside the approved process ' +
    'count, and only those that switch scanning off.',
  falsePositives: [
    'Cost-driven moves from basic to enhanced scanning done by hand in two steps (a moment with no rule in between).',
    'Repositories of third-party images mirrored for caching, where scanning is done upstream.',
  ],
  cases: () => [
    {
      name: 'scan on push turned off for payments-api',
      expect: 'match',
      event: fixture('ecr/PutImageScanningConfiguration-off'),
    },
    {
      name: 'registry scanning left manual only',
      expect: 'match',
      event: fixture('ecr/PutRegistryScanningConfiguration-manual'),
    },
    {
      name: 'registry scanning with no rules at all',
      expect: 'match',
      event: fixture('ecr/PutRegistryScanningConfiguration-manual', { requestParameters: { rules: [] } }),
    },
    {
      name: 'scan on push turned on',
      expect: 'no-match',
      event: fixture('ecr/PutImageScanningConfiguration-off', {
        requestParameters: { imageScanningConfiguration: { scanOnPush: true } },
      }),
    },
    {
      name: 'registry moved to enhanced continuous scanning',
      expect: 'no-match',
      event: fixture('ecr/PutRegistryScanningConfiguration-manual', {
        requestParameters: {
          scanType: 'ENHANCED',
          rules: [{ scanFrequency: 'CONTINUOUS_SCAN', repositoryFilters: [{ filter: '*', filterType: 'WILDCARD' }] }],
        },
      }),
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture(
        'ecr/PutImageScanningConfiguration-off',
        denied('AccessDeniedException', 'ecr:PutImageScanningConfiguration'),
      ),
    },
    {
      name: 'the approved deploy role through CloudFormation',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('ecr/PutImageScanningConfiguration-off', BY_APPROVED_DEPLOY),
    },
  ],
};
