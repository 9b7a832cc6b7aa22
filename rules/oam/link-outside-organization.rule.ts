import { parseArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, actorArn, isServiceInvoked, isSuccess, param, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { isOutsideOrganization, stringsOf } from '../core/resource-policy.ts';
import type { RuleContext, RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { denied } from '../fixtures/overrides.ts';

const ORGANIZATION = { organization: { id: 'o-exampleorgid', accounts: ['111122223333', '444455556666'] } };

/**
 * The sink the link shares into. OAM is a rest-json API whose members are PascalCase (`SinkIdentifier`, `SinkArn`);
 * the camelCase spellings are read too, as CloudTrail and replayed records vary. Undefined when not recorded.
 */
const sinkOf = (e: CloudTrailRecord): string | undefined =>
  stringParam(e.requestParameters, 'SinkIdentifier') ??
  stringParam(e.requestParameters, 'sinkIdentifier') ??
  stringParam(e.responseElements, 'SinkArn') ??
  stringParam(e.responseElements, 'sinkArn');

const sinkAccount = (e: CloudTrailRecord): string | undefined => {
  const sink = sinkOf(e);
  const account = sink === undefined ? undefined : parseArn(sink)?.account;
  return account === '' ? undefined : account;
};

const resourceTypes = (e: CloudTrailRecord): string[] =>
  stringsOf(param(e.requestParameters, 'ResourceTypes') ?? param(e.requestParameters, 'resourceTypes'));

const leaves = (e: CloudTrailRecord, ctx: RuleContext): boolean => {
  const account = sinkAccount(e);
  return account === undefined || isOutsideOrganization(account, accountOf(e), ctx.config.organization);
};

export const rule = defineRule({
  id: 'oam.link-outside-organization',
  title: 'CloudWatch data shared with a monitoring account outside the organisation',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.3', 'A.5.23'],
  mitre: ['T1537'],
  on: { source: 'oam', eventNames: ['CreateLink'] },
  // No approved-process exemption: the organisation's monitoring account is inside it by definition.
  match: (e, ctx) => isSuccess(e) && !isServiceInvoked(e) && leaves(e, ctx),
  explain: (e) => {
    const account = sinkAccount(e);
    const types = resourceTypes(e);
    return [
      `${actorArn(e)} linked this account to sink ${sinkOf(e) ?? '(not recorded)'}, sharing ${
        types.length > 0 ? types.join(', ') : 'data of unrecorded types'
      }`,
      account === undefined
        ? 'the record names no sink account, so it is treated as outside the organisation'
        : `monitoring account ${account} is neither this account nor in organization.accounts`,
    ];
  },
  resources: (e) => {
    const sink = sinkOf(e);
    return sink === undefined ? [] : [sink];
  },
  dedup: { key: (e) => `${accountOf(e)}|${sinkOf(e) ?? 'unknown'}`, windowSeconds: 3600 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'This account was linked (CloudWatch cross-account observability, OAM CreateLink) to a sink in a monitoring ' +
    'account that is neither this account nor in organization.accounts. From then on that account can search the ' +
    "linked types of this account's data (metrics, log groups, traces, Application Insights, Internet Monitor) " +
    'without any further call here.',
  runbook: [
    'Remove the link: `aws oam list-links` to find it, then `aws oam delete-link --identifier <link-arn>`.',
    'Identify the monitoring account; an unknown one has had read access to the linked log groups and metrics since ' +
      'the call: treat what they carry as disclosed.',
    "Review the actor's other calls and deny oam:CreateLink by SCP except for the observability pipeline role.",
  ],
  rationale:
    'Turbot tailpipe watches CloudWatch data shared through a cross-account role; OAM links are the current way to ' +
    'share it, and the record names the sink ARN, so the monitoring account is judged against the same organisation ' +
    'as the S3, KMS and logs rules. One call gives another account standing read access to logs (T1537): high, ' +
    'critical on high-criticality accounts. A record without a sink fails closed; links to the organisation ' +
    'monitoring account are how central observability works and are not findings. No published CloudTrail example ' +
    'of CreateLink: the fixture follows the OAM API reference (rest-json, PascalCase members).',
  falsePositives: [
    "An observability vendor's monitoring account: suppress the rule for that sink ARN with a dated reason.",
  ],
  cases: () => [
    {
      name: 'linked to a sink of an outside account',
      expect: 'match',
      event: fixture('oam/CreateLink'),
      config: ORGANIZATION,
    },
    {
      name: 'sink named only in camelCase in the answer',
      expect: 'match',
      event: fixture('oam/CreateLink', {
        requestParameters: { SinkIdentifier: undefined },
        responseElements: {
          SinkArn: undefined,
          sinkArn: 'arn:aws:oam:eu-west-1:999988887777:sink/f3a1c5e7-2b4d-4f6a-8c0e-1a3c5e7b9d2f',
        },
      }),
      config: ORGANIZATION,
    },
    {
      name: 'sink not recorded (fails closed)',
      expect: 'match',
      event: fixture('oam/CreateLink', {
        requestParameters: { SinkIdentifier: undefined },
        responseElements: { SinkArn: undefined },
      }),
      config: ORGANIZATION,
    },
    {
      name: 'linked to the organisation monitoring account',
      expect: 'no-match',
      event: fixture('oam/CreateLink', {
        requestParameters: {
          SinkIdentifier: 'arn:aws:oam:eu-west-1:444455556666:sink/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
        },
        responseElements: { SinkArn: 'arn:aws:oam:eu-west-1:444455556666:sink/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d' },
      }),
      config: ORGANIZATION,
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture('oam/CreateLink', denied('AccessDeniedException', 'oam:CreateLink')),
      config: ORGANIZATION,
    },
  ],
};
