import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isServiceInvoked, isSuccess, param, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { denied } from '../fixtures/overrides.ts';

// Switching Macie off or pausing the account is macie.disabled's; this rule takes what blinds it while it stays on.
const EVENTS = [
  'CreateFindingsFilter',
  'UpdateFindingsFilter',
  'ArchiveFindings',
  'UpdateMemberSession',
  'DisassociateMember',
  'DeleteMember',
  'DisassociateFromAdministratorAccount',
  'DisassociateFromMasterAccount',
  'DisableOrganizationAdminAccount',
  'UpdateClassificationJob',
  'UpdateAutomatedDiscoveryConfiguration',
] as const;

const upper = (e: CloudTrailRecord, key: string): string | undefined =>
  stringParam(e.requestParameters, key)?.toUpperCase();

/** What the call took away from Macie's view, or nothing when it took nothing. */
const reductions = (e: CloudTrailRecord): string[] => {
  switch (e.eventName) {
    case 'CreateFindingsFilter':
    case 'UpdateFindingsFilter':
      // A filter with action ARCHIVE is a suppression rule: matching findings are archived as they arrive.
      return upper(e, 'action') === 'ARCHIVE'
        ? [
            `findings filter ${stringParam(e.requestParameters, 'name') ?? stringParam(e.requestParameters, 'id') ?? '?'} archives new findings`,
          ]
        : [];
    case 'ArchiveFindings': {
      const ids = param(e.requestParameters, 'findingIds');
      return [`${Array.isArray(ids) ? ids.length : 'some'} finding(s) archived by hand`];
    }
    case 'UpdateMemberSession':
      return upper(e, 'status') === 'PAUSED'
        ? [`member account ${stringParam(e.requestParameters, 'id') ?? '?'} paused`]
        : [];
    case 'DisassociateMember':
    case 'DeleteMember':
      return [`member account ${stringParam(e.requestParameters, 'id') ?? '?'} removed from the administrator`];
    case 'DisassociateFromAdministratorAccount':
    case 'DisassociateFromMasterAccount':
      return ['this account left its Macie administrator: its findings no longer reach the security team'];
    case 'DisableOrganizationAdminAccount':
      return ['the organisation has no Macie delegated administrator any more'];
    case 'UpdateClassificationJob': {
      const status = upper(e, 'jobStatus');
      return status === 'CANCELLED' || status === 'USER_PAUSED'
        ? [`sensitive-data discovery job ${stringParam(e.requestParameters, 'jobId') ?? '?'} set to ${status}`]
        : [];
    }
    case 'UpdateAutomatedDiscoveryConfiguration':
      return upper(e, 'status') === 'DISABLED' ? ['automated sensitive-data discovery disabled'] : [];
    default:
      return [];
  }
};

export const rule = defineRule({
  id: 'macie.monitoring-reduced',
  title: 'Amazon Macie blinded: findings suppressed, members removed or discovery stopped',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.16'],
  mitre: ['T1562.001'],
  on: { source: 'macie2', eventNames: [...EVENTS] },
  match: (e) => isSuccess(e) && !isServiceInvoked(e) && reductions(e).length > 0,
  explain: reductions,
  dedup: { key: (e) => `${accountOf(e)}|${e.awsRegion}|macie-reduced` },
  // Macie's session has no ARN of its own; the account decides criticality.
  resources: () => [],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'Macie stayed on but sees or reports less: a findings filter that archives new findings (a suppression rule), ' +
    'findings archived by hand, member accounts paused, disassociated or deleted, this account leaving its ' +
    'administrator, the delegated administrator removed, a sensitive-data discovery job cancelled or paused, or ' +
    'automated discovery disabled.',
  runbook: [
    'See what changed: `aws macie2 list-findings-filters` (action ARCHIVE), `aws macie2 list-members`, `aws macie2 describe-classification-job --job-id <id>`, `aws macie2 get-automated-discovery-configuration`.',
    'Undo what no change record explains: delete the archiving filter (`aws macie2 delete-findings-filter --id <id>`) and unarchive its findings, re-associate the members, resume the job (`update-classification-job --job-status RUNNING`; a cancelled job must be recreated).',
    "Review the actor's other calls around the change, in S3 above all: hiding Macie findings usually precedes or follows touching sensitive buckets.",
  ],
  rationale:
    'Attackers prefer blinding to DisableMacie, which everyone watches (Panther AWS.Macie.Evasion lists these ' +
    'calls). One successful call is enough; medium like macie.disabled because Macie discovers periodically rather ' +
    'than in real time, high on high-criticality accounts. Filters that only show (action NOOP), job resumes and ' +
    'session settings such as the publishing frequency do not match; Macie acting for itself does not either.',
  falsePositives: [
    'Analysts archiving findings they reviewed, or an archive filter for a known false positive: documented, suppress for that filter.',
    'Offboarding an account from the organisation.',
  ],
  cases: () => [
    { name: 'findings filter that archives', expect: 'match', event: fixture('macie2/CreateFindingsFilter') },
    {
      name: 'existing filter switched to archive',
      expect: 'match',
      event: fixture('macie2/CreateFindingsFilter', {
        eventName: 'UpdateFindingsFilter',
        requestParameters: { id: '9b2f7c1e-4d3a-4b5c-8e6f-7a8b9c0d1e2f', action: 'ARCHIVE' },
      }),
    },
    { name: 'member account paused', expect: 'match', event: fixture('macie2/UpdateMemberSession') },
    { name: 'member account disassociated', expect: 'match', event: fixture('macie2/DisassociateMember') },
    { name: 'discovery job cancelled', expect: 'match', event: fixture('macie2/UpdateClassificationJob') },
    {
      name: 'findings archived by hand',
      expect: 'match',
      event: fixture('macie2/UpdateMemberSession', {
        eventName: 'ArchiveFindings',
        requestParameters: { findingIds: ['5d1e9a7b2c3f4e8a9b0c1d2e3f4a5b6c', '6e2f0b8c3d4a5f9b0c1d2e3f4a5b6c7d'] },
      }),
    },
    {
      name: 'filter that only shows findings (NOOP)',
      expect: 'no-match',
      event: fixture('macie2/CreateFindingsFilter', {
        requestParameters: { action: 'NOOP', name: 'high-severity-view' },
      }),
    },
    {
      name: 'discovery job resumed',
      expect: 'no-match',
      event: fixture('macie2/UpdateClassificationJob', {
        requestParameters: { jobId: '3ce05dbb7ec5505def334104bf1d3e80', jobStatus: 'RUNNING' },
      }),
    },
    {
      name: 'member account resumed',
      expect: 'no-match',
      event: fixture('macie2/UpdateMemberSession', { requestParameters: { id: '444455556666', status: 'ENABLED' } }),
    },
    {
      name: 'archiving filter refused',
      expect: 'no-match',
      event: fixture('macie2/CreateFindingsFilter', denied('AccessDeniedException', 'macie2:CreateFindingsFilter')),
    },
  ],
};
