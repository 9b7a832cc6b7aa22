import { describe, expect, it } from 'vitest';
import type { CloudTrailRecord } from '../../../rules/core/cloudtrail.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../../rules/core/config.ts';
import {
  databaseDedupKey,
  databaseDeletion,
  describeDatabaseDeletion,
  explainDatabaseDeletion,
  isDeletedWithoutBackup,
  isUnapprovedDatabaseCall,
  rdsTargetArns,
  rdsTargetName,
} from '../../../rules/core/rds.ts';

/**
 * The RDS preamble the database rules share (rules/core/rds.ts): what a call acted on, what survives a deletion,
 * and when the call is outside the approved process.
 */
const rds = (
  requestParameters: CloudTrailRecord['requestParameters'],
  responseElements: CloudTrailRecord['responseElements'] = null,
  awsRegion = 'eu-west-1',
): CloudTrailRecord => ({
  eventTime: '2026-11-02T10:00:00Z',
  eventID: 'e1',
  eventSource: 'rds.amazonaws.com',
  eventName: 'DeleteDBInstance',
  awsRegion,
  recipientAccountId: '111122223333',
  userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice' },
  requestParameters,
  responseElements,
});
const ARN = (resource: string) => `arn:aws:rds:eu-west-1:111122223333:${resource}`;

describe('rdsTargetArns', () => {
  it.each<[string, string]>([
    ['dBInstanceArn', ARN('db:a')],
    ['dBClusterArn', ARN('cluster:a')],
    ['dBSnapshotArn', ARN('snapshot:a')],
    ['dBClusterSnapshotArn', ARN('cluster-snapshot:a')],
    ['dBInstanceAutomatedBackupsArn', ARN('auto-backup:a')],
    ['dBClusterAutomatedBackupsArn', ARN('cluster-auto-backup:a')],
  ])('takes %s from the response over any request identifier', (field, arn) => {
    expect(rdsTargetArns(rds({ dBInstanceIdentifier: 'other' }, { [field]: arn }))).toEqual([arn]);
  });

  it('takes the first ARN of the response in a fixed order', () => {
    expect(rdsTargetArns(rds(null, { dBClusterArn: ARN('cluster:c'), dBInstanceArn: ARN('db:i') }))).toEqual([
      ARN('db:i'),
    ]);
    expect(
      rdsTargetArns(rds(null, { dBClusterSnapshotArn: ARN('cluster-snapshot:s'), dBSnapshotArn: ARN('snapshot:s') })),
    ).toEqual([ARN('snapshot:s')]);
    expect(
      rdsTargetArns(
        rds(null, { dBClusterAutomatedBackupsArn: ARN('cab:x'), dBInstanceAutomatedBackupsArn: ARN('ab:x') }),
      ),
    ).toEqual([ARN('ab:x')]);
  });

  it.each<[string, Record<string, string>, string]>([
    ['an instance', { dBInstanceIdentifier: 'orders', dBClusterIdentifier: 'c' }, ARN('db:orders')],
    ['a cluster', { dBClusterIdentifier: 'orders', dBSnapshotIdentifier: 's' }, ARN('cluster:orders')],
    ['a snapshot', { dBSnapshotIdentifier: 'nightly', dBClusterSnapshotIdentifier: 'c' }, ARN('snapshot:nightly')],
    ['a cluster snapshot', { dBClusterSnapshotIdentifier: 'nightly' }, ARN('cluster-snapshot:nightly')],
    ['an instance named by ARN', { dBInstanceIdentifier: ARN('db:x') }, ARN('db:x')],
    ['a cluster named by ARN', { dBClusterIdentifier: ARN('cluster:x') }, ARN('cluster:x')],
    ['a snapshot named by ARN', { dBSnapshotIdentifier: ARN('snapshot:x') }, ARN('snapshot:x')],
    [
      'a cluster snapshot named by ARN',
      { dBClusterSnapshotIdentifier: ARN('cluster-snapshot:x') },
      ARN('cluster-snapshot:x'),
    ],
  ])('builds the ARN of %s from the request', (_name, req, arn) => {
    expect(rdsTargetArns(rds(req))).toEqual([arn]);
  });

  it('builds in the partition of the region, and names nothing when the call names nothing', () => {
    expect(rdsTargetArns(rds({ dBInstanceIdentifier: 'x' }, null, 'cn-north-1'))).toEqual([
      'arn:aws-cn:rds:cn-north-1:111122223333:db:x',
    ]);
    expect(rdsTargetArns(rds({ other: 'x' }))).toEqual([]);
    expect(rdsTargetArns(rds(null))).toEqual([]);
  });
});

