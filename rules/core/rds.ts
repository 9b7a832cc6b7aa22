import { resourceArn } from './arn.ts';
import type { CloudTrailRecord } from './cloudtrail.ts';
import { accountOf, stringParam } from './cloudtrail.ts';
import type { DetectionConfig } from './config.ts';
import { deletionReasons, flagParam, isUnapprovedDeletion } from './destruction.ts';

/**
 * What an RDS call acted on, as CloudTrail logs it (camel-cased `dBInstanceIdentifier`, `dBClusterIdentifier`,
 * `dBSnapshotIdentifier`…). The ARN comes from the response when RDS returned one, else it is built in the
 * event's partition, region and account.
 */
export const rdsTargetArns = (e: CloudTrailRecord): string[] => {
  const req = e.requestParameters;
  const res = e.responseElements;
  const returned =
    stringParam(res, 'dBInstanceArn') ??
    stringParam(res, 'dBClusterArn') ??
    stringParam(res, 'dBSnapshotArn') ??
    stringParam(res, 'dBClusterSnapshotArn') ??
    stringParam(res, 'dBInstanceAutomatedBackupsArn') ??
    stringParam(res, 'dBClusterAutomatedBackupsArn');
  if (returned !== undefined) return [returned];
  const instance = stringParam(req, 'dBInstanceIdentifier');
  if (instance !== undefined) return [instance.startsWith('arn:') ? instance : resourceArn(e, 'rds', `db:${instance}`)];
  const cluster = stringParam(req, 'dBClusterIdentifier');
  if (cluster !== undefined)
    return [cluster.startsWith('arn:') ? cluster : resourceArn(e, 'rds', `cluster:${cluster}`)];
  const snapshot = stringParam(req, 'dBSnapshotIdentifier');
  if (snapshot !== undefined)
    return [snapshot.startsWith('arn:') ? snapshot : resourceArn(e, 'rds', `snapshot:${snapshot}`)];
  const clusterSnapshot = stringParam(req, 'dBClusterSnapshotIdentifier');
  if (clusterSnapshot !== undefined) {
    return [
      clusterSnapshot.startsWith('arn:')
        ? clusterSnapshot
        : resourceArn(e, 'rds', `cluster-snapshot:${clusterSnapshot}`),
    ];
  }
  return [];
};

/** The database's name for dedup and findings: the instance or cluster identifier, else its ARN. */
export const rdsTargetName = (e: CloudTrailRecord): string =>
  stringParam(e.requestParameters, 'dBInstanceIdentifier') ??
  stringParam(e.requestParameters, 'dBClusterIdentifier') ??
  rdsTargetArns(e)[0] ??
  'unknown-database';

/**
 * How much of a deleted database survives, read from DeleteDBInstance / DeleteDBCluster. RDS defaults: a final
 * snapshot is taken unless `skipFinalSnapshot` is true; automated backups are deleted unless
 * `deleteAutomatedBackups` is false. Fail safe: a record without request parameters (CloudTrail could not
 * record them) counts as deleted without a final snapshot.
 */
export interface DatabaseDeletion {
  readonly finalSnapshot: 'taken' | 'skipped' | 'unknown';
  /** Explicitly asked for (`deleteAutomatedBackups: true`), kept (`false`), or left to the default. */
  readonly automatedBackups: 'deleted' | 'kept' | 'default';
  readonly finalSnapshotId?: string;
}

export const databaseDeletion = (e: CloudTrailRecord): DatabaseDeletion => {
  const req = e.requestParameters;
  const skip = flagParam(req, 'skipFinalSnapshot');
  const remove = flagParam(req, 'deleteAutomatedBackups');
  const finalSnapshotId = stringParam(req, 'finalDBSnapshotIdentifier');
  // A successful delete without `skipFinalSnapshot` had to name `finalDBSnapshotIdentifier`: a snapshot was taken.
  const finalSnapshot = req === null || req === undefined ? 'unknown' : skip === true ? 'skipped' : 'taken';
  const automatedBackups = remove === true ? 'deleted' : remove === false ? 'kept' : 'default';
  return finalSnapshotId === undefined
    ? { finalSnapshot, automatedBackups }
    : { finalSnapshot, automatedBackups, finalSnapshotId };
};

/**
 * Deleted with nothing to restore from: the final snapshot skipped (or not known to be taken), or the automated
 * backups explicitly deleted with the database.
 */
export const isDeletedWithoutBackup = (d: DatabaseDeletion): boolean =>
  d.finalSnapshot !== 'taken' || d.automatedBackups === 'deleted';

/** For the finding: what survives the deletion. */
export const describeDatabaseDeletion = (d: DatabaseDeletion): string[] => [
  d.finalSnapshot === 'taken'
    ? `final snapshot taken${d.finalSnapshotId ? ` (${d.finalSnapshotId})` : ''}`
    : d.finalSnapshot === 'skipped'
      ? 'final snapshot skipped (skipFinalSnapshot: true)'
      : 'request parameters not recorded: treated as deleted without a final snapshot',
  d.automatedBackups === 'deleted'
    ? 'automated backups deleted with it (deleteAutomatedBackups: true)'
    : d.automatedBackups === 'kept'
      ? 'automated backups retained (deleteAutomatedBackups: false)'
      : 'automated backups deleted with it by default (deleteAutomatedBackups not set)',
];

/** A database call outside the approved process: its name and ARNs are what approvals and self-protection match. */
export const isUnapprovedDatabaseCall = (e: CloudTrailRecord, config: DetectionConfig): boolean =>
  isUnapprovedDeletion(e, config, [rdsTargetName(e), ...rdsTargetArns(e)]);

/** For a database deletion's finding: what survives it, and why the call was not approved. */
export const explainDatabaseDeletion = (e: CloudTrailRecord, config: DetectionConfig): string[] => [
  ...describeDatabaseDeletion(databaseDeletion(e)),
  ...deletionReasons(e, config),
];

/** One finding per database (account, region, identifier). */
export const databaseDedupKey = (e: CloudTrailRecord): string => `${accountOf(e)}|${e.awsRegion}|${rdsTargetName(e)}`;
