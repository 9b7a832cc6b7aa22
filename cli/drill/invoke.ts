import type { LambdaClient } from '@aws-sdk/client-lambda';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import type { DrillPlan } from '../../rules/core/drill.ts';
import { message } from '../io.ts';
import type { DrillResult } from './local.ts';
import { drillSqsEvent } from './sqs.ts';

/**
 * One rule's drill against the deployed evaluate function: its batch as the SQS event the function takes
 * (RequestResponse). Passes when the function did not error and returned no batchItemFailures; paging and
 * archiving are then seen on the real topic (drill-marked, which the pager's filter ignores) and bucket.
 */
export const runInvoke = async (
  plan: DrillPlan,
  client: LambdaClient,
  functionName: string,
  nowMs: number,
): Promise<DrillResult> => {
  const started = performance.now();
  const done = (ok: boolean, detail: string): DrillResult => ({
    ruleId: plan.rule.id,
    ok,
    detail,
    ms: Math.round(performance.now() - started),
  });
  try {
    const out = await client.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'RequestResponse',
        Payload: new TextEncoder().encode(JSON.stringify(drillSqsEvent(plan.bodies, nowMs))),
      }),
    );
    const text = out.Payload ? new TextDecoder().decode(out.Payload) : '';
    if (out.FunctionError) return done(false, `function error (${out.FunctionError}): ${text.slice(0, 200)}`);
    let failures: unknown;
    try {
      failures = (JSON.parse(text) as { batchItemFailures?: unknown }).batchItemFailures;
    } catch {
      return done(false, 'response is not JSON');
    }
    if (!Array.isArray(failures)) return done(false, 'response has no batchItemFailures');
    return failures.length === 0
      ? done(true, `${plan.bodies.length} events accepted, 0 batchItemFailures`)
      : done(false, `${failures.length} batchItemFailures`);
  } catch (err) {
    return done(false, `error: ${message(err)}`);
  }
};
