import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isServiceInvoked, isSuccess, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

const configIdOf = (e: CloudTrailRecord): string =>
  stringParam(e.requestParameters, 'resolverQueryLogConfigId') ?? 'unknown-query-log-config';

/** The query logging configuration, and for a disassociation the VPC that stopped being logged. */
const resourcesOf = (e: CloudTrailRecord): string[] => {
  const config =
    stringParam(e.responseElements, 'resolverQueryLogConfig', 'arn') ??
    resourceArn(e, 'route53resolver', `resolver-query-log-config/${configIdOf(e)}`);
  const vpc = stringParam(e.requestParameters, 'resourceId');
  return vpc === undefined ? [config] : [config, resourceArn(e, 'ec2', `vpc/${vpc}`)];
};

export const rule = defineRule({
  id: 'route53resolver.query-logging-removed',
  title: 'Route 53 Resolver DNS query logging removed from a VPC or deleted',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.15'],
  mitre: ['T1562.008'],
  on: {
    source: 'route53resolver',
    eventNames: ['DisassociateResolverQueryLogConfig', 'DeleteResolverQueryLogConfig'],
  },
  match: (e) => isSuccess(e) && !isServiceInvoked(e),
  // A configuration must lose its VPCs before it can be deleted: disassociate and delete are one incident.
  dedup: { key: (e) => `${accountOf(e)}|${e.awsRegion}|${configIdOf(e)}` },
  resources: resourcesOf,
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A VPC was disassociated from its Resolver query logging configuration, or the configuration was deleted: DNS ' +
    'queries from that VPC (malware C2 lookups, DNS tunnelling, exfiltration domains) are no longer recorded.',
  runbook: [
    'See what is still logged: `aws route53resolver list-resolver-query-log-config-associations --region <region>` and ' +
      '`aws route53resolver list-resolver-query-log-configs --region <region>`.',
    'Restore logging: recreate the configuration if it was deleted (`aws route53resolver create-resolver-query-log-config ' +
      '--name <name> --destination-arn <log-group-or-bucket-arn> --creator-request-id <uuid>`), then ' +
      '`aws route53resolver associate-resolver-query-log-config --resolver-query-log-config-id <rqlc-id> --resource-id <vpc-id>`.',
    "Review the actor's other calls and the VPC's traffic around the change (flow logs, GuardDuty DNS findings): DNS " +
      'queries made while logging was off are not recoverable.',
    'If the actor is not the approved deploy role, treat it as an incident and rotate its credentials.',
  ],
  rationale:
    'No threshold: removing DNS query logging is a known evasion step (T1562.008; Stratus Red Team ' +
    'dns-delete-logs) and the calls are rare in routine operation. Medium at medium criticality because GuardDuty ' +
    'still sees DNS through its own feed and flow logs still show connections; high on high-criticality accounts, ' +
    'where query logs are part of the required evidence. Both calls match because either one ends logging for a VPC; ' +
    'they fold into one finding per configuration.',
  falsePositives: [
    'Decommissioning a VPC: its association is removed before the VPC is deleted (DeleteVpc follows).',
    'Moving VPCs to a new, centrally shared query logging configuration (an associate call follows).',
  ],
  cases: () => [
    {
      name: 'VPC disassociated from query logging',
      expect: 'match',
      event: fixture('route53resolver/DisassociateResolverQueryLogConfig'),
    },
    {
      name: 'query logging configuration deleted',
      expect: 'match',
      event: fixture('route53resolver/DeleteResolverQueryLogConfig'),
    },
    {
      name: 'deleted by a CloudFormation stack is still a removal',
      expect: 'match',
      criticality: 'high',
      event: fixture('route53resolver/DeleteResolverQueryLogConfig', {
        userIdentity: { invokedBy: 'cloudformation.amazonaws.com' },
        sourceIPAddress: 'cloudformation.amazonaws.com',
        userAgent: 'cloudformation.amazonaws.com',
        tlsDetails: undefined,
      }),
    },
    {
      name: 'disassociation denied',
      expect: 'no-match',
      event: fixture('route53resolver/DisassociateResolverQueryLogConfig', {
        errorCode: 'AccessDeniedException',
        errorMessage:
          'User: arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/alice is not authorized to perform: route53resolver:DisassociateResolverQueryLogConfig',
        responseElements: null,
      }),
    },
    {
      name: 'deleting a configuration that still has VPCs is refused',
      expect: 'no-match',
      event: fixture('route53resolver/DeleteResolverQueryLogConfig', {
        errorCode: 'InvalidRequestException',
        errorMessage: 'The query logging configuration has associations and cannot be deleted.',
        responseElements: null,
      }),
    },
    {
      name: 'associating a VPC with query logging is benign',
      expect: 'no-match',
      event: fixture('route53resolver/AssociateResolverQueryLogConfig'),
    },
    {
      name: 'RAM removing a VPC after sharing stopped is the service, not a person',
      expect: 'no-match',
      event: fixture('route53resolver/DisassociateResolverQueryLogConfig', {
        userIdentity: {
          type: 'AWSService',
          invokedBy: 'ram.amazonaws.com',
          principalId: undefined,
          arn: undefined,
          accountId: undefined,
          accessKeyId: undefined,
          sessionContext: undefined,
        },
        sourceIPAddress: 'ram.amazonaws.com',
        userAgent: 'ram.amazonaws.com',
        tlsDetails: undefined,
      }),
    },
  ],
};
