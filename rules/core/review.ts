import type { Finding } from './finding.ts';
import type { ResponseView } from './response.ts';
import type { CatalogueRule, RuleMetrics, TuningMetrics } from './tuning.ts';
import { FALSE_POSITIVE_LINE } from './tuning.ts';

/**
 * The quarterly threshold review (issue 10 §4, DESIGN §6): the evidence that thresholds are reviewed on data.
 * Per rule: volume, false-positive rate, SLA results, a suggested change where the rule is above the line,
 * whether it matched nothing for 90 days, its owner; and when the next review is due. Pure.
 */
export const REVIEW_SCHEMA = 'trailwarden.review/v1';
export const REVIEW_PREFIX = 'reviews/';
export const SILENT_DAYS = 90;
const DAY_MS = 86_400_000;

export interface Quarter {
  readonly quarter: string;
  /** Inclusive UTC days. */
  readonly from: string;
  readonly to: string;
  /** The first day after the next quarter: the next review is due by then. */
  readonly nextReview: string;
}

const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** `2026-Q4` → its days and the next review date, else undefined. */
export const parseQuarter = (text: string): Quarter | undefined => {
  const m = /^(\d{4})-Q([1-4])$/.exec(text);
  if (m === null) return undefined;
  const year = Number(m[1]);
  const q = Number(m[2]);
  const start = Date.UTC(year, (q - 1) * 3, 1);
  const end = Date.UTC(year, q * 3, 1);
  return { quarter: text, from: day(start), to: day(end - DAY_MS), nextReview: day(Date.UTC(year, q * 3 + 3, 1)) };
};

export interface ReviewRule {
  readonly ruleId: string;
  readonly owner: string;
  readonly findings: number;
  readonly incidents: number;
  readonly pages: number;
  readonly suppressed: number;
  readonly falsePositiveRate: number | null;
  readonly falsePositives: number;
  readonly resolved: number;
  readonly aboveLine: boolean;
  readonly mttaSeconds: number | null;
  readonly mttrSeconds: number | null;
  readonly ackWithinSla: number;
  readonly ackPastSla: number;
  readonly resolvedWithinSla: number;
  readonly resolvedPastSla: number;
  readonly openPastSla: number;
  readonly missed: number;
  /** The latest finding of the rule in the evidence, at or before the quarter's end. */
  readonly lastFinding: string | null;
  /** No finding in the 90 days up to the quarter's end: a candidate to retire (or a blind spot to test). */
  readonly silent: boolean;
  readonly suggestion: string | null;
}

export interface Review {
  readonly schema: typeof REVIEW_SCHEMA;
  readonly quarter: string;
  readonly from: string;
  readonly to: string;
  readonly asOf: string;
  readonly falsePositiveLine: number;
  readonly silentDays: number;
  readonly rules: readonly ReviewRule[];
  readonly aboveLine: readonly string[];
  readonly silent: readonly string[];
  readonly nextReview: string;
}

const actorOf = (f: Finding): string => f.actor?.arn || f.actor?.userName || f.actor?.sourceIp || 'unknown';

/**
 * What the data suggests for a rule above the line: a threshold rule whose false positives all stayed below some
 * count gets that count; otherwise a suppression scoped to the principal most of its false positives came from,
 * dated to the next review so it cannot outlive the evidence it rests on.
 */
export const suggestChange = (
  m: RuleMetrics,
  rule: CatalogueRule | undefined,
  falsePositives: readonly Finding[],
  nextReview: string,
): string | null => {
  if (!m.flagged)
    return m.missed > 0 ? `${m.missed} missed detection(s): check the rule still sees what it should` : null;
  const threshold = rule?.threshold ?? null;
  const trueCounts = m.resolved - m.falsePositives;
  if (threshold !== null && threshold !== undefined && falsePositives.length > 0) {
    const most = Math.max(...falsePositives.map((f) => f.count));
    if (most >= threshold.count) {
      return `raise threshold.count from ${threshold.count} to ${most + 1} in ${threshold.windowSeconds} s: every false positive had at most ${most} events (check the ${trueCounts} true positive(s) still reach it)`;
    }
  }
  const byActor = new Map<string, number>();
  for (const f of falsePositives) byActor.set(actorOf(f), (byActor.get(actorOf(f)) ?? 0) + 1);
  const top = [...byActor.entries()].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))[0];
  if (top === undefined) return 'review the rule: false positives without findings to learn from';
  const [actor, n] = top;
  return `suppress ${m.ruleId} for principal ${actor} (${n} of ${falsePositives.length} false positives), reason from the verdict notes, expires ${nextReview}`;
};

