import type { LambdaClient } from '@aws-sdk/client-lambda';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import type { DrillRunRecord } from '../../rules/core/drill-run.ts';
import { parseDrillRunKey } from '../../rules/core/drill-run.ts';

export type DrillRunReply =
  | { readonly ok: true; readonly key: string; readonly record: DrillRunRecord }
  | { readonly ok: false; readonly error: string };

/**
 * `drill --run`: invoke the deployed drill function exactly as its schedule does (signed drills onto the real
 * queue, the page read back from the drill-only subscription, the archived finding looked up, one record written
 * under drills/), and return the record it wrote. The trigger says `cli`, so auditors can tell the runs apart.
 */
export const runDrillFunction = async (
  client: LambdaClient,
  functionName: string,
  rules: readonly string[],
): Promise<DrillRunReply> => {
  const out = await client.send(
    new InvokeCommand({
      FunctionName: functionName,
      InvocationType: 'RequestResponse',
      Payload: new TextEncoder().encode(JSON.stringify({ rules, trigger: 'cli' })),
    }),
  );
  const text = out.Payload ? new TextDecoder().decode(out.Payload) : '';
  if (out.FunctionError) return { ok: false, error: `function error (${out.FunctionError}): ${text.slice(0, 300)}` };
  let reply: { key?: unknown; record?: Partial<DrillRunRecord> };
  try {
    reply = JSON.parse(text) as typeof reply;
  } catch {
    return { ok: false, error: 'the drill function answered with something that is not JSON' };
  }
  const { key, record } = reply;
  if (
    typeof key !== 'string' ||
    record === undefined ||
    record.schema !== 'trailwarden.drill-run/v1' ||
    !Array.isArray(record.rules) ||
    parseDrillRunKey(key)?.status !== record.status
  ) {
    return { ok: false, error: 'the drill function did not return a drill record and its key' };
  }
  return { ok: true, key, record: record as DrillRunRecord };
};
