import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { backupPlanArns, shortestRetentionDays } from '../core/backup.ts';
import { accountOf } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

export const rule = defineRule({
  id: 'backup.plan-changed',
  title: 'AWS Backup plan or selection changed or deleted outside the approved process',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.13'],
  mitre: ['T1490'],
  on: { source: 'backup', eventNames: ['UpdateBackupPlan', 'DeleteBackupPlan', 'DeleteBackupSelection'] },
  match: (e, ctx) => isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => {
    const days = shortestRetentionDays(e);
    return [
      ...(days === undefined ? [] : [`recovery points now kept for as little as ${days} day${days === 1 ? '' : 's'}`]),
      ...unapprovedReasons(e, ctx.config.approved),
    ];
  },
  resources: backupPlanArns,
  dedup: { key: (e) => `${accountOf(e)}|${backupPlanArns(e)[0] ?? 'unknown-plan'}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An AWS Backup plan was updated or deleted, or a resource selection was removed from one, by someone other ' +
    'than the approved deploy automation: the backup schedule, retention or coverage changed without change ' +
    'management.',
  runbook: [
    'See the plan now: `aws backup get-backup-plan --backup-plan-id <id>` (schedule, `lifecycle.deleteAfterDays`, target vault) and its selections (`aws backup list-backup-selections --backup-plan-id <id>`); compare with the version in IaC.',
    'Restore the plan from IaC, and check that the latest scheduled jobs ran (`aws backup list-backup-jobs --by-backup-plan-id <id>`).',
    'Find the change record. If there is none, treat it as an incident: backups are changed first in ransomware campaigns; review the actor’s other calls (DeleteRecoveryPoint, vault changes).',
    'If legitimate automation raised this, add its role ARN to `approved.automationRoles` and its tool to `approved.iacUserAgents`.',
  ],
  rationale:
    'The ISO 27001 guidance names "a backup schedule that\'s altered" as an event to detect (A.8.13): a plan shortened, removed or stripped of its selections stops protecting data quietly, before anything is deleted (T1490). Every change outside the approved process is a finding (no threshold): medium, high on high-criticality accounts. The details name the shortest retention the new plan keeps.',
  falsePositives: [
    'Backup administrators editing plans in the console after a ticket (confirm it; prefer IaC).',
    'Deploy automation not yet listed in `approved.automationRoles` / `approved.iacUserAgents`.',
  ],
  cases: () => [
    { name: 'alice deletes the production backup plan', expect: 'match', event: fixture('backup/DeleteBackupPlan') },
    {
      name: 'bob cuts retention to one day in the console',
      expect: 'match',
      event: fixture('backup/UpdateBackupPlan'),
    },
    { name: 'a resource selection removed', expect: 'match', event: fixture('backup/DeleteBackupSelection') },
    {
      name: 'denied',
      expect: 'no-match',
      event: fixture('backup/DeleteBackupPlan', denied('AccessDeniedException', 'backup:DeleteBackupPlan')),
    },
    {
      name: 'approved deploy role through CloudFormation',
      expect: 'no-match',
      event: fixture('backup/UpdateBackupPlan', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
    {
      name: 'starting an on-demand backup is the safe direction',
      expect: 'no-match',
      event: fixture('backup/DeleteBackupPlan', { eventName: 'StartBackupJob' }),
    },
  ],
};
