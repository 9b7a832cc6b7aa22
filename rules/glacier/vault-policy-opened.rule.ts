import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, stringParam } from '../core/cloudtrail.ts';
import { policyOpenedRule } from '../core/policy-opened.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

/** `accountId` is `-` (the caller's account) or a 12-digit id. */
const vaultArn = (e: CloudTrailRecord): string => {
  const account = stringParam(e.requestParameters, 'accountId');
  const owner = account !== undefined && /^\d{12}$/.test(account) ? account : accountOf(e);
  return resourceArn(e, 'glacier', `vaults/${stringParam(e.requestParameters, 'vaultName') ?? 'unknown'}`, owner);
};

const ORG = { id: 'o-a1b2c3d4e5', accounts: ['111122223333', '444455556666'] };
const VAULT = 'arn:aws:glacier:eu-west-1:111122223333:vaults/finance-archive';
const withPolicy = (statement: Record<string, unknown>) => ({
  requestParameters: {
    policy: { policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Resource: VAULT, ...statement }] }) },
  },
});

export const rule = policyOpenedRule({
  id: 'glacier.vault-policy-opened',
  title: 'Glacier vault policy opened to the public or to an account outside the org',
  escalation: { high: 'critical' },
  mitre: ['T1530', 'T1485'],
  source: 'glacier',
  eventNames: ['SetVaultAccessPolicy'],
  policyParams: ['policy'],
  target: vaultArn,
  ownerFromTarget: true,
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'SetVaultAccessPolicy gave an S3 Glacier vault a policy that lets everyone act on it or that grants an ' +
    'account outside the organisation: retrieval jobs expose the archives, DeleteArchive destroys them.',
  runbook: [
    'Read the policy now in force: `aws glacier get-vault-access-policy --account-id - --vault-name <name>`.',
    'Unless documented, restore the previous policy or remove it: `aws glacier delete-vault-access-policy --account-id - --vault-name <name>`.',
    'Look for InitiateJob, GetJobOutput and DeleteArchive calls from other accounts on the vault since the change.',
    'If the actor is not the vault owner or the approved deploy role, review their other calls and treat it as an incident.',
  ],
  rationale:
    'One successful call is enough. High by default, critical on high-criticality assets: vaults hold long-term ' +
    'archives and backups, whose exposure or deletion is both a data breach and a recovery failure. Public and ' +
    'outside-organisation follow the shared resource-policy analysis.',
  falsePositives: ['Archive sharing with a partner account, documented: suppress per vault with a reason.'],
  cases: () => [
    { name: 'anyone may retrieve archives', expect: 'match', event: fixture('glacier/SetVaultAccessPolicy') },
    {
      name: 'an outside account may delete archives',
      expect: 'match',
      config: { organization: ORG },
      event: fixture(
        'glacier/SetVaultAccessPolicy',
        withPolicy({ Effect: 'Allow', Principal: { AWS: '999988887777' }, Action: 'glacier:DeleteArchive' }),
      ),
    },
    {
      name: 'a member account may list jobs',
      expect: 'no-match',
      config: { organization: ORG },
      event: fixture(
        'glacier/SetVaultAccessPolicy',
        withPolicy({
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::444455556666:root' },
          Action: 'glacier:ListJobs',
        }),
      ),
    },
    {
      name: 'deny-only policy (no deletes for anyone)',
      expect: 'no-match',
      event: fixture(
        'glacier/SetVaultAccessPolicy',
        withPolicy({ Effect: 'Deny', Principal: '*', Action: 'glacier:DeleteArchive' }),
      ),
    },
    {
      name: 'SetVaultAccessPolicy denied',
      expect: 'no-match',
      event: fixture('glacier/SetVaultAccessPolicy', {
        errorCode: 'AccessDeniedException',
        errorMessage: `User: arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/bob is not authorized to perform: glacier:SetVaultAccessPolicy on resource: ${VAULT}`,
      }),
    },
  ],
};
