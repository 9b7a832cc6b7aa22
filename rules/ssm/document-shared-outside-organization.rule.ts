import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, actorArn, isSuccess, param, parametersNotRecorded, stringParam } from '../core/cloudtrail.ts';
import type { DetectionConfig } from '../core/config.ts';
import { defineRule } from '../core/define-rule.ts';
import { accountsOutsideOrganization, stringsOf } from '../core/resource-policy.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { denied } from '../fixtures/overrides.ts';

const ORG = { organization: { id: 'o-a1b2c3d4e5', accounts: ['111122223333', '444455556666'] } };

/** The setting that, when `Enable`d, lets documents be shared with everyone (SSM's block public sharing off). */
const PUBLIC_SHARING_SETTING = '/ssm/documents/console/public-sharing-permission';

const addedAccounts = (e: CloudTrailRecord): string[] =>
  stringsOf(param(e.requestParameters, 'accountIdsToAdd')).map((v) => v.trim());

/** `All` shares with every AWS account: public. */
const isMadePublic = (e: CloudTrailRecord): boolean => addedAccounts(e).some((v) => v.toLowerCase() === 'all');

/** Accounts added that are neither the document's own account nor organisation members. */
const outsideAccounts = (e: CloudTrailRecord, config: DetectionConfig): string[] =>
  accountsOutsideOrganization(addedAccounts(e), accountOf(e), config.organization);

const isPublicSharingEnabled = (e: CloudTrailRecord): boolean =>
  e.eventName === 'UpdateServiceSetting' &&
  (stringParam(e.requestParameters, 'settingId') ?? '').endsWith(PUBLIC_SHARING_SETTING) &&
  stringParam(e.requestParameters, 'settingValue')?.toLowerCase() === 'enable';

/** Why the call opens documents; empty when it does not. Fails safe on a share whose parameters are missing. */
const openings = (e: CloudTrailRecord, config: DetectionConfig): string[] => {
  if (e.eventName === 'UpdateServiceSetting') {
    return isPublicSharingEnabled(e) ? ['block public sharing of SSM documents switched off (setting Enable)'] : [];
  }
  if (parametersNotRecorded(e)) return ['the share’s accounts were not recorded: treated as shared outside'];
  if (stringParam(e.requestParameters, 'permissionType')?.toLowerCase() !== 'share') return [];
  const outside = outsideAccounts(e, config);
  return [
    ...(isMadePublic(e) ? ['made public: shared with All'] : []),
    ...(outside.length > 0 ? [`shared outside the organisation with ${outside.join(', ')}`] : []),
  ];
};

const documentOf = (e: CloudTrailRecord): string | undefined => stringParam(e.requestParameters, 'name');

