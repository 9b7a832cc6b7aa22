import type { DetectionConfig } from './config.ts';
import { DEFAULT_DETECTION_CONFIG } from './config.ts';
import type { Catalogue } from './engine.ts';
import { contextFor } from './engine.ts';
import type { ParsedEvent } from './events.ts';
import { fromEnvelope, fromRecord } from './events.ts';
import { EMPTY_HISTORY } from './history.ts';
import { preparedHistory, prepareErrors } from './prepare.ts';
import type { AuditEvent, Rule, RuleCase } from './types.ts';
import { isCloudTrailSelector } from './types.ts';

export type CaseResult = { readonly kind: 'pass' } | { readonly kind: 'fail'; readonly reason: string };

/** Wrap a case's payload the way it would arrive: a CloudTrail record, or a Config `detail` in its envelope. */
export const caseEvent = (rule: Rule, c: RuleCase): ParsedEvent => {
  if (isCloudTrailSelector(rule.on)) return fromRecord(c.event);
  const detailType =
    rule.on.source === 'config.item-change' ? 'Config Configuration Item Change' : 'Config Rules Compliance Change';
  return fromEnvelope({
    id: `case-${rule.id}-${c.name}`,
    'detail-type': detailType,
    source: 'aws.config',
    account: '111122223333',
    region: 'us-east-1',
    time: '2026-11-02T10:00:00Z',
    detail: c.event,
  });
};

/** Run one inline case through the real path: dispatch selection, then the predicate. */
export const runCase = (
  catalogue: Catalogue,
  rule: Rule,
  c: RuleCase,
  base: DetectionConfig = DEFAULT_DETECTION_CONFIG,
): CaseResult => {
  const parsed = caseEvent(rule, c);
  if (!parsed.ok) return { kind: 'fail', reason: `case event does not parse: ${parsed.error}` };
  const event: AuditEvent = parsed.event;
  const unprepared = c.prepare === undefined ? [] : prepareErrors(rule, c.prepare);
  if (unprepared.length > 0) return { kind: 'fail', reason: `case preparation: ${unprepared.join('; ')}` };
  const config = c.config ? { ...base, ...c.config } : base;
  const selected = catalogue.candidates(event).includes(rule);
  let matched = false;
  if (selected) {
    const ctx = contextFor(config, event, rule.resources(event), c.intel);
    try {
      // A backdated preparation is judged by the memory it builds, with the case's own intel: what the drill
      // sends is then what the case proves.
      const history =
        c.history ??
        (c.prepare === undefined ? undefined : preparedHistory(rule, c.prepare, event, c.intel ?? {})) ??
        EMPTY_HISTORY;
      const withHistory = rule.history === null ? ctx : { ...ctx, history };
      matched = rule.match(event, c.criticality ? { ...withHistory, criticality: c.criticality } : withHistory);
    } catch (err) {
      return { kind: 'fail', reason: `rule threw: ${err instanceof Error ? err.message : String(err)}` };
    }
  }
  const got = matched ? 'match' : 'no-match';
  if (got === c.expect) return { kind: 'pass' };
  const why = selected ? '' : ' (the rule was not selected for this event: check `on`)';
  return { kind: 'fail', reason: `expected ${c.expect}, got ${got}${why}` };
};
