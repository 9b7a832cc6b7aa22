import { stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { identityArns, isAddress, personKey, personOf } from '../core/signin.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

export const rule = defineRule({
  id: 'signin.concurrent-sessions',
  title: 'Console sign-ins for one user from several IP addresses within 10 minutes',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.5', 'A.8.16'],
  mitre: ['T1078'],
  on: { source: 'signin', eventNames: ['ConsoleLogin'] },
  match: (e) => stringParam(e.responseElements, 'ConsoleLogin') === 'Success' && isAddress(e.sourceIPAddress),
  threshold: {
    count: 2,
    windowSeconds: 600,
    groupBy: personKey,
    distinct: (e) => (e.sourceIPAddress ?? 'unknown').toLowerCase(),
  },
  // One burst is one finding: further sign-ins by the same person fold into it instead of paging again.
  dedup: { key: personKey },
  resources: identityArns,
  explain: (e) => [
    `signed in as ${e.userIdentity.arn ?? personOf(e)} from ${e.sourceIPAddress ?? 'unknown'} (${e.userAgent ?? 'no user agent'})`,
  ],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'The same person (IAM user, root, or federated / IAM Identity Center session by role session name) signed in ' +
    'to the console successfully from 2 or more different source IP addresses within 10 minutes: a stolen password ' +
    'or session used alongside the owner, or shared credentials. AWS-internal source addresses (service names ' +
    'such as `AWS Internal` or `*.amazonaws.com`) are not counted.',
  runbook: [
    'List the sign-ins of the burst with their addresses and browsers: `aws cloudtrail lookup-events --region ' +
      'us-east-1 --lookup-attributes AttributeKey=EventName,AttributeValue=ConsoleLogin --start-time <first-seen> ' +
      "--end-time <last-seen> --query 'Events[].CloudTrailEvent' --output text | jq -r '[.eventTime, " +
      ".userIdentity.arn, .sourceIPAddress, .userAgent] | @tsv'` (repeat in the home Region: regional sign-in " +
      'endpoints record there).',
    'Ask the person which addresses are theirs (office egress, home, VPN, phone tethering). If every address is ' +
      'accounted for, close the finding and note the network in the false-positive list.',
    'If an address is not theirs: for an IAM user reset the password (`aws iam update-login-profile --user-name ' +
      '<user> --password-reset-required`) and check MFA (`aws iam list-mfa-devices --user-name <user>`); for a role ' +
      'session revoke older sessions (`aws iam put-role-policy --role-name <role> --policy-name ' +
      'AWSRevokeOlderSessions --policy-document file://revoke.json` with a `DateLessThan aws:TokenIssueTime` deny) ' +
      'and disable the user at the identity provider / IAM Identity Center until it is resolved.',
    'Review what the unknown session did: `aws cloudtrail lookup-events --lookup-attributes ' +
      'AttributeKey=Username,AttributeValue=<user or session name> --start-time <first-seen>`, and treat any ' +
      'IAM, logging or network change from it as an incident.',
  ],
  rationale:
    'Two distinct addresses is the signal itself, so the count is 2 distinct source IPs, not 2 events: one person ' +
    'signing in again and again from one place never fires. Ten minutes is short enough that ordinary moves ' +
    '(office to home, a laptop waking up on another network) rarely fall inside it, yet covers an attacker using ' +
    'a stolen password or session while the owner is working. High severity because it points at credential theft ' +
    'or sharing (A.8.5) and is exactly the kind of anomaly monitoring must surface (A.8.16); critical on ' +
    'high-criticality identities and accounts, where one stolen console session is full control. Federated ' +
    'sessions are grouped by role session name because the role is shared by many people, the session name is ' +
    'the person.',
  falsePositives: [
    'Connecting or dropping a VPN (or a split-tunnel VPN) while signing in to several accounts.',
    'A browser alternating between IPv4 and IPv6 on a dual-stack network, or IPv6 privacy addresses rotating.',
    'Corporate egress through a pool of NAT or secure-web-gateway addresses that changes between requests.',
    'Switching between office Wi-Fi and phone tethering within a few minutes.',
    'Credentials shared by a team (itself a finding against A.8.5: give each person their own identity).',
  ],
  cases: () => [
    {
      name: 'successful IAM-user sign-in from a public address',
      expect: 'match',
      event: fixture('signin/ConsoleLogin'),
    },
    {
      name: 'successful IAM Identity Center sign-in (counted per role session name)',
      expect: 'match',
      event: fixture('signin/ConsoleLogin-sso'),
    },
    {
      name: 'successful root sign-in on a high-criticality account',
      expect: 'match',
      criticality: 'high',
      event: fixture('signin/ConsoleLogin-root'),
    },
    {
      name: 'sign-in from an IPv6 address is counted',
      expect: 'match',
      event: fixture('signin/ConsoleLogin', { sourceIPAddress: '2001:db8:85a3::8a2e:370:7334' }),
    },
    {
      name: 'failed sign-in is not a session',
      expect: 'no-match',
      event: fixture('signin/ConsoleLogin-failure'),
    },
    {
      name: 'sign-in recorded with source "AWS Internal" is not a location',
      expect: 'no-match',
      event: fixture('signin/ConsoleLogin', { sourceIPAddress: 'AWS Internal' }),
    },
    {
      name: 'sign-in recorded with a service name as source is not a location',
      expect: 'no-match',
      event: fixture('signin/ConsoleLogin-sso', { sourceIPAddress: 'signin.amazonaws.com' }),
    },
    {
      name: 'CheckMfa from another address is a sibling event the rule does not select',
      expect: 'no-match',
      event: fixture('signin/CheckMfa', { sourceIPAddress: '203.0.113.77' }),
    },
    {
      name: 'record with no ConsoleLogin result is not counted',
      expect: 'no-match',
      event: fixture('signin/ConsoleLogin', { responseElements: null }),
    },
  ],
};
