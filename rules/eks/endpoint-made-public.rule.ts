import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord, JsonValue } from '../core/cloudtrail.ts';
import { accountOf, isServiceInvoked, isSuccess, param, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { denied } from '../fixtures/overrides.ts';

const OPEN = new Set(['0.0.0.0/0', '::/0']);

const isTrue = (v: JsonValue | undefined): boolean =>
  v === true || (typeof v === 'string' && v.toLowerCase() === 'true');
const isFalse = (v: JsonValue | undefined): boolean =>
  v === false || (typeof v === 'string' && v.toLowerCase() === 'false');

/**
 * What the update opens. The public endpoint switched on with no CIDR list keeps or takes EKS's default, which is
 * 0.0.0.0/0, so that counts as open; a CIDR list that names the whole internet is open whether or not the same
 * call switches the endpoint on. Switching the public endpoint off closes it, whatever CIDRs the call repeats.
 */
const exposure = (e: CloudTrailRecord): string[] => {
  const vpc = param(e.requestParameters, 'resourcesVpcConfig');
  if (typeof vpc !== 'object' || vpc === null || Array.isArray(vpc) || isFalse(vpc.endpointPublicAccess)) return [];
  const cidrs = Array.isArray(vpc.publicAccessCidrs) ? vpc.publicAccessCidrs.map(String) : undefined;
  const open = (cidrs ?? []).filter((c) => OPEN.has(c.trim()));
  if (open.length > 0) return [`public API endpoint reachable from ${open.join(', ')}`];
  if (isTrue(vpc.endpointPublicAccess) && cidrs === undefined) {
    return ['public API endpoint switched on without a CIDR restriction (EKS default 0.0.0.0/0)'];
  }
  return [];
};

const clusterArn = (e: CloudTrailRecord): string =>
  resourceArn(e, 'eks', `cluster/${stringParam(e.requestParameters, 'name') ?? 'unknown'}`);

export const rule = defineRule({
  id: 'eks.endpoint-made-public',
  title: 'EKS cluster API endpoint opened to the internet',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.20', 'A.5.23'],
  mitre: ['T1133', 'T1562.007'],
  on: { source: 'eks', eventNames: ['UpdateClusterConfig'] },
  match: (e) => isSuccess(e) && !isServiceInvoked(e) && exposure(e).length > 0,
  explain: exposure,
  resources: (e) => [clusterArn(e)],
  dedup: { key: (e) => `${accountOf(e)}|${clusterArn(e)}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An EKS cluster’s Kubernetes API endpoint was made reachable from the whole internet (public access on, with ' +
    '0.0.0.0/0 or no CIDR restriction): anyone holding a token, or a stolen kubeconfig, can now reach the control ' +
    'plane from anywhere, and API-server vulnerabilities are exposed.',
  runbook: [
    'Check the setting now: `aws eks describe-cluster --name <cluster> --query cluster.resourcesVpcConfig`.',
    'Restrict it unless a change record explains it: `aws eks update-cluster-config --name <cluster> ' +
      '--resources-vpc-config endpointPublicAccess=false,endpointPrivateAccess=true` (or publicAccessCidrs=<office ' +
      'and CI ranges>).',
    'Review the cluster’s audit log (CloudWatch Logs, `/aws/eks/<cluster>/cluster`) for requests from unknown ' +
      'addresses since the change, and who was granted access (AssociateAccessPolicy, aws-auth changes).',
  ],
  rationale:
    'Opening the control plane to the internet is external remote access to the cluster (T1133) and removes a ' +
    'network guard (T1562.007); attackers do it to reach the cluster from outside after stealing credentials. High, ' +
    'critical on high-criticality assets; one successful call is enough. Only UpdateClusterConfig is judged: ' +
    'CreateCluster’s default is public with 0.0.0.0/0, so new clusters are left to Config and posture tools rather ' +
    'than paging on every creation.',
  falsePositives: [
    'Sandbox clusters opened on purpose for a demo or a developer without VPN (document and suppress per cluster).',
  ],
  cases: () => [
    {
      name: 'public endpoint opened to 0.0.0.0/0',
      expect: 'match',
      event: fixture('eks/UpdateClusterConfig-public-endpoint'),
    },
    {
      name: 'public endpoint switched on with no CIDR list',
      expect: 'match',
      event: fixture('eks/UpdateClusterConfig-public-endpoint', {
        requestParameters: {
          name: 'payments-prod',
          resourcesVpcConfig: {
            endpointPublicAccess: true,
            endpointPrivateAccess: undefined,
            publicAccessCidrs: undefined,
          },
        },
      }),
    },
    {
      name: 'CIDR list widened to ::/0 alone',
      expect: 'match',
      event: fixture('eks/UpdateClusterConfig-public-endpoint', {
        requestParameters: {
          name: 'payments-prod',
          resourcesVpcConfig: {
            endpointPublicAccess: undefined,
            endpointPrivateAccess: undefined,
            publicAccessCidrs: ['::/0'],
          },
        },
      }),
    },
    {
      name: 'public endpoint restricted to the office range',
      expect: 'no-match',
      event: fixture('eks/UpdateClusterConfig-public-endpoint', {
        requestParameters: {
          name: 'payments-prod',
          resourcesVpcConfig: { endpointPublicAccess: true, publicAccessCidrs: ['198.51.100.0/24'] },
        },
      }),
    },
    {
      name: 'public endpoint switched off',
      expect: 'no-match',
      event: fixture('eks/UpdateClusterConfig-public-endpoint', {
        requestParameters: {
          name: 'payments-prod',
          resourcesVpcConfig: {
            endpointPublicAccess: false,
            endpointPrivateAccess: true,
            publicAccessCidrs: undefined,
          },
        },
      }),
    },
    {
      name: 'a logging-only update',
      expect: 'no-match',
      event: fixture('eks/UpdateClusterConfig-public-endpoint', {
        requestParameters: {
          name: 'payments-prod',
          resourcesVpcConfig: undefined,
          logging: { clusterLogging: [{ types: ['api', 'audit'], enabled: true }] },
        },
      }),
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture(
        'eks/UpdateClusterConfig-public-endpoint',
        denied('AccessDeniedException', 'eks:UpdateClusterConfig'),
      ),
    },
  ],
};
