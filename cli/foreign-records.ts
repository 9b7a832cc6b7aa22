import type { ParsedEvent } from '../rules/core/events.ts';
import { fromRecord, toAuditEvent } from '../rules/core/events.ts';

/**
 * Records that reach `scan` in another tool's wrapping: an entry of CloudTrail's LookupEvents answer
 * (`aws cloudtrail lookup-events`), an OCSF record as Amazon Security Lake stores CloudTrail, or a pipeline's
 * document holding the original event as text (ECS `event.original`, Splunk `_raw`, CloudWatch Logs `message`).
 * Each is turned back into the CloudTrail record it came from and read like one. Only the CLI reads these (the Lambda receives
 * CloudTrail's own EventBridge events), so none of this is in the function's bundle. Tried only once a value
 * failed as a record, so log files pay nothing for it.
 */
export const fromForeignRecord = (value: Readonly<Record<string, unknown>>): ParsedEvent | undefined => {
  if (typeof value.CloudTrailEvent === 'string') return fromLookupEntry(value.CloudTrailEvent);
  if (typeof value.class_uid === 'number' && isObject(value.api)) return fromRecord(cloudTrailFromOcsf(value));
  const original = originalText(value);
  return original === undefined ? undefined : fromOriginalText(original.text, original.where);
};

/**
 * Where log pipelines keep the event they received as text: Elastic's `event.original` (ECS), Splunk's `_raw`
 * (under `result` in its JSON export), and `message` (CloudWatch Logs' log events, which is how CloudTrail's
 * CloudWatch Logs delivery reaches a subscription, Logstash and most shippers).
 */
const ORIGINAL_TEXT: readonly (readonly [string, ...string[]])[] = [
  ['event', 'original'],
  ['_raw'],
  ['result', '_raw'],
  ['message'],
];

const originalText = (value: Json): { readonly text: string; readonly where: string } | undefined => {
  for (const path of ORIGINAL_TEXT) {
    let at: unknown = value;
    for (const key of path) at = isObject(at) ? at[key] : undefined;
    if (typeof at === 'string' && at.trimStart().startsWith('{')) return { text: at, where: path.join('.') };
  }
  return undefined;
};

