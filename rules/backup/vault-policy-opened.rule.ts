import { backupVaultArns } from '../core/backup.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isServiceInvoked, isSuccess, param, stringParam } from '../core/cloudtrail.ts';
import type { DetectionConfig } from '../core/config.ts';
import { defineRule } from '../core/define-rule.ts';
import { describeOpenedExposure, isOpenedExposure, orgPolicyExposure } from '../core/resource-policy.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { denied } from '../fixtures/overrides.ts';

const exposure = (e: CloudTrailRecord, config: DetectionConfig) =>
  orgPolicyExposure(param(e.requestParameters, 'policy'), accountOf(e), config.organization);

const ORGANIZATION = { organization: { id: 'o-exampleorgid', accounts: ['111122223333', '444455556666'] } };

export const rule = defineRule({
  id: 'backup.vault-policy-opened',
  title: 'AWS Backup vault access policy opened to the public or outside the organisation',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.13', 'A.5.23'],
  mitre: ['T1490', 'T1537'],
  on: { source: 'backup', eventNames: ['PutBackupVaultAccessPolicy'] },
  match: (e, ctx) => isSuccess(e) && !isServiceInvoked(e) && isOpenedExposure(exposure(e, ctx.config)),
  explain: (e, ctx) => describeOpenedExposure(exposure(e, ctx.config)),
  resources: backupVaultArns,
  dedup: {
    key: (e) => `${accountOf(e)}|${e.awsRegion}|${stringParam(e.requestParameters, 'backupVaultName') ?? 'unknown'}`,
  },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A backup vault access policy now grants access to everyone, or to an account outside the organisation: ' +
    'that account can copy the recovery points out, or delete them, depending on the actions granted.',
  runbook: [
    'Read the policy: `aws backup get-backup-vault-access-policy --backup-vault-name <vault>`; remove the statements that grant outside accounts, or restore the policy from IaC.',
    'Check what the outside account did meanwhile: CopyFromBackupVault / StartCopyJob and DeleteRecoveryPoint calls on the vault in CloudTrail.',
    'Revoke the actor’s sessions unless a change record explains the grant.',
  ],
  rationale:
    'The same public / outside-the-organisation judgement as the S3, KMS, SQS and SNS policy rules (rules/core/resource-policy.ts), applied to backup vaults: a grant to a foreign account lets it take the backups (T1537) or delete them (T1490). One call is enough: high, critical on high-criticality accounts. Policies granting only organisation accounts (cross-account backup copies inside the organisation) are fine.',
  falsePositives: [
    'Cross-account backup copies to a partner or a vault of an account missing from `organization.accounts`.',
  ],
  cases: () => [
    {
      name: 'vault policy grants a foreign account copy and delete',
      expect: 'match',
      event: fixture('backup/PutBackupVaultAccessPolicy-outside'),
      config: ORGANIZATION,
    },
    {
      name: 'vault policy grants a member account (organisation-internal copy)',
      expect: 'no-match',
      event: fixture('backup/PutBackupVaultAccessPolicy-outside', {
        requestParameters: {
          policy:
            '{"Version":"2012-10-17","Statement":[{"Sid":"AllowCopyIntoVault","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"backup:CopyIntoBackupVault","Resource":"*"}]}',
        },
      }),
      config: ORGANIZATION,
    },
    {
      name: 'deny-delete policy (the protective kind)',
      expect: 'no-match',
      event: fixture('backup/PutBackupVaultAccessPolicy-outside', {
        requestParameters: {
          policy:
            '{"Version":"2012-10-17","Statement":[{"Sid":"DenyDelete","Effect":"Deny","Principal":"*","Action":["backup:DeleteRecoveryPoint","backup:UpdateRecoveryPointLifecycle"],"Resource":"*"}]}',
        },
      }),
      config: ORGANIZATION,
    },
    {
      name: 'denied',
      expect: 'no-match',
      event: fixture(
        'backup/PutBackupVaultAccessPolicy-outside',
        denied('AccessDeniedException', 'backup:PutBackupVaultAccessPolicy'),
      ),
      config: ORGANIZATION,
    },
  ],
};
