import { randomUUID } from 'node:crypto';
import type { DetectionConfig } from '../../rules/core/config.ts';
import type { DrillPlan, DrillSkip } from '../../rules/core/drill.ts';
import { planDrill, SEQUENCE_DELAY_SECONDS } from '../../rules/core/drill.ts';
import type { DrillRuleResult, DrillRunRecord, DrillsConfig } from '../../rules/core/drill-run.ts';
import { buildDrillRun, drillRunBody, drillRunKey, slaSecondsFor, slaVerdict } from '../../rules/core/drill-run.ts';
import { findingRevisionKey } from '../../rules/core/evidence.ts';
import type { Finding } from '../../rules/core/finding.ts';
import type { ObservationDrillPlan } from '../../rules/core/observation-drill.ts';
import { OBSERVATION_DRILLS, planElevatedDrill } from '../../rules/core/observation-drill.ts';
import type { Clock } from '../../rules/core/ports.ts';
import type { Rule, RuleDocs } from '../../rules/core/types.ts';
import type { ElevatedReport } from '../elevated-access/elevated-access.ts';
import type { Telemetry } from '../shared/telemetry.ts';

/** Sends drill messages onto the evaluate function's own queue: the real path, not a side door. */
export interface DrillQueue {
  /**
   * Sends the bodies; resolves with the epoch ms the send completed. `lastDelaySeconds`: the last body is delivered
   * that much later (a sequence's last event must be judged after the others were remembered).
   */
  send(bodies: readonly string[], options?: { readonly lastDelaySeconds?: number }): Promise<number>;
}

/** One message from the drill-only subscription (SNS → SQS, filtered on the `drill` attribute). */
export interface DrillPage {
  readonly receipt: string;
  readonly ruleId?: string;
  readonly drill: boolean;
  /** When SNS published it (its envelope's `Timestamp`). */
  readonly publishedMs: number;
  /** The finding the message carries (the JSON that closes the notifier's body). */
  readonly finding?: Finding;
}

export interface PageReader {
  /** Waits up to `waitSeconds` for pages (long polling); [] when none came. */
  receive(waitSeconds: number): Promise<readonly DrillPage[]>;
  /** Removes handled pages from the drill queue. */
  done(receipts: readonly string[]): Promise<void>;
}

/** Whether the finding's evidence object exists, and when S3 wrote it (LastModified). */
export interface EvidenceProbe {
  archivedAt(key: string): Promise<number | undefined>;
}

/**
 * The elevated-access check, invoked with one signed drill observation (rules/core/observation-drill.ts) the way
 * `drill --invoke --elevated-function` does (RequestResponse); resolves with its report.
 */
export interface ElevatedInvoker {
  invoke(message: Record<string, unknown>): Promise<ElevatedReport>;
}

export interface DrillRecordStore {
  /** Writes the record once (IfNoneMatch); the key is new per run. */
  put(key: string, body: string): Promise<void>;
}

export interface DrillDeps {
  /** The rules with the cases drills are planned from (the function: `drill-cases.json`). */
  readonly rules: readonly (readonly [Rule, RuleDocs])[];
  /** The detection config the deployed evaluate function runs (drills are planned against it). */
  readonly detection: DetectionConfig;
  readonly drills: DrillsConfig;
  readonly drillKey: () => Promise<string>;
  readonly queue: DrillQueue;
  readonly pages: PageReader;
  readonly evidence: EvidenceProbe;
  readonly records: DrillRecordStore;
  readonly clock: Clock;
  readonly sleep: (ms: number) => Promise<void>;
  readonly telemetry: Telemetry;
  readonly newRunId?: () => string;
  /**
   * The elevated-access check to drill (absent: the check is not deployed, or not wired to the drill). Its drill
   * is two signed observations: the first must page and archive a drill finding, the second must resolve it.
   */
  readonly elevated?: ElevatedInvoker;
}

/** What started the run: the EventBridge schedule, or a direct invoke (optionally naming rules). */
export interface DrillInput {
  readonly source?: string;
  readonly 'detail-type'?: string;
  readonly rules?: readonly string[];
  readonly trigger?: DrillRunRecord['trigger'];
}

export interface DrillOutcome {
  readonly record: DrillRunRecord;
  readonly key: string;
}

const FINDING_JSON = '--- finding JSON ---';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * One SQS message body of the drill queue: the SNS envelope (raw delivery off, so the attributes and the publish
 * time travel with it). Anything else is a page that cannot count: undefined.
 */
