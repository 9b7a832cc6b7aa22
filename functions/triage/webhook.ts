import type { APIGatewayProxyStructuredResultV2, LambdaFunctionURLEvent } from 'aws-lambda';
import { decisionFromWebhook, verifyPagerDutySignature } from '../../rules/core/pagerduty.ts';
import type { Clock } from '../../rules/core/ports.ts';
import type { SlaConfig } from '../../rules/core/sla.ts';
import { parseSlaConfig } from '../../rules/core/sla.ts';
import { triageBody, triageKey } from '../../rules/core/triage.ts';
import type { Telemetry } from '../shared/telemetry.ts';
import { NAMESPACE } from '../shared/telemetry.ts';

/** The `service` dimension of the webhook's metrics (the dashboard reads them by it). */
export const TRIAGE_SERVICE = 'trailwarden-triage';
/** PagerDuty bodies are a few KB; anything far larger is not one. */
const MAX_BODY_BYTES = 256 * 1024;

/** The signing secret(s), loaded once per container and cached (a rotation holds two). */
export interface SecretSource {
  secrets(): Promise<readonly string[]>;
}

/** Append-only writes of triage objects: `exists` when the key is already there. */
export interface TriageStore {
  put(key: string, body: string): Promise<'written' | 'exists'>;
}

export interface WebhookDeps {
  readonly secret: SecretSource;
  readonly store: TriageStore;
  readonly clock: Clock;
  readonly telemetry: Telemetry;
  /** Events older than this are refused as stale. */
  readonly maxAgeSeconds: number;
  /** For the late-decision metrics: the paging SLA (PagerDuty pages are at or above `high`). */
  readonly sla: SlaConfig;
  /** EMF lines with units (seconds); default: the telemetry's stdout. */
  readonly emit?: (line: string) => void;
}

const respond = (statusCode: number, body: Record<string, unknown>): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

const header = (event: LambdaFunctionURLEvent, name: string): string | undefined => {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === wanted) return v;
  return undefined;
};

/** One EMF line: counts and durations (seconds) of the triage service. */
export const emfLine = (
  nowMs: number,
  metrics: Readonly<Record<string, { readonly value: number; readonly unit: 'Count' | 'Seconds' }>>,
): string =>
  JSON.stringify({
    _aws: {
      Timestamp: nowMs,
      CloudWatchMetrics: [
        {
          Namespace: NAMESPACE,
          Dimensions: [['service']],
          Metrics: Object.entries(metrics).map(([Name, m]) => ({ Name, Unit: m.unit })),
        },
      ],
    },
    service: TRIAGE_SERVICE,
    ...Object.fromEntries(Object.entries(metrics).map(([n, m]) => [n, m.value])),
  });

/**
 * PagerDuty v3 webhook (Lambda function URL, POST): verify the signature on the raw body, refuse stale and
 * replayed events, write the triage decision under `triage/`. Every refusal is a 4xx with a reason and a log
 * line; nothing the caller sends can make it throw. A failure to reach S3 or Secrets Manager is a 500 (PagerDuty
 * retries it).
 */
