import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { findParam } from '../core/policy-call.ts';
import { policyOpenedRule } from '../core/policy-opened.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

/** The stream or consumer the policy is on (`resourceARN`; casing varies between SDKs, so read it without case). */
const targetArn = (e: CloudTrailRecord): string => {
  const arn = findParam(e.requestParameters, ['resourceARN']);
  return typeof arn === 'string' ? arn : resourceArn(e, 'kinesis', 'stream/unknown');
};

const ORG = { id: 'o-a1b2c3d4e5', accounts: ['111122223333', '444455556666'] };
const STREAM = 'arn:aws:kinesis:eu-west-1:111122223333:stream/clickstream';
const withPolicy = (statement: Record<string, unknown>) => ({
  requestParameters: {
    resourceARN: STREAM,
    policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Resource: STREAM, ...statement }] }),
  },
});

export const rule = policyOpenedRule({
  id: 'kinesis.resource-policy-opened',
  title: 'Kinesis stream policy opened to the public or to an account outside the org',
  escalation: { high: 'critical' },
  mitre: ['T1530', 'T1098'],
  source: 'kinesis',
  eventNames: ['PutResourcePolicy'],
  policyParams: ['policy'],
  target: targetArn,
  ownerFromTarget: true,
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'PutResourcePolicy gave a Kinesis data stream or consumer a policy that lets everyone read or write it, or ' +
    'that grants an account outside the organisation: the records flowing through it can be read or forged from there.',
  runbook: [
    'Read the policy now in force: `aws kinesis get-resource-policy --resource-arn <arn>`.',
    'Unless documented, remove it: `aws kinesis delete-resource-policy --resource-arn <arn>`, or put back the previous one.',
    'Look for GetRecords/SubscribeToShard/PutRecord(s) from other accounts since the change.',
    'If the actor is not the stream owner or the approved deploy role, review their other calls and treat it as an incident.',
  ],
  rationale:
    'One successful call is enough. High by default, critical on high-criticality assets: streams carry events ' +
    'and often personal data. Public and outside-organisation follow the shared resource-policy analysis.',
  falsePositives: ['Documented cross-account consumers while organization.accounts is empty or out of date.'],
  cases: () => [
    { name: 'everyone may read the stream', expect: 'match', event: fixture('kinesis/PutResourcePolicy') },
    {
      name: 'an outside account may write',
      expect: 'match',
      config: { organization: ORG },
      event: fixture(
        'kinesis/PutResourcePolicy',
        withPolicy({
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::999988887777:root' },
          Action: 'kinesis:PutRecords',
        }),
      ),
    },
    {
      name: 'everyone in the organisation may read (aws:PrincipalOrgID)',
      expect: 'no-match',
      config: { organization: ORG },
      event: fixture(
        'kinesis/PutResourcePolicy',
        withPolicy({
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: 'kinesis:GetRecords',
          Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } },
        }),
      ),
    },
    {
      name: 'PutResourcePolicy denied',
      expect: 'no-match',
      event: fixture('kinesis/PutResourcePolicy', {
        errorCode: 'AccessDeniedException',
        errorMessage: `User: arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/bob is not authorized to perform: kinesis:PutResourcePolicy on resource: ${STREAM}`,
      }),
    },
  ],
};
