import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { defineRule } from '../core/define-rule.ts';
import { securityGroupArns } from '../core/network.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';

export const rule = defineRule({
  id: 'ec2.security-group-changed',
  title: 'Security group changed outside the approved process',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.9'],
  mitre: ['T1562.007'],
  on: {
    source: 'ec2',
    eventNames: [
      'AuthorizeSecurityGroupIngress',
      'AuthorizeSecurityGroupEgress',
      'RevokeSecurityGroupIngress',
      'RevokeSecurityGroupEgress',
      'CreateSecurityGroup',
      'DeleteSecurityGroup',
      'ModifySecurityGroupRules',
    ],
  },
  match: (e, ctx) => isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => unapprovedReasons(e, ctx.config.approved),
  resources: securityGroupArns,
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A security group was created, deleted, or had rules added, removed or rewritten by someone other than the ' +
    'approved deploy automation: the network boundary changed without going through change management.',
  runbook: [
    'Identify the change: `aws ec2 describe-security-group-rules --filters Name=group-id,Values=<sg-id>` and compare with the requestParameters in the finding.',
    'Find the change record (ticket, pull request) for it. If there is none, ask the actor; if the actor did not make it, treat it as an incident and rotate their credentials.',
    'If the change is unwanted, revert it (`aws ec2 revoke-security-group-ingress --group-id <sg-id> --security-group-rule-ids <sgr-id>`, or redeploy the stack so IaC restores the declared rules).',
    'If the group is managed by IaC, run drift detection (`aws cloudformation detect-stack-drift --stack-name <stack>`) and bring the template and the live group back in line.',
    'If legitimate automation raised this, add its role ARN to `approved.automationRoles` and its tool to `approved.iacUserAgents`.',
  ],
  rationale:
    'Every manual security group change is a finding (no threshold): ISO 27001 A.8.9 expects network configuration to change only through the approved process, and one rule is enough to open a path. ' +
    'Severity is medium on medium-criticality assets and high on high-criticality ones, one step below the DESIGN row for changes "outside a change window": detection config has no change windows yet, so this rule cannot tell an unplanned change from a ticketed one made by hand, and it fires on harmless edits too. ' +
    'The dangerous subset, ingress opened to the internet, is caught separately by ec2.ingress-open-to-internet at high/critical. ' +
    'Description-only edits (UpdateSecurityGroupRuleDescriptions*) change no access and are not watched.',
  falsePositives: [
    'Break-glass or ticketed manual changes made by hand (confirm the ticket; suppress with a dated, reasoned suppression).',
    'Deploy automation not yet listed in `approved.automationRoles` / `approved.iacUserAgents`.',
    'Tools that manage groups with their own role rather than a service-linked one (e.g. the AWS Load Balancer Controller in EKS): approve that role.',
  ],
  cases: () => [
    {
      name: 'alice adds an ingress rule by hand',
      expect: 'match',
      event: fixture('ec2/AuthorizeSecurityGroupIngress'),
    },
    {
      name: 'approved deploy role through CloudFormation',
      expect: 'no-match',
      event: fixture('ec2/AuthorizeSecurityGroupIngress-cloudformation'),
      config: { approved: APPROVED_DEPLOYS },
    },
    {
      name: 'deploy role through CloudFormation, nothing approved: CloudFormation is not a service acting alone',
      expect: 'match',
      event: fixture('ec2/AuthorizeSecurityGroupIngress-cloudformation'),
    },
    {
      name: 'same deploy role used by hand from a laptop',
      expect: 'match',
      event: fixture('ec2/AuthorizeSecurityGroupIngress-cloudformation', {
        userIdentity: {
          invokedBy: undefined,
          principalId: 'AROA3XFRBF23EXAMPLE1:bob',
          arn: 'arn:aws:sts::111122223333:assumed-role/deploy-role/bob',
        },
        sourceIPAddress: '198.51.100.73',
        userAgent:
          'aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/macos#23.6.0 md/arch#arm64 lang/python#3.11.9 md/command#ec2.authorize-security-group-ingress',
        tlsDetails: {
          tlsVersion: 'TLSv1.3',
          cipherSuite: 'TLS_AES_128_GCM_SHA256',
          clientProvidedHostHeader: 'ec2.eu-west-1.amazonaws.com',
        },
      }),
      config: { approved: APPROVED_DEPLOYS },
    },
    {
      name: 'denied',
      expect: 'no-match',
      event: fixture('ec2/AuthorizeSecurityGroupIngress', {
        errorCode: 'Client.UnauthorizedOperation',
        errorMessage:
          'You are not authorized to perform this operation. User: arn:aws:iam::111122223333:user/alice is not authorized to perform: ec2:AuthorizeSecurityGroupIngress on resource: arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0a1b2c3d4e5f67890 because no identity-based policy allows the ec2:AuthorizeSecurityGroupIngress action.',
        responseElements: null,
      }),
    },
    {
      name: 'EKS service-linked role maintaining its cluster group',
      expect: 'no-match',
      event: fixture('ec2/AuthorizeSecurityGroupIngress-eks'),
    },
    {
      name: 'ModifySecurityGroupRules rewrites a rule in place',
      expect: 'match',
      event: fixture('ec2/ModifySecurityGroupRules'),
    },
    { name: 'egress rule added', expect: 'match', event: fixture('ec2/AuthorizeSecurityGroupEgress') },
    { name: 'ingress rule revoked', expect: 'match', event: fixture('ec2/RevokeSecurityGroupIngress') },
    { name: 'default egress rule revoked', expect: 'match', event: fixture('ec2/RevokeSecurityGroupEgress') },
    { name: 'group created', expect: 'match', event: fixture('ec2/CreateSecurityGroup') },
    { name: 'group deleted', expect: 'match', event: fixture('ec2/DeleteSecurityGroup') },
    {
      name: 'description-only update is not a change of access',
      expect: 'no-match',
      event: fixture('ec2/UpdateSecurityGroupRuleDescriptionsIngress'),
    },
  ],
};
