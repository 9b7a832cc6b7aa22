import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord, JsonValue } from '../core/cloudtrail.ts';
import { accountOf, isServiceInvoked, isSuccess, param, principalArn } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

/** EC2's XML-to-JSON logging: one element is an object, several are an array. */
const listOf = (v: JsonValue | undefined): JsonValue[] =>
  Array.isArray(v) ? v : v === undefined || v === '' ? [] : [v];

/** `FlowLogId` is `{content, tag}` per id (an array of them for several ids); a bare string is accepted too. */
const requestedIds = (e: CloudTrailRecord): string[] =>
  listOf(param(e.requestParameters, 'DeleteFlowLogsRequest', 'FlowLogId')).flatMap((v) => {
    if (typeof v === 'string') return [v];
    const content = typeof v === 'object' && v !== null && !Array.isArray(v) ? v.content : undefined;
    return typeof content === 'string' ? [content] : [];
  });

/** Ids EC2 reported it could not delete (`unsuccessful.item[].resourceId`); the call still "succeeds". */
const failedIds = (e: CloudTrailRecord): Set<string> =>
  new Set(
    listOf(param(e.responseElements, 'DeleteFlowLogsResponse', 'unsuccessful', 'item')).flatMap((v) => {
      const id = typeof v === 'object' && v !== null && !Array.isArray(v) ? v.resourceId : undefined;
      return typeof id === 'string' ? [id] : [];
    }),
  );

/** The flow logs this call actually removed; unknown ids count as removed, since the call succeeded. */
const deletedIds = (e: CloudTrailRecord): string[] => {
  const failed = failedIds(e);
  return requestedIds(e).filter((id) => !failed.has(id));
};

const deletesSomething = (e: CloudTrailRecord): boolean => {
  const requested = requestedIds(e);
  return requested.length === 0 || deletedIds(e).length > 0;
};

const notFound = (id: string) => ({
  error: { code: 'InvalidFlowLogId.NotFound', message: `Flow log ${id} does not exist` },
  resourceId: id,
});

export const rule = defineRule({
  id: 'ec2.flow-logs-deleted',
  title: 'VPC flow logs deleted',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.15'],
  mitre: ['T1562.008'],
  on: { source: 'ec2', eventNames: ['DeleteFlowLogs'] },
  match: (e) => isSuccess(e) && !isServiceInvoked(e) && deletesSomething(e),
  dedup: { key: (e) => `${accountOf(e)}|${e.awsRegion}|${principalArn(e)}|flow-logs` },
  resources: (e) => deletedIds(e).map((id) => resourceArn(e, 'ec2', `vpc-flow-log/${id}`)),
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'One or more VPC, subnet or network-interface flow logs were deleted: network traffic for those resources is ' +
    'no longer recorded, so later connections (exfiltration, lateral movement, C2) leave no trace.',
  runbook: [
    'List what is still logged in the region: `aws ec2 describe-flow-logs --region <region>`, and compare with the ' +
      'VPCs that should be covered (`aws ec2 describe-vpcs --region <region>`).',
    'Recreate the deleted flow logs from IaC, or by hand: `aws ec2 create-flow-logs --resource-type VPC ' +
      '--resource-ids <vpc-id> --traffic-type ALL --log-destination-type s3 --log-destination arn:aws:s3:::<log-bucket>`.',
    "Review the actor's other calls around the deletion (security group and route changes, instance launches): the " +
      'traffic after the deletion is unrecorded, so host and load-balancer logs are the only network evidence left.',
    'If the actor is not the approved deploy role tearing down a VPC, treat it as an incident and rotate its credentials.',
  ],
  rationale:
    'No threshold: flow logs are the network evidence for A.8.15 and deleting them is a standard evasion step ' +
    '(T1562.008). High, critical on high-criticality accounts. Approved automation is not exempt: a stack that ' +
    'removes a flow log resource blinds the network just the same, and teardown of whole VPCs deletes their flow ' +
    'logs without a DeleteFlowLogs call, so the call itself is rare in routine operation. A call in which every ' +
    'requested id came back unsuccessful (already gone, wrong id) deleted nothing and does not match.',
  falsePositives: [
    'Tearing down a development VPC stack that owns its flow log (suppress per account or stack with a dated reason).',
    'Replacing a flow log with a new one (new format or destination): the create appears beside the delete.',
  ],
  cases: () => [
    { name: 'flow log deleted', expect: 'match', event: fixture('ec2/DeleteFlowLogs') },
    {
      name: 'several flow logs deleted in one call',
      expect: 'match',
      criticality: 'high',
      event: fixture('ec2/DeleteFlowLogs', {
        requestParameters: {
          DeleteFlowLogsRequest: {
            FlowLogId: [
              { content: 'fl-0a1b2c3d4e5f67890', tag: 1 },
              { content: 'fl-0f9e8d7c6b5a43210', tag: 2 },
            ],
          },
        },
      }),
    },
    {
      name: 'one of two ids deleted, the other not found',
      expect: 'match',
      event: fixture('ec2/DeleteFlowLogs', {
        requestParameters: {
          DeleteFlowLogsRequest: {
            FlowLogId: [
              { content: 'fl-0a1b2c3d4e5f67890', tag: 1 },
              { content: 'fl-0123456789abcdef0', tag: 2 },
            ],
          },
        },
        responseElements: { DeleteFlowLogsResponse: { unsuccessful: { item: notFound('fl-0123456789abcdef0') } } },
      }),
    },
    {
      name: 'deleted by a CloudFormation stack update is still a deletion',
      expect: 'match',
      event: fixture('ec2/DeleteFlowLogs', {
        userIdentity: { invokedBy: 'cloudformation.amazonaws.com' },
        sourceIPAddress: 'cloudformation.amazonaws.com',
        userAgent: 'cloudformation.amazonaws.com',
        tlsDetails: undefined,
      }),
    },
    {
      name: 'DeleteFlowLogs denied',
      expect: 'no-match',
      event: fixture('ec2/DeleteFlowLogs', {
        errorCode: 'Client.UnauthorizedOperation',
        errorMessage:
          'You are not authorized to perform this operation. User: arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/alice is not authorized to perform: ec2:DeleteFlowLogs on resource: arn:aws:ec2:eu-west-1:111122223333:vpc-flow-log/fl-0a1b2c3d4e5f67890 with an explicit deny in a service control policy',
        responseElements: null,
      }),
    },
    {
      name: 'every requested id unsuccessful: nothing was deleted',
      expect: 'no-match',
      event: fixture('ec2/DeleteFlowLogs', {
        responseElements: { DeleteFlowLogsResponse: { unsuccessful: { item: notFound('fl-0a1b2c3d4e5f67890') } } },
      }),
    },
    {
      name: 'an AWS service acting on its own is not a person deleting logs',
      expect: 'no-match',
      event: fixture('ec2/DeleteFlowLogs', {
        userIdentity: {
          type: 'AWSService',
          invokedBy: 'ec2.amazonaws.com',
          principalId: undefined,
          arn: undefined,
          accountId: undefined,
          accessKeyId: undefined,
          sessionContext: undefined,
        },
        sourceIPAddress: 'ec2.amazonaws.com',
        userAgent: 'ec2.amazonaws.com',
        tlsDetails: undefined,
      }),
    },
  ],
};
