import { accountOf, checkRecord } from './cloudtrail.ts';
import type { ConfigComplianceChange, ConfigItemChange } from './config-events.ts';
import type { DrillClaim } from './drill-auth.ts';
import { drillClaimOf } from './drill-auth.ts';
import type { AuditEvent } from './types.ts';

export type ParsedEvent =
  | { readonly ok: true; readonly event: AuditEvent }
  | { readonly ok: false; readonly error: string };

const CONFIG_ITEM_CHANGE = 'Config Configuration Item Change';
const CONFIG_COMPLIANCE_CHANGE = 'Config Rules Compliance Change';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A bare CloudTrail record (from a log file or JSON Lines). */
export const fromRecord = (value: unknown, claim?: DrillClaim): ParsedEvent => {
  const checked = checkRecord(value);
  if (!checked.ok) return checked;
  const { record } = checked;
  const drillClaim = claim ?? (isObject(value) ? drillClaimOf(value) : undefined);
  return {
    ok: true,
    event: {
      kind: 'cloudtrail',
      id: record.eventID,
      timeMs: checked.timeMs,
      account: accountOf(record),
      region: record.awsRegion,
      record,
      ...(drillClaim ? { drillClaim } : {}),
      ...(checked.notes ? { notes: checked.notes } : {}),
    },
  };
};

/**
 * An EventBridge envelope: CloudTrail-via-EventBridge (`detail` is the record) or an AWS Config notification.
 * A drill marker (`drill` in the envelope, `detail.trailwardenDrill`) is kept as an unverified `drillClaim`:
 * only `drill-auth.ts` turns a claim into a drill, and only with a valid signature.
 */
export const fromEnvelope = (envelope: Record<string, unknown>): ParsedEvent => {
  const detailType = envelope['detail-type'];
  const detail = envelope.detail;
  const drill = drillClaimOf(envelope);
  if (!isObject(detail)) return { ok: false, error: 'EventBridge event has no detail object' };
  if (detailType === CONFIG_ITEM_CHANGE || detailType === CONFIG_COMPLIANCE_CHANGE) {
    return fromConfigEnvelope(envelope, detail, detailType, drill);
  }
  return fromRecord(detail, drill);
};

const fromConfigEnvelope = (
  envelope: Record<string, unknown>,
  detail: Record<string, unknown>,
  detailType: string,
  drillClaim: DrillClaim | undefined,
): ParsedEvent => {
  const id = typeof envelope.id === 'string' ? envelope.id : undefined;
  const time = typeof envelope.time === 'string' ? Date.parse(envelope.time) : Number.NaN;
  if (id === undefined || Number.isNaN(time)) return { ok: false, error: 'Config event has no id or time' };
  const account = typeof envelope.account === 'string' ? envelope.account : 'unknown';
  const region = typeof envelope.region === 'string' ? envelope.region : 'unknown';
  const header = { id, timeMs: time, account, region, ...(drillClaim ? { drillClaim } : {}) };
  if (detailType === CONFIG_ITEM_CHANGE) {
    const item = detail.configurationItem;
    if (!isObject(item) || typeof item.resourceType !== 'string') {
      return { ok: false, error: 'Config item change has no configurationItem.resourceType' };
    }
    return {
      ok: true,
      event: { ...header, kind: 'config-item-change', detail: detail as unknown as ConfigItemChange },
    };
  }
  if (typeof detail.configRuleName !== 'string')
    return { ok: false, error: 'Config compliance change has no rule name' };
  return {
    ok: true,
    event: { ...header, kind: 'config-compliance-change', detail: detail as unknown as ConfigComplianceChange },
  };
};

/** Anything we accept as one event: an EventBridge envelope (has `detail-type`) or a bare record. */
export const toAuditEvent = (value: unknown): ParsedEvent => {
  if (!isObject(value)) return { ok: false, error: 'event is not a JSON object' };
  return 'detail-type' in value ? fromEnvelope(value) : fromRecord(value);
};
