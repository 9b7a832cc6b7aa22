import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { byAccountAndActor, deletionBurst, isCountedDeletion } from '../core/destruction.ts';
import { ec2Arns } from '../core/network.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { byAwsService, denied } from '../fixtures/overrides.ts';

/** The volume, snapshot or image deleted. Snapshots and images are regional resources with no account in ARNs. */
const deletedArns = (e: CloudTrailRecord): string[] => {
  const req = e.requestParameters;
  return [
    ...ec2Arns(e, 'volume', stringParam(req, 'volumeId')),
    ...ec2Arns(e, 'snapshot', stringParam(req, 'snapshotId')),
    ...ec2Arns(e, 'image', stringParam(req, 'imageId')),
  ];
};

export const rule = defineRule({
  id: 'ec2.storage-deleted-burst',
  title: 'Burst of EBS volume, snapshot or AMI deletions by one identity',
  severity: 'high',
  escalation: { high: 'critical', low: 'medium' },
  controls: ['A.8.10', 'A.8.13'],
  mitre: ['T1485', 'T1490'],
  on: { source: 'ec2', eventNames: ['DeleteVolume', 'DeleteSnapshot', 'DeregisterImage'] },
  match: (e) => isCountedDeletion(e),
  threshold: deletionBurst(),
  // One burst is one finding: further deletions by the same identity fold into it.
  dedup: { key: byAccountAndActor },
  resources: deletedArns,
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'One identity deleted several EBS volumes, EBS snapshots or AMIs within minutes: the shape of a destructive ' +
    'sweep, or of ransomware removing the backups before it strikes.',
  runbook: [
    'Stop the sweep: revoke the identity’s sessions (or deactivate its access key) now, before reading anything else.',
    'List what it deleted: `aws cloudtrail lookup-events --lookup-attributes AttributeKey=Username,AttributeValue=<name> --start-time <first-seen>` and filter DeleteVolume, DeleteSnapshot, DeregisterImage. Snapshots in the Recycle Bin can be restored (`aws rbin list-rules`, `aws ec2 list-snapshots-in-recycle-bin`, `aws ec2 restore-snapshot-from-recycle-bin --snapshot-id <id>`).',
    'Restore volumes from the newest surviving snapshots or AWS Backup recovery points.',
    'Prevent it: a Recycle Bin retention rule for EBS snapshots and AMIs, and an SCP denying these deletions outside the deploy and backup roles.',
  ],
  rationale:
    'One deletion is housekeeping; several by one identity within minutes is a sweep (T1485) or backup removal before ransom (T1490). Counted per account and acting identity (a role session on its own): 3 in 10 minutes on high-criticality assets, 5 in 10 minutes on medium, 10 in 15 minutes on low. ' +
    'Volumes, snapshots and AMIs count together, since an attacker deletes all three. Approved automation counts too (a stolen pipeline role sweeps the same way); scheduled pruning by Data Lifecycle Manager or AWS Backup runs as AWS and is excluded. High, critical on high-criticality assets; one finding per burst.',
  falsePositives: [
    'Clean-up scripts pruning old snapshots or AMIs under a person’s or a Lambda’s own role (move them to Data Lifecycle Manager, or suppress that role with a dated reason).',
    'Stack teardowns deleting many volumes at once.',
  ],
  cases: () => [
    { name: 'alice deletes a volume', expect: 'match', event: fixture('ec2/DeleteVolume') },
    { name: 'alice deletes a snapshot', expect: 'match', event: fixture('ec2/DeleteSnapshot') },
    { name: 'alice deregisters an AMI', expect: 'match', event: fixture('ec2/DeregisterImage') },
    {
      name: 'denied',
      expect: 'no-match',
      event: fixture('ec2/DeleteSnapshot', denied('Client.UnauthorizedOperation', 'ec2:DeleteSnapshot')),
    },
    {
      name: 'snapshot in use by an AMI: EC2 refuses',
      expect: 'no-match',
      event: fixture('ec2/DeleteSnapshot', {
        errorCode: 'Client.InvalidSnapshot.InUse',
        errorMessage: 'The snapshot snap-0f1e2d3c4b5a69788 is currently in use by ami-0c1d2e3f4a5b6c7d8',
        responseElements: null,
      }),
    },
    {
      name: 'Data Lifecycle Manager pruning on schedule',
      expect: 'no-match',
      event: fixture('ec2/DeleteSnapshot', byAwsService('dlm')),
    },
    {
      name: 'detaching a volume is not deleting it',
      expect: 'no-match',
      event: fixture('ec2/DeleteVolume', { eventName: 'DetachVolume' }),
    },
  ],
};
