import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { stringParam } from '../core/cloudtrail.ts';
import { policyOpenedRule } from '../core/policy-opened.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

// OpenSearch Service logs both API generations under es.amazonaws.com.
const EVENTS = [
  'CreateDomain',
  'UpdateDomainConfig',
  'CreateElasticsearchDomain',
  'UpdateElasticsearchDomainConfig',
] as const;

const domainArn = (e: CloudTrailRecord): string =>
  stringParam(e.responseElements, 'domainStatus', 'aRN') ??
  resourceArn(e, 'es', `domain/${stringParam(e.requestParameters, 'domainName') ?? 'unknown-domain'}`);

const ORG = { id: 'o-a1b2c3d4e5', accounts: ['111122223333', '444455556666'] };
const withPolicy = (statement: Record<string, unknown>) => ({
  requestParameters: {
    accessPolicies: JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Resource: 'arn:aws:es:eu-west-1:111122223333:domain/orders-search/*', ...statement }],
    }),
  },
});

export const rule = policyOpenedRule({
  id: 'opensearch.domain-policy-opened',
  title: 'OpenSearch domain policy opened to the public or outside the org',
  escalation: { high: 'critical' },
  mitre: ['T1530', 'T1190'],
  source: 'es',
  eventNames: EVENTS,
  policyParams: ['accessPolicies'],
  target: domainArn,
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An OpenSearch (or legacy Elasticsearch) domain was created or reconfigured with an access policy that lets ' +
    'everyone call it (Principal "*" with no restricting condition such as a narrow aws:SourceIp) or that grants an ' +
    'account outside the organisation. A public-endpoint domain with such a policy serves its indices to the internet.',
  runbook: [
    'Read the policy now in force: `aws opensearch describe-domain-config --domain-name <name> --query DomainConfig.AccessPolicies`.',
    'Unless documented, restore a restrictive policy: `aws opensearch update-domain-config --domain-name <name> --access-policies file://previous.json`.',
    "Check whether the domain has a public endpoint (no VPCOptions) and fine-grained access control; if it was public, treat its indices as read by outsiders and review the domain's slow/audit logs.",
    'If the actor is not the domain owner or the approved deploy role, review their other calls and treat it as an incident.',
  ],
  rationale:
    'One successful call is enough. High by default, critical on high-criticality assets: search domains hold ' +
    'logs, customer records and application data, and open OpenSearch clusters are a recurring source of breaches. ' +
    '"Public" follows the shared resource-policy analysis (S3 Block Public Access reading), so IP-restricted and ' +
    'organisation-restricted policies do not match. Calls that change other settings carry no policy and do not match.',
  falsePositives: [
    'A domain in a VPC with an open resource policy relies on security groups for restriction: still reported, since the policy is the last line if the network rules change; suppress per domain with a reason.',
    'Cross-account readers (a central log account) while organization.accounts is empty or out of date.',
  ],
  cases: () => [
    { name: 'everyone may call the domain', expect: 'match', event: fixture('es/UpdateDomainConfig') },
    { name: 'legacy Elasticsearch API opened', expect: 'match', event: fixture('es/UpdateElasticsearchDomainConfig') },
    { name: 'domain created with an open policy', expect: 'match', event: fixture('es/CreateDomain') },
    {
      name: 'an outside account may search',
      expect: 'match',
      config: { organization: ORG },
      event: fixture(
        'es/UpdateDomainConfig',
        withPolicy({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::999988887777:root' }, Action: 'es:ESHttpGet' }),
      ),
    },
    {
      name: 'everyone, held to the office range (aws:SourceIp)',
      expect: 'no-match',
      event: fixture(
        'es/UpdateDomainConfig',
        withPolicy({
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: 'es:ESHttp*',
          Condition: { IpAddress: { 'aws:SourceIp': ['198.51.100.0/24'] } },
        }),
      ),
    },
    {
      name: 'an unrelated setting changed (no policy in the call)',
      expect: 'no-match',
      event: fixture('es/UpdateDomainConfig', {
        requestParameters: { accessPolicies: undefined, clusterConfig: { instanceCount: 3 } },
      }),
    },
    {
      name: 'UpdateDomainConfig denied',
      expect: 'no-match',
      event: fixture('es/UpdateDomainConfig', {
        errorCode: 'AccessDenied',
        errorMessage:
          'User: arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/bob is not authorized to perform: es:UpdateDomainConfig on resource: arn:aws:es:eu-west-1:111122223333:domain/orders-search',
        responseElements: null,
      }),
    },
  ],
};
