import type { LambdaClient } from '@aws-sdk/client-lambda';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { ElevatedReport } from '../../functions/elevated-access/elevated-access.ts';
import { createHandler } from '../../functions/elevated-access/elevated-access.ts';
import { createAwsFindingSink } from '../../functions/shared/adapters/aws-finding-sink.ts';
import { createDynamoGrantMemoryStore } from '../../functions/shared/adapters/dynamodb-grant-memory.ts';
import { createDynamoIncidentStore } from '../../functions/shared/adapters/dynamodb-incident-store.ts';
import { createDynamoLedger } from '../../functions/shared/adapters/dynamodb-ledger.ts';
import { createS3EvidenceStore } from '../../functions/shared/adapters/s3-evidence-store.ts';
import { createS3TriageStore } from '../../functions/shared/adapters/s3-triage-store.ts';
import { createSnsNotifier } from '../../functions/shared/adapters/sns-notifier.ts';
import { createSnsResolvedNotifier } from '../../functions/shared/adapters/sns-resolved-notifier.ts';
import { createTelemetry } from '../../functions/shared/telemetry.ts';
import { DEFAULT_ELEVATED_SETTINGS } from '../../rules/core/elevated-access.ts';
import type { ObservationDrillPlan } from '../../rules/core/observation-drill.ts';
import { TRIAGE_PREFIX } from '../../rules/core/triage.ts';
import { createStateTable, deleteTable } from '../../test/support/dynamodb.ts';
import { message } from '../io.ts';
import type { DrillResult, LocalEnv } from './local.ts';
import { archivedFinding, BUCKET, recordingSns, TOPIC } from './local.ts';

/**
 * Drills of the elevated-access check (an observation rule, rules/core/observation-drill.ts): its two signed steps
 * through the real handler. The first must page and archive a drill finding of the rule, the second must resolve
 * it (a drill-marked `[RESOLVED]` notice and a `resolve` decision under `triage/`), as the real rule does.
 */

/** Milliseconds since the call, for the drill table's TIME column. */
const stopwatch = () => {
  const started = performance.now();
  return () => Math.round(performance.now() - started);
};

/** What the first step must have produced: one drill finding of the rule, honoured as a drill. */
const firedFinding = (plan: ObservationDrillPlan, report: ElevatedReport): string | { readonly error: string } => {
  if (report.drill?.honoured !== true) return { error: `drill refused: ${report.drill?.reason ?? 'no drill verdict'}` };
  const found = report.delivered.find((f) => f.ruleId === plan.ruleId);
  if (found === undefined) return { error: 'no finding paged' };
  if (!found.drill) return { error: 'paged without the drill mark' };
  return found.id;
};

