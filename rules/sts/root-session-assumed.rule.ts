import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { accountRootArn, partitionOf } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, actorArn, isServiceInvoked, isSuccess, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

/** The member account whose root the session acts as: an account id, or its root ARN. */
const targetOf = (e: CloudTrailRecord): string | undefined => {
  const target = stringParam(e.requestParameters, 'targetPrincipal');
  return target === undefined ? undefined : (/(\d{12})/.exec(target)?.[1] ?? target);
};

/** The root task the session is scoped to (`arn:…:policy/root-task/<Task>`). */
const taskOf = (e: CloudTrailRecord): string =>
  stringParam(e.requestParameters, 'taskPolicyArn', 'arn')?.split('/').pop() ?? 'an unrecorded task';

export const rule = defineRule({
  id: 'sts.root-session-assumed',
  title: 'Member-account root session taken (AssumeRoot) outside the approved process',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.2'],
  mitre: ['T1078.004', 'T1548.005'],
  on: { source: 'sts', eventNames: ['AssumeRoot'] },
  match: (e, ctx) => isSuccess(e) && !isServiceInvoked(e) && isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [
    `${actorArn(e)} took a root session of account ${targetOf(e) ?? 'not recorded'} for ${taskOf(e)}: root of a member account, for whatever the task allows (a root password, deleted root keys, an unlocked bucket or queue policy)`,
    ...unapprovedReasons(e, ctx.config.approved),
  ],
  resources: (e) => {
    const target = targetOf(e);
    return target === undefined ? [] : [accountRootArn(partitionOf(e.awsRegion), target)];
  },
  dedup: { key: (e) => `${accountOf(e)}|${actorArn(e)}|${targetOf(e) ?? ''}|${taskOf(e)}`, windowSeconds: 900 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'STS AssumeRoot (centralised root access of AWS Organizations) issued a short root session of a member ' +
    'account, outside the approved process. Its task policies let the session read or delete the root ' +
    'credentials, create a root password (a way back in as root), or delete a bucket or queue policy that locks ' +
    'everyone out, including the deny policy that protects evidence.',
  runbook: [
    "Find everything done with the session: CloudTrail events in the target account whose `userIdentity.accessKeyId` is the finding's `responseElements.credentials.accessKeyId` (root events with `sessionContext.assumedRoot: true`).",
    'If a root password or root access key was created, or a bucket or queue policy deleted, undo it from the management account (another AssumeRoot by the approved role: delete root credentials; restore the policy from IaC).',
    "Revoke the caller's sessions and narrow `sts:AssumeRoot` to the approved break-glass role with an SCP or identity policy.",
  ],
  rationale:
    'Centralised root access exists so member accounts need no root credentials; every AssumeRoot is therefore ' +
    'a privileged, rare, human-approved action (T1078.004, T1548.005; Elastic ' +
    'privilege_escalation_sts_assume_root_from_rare_user_and_member_account). Judged by the approved process, ' +
    'not by history: the break-glass role is approved, anyone else taking a root session is high, critical on ' +
    'high-criticality accounts. Refused attempts are in account.dangerous-action-denied’s family of probes and ' +
    'the access-denied burst.',
  falsePositives: [
    'A security engineer using centralised root access by hand for a documented task: run it through the approved break-glass role, or suppress with the ticket and a date.',
  ],
  cases: () => [
    { name: 'root session of a member account taken by a user', expect: 'match', event: fixture('sts/AssumeRoot') },
    {
      name: 'target named by its root ARN, task to create a root password',
      expect: 'match',
      event: fixture('sts/AssumeRoot', {
        requestParameters: {
          targetPrincipal: 'arn:aws:iam::444455556666:root',
          taskPolicyArn: { arn: 'arn:aws:iam::aws:policy/root-task/IAMCreateRootUserPassword' },
        },
      }),
    },
    {
      name: 'parameters not recorded: still a finding',
      expect: 'match',
      event: fixture('sts/AssumeRoot', { requestParameters: null }),
    },
    {
      name: 'the approved break-glass role',
      expect: 'no-match',
      event: fixture('sts/AssumeRoot', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture('sts/AssumeRoot', denied('AccessDenied', 'sts:AssumeRoot')),
    },
  ],
};