export const buildReview = (input: {
  readonly quarter: Quarter;
  /** Metrics over the quarter. */
  readonly metrics: TuningMetrics;
  /** The whole evidence (the 90-day silence looks back past the quarter's start). */
  readonly view: ResponseView;
  readonly catalogue: readonly CatalogueRule[];
}): Review => {
  const { quarter, metrics, view } = input;
  const end = Date.parse(`${quarter.to}T00:00:00Z`) + DAY_MS;
  const catalogue = new Map(input.catalogue.map((r) => [r.id, r]));
  const all = view.cases.flatMap((c) => c.findings).filter((f) => !f.drill);
  const last = new Map<string, string>();
  for (const f of all) {
    if (Date.parse(f.firstSeen) >= end) continue;
    if ((last.get(f.ruleId) ?? '') < f.lastSeen) last.set(f.ruleId, f.lastSeen);
  }
  const inQuarter = (f: Finding): boolean =>
    Date.parse(f.firstSeen) >= Date.parse(`${quarter.from}T00:00:00Z`) && Date.parse(f.firstSeen) < end;
  const rules: ReviewRule[] = metrics.rules.map((m) => {
    const lastFinding = last.get(m.ruleId) ?? null;
    const fps = all.filter(
      (f) => f.ruleId === m.ruleId && inQuarter(f) && view.findingState.get(f.id)?.verdict === 'false-positive',
    );
    return {
      ruleId: m.ruleId,
      owner: catalogue.get(m.ruleId)?.owner ?? 'unknown',
      findings: m.findings,
      incidents: m.incidents,
      pages: m.pages,
      suppressed: m.suppressed,
      falsePositiveRate: m.falsePositiveRate,
      falsePositives: m.falsePositives,
      resolved: m.resolved,
      aboveLine: m.flagged,
      mttaSeconds: m.mttaSeconds,
      mttrSeconds: m.mttrSeconds,
      ackWithinSla: m.ackWithinSla,
      ackPastSla: m.ackPastSla,
      resolvedWithinSla: m.resolvedWithinSla,
      resolvedPastSla: m.resolvedPastSla,
      openPastSla: m.openPastSla,
      missed: m.missed,
      lastFinding,
      silent: lastFinding === null || Date.parse(lastFinding) < end - SILENT_DAYS * DAY_MS,
      suggestion: suggestChange(m, catalogue.get(m.ruleId), fps, quarter.nextReview),
    };
  });
  return {
    schema: REVIEW_SCHEMA,
    quarter: quarter.quarter,
    from: quarter.from,
    to: quarter.to,
    asOf: metrics.asOf,
    falsePositiveLine: FALSE_POSITIVE_LINE,
    silentDays: SILENT_DAYS,
    rules,
    aboveLine: rules.filter((r) => r.aboveLine).map((r) => r.ruleId),
    silent: rules.filter((r) => r.silent).map((r) => r.ruleId),
    nextReview: quarter.nextReview,
  };
};

const pct = (r: number | null): string => (r === null ? '-' : `${(r * 100).toFixed(1)} %`);
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');

/** The review for the ISMS, as Markdown. */
export const renderReviewMarkdown = (r: Review): string => {
  const active = r.rules.filter((x) => x.findings > 0 || x.missed > 0);
  const lines = [
    `# Trailwarden threshold review ${r.quarter}`,
    '',
    `- Period: ${r.from} to ${r.to} (UTC), measured as of ${r.asOf}`,
    `- False-positive line: ${r.falsePositiveLine * 100} %; silent: no finding for ${r.silentDays} days up to ${r.to}`,
    `- Rules with findings or missed detections: ${active.length} of ${r.rules.length}`,
    `- Next review due: ${r.nextReview}`,
    '',
    '## Volume, false positives and SLA per rule',
    '',
    '| Rule | Owner | Findings | Incidents | Pages | FP rate | Ack within SLA | Resolved within SLA | Open past SLA | Missed |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...active.map(
      (x) =>
        `| ${cell(x.ruleId)} | ${cell(x.owner)} | ${x.findings} | ${x.incidents} | ${x.pages} | ${pct(x.falsePositiveRate)}${x.aboveLine ? ' **above line**' : ''} | ${x.ackWithinSla}/${x.ackWithinSla + x.ackPastSla} | ${x.resolvedWithinSla}/${x.resolvedWithinSla + x.resolvedPastSla} | ${x.openPastSla} | ${x.missed} |`,
    ),
    ...(active.length === 0 ? ['| (none) | | | | | | | | | |'] : []),
    '',
    `## Above the ${r.falsePositiveLine * 100} % line: suggested changes`,
    '',
    ...(r.rules.some((x) => x.suggestion !== null)
      ? r.rules.filter((x) => x.suggestion !== null).map((x) => `- **${x.ruleId}** (owner ${x.owner}): ${x.suggestion}`)
      : ['None: every rule with verdicts is at or below the line.']),
    '',
    `## Silent for ${r.silentDays} days (candidates to retire, or to drill)`,
    '',
    ...(r.silent.length === 0
      ? ['None.']
      : r.rules
          .filter((x) => x.silent)
          .map((x) => `- ${x.ruleId} (owner ${x.owner}; last finding ${x.lastFinding ?? 'never in this evidence'})`)),
    '',
    '## Sign-off',
    '',
    '| Role | Name | Date | Decision |',
    '| --- | --- | --- | --- |',
    '| Rule owner | | | |',
    '| ISMS manager | | | |',
  ];
  return `${lines.join('\n')}\n`;
};
