import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { deletionReasons, isUnapprovedDeletion } from '../core/destruction.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

const clusterName = (e: CloudTrailRecord): string => stringParam(e.requestParameters, 'name') ?? 'unknown';

const clusterArn = (e: CloudTrailRecord): string =>
  stringParam(e.responseElements, 'cluster', 'arn') ?? resourceArn(e, 'eks', `cluster/${clusterName(e)}`);

export const rule = defineRule({
  id: 'eks.cluster-deleted',
  title: 'EKS cluster deleted outside the approved process',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.9', 'A.8.10'],
  mitre: ['T1485', 'T1489'],
  on: { source: 'eks', eventNames: ['DeleteCluster'] },
  match: (e, ctx) => isUnapprovedDeletion(e, ctx.config, [clusterName(e), clusterArn(e)]),
  explain: (e, ctx) => [`cluster ${clusterName(e)} is being deleted`, ...deletionReasons(e, ctx.config)],
  resources: (e) => [clusterArn(e)],
  dedup: { key: clusterArn },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An EKS cluster was deleted by someone other than the approved automation: its control plane, its Kubernetes ' +
    'objects and secrets (etcd) go with it, and every workload on it stops. There is no undo.',
  runbook: [
    'Confirm what was lost: `aws eks describe-cluster --name <cluster>` (DELETING or not found) and the node groups ' +
      'and Fargate profiles deleted just before it (`DeleteNodegroup`, `DeleteFargateProfile` in CloudTrail).',
    'Recreate from IaC and restore workloads from GitOps or backups (Velero, AWS Backup for EKS); rotate secrets ' +
      'that lived only in the cluster.',
    'Find the change record. If there is none, treat it as an incident: revoke the actor’s sessions and review ' +
      'its other calls (deleting a cluster is often the last, covering step).',
  ],
  rationale:
    'Deleting a cluster is service destruction (T1485, T1489); Elastic and Sigma watch it, and a cluster is rarely ' +
    'deleted by hand outside a decommissioning change. Medium, high on high-criticality assets; one successful ' +
    'call is enough. The approved automation tearing down its own stacks, refused calls and Trailwarden’s own ' +
    'resources (none are clusters) are excluded.',
  falsePositives: ['Engineers removing short-lived test clusters by hand (eksctl delete cluster) in sandbox accounts.'],
  cases: () => [
    { name: 'bob deletes the payments-prod cluster', expect: 'match', event: fixture('eks/DeleteCluster') },
    {
      name: 'a record without request parameters still names the cluster from the response',
      expect: 'match',
      event: fixture('eks/DeleteCluster', { requestParameters: null }),
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture('eks/DeleteCluster', denied('AccessDeniedException', 'eks:DeleteCluster')),
    },
    {
      name: 'the approved deploy role through CloudFormation',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('eks/DeleteCluster', BY_APPROVED_DEPLOY),
    },
  ],
};
