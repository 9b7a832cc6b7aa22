import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { param, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

const mountTarget = (e: CloudTrailRecord): string => stringParam(e.requestParameters, 'mountTargetId') ?? 'unknown';

const what = (e: CloudTrailRecord): string => {
  if (e.eventName === 'DeleteMountTarget')
    return `mount target ${mountTarget(e)} deleted: clients in its subnet lose the file system`;
  const groups = param(e.requestParameters, 'securityGroups');
  const list = Array.isArray(groups) ? groups.filter((g) => typeof g === 'string').join(', ') : '';
  return `security groups of mount target ${mountTarget(e)} replaced by ${list === '' ? '(none recorded)' : list}: who may mount it now follows them`;
};

export const rule = defineRule({
  id: 'elasticfilesystem.mount-target-changed',
  title: 'EFS mount target deleted or its security groups replaced',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.20', 'A.8.3'],
  mitre: ['T1485', 'T1562.007'],
  on: { source: 'elasticfilesystem', eventNames: ['DeleteMountTarget', 'ModifyMountTargetSecurityGroups'] },
  match: (e, ctx) => isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [what(e), ...unapprovedReasons(e, ctx.config.approved)],
  // Mount targets have no ARN; the finding names one in EFS's ARN form so criticality patterns and suppressions can.
  resources: (e) => [resourceArn(e, 'elasticfilesystem', `mount-target/${mountTarget(e)}`)],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An EFS mount target (the network endpoint of a file system in one subnet) was deleted, or its security groups ' +
    'replaced, outside the approved process: the first cuts every client in that subnet off the file system, the ' +
    'second changes who on the network may mount it, without touching the file system policy.',
  runbook: [
    'Read the mount targets and their groups: `aws efs describe-mount-targets --file-system-id <fs>` and `aws efs describe-mount-target-security-groups --mount-target-id <fsmt>`.',
    'Recreate a deleted mount target from IaC, or put the intended security groups back (`aws efs modify-mount-target-security-groups`), unless a change record explains it.',
    'For a group change, check the new groups’ inbound NFS (2049) rules and which hosts could mount the file system since.',
  ],
  rationale:
    'Sigma aws_efs_fileshare_mount_modified_or_deleted. File system deletion and policies are their own rules; the ' +
    'mount target is where network access to the data is decided, and swapping its groups opens it without any ' +
    'security group rule changing. Outside the approved process, like the other network changes: medium, high on ' +
    'high-criticality assets.',
  falsePositives: ['Subnets retired by hand: record the change and suppress per file system with a dated reason.'],
  cases: () => [
    { name: 'mount target deleted', expect: 'match', event: fixture('elasticfilesystem/DeleteMountTarget') },
    {
      name: 'mount target security groups replaced',
      expect: 'match',
      event: fixture('elasticfilesystem/ModifyMountTargetSecurityGroups'),
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture(
        'elasticfilesystem/ModifyMountTargetSecurityGroups',
        denied('AccessDeniedException', 'elasticfilesystem:ModifyMountTargetSecurityGroups'),
      ),
    },
    {
      name: 'the approved deploy role through CloudFormation',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('elasticfilesystem/DeleteMountTarget', BY_APPROVED_DEPLOY),
    },
  ],
};
