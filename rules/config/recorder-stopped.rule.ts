import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isSuccess } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

/**
 * A service acting on its own account, not a person. CloudFormation (`invokedBy`) still counts: it
 * carries the identity of whoever deployed the stack, and deleting a stack is an easy way to remove a recorder.
 */
const serviceOwned = (e: CloudTrailRecord): boolean =>
  e.eventType === 'AwsServiceEvent' || e.userIdentity.type === 'AWSService';

export const rule = defineRule({
  id: 'config.recorder-stopped',
  title: 'AWS Config recorder stopped or deleted, or delivery channel deleted',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.15', 'A.8.9'],
  mitre: ['T1562.008'],
  on: {
    source: 'config',
    eventNames: ['StopConfigurationRecorder', 'DeleteConfigurationRecorder', 'DeleteDeliveryChannel'],
  },
  match: (e) => isSuccess(e) && !serviceOwned(e),
  // Stopping the recorder and deleting the channel in one region is one incident; other regions are separate losses.
  dedup: { key: (e) => `config|${accountOf(e)}|${e.awsRegion}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'AWS Config stopped recording configuration changes in a region, or its recorder or delivery channel was ' +
    'deleted: configuration history and Config rule evaluations stop from that moment.',
  runbook: [
    'Check the state in the region: `aws configservice describe-configuration-recorder-status --region <region>` and ' +
      '`aws configservice describe-delivery-channels --region <region>`.',
    'Restart recording: `aws configservice start-configuration-recorder --configuration-recorder-name default ' +
      '--region <region>`; if deleted, recreate recorder and channel from IaC (`aws configservice ' +
      'put-configuration-recorder` / `put-delivery-channel`) and start it.',
    'Review every change the actor made while Config was not recording: Config history has a gap, so use CloudTrail ' +
      'for that window.',
    'If the actor is not the approved deploy role, treat it as an incident and rotate its credentials.',
  ],
  rationale:
    'No threshold: Config is the configuration-change evidence for A.8.9 and part of the logging estate for A.8.15, ' +
    'and stopping it is a standard step before making changes that should not be seen (T1562.008). High, critical on ' +
    'high-criticality accounts; one step below stopping CloudTrail because CloudTrail still records the API calls.',
  falsePositives: [
    'Planned decommissioning of a region or account, or a recorder rebuild by the deploy role (suppress with a dated, ' +
      'reasoned suppression).',
    'Cost-driven removal of Config from sandbox accounts (set those accounts to low criticality or suppress them).',
  ],
  cases: () => [
    { name: 'recorder stopped', expect: 'match', event: fixture('config/StopConfigurationRecorder') },
    { name: 'recorder deleted', expect: 'match', event: fixture('config/DeleteConfigurationRecorder') },
    { name: 'delivery channel deleted', expect: 'match', event: fixture('config/DeleteDeliveryChannel') },
    {
      name: 'a CloudFormation stack deleting the recorder is the deployer acting, not a service',
      expect: 'match',
      event: fixture('config/DeleteConfigurationRecorder', {
        userIdentity: { invokedBy: 'cloudformation.amazonaws.com' },
        sourceIPAddress: 'cloudformation.amazonaws.com',
        userAgent: 'cloudformation.amazonaws.com',
        tlsDetails: undefined,
      }),
    },
    {
      name: 'recorder stop denied',
      expect: 'no-match',
      event: fixture('config/StopConfigurationRecorder', {
        errorCode: 'AccessDeniedException',
        errorMessage:
          'User: arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/alice is not authorized to perform: config:StopConfigurationRecorder',
      }),
    },
    {
      name: 'deleting a channel that does not exist',
      expect: 'no-match',
      event: fixture('config/DeleteDeliveryChannel', {
        errorCode: 'NoSuchDeliveryChannelException',
        errorMessage: "Cannot find delivery channel with specified name 'default'.",
      }),
    },
    { name: 'recorder started is benign', expect: 'no-match', event: fixture('config/StartConfigurationRecorder') },
    { name: 'delivery channel (re)created is benign', expect: 'no-match', event: fixture('config/PutDeliveryChannel') },
    {
      name: 'a call an AWS service makes on its own (AWSService identity) is not a person',
      expect: 'no-match',
      event: fixture('config/StopConfigurationRecorder', {
        userIdentity: {
          type: 'AWSService',
          invokedBy: 'config.amazonaws.com',
          principalId: undefined,
          arn: undefined,
          accessKeyId: undefined,
          sessionContext: undefined,
        },
        sourceIPAddress: 'config.amazonaws.com',
        userAgent: 'config.amazonaws.com',
        tlsDetails: undefined,
      }),
    },
  ],
};
