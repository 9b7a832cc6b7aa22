import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord, JsonValue } from '../core/cloudtrail.ts';
import { isSuccess, param, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

const EVENTS = ['CreateCluster', 'ModifyCluster', 'RestoreFromClusterSnapshot'] as const;

const isTrue = (v: JsonValue | undefined): boolean =>
  v === true || (typeof v === 'string' && v.toLowerCase() === 'true');

/** A Modify turns public only when it asks to; a Create or Restore that leaves it out gets what the response says. */
const madePublic = (e: CloudTrailRecord): boolean => {
  const requested = param(e.requestParameters, 'publiclyAccessible');
  if (e.eventName === 'ModifyCluster' || (requested !== undefined && requested !== null)) return isTrue(requested);
  return isTrue(param(e.responseElements, 'publiclyAccessible'));
};

const clusterArn = (e: CloudTrailRecord): string =>
  resourceArn(e, 'redshift', `cluster:${stringParam(e.requestParameters, 'clusterIdentifier') ?? 'unknown-cluster'}`);

export const rule = defineRule({
  id: 'redshift.cluster-made-public',
  title: 'Redshift cluster made publicly accessible',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.5.23', 'A.8.3'],
  mitre: ['T1133', 'T1190'],
  on: { source: 'redshift', eventNames: [...EVENTS] },
  match: (e) => isSuccess(e) && madePublic(e),
  explain: (e) => {
    const address = stringParam(e.responseElements, 'endpoint', 'address');
    return [`cluster is publicly accessible${address === undefined ? '' : ` at ${address}`}`];
  },
  dedup: { key: clusterArn },
  resources: (e) => [clusterArn(e)],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A Redshift cluster was created, restored or modified with PubliclyAccessible true: it gets a public IP and ' +
    'its endpoint resolves to it, so only its security groups and credentials stand between the warehouse and the internet.',
  runbook: [
    'Confirm: `aws redshift describe-clusters --cluster-identifier <id> --query Clusters[0].PubliclyAccessible`.',
    'Unless documented, revert: `aws redshift modify-cluster --cluster-identifier <id> --no-publicly-accessible`.',
    'Check the VPC security groups of the cluster for 0.0.0.0/0 on 5439 and the connection log for outside addresses.',
  ],
  rationale:
    'One successful call is enough. High by default, critical on high-criticality assets: warehouses hold the most ' +
    'aggregated data of an account. Mirrors rds.instance-made-public for Redshift provisioned clusters.',
  falsePositives: ['BI tools outside AWS reaching a warehouse on purpose: suppress per cluster with a reason.'],
  cases: () => [
    { name: 'cluster modified to be public', expect: 'match', event: fixture('redshift/ModifyCluster') },
    {
      name: 'cluster created public',
      expect: 'match',
      event: fixture('redshift/CreateCluster', {
        requestParameters: { publiclyAccessible: true },
        responseElements: { publiclyAccessible: true },
      }),
    },
    { name: 'cluster created private', expect: 'no-match', event: fixture('redshift/CreateCluster') },
    {
      name: 'cluster resized (no accessibility change)',
      expect: 'no-match',
      event: fixture('redshift/ModifyCluster', {
        requestParameters: { publiclyAccessible: undefined, numberOfNodes: 4 },
      }),
    },
    {
      name: 'ModifyCluster denied',
      expect: 'no-match',
      event: fixture('redshift/ModifyCluster', {
        errorCode: 'AccessDenied',
        errorMessage:
          'User: arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/bob is not authorized to perform: redshift:ModifyCluster',
        responseElements: null,
      }),
    },
  ],
};
