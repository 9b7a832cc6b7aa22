import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, actorArn, isServiceInvoked, principalArn } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { DENIED_ERROR_CODES } from '../core/destruction.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

/**
 * Per account and per acting identity as CloudTrail names it: the user, or the role *session* (so the many
 * engineers sharing one read-only permission set are not added together, while one stolen session is).
 */
const principalGroup = (e: CloudTrailRecord): string => `${accountOf(e)}|${actorArn(e)}`;

export const rule = defineRule({
  id: 'iam.access-denied-burst',
  title: 'Burst of access-denied errors from one principal',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.2'],
  mitre: ['T1087', 'T1580'],
  on: { source: '*', eventNames: '*', where: { errorCode: DENIED_ERROR_CODES } },
  match: (e) => !isServiceInvoked(e),
  threshold: { count: 20, windowSeconds: 600, groupBy: principalGroup },
  // One burst is one finding: further denials by the same identity fold into it instead of paging again.
  dedup: { key: principalGroup },
  // The user or role behind the session, so criticality patterns written for roles (`…:role/x`) apply.
  resources: (e) => [principalArn(e)],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'One identity got at least 20 access-denied errors within 10 minutes, across any services: the pattern of ' +
    'someone enumerating what stolen credentials can do, or of automation probing beyond its permissions.',
  runbook: [
    'List what was denied: `aws cloudtrail lookup-events --lookup-attributes AttributeKey=Username,AttributeValue=' +
      '<user-or-session-name> --start-time <first-seen> --end-time <last-seen>` in each region; many different ' +
      'services and List/Describe/Get calls in a short time is enumeration, one call repeated is a broken job.',
    'Compare sourceIPAddress and userAgent with the identity’s usual ones: an instance role used from outside AWS, ' +
      'or a scanning tool (Pacu, ScoutSuite, enumerate-iam) user agent, means the credentials are stolen.',
    'If stolen: deactivate the access key (`aws iam update-access-key --user-name <user> --access-key-id <key> ' +
      '--status Inactive`) or revoke the role’s sessions (console "Revoke active sessions"), then review every ' +
      'successful call the same credentials made.',
    'If it is your own automation, fix its permissions or its code rather than suppressing the rule.',
  ],
  rationale:
    'Attackers with fresh credentials do not know what they may do and find out by trying (T1087 account ' +
    'discovery, T1580 cloud infrastructure discovery), which leaves a trail of denials across services. Twenty in ' +
    'ten minutes is well above what a person meets while working (a read-only user bumping into a limit now and ' +
    'then) and what retrying SDKs produce for a single failing call in most cases. Medium, because broken ' +
    'automation looks the same; high on high-criticality accounts. Calls AWS makes on its own (service-linked roles, ' +
    'AWS Config recording) are excluded, since they cannot be stolen and often hit denials by design.',
  falsePositives: [
    'A deployment or job retrying a call it lacks permission for (one eventName repeated from one IP).',
    'Security scanners (Prowler, ScoutSuite, CSPM tools) running with a role missing a few permissions.',
    'Console users opening pages that call APIs their permission set does not allow.',
  ],
  cases: () => [
    { name: 'IAM enumeration denied (AccessDenied)', expect: 'match', event: fixture('iam/ListUsers-denied') },
    {
      name: 'EC2 discovery denied (Client.UnauthorizedOperation)',
      expect: 'match',
      event: fixture('ec2/DescribeInstances-denied'),
    },
    {
      name: 'denial from a JSON API (AccessDeniedException)',
      expect: 'match',
      event: fixture('iam/ListUsers-denied', {
        eventSource: 'secretsmanager.amazonaws.com',
        eventName: 'ListSecrets',
        awsRegion: 'eu-west-1',
        errorCode: 'AccessDeniedException',
      }),
    },
    {
      name: 'the same call succeeding is not selected',
      expect: 'no-match',
      event: fixture('iam/ListUsers-denied', { errorCode: undefined, errorMessage: undefined }),
    },
    {
      name: 'an error that is not a denial (throttling) is not selected',
      expect: 'no-match',
      event: fixture('iam/ListUsers-denied', { errorCode: 'Throttling', errorMessage: 'Rate exceeded' }),
    },
    {
      name: 'AWS Config recording through its service-linked role is excluded',
      expect: 'no-match',
      event: fixture('ec2/DescribeInstances-denied', {
        userIdentity: {
          principalId: 'AROAJ2UCCR6DPCEXAMPLE:AWSConfig-Describe',
          arn: 'arn:aws:sts::111122223333:assumed-role/AWSServiceRoleForConfig/AWSConfig-Describe',
          sessionContext: {
            sessionIssuer: {
              principalId: 'AROAJ2UCCR6DPCEXAMPLE',
              arn: 'arn:aws:iam::111122223333:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig',
              userName: 'AWSServiceRoleForConfig',
            },
            ec2RoleDelivery: undefined,
          },
          invokedBy: 'config.amazonaws.com',
        },
        sourceIPAddress: 'config.amazonaws.com',
        userAgent: 'config.amazonaws.com',
        tlsDetails: undefined,
      }),
    },
  ],
};
