import { partitionOf } from '../core/arn.ts';
import type { ConfigComplianceChange } from '../core/config-events.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

const NON_COMPLIANT = 'NON_COMPLIANT';

/** Resource types whose Config resource id turns into an ARN without a lookup. */
const EC2_TYPES: Readonly<Record<string, string>> = {
  'AWS::EC2::SecurityGroup': 'security-group',
  'AWS::EC2::Instance': 'instance',
  'AWS::EC2::Volume': 'volume',
  'AWS::EC2::VPC': 'vpc',
  'AWS::EC2::Subnet': 'subnet',
  'AWS::EC2::NetworkAcl': 'network-acl',
};

/**
 * The evaluated resource as an ARN where one can be built, so criticality patterns apply: account-level
 * rules (`AWS::::Account`), S3 buckets, common EC2 types, and resources whose id already is an ARN. Other
 * ids (IAM unique ids, RDS resource ids) are named as they are.
 */
const resourceOf = (d: ConfigComplianceChange): string => {
  const id = d.resourceId ?? 'unknown';
  const type = d.resourceType ?? '';
  const account = d.awsAccountId ?? 'unknown';
  if (id.startsWith('arn:')) return id;
  if (type === 'AWS::::Account') return `arn:${partitionOf(d.awsRegion ?? '')}:iam::${id}:root`;
  if (type === 'AWS::S3::Bucket') return `arn:${partitionOf(d.awsRegion ?? '')}:s3:::${id}`;
  const ec2 = EC2_TYPES[type];
  return ec2 === undefined
    ? `${type}/${id}`
    : `arn:${partitionOf(d.awsRegion ?? '')}:ec2:${d.awsRegion ?? 'unknown'}:${account}:${ec2}/${id}`;
};

const was = (complianceType: string | undefined) => ({
  oldEvaluationResult: { complianceType },
});

export const rule = defineRule({
  id: 'config.rule-noncompliant',
  title: 'Config rule: resource became NON_COMPLIANT',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.9'],
  mitre: ['T1562'],
  on: { source: 'config.compliance-change' },
  match: (d) =>
    d.newEvaluationResult?.complianceType === NON_COMPLIANT && d.oldEvaluationResult?.complianceType !== NON_COMPLIANT,
  resources: (d) => [resourceOf(d)],
  // One rule judging one resource is one drift, however often it is re-evaluated.
  dedup: {
    key: (d) =>
      `${d.awsAccountId ?? 'unknown'}|${d.awsRegion ?? 'unknown'}|${d.configRuleName}|${d.resourceType ?? ''}|${d.resourceId ?? 'unknown'}`,
  },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An AWS Config rule (managed, custom, Security Hub or conformance pack) evaluated a resource as ' +
    'NON_COMPLIANT that was compliant, not applicable, not yet evaluated or had insufficient data before: the ' +
    'configuration drifted from the baseline the rule encodes.',
  runbook: [
    'Read why: `aws configservice get-compliance-details-by-config-rule --config-rule-name <rule> --compliance-types NON_COMPLIANT` (the annotation says what failed), and the rule itself with `aws configservice describe-config-rules --config-rule-names <rule>`.',
    'See what changed on the resource: `aws configservice get-resource-config-history --resource-type <type> --resource-id <id> --limit 2`; its `relatedEvents` name the CloudTrail events and so the actor.',
    'Fix the resource, or its IaC and redeploy; where the rule has a remediation action, `aws configservice start-remediation-execution --config-rule-name <rule> --resource-keys resourceType=<type>,resourceId=<id>`.',
    'Confirm the rule re-evaluates as COMPLIANT: `aws configservice start-config-rules-evaluation --config-rule-names <rule>`. If the deviation is accepted, record the exception and suppress the rule for that resource with an expiry.',
  ],
  rationale:
    "Config rules are the organisation's own written baseline for A.8.9, so a resource leaving compliance is drift worth a finding with no threshold. Only the transition matches: re-evaluations that stay NON_COMPLIANT, and moves to COMPLIANT or NOT_APPLICABLE, do not. " +
    "Medium by default and high on high-criticality assets: rules range from tagging to encryption, so the rule's own importance is unknown here; the dangerous cases have their own rules (security-group, bucket, encryption and logging drift). " +
    'Dedup by account, region, rule and resource (one hour) folds flapping evaluations into one finding.',
  falsePositives: [
    'Noisy or overly strict rules (tagging, naming): tune the rule or suppress it by name.',
    'Resources in sandbox accounts (set those accounts to low criticality).',
    'Periodic rules re-evaluating after a Config recorder gap report old non-compliance as new.',
  ],
  cases: () => [
    {
      name: 'security group moves from COMPLIANT to NON_COMPLIANT under restricted-ssh',
      expect: 'match',
      event: fixture('config-compliance/restricted-ssh-noncompliant'),
    },
    {
      name: 'first evaluation is NON_COMPLIANT',
      expect: 'match',
      event: fixture('config-compliance/restricted-ssh-noncompliant', { oldEvaluationResult: undefined }),
    },
    {
      name: 'resource comes into scope as NON_COMPLIANT',
      expect: 'match',
      event: fixture('config-compliance/restricted-ssh-noncompliant', was('NOT_APPLICABLE')),
    },
    {
      name: 'INSUFFICIENT_DATA then NON_COMPLIANT',
      expect: 'match',
      event: fixture('config-compliance/restricted-ssh-noncompliant', was('INSUFFICIENT_DATA')),
    },
    {
      name: 'NON_COMPLIANT on a high-criticality account',
      expect: 'match',
      criticality: 'high',
      event: fixture('config-compliance/restricted-ssh-noncompliant'),
    },
    {
      name: 'back to COMPLIANT',
      expect: 'no-match',
      event: fixture('config-compliance/restricted-ssh-noncompliant', {
        newEvaluationResult: { complianceType: 'COMPLIANT' },
        oldEvaluationResult: { complianceType: NON_COMPLIANT },
      }),
    },
    {
      name: 'still NON_COMPLIANT on re-evaluation',
      expect: 'no-match',
      event: fixture('config-compliance/restricted-ssh-noncompliant', was(NON_COMPLIANT)),
    },
    {
      name: 'now NOT_APPLICABLE',
      expect: 'no-match',
      event: fixture('config-compliance/restricted-ssh-noncompliant', {
        newEvaluationResult: { complianceType: 'NOT_APPLICABLE' },
      }),
    },
  ],
};
