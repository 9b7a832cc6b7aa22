import type { CloudTrailRecord } from './cloudtrail.ts';
import { serviceOf } from './cloudtrail.ts';

/**
 * The reconnaissance calls of cloud enumeration tools (Pacu's enum modules, enumerate-iam, ScoutSuite, CloudFox,
 * Stratus Red Team's discovery techniques): per service (the eventSource's prefix), the read-only calls that map
 * who the caller is, what it may do and what the account holds. Chosen for what an intruder asks first, not for
 * completeness: a workload reads a few of these over and over, an intruder many different ones once. Lambda's
 * names carry CloudTrail's API version suffixes.
 */
export const DISCOVERY_CALLS: Readonly<Record<string, readonly string[]>> = {
  iam: [
    'GetAccountAuthorizationDetails',
    'GetAccountSummary',
    'GetAccountPasswordPolicy',
    'GetCredentialReport',
    'GenerateCredentialReport',
    'GetLoginProfile',
    'GetUser',
    'ListAccessKeys',
    'ListAccountAliases',
    'ListAttachedGroupPolicies',
    'ListAttachedRolePolicies',
    'ListAttachedUserPolicies',
    'ListGroupPolicies',
    'ListGroups',
    'ListGroupsForUser',
    'ListInstanceProfiles',
    'ListMFADevices',
    'ListOpenIDConnectProviders',
    'ListPolicies',
    'ListRolePolicies',
    'ListRoles',
    'ListSAMLProviders',
    'ListSSHPublicKeys',
    'ListServiceSpecificCredentials',
    'ListSigningCertificates',
    'ListUserPolicies',
    'ListUsers',
    'ListVirtualMFADevices',
    'SimulatePrincipalPolicy',
  ],
  sts: ['GetCallerIdentity'],
  organizations: ['DescribeOrganization', 'ListAccounts', 'ListRoots', 'ListDelegatedAdministrators'],
  s3: ['ListBuckets', 'GetBucketPolicy', 'GetBucketAcl'],
  ec2: [
    'DescribeAddresses',
    'DescribeImages',
    'DescribeInstances',
    'DescribeKeyPairs',
    'DescribeLaunchTemplates',
    'DescribeNetworkInterfaces',
    'DescribeRegions',
    'DescribeSecurityGroups',
    'DescribeSnapshots',
    'DescribeSubnets',
    'DescribeVolumes',
    'DescribeVpcs',
  ],
  lambda: ['ListFunctions20150331', 'ListLayers20181031', 'ListEventSourceMappings20150331'],
  secretsmanager: ['ListSecrets'],
  ssm: ['DescribeParameters', 'DescribeInstanceInformation'],
  kms: ['ListKeys', 'ListAliases'],
  dynamodb: ['ListTables'],
  rds: ['DescribeDBInstances', 'DescribeDBClusters', 'DescribeDBSnapshots'],
  sns: ['ListTopics', 'ListSubscriptions'],
  sqs: ['ListQueues'],
  cloudtrail: ['DescribeTrails', 'GetTrailStatus', 'GetEventSelectors', 'ListTrails'],
  guardduty: ['ListDetectors'],
  logs: ['DescribeLogGroups'],
  ecr: ['DescribeRepositories'],
  ecs: ['ListClusters'],
  eks: ['ListClusters'],
  cloudformation: ['ListStacks', 'DescribeStacks'],
  route53: ['ListHostedZones'],
  ses: ['ListIdentities', 'GetSendQuota'],
  bedrock: ['ListFoundationModels'],
  codebuild: ['ListProjects'],
  lightsail: ['GetInstances'],
  'cognito-idp': ['ListUserPools'],
};

/** Keyed by the whole eventSource, so the hot path looks a record up without cutting a string. */
const BY_SOURCE: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  Object.entries(DISCOVERY_CALLS).map(([service, names]) => [`${service}.amazonaws.com`, new Set(names)]),
);

/** Every name of the list, for the rule's selector (the service is checked by `isDiscoveryCall`). */
export const DISCOVERY_EVENT_NAMES: readonly string[] = [...new Set(Object.values(DISCOVERY_CALLS).flat())].sort();

/** One of the listed reconnaissance calls (by service and name: `ListClusters` of ECS and EKS, not of another). */
export const isDiscoveryCall = (e: CloudTrailRecord): boolean =>
  BY_SOURCE.get(e.eventSource)?.has(e.eventName) ?? false;

/** The call counted once however often it is made: `iam:ListUsers`. */
export const discoveryCallOf = (e: CloudTrailRecord): string => `${serviceOf(e.eventSource)}:${e.eventName}`;

/**
 * The console lists resources with the signed-in person's session on every page they open; such a session says
 * so (`sessionCredentialFromConsole`). What a person browses is not a tool's sweep.
 */
export const isConsoleBrowsing = (e: CloudTrailRecord): boolean => e.sessionCredentialFromConsole === 'true';
