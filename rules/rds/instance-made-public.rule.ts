import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord, JsonValue } from '../core/cloudtrail.ts';
import { isSuccess, param, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

const INSTANCE_EVENTS = [
  'CreateDBInstance',
  'ModifyDBInstance',
  'CreateDBInstanceReadReplica',
  'RestoreDBInstanceFromDBSnapshot',
  'RestoreDBInstanceToPointInTime',
] as const;
// Multi-AZ DB clusters (not Aurora, where the setting is per instance) take PubliclyAccessible at cluster level.
const CLUSTER_EVENTS = [
  'CreateDBCluster',
  'ModifyDBCluster',
  'RestoreDBClusterFromSnapshot',
  'RestoreDBClusterToPointInTime',
] as const;

const isClusterEvent = (e: CloudTrailRecord): boolean => e.eventName.includes('DBCluster');

const isTrue = (v: JsonValue | undefined): boolean =>
  v === true || (typeof v === 'string' && v.toLowerCase() === 'true');

/**
 * A Modify turns public only when it asks to (RDS applies PubliclyAccessible at once, whatever ApplyImmediately
 * says). A Create or Restore that leaves the flag out gets RDS's default (public in a default VPC with an
 * internet gateway), which the response reports.
 */
const madePublic = (e: CloudTrailRecord): boolean => {
  const requested = param(e.requestParameters, 'publiclyAccessible');
  if (e.eventName.startsWith('Modify') || (requested !== undefined && requested !== null)) return isTrue(requested);
  return isTrue(param(e.responseElements, 'publiclyAccessible'));
};

const identifierOf = (e: CloudTrailRecord): string =>
  stringParam(e.requestParameters, isClusterEvent(e) ? 'dBClusterIdentifier' : 'dBInstanceIdentifier') ??
  'unknown-database';

const databaseArn = (e: CloudTrailRecord): string =>
  stringParam(e.responseElements, isClusterEvent(e) ? 'dBClusterArn' : 'dBInstanceArn') ??
  resourceArn(e, 'rds', `${isClusterEvent(e) ? 'cluster' : 'db'}:${identifierOf(e)}`);

export const rule = defineRule({
  id: 'rds.instance-made-public',
  title: 'RDS database made publicly accessible',
  severity: 'high',
  controls: ['A.5.23'],
  mitre: ['T1133', 'T1190'],
  on: { source: 'rds', eventNames: [...INSTANCE_EVENTS, ...CLUSTER_EVENTS] },
  match: (e) => isSuccess(e) && madePublic(e),
  explain: (e) => {
    const address = stringParam(e.responseElements, 'endpoint', 'address');
    return [`${identifierOf(e)} is publicly accessible${address === undefined ? '' : ` at ${address}`}`];
  },
  dedup: { key: databaseArn },
  resources: (e) => [databaseArn(e)],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An RDS DB instance or Multi-AZ DB cluster was created, restored or modified with PubliclyAccessible true: its ' +
    'endpoint now resolves to a public IP address, so anyone on the internet can reach the database port wherever ' +
    'its security groups allow it.',
  runbook: [
    'Confirm the setting and endpoint: `aws rds describe-db-instances --db-instance-identifier <id> --query "DBInstances[0].[PubliclyAccessible,Endpoint.Address,VpcSecurityGroups]"` (cluster: `aws rds describe-db-clusters --db-cluster-identifier <id>`).',
    'Unless a change record says the database must be public, turn it off: `aws rds modify-db-instance --db-instance-identifier <id> --no-publicly-accessible --apply-immediately` (cluster: `aws rds modify-db-cluster --db-cluster-identifier <id> --no-publicly-accessible --apply-immediately`).',
    "Check what could reach it meanwhile: the security groups' ingress rules (`aws ec2 describe-security-group-rules --filters Name=group-id,Values=<sg-id>`) for 0.0.0.0/0 or unknown ranges on the database port, and any ec2.ingress-open-to-internet finding for them.",
    "Review the database's connection and authentication logs (e.g. `aws rds download-db-log-file-portion` for postgresql.log / error log) and VPC flow logs for connections from outside your ranges during the exposure window; rotate the master password if anything unknown connected.",
    'If the actor is not the database owner or the approved deploy role, review their other calls and treat it as an incident.',
  ],
  rationale:
    'One successful call is enough, with no threshold: a public endpoint is exposed to internet-wide scanning as soon ' +
    'as the change applies (RDS applies PubliclyAccessible immediately). High at every criticality rather than ' +
    'critical: the security groups still decide who can connect, and ec2.ingress-open-to-internet escalates the ' +
    'case where they are open too. Creates and restores that leave the flag out match when RDS reports the new ' +
    'database public (its default in a default VPC). Changes made through CloudFormation or by approved automation ' +
    'still match: the exposure does not depend on who made it.',
  falsePositives: [
    'Databases that must be reachable from outside AWS (a SaaS tool, a partner) behind tight security groups: suppress per database with a reason, and prefer a VPN, PrivateLink or an RDS Proxy.',
    'Sandbox databases in a default VPC created without specifying the flag.',
  ],
  cases: () => [
    {
      name: 'Panther negative: a storage change on a database the response shows already public',
      expect: 'no-match',
      event: fixture('rds/ModifyDBInstance-panther-storage'),
    },
    { name: 'instance modified to be public', expect: 'match', event: fixture('rds/ModifyDBInstance-public') },
    {
      name: 'instance made public, flag logged as a string',
      expect: 'match',
      event: fixture('rds/ModifyDBInstance-public', { requestParameters: { publiclyAccessible: 'true' } }),
    },
    { name: 'Multi-AZ cluster modified to be public', expect: 'match', event: fixture('rds/ModifyDBCluster-public') },
    {
      name: 'instance created public',
      expect: 'match',
      event: fixture('rds/CreateDBInstance', {
        requestParameters: { publiclyAccessible: true },
        responseElements: { publiclyAccessible: true },
      }),
    },
    {
      name: 'instance created without the flag in a default VPC (RDS made it public)',
      expect: 'match',
      event: fixture('rds/CreateDBInstance', {
        requestParameters: { publiclyAccessible: undefined, dBSubnetGroupName: undefined },
        responseElements: { publiclyAccessible: true },
      }),
    },
    {
      name: 'snapshot restored as a public instance',
      expect: 'match',
      event: fixture('rds/CreateDBInstance', {
        eventName: 'RestoreDBInstanceFromDBSnapshot',
        requestParameters: {
          dBSnapshotIdentifier: 'orders-db-manual-2026-11-01',
          publiclyAccessible: true,
          masterUsername: undefined,
          masterUserPassword: undefined,
        },
        responseElements: { publiclyAccessible: true },
      }),
    },
    { name: 'private instance created', expect: 'no-match', event: fixture('rds/CreateDBInstance') },
    {
      name: 'instance made private again',
      expect: 'no-match',
      event: fixture('rds/ModifyDBInstance-public', {
        requestParameters: { publiclyAccessible: false },
        responseElements: { publiclyAccessible: false },
      }),
    },
    {
      name: 'modify of another setting on an already public instance',
      expect: 'no-match',
      event: fixture('rds/ModifyDBInstance-public', {
        requestParameters: { publiclyAccessible: undefined, allocatedStorage: 200 },
      }),
    },
    {
      name: 'public on a high-criticality asset',
      expect: 'match',
      criticality: 'high',
      event: fixture('rds/ModifyDBInstance-public'),
    },
    {
      name: 'ModifyDBInstance denied',
      expect: 'no-match',
      event: fixture('rds/ModifyDBInstance-public', {
        errorCode: 'AccessDenied',
        errorMessage:
          'User: arn:aws:iam::111122223333:user/alice is not authorized to perform: rds:ModifyDBInstance on resource: arn:aws:rds:eu-west-1:111122223333:db:orders-db',
        responseElements: null,
      }),
    },
    {
      name: 'Aurora cluster rejects the cluster-level flag',
      expect: 'no-match',
      event: fixture('rds/ModifyDBCluster-public', {
        errorCode: 'InvalidParameterCombination',
        errorMessage: 'The PubliclyAccessible parameter is not supported for Aurora DB clusters.',
        responseElements: null,
      }),
    },
    {
      name: 'public instance deployed through CloudFormation still matches',
      expect: 'match',
      event: fixture('rds/CreateDBInstance', {
        userIdentity: {
          arn: 'arn:aws:sts::111122223333:assumed-role/deploy-role/AWSCloudFormation',
          principalId: 'AROAJQABLZS4A3QDU576Q:AWSCloudFormation',
          sessionContext: {
            sessionIssuer: { arn: 'arn:aws:iam::111122223333:role/deploy-role', userName: 'deploy-role' },
          },
          invokedBy: 'cloudformation.amazonaws.com',
        },
        sourceIPAddress: 'cloudformation.amazonaws.com',
        userAgent: 'cloudformation.amazonaws.com',
        sessionCredentialFromConsole: undefined,
        requestParameters: { publiclyAccessible: true },
        responseElements: { publiclyAccessible: true },
      }),
    },
  ],
};