export const rule = defineRule({
  id: 'ssm.document-shared-outside-organization',
  title: 'SSM document made public or shared outside the organisation',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.5.23', 'A.8.3'],
  mitre: ['T1537', 'T1651'],
  on: { source: 'ssm', eventNames: ['ModifyDocumentPermission', 'UpdateServiceSetting'] },
  match: (e, ctx) => isSuccess(e) && openings(e, ctx.config).length > 0,
  explain: (e, ctx) => [
    `${actorArn(e)} on ${e.eventName === 'UpdateServiceSetting' ? `the ${e.awsRegion} account setting` : `document ${documentOf(e) ?? '(name not recorded)'}`}`,
    ...openings(e, ctx.config),
  ],
  resources: (e) => {
    const name = documentOf(e);
    return name === undefined ? [] : [resourceArn(e, 'ssm', `document/${name}`)];
  },
  dedup: { key: (e) => `${accountOf(e)}|${e.awsRegion}|${documentOf(e) ?? e.eventName}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'ModifyDocumentPermission (`permissionType: Share`) added `All` (every AWS account) or an account outside ' +
    'the organisation to an SSM document’s `accountIdsToAdd`, or UpdateServiceSetting switched off the block on ' +
    'public sharing (`/ssm/documents/console/public-sharing-permission` = `Enable`). A shared document hands its ' +
    'content (scripts, embedded endpoints and, too often, credentials) to the other account, which can also run ' +
    'it on its own nodes.',
  runbook: [
    'See who can read it: `aws ssm describe-document-permission --name <name> --permission-type Share`.',
    'Unless the share is documented, revoke it: `aws ssm modify-document-permission --name <name> ' +
      '--permission-type Share --account-ids-to-remove <account|All>`; turn the block back on: `aws ssm ' +
      'update-service-setting --setting-id /ssm/documents/console/public-sharing-permission --setting-value Disable`.',
    'Read every version of the document for secrets and rotate any found (`aws ssm get-document --name <name> ' +
      '--document-version <n>`).',
  ],
  rationale:
    'Security Hub rates public SSM documents (SSM.4) and the block public sharing setting (SSM.7) critical: a ' +
    'public document is readable by anyone who lists public documents. High, critical on high-criticality ' +
    'accounts, as ec2.snapshot-shared, since documents hold scripts and often secrets. "Outside the ' +
    'organisation" is the logic of the other share rules: neither the document’s own account nor in ' +
    'organization.accounts (with none configured, every other account is outside). Removals and shares within ' +
    'the organisation are not findings; a share whose parameters CloudTrail did not record is (fail safe). No ' +
    'published CloudTrail record of these calls was found: the fixture follows the SSM API reference ' +
    '(ModifyDocumentPermission request, camel-cased as SSM logs its JSON requests).',
  falsePositives: [
    'Documents published on purpose to customers or partners: suppress per document with a reason.',
    'Shares with sister accounts while organization.accounts is empty or out of date.',
  ],
  cases: () => [
    {
      name: 'shared with an account outside the organisation',
      expect: 'match',
      config: ORG,
      event: fixture('ssm/ModifyDocumentPermission'),
    },
    {
      name: 'made public (All, any case)',
      expect: 'match',
      config: ORG,
      event: fixture('ssm/ModifyDocumentPermission', { requestParameters: { accountIdsToAdd: ['all'] } }),
    },
    {
      name: 'block public sharing switched off (setting ARN form)',
      expect: 'match',
      event: fixture('ssm/ModifyDocumentPermission', {
        eventName: 'UpdateServiceSetting',
        requestParameters: {
          name: undefined,
          permissionType: undefined,
          accountIdsToAdd: undefined,
          settingId:
            'arn:aws:ssm:eu-west-1:111122223333:servicesetting/ssm/documents/console/public-sharing-permission',
          settingValue: 'Enable',
        },
      }),
    },
    {
      name: 'accounts left out as too large (fail safe)',
      expect: 'match',
      config: ORG,
      event: fixture('ssm/ModifyDocumentPermission', {
        requestParameters: {
          name: undefined,
          permissionType: undefined,
          accountIdsToAdd: undefined,
          reason: 'requestParameters too large',
          omitted: true,
        },
      }),
    },
    {
      name: 'refused',
      expect: 'no-match',
      config: ORG,
      event: fixture('ssm/ModifyDocumentPermission', denied('AccessDeniedException', 'ssm:ModifyDocumentPermission')),
    },
    {
      name: 'shared with a member account',
      expect: 'no-match',
      config: ORG,
      event: fixture('ssm/ModifyDocumentPermission', { requestParameters: { accountIdsToAdd: ['444455556666'] } }),
    },
    {
      name: 'public share removed (All only in accountIdsToRemove)',
      expect: 'no-match',
      config: ORG,
      event: fixture('ssm/ModifyDocumentPermission', {
        requestParameters: { accountIdsToAdd: undefined, accountIdsToRemove: ['All'] },
      }),
    },
    {
      name: 'block public sharing switched on (Disable)',
      expect: 'no-match',
      event: fixture('ssm/ModifyDocumentPermission', {
        eventName: 'UpdateServiceSetting',
        requestParameters: {
          name: undefined,
          permissionType: undefined,
          accountIdsToAdd: undefined,
          settingId: '/ssm/documents/console/public-sharing-permission',
          settingValue: 'Disable',
        },
      }),
    },
  ],
};