export const createHandler =
  (deps: WebhookDeps) =>
  async (event: LambdaFunctionURLEvent): Promise<APIGatewayProxyStructuredResultV2> => {
    const { telemetry } = deps;
    const emit = deps.emit ?? ((line: string) => process.stdout.write(`${line}\n`));
    const now = deps.clock.now();
    const reject = (status: number, reason: string): APIGatewayProxyStructuredResultV2 => {
      telemetry.log('warn', 'webhook rejected', { status, reason, requestId: event.requestContext?.requestId });
      telemetry.count({ WebhookRejected: 1 });
      return respond(status, { error: reason });
    };
    try {
      if (event.requestContext?.http?.method !== 'POST') return reject(405, 'only POST');
      const raw = event.body ?? '';
      if (Buffer.byteLength(raw) > MAX_BODY_BYTES) return reject(413, 'body too large');
      // The signature covers the bytes PagerDuty sent; a base64-encoded body is decoded to them first.
      const body = event.isBase64Encoded === true ? Buffer.from(raw, 'base64').toString('utf8') : raw;
      const signature = header(event, 'x-pagerduty-signature');
      if (signature === undefined || signature === '') return reject(401, 'unsigned: X-PagerDuty-Signature missing');
      if (!verifyPagerDutySignature(body, signature, await deps.secret.secrets())) {
        return reject(401, 'signature does not match');
      }
      const outcome = decisionFromWebhook(body, now, deps.maxAgeSeconds);
      if (outcome.kind === 'rejected') return reject(outcome.status, outcome.reason);
      if (outcome.kind === 'ignored') {
        telemetry.log('info', 'webhook ignored', { reason: outcome.reason });
        return respond(200, { ignored: outcome.reason });
      }
      const { decision, createdAt } = outcome;
      const key = triageKey(decision, new Date(now).toISOString());
      if ((await deps.store.put(key, triageBody(decision))) === 'exists') {
        return reject(409, `replayed: event ${decision.externalId ?? ''} is already recorded`);
      }
      telemetry.log('info', 'triage decision recorded', {
        key,
        target: decision.target,
        action: decision.action,
        by: decision.by,
        at: decision.at,
      });
      const metrics: Record<string, { value: number; unit: 'Count' | 'Seconds' }> = {
        TriageDecisions: { value: 1, unit: 'Count' },
        [decision.action === 'ack' ? 'Acknowledged' : 'Resolved']: { value: 1, unit: 'Count' },
      };
      if (decision.verdict === 'false-positive') metrics.FalsePositives = { value: 1, unit: 'Count' };
      if (createdAt !== undefined) {
        const seconds = Math.max(0, Math.round((Date.parse(decision.at) - Date.parse(createdAt)) / 1000));
        const target = deps.sla.high;
        if (decision.action === 'ack') {
          metrics.TimeToAcknowledge = { value: seconds, unit: 'Seconds' };
          if (seconds > target.ackMinutes * 60) metrics.AckPastSla = { value: 1, unit: 'Count' };
        } else {
          metrics.TimeToResolve = { value: seconds, unit: 'Seconds' };
          if (seconds > target.resolveMinutes * 60) metrics.ResolvePastSla = { value: 1, unit: 'Count' };
        }
      }
      emit(emfLine(now, metrics));
      return respond(201, { recorded: key });
    } catch (err) {
      telemetry.log('error', 'webhook failed', { error: err instanceof Error ? err.message : String(err) });
      telemetry.count({ WebhookErrors: 1 });
      return respond(500, { error: 'internal error; retry' });
    }
  };

export interface WebhookEnv {
  readonly evidenceBucket: string;
  readonly secretId: string;
  readonly maxAgeSeconds: number;
  readonly sla: SlaConfig;
}

/** Parsed once per container; a misconfigured function fails at init. */
export const parseWebhookEnv = (env: Readonly<Record<string, string | undefined>>): WebhookEnv => {
  const need = (name: string): string => {
    const value = env[name];
    if (value === undefined || value === '') throw new Error(`environment variable ${name} is required`);
    return value;
  };
  const maxAge = Number(env.MAX_EVENT_AGE_SECONDS ?? '600');
  if (!Number.isInteger(maxAge) || maxAge < 60 || maxAge > 86_400) {
    throw new Error(`MAX_EVENT_AGE_SECONDS must be a whole number from 60 to 86400 (got ${env.MAX_EVENT_AGE_SECONDS})`);
  }
  let raw: unknown;
  try {
    raw = env.SLA ? JSON.parse(env.SLA) : undefined;
  } catch (err) {
    throw new Error(`SLA is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const sla = parseSlaConfig(raw, 'SLA');
  if (!sla.ok) throw new Error(`invalid SLA:\n${sla.errors.join('\n')}`);
  return {
    evidenceBucket: need('EVIDENCE_BUCKET'),
    secretId: need('PAGERDUTY_SECRET_ID'),
    maxAgeSeconds: maxAge,
    sla: sla.sla,
  };
};