/** JSON kept as text in a field; the field named in the error when it is not JSON. */
const parseField = (
  text: string,
  where: string,
): { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: string } => {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, error: `${where} is not JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
};

/** The text a pipeline kept, read as any event `scan` reads (a record, an EventBridge envelope, a lookup entry…). */
const fromOriginalText = (text: string, where: string): ParsedEvent => {
  const field = parseField(text, where);
  if (!field.ok) return field;
  const inner = field.value;
  const parsed = toAuditEvent(inner);
  if (parsed.ok || !isObject(inner) || originalText(inner) !== undefined) return parsed;
  // One level of wrapping more (a lookup entry or OCSF record kept as text), never a chain of them.
  return fromForeignRecord(inner) ?? parsed;
};

type Json = Readonly<Record<string, unknown>>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const objectAt = (v: unknown, key: string): Json | undefined => {
  const inner = isObject(v) ? v[key] : undefined;
  return isObject(inner) ? inner : undefined;
};
const stringAt = (v: unknown, key: string): string | undefined => {
  const inner = isObject(v) ? v[key] : undefined;
  return typeof inner === 'string' && inner !== '' ? inner : undefined;
};

/** LookupEvents hands each record back as a JSON string in `CloudTrailEvent`, beside copied fields not read. */
const fromLookupEntry = (text: string): ParsedEvent => {
  const field = parseField(text, 'CloudTrailEvent');
  return field.ok ? fromRecord(field.value) : field;
};

/**
 * `unmapped` keeps what OCSF has no field for, either nested or flattened with dotted keys
 * (`"requestParameters.name": "myTrail"`): the object under `prefix`, rebuilt from either form.
 */
const unmappedObject = (unmapped: Json | undefined, prefix: string): Json | undefined => {
  if (unmapped === undefined) return undefined;
  const nested = objectAt(unmapped, prefix);
  if (nested !== undefined) return nested;
  let out: Record<string, unknown> | undefined;
  for (const [key, v] of Object.entries(unmapped)) {
    if (!key.startsWith(`${prefix}.`)) continue;
    out ??= {};
    const path = key.slice(prefix.length + 1).split('.');
    let at = out;
    for (const part of path.slice(0, -1)) {
      const next = at[part];
      if (isObject(next)) at = next as Record<string, unknown>;
      else {
        const fresh: Record<string, unknown> = {};
        at[part] = fresh;
        at = fresh;
      }
    }
    at[path[path.length - 1] as string] = v;
  }
  return out;
};

/** OCSF `time` is epoch milliseconds; `time_dt` (datetime profile) the same instant as text. */
const isoTime = (record: Json): string | undefined => {
  const text = stringAt(record, 'time_dt');
  if (text !== undefined) return text;
  const ms = record.time;
  return typeof ms === 'number' && Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
};

const roleIssuer = (arn: string): Json => ({
  type: /:role\//.test(arn) ? 'Role' : /:user\//.test(arn) ? 'IAMUser' : 'Unknown',
  arn,
  userName: arn.slice(arn.lastIndexOf('/') + 1),
});

/**
 * The CloudTrail caller behind OCSF's `actor`. Security Lake's first mapping (OCSF 1.0.0-rc.2) put the principal
 * id in `user.uid` and the ARN in `user.uuid`; its second (OCSF 1.1) the ARN in `user.uid` and the principal id in
 * `user.uid_alt`: both read.
 */
const userIdentityOf = (actor: Json | undefined): Json => {
  const user = objectAt(actor, 'user');
  const session = objectAt(actor, 'session');
  const uid = stringAt(user, 'uid');
  const arn = stringAt(user, 'uuid') ?? (uid?.startsWith('arn:') ? uid : undefined);
  const principalId = stringAt(user, 'uid_alt') ?? (uid?.startsWith('arn:') ? undefined : uid);
  const issuer = stringAt(session, 'issuer');
  const mfa = session?.is_mfa ?? session?.mfa;
  const created = stringAt(session, 'created_time_dt') ?? stringAt(session, 'created_time');
  const identity: Record<string, unknown> = {
    type: stringAt(user, 'type'),
    principalId,
    arn,
    accountId: stringAt(objectAt(user, 'account'), 'uid') ?? stringAt(user, 'account_uid'),
    accessKeyId: stringAt(user, 'credential_uid'),
    userName: stringAt(user, 'name'),
    invokedBy: stringAt(actor, 'invoked_by'),
    identityProvider: stringAt(objectAt(actor, 'idp'), 'name'),
  };
  if (issuer !== undefined || mfa !== undefined || created !== undefined) {
    identity.sessionContext = {
      ...(issuer === undefined ? {} : { sessionIssuer: roleIssuer(issuer) }),
      attributes: {
        ...(created === undefined ? {} : { creationDate: created }),
        ...(typeof mfa === 'boolean' ? { mfaAuthenticated: String(mfa) } : {}),
      },
    };
  }
  return dropUndefined(identity);
};

const dropUndefined = (o: Record<string, unknown>): Json =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/**
 * OCSF API Activity (class 6003), or the IAM classes Security Lake's first mapping used (Account Change 3001,
 * Authentication 3002, Entity Management 3004), back to the CloudTrail record, field by field as Security Lake's
 * published CloudTrail mappings name them. Parameters come from `api.request.data` / `api.response.data`
 * (OCSF 1.1) or from `unmapped` (rc.2, nested or flattened). A field the record does not hold stays absent, which
 * the rules treat as the dangerous case; a record without time, source or name is refused by the usual check.
 */
export const cloudTrailFromOcsf = (record: Json): Json => {
  const api = objectAt(record, 'api');
  const request = objectAt(api, 'request');
  const response = objectAt(api, 'response');
  const metadata = objectAt(record, 'metadata');
  const unmapped = objectAt(record, 'unmapped');
  const endpoint = objectAt(record, 'src_endpoint');
  const eventName = stringAt(api, 'operation');
  const errorCode = stringAt(response, 'error');
  const responseElements = objectAt(response, 'data') ?? unmappedObject(unmapped, 'responseElements');
  const additional = unmappedObject(unmapped, 'additionalEventData');
  const loginTo = stringAt(objectAt(record, 'dst_endpoint'), 'svc_name');
  // A console sign-in's outcome is OCSF's `status`; CloudTrail writes it in responseElements.ConsoleLogin.
  const consoleLogin =
    eventName === 'ConsoleLogin' && responseElements === undefined && typeof record.status === 'string'
      ? { ConsoleLogin: record.status === 'Success' ? 'Success' : 'Failure' }
      : undefined;
  return dropUndefined({
    eventVersion: stringAt(objectAt(metadata, 'product'), 'version'),
    eventTime: isoTime(record),
    eventSource: stringAt(objectAt(api, 'service'), 'name'),
    eventName,
    awsRegion: stringAt(objectAt(record, 'cloud'), 'region'),
    eventID: stringAt(metadata, 'uid'),
    requestID: stringAt(request, 'uid'),
    eventType: stringAt(metadata, 'event_code') ?? stringAt(unmapped, 'eventType'),
    eventCategory: stringAt(objectAt(objectAt(metadata, 'product'), 'feature'), 'name'),
    apiVersion: stringAt(api, 'version'),
    userIdentity: userIdentityOf(objectAt(record, 'actor')),
    sourceIPAddress: stringAt(endpoint, 'ip') ?? stringAt(endpoint, 'domain'),
    vpcEndpointId: stringAt(endpoint, 'uid'),
    userAgent: stringAt(objectAt(record, 'http_request'), 'user_agent'),
    errorCode,
    errorMessage: stringAt(response, 'message'),
    requestParameters: objectAt(request, 'data') ?? unmappedObject(unmapped, 'requestParameters'),
    responseElements: responseElements ?? consoleLogin,
    additionalEventData: additional ?? (loginTo === undefined ? undefined : { LoginTo: loginTo }),
    recipientAccountId:
      stringAt(unmapped, 'recipientAccountId') ?? stringAt(objectAt(objectAt(record, 'cloud'), 'account'), 'uid'),
    readOnly: typeof unmapped?.readOnly === 'boolean' ? unmapped.readOnly : undefined,
  });
};
