import { accountRootArn, partitionOf } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isSuccess } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { findParam } from '../core/policy-call.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { denied } from '../fixtures/overrides.ts';

/** The guard each call takes down. */
const GUARD: Readonly<Record<string, string>> = {
  DisableSnapshotBlockPublicAccess: 'EBS snapshot block public access',
  DisableImageBlockPublicAccess: 'AMI block public access',
  EnableSnapshotBlockPublicAccess: 'EBS snapshot block public access',
};

/**
 * The state EnableSnapshotBlockPublicAccess asks for (`State` inside the request wrapper EC2 logs for its newer
 * APIs; the response's `state` when the request is not recorded). `unblocked` takes the guard down like the
 * Disable call; a state that cannot be read counts as unblocked.
 */
const requestedState = (e: CloudTrailRecord): string | undefined => {
  const state = findParam(e.requestParameters, ['State'], 3) ?? findParam(e.responseElements, ['state'], 3);
  return typeof state === 'string' ? state.toLowerCase() : undefined;
};

const takesGuardDown = (e: CloudTrailRecord): boolean =>
  e.eventName.startsWith('Disable') || (requestedState(e) ?? 'unblocked') === 'unblocked';

export const rule = defineRule({
  id: 'ec2.block-public-access-disabled',
  title: 'EC2 block public access for snapshots or AMIs turned off',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.5.23', 'A.8.3'],
  mitre: ['T1562', 'T1537'],
  on: { source: 'ec2', eventNames: Object.keys(GUARD) },
  match: (e) => isSuccess(e) && takesGuardDown(e),
  explain: (e) => [
    `${GUARD[e.eventName] ?? e.eventName} turned off in ${e.awsRegion}: snapshots or images of this region can be made public again`,
  ],
  resources: (e) => [accountRootArn(partitionOf(e.awsRegion), accountOf(e))],
  dedup: { key: (e) => `${accountOf(e)}|${e.awsRegion}|${GUARD[e.eventName] ?? e.eventName}` },
});

const FIXTURE = 'ec2/DisableSnapshotBlockPublicAccess';

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'The region-wide guard that stops EBS snapshots or AMIs from being shared publicly was turned off ' +
    '(DisableSnapshotBlockPublicAccess, DisableImageBlockPublicAccess, or EnableSnapshotBlockPublicAccess with ' +
    'state `unblocked`). It is the EC2 counterpart of S3 Block Public Access: removing it is the step before a ' +
    'snapshot or image is made public (ModifySnapshotAttribute / ModifyImageAttribute with group `all`).',
  runbook: [
    'Read the state: `aws ec2 get-snapshot-block-public-access-state --region <region>` and `aws ec2 get-image-block-public-access-state --region <region>`.',
    'Turn the guard back on unless a change record explains it: `aws ec2 enable-snapshot-block-public-access --state block-all-sharing` and `aws ec2 enable-image-block-public-access --image-block-public-access-state block-new-sharing`.',
    'Look for public shares made since (`ec2.snapshot-shared`, `ec2.image-shared` findings; `aws ec2 describe-snapshots --owner-ids self --restorable-by-user-ids all`) and the actor’s other calls.',
  ],
  rationale:
    'Public snapshots and AMIs are a recurring source of leaked data and secrets; the block is set once per region ' +
    'and never needs to come down for normal work (sharing with named accounts does not need it off). So any ' +
    'success is a finding, approved or not, like `s3.public-access-block-removed`: high, critical on ' +
    'high-criticality accounts. Enabling a blocking state is not; an Enable call whose state cannot be read fails ' +
    'closed. No published CloudTrail example of these calls: the shape follows EC2’s request-wrapper form of its ' +
    'newer APIs (as DisableEbsEncryptionByDefault is logged).',
  falsePositives: [
    'A region where public AMIs are published on purpose (a vendor account): suppress by account and region.',
  ],
  cases: () => [
    { name: 'snapshot block public access disabled', expect: 'match', event: fixture(FIXTURE) },
    {
      name: 'AMI block public access disabled',
      expect: 'match',
      event: fixture(FIXTURE, {
        eventName: 'DisableImageBlockPublicAccess',
        requestParameters: {
          DisableSnapshotBlockPublicAccessRequest: undefined,
          DisableImageBlockPublicAccessRequest: '',
        },
      }),
    },
    {
      name: 'Enable with state unblocked',
      expect: 'match',
      event: fixture(FIXTURE, {
        eventName: 'EnableSnapshotBlockPublicAccess',
        requestParameters: {
          DisableSnapshotBlockPublicAccessRequest: undefined,
          EnableSnapshotBlockPublicAccessRequest: { State: 'unblocked' },
        },
        responseElements: null,
      }),
    },
    {
      name: 'Enable with a blocking state',
      expect: 'no-match',
      event: fixture(FIXTURE, {
        eventName: 'EnableSnapshotBlockPublicAccess',
        requestParameters: {
          DisableSnapshotBlockPublicAccessRequest: undefined,
          EnableSnapshotBlockPublicAccessRequest: { State: 'block-all-sharing' },
        },
        responseElements: null,
      }),
    },
    {
      name: 'Enable recorded without its request: fails closed',
      expect: 'match',
      event: fixture(FIXTURE, {
        eventName: 'EnableSnapshotBlockPublicAccess',
        requestParameters: { reason: 'requestParameters too large', omitted: true },
        responseElements: null,
      }),
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture(FIXTURE, denied('Client.UnauthorizedOperation', 'ec2:DisableSnapshotBlockPublicAccess')),
    },
  ],
};
