import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord, JsonValue } from '../core/cloudtrail.ts';
import { accountOf, isServiceInvoked, isSuccess, param, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { denied } from '../fixtures/overrides.ts';

const isFalse = (v: JsonValue | undefined): boolean =>
  v === false || (typeof v === 'string' && v.toLowerCase() === 'false');

/** The control-plane log types the update switches off (`api`, `audit`, `authenticator`, …). */
const disabledTypes = (e: CloudTrailRecord): string[] => {
  const entries = param(e.requestParameters, 'logging', 'clusterLogging');
  return (Array.isArray(entries) ? entries : []).flatMap((entry) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry) || !isFalse(entry.enabled)) return [];
    return Array.isArray(entry.types) ? entry.types.map(String) : ['(types not recorded)'];
  });
};

const clusterArn = (e: CloudTrailRecord): string =>
  resourceArn(e, 'eks', `cluster/${stringParam(e.requestParameters, 'name') ?? 'unknown'}`);

export const rule = defineRule({
  id: 'eks.control-plane-logging-disabled',
  title: 'EKS control-plane logging switched off',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.15'],
  mitre: ['T1562.008'],
  on: { source: 'eks', eventNames: ['UpdateClusterConfig'] },
  match: (e) => isSuccess(e) && !isServiceInvoked(e) && disabledTypes(e).length > 0,
  explain: (e) => [`control-plane log types switched off: ${disabledTypes(e).join(', ') || 'not recorded'}`],
  resources: (e) => [clusterArn(e)],
  dedup: { key: (e) => `${accountOf(e)}|${clusterArn(e)}|logging` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An EKS cluster stopped sending control-plane logs (API server, audit, authenticator, controller manager, ' +
    'scheduler) to CloudWatch Logs: what is done inside the cluster (secrets read, pods exec’d, RBAC changed) is no ' +
    'longer recorded.',
  runbook: [
    'Check the setting: `aws eks describe-cluster --name <cluster> --query cluster.logging`.',
    'Switch it back on unless a change record explains it: `aws eks update-cluster-config --name <cluster> --logging ' +
      '\'{"clusterLogging":[{"types":["api","audit","authenticator"],"enabled":true}]}\'`.',
    'Review what the actor did in the cluster before and after (the last audit log entries, then CloudTrail), and ' +
      'who was granted access to it (AssociateAccessPolicy).',
  ],
  rationale:
    'Switching off cluster logging hides Kubernetes-level activity from everyone (T1562.008; Elastic "AWS EKS Control ' +
    'Plane Logging Disabled"). The ISO guidance makes log forwarding stopped critical; high here, critical on ' +
    'high-criticality assets, because some teams keep only the audit type on. Any type switched off counts; ' +
    'switching types on does not. Refused calls and AWS acting on its own are excluded.',
  falsePositives: ['Cost cutting on development clusters (api and audit logs are the largest), done by hand.'],
  cases: () => [
    {
      name: 'api, audit and authenticator logs switched off',
      expect: 'match',
      event: fixture('eks/UpdateClusterConfig-logging-off'),
    },
    {
      name: 'only the scheduler logs switched off',
      expect: 'match',
      event: fixture('eks/UpdateClusterConfig-logging-off', {
        requestParameters: {
          logging: {
            clusterLogging: [
              { types: ['api', 'audit'], enabled: true },
              { types: ['scheduler'], enabled: false },
            ],
          },
        },
      }),
    },
    {
      name: 'logs switched on',
      expect: 'no-match',
      event: fixture('eks/UpdateClusterConfig-logging-off', {
        requestParameters: { logging: { clusterLogging: [{ types: ['api', 'audit'], enabled: true }] } },
      }),
    },
    {
      name: 'an endpoint-only update',
      expect: 'no-match',
      event: fixture('eks/UpdateClusterConfig-public-endpoint'),
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture('eks/UpdateClusterConfig-logging-off', denied('AccessDeniedException', 'eks:UpdateClusterConfig')),
    },
  ],
};
