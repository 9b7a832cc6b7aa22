import { actorArn } from './cloudtrail.ts';
import type { Actor, Finding } from './finding.ts';
import { findingId } from './finding.ts';
import type { AuditEvent, Rule, RuleContext, RuleText, Severity, WindowSpec } from './types.ts';

export interface FindingParts {
  readonly rule: Rule;
  readonly event: AuditEvent;
  readonly ctx: RuleContext;
  /**
   * Computed by the engine under its guard (`MatchFacts`), so building a rule's finding calls no rule code;
   * absent only for findings the detector raises itself.
   */
  readonly resources?: readonly string[];
  readonly details?: readonly string[];
  readonly groupKey: string;
  /** What makes the id unique besides the rule: the event id (single-event rules) or the group key. */
  readonly idKey: string;
  readonly windowStartMs: number;
  readonly eventIds: readonly string[];
  readonly firstSeenMs: number;
  readonly lastSeenMs: number;
  readonly threshold: WindowSpec | null;
  /** What the rule detects and its runbook (from the rule's docs); undefined when the text cannot be found. */
  readonly text: RuleText | undefined;
}

/** A finding never goes out without a runbook: when the text is missing it says where the rule is documented. */
const textOf = (p: FindingParts): RuleText =>
  p.text ?? {
    description: p.rule.title,
    runbook: [`Follow the runbook of ${p.rule.id} in docs/RULES.md (its text was not available here).`],
  };

export const severityFor = (rule: Rule, ctx: RuleContext): Severity =>
  rule.escalation[ctx.criticality] ?? rule.severity;

export const actorOf = (e: AuditEvent): Actor => {
  if (e.kind !== 'cloudtrail') return { arn: 'arn:aws:iam::aws:service/config.amazonaws.com', type: 'AWSService' };
  const { userIdentity, sourceIPAddress, userAgent } = e.record;
  const userName = userIdentity.userName ?? userIdentity.sessionContext?.sessionIssuer?.userName;
  return {
    arn: actorArn(e.record),
    type: userIdentity.type ?? 'Unknown',
    ...(userName ? { userName } : {}),
    ...(sourceIPAddress ? { sourceIp: sourceIPAddress } : {}),
    ...(userAgent ? { userAgent } : {}),
  };
};

export const eventNameOf = (e: AuditEvent): string => {
  switch (e.kind) {
    case 'cloudtrail':
      return e.record.eventName;
    case 'config-item-change':
      return `ConfigurationItemChange:${e.detail.configurationItem.resourceType}`;
    case 'config-compliance-change':
      return `ComplianceChange:${e.detail.configRuleName}`;
  }
};

/** A rule's explanation must never cost a finding: a throwing `explain` is reported inside the details. */
const detailsOf = (p: FindingParts): readonly string[] => {
  try {
    return p.rule.explain(p.event, p.ctx);
  } catch (err) {
    return [`(explanation failed: ${err instanceof Error ? err.message : String(err)})`];
  }
};

export const buildFinding = (p: FindingParts): Finding => {
  const details = p.details ?? detailsOf(p);
  const text = textOf(p);
  return {
    schema: 'trailwarden.finding/v1',
    id: findingId(p.rule.id, p.idKey, p.windowStartMs),
    ruleId: p.rule.id,
    title: p.rule.title,
    description: text.description,
    severity: severityFor(p.rule, p.ctx),
    criticality: p.ctx.criticality,
    controls: p.rule.controls,
    mitre: p.rule.mitre,
    account: p.event.account,
    region: p.event.region,
    actor: actorOf(p.event),
    resources: p.resources ?? p.rule.resources(p.event),
    eventIds: p.eventIds,
    eventName: eventNameOf(p.event),
    groupKey: p.groupKey,
    firstSeen: new Date(p.firstSeenMs).toISOString(),
    lastSeen: new Date(p.lastSeenMs).toISOString(),
    count: p.eventIds.length,
    threshold: p.threshold,
    runbook: text.runbook,
    ...(details.length > 0 ? { details } : {}),
    drill: p.event.drill === true,
    ...(p.event.replay === undefined ? {} : { replay: p.event.replay }),
  };
};
