import { partitionOf } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isSuccess, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { denied } from '../fixtures/overrides.ts';

/** AWS's own quarantine policies (AWSCompromisedKeyQuarantine, V2, V3, later versions), in any partition. */
const QUARANTINE = /^arn:aws[a-z-]*:iam::aws:policy\/AWSCompromisedKeyQuarantine(V\d+)?$/;

/**
 * AWS's older quarantine: an inline policy it writes on the user (PutUserPolicy, often signed by the user's own key
 * with an `aws-internal` agent). Inline policies have no ARN, so the name is all there is to go by.
 */
const EXPOSED_INLINE = 'AWSExposedCredentialPolicy_DO_NOT_REMOVE';

const isQuarantinePolicy = (e: CloudTrailRecord): boolean =>
  e.eventName === 'PutUserPolicy' || e.eventName === 'DeleteUserPolicy'
    ? stringParam(e.requestParameters, 'policyName') === EXPOSED_INLINE
    : QUARANTINE.test(stringParam(e.requestParameters, 'policyArn') ?? '');

const isLifted = (e: CloudTrailRecord): boolean =>
  e.eventName === 'DetachUserPolicy' || e.eventName === 'DeleteUserPolicy';

const userOf = (e: CloudTrailRecord): string => stringParam(e.requestParameters, 'userName') ?? 'unknown-user';

export const rule = defineRule({
  id: 'iam.compromised-key-quarantine',
  title: "AWS quarantined a user's exposed access key, or the quarantine was lifted",
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.5', 'A.8.16'],
  mitre: ['T1552', 'T1078.004'],
  on: { source: 'iam', eventNames: ['AttachUserPolicy', 'DetachUserPolicy', 'PutUserPolicy', 'DeleteUserPolicy'] },
  // Whoever attaches it (AWS acts for itself here): the attachment is AWS's own finding, not a change to judge.
  match: (e) => isSuccess(e) && isQuarantinePolicy(e),
  explain: (e) => [
    !isLifted(e)
      ? `AWS found an access key of ${userOf(e)} exposed (public repository, paste site) and attached its quarantine policy`
      : `the AWS quarantine policy was detached from ${userOf(e)}: the exposed key works fully again unless it was deleted`,
  ],
  dedup: { key: (e) => `${accountOf(e)}|${userOf(e)}|${e.eventName}` },
  resources: (e) => [`arn:${partitionOf(e.awsRegion)}:iam::${accountOf(e)}:user/${userOf(e)}`],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'The AWS managed policy AWSCompromisedKeyQuarantine (V2, V3) was attached to an IAM user, or the inline policy ' +
    'AWSExposedCredentialPolicy_DO_NOT_REMOVE was written on it (the older form): AWS does this when it finds one ' +
    "of the user's access keys in public (a repository, a paste site) and opens a support case. Or the policy was " +
    'detached or deleted, which gives an exposed key its permissions back.',
  runbook: [
    "Read the AWS support case and list the user's keys: `aws iam list-access-keys --user-name <user>`; deactivate " +
      'and delete the exposed one (`aws iam update-access-key --status Inactive`, then `delete-access-key`).',
    'Review everything the key did since it leaked (CloudTrail by `userIdentity.accessKeyId`): the quarantine denies ' +
      'only some actions, and attackers act within minutes of a leak.',
    'A detachment by anyone but the responder who deleted the key is an attacker keeping the key: treat it as an ' +
      'incident, re-attach the policy and delete the key.',
  ],
  rationale:
    "AWS's own detection of a leaked key is the strongest signal an account receives; it arrives as an ordinary " +
    'AttachUserPolicy (Elastic credential_access_iam_compromisedkeyquarantine_policy_attached_to_user), or as ' +
    'the older inline PutUserPolicy AWSExposedCredentialPolicy_DO_NOT_REMOVE (Panther AWS.IAM.AccessKeyCompromised), which ' +
    '`iam.policy-changed` treats like any other attachment. High, critical on high-criticality accounts.',
  falsePositives: ['Detaching it after the key was deleted and the case closed: confirm the key is gone.'],
  cases: () => [
    { name: 'AWS quarantines a leaked key', expect: 'match', event: fixture('iam/AttachUserPolicy-quarantine') },
    {
      name: 'the quarantine is lifted',
      expect: 'match',
      event: fixture('iam/AttachUserPolicy-quarantine', { eventName: 'DetachUserPolicy' }),
    },
    {
      name: 'the first quarantine policy version, in GovCloud',
      expect: 'match',
      event: fixture('iam/AttachUserPolicy-quarantine', {
        awsRegion: 'us-gov-west-1',
        requestParameters: { policyArn: 'arn:aws-us-gov:iam::aws:policy/AWSCompromisedKeyQuarantine' },
      }),
    },
    {
      name: "AWS's inline quarantine written on a user (Panther's test record)",
      expect: 'match',
      event: fixture('iam/PutUserPolicy-panther-exposed-credential'),
    },
    {
      name: 'the inline quarantine deleted',
      expect: 'match',
      event: fixture('iam/PutUserPolicy-panther-exposed-credential', {
        eventName: 'DeleteUserPolicy',
        requestParameters: { userName: 'compromised_user', policyName: 'AWSExposedCredentialPolicy_DO_NOT_REMOVE' },
      }),
    },
    { name: 'another AWS managed policy', expect: 'no-match', event: fixture('iam/AttachUserPolicy-admin') },
    { name: 'another inline user policy', expect: 'no-match', event: fixture('iam/PutUserPolicy-s3-read') },
    {
      name: 'an inline policy named like a managed quarantine policy',
      expect: 'no-match',
      event: fixture('iam/PutUserPolicy-s3-read', {
        requestParameters: { policyName: 'AWSCompromisedKeyQuarantineV3' },
      }),
    },
    {
      name: 'a customer policy named like it',
      expect: 'no-match',
      event: fixture('iam/AttachUserPolicy-quarantine', {
        requestParameters: { policyArn: 'arn:aws:iam::111122223333:policy/AWSCompromisedKeyQuarantineV3' },
      }),
    },
    {
      name: 'detaching it refused',
      expect: 'no-match',
      event: fixture(
        'iam/AttachUserPolicy-quarantine',
        denied('AccessDenied', 'iam:DetachUserPolicy', 'arn:aws:iam::111122223333:user/ci-deployer'),
      ),
    },
  ],
};