/** `drill --local`: a fresh state table, the local bucket, a recording topic; IAM is never read. */
export const runElevatedLocal = async (
  plan: ObservationDrillPlan,
  env: LocalEnv,
  nowMs: number,
  drillKey: string,
): Promise<DrillResult> => {
  const ms = stopwatch();
  const done = (ok: boolean, detail: string): DrillResult => ({ ruleId: plan.ruleId, ok, detail, ms: ms() });
  let table: string | undefined;
  try {
    table = await createStateTable(env.dynamo, 'trailwarden-drill');
    const sns = recordingSns();
    const handler = createHandler({
      iam: { read: async () => ({ ok: false, error: 'a drill never reads IAM' }) },
      memory: createDynamoGrantMemoryStore(env.dynamo, table),
      ledger: createDynamoLedger(env.dynamo, table),
      incidents: createDynamoIncidentStore(env.dynamo, table),
      sink: createAwsFindingSink(createS3EvidenceStore(env.s3, BUCKET), createSnsNotifier(sns.client, TOPIC)),
      resolutions: createSnsResolvedNotifier(sns.client, TOPIC),
      triage: createS3TriageStore(env.s3, BUCKET),
      clock: { now: () => nowMs },
      home: { account: '111122223333', region: 'us-east-1' },
      temporaryAccess: [],
      settings: DEFAULT_ELEVATED_SETTINGS,
      telemetry: createTelemetry('trailwarden-drill', () => {}),
      drillKey: async () => drillKey,
    });
    const [overdue, revoked] = plan.steps;
    if (overdue === undefined || revoked === undefined) return done(false, 'the plan has no two steps');
    const fired = firedFinding(plan, await handler(overdue.message));
    if (typeof fired !== 'string') return done(false, fired.error);
    const page = sns.published.find((p) => p.findingId === fired && p.kind !== 'resolved');
    if (page?.drill !== 'true') return done(false, 'paged without the drill attribute');
    const archived = await archivedFinding(env.s3, fired);
    if (archived?.drill !== true) return done(false, `finding ${fired} not archived as a drill under findings/`);

    const resolved = await handler(revoked.message);
    if (!resolved.resolved.some((f) => f.id === fired)) return done(false, `finding ${fired} not resolved`);
    const notice = sns.published.find((p) => p.findingId === fired && p.kind === 'resolved');
    if (notice?.drill !== 'true') return done(false, 'resolved without a drill-marked notice');
    if (!(await resolvedInTriage(env, fired))) return done(false, `no resolve decision for ${fired} under triage/`);
    return done(true, `paged, archived and resolved ${fired}`);
  } catch (err) {
    return done(false, `error: ${message(err)}`);
  } finally {
    if (table !== undefined) await deleteTable(env.dynamo, table).catch(() => {});
  }
};

const resolvedInTriage = async (env: LocalEnv, findingId: string): Promise<boolean> => {
  const listed = await env.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: TRIAGE_PREFIX }));
  for (const o of listed.Contents ?? []) {
    const got = await env.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: o.Key ?? '' }));
    const body = JSON.parse((await got.Body?.transformToString()) ?? '{}') as Record<string, unknown>;
    if (body.target === findingId && body.action === 'resolve') return true;
  }
  return false;
};

const isReport = (v: unknown): v is ElevatedReport =>
  typeof v === 'object' &&
  v !== null &&
  Array.isArray((v as { delivered?: unknown }).delivered) &&
  Array.isArray((v as { resolved?: unknown }).resolved);

/**
 * `drill --invoke … --elevated-function NAME`: the two steps against the deployed check (RequestResponse). Passes
 * when the first reply delivered a drill finding of the rule and the second resolved it; the page, the archived
 * finding and the resolution are then on the real topic (drill-marked) and bucket.
 */
export const runElevatedInvoke = async (
  plan: ObservationDrillPlan,
  client: LambdaClient,
  functionName: string,
): Promise<DrillResult> => {
  const ms = stopwatch();
  const done = (ok: boolean, detail: string): DrillResult => ({ ruleId: plan.ruleId, ok, detail, ms: ms() });
  const invoke = async (payload: unknown): Promise<ElevatedReport | { readonly error: string }> => {
    const out = await client.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'RequestResponse',
        Payload: new TextEncoder().encode(JSON.stringify(payload)),
      }),
    );
    const text = out.Payload ? new TextDecoder().decode(out.Payload) : '';
    if (out.FunctionError) return { error: `function error (${out.FunctionError}): ${text.slice(0, 200)}` };
    try {
      const parsed: unknown = JSON.parse(text);
      return isReport(parsed) ? parsed : { error: 'the reply is not an elevated-access report' };
    } catch {
      return { error: 'response is not JSON' };
    }
  };
  try {
    const [overdue, revoked] = plan.steps;
    if (overdue === undefined || revoked === undefined) return done(false, 'the plan has no two steps');
    const first = await invoke(overdue.message);
    if ('error' in first) return done(false, first.error);
    const fired = firedFinding(plan, first);
    if (typeof fired !== 'string') return done(false, fired.error);
    const second = await invoke(revoked.message);
    if ('error' in second) return done(false, second.error);
    if (!second.resolved.some((f) => f.id === fired)) return done(false, `finding ${fired} not resolved`);
    return done(true, `paged and resolved ${fired}`);
  } catch (err) {
    return done(false, `error: ${message(err)}`);
  }
};
