import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { findParam } from '../core/policy-call.ts';
import { policyOpenedRule } from '../core/policy-opened.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

/** The table or stream the policy is on; `resourceArn` in the request, else the record's resources. */
const targetArn = (e: CloudTrailRecord): string => {
  const arn = findParam(e.requestParameters, ['resourceArn']);
  if (typeof arn === 'string') return arn;
  return e.resources?.find((r) => r.ARN !== undefined)?.ARN ?? resourceArn(e, 'dynamodb', 'table/unknown');
};

const ORG = { id: 'o-a1b2c3d4e5', accounts: ['111122223333', '444455556666'] };
const TABLE = 'arn:aws:dynamodb:eu-west-1:111122223333:table/orders';
const withPolicy = (statement: Record<string, unknown>) => ({
  requestParameters: {
    resourceArn: TABLE,
    policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Resource: TABLE, ...statement }] }),
  },
});

export const rule = policyOpenedRule({
  id: 'dynamodb.resource-policy-opened',
  title: 'DynamoDB resource policy opened to the public or to an account outside the org',
  escalation: { high: 'critical' },
  mitre: ['T1530', 'T1098'],
  source: 'dynamodb',
  eventNames: ['PutResourcePolicy'],
  policyParams: ['policy'],
  target: targetArn,
  ownerFromTarget: true,
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'PutResourcePolicy gave a DynamoDB table or stream a resource-based policy that grants an account outside ' +
    'the organisation (or everyone, without a restricting condition): that account can read, write or delete items ' +
    "with its own credentials, leaving no trace in this account's IAM.",
  runbook: [
    'Read the policy now in force: `aws dynamodb get-resource-policy --resource-arn <arn>`.',
    'Unless documented, remove the grant: `aws dynamodb delete-resource-policy --resource-arn <arn>`, or put back the previous policy.',
    'Enable or check DynamoDB data events in CloudTrail for reads (GetItem, Query, Scan) from other accounts since the change.',
    'If the actor is not the table owner or the approved deploy role, review their other calls and treat it as an incident.',
  ],
  rationale:
    'One successful call is enough. High by default, critical on high-criticality assets: tables hold application ' +
    'records. Public and outside-organisation follow the shared resource-policy analysis.',
  falsePositives: ['Documented cross-account readers while organization.accounts is empty or out of date.'],
  cases: () => [
    {
      name: 'an outside account may scan the table',
      expect: 'match',
      config: { organization: ORG },
      event: fixture('dynamodb/PutResourcePolicy'),
    },
    {
      name: 'everyone may read',
      expect: 'match',
      event: fixture(
        'dynamodb/PutResourcePolicy',
        withPolicy({ Effect: 'Allow', Principal: '*', Action: 'dynamodb:GetItem' }),
      ),
    },
    {
      name: 'a member account may read',
      expect: 'no-match',
      config: { organization: ORG },
      event: fixture(
        'dynamodb/PutResourcePolicy',
        withPolicy({
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::444455556666:role/reporting' },
          Action: 'dynamodb:Query',
        }),
      ),
    },
    {
      name: 'PutResourcePolicy denied',
      expect: 'no-match',
      config: { organization: ORG },
      event: fixture('dynamodb/PutResourcePolicy', {
        errorCode: 'AccessDeniedException',
        errorMessage: `User: arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/bob is not authorized to perform: dynamodb:PutResourcePolicy on resource: ${TABLE}`,
        responseElements: null,
      }),
    },
  ],
};
