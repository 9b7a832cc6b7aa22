import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { stringParam } from '../core/cloudtrail.ts';
import { policyOpenedRule } from '../core/policy-opened.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { denied } from '../fixtures/overrides.ts';

/** The sink the policy is on. OAM is rest-json with PascalCase members; camelCase is read too (replayed records). */
const sinkOf = (e: CloudTrailRecord): string =>
  stringParam(e.requestParameters, 'SinkIdentifier') ??
  stringParam(e.requestParameters, 'sinkIdentifier') ??
  stringParam(e.responseElements, 'SinkArn') ??
  'arn:aws:oam:unknown:unknown:sink/unknown';

const ORG = { id: 'o-exampleorgid', accounts: ['111122223333', '444455556666'] };
const SINK = 'arn:aws:oam:eu-west-1:111122223333:sink/0d2b4f6a-8c0e-4a2c-9e1a-3c5e7a9c1e3a';
const withPolicy = (statement: Record<string, unknown>) => ({
  requestParameters: {
    SinkIdentifier: SINK,
    Policy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['oam:CreateLink', 'oam:UpdateLink'], Resource: '*', ...statement }],
    }),
  },
});

export const rule = policyOpenedRule({
  id: 'oam.sink-policy-opened',
  title: 'CloudWatch monitoring sink opened to accounts outside the organisation',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.5.23', 'A.8.16'],
  mitre: ['T1098', 'T1562.008'],
  source: 'oam',
  eventNames: ['PutSinkPolicy'],
  policyParams: ['Policy'],
  target: sinkOf,
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'The policy of a CloudWatch cross-account observability sink (the monitoring account’s inbox) now lets anyone, ' +
    'or an account outside the organisation, link to it: outsiders can then feed metrics, logs and traces into the ' +
    'dashboards and alarms the organisation monitors itself with.',
  runbook: [
    'Read the policy now in force: `aws oam get-sink-policy --sink-identifier <sink-arn>`; list who is linked: `aws oam list-attached-links --sink-identifier <sink-arn>`.',
    'Unless the outside account is a documented partner, put back a policy limited to the organisation (`aws:PrincipalOrgID`) with `aws oam put-sink-policy`, and delete links from outside accounts (they are deleted from the source account; ask its owner, or remove the sink policy grant so they stop updating).',
    'Check who made the change (the actor of this finding) and what else that identity did in the monitoring account.',
  ],
  rationale:
    'A sink policy decides which source accounts may push their telemetry into the monitoring account. Opened ' +
    'outside the organisation, a stranger’s account can appear among the organisation’s own: dashboards, alarms and ' +
    'log queries then mix in data the organisation does not own, which can hide or fake what monitoring shows ' +
    '(A.8.16). Medium, because it admits data rather than letting data out (the exfiltrating direction, a link to ' +
    'an outside sink, is `oam.link-outside-organization`); high on high-criticality accounts. Public and ' +
    'outside-organisation follow the shared resource-policy analysis, so `aws:PrincipalOrgID` keeps a policy inside.',
  falsePositives: [
    'A monitoring partner or a second organisation of the same company linking by design: suppress per sink with a reason, or add its accounts to organization.accounts.',
  ],
  cases: () => [
    {
      name: 'an outside account may link to the sink',
      expect: 'match',
      config: { organization: ORG },
      event: fixture('oam/PutSinkPolicy'),
    },
    {
      name: 'anyone may link: a wildcard principal without a condition',
      expect: 'match',
      config: { organization: ORG },
      event: fixture('oam/PutSinkPolicy', withPolicy({ Principal: '*' })),
    },
    {
      name: 'the whole organisation by aws:PrincipalOrgID (the console’s default) stays inside',
      expect: 'no-match',
      config: { organization: ORG },
      event: fixture(
        'oam/PutSinkPolicy',
        withPolicy({
          Principal: '*',
          Condition: { 'ForAnyValue:StringEquals': { 'aws:PrincipalOrgID': ORG.id } },
        }),
      ),
    },
    {
      name: 'member accounts named one by one stay inside',
      expect: 'no-match',
      config: { organization: ORG },
      event: fixture('oam/PutSinkPolicy', withPolicy({ Principal: { AWS: ['444455556666'] } })),
    },
    {
      name: 'PutSinkPolicy denied',
      expect: 'no-match',
      config: { organization: ORG },
      event: fixture('oam/PutSinkPolicy', denied('AccessDeniedException', 'oam:PutSinkPolicy', SINK)),
    },
  ],
};
