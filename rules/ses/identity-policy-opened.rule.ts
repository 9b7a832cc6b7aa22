import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { findParam } from '../core/policy-call.ts';
import { policyOpenedRule } from '../core/policy-opened.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

// SES v1 (`identity`) and v2 (`emailIdentity`) both log under ses.amazonaws.com.
const EVENTS = ['PutIdentityPolicy', 'CreateEmailIdentityPolicy', 'UpdateEmailIdentityPolicy'] as const;

const identityArn = (e: CloudTrailRecord): string => {
  const identity = findParam(e.requestParameters, ['identity', 'emailIdentity']);
  return resourceArn(e, 'ses', `identity/${typeof identity === 'string' ? identity : 'unknown'}`);
};

const ORG = { id: 'o-a1b2c3d4e5', accounts: ['111122223333', '444455556666'] };
const IDENTITY = 'arn:aws:ses:eu-west-1:111122223333:identity/example.com';
const withPolicy = (statement: Record<string, unknown>) => ({
  requestParameters: {
    policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Resource: IDENTITY, ...statement }] }),
  },
});

export const rule = policyOpenedRule({
  id: 'ses.identity-policy-opened',
  title: 'SES sending authorisation opened to the public or to an account outside the org',
  mitre: ['T1098', 'T1566'],
  source: 'ses',
  eventNames: EVENTS,
  policyParams: ['policy'],
  target: identityArn,
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A sending-authorisation policy on an SES identity (a verified domain or address) lets everyone, or an ' +
    'account outside the organisation, send mail as that identity: DKIM-signed phishing from your own domain.',
  runbook: [
    'Read the policies now in force: `aws ses get-identity-policies --identity <identity> --policy-names <name>` (v2: `aws sesv2 get-email-identity-policies`).',
    'Unless documented, delete the policy: `aws ses delete-identity-policy --identity <identity> --policy-name <name>`.',
    "Check SES sending statistics and the delegated sender's mail for abuse since the change.",
  ],
  rationale:
    'One successful call is enough; high because mail sent this way passes SPF/DKIM for the domain. Public and ' +
    'outside-organisation follow the shared resource-policy analysis.',
  falsePositives: [
    'Delegated sending for an email service provider or partner account, documented: suppress per identity with a reason.',
  ],
  cases: () => [
    { name: 'anyone may send as the domain', expect: 'match', event: fixture('ses/PutIdentityPolicy') },
    {
      name: 'an outside account may send',
      expect: 'match',
      config: { organization: ORG },
      event: fixture(
        'ses/PutIdentityPolicy',
        withPolicy({ Effect: 'Allow', Principal: { AWS: '999988887777' }, Action: 'ses:SendRawEmail' }),
      ),
    },
    {
      name: 'a member account may send',
      expect: 'no-match',
      config: { organization: ORG },
      event: fixture(
        'ses/PutIdentityPolicy',
        withPolicy({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::444455556666:root' }, Action: 'ses:SendEmail' }),
      ),
    },
    {
      name: 'PutIdentityPolicy denied',
      expect: 'no-match',
      event: fixture('ses/PutIdentityPolicy', {
        errorCode: 'AccessDenied',
        errorMessage:
          'User: arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/bob is not authorized to perform: ses:PutIdentityPolicy',
      }),
    },
  ],
};
