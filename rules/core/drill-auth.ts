import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Drill authentication (issue 16 §2). A drill event is honoured as a drill only when it carries an HMAC-SHA256,
 * made with the drill key, over its canonical message: version, event id, event time, SHA-256 of the envelope
 * without the signature, the drill run id and an expiry. The key is a secret only the evaluate function and the
 * operators who run drills can read; EventBridge, SQS and the events themselves never carry it.
 *
 * Everything else that claims to be a drill (`drill: true`, `detail.trailwardenDrill`, a bad or expired
 * signature, or any claim where no key can be had) is an ordinary event: it is judged like any other, in the
 * real namespace, and the claim itself is a finding (`trailwarden.forged-drill`), since nobody has a reason to
 * forge it but to hide the event from the pager.
 *
 * Replay: the signature binds the event id and the whole envelope, so a replayed drill is the same drill event
 * again; it lands in the drill namespace (its own dedup keys, finding ids, counters and history) and the ledger
 * treats it as a duplicate. The expiry, at most `MAX_DRILL_TTL_MS` ahead, bounds how long it can be replayed.
 */

export const DRILL_AUTH_VERSION = 'trailwarden-drill/v1';
/**
 * A drill that carries a config overlay (`drill-overlay.ts`): the same message plus the SHA-256 of the overlay, so
 * nobody without the key can add, alter or strip one. A v1 claim with an overlay, or a v2 claim without one, is
 * malformed (never honoured).
 */
export const DRILL_AUTH_VERSION_OVERLAY = 'trailwarden-drill/v2';
/** How long a signed drill stays valid by default: long enough for a full drill of the catalogue. */
export const DRILL_TTL_MS = 15 * 60_000;
/** A signature valid for longer than this is refused: a leaked drill message must not stay replayable. */
export const MAX_DRILL_TTL_MS = 60 * 60_000;
/** The drill key is a generated secret; anything shorter is not one. */
export const MIN_DRILL_KEY_CHARS = 32;

/** What an event says about being a drill, before anyone checked it. */
export type DrillClaim =
  | {
      readonly kind: 'signed';
      readonly run: string;
      readonly expiresMs: number;
      readonly signature: string;
      /** SHA-256 (hex) of the envelope without its `drill` field. */
      readonly digest: string;
      /** The config overlay the claim carries (v2), unverified and unparsed. */
      readonly overlay?: unknown;
    }
  | { readonly kind: 'unsigned'; readonly marker: string };

export type DrillVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The envelope as signed: everything but the signature field, serialised in its own key order. */
const envelopeDigest = (envelope: Record<string, unknown>): string => {
  const { drill: _signature, ...rest } = envelope;
  return sha256(JSON.stringify(rest));
};

const canonical = (
  eventId: string,
  timeMs: number,
  digest: string,
  run: string,
  expiresMs: number,
  overlay: unknown,
): string =>
  overlay === undefined
    ? [DRILL_AUTH_VERSION, eventId, String(timeMs), digest, run, String(expiresMs)].join('\n')
    : [
        DRILL_AUTH_VERSION_OVERLAY,
        eventId,
        String(timeMs),
        digest,
        run,
        String(expiresMs),
        sha256(JSON.stringify(overlay)),
      ].join('\n');

const mac = (key: string, message: string): string => createHmac('sha256', key).update(message).digest('hex');

/**
 * The drill claim of an EventBridge envelope (its `drill` field, or `detail.trailwardenDrill`), or of a bare
 * record (`trailwardenDrill`); undefined when it claims nothing.
 */
export const drillClaimOf = (value: Record<string, unknown>): DrillClaim | undefined => {
  const auth = value.drill;
  if (isObject(auth)) {
    const { v, run, expires, sig, overlay } = auth;
    const expiresMs = typeof expires === 'string' ? Date.parse(expires) : Number.NaN;
    // v1 carries no overlay, v2 always one (an object): anything else is not a signature this code made.
    const versionFits = (v === 1 && !('overlay' in auth)) || (v === 2 && isObject(overlay));
    if (!versionFits || typeof run !== 'string' || run === '' || typeof sig !== 'string' || Number.isNaN(expiresMs)) {
      return { kind: 'unsigned', marker: 'a malformed drill signature' };
    }
    return {
      kind: 'signed',
      run,
      expiresMs,
      signature: sig,
      digest: envelopeDigest(value),
      ...(v === 2 ? { overlay } : {}),
    };
  }
  if (auth !== undefined && auth !== false) return { kind: 'unsigned', marker: `drill: ${JSON.stringify(auth)}` };
  const detail = value.detail;
  if (isObject(detail) && detail.trailwardenDrill !== undefined && detail.trailwardenDrill !== false) {
    return { kind: 'unsigned', marker: 'detail.trailwardenDrill' };
  }
  if (value.trailwardenDrill !== undefined && value.trailwardenDrill !== false) {
    return { kind: 'unsigned', marker: 'trailwardenDrill' };
  }
  return undefined;
};

export interface DrillSignature {
  /** The run this drill belongs to (one per `trailwarden drill` invocation). */
  readonly run: string;
  readonly expiresMs: number;
  /** The drill's config overlay (`drill-overlay.ts`), signed with the event; absent: none (v1). */
  readonly overlay?: unknown;
}

/**
 * Sign one drill envelope. `eventId` and `timeMs` are what the evaluate function will parse from it (the
 * CloudTrail eventID and eventTime, or the Config envelope's id and time).
 */
export const signDrillEnvelope = (
  envelope: Record<string, unknown>,
  event: { readonly id: string; readonly timeMs: number },
  key: string,
  signature: DrillSignature,
): Record<string, unknown> => {
  const { drill: _old, ...rest } = envelope;
  const digest = envelopeDigest(rest);
  const { overlay } = signature;
  const sig = mac(key, canonical(event.id, event.timeMs, digest, signature.run, signature.expiresMs, overlay));
  const expires = new Date(signature.expiresMs).toISOString();
  return {
    ...rest,
    drill:
      overlay === undefined
        ? { v: 1, run: signature.run, expires, sig }
        : { v: 2, run: signature.run, expires, overlay, sig },
  };
};

/** Check a claim against the key, in constant time; `nowMs` is when the event was received. */
export const verifyDrillClaim = (
  claim: DrillClaim,
  event: { readonly id: string; readonly timeMs: number },
  key: string,
  nowMs: number,
): DrillVerdict => {
  if (claim.kind === 'unsigned') return { ok: false, reason: `unsigned drill marker (${claim.marker})` };
  if (key.length < MIN_DRILL_KEY_CHARS) return { ok: false, reason: 'the drill key is too short to be one' };
  const expected = Buffer.from(
    mac(key, canonical(event.id, event.timeMs, claim.digest, claim.run, claim.expiresMs, claim.overlay)),
  );
  const given = Buffer.from(claim.signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'drill signature does not match the event (tampered, or signed with another key)' };
  }
  if (claim.expiresMs <= nowMs) {
    return { ok: false, reason: `drill signature expired at ${new Date(claim.expiresMs).toISOString()}` };
  }
  if (claim.expiresMs - nowMs > MAX_DRILL_TTL_MS) {
    return { ok: false, reason: 'drill signature is valid for longer than a drill may be' };
  }
  return { ok: true };
};

/** Where the drill key comes from: loaded lazily, only for a batch that has a drill claim in it. */
export type DrillKey = { readonly ok: true; readonly key: string } | { readonly ok: false; readonly error: string };
