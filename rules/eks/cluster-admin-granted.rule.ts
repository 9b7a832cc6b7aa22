import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

/**
 * EKS access policies that make a principal an administrator: cluster-admin everywhere, and admin (every
 * namespaced object, RBAC included) which at cluster scope reaches every namespace. Matched on the name after
 * `cluster-access-policy/`, so every partition's ARN is read.
 */
const ADMIN_POLICIES = new Set(['AmazonEKSClusterAdminPolicy', 'AmazonEKSAdminPolicy']);

const policyName = (e: CloudTrailRecord): string | undefined =>
  stringParam(e.requestParameters, 'policyArn')?.split('cluster-access-policy/')[1];

const isAdminGrant = (e: CloudTrailRecord): boolean => {
  const name = policyName(e);
  return name !== undefined && ADMIN_POLICIES.has(name);
};

const cluster = (e: CloudTrailRecord): string => stringParam(e.requestParameters, 'clusterName') ?? 'unknown';
const grantee = (e: CloudTrailRecord): string => stringParam(e.requestParameters, 'principalArn') ?? 'unknown';

export const rule = defineRule({
  id: 'eks.cluster-admin-granted',
  title: 'EKS cluster administrator access granted outside the approved process',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.2'],
  mitre: ['T1098.006'],
  on: { source: 'eks', eventNames: ['AssociateAccessPolicy'] },
  match: (e, ctx) => isAdminGrant(e) && isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [
    `${policyName(e) ?? 'an access policy'} associated with ${grantee(e)} on cluster ${cluster(e)} (scope ${
      stringParam(e.requestParameters, 'accessScope', 'type') ?? 'not recorded'
    })`,
    ...unapprovedReasons(e, ctx.config.approved),
  ],
  resources: (e) => [resourceArn(e, 'eks', `cluster/${cluster(e)}`), ...(grantee(e) === 'unknown' ? [] : [grantee(e)])],
  dedup: { key: (e) => `${accountOf(e)}|${e.awsRegion}|${cluster(e)}|${grantee(e)}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An IAM principal was given Kubernetes administrator rights on an EKS cluster through an access entry ' +
    '(AmazonEKSClusterAdminPolicy, or AmazonEKSAdminPolicy) by someone other than the approved automation: it can ' +
    'now read every secret, run privileged pods on the nodes and take their instance roles.',
  runbook: [
    'See who holds what: `aws eks list-associated-access-policies --cluster-name <cluster> --principal-arn <arn>` ' +
      'and `aws eks list-access-entries --cluster-name <cluster>`.',
    'If nobody asked for it, remove it: `aws eks disassociate-access-policy --cluster-name <cluster> ' +
      '--principal-arn <arn> --policy-arn <policy-arn>`, and delete the access entry if it was created for this.',
    'Read the cluster audit log for what the principal did since (secrets read, pods created in kube-system, ' +
      'ClusterRoleBindings), and rotate any secret it could read.',
  ],
  rationale:
    'Granting cluster-admin through the EKS API is the cloud-side path to own a cluster without touching ' +
    'Kubernetes RBAC (T1098.006, additional container cluster roles), and it survives a kubeconfig rotation. High, ' +
    'critical on high-criticality assets. Only the two administrator policies count (view and edit policies do ' +
    'not), outside the approved process; refused calls are excluded. Access entries themselves (CreateAccessEntry) ' +
    'grant nothing until a policy or a bound group is attached; EKS refuses `system:` groups on them.',
  falsePositives: [
    'A platform engineer granting themselves or a colleague admin by hand during an incident (break-glass).',
    'Cluster bootstrap by a tool outside the approved automation list (eksctl run from a laptop).',
  ],
  cases: () => [
    {
      name: 'alice makes herself cluster admin',
      expect: 'match',
      event: fixture('eks/AssociateAccessPolicy-cluster-admin'),
    },
    {
      name: 'admin policy at cluster scope for an outside role, in GovCloud',
      expect: 'match',
      event: fixture('eks/AssociateAccessPolicy-cluster-admin', {
        awsRegion: 'us-gov-west-1',
        requestParameters: {
          principalArn: 'arn:aws-us-gov:iam::444455556666:role/ext-operator',
          policyArn: 'arn:aws-us-gov:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy',
        },
      }),
    },
    {
      name: 'read-only view policy',
      expect: 'no-match',
      event: fixture('eks/AssociateAccessPolicy-cluster-admin', {
        requestParameters: { policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy' },
      }),
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture(
        'eks/AssociateAccessPolicy-cluster-admin',
        denied('AccessDeniedException', 'eks:AssociateAccessPolicy'),
      ),
    },
    {
      name: 'the approved deploy role through CloudFormation',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('eks/AssociateAccessPolicy-cluster-admin', BY_APPROVED_DEPLOY),
    },
  ],
};