describe('rdsTargetName', () => {
  it('is the instance, else the cluster, else the first ARN, else unknown', () => {
    expect(rdsTargetName(rds({ dBInstanceIdentifier: 'i', dBClusterIdentifier: 'c' }))).toBe('i');
    expect(rdsTargetName(rds({ dBClusterIdentifier: 'c', dBSnapshotIdentifier: 's' }))).toBe('c');
    expect(rdsTargetName(rds({ dBSnapshotIdentifier: 's' }))).toBe(ARN('snapshot:s'));
    expect(rdsTargetName(rds(null))).toBe('unknown-database');
  });

  it('keys one finding per account, region and database', () => {
    expect(databaseDedupKey(rds({ dBInstanceIdentifier: 'orders' }))).toBe('111122223333|eu-west-1|orders');
  });
});

describe('databaseDeletion', () => {
  it.each<[string, CloudTrailRecord['requestParameters'], ReturnType<typeof databaseDeletion>]>([
    ['a default delete', { dBInstanceIdentifier: 'x' }, { finalSnapshot: 'taken', automatedBackups: 'default' }],
    [
      'a delete naming its final snapshot',
      { dBInstanceIdentifier: 'x', finalDBSnapshotIdentifier: 'last' },
      { finalSnapshot: 'taken', automatedBackups: 'default', finalSnapshotId: 'last' },
    ],
    [
      'a delete skipping the final snapshot and deleting backups',
      { skipFinalSnapshot: true, deleteAutomatedBackups: 'true' },
      { finalSnapshot: 'skipped', automatedBackups: 'deleted' },
    ],
    [
      'a delete keeping backups, with skipFinalSnapshot false',
      { skipFinalSnapshot: false, deleteAutomatedBackups: false },
      { finalSnapshot: 'taken', automatedBackups: 'kept' },
    ],
    ['a delete with no parameters recorded', null, { finalSnapshot: 'unknown', automatedBackups: 'default' }],
  ])('reads %s', (_name, req, expected) => {
    expect(databaseDeletion(rds(req))).toStrictEqual(expected);
  });

  it.each<[ReturnType<typeof databaseDeletion>, boolean]>([
    [{ finalSnapshot: 'taken', automatedBackups: 'default' }, false],
    [{ finalSnapshot: 'taken', automatedBackups: 'kept' }, false],
    [{ finalSnapshot: 'taken', automatedBackups: 'deleted' }, true],
    [{ finalSnapshot: 'skipped', automatedBackups: 'kept' }, true],
    [{ finalSnapshot: 'unknown', automatedBackups: 'default' }, true],
  ])('%j leaves nothing to restore: %s', (d, expected) => {
    expect(isDeletedWithoutBackup(d)).toBe(expected);
  });

  it('describes what survives', () => {
    expect(
      describeDatabaseDeletion({ finalSnapshot: 'taken', automatedBackups: 'default', finalSnapshotId: 'last' }),
    ).toEqual([
      'final snapshot taken (last)',
      'automated backups deleted with it by default (deleteAutomatedBackups not set)',
    ]);
    expect(describeDatabaseDeletion({ finalSnapshot: 'taken', automatedBackups: 'kept' })).toEqual([
      'final snapshot taken',
      'automated backups retained (deleteAutomatedBackups: false)',
    ]);
    expect(describeDatabaseDeletion({ finalSnapshot: 'skipped', automatedBackups: 'deleted' })).toEqual([
      'final snapshot skipped (skipFinalSnapshot: true)',
      'automated backups deleted with it (deleteAutomatedBackups: true)',
    ]);
    expect(describeDatabaseDeletion({ finalSnapshot: 'unknown', automatedBackups: 'default' })[0]).toBe(
      'request parameters not recorded: treated as deleted without a final snapshot',
    );
  });
});

describe('isUnapprovedDatabaseCall', () => {
  const own = {
    ...DEFAULT_DETECTION_CONFIG,
    selfProtection: { resources: ['trailwarden-*', `${ARN('snapshot:tw-*')}`], deployRoles: [] },
  };

  it("is a deletion outside the approved process, unless the database is one of Trailwarden's own", () => {
    expect(isUnapprovedDatabaseCall(rds({ dBInstanceIdentifier: 'orders' }), own)).toBe(true);
    expect(isUnapprovedDatabaseCall(rds({ dBInstanceIdentifier: 'trailwarden-db' }), own)).toBe(false);
    expect(isUnapprovedDatabaseCall(rds({ dBSnapshotIdentifier: 'tw-nightly' }), own)).toBe(false);
  });

  it('explains what survives and why the call was not approved', () => {
    const lines = explainDatabaseDeletion(
      rds({ dBInstanceIdentifier: 'orders', skipFinalSnapshot: true }),
      DEFAULT_DETECTION_CONFIG,
    );
    expect(lines.slice(0, 2)).toEqual([
      'final snapshot skipped (skipFinalSnapshot: true)',
      'automated backups deleted with it by default (deleteAutomatedBackups not set)',
    ]);
    expect(lines[2]).toBe('arn:aws:iam::111122223333:user/alice is not an approved automation role');
  });
});
