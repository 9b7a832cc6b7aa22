import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, principalArn, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { ec2Arns } from '../core/network.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';

/**
 * The network ACL a call acted on: the request names it, except CreateNetworkAcl, whose id only comes back in
 * the response. For ReplaceNetworkAclAssociation the request's id is the ACL the subnet now uses.
 */
const networkAclIdOf = (e: CloudTrailRecord): string | undefined =>
  stringParam(e.requestParameters, 'networkAclId') ?? stringParam(e.responseElements, 'networkAcl', 'networkAclId');

const networkAclArns = (e: CloudTrailRecord): string[] => ec2Arns(e, 'network-acl', networkAclIdOf(e));

const denied = {
  errorCode: 'Client.UnauthorizedOperation',
  errorMessage:
    'You are not authorized to perform this operation. User: arn:aws:iam::111122223333:user/alice is not authorized to perform: ec2:CreateNetworkAclEntry on resource: arn:aws:ec2:eu-west-1:111122223333:network-acl/acl-0c1d2e3f4a5b6c7d8 because no identity-based policy allows the ec2:CreateNetworkAclEntry action.',
  responseElements: null,
};

export const rule = defineRule({
  id: 'ec2.network-acl-changed',
  title: 'Network ACL changed outside the approved process',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.9'],
  mitre: ['T1562.007'],
  on: {
    source: 'ec2',
    eventNames: [
      'CreateNetworkAcl',
      'DeleteNetworkAcl',
      'CreateNetworkAclEntry',
      'ReplaceNetworkAclEntry',
      'DeleteNetworkAclEntry',
      'ReplaceNetworkAclAssociation',
    ],
  },
  explain: (e, ctx) => unapprovedReasons(e, ctx.config.approved),
  match: (e, ctx) => isUnapprovedChange(e, ctx.config.approved),
  resources: networkAclArns,
  // One person reworking one ACL is one change; a different ACL is a different change.
  dedup: { key: (e) => `${accountOf(e)}|${networkAclIdOf(e) ?? 'unknown-network-acl'}|${principalArn(e)}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A network ACL was created or deleted, had an entry added, replaced or removed, or was swapped onto a subnet ' +
    'by someone other than the approved deploy automation: the subnet-level network boundary changed without ' +
    'going through change management.',
  runbook: [
    'See the ACL as it is now: `aws ec2 describe-network-acls --network-acl-ids <acl-id> --query "NetworkAcls[].{Entries:Entries,Associations:Associations}"`, and compare with the requestParameters in the finding.',
    'Find the change record (ticket, pull request). If there is none, ask the actor; if the actor did not make it, treat it as an incident and rotate their credentials.',
    'Undo an unwanted entry: `aws ec2 replace-network-acl-entry` back to the previous values, or `aws ec2 delete-network-acl-entry --network-acl-id <acl-id> --rule-number <n> --ingress` (use `--egress` for egress rules). Undo an association swap with `aws ec2 replace-network-acl-association --association-id <aclassoc-id> --network-acl-id <previous-acl-id>`.',
    'If the ACL is managed by IaC, run drift detection (`aws cloudformation detect-stack-drift --stack-name <stack>` or `terraform plan`) and redeploy so the declared entries come back.',
    'If legitimate automation raised this, add its role ARN to `approved.automationRoles` and its tool to `approved.iacUserAgents`.',
  ],
  rationale:
    'Every manual network ACL change is a finding (no threshold): ISO 27001 A.8.9 expects network configuration to change only through the approved process, and a single entry can open or close a whole subnet. ' +
    'Medium on medium-criticality assets and high on high-criticality ones, matching ec2.security-group-changed: the rule cannot tell a ticketed manual change from an unplanned one, and it fires on harmless edits too. ' +
    'The dangerous subset, entries that let the whole internet reach admin or database ports, is caught separately by ec2.network-acl-open-to-internet at high/critical. ' +
    'Calls AWS makes on its own and dry runs (Client.DryRunOperation) change nothing a person did, so they do not match.',
  falsePositives: [
    'Break-glass or ticketed manual changes made by hand (confirm the ticket; suppress with a dated, reasoned suppression).',
    'Deploy automation not yet listed in `approved.automationRoles` / `approved.iacUserAgents`.',
  ],
  cases: () => [
    { name: 'alice creates a network ACL', expect: 'match', event: fixture('ec2/CreateNetworkAcl') },
    { name: 'alice adds an HTTPS entry by hand', expect: 'match', event: fixture('ec2/CreateNetworkAclEntry') },
    {
      name: 'bob widens an entry from the console',
      expect: 'match',
      event: fixture('ec2/ReplaceNetworkAclEntry'),
    },
    { name: 'entry removed', expect: 'match', event: fixture('ec2/DeleteNetworkAclEntry') },
    {
      name: 'subnet moved onto another ACL',
      expect: 'match',
      event: fixture('ec2/ReplaceNetworkAclAssociation'),
    },
    { name: 'ACL deleted', expect: 'match', event: fixture('ec2/DeleteNetworkAcl') },
    {
      name: 'approved deploy role through CloudFormation',
      expect: 'no-match',
      event: fixture('ec2/CreateNetworkAclEntry-cloudformation'),
      config: { approved: APPROVED_DEPLOYS },
    },
    {
      name: 'deploy role through CloudFormation, nothing approved: CloudFormation is not a service acting alone',
      expect: 'match',
      event: fixture('ec2/CreateNetworkAclEntry-cloudformation'),
    },
    {
      name: 'approved deploy role used by hand from a laptop',
      expect: 'match',
      event: fixture('ec2/CreateNetworkAclEntry-cloudformation', {
        userIdentity: {
          invokedBy: undefined,
          principalId: 'AROA3XFRBF23EXAMPLE1:bob',
          arn: 'arn:aws:sts::111122223333:assumed-role/deploy-role/bob',
        },
        sourceIPAddress: '198.51.100.73',
        userAgent:
          'aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/macos#23.6.0 md/arch#arm64 lang/python#3.11.9 md/command#ec2.create-network-acl-entry',
        tlsDetails: {
          tlsVersion: 'TLSv1.3',
          cipherSuite: 'TLS_AES_128_GCM_SHA256',
          clientProvidedHostHeader: 'ec2.eu-west-1.amazonaws.com',
        },
      }),
      config: { approved: APPROVED_DEPLOYS },
    },
    { name: 'denied', expect: 'no-match', event: fixture('ec2/CreateNetworkAclEntry', denied) },
    {
      name: 'dry run (the call only checked permissions)',
      expect: 'no-match',
      event: fixture('ec2/CreateNetworkAclEntry', {
        errorCode: 'Client.DryRunOperation',
        errorMessage: 'Request would have succeeded, but DryRun flag is set.',
        responseElements: null,
      }),
    },
    {
      name: 'a call an AWS service makes on its own is not a person',
      expect: 'no-match',
      event: fixture('ec2/CreateNetworkAclEntry', {
        userIdentity: {
          type: 'AWSService',
          invokedBy: 'ec2.amazonaws.com',
          principalId: undefined,
          arn: undefined,
          accountId: undefined,
          accessKeyId: undefined,
          userName: undefined,
        },
        sourceIPAddress: 'ec2.amazonaws.com',
        userAgent: 'ec2.amazonaws.com',
        tlsDetails: undefined,
      }),
    },
  ],
};
