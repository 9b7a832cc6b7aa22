import { isServiceInvoked, principalArn } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { byAccountAndActor } from '../core/destruction.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

/**
 * How CloudTrail spells IAM's refusal of a policy naming a principal that does not exist: the SDK's exception
 * name, as Splunk and Elastic read it, and the bare Query API code some records carry.
 */
const MALFORMED: readonly string[] = ['MalformedPolicyDocumentException', 'MalformedPolicyDocument'];

export const rule = defineRule({
  id: 'iam.trust-policy-guessing',
  title: 'Burst of malformed trust policies (role and account enumeration)',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.2', 'A.8.16'],
  mitre: ['T1087.004', 'T1580'],
  on: { source: 'iam', eventNames: ['UpdateAssumeRolePolicy', 'CreateRole'] },
  // The refusal is the signal: IAM validates every principal a trust policy names, so each guess at a role or
  // user name in another account that does not exist comes back MalformedPolicyDocument, and one that exists does
  // not. The request itself is never judged, so a record without parameters counts the same. (A `where` on a named
  // selector is left to the predicate, so the error code is checked here.)
  match: (e) => MALFORMED.includes(e.errorCode ?? '') && !isServiceInvoked(e),
  threshold: {
    count: 10,
    windowSeconds: 600,
    byCriticality: {
      high: { count: 5, windowSeconds: 600 },
      medium: { count: 10, windowSeconds: 600 },
      low: { count: 20, windowSeconds: 900 },
    },
    groupBy: byAccountAndActor,
  },
  dedup: { key: byAccountAndActor },
  resources: (e) => [principalArn(e)],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'One identity had at least 10 trust-policy updates or role creations refused as MalformedPolicyDocument within ' +
    '10 minutes (5 on high-criticality assets): the pattern of tools (Pacu iam__enum_roles, Quiet Riot) that guess ' +
    'role and user names in other accounts by writing them into a trust policy and watching which ones IAM rejects.',
  runbook: [
    'List the refused calls: `aws cloudtrail lookup-events --region us-east-1 --lookup-attributes ' +
      'AttributeKey=EventName,AttributeValue=UpdateAssumeRolePolicy --start-time <first-seen>` and read the principals ' +
      'in their errorMessage (`Invalid principal in policy`): a list of guessed names (admin, OrganizationAccountAccessRole, ' +
      'deploy…) across accounts is enumeration; one policy retried is a typo.',
    'Check the role being rewritten: a role nobody uses, created just before, is the enumerator’s scratch role. ' +
      'Delete it once the evidence is kept.',
    'If the identity is not a developer debugging a policy, treat its credentials as stolen: deactivate the access ' +
      'key or revoke the role’s sessions, and review every successful call it made.',
    'Tell the owners of the accounts named in the guesses: the names that did not fail are now known to the attacker.',
  ],
  rationale:
    'Role enumeration through trust policies (Splunk "AWS IAM Assume Role Policy Brute Force", Elastic "AWS IAM ' +
    'Brute Force of Assume Role Policy", T1087.004) produces no successful call at all, so only its refusals show ' +
    'it, and they are far below iam.access-denied-burst (they are not access denials). A person fixing a policy ' +
    'retries a handful of times; a tool tries dozens of names a minute. 10 in 10 minutes per identity, 5 on ' +
    'high-criticality assets, 20 in 15 minutes on low. Medium (high on high-criticality): it is reconnaissance, ' +
    'not yet a change. Only MalformedPolicyDocument refusals of trust policies are counted; any other error is ' +
    'left to other rules.',
  falsePositives: [
    'An engineer iterating on a trust policy that names a role not created yet (IaC ordering), retried by the tool.',
    'A deployment creating many roles whose trust names principals deleted since (stale configuration).',
  ],
  cases: () => [
    {
      name: 'Pacu-style guess at a role in another account',
      expect: 'match',
      event: fixture('iam/UpdateAssumeRolePolicy-malformed'),
    },
    {
      name: 'CreateRole refused for the same reason',
      expect: 'match',
      event: fixture('iam/UpdateAssumeRolePolicy-malformed', {
        eventName: 'CreateRole',
        requestParameters: { roleName: 'probe-7', assumeRolePolicyDocument: '{}' },
      }),
    },
    {
      name: 'the bare Query API error code',
      expect: 'match',
      event: fixture('iam/UpdateAssumeRolePolicy-malformed', { errorCode: 'MalformedPolicyDocument' }),
    },
    {
      name: 'the trust policy accepted (the guessed role exists)',
      expect: 'no-match',
      event: fixture('iam/UpdateAssumeRolePolicy-malformed', { errorCode: undefined, errorMessage: undefined }),
    },
    {
      name: 'refused for lack of permission (counted by iam.access-denied-burst instead)',
      expect: 'no-match',
      event: fixture('iam/UpdateAssumeRolePolicy-malformed', {
        errorCode: 'AccessDenied',
        errorMessage:
          'User: arn:aws:iam::111122223333:user/alice is not authorized to perform: iam:UpdateAssumeRolePolicy',
      }),
    },
    {
      name: 'a malformed permission policy (PutRolePolicy) is not a trust-policy guess',
      expect: 'no-match',
      event: fixture('iam/UpdateAssumeRolePolicy-malformed', { eventName: 'PutRolePolicy' }),
    },
  ],
};
