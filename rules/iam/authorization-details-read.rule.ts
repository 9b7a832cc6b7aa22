import { isApprovedAutomationRole } from '../core/approved.ts';
import { accountRootArn, partitionOf } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, actorArn, isServiceInvoked, isSuccess } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, byAwsService, denied } from '../fixtures/overrides.ts';

const byActor = (e: CloudTrailRecord): string => `${accountOf(e)}|${actorArn(e)}`;

export const rule = defineRule({
  id: 'iam.authorization-details-read',
  title: "The account's whole IAM configuration read in one call",
  severity: 'medium',
  controls: ['A.8.2', 'A.8.16'],
  mitre: ['T1087.004', 'T1069.003'],
  on: { source: 'iam', eventNames: ['GetAccountAuthorizationDetails'] },
  // Refused attempts are counted by iam.access-denied-burst and account.discovery-burst.
  match: (e, ctx) => isSuccess(e) && !isServiceInvoked(e) && !isApprovedAutomationRole(e, ctx.config.approved),
  explain: (e) => [
    `${actorArn(e)} read every user, group, role and policy of account ${accountOf(e)} with their trust and permission documents (GetAccountAuthorizationDetails) from ${e.sourceIPAddress ?? 'an unknown address'}`,
  ],
  resources: (e) => [accountRootArn(partitionOf(e.awsRegion), accountOf(e))],
  // One dump per identity and day is one finding; the next day's is news.
  dedup: { key: byActor, windowSeconds: 86_400 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'Someone outside the approved automation read the whole IAM configuration of the account in one call ' +
    '(GetAccountAuthorizationDetails): every user, group, role, their policies and trust documents. It is the ' +
    'first call of privilege-escalation tooling (Pacu iam__enum_permissions, CloudFox, PMapper, Cloudsplaining) ' +
    'and the shortcut an intruder with fresh keys takes to find a path to admin; applications never need it.',
  runbook: [
    'Who and from where: `aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue=GetAccountAuthorizationDetails --start-time <first-seen>`; compare the address and user agent with the person’s usual ones.',
    'Read what the same identity did next (the incident groups its findings): iam:Put*Policy, iam:Attach*, iam:CreateAccessKey, sts:AssumeRole into roles the dump revealed.',
    'If not expected: deactivate the access key (`aws iam update-access-key --status Inactive`) or revoke the role’s sessions, and rotate what the dump exposed (the trust policies show which outside accounts can assume roles).',
    'If it is a scanner (CSPM, access review): add its role to `approved.automationRoles`.',
  ],
  rationale:
    'One call hands over the map every escalation path is planned on (T1087.004, T1069.003); posture scanners ' +
    'and access-review tools make it on a schedule from their own roles, which the approved automation roles ' +
    'exclude. Medium: a read changes nothing, but a person or unknown key doing it is the start of an intrusion, ' +
    'and the incident it opens gathers what follows. Refused attempts count toward the access-denied and ' +
    'discovery bursts rather than paging alone.',
  falsePositives: [
    'Security engineers running PMapper, Cloudsplaining or Prowler from their own sessions: give such tools a dedicated role in `approved.automationRoles`.',
    'Posture and inventory scanners not yet listed as approved automation.',
  ],
  cases: () => [
    {
      name: 'a contractor key dumps the IAM configuration',
      expect: 'match',
      event: fixture('iam/GetAccountAuthorizationDetails'),
    },
    {
      name: 'without a filter (the whole configuration by default)',
      expect: 'match',
      event: fixture('iam/GetAccountAuthorizationDetails', { requestParameters: null }),
    },
    {
      name: 'refused (counted by the access-denied and discovery bursts)',
      expect: 'no-match',
      event: fixture(
        'iam/GetAccountAuthorizationDetails',
        denied('AccessDenied', 'iam:GetAccountAuthorizationDetails'),
      ),
    },
    {
      name: 'the approved automation role (a scheduled access review)',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('iam/GetAccountAuthorizationDetails', BY_APPROVED_DEPLOY),
    },
    {
      name: 'AWS itself (IAM Access Analyzer)',
      expect: 'no-match',
      event: fixture('iam/GetAccountAuthorizationDetails', byAwsService('access-analyzer')),
    },
  ],
};
