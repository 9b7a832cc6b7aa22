import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isServiceInvoked, isSuccess, param, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

/** Security Hub logs its request body as sent, in PascalCase; accept camelCase too, as replayed records vary. */
const field = (e: CloudTrailRecord, name: string): string | undefined =>
  stringParam(e.requestParameters, name) ??
  stringParam(e.requestParameters, `${name.charAt(0).toLowerCase()}${name.slice(1)}`);

/** Only UpdateStandardsControl carries a value that can be harmless: ControlStatus ENABLED. */
const turnsSomethingOff = (e: CloudTrailRecord): boolean =>
  e.eventName !== 'UpdateStandardsControl' || field(e, 'ControlStatus')?.toUpperCase() === 'DISABLED';

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []);

/** The hub, plus the standards subscriptions, control or product subscription the call names. */
const resourcesOf = (e: CloudTrailRecord): string[] => {
  const hub = resourceArn(e, 'securityhub', 'hub/default');
  const named = [
    ...strings(param(e.requestParameters, 'StandardsSubscriptionArns')),
    field(e, 'StandardsControlArn'),
    field(e, 'ProductSubscriptionArn'),
  ].filter((arn): arn is string => typeof arn === 'string' && arn.startsWith('arn:'));
  return [hub, ...named];
};

export const rule = defineRule({
  id: 'securityhub.disabled',
  title: 'Security Hub disabled, or its standards, controls or integrations turned off',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.16'],
  mitre: ['T1562.001'],
  on: {
    source: 'securityhub',
    eventNames: [
      'DisableSecurityHub',
      'BatchDisableStandards',
      'DisableImportFindingsForProduct',
      'DisableOrganizationAdminAccount',
      'UpdateStandardsControl',
    ],
  },
  match: (e) => isSuccess(e) && !isServiceInvoked(e) && turnsSomethingOff(e),
  dedup: { key: (e) => `${accountOf(e)}|${e.awsRegion}|securityhub` },
  resources: resourcesOf,
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'Security Hub was disabled in a region, security standards were unsubscribed, a control was disabled, an ' +
    "integration (GuardDuty, Inspector, Macie, a partner product) stopped sending findings, or the organisation's " +
    'delegated Security Hub administrator was removed: findings and compliance checks stop arriving.',
  runbook: [
    'Check the region: `aws securityhub describe-hub --region <region>`, `aws securityhub get-enabled-standards`, ' +
      '`aws securityhub list-enabled-products-for-import`, and for a control `aws securityhub ' +
      'describe-standards-controls --standards-subscription-arn <arn>` (ControlStatus, DisabledReason).',
    'Restore what was turned off: `aws securityhub enable-security-hub --enable-default-standards`; `aws securityhub ' +
      'batch-enable-standards --standards-subscription-requests StandardsArn=<standards-arn>`; `aws securityhub ' +
      'enable-import-findings-for-product --product-arn <product-arn>`; `aws securityhub update-standards-control ' +
      '--standards-control-arn <arn> --control-status ENABLED`; from the management account, `aws securityhub ' +
      'enable-organization-admin-account --admin-account-id <account>`.',
    'Read the DisabledReason and ask the actor: a control disabled with a generic reason just before a change it would ' +
      'have flagged (e.g. CloudTrail.1 before StopLogging) is an attack pattern.',
    "Review the actor's other calls around the change; if it is not the approved security automation, treat it as an " +
      'incident and rotate its credentials.',
  ],
  rationale:
    'No threshold: Security Hub aggregates the findings A.8.16 monitoring depends on, and turning it, a standard, a ' +
    'control or an integration off is defence evasion (T1562.001). High, critical on high-criticality accounts. ' +
    'UpdateStandardsControl matches only when a control is DISABLED; re-enabling is benign. DeleteInsight is not ' +
    'matched: an insight is a saved query and deleting it stops no finding. Calls Security Hub makes itself ' +
    '(central configuration applying an organisation policy) do not match.',
  falsePositives: [
    'Disabling controls that do not apply (e.g. hardware MFA for root in member accounts) with a documented reason: ' +
      'suppress per control ARN with a dated reason.',
    'Replacing a standard with its newer version (BatchDisableStandards beside BatchEnableStandards).',
    'Moving the delegated administrator to another account.',
  ],
  cases: () => [
    { name: 'Security Hub disabled', expect: 'match', event: fixture('securityhub/DisableSecurityHub') },
    {
      name: 'Security Hub disabled on a high-criticality account',
      expect: 'match',
      criticality: 'high',
      event: fixture('securityhub/DisableSecurityHub'),
    },
    { name: 'standard unsubscribed', expect: 'match', event: fixture('securityhub/BatchDisableStandards') },
    {
      name: 'GuardDuty findings no longer imported',
      expect: 'match',
      event: fixture('securityhub/DisableImportFindingsForProduct'),
    },
    {
      name: 'delegated Security Hub administrator removed',
      expect: 'match',
      event: fixture('securityhub/DisableOrganizationAdminAccount'),
    },
    { name: 'CloudTrail.1 control disabled', expect: 'match', event: fixture('securityhub/UpdateStandardsControl') },
    {
      name: 'control disabled, request logged in camelCase',
      expect: 'match',
      event: fixture('securityhub/UpdateStandardsControl', {
        requestParameters: {
          StandardsControlArn: undefined,
          ControlStatus: undefined,
          DisabledReason: undefined,
          standardsControlArn:
            'arn:aws:securityhub:eu-west-1:111122223333:control/aws-foundational-security-best-practices/v/1.0.0/CloudTrail.1',
          controlStatus: 'DISABLED',
        },
      }),
    },
    {
      name: 'DisableSecurityHub denied',
      expect: 'no-match',
      event: fixture('securityhub/DisableSecurityHub', {
        errorCode: 'AccessDeniedException',
        errorMessage:
          'User: arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/alice is not authorized to perform: securityhub:DisableSecurityHub on resource: arn:aws:securityhub:eu-west-1:111122223333:hub/default with an explicit deny in a service control policy',
      }),
    },
    {
      name: 'control re-enabled is benign',
      expect: 'no-match',
      event: fixture('securityhub/UpdateStandardsControl', {
        requestParameters: { ControlStatus: 'ENABLED', DisabledReason: undefined },
      }),
    },
    {
      name: 'Security Hub central configuration acting through its service-linked role',
      expect: 'no-match',
      event: fixture('securityhub/UpdateStandardsControl', {
        userIdentity: {
          type: 'AssumedRole',
          principalId: 'AROA3XFRBF23SHSLREXAMPLE:securityhub',
          arn: 'arn:aws:sts::111122223333:assumed-role/AWSServiceRoleForSecurityHub/securityhub',
          sessionContext: {
            sessionIssuer: {
              principalId: 'AROA3XFRBF23SHSLREXAMPLE',
              arn: 'arn:aws:iam::111122223333:role/aws-service-role/securityhub.amazonaws.com/AWSServiceRoleForSecurityHub',
              userName: 'AWSServiceRoleForSecurityHub',
            },
          },
          invokedBy: 'securityhub.amazonaws.com',
        },
        sourceIPAddress: 'securityhub.amazonaws.com',
        userAgent: 'securityhub.amazonaws.com',
        tlsDetails: undefined,
      }),
    },
  ],
};