export const parseDrillPage = (receipt: string, body: string): DrillPage | undefined => {
  let envelope: unknown;
  try {
    envelope = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!isObject(envelope) || typeof envelope.Message !== 'string') return undefined;
  const attrs = isObject(envelope.MessageAttributes) ? envelope.MessageAttributes : {};
  const attr = (name: string): string | undefined => {
    const a = attrs[name];
    return isObject(a) && typeof a.Value === 'string' ? a.Value : undefined;
  };
  const publishedMs = typeof envelope.Timestamp === 'string' ? Date.parse(envelope.Timestamp) : Number.NaN;
  if (Number.isNaN(publishedMs)) return undefined;
  const at = envelope.Message.lastIndexOf(FINDING_JSON);
  let finding: Finding | undefined;
  if (at >= 0) {
    try {
      const parsed = JSON.parse(envelope.Message.slice(at + FINDING_JSON.length).trim()) as unknown;
      if (isObject(parsed) && typeof parsed.id === 'string') finding = parsed as unknown as Finding;
    } catch {
      finding = undefined;
    }
  }
  const ruleId = attr('ruleId');
  return {
    receipt,
    drill: attr('drill') === 'true',
    publishedMs,
    ...(ruleId === undefined ? {} : { ruleId }),
    ...(finding === undefined ? {} : { finding }),
  };
};

/** What a pending drill is waiting for: one rule's page and archived finding. */
interface Drilled {
  readonly ruleId: string;
  readonly severity: DrillPlan['severity'];
  readonly caseName: string;
  readonly eventIds: readonly string[];
  /** The finding the drill already knows it raised (an observation drill's first step): its page is awaited. */
  readonly findingId?: string;
}

interface Pending {
  readonly plan: Drilled;
  readonly sentMs: number;
  page?: DrillPage;
  key?: string;
  archivedMs?: number;
  sendError?: string;
  /** A step to run once paged and archived (the observation drill's resolve step); resolves with an error or undefined. */
  readonly after?: (findingId: string) => Promise<string | undefined>;
  afterError?: string;
  afterDone?: boolean;
}

