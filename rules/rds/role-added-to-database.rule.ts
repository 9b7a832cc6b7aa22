import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { rdsTargetArns, rdsTargetName } from '../core/rds.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

/** The role handed to the engine; the request requires it (the API returns nothing, so only the request has it). */
const roleOf = (e: CloudTrailRecord): string | undefined => stringParam(e.requestParameters, 'roleArn');

/**
 * What the engine may do with the role: `s3Import`, `s3Export`, `Lambda`, `SageMaker`, `S3_INTEGRATION`… Required for
 * an instance, optional for a cluster (Aurora MySQL then uses the role for every feature the cluster parameters allow).
 */
const featureOf = (e: CloudTrailRecord): string => stringParam(e.requestParameters, 'featureName') ?? 'every feature';

/** The account the role lives in, when the ARN names one other than the database's. */
const foreignAccount = (e: CloudTrailRecord): string | undefined => {
  const account = roleOf(e)?.split(':')[4];
  return account !== undefined && account !== '' && account !== accountOf(e) ? account : undefined;
};

export const rule = defineRule({
  id: 'rds.role-added-to-database',
  title: 'IAM role handed to an RDS database engine outside the approved process',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.2', 'A.8.3'],
  mitre: ['T1098.003', 'T1537'],
  on: { source: 'rds', eventNames: ['AddRoleToDBInstance', 'AddRoleToDBCluster'] },
  match: (e, ctx) => isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => {
    const foreign = foreignAccount(e);
    return [
      `${roleOf(e) ?? 'an unrecorded role'} handed to ${rdsTargetName(e)} for ${featureOf(e)}: whoever can run SQL on the database now acts with the role (S3 reads and writes, Lambda calls)`,
      ...(foreign === undefined ? [] : [`the role belongs to account ${foreign}, not the database's`]),
      ...unapprovedReasons(e, ctx.config.approved),
    ];
  },
  resources: (e) => {
    const role = roleOf(e);
    return [...rdsTargetArns(e), ...(role === undefined ? [] : [role])];
  },
  dedup: { key: (e) => `${accountOf(e)}|${rdsTargetName(e)}|${roleOf(e) ?? ''}|${featureOf(e)}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'AddRoleToDBInstance / AddRoleToDBCluster associated an IAM role with an RDS instance or Aurora cluster outside ' +
    'the approved process. The engine then acts with the role on behalf of SQL sessions: exporting query results to ' +
    'S3 (`aws_s3.query_export_to_s3`, `SELECT … INTO OUTFILE S3`), loading from S3, invoking Lambda functions.',
  runbook: [
    'See what the database can do now: `aws rds describe-db-instances --db-instance-identifier <id> --query "DBInstances[].AssociatedRoles"` (or `describe-db-clusters`), and read the role’s policies (`aws iam list-attached-role-policies`, `list-role-policies`): which buckets and functions it reaches, in which account.',
    'If nobody planned it, remove it: `aws rds remove-role-from-db-instance --db-instance-identifier <id> --role-arn <arn> --feature-name <feature>` (or `remove-role-from-db-cluster`).',
    'Look for data leaving through it while it was attached: S3 data events on the role’s buckets, Lambda invocations by the role, and the engine’s audit log for `query_export_to_s3` / `INTO OUTFILE S3`.',
    'Review the actor’s other calls (iam:PassRole on the role, a role created just before) and restrict rds:AddRoleTo* to the deploy role.',
  ],
  rationale:
    'A role on the database engine is a path out of the database that no snapshot, export task or network rule ' +
    'shows: a SQL user with the right grants writes whole tables to a bucket the role can reach (T1537), and the role ' +
    'stays attached (T1098.003). Roles are set up once, by IaC, when the integration is built; a later hand-made ' +
    'association is rare. The role’s permissions are not in the record, so the call is judged by the approved ' +
    'process, and a role from another account is named in the finding. Medium, high on high-criticality databases.',
  falsePositives: [
    'A DBA enabling S3 import for a one-off data load: use the deploy pipeline, or suppress per database with a dated reason.',
  ],
  cases: () => [
    {
      name: 'an S3 import role added to an instance (Panther)',
      expect: 'match',
      event: fixture('rds/AddRoleToDBInstance-panther'),
    },
    {
      name: 'a Lambda role added to an Aurora cluster (Panther)',
      expect: 'match',
      event: fixture('rds/AddRoleToDBCluster-panther'),
    },
    {
      name: 'an export role from another account, no feature named',
      expect: 'match',
      event: fixture('rds/AddRoleToDBCluster-panther', {
        requestParameters: { roleArn: 'arn:aws:iam::444455556666:role/db-drop', featureName: undefined },
        responseElements: null,
      }),
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture(
        'rds/AddRoleToDBInstance-panther',
        denied('AccessDenied', 'rds:AddRoleToDBInstance', 'arn:aws:rds:us-east-1:111122223333:db:production-postgres'),
      ),
    },
    {
      name: 'the role was already associated (an error, nothing changed)',
      expect: 'no-match',
      event: fixture('rds/AddRoleToDBInstance-panther', {
        errorCode: 'DBInstanceRoleAlreadyExists',
        errorMessage:
          'Role ARN arn:aws:iam::111122223333:role/RDS-S3-Import-Role is already associated with DB Instance.',
        responseElements: null,
      }),
    },
    {
      name: 'the approved deploy role wires the integration through CloudFormation',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('rds/AddRoleToDBCluster-panther', BY_APPROVED_DEPLOY),
    },
  ],
};
