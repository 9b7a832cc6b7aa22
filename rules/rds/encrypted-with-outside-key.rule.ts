import { accountOf } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { byAccountAndActor } from '../core/destruction.ts';
import { describeOutsideKeys, encryptsWithOutsideKey, outsideKeysOf } from '../core/kms-key.ts';
import { rdsTargetArns } from '../core/rds.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { denied } from '../fixtures/overrides.ts';

const ORGANIZATION = { organization: { id: 'o-exampleorgid', accounts: ['111122223333', '444455556666'] } };
const FOREIGN_KEY = 'arn:aws:kms:eu-west-1:999988887777:key/5b2c8e1f-7a3d-4c6b-9e0f-1d2c3b4a5e6f';

export const rule = defineRule({
  id: 'rds.encrypted-with-outside-key',
  title: 'RDS data re-encrypted under a KMS key outside the organisation',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.10', 'A.5.23'],
  mitre: ['T1486', 'T1537'],
  on: {
    source: 'rds',
    eventNames: [
      'CopyDBSnapshot',
      'CopyDBClusterSnapshot',
      'StartExportTask',
      'RestoreDBInstanceFromDBSnapshot',
      'RestoreDBClusterFromSnapshot',
      'RestoreDBInstanceToPointInTime',
      'RestoreDBClusterToPointInTime',
      'CreateDBInstance',
      'CreateDBCluster',
      'CreateDBInstanceReadReplica',
    ],
  },
  match: (e, ctx) => encryptsWithOutsideKey(e, ctx.config.organization),
  explain: (e, ctx) => describeOutsideKeys(outsideKeysOf(e, ctx.config.organization)),
  resources: rdsTargetArns,
  dedup: { key: (e) => `${byAccountAndActor(e)}|${accountOf(e)}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A database snapshot was copied, a database restored or created, or a snapshot exported to S3, under a KMS key ' +
    'in an account outside the organisation. RDS cannot change the key of a running database, so re-encryption ' +
    'always goes through one of these calls; the result is readable only with the key owner’s consent.',
  runbook: [
    'Find what was produced under the outside key: the snapshot copy, restored database or export named in the finding (`aws rds describe-db-snapshots --db-snapshot-identifier <id>` shows `KmsKeyId`).',
    'Keep the originals safe: copy the source snapshots under your own key to a vault in another account before they are deleted, and turn on deletion protection.',
    'An export to S3 under an outside key is also exfiltration (T1537): check the export task’s S3 bucket owner (`aws rds describe-export-tasks`).',
    'Revoke the identity’s sessions and review its other calls.',
  ],
  rationale:
    'Re-encrypting database copies under a key someone else owns is the database form of cloud ransomware (T1486), and an export under such a key moves the data out (T1537). No legitimate deploy needs a key outside the organisation, so one call is enough, even from approved automation. High, critical on high-criticality assets.',
  falsePositives: [
    'Snapshots shared with a partner under the partner’s key by agreement (suppress with a dated reason).',
  ],
  cases: () => [
    {
      name: 'snapshot copied under a foreign key',
      expect: 'match',
      event: fixture('rds/CopyDBSnapshot-outside-key'),
      config: ORGANIZATION,
    },
    {
      name: 'database created under a foreign key',
      expect: 'match',
      event: fixture('rds/CreateDBInstance', { requestParameters: { storageEncrypted: true, kmsKeyId: FOREIGN_KEY } }),
      config: ORGANIZATION,
    },
    {
      name: 'snapshot copied under an own key',
      expect: 'no-match',
      event: fixture('rds/CopyDBSnapshot-outside-key', {
        requestParameters: { kmsKeyId: 'alias/rds-backups' },
        responseElements: { kmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/7f3e9a2b-4c1d-4e8f-9a6b-2d5c8e1f0a3b' },
      }),
      config: ORGANIZATION,
    },
    {
      name: 'denied',
      expect: 'no-match',
      event: fixture('rds/CopyDBSnapshot-outside-key', denied('AccessDenied', 'rds:CopyDBSnapshot')),
      config: ORGANIZATION,
    },
  ],
};
