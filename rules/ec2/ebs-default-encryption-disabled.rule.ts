import { partitionOf } from '../core/arn.ts';
import { accountOf, isServiceInvoked, isSuccess } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

export const rule = defineRule({
  id: 'ec2.ebs-default-encryption-disabled',
  title: 'EBS encryption by default disabled in a region',
  severity: 'high',
  controls: ['A.8.9'],
  mitre: ['T1562'],
  // Not ModifyEbsDefaultKmsKeyId or ResetEbsDefaultKmsKeyId: they change which key new volumes are encrypted
  // with, and new volumes stay encrypted. Only DisableEbsEncryptionByDefault lets unencrypted volumes appear.
  on: { source: 'ec2', eventNames: ['DisableEbsEncryptionByDefault'] },
  match: (e) => isSuccess(e) && !isServiceInvoked(e),
  // The setting is per account and region, and has no ARN: name the account.
  resources: (e) => [`arn:${partitionOf(e.awsRegion)}:iam::${accountOf(e)}:root`],
  dedup: { key: (e) => `${accountOf(e)}|${e.awsRegion}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'EBS encryption by default was turned off for the account in one region. Existing volumes keep their ' +
    'encryption, but new volumes and snapshot copies there are created unencrypted unless each request asks for ' +
    'encryption.',
  runbook: [
    'Turn it back on: `aws ec2 enable-ebs-encryption-by-default --region <region>`; confirm with `aws ec2 get-ebs-encryption-by-default --region <region>`.',
    'Find volumes created unencrypted since the change: `aws ec2 describe-volumes --region <region> --filters Name=encrypted,Values=false --query "Volumes[?CreateTime>=\'<time of the finding>\'].[VolumeId,CreateTime,Attachments[0].InstanceId]"`. Re-create them encrypted (snapshot, `aws ec2 copy-snapshot --encrypted`, new volume) and delete the unencrypted originals.',
    'Find the change record. If there is none, ask the actor; if the actor did not make it, treat it as an incident and review their other calls.',
    'Prevent it: deny `ec2:DisableEbsEncryptionByDefault` with an SCP, or enforce the setting with the AWS Config rule `ec2-ebs-encryption-by-default`.',
  ],
  rationale:
    'A single call is enough (no threshold): from that moment every new volume in the region is unencrypted by default, which breaks the encryption-at-rest baseline of A.8.9 without touching any single resource anyone reviews. ' +
    'High: no data is exposed by the call itself, but the unencrypted volumes it allows are hard to find afterwards. It matches even for approved automation, since no deploy should need encryption off. ' +
    'Changing the default KMS key (ModifyEbsDefaultKmsKeyId) is not watched here: volumes stay encrypted.',
  falsePositives: [
    'Workloads that need unencrypted volumes for an old AMI or a licence check (rare; the volume can usually be encrypted instead). Suppress with a dated, reasoned suppression.',
  ],
  cases: () => [
    {
      name: 'alice disables EBS encryption by default',
      expect: 'match',
      event: fixture('ec2/DisableEbsEncryptionByDefault'),
    },
    {
      name: 'denied',
      expect: 'no-match',
      event: fixture('ec2/DisableEbsEncryptionByDefault', {
        errorCode: 'Client.UnauthorizedOperation',
        errorMessage:
          'You are not authorized to perform this operation. User: arn:aws:iam::111122223333:user/alice is not authorized to perform: ec2:DisableEbsEncryptionByDefault with an explicit deny in a service control policy',
        responseElements: null,
      }),
    },
    {
      name: 'dry run (the call only checked permissions)',
      expect: 'no-match',
      event: fixture('ec2/DisableEbsEncryptionByDefault', {
        errorCode: 'Client.DryRunOperation',
        errorMessage: 'Request would have succeeded, but DryRun flag is set.',
        responseElements: null,
      }),
    },
    {
      name: 'enabling encryption by default is the safe direction',
      expect: 'no-match',
      event: fixture('ec2/EnableEbsEncryptionByDefault'),
    },
    {
      name: 'changing the default KMS key keeps new volumes encrypted',
      expect: 'no-match',
      event: fixture('ec2/ModifyEbsDefaultKmsKeyId'),
    },
  ],
};
