import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { deletionReasons, flagParam, isUnapprovedDeletion } from '../core/destruction.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

const clusterId = (e: CloudTrailRecord): string => stringParam(e.requestParameters, 'clusterIdentifier') ?? 'unknown';
const clusterArn = (e: CloudTrailRecord): string => resourceArn(e, 'redshift', `cluster:${clusterId(e)}`);

/** Redshift takes a final snapshot unless told to skip it (`skipFinalClusterSnapshot`). */
const snapshotNote = (e: CloudTrailRecord): string =>
  flagParam(e.requestParameters, 'skipFinalClusterSnapshot') === true
    ? 'final cluster snapshot skipped (skipFinalClusterSnapshot: true)'
    : `final cluster snapshot ${stringParam(e.requestParameters, 'finalClusterSnapshotIdentifier') ?? 'requested'}`;

export const rule = defineRule({
  id: 'redshift.cluster-deleted',
  title: 'Redshift cluster deleted outside the approved process',
  severity: 'high',
  escalation: { high: 'critical', low: 'medium' },
  controls: ['A.8.10', 'A.8.13'],
  mitre: ['T1485'],
  on: { source: 'redshift', eventNames: ['DeleteCluster'] },
  match: (e, ctx) => isUnapprovedDeletion(e, ctx.config, [clusterId(e), clusterArn(e)]),
  explain: (e, ctx) => [snapshotNote(e), ...deletionReasons(e, ctx.config)],
  resources: (e) => [clusterArn(e)],
  dedup: { key: clusterArn },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An Amazon Redshift cluster was deleted by someone other than the approved deploy automation; the details say ' +
    'whether a final snapshot was skipped (then only manual snapshots taken earlier remain).',
  runbook: [
    'Find what can be restored: `aws redshift describe-cluster-snapshots --cluster-identifier <id>`; copy the newest to another account or Region before anything else.',
    'Restore if unwanted: `aws redshift restore-from-cluster-snapshot --cluster-identifier <id> --snapshot-identifier <snapshot>`.',
    'Find the change record. If there is none, treat it as an incident: revoke the actor’s sessions and review their other calls (DeleteClusterSnapshot).',
  ],
  rationale:
    'Deleting a data warehouse destroys its data (T1485); with the final snapshot skipped nothing newer than the last manual snapshot survives. One call is enough: high, critical on high-criticality assets, medium on low ones. Only calls outside the approved process match.',
  falsePositives: [
    'Decommissioning by hand after a ticket; test clusters deleted to save cost (set those accounts to low criticality).',
  ],
  cases: () => [
    {
      name: 'alice deletes the warehouse, skipping the final snapshot',
      expect: 'match',
      event: fixture('redshift/DeleteCluster'),
    },
    {
      name: 'with a final snapshot',
      expect: 'match',
      event: fixture('redshift/DeleteCluster', {
        requestParameters: { skipFinalClusterSnapshot: false, finalClusterSnapshotIdentifier: 'analytics-final' },
      }),
    },
    {
      name: 'denied',
      expect: 'no-match',
      event: fixture('redshift/DeleteCluster', denied('AccessDenied', 'redshift:DeleteCluster')),
    },
    {
      name: 'approved deploy role through CloudFormation',
      expect: 'no-match',
      event: fixture('redshift/DeleteCluster', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
    {
      name: 'pausing a cluster is not deleting it',
      expect: 'no-match',
      event: fixture('redshift/DeleteCluster', { eventName: 'PauseCluster' }),
    },
  ],
};
