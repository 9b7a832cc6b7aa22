import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { deletionReasons, isUnapprovedDeletion } from '../core/destruction.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

/** The cache the call deleted, as ElastiCache names it in its ARN. */
const cacheArn = (e: CloudTrailRecord): string => {
  const req = e.requestParameters;
  const group = stringParam(req, 'replicationGroupId');
  if (group !== undefined) return resourceArn(e, 'elasticache', `replicationgroup:${group}`);
  const serverless = stringParam(req, 'serverlessCacheName');
  if (serverless !== undefined) return resourceArn(e, 'elasticache', `serverlesscache:${serverless}`);
  return resourceArn(e, 'elasticache', `cluster:${stringParam(req, 'cacheClusterId') ?? 'unknown'}`);
};

const snapshotNote = (e: CloudTrailRecord): string => {
  const snapshot =
    stringParam(e.requestParameters, 'finalSnapshotIdentifier') ??
    stringParam(e.requestParameters, 'finalSnapshotName');
  return snapshot === undefined ? 'no final snapshot requested' : `final snapshot ${snapshot}`;
};

export const rule = defineRule({
  id: 'elasticache.cluster-deleted',
  title: 'ElastiCache cluster or replication group deleted outside the approved process',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.10'],
  mitre: ['T1485'],
  on: { source: 'elasticache', eventNames: ['DeleteCacheCluster', 'DeleteReplicationGroup', 'DeleteServerlessCache'] },
  match: (e, ctx) => isUnapprovedDeletion(e, ctx.config, [cacheArn(e)]),
  explain: (e, ctx) => [snapshotNote(e), ...deletionReasons(e, ctx.config)],
  resources: (e) => [cacheArn(e)],
  dedup: { key: cacheArn },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An ElastiCache (Redis OSS, Valkey or Memcached) cluster, replication group or serverless cache was deleted by ' +
    'someone other than the approved deploy automation; the details say whether a final snapshot was kept.',
  runbook: [
    'If the cache held primary data (sessions, queues, leaderboards), restore it from the newest snapshot: `aws elasticache describe-snapshots --replication-group-id <id>`, then `aws elasticache create-replication-group --snapshot-name <snapshot> …`.',
    'Find the change record. If there is none, treat it as an incident: revoke the actor’s sessions and review their other calls.',
  ],
  rationale:
    'A cache is often rebuildable, but Redis and Valkey are also used as the only store for sessions and queues, so deleting one by hand is destruction of service and data (T1485). Medium, high on high-criticality assets; one call is enough. Only calls outside the approved process match.',
  falsePositives: ['Caches deleted by hand to resize or re-create them (confirm the ticket).'],
  cases: () => [
    {
      name: 'alice deletes the sessions replication group',
      expect: 'match',
      event: fixture('elasticache/DeleteReplicationGroup'),
    },
    {
      name: 'single cache cluster with a final snapshot',
      expect: 'match',
      event: fixture('elasticache/DeleteReplicationGroup', {
        eventName: 'DeleteCacheCluster',
        requestParameters: {
          replicationGroupId: undefined,
          retainPrimaryCluster: undefined,
          cacheClusterId: 'sessions-memcached',
          finalSnapshotIdentifier: 'sessions-final',
        },
      }),
    },
    {
      name: 'denied',
      expect: 'no-match',
      event: fixture(
        'elasticache/DeleteReplicationGroup',
        denied('AccessDenied', 'elasticache:DeleteReplicationGroup'),
      ),
    },
    {
      name: 'approved deploy role through CloudFormation',
      expect: 'no-match',
      event: fixture('elasticache/DeleteReplicationGroup', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
    {
      name: 'deleting a snapshot is not deleting the cache',
      expect: 'no-match',
      event: fixture('elasticache/DeleteReplicationGroup', {
        eventName: 'DeleteSnapshot',
        requestParameters: { snapshotName: 'old' },
      }),
    },
  ],
};
