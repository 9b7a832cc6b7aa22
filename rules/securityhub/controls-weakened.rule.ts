import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord, JsonValue } from '../core/cloudtrail.ts';
import { accountOf, isJsonObject, isServiceInvoked, isSuccess } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { findParam } from '../core/policy-call.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

const EVENTS = [
  'BatchUpdateStandardsControlAssociations',
  'UpdateSecurityHubConfiguration',
  'CreateAutomationRule',
  'BatchUpdateAutomationRules',
] as const;

const isFalse = (v: JsonValue | undefined): boolean =>
  v === false || (typeof v === 'string' && v.toLowerCase() === 'false');

const objects = (v: JsonValue | undefined): JsonValue[] => (Array.isArray(v) ? v : []);

/** Any `Workflow.Status: SUPPRESSED` inside an automation rule's actions. */
const suppressesFindings = (actions: JsonValue | undefined): boolean =>
  objects(actions).some((a) => {
    const status = isJsonObject(a) ? findParam(a, ['Status'], 3) : undefined;
    return typeof status === 'string' && status.toUpperCase() === 'SUPPRESSED';
  });

/** What the call turned off in Security Hub without disabling it (field names are PascalCase; read without case). */
const weakenings = (e: CloudTrailRecord): string[] => {
  const p = e.requestParameters;
  switch (e.eventName) {
    case 'BatchUpdateStandardsControlAssociations':
      return objects(findParam(p, ['StandardsControlAssociationUpdates'], 1)).flatMap((u) => {
        if (!isJsonObject(u)) return [];
        const status = findParam(u, ['AssociationStatus'], 1);
        const id = findParam(u, ['SecurityControlId'], 1);
        return typeof status === 'string' && status.toUpperCase() === 'DISABLED'
          ? [`control ${typeof id === 'string' ? id : '?'} disabled`]
          : [];
      });
    case 'UpdateSecurityHubConfiguration':
      return isFalse(findParam(p, ['AutoEnableControls'], 1)) ? ['new controls no longer enabled automatically'] : [];
    case 'CreateAutomationRule':
      return suppressesFindings(findParam(p, ['Actions'], 1)) ? ['automation rule suppresses findings'] : [];
    case 'BatchUpdateAutomationRules':
      return objects(findParam(p, ['UpdateAutomationRulesRequestItems'], 1)).some(
        (item) => isJsonObject(item) && suppressesFindings(findParam(item, ['Actions'], 1)),
      )
        ? ['automation rule changed to suppress findings']
        : [];
    default:
      return [];
  }
};

export const rule = defineRule({
  id: 'securityhub.controls-weakened',
  title: 'Security Hub blinded: controls disabled or findings auto-suppressed',
  severity: 'high',
  controls: ['A.8.16'],
  mitre: ['T1562.001'],
  on: { source: 'securityhub', eventNames: [...EVENTS] },
  match: (e) => isSuccess(e) && !isServiceInvoked(e) && weakenings(e).length > 0,
  explain: weakenings,
  dedup: { key: (e) => `${accountOf(e)}|${e.awsRegion}|securityhub-weakened` },
  resources: (e) => [resourceArn(e, 'securityhub', 'hub/default')],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'Security Hub stayed on but checks or shows less: security controls disabled through the consolidated-controls ' +
    'API, automatic enabling of new controls switched off, or an automation rule that sets matching findings to ' +
    'SUPPRESSED. (Disabling the hub, standards or a control through the older API is securityhub.disabled.)',
  runbook: [
    'List what is disabled: `aws securityhub list-standards-control-associations --security-control-id <id>`; read automation rules: `aws securityhub list-automation-rules`.',
    'Re-enable the controls or delete the suppressing automation rule unless a change record explains it.',
    'Look at findings suppressed since the change (`aws securityhub get-findings --filters WorkflowStatus=SUPPRESSED`).',
  ],
  rationale:
    'One successful call is enough. High: a suppressing automation rule hides findings from every consumer ' +
    'downstream, and disabling the CloudTrail, GuardDuty or IAM controls removes exactly the checks an intruder trips.',
  falsePositives: [
    'Controls that do not apply (documented reason in UpdatedReason) and automation rules that suppress known noise: suppress per rule name with a reason.',
  ],
  cases: () => [
    {
      name: 'a control disabled',
      expect: 'match',
      event: fixture('securityhub/BatchUpdateStandardsControlAssociations'),
    },
    {
      name: 'auto-enable of controls off',
      expect: 'match',
      event: fixture('securityhub/UpdateSecurityHubConfiguration'),
    },
    {
      name: 'automation rule suppresses findings',
      expect: 'match',
      event: fixture('securityhub/CreateAutomationRule'),
    },
    {
      name: 'automation rule only adds a note',
      expect: 'no-match',
      event: fixture('securityhub/CreateAutomationRule', {
        requestParameters: {
          Actions: [
            {
              Type: 'FINDING_FIELDS_UPDATE',
              FindingFieldsUpdate: { Note: { Text: 'owner: team-a', UpdatedBy: 'rule' } },
            },
          ],
        },
      }),
    },
    {
      name: 'a control re-enabled',
      expect: 'no-match',
      event: fixture('securityhub/BatchUpdateStandardsControlAssociations', {
        requestParameters: {
          StandardsControlAssociationUpdates: [
            {
              StandardsArn: 'arn:aws:securityhub:eu-west-1::standards/aws-foundational-security-best-practices/v/1.0.0',
              SecurityControlId: 'CloudTrail.1',
              AssociationStatus: 'ENABLED',
            },
          ],
        },
      }),
    },
    {
      name: 'CreateAutomationRule denied',
      expect: 'no-match',
      event: fixture('securityhub/CreateAutomationRule', {
        errorCode: 'AccessDeniedException',
        errorMessage:
          'User: arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/bob is not authorized to perform: securityhub:CreateAutomationRule',
        responseElements: null,
      }),
    },
  ],
};
