import type { CloudTrailRecord } from './cloudtrail.ts';
import { principalArn } from './cloudtrail.ts';
import type { AuditEvent, EventOf, EventSelector, Rule, RuleDefinition } from './types.ts';

const DEFAULT_DEDUP_SECONDS = 3600;
const DEFAULT_HISTORY_MAX = 200;

/** The payload a rule's own functions receive: the CloudTrail record, or the Config `detail`. */
export const payloadOf = (e: AuditEvent): unknown => (e.kind === 'cloudtrail' ? e.record : e.detail);

/** Repeats by the same principal in the same account fold together unless a rule says otherwise. */
const defaultDedupKey = (e: AuditEvent): string =>
  e.kind === 'cloudtrail' ? `${e.account}|${principalArn(e.record)}` : `${e.account}|${resourceOfConfig(e)}`;

const resourceOfConfig = (e: AuditEvent): string => {
  if (e.kind === 'config-item-change') {
    return e.detail.configurationItem.ARN ?? e.detail.configurationItem.resourceId ?? 'unknown';
  }
  if (e.kind === 'config-compliance-change') return `${e.detail.configRuleName}|${e.detail.resourceId ?? 'unknown'}`;
  return 'unknown';
};

const defaultResources = (e: AuditEvent): readonly string[] => {
  if (e.kind !== 'cloudtrail') return [resourceOfConfig(e)];
  const arns = (e.record.resources ?? []).flatMap((r) => (r.ARN ? [r.ARN] : []));
  return arns;
};

/**
 * Turn a typed rule definition into a catalogue entry. The selector decides the payload type the rule's
 * functions see; the engine only hands a rule events its selector admits, so the cast below is sound.
 */
export const defineRule = <const S extends EventSelector>(def: RuleDefinition<S>): Rule => {
  const lift =
    <R>(fn: (e: EventOf<S>) => R) =>
    (e: AuditEvent): R =>
      fn(payloadOf(e) as EventOf<S>);
  const { threshold, dedup, history } = def;
  return {
    id: def.id,
    title: def.title,
    severity: def.severity,
    escalation: def.escalation ?? {},
    controls: def.controls,
    mitre: def.mitre,
    on: def.on,
    threshold: threshold
      ? {
          count: threshold.count,
          windowSeconds: threshold.windowSeconds,
          byCriticality: threshold.byCriticality,
          groupBy: lift(threshold.groupBy),
          distinct: threshold.distinct ? lift(threshold.distinct) : undefined,
        }
      : null,
    history: history
      ? {
          key: lift(history.key),
          remember: lift(history.remember),
          spec: {
            retainMs: history.retainSeconds * 1000,
            distinctValues: history.distinctValues ?? false,
            max: history.max ?? DEFAULT_HISTORY_MAX,
          },
        }
      : null,
    dedup: {
      key: dedup ? lift(dedup.key) : defaultDedupKey,
      windowSeconds: dedup?.windowSeconds ?? DEFAULT_DEDUP_SECONDS,
    },
    match: (e, ctx) => def.match(payloadOf(e) as EventOf<S>, ctx),
    resources: def.resources ? lift(def.resources) : defaultResources,
    explain: def.explain ? (e, ctx) => def.explain?.(payloadOf(e) as EventOf<S>, ctx) ?? [] : () => [],
    owner: def.owner ?? 'security-engineering',
  };
};

/** Convenience for CloudTrail rules that group by the acting principal. */
export const byPrincipal = (e: CloudTrailRecord): string => principalArn(e);
