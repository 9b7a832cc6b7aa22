import { createHmac, timingSafeEqual } from 'node:crypto';
import type { TriageDecision } from './triage.ts';
import { TARGET_ID, triageDecision } from './triage.ts';

/**
 * PagerDuty v3 webhooks → triage decisions (issue 10 §2). PagerDuty signs the raw body with HMAC-SHA256 under the
 * subscription's secret and sends `X-PagerDuty-Signature: v1=<hex>[,v1=<hex>…]` (several during a secret
 * rotation); one match is enough. The payload has no signed timestamp, so staleness is judged on the signed
 * `event.occurred_at`, and a replay within that age is caught by the decision's key (the webhook event id)
 * already existing. The PagerDuty incident's `incident_key` is the Events API `dedup_key` Trailwarden sent: our
 * incident (or, before incidents, finding) id. Pure.
 */
export const HANDLED_EVENTS = ['incident.acknowledged', 'incident.resolved'] as const;
export type HandledEvent = (typeof HANDLED_EVENTS)[number];

/** Constant-time check of every `v1=` signature in the header against every secret. */
export const verifyPagerDutySignature = (
  body: string,
  header: string | undefined,
  secrets: readonly string[],
): boolean => {
  if (header === undefined || header === '' || secrets.length === 0) return false;
  const given = header
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('v1='))
    .map((s) => s.slice(3))
    .filter((hex) => /^[0-9a-f]{64}$/i.test(hex))
    .map((hex) => Buffer.from(hex, 'hex'));
  let ok = false;
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret).update(body, 'utf8').digest();
    // Every pair is compared, so the time taken does not say which one matched.
    for (const sig of given) if (sig.length === expected.length && timingSafeEqual(sig, expected)) ok = true;
  }
  return ok;
};

/** The header value PagerDuty would send for `body` (tests, and the README's curl example). */
export const signPagerDutyBody = (body: string, secret: string): string =>
  `v1=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;

export type WebhookOutcome =
  | { readonly kind: 'decision'; readonly decision: TriageDecision; readonly createdAt: string | undefined }
  | { readonly kind: 'ignored'; readonly status: 200; readonly reason: string }
  | { readonly kind: 'rejected'; readonly status: 400 | 401 | 408 | 422; readonly reason: string };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A verified body → the triage decision it records, or why not. `nowMs` judges staleness: an event older than
 * `maxAgeSeconds` (or dated ahead of now by more than the skew) is refused.
 */
export const decisionFromWebhook = (
  body: string,
  nowMs: number,
  maxAgeSeconds: number,
  skewSeconds = 300,
): WebhookOutcome => {
  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch {
    return { kind: 'rejected', status: 400, reason: 'body is not JSON' };
  }
  const event = isRecord(payload) ? payload.event : undefined;
  if (!isRecord(event)) return { kind: 'rejected', status: 400, reason: 'no event object' };
  const { id, event_type: type, occurred_at: occurredAt, data, agent } = event;
  if (typeof id !== 'string' || id === '' || typeof type !== 'string') {
    return { kind: 'rejected', status: 400, reason: 'event.id and event.event_type are required' };
  }
  if (typeof occurredAt !== 'string' || Number.isNaN(Date.parse(occurredAt))) {
    return { kind: 'rejected', status: 400, reason: 'event.occurred_at is not a time' };
  }
  const age = (nowMs - Date.parse(occurredAt)) / 1000;
  if (age > maxAgeSeconds) {
    return {
      kind: 'rejected',
      status: 408,
      reason: `stale: occurred ${Math.round(age)} s ago (limit ${maxAgeSeconds} s)`,
    };
  }
  if (age < -skewSeconds) return { kind: 'rejected', status: 400, reason: 'occurred_at is in the future' };
  // Other subscribed types (and pings) are answered 200 so PagerDuty does not retry them; nothing is recorded.
  if (!(HANDLED_EVENTS as readonly string[]).includes(type)) {
    return { kind: 'ignored', status: 200, reason: `event type ${type} is not a triage decision` };
  }
  if (!isRecord(data) || data.type !== 'incident') {
    return { kind: 'rejected', status: 422, reason: 'event.data is not an incident' };
  }
  const key = data.incident_key;
  if (typeof key !== 'string' || !TARGET_ID.test(key)) {
    return {
      kind: 'rejected',
      status: 422,
      reason: 'incident_key is not a Trailwarden incident or finding id (not triggered by Trailwarden?)',
    };
  }
  const who =
    isRecord(agent) && typeof agent.summary === 'string' && agent.summary !== '' ? agent.summary : 'pagerduty';
  const number = typeof data.number === 'number' ? ` #${data.number}` : '';
  const resolveReason = data.resolve_reason;
  const merged = isRecord(resolveReason) && String(resolveReason.type ?? '').includes('merge');
  const reason = merged ? ': merged into another incident' : '';
  const result = triageDecision({
    target: key,
    action: type === 'incident.acknowledged' ? 'ack' : 'resolve',
    // PagerDuty knows no verdict, except that a merged incident is a duplicate; the on-call classifies the rest
    // afterwards with `trailwarden triage ID --resolve --verdict …`.
    ...(type === 'incident.resolved' && merged ? { verdict: 'duplicate' } : {}),
    note: `PagerDuty incident${number} ${type.replace('incident.', '')}${reason}`,
    by: who.slice(0, 200),
    at: new Date(Date.parse(occurredAt)).toISOString(),
    source: 'pagerduty',
    externalId: id,
  });
  if (!result.ok) return { kind: 'rejected', status: 422, reason: result.errors.join('; ') };
  const createdAt =
    typeof data.created_at === 'string' && !Number.isNaN(Date.parse(data.created_at)) ? data.created_at : undefined;
  return { kind: 'decision', decision: result.decision, createdAt };
};
