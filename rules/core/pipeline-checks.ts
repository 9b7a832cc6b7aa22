import { DRILL_RULES } from './drill-run.ts';
import { HEALTH_RULES } from './health.ts';
import { INTEGRITY_RULES } from './integrity.ts';
import type { CheckMeta } from './types.ts';

/**
 * Findings Trailwarden raises about itself rather than about an event a rule selects: the pipeline's health,
 * events that lie about themselves, and whether the alerts were shown to fire. Listed here, beside the catalogue,
 * so `docs/RULES.md` documents every finding id on-call can be paged with (a test checks no registry is left out).
 */
export interface PipelineCheckGroup {
  readonly name: string;
  /** Which function raises them, and when. */
  readonly raisedBy: string;
  readonly checks: Readonly<Record<string, CheckMeta>>;
}

export const PIPELINE_CHECKS: readonly PipelineCheckGroup[] = [
  {
    name: 'Pipeline health',
    raisedBy:
      'the health function, on its schedule (hourly by default): live CloudTrail and Config status read with ' +
      'read-only calls, the dead-man switch over the last event received per account and region, and accounts ' +
      'of the organisation that never sent one',
    checks: HEALTH_RULES,
  },
  {
    name: 'Events that lie about themselves',
    raisedBy:
      'the evaluate function, for any event it receives, whatever rules select it: a drill marker without a ' +
      'valid signature, or a time later than the event was received',
    checks: INTEGRITY_RULES,
  },
  {
    name: 'Alert drills',
    raisedBy:
      'the drill function (a drill whose rules did not page, archive and resolve within their SLA) and the ' +
      'health function (no passing drill on record for longer than the configured period)',
    checks: DRILL_RULES,
  },
];

/** Every pipeline check as [id, meta, group], in registry order. */
export const pipelineChecks = (): readonly (readonly [string, CheckMeta, PipelineCheckGroup])[] =>
  PIPELINE_CHECKS.flatMap((g) => Object.entries(g.checks).map(([id, meta]) => [id, meta, g] as const));
