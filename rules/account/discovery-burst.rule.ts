import { isApprovedAutomationRole } from '../core/approved.ts';
import { accountRootArn, partitionOf } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, actorArn, isServiceInvoked } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { DISCOVERY_EVENT_NAMES, discoveryCallOf, isConsoleBrowsing, isDiscoveryCall } from '../core/discovery.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, byAwsService, denied } from '../fixtures/overrides.ts';

/** One identity (the session's role, or the user), whatever address or session it sweeps from. */
const byActor = (e: CloudTrailRecord): string => `${accountOf(e)}|${actorArn(e)}`;

export const rule = defineRule({
  id: 'account.discovery-burst',
  title: 'One identity swept the account with many different discovery calls',
  severity: 'medium',
  controls: ['A.8.16', 'A.8.2'],
  mitre: ['T1580', 'T1526', 'T1087.004', 'T1069.003'],
  // Every service, the listed names: `isDiscoveryCall` holds each name to its own service.
  on: { source: '*', eventNames: DISCOVERY_EVENT_NAMES },
  // Refused calls count too: a sweep with keys of few rights is mostly refusals, and still a sweep.
  match: (e, ctx) =>
    isDiscoveryCall(e) &&
    !isServiceInvoked(e) &&
    !isConsoleBrowsing(e) &&
    !isApprovedAutomationRole(e, ctx.config.approved),
  explain: (e) => [
    `${actorArn(e)} made many different discovery calls across the account's services within minutes (the last: ${discoveryCallOf(e)} from ${e.sourceIPAddress ?? 'an unknown address'})`,
  ],
  resources: (e) => [accountRootArn(partitionOf(e.awsRegion), accountOf(e))],
  threshold: {
    count: 8,
    windowSeconds: 600,
    byCriticality: { high: { count: 7, windowSeconds: 600 }, low: { count: 12, windowSeconds: 900 } },
    groupBy: byActor,
    distinct: (e) => discoveryCallOf(e),
  },
  dedup: { key: byActor, windowSeconds: 3600 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'One identity made several different reconnaissance calls in a few minutes (who am I, which users, roles, ' +
    'policies, buckets, instances, secrets, keys, trails and detectors exist), counted by distinct call across ' +
    'services from a list of what enumeration tools ask first (rules/core/discovery.ts). This is how Pacu, ' +
    'enumerate-iam, ScoutSuite and CloudFox start, and what an intruder with fresh keys does before moving: a ' +
    'workload repeats the same few reads, a sweep asks many different ones once. Refused calls count: a sweep ' +
    'with keys of few rights is mostly refusals.',
  runbook: [
    'List the sweep: `aws cloudtrail lookup-events --lookup-attributes AttributeKey=Username,AttributeValue=<user or role session> --start-time <first-seen>`; note the address, user agent and which calls were refused.',
    'Is it a known scanner (CSPM, inventory, access review) or a pipeline? Add its role to `approved.automationRoles` and close as a false positive.',
    'If not: deactivate the access key or revoke the role’s sessions, then read the incident for what came next (policy changes, new keys, AssumeRole into roles the sweep found, secrets read).',
  ],
  rationale:
    'Discovery (T1580, T1526, T1087.004, T1069.003) precedes nearly every cloud intrusion and is invisible call ' +
    'by call. Counting distinct calls per identity (8 in 10 minutes; 7 on high-criticality accounts; 12 in 15 ' +
    'minutes on low) keeps workloads quiet, which repeat a handful of reads, and sees the shortest published ' +
    'sweep (Stratus Red Team ec2-enumerate-from-instance: 9 calls from an instance role, most of them refused), ' +
    'while people using the CLI in the example day reach 6 at most; console sessions are left out ' +
    '(every page lists resources) and approved automation roles (posture scanners, IaC plans) are excluded. ' +
    'Medium: a read changes nothing, but the incident it opens gathers the steps that follow and escalates with ' +
    'them. Other projects count any 6 to 50 List/Describe calls, which every SDK pagination loop reaches.',
  falsePositives: [
    'Posture and inventory scanners (Prowler, ScoutSuite, Steampipe) and Terraform plans run by roles not yet listed in `approved.automationRoles`.',
    'An engineer exploring an account with the CLI.',
  ],
  cases: () => [
    {
      name: 'the IAM configuration dumped (one call of the sweep)',
      expect: 'match',
      event: fixture('iam/GetAccountAuthorizationDetails'),
    },
    { name: 'buckets listed by the same key', expect: 'match', event: fixture('s3/ListBuckets') },
    { name: 'who am I, first call of every tool', expect: 'match', event: fixture('sts/GetCallerIdentity-access-key') },
    {
      name: 'an instance role asking for the account summary, refused (Stratus ec2-enumerate-from-instance)',
      expect: 'match',
      event: fixture('iam/GetAccountSummary-instance-role'),
    },
    {
      name: 'a refused IAM listing (a sweep with few rights)',
      expect: 'match',
      event: fixture('iam/ListUsers-denied'),
    },
    {
      name: 'the same name on another service (ListUsers of IAM Identity Center is not in the list)',
      expect: 'no-match',
      event: fixture('iam/ListUsers-denied', { eventSource: 'identitystore.amazonaws.com', errorCode: undefined }),
    },
    {
      name: 'a console session browsing',
      expect: 'no-match',
      event: fixture('s3/ListBuckets', { sessionCredentialFromConsole: 'true' }),
    },
    {
      name: 'an approved scanner role',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('iam/GetAccountAuthorizationDetails', BY_APPROVED_DEPLOY),
    },
    { name: 'AWS itself', expect: 'no-match', event: fixture('s3/ListBuckets', byAwsService('config')) },
    {
      name: 'a refused dump still counts',
      expect: 'match',
      event: fixture(
        'iam/GetAccountAuthorizationDetails',
        denied('AccessDenied', 'iam:GetAccountAuthorizationDetails'),
      ),
    },
  ],
};
