import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isServiceInvoked, isSuccess, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

const analyzerOf = (e: CloudTrailRecord): string =>
  stringParam(e.requestParameters, 'analyzerName') ?? 'unknown-analyzer';

const analyzerArn = (e: CloudTrailRecord): string => resourceArn(e, 'access-analyzer', `analyzer/${analyzerOf(e)}`);

export const rule = defineRule({
  id: 'access-analyzer.analyzer-deleted',
  title: 'IAM Access Analyzer deleted, or findings auto-archived by a rule',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.16'],
  mitre: ['T1562.001'],
  on: { source: 'access-analyzer', eventNames: ['DeleteAnalyzer', 'CreateArchiveRule', 'UpdateArchiveRule'] },
  match: (e) => isSuccess(e) && !isServiceInvoked(e),
  dedup: { key: (e) => `${accountOf(e)}|${e.awsRegion}|${analyzerOf(e)}` },
  resources: (e) => {
    const ruleName = stringParam(e.requestParameters, 'ruleName');
    return ruleName === undefined ? [analyzerArn(e)] : [analyzerArn(e), `${analyzerArn(e)}/archive-rule/${ruleName}`];
  },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An IAM Access Analyzer analyzer was deleted, or an archive rule was created or changed so that matching findings ' +
    '(resources shared outside the zone of trust: public buckets, cross-account roles, KMS keys) are archived as they ' +
    'arrive and never surface.',
  runbook: [
    'Check the region: `aws accessanalyzer list-analyzers --region <region>`; for archive rules, `aws accessanalyzer ' +
      'list-archive-rules --analyzer-name <name>` and read each filter.',
    'Restore it: recreate the analyzer from IaC (`aws accessanalyzer create-analyzer --analyzer-name <name> --type ' +
      'ORGANIZATION` from the delegated administrator, or `--type ACCOUNT`); remove an unapproved archive rule with ' +
      '`aws accessanalyzer delete-archive-rule --analyzer-name <name> --rule-name <rule>`.',
    'Look at what the rule hid: `aws accessanalyzer list-findings-v2 --analyzer-arn <arn> --filter ' +
      '\'{"status":{"eq":["ARCHIVED"]}}\'`, and check whether those resources were opened by the same actor.',
    'If the actor is not the approved security automation, treat it as an incident and rotate its credentials.',
  ],
  rationale:
    'No threshold: deleting the analyzer or auto-archiving its findings hides external and public access from the ' +
    'people who review it (T1562.001), often just before a resource is shared out. Medium at medium criticality ' +
    'because the sharing itself is still caught by the resource-policy rules (s3.bucket-made-public and others); ' +
    'high on high-criticality accounts. Every archive rule matches: the filter decides what is hidden and only a ' +
    "person can judge whether it names a trusted partner or the attacker's account. Removing an archive rule " +
    '(DeleteArchiveRule) shows more findings and is not matched. CloudFormation-driven changes match, since they ' +
    "carry the deployer's identity.",
  falsePositives: [
    'A reviewed archive rule for a known partner account or for intentionally public resources (suppress per rule ' +
      'name with a dated reason).',
    'Replacing an account analyzer with an organisation analyzer in the delegated administrator account.',
  ],
  cases: () => [
    { name: 'analyzer deleted', expect: 'match', event: fixture('access-analyzer/DeleteAnalyzer') },
    {
      name: 'archive rule hiding public buckets created',
      expect: 'match',
      event: fixture('access-analyzer/CreateArchiveRule'),
    },
    {
      name: 'archive rule changed to hide an account outside the organisation',
      expect: 'match',
      criticality: 'high',
      event: fixture('access-analyzer/UpdateArchiveRule'),
    },
    {
      name: 'analyzer deleted by a CloudFormation stack is still the deployer',
      expect: 'match',
      event: fixture('access-analyzer/DeleteAnalyzer', {
        userIdentity: { invokedBy: 'cloudformation.amazonaws.com' },
        sourceIPAddress: 'cloudformation.amazonaws.com',
        userAgent: 'cloudformation.amazonaws.com',
        tlsDetails: undefined,
      }),
    },
    {
      name: 'DeleteAnalyzer denied',
      expect: 'no-match',
      event: fixture('access-analyzer/DeleteAnalyzer', {
        errorCode: 'AccessDeniedException',
        errorMessage:
          'User: arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/alice is not authorized to perform: access-analyzer:DeleteAnalyzer on resource: arn:aws:access-analyzer:eu-west-1:111122223333:analyzer/org-external-access',
      }),
    },
    {
      name: 'deleting an analyzer that does not exist',
      expect: 'no-match',
      event: fixture('access-analyzer/DeleteAnalyzer', {
        errorCode: 'ResourceNotFoundException',
        errorMessage: 'Analyzer not found',
      }),
    },
    {
      name: 'archive rule deleted (more findings surface) is benign',
      expect: 'no-match',
      event: fixture('access-analyzer/UpdateArchiveRule', {
        eventName: 'DeleteArchiveRule',
        requestParameters: { filter: undefined },
      }),
    },
    {
      name: 'an AWS service acting on its own (AWSService identity) is not a person',
      expect: 'no-match',
      event: fixture('access-analyzer/DeleteAnalyzer', {
        userIdentity: {
          type: 'AWSService',
          invokedBy: 'access-analyzer.amazonaws.com',
          principalId: undefined,
          arn: undefined,
          accountId: undefined,
          accessKeyId: undefined,
          sessionContext: undefined,
        },
        sourceIPAddress: 'access-analyzer.amazonaws.com',
        userAgent: 'access-analyzer.amazonaws.com',
        tlsDetails: undefined,
      }),
    },
  ],
};