const drilledOf = (p: DrillPlan): Drilled => ({
  ruleId: p.rule.id,
  severity: p.severity,
  caseName: p.caseName,
  eventIds: p.eventIds,
});

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * A drill run: plan (the same planner as `trailwarden drill`), send every rule's signed drill events onto the
 * evaluate queue, then read the drill-only subscription until every rule's page arrived and its finding is in the
 * evidence bucket, or the wait runs out. The record goes under `drills/` (chained by the digest); the health
 * function turns a failed run into a high finding (`trailwarden.drill-failed`) paged like any other.
 *
 * Why one function that polls, not a Step Functions loop: a healthy pipeline pages within seconds and the wait is
 * bounded (`maxWaitMinutes` ≤ 13, under Lambda's 15-minute limit); ReceiveMessage long-polls, so the function
 * idles on SQS rather than spinning. A state machine would add a second principal, role and failure mode to audit
 * for a loop that ends in minutes.
 */
export const createHandler =
  (deps: DrillDeps) =>
  async (input: DrillInput = {}): Promise<DrillOutcome> => {
    const { telemetry, drills } = deps;
    const startedMs = deps.clock.now();
    const runId = (deps.newRunId ?? (() => `drill-${randomUUID()}`))();
    const trigger: DrillRunRecord['trigger'] =
      input.trigger ??
      (input.source === 'aws.events' || input['detail-type'] === 'Scheduled Event' ? 'schedule' : 'on-demand');
    const wanted = (input.rules ?? []).length > 0 ? (input.rules ?? []) : drills.rules;
    const rules = wanted.length > 0 ? deps.rules.filter(([r]) => wanted.includes(r.id)) : deps.rules;
    const results: DrillRuleResult[] = [];
    const observed = (id: string) => deps.elevated !== undefined && OBSERVATION_DRILLS.some((o) => o.ruleId === id);
    for (const id of wanted.filter((w) => !deps.rules.some(([r]) => r.id === w) && !observed(w))) {
      results.push({ ruleId: id, status: 'skipped', detail: 'no drillable positive case for this rule id' });
    }

    let plans: (DrillPlan | DrillSkip)[] = [];
    let drillKey: string | undefined;
    try {
      const key = await deps.drillKey();
      drillKey = key;
      plans = planDrill(rules, { nowMs: startedMs, config: deps.detection, auth: { key, run: runId }, deployed: true });
    } catch (err) {
      // No key, no drill: every rule fails (a run that cannot sign tested nothing and must say so).
      for (const [rule] of rules)
        results.push(failedEarly(rule, startedMs, `drill key unavailable: ${message(err)}`, drills));
    }

    const pending: Pending[] = [];
    for (const p of plans) {
      if (p.kind === 'skip') {
        results.push({ ruleId: p.rule.id, status: 'skipped', detail: p.reason });
        continue;
      }
      try {
        const sent = await deps.queue.send(
          p.bodies,
          p.sequence === true ? { lastDelaySeconds: SEQUENCE_DELAY_SECONDS } : undefined,
        );
        pending.push({ plan: drilledOf(p), sentMs: sent });
      } catch (err) {
        pending.push({ plan: drilledOf(p), sentMs: deps.clock.now(), sendError: message(err) });
      }
    }
    if (deps.elevated !== undefined && drillKey !== undefined) {
      for (const o of OBSERVATION_DRILLS.filter((d) => wanted.length === 0 || wanted.includes(d.ruleId))) {
        const plan = planElevatedDrill({ nowMs: startedMs, auth: { key: drillKey, run: runId } });
        pending.push(await startObservationDrill(deps.elevated, plan, o.severity, deps.clock));
      }
    }

    const deadline = startedMs + drills.maxWaitMinutes * 60_000;
    const open = () => pending.filter((x) => x.sendError === undefined && x.archivedMs === undefined);
    while (open().length > 0 && deps.clock.now() < deadline) {
      const waitSeconds = Math.max(1, Math.min(20, Math.floor((deadline - deps.clock.now()) / 1000)));
      let received: readonly DrillPage[] = [];
      try {
        received = await deps.pages.receive(waitSeconds);
      } catch (err) {
        telemetry.log('warn', 'drill queue receive failed', { error: message(err) });
        await deps.sleep(1000);
      }
      const handled: string[] = [];
      for (const page of received) {
        const match = pending.find(
          (x) =>
            x.page === undefined &&
            page.ruleId === x.plan.ruleId &&
            (x.plan.findingId === undefined
              ? page.finding?.eventIds.some((id) => x.plan.eventIds.includes(id)) === true
              : page.finding?.id === x.plan.findingId),
        );
        // Pages of other runs (an earlier run's late page, `drill --invoke`) are left for their own reader.
        if (match === undefined) continue;
        match.page = page;
        if (page.finding !== undefined) match.key = findingRevisionKey(page.finding);
        handled.push(page.receipt);
      }
      if (handled.length > 0) await deps.pages.done(handled).catch(() => {});
      for (const x of open()) {
        if (x.key === undefined) continue;
        try {
          const at = await deps.evidence.archivedAt(x.key);
          if (at !== undefined) x.archivedMs = at;
        } catch (err) {
          telemetry.log('warn', 'evidence probe failed', { key: x.key, error: message(err) });
        }
      }
      if (received.length === 0 && open().length > 0) await deps.sleep(250);
    }

    // Observation drills end the way the real rule does: the finding resolves (the second signed observation).
    for (const x of pending) {
      const findingId = x.page?.finding?.id;
      if (x.after === undefined || x.archivedMs === undefined || findingId === undefined) continue;
      try {
        x.afterError = await x.after(findingId);
      } catch (err) {
        x.afterError = message(err);
      }
      x.afterDone = true;
    }
    for (const x of pending) results.push(resultOf(x, drills));
    const record = buildDrillRun({ runId, trigger, startedMs, endedMs: deps.clock.now(), rules: results });
    const key = drillRunKey(record);
    await deps.records.put(key, drillRunBody(record));
    telemetry.log(record.status === 'passed' ? 'info' : 'error', 'drill run recorded', {
      runId,
      key,
      status: record.status,
      ...record.counts,
    });
    telemetry.count({
      DrillRuns: 1,
      DrillRulesPassed: record.counts.passed,
      DrillRulesFailed: record.counts.failed,
      DrillRulesSkipped: record.counts.skipped,
    });
    // The failed-drill page is raised by the health function from this record (it reads drills/): this function
    // may write drill records and nothing else, so it cannot archive or page findings of its own.
    return { record, key };
  };

const failedEarly = (rule: Rule, sentMs: number, detail: string, drills: DrillsConfig): DrillRuleResult => ({
  ruleId: rule.id,
  status: 'failed',
  severity: rule.severity,
  caseName: '-',
  eventIds: [],
  sentAt: new Date(sentMs).toISOString(),
  slaSeconds: slaSecondsFor(rule.severity, drills),
  sla: 'not-measured',
  detail,
});

const resultOf = (x: Pending, drills: DrillsConfig): DrillRuleResult => {
  const slaSeconds = slaSecondsFor(x.plan.severity, drills);
  const base = {
    ruleId: x.plan.ruleId,
    severity: x.plan.severity,
    caseName: x.plan.caseName,
    eventIds: x.plan.eventIds,
    sentAt: new Date(x.sentMs).toISOString(),
    slaSeconds,
  };
  // S3 LastModified has whole seconds: an object written in the send's own second reads as 0, never negative.
  const archiveMs = x.archivedMs === undefined ? undefined : Math.max(0, x.archivedMs - x.sentMs);
  const pageMs = x.page === undefined ? undefined : Math.max(0, x.page.publishedMs - x.sentMs);
  const sla = slaVerdict(archiveMs, pageMs, slaSeconds);
  const measured = {
    ...(x.page?.finding ? { findingId: x.page.finding.id } : {}),
    ...(x.key === undefined ? {} : { evidenceKey: x.key }),
    ...(archiveMs === undefined ? {} : { archiveMs }),
    ...(pageMs === undefined ? {} : { pageMs }),
    sla,
  };
  const fail = (detail: string): DrillRuleResult => ({ ...base, ...measured, status: 'failed', detail });
  if (x.sendError !== undefined) return fail(`could not send the drill events: ${x.sendError}`);
  if (x.page === undefined) return fail(`no drill page on the drill subscription within ${drills.maxWaitMinutes} min`);
  if (!x.page.drill) return fail('paged without the drill attribute (a drill would have reached the pager)');
  if (x.key === undefined) return fail('the page carries no finding');
  if (archiveMs === undefined) return fail(`paged, but no evidence object at ${x.key}`);
  if (sla === 'missed') {
    return fail(`slower than the ${slaSeconds}s SLA: archived after ${archiveMs} ms, paged after ${pageMs} ms`);
  }
  const timing = `archived after ${archiveMs} ms, paged after ${pageMs} ms`;
  if (x.after !== undefined) {
    if (x.afterDone !== true) return fail(`${timing}, but the resolve step did not run`);
    if (x.afterError !== undefined) return fail(`${timing}, but not resolved: ${x.afterError}`);
    return { ...base, ...measured, status: 'passed', detail: `${timing}, resolved` };
  }
  return { ...base, ...measured, status: 'passed', detail: timing };
};

/**
 * The first step of an observation drill: the check judges the signed "overdue" observation and must deliver a
 * drill finding of the rule; the run then waits for its page and archive like any other drill, and resolves it with
 * the second step ("revoked"), which must report the same finding resolved.
 */
const startObservationDrill = async (
  elevated: ElevatedInvoker,
  plan: ObservationDrillPlan,
  severity: DrillPlan['severity'],
  clock: Clock,
): Promise<Pending> => {
  const [overdue, revoked] = plan.steps;
  const drilled = { ruleId: plan.ruleId, severity, caseName: 'signed drill observation', eventIds: [] };
  const sentMs = clock.now();
  if (overdue === undefined || revoked === undefined) {
    return { plan: drilled, sentMs, sendError: 'the observation drill has no two steps' };
  }
  let report: ElevatedReport;
  try {
    report = await elevated.invoke(overdue.message);
  } catch (err) {
    return { plan: drilled, sentMs, sendError: `the elevated-access check could not be invoked: ${message(err)}` };
  }
  if (report.drill?.honoured !== true) {
    return {
      plan: drilled,
      sentMs,
      sendError: `the elevated-access check refused the drill: ${report.drill?.reason ?? 'no drill verdict'}`,
    };
  }
  const fired = report.delivered.find((f) => f.ruleId === plan.ruleId && f.drill);
  if (fired === undefined) {
    return { plan: drilled, sentMs, sendError: 'the elevated-access check delivered no drill finding of the rule' };
  }
  return {
    plan: { ...drilled, findingId: fired.id },
    sentMs,
    after: async (findingId) => {
      const second = await elevated.invoke(revoked.message);
      return second.resolved.some((f) => f.id === findingId) ? undefined : `finding ${findingId} not resolved`;
    },
  };
};
