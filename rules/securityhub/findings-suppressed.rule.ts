import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord, JsonValue } from '../core/cloudtrail.ts';
import { accountOf, isJsonObject, isServiceInvoked, isSuccess, principalArn } from '../core/cloudtrail.ts';
import type { ApprovedProcess } from '../core/config.ts';
import { defineRule } from '../core/define-rule.ts';
import { globToRegExp } from '../core/glob.ts';
import { findParam } from '../core/policy-call.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { denied } from '../fixtures/overrides.ts';

/** One call hiding this many findings at once is a sweep, whatever product they came from. */
export const BULK_FINDINGS = 10;

/** Workflow states that take a finding off every "open findings" view. */
const CLOSING = new Set(['SUPPRESSED', 'RESOLVED']);

/**
 * Products whose findings are detections of activity (an attacker's own trail), not posture checks: AWS threat
 * detection and the account's own default product, where Trailwarden imports its findings.
 */
const DETECTION_PRODUCT = /:product\/(?:aws\/(?:guardduty|inspector|macie|access-analyzer)|(\d{12})\/default)$/;

const text = (v: JsonValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
const list = (v: JsonValue | undefined): JsonValue[] => (Array.isArray(v) ? v : []);

const identifiers = (e: CloudTrailRecord) =>
  list(findParam(e.requestParameters, ['FindingIdentifiers'], 1)).flatMap((f) =>
    isJsonObject(f)
      ? [{ id: text(findParam(f, ['Id'], 1)), product: text(findParam(f, ['ProductArn'], 1)) ?? '' }]
      : [],
  );

const isDetectionProduct = (productArn: string): boolean => DETECTION_PRODUCT.test(productArn);

/** What the call hid, or undefined when it hid nothing that matters (see the rationale). */
const hidden = (e: CloudTrailRecord): string | undefined => {
  if (e.eventName === 'UpdateFindings') {
    // The legacy API archives every finding its filters match: how many is not in the record.
    const state = text(findParam(e.requestParameters, ['RecordState'], 1));
    return state?.toUpperCase() === 'ARCHIVED'
      ? 'every finding matching the filters archived (UpdateFindings)'
      : undefined;
  }
  const flow = findParam(e.requestParameters, ['Workflow'], 1);
  const workflow = isJsonObject(flow) ? text(findParam(flow, ['Status'], 1)) : undefined;
  if (workflow === undefined || !CLOSING.has(workflow.toUpperCase())) return undefined;
  const ids = identifiers(e);
  const detections = ids.filter((f) => isDetectionProduct(f.product));
  if (detections.length > 0) {
    const products = [...new Set(detections.map((f) => f.product.replace(/^.*:product\//, '')))].join(', ');
    return `${detections.length} threat-detection finding(s) set to ${workflow.toUpperCase()} (${products})`;
  }
  return ids.length >= BULK_FINDINGS
    ? `${ids.length} findings set to ${workflow.toUpperCase()} in one call`
    : undefined;
};

/** SOAR and ticketing roles that close findings for the analysts: approved automation roles, by principal. */
const isApprovedTriage = (e: CloudTrailRecord, approved: ApprovedProcess): boolean =>
  approved.automationRoles.some((glob) => globToRegExp(glob).test(principalArn(e)));

export const rule = defineRule({
  id: 'securityhub.findings-suppressed',
  title: 'Security Hub findings suppressed or archived: detections hidden',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.16'],
  mitre: ['T1562.001', 'T1070'],
  on: { source: 'securityhub', eventNames: ['BatchUpdateFindings', 'UpdateFindings'] },
  match: (e, ctx) =>
    isSuccess(e) && !isServiceInvoked(e) && !isApprovedTriage(e, ctx.config.approved) && hidden(e) !== undefined,
  explain: (e) => [hidden(e) ?? 'findings updated', `by ${principalArn(e)}, not an approved automation role`],
  resources: (e) => {
    const ids = identifiers(e).flatMap((f) => (f.id === undefined ? [] : [f.id]));
    return ids.length > 0 ? ids.slice(0, 20) : [resourceArn(e, 'securityhub', 'hub/default')];
  },
  dedup: { key: (e) => `${accountOf(e)}|${e.awsRegion}|${principalArn(e)}|findings-suppressed` },
});

const CSPM = 'arn:aws:securityhub:eu-west-1::product/aws/securityhub';
const controlFinding = (n: number) => ({
  Id: `arn:aws:securityhub:eu-west-1:111122223333:subscription/aws-foundational-security-best-practices/v/1.0.0/EC2.18/finding/0a1b2c3d-4e5f-4a6b-8c7d-${String(n).padStart(12, '0')}`,
  ProductArn: CSPM,
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'Security Hub findings were taken off the open views by someone other than an approved automation role: ' +
    'threat-detection findings (GuardDuty, Inspector, Macie, IAM Access Analyzer, or the account’s own product, ' +
    'where Trailwarden imports) set to SUPPRESSED or RESOLVED, 10 or more findings of any product ' +
    'closed in one BatchUpdateFindings call, or findings archived wholesale through the legacy UpdateFindings filter.',
  runbook: [
    'List what was closed: the finding ids are in the finding’s resources; `aws securityhub get-findings --filters \'{"Id":[{"Value":"<id>","Comparison":"EQUALS"}]}\'` shows each one and its note.',
    'Reopen anything not explained: `aws securityhub batch-update-findings --finding-identifiers Id=<id>,ProductArn=<product> --workflow Status=NEW`; for UpdateFindings, set RecordState back to ACTIVE with the same filters.',
    'Read the hidden detections first: a principal that suppresses GuardDuty findings about itself is the intruder those findings describe.',
    'If the actor is a SOAR or ticketing integration, add its role to approved.automationRoles; otherwise revoke its sessions.',
  ],
  rationale:
    'Analysts close findings every day, so closing alone is not a finding. What Sigma’s aws_securityhub_finding_evasion ' +
    'matches on every call is narrowed to what an intruder does and an analyst rarely does by hand: hiding detections of ' +
    'activity (threat-detection products and the account’s own product, whose findings describe an attacker, not a ' +
    'posture gap), or sweeping 10+ findings at once (BULK_FINDINGS). CloudTrail records only the finding ids and product ARNs, ' +
    'not their severities, so "high and critical only" cannot be judged from the event; the product can. Trailwarden’s ' +
    'own importer may only call BatchImportFindings, so any BatchUpdateFindings is somebody else’s. Medium, high on ' +
    'high-criticality accounts. A record without request parameters is treated as a suppression. Insights ' +
    '(DeleteInsight, UpdateInsight) are saved searches: deleting one hides no finding, so they are not watched.',
  falsePositives: [
    'An analyst resolving GuardDuty findings after investigating them by hand: the finding lets the team confirm it; a SOAR role doing it belongs in approved.automationRoles.',
    'Bulk clean-up of posture findings after a standard is retired.',
  ],
  cases: () => [
    {
      name: "legacy UpdateFindings without a RecordState (Panther's test record): nothing archived",
      expect: 'no-match',
      event: fixture('securityhub/UpdateFindings-panther'),
    },
    {
      name: 'GuardDuty findings suppressed by an operator session',
      expect: 'match',
      event: fixture('securityhub/BatchUpdateFindings'),
    },
    {
      name: 'findings archived wholesale with the legacy API',
      expect: 'match',
      event: fixture('securityhub/UpdateFindings'),
    },
    {
      name: 'a sweep of control findings resolved',
      expect: 'match',
      event: fixture('securityhub/BatchUpdateFindings', {
        requestParameters: {
          FindingIdentifiers: Array.from({ length: BULK_FINDINGS }, (_, i) => controlFinding(i)),
          Workflow: { Status: 'RESOLVED' },
        },
      }),
    },
    {
      name: 'one control finding suppressed (a documented exception)',
      expect: 'no-match',
      event: fixture('securityhub/BatchUpdateFindings', {
        requestParameters: {
          FindingIdentifiers: Array.from({ length: BULK_FINDINGS - 1 }, (_, i) => controlFinding(i)),
          Workflow: { Status: 'SUPPRESSED' },
        },
      }),
    },
    {
      name: 'GuardDuty findings only annotated (NOTIFIED)',
      expect: 'no-match',
      event: fixture('securityhub/BatchUpdateFindings', {
        requestParameters: { Workflow: { Status: 'NOTIFIED' } },
      }),
    },
    {
      name: 'the SOAR role closes them (approved automation)',
      expect: 'no-match',
      config: {
        approved: {
          automationRoles: ['arn:aws:iam::111122223333:role/OrganizationAccountAccessRole'],
          iacUserAgents: [],
        },
      },
      event: fixture('securityhub/BatchUpdateFindings'),
    },
    {
      name: 'suppression refused',
      expect: 'no-match',
      event: fixture(
        'securityhub/BatchUpdateFindings',
        denied('AccessDeniedException', 'securityhub:BatchUpdateFindings'),
      ),
    },
    {
      name: 'findings restored to ACTIVE with the legacy API',
      expect: 'no-match',
      event: fixture('securityhub/UpdateFindings', { requestParameters: { RecordState: 'ACTIVE' } }),
    },
  ],
};
