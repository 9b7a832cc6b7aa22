import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { DrillClaim } from '../../../rules/core/drill-auth.ts';
import {
  drillClaimOf,
  MAX_DRILL_TTL_MS,
  MIN_DRILL_KEY_CHARS,
  signDrillEnvelope,
  verifyDrillClaim,
} from '../../../rules/core/drill-auth.ts';
import { toAuditEvent } from '../../../rules/core/events.ts';

const KEY = 'a-drill-key-of-more-than-thirty-two-chars';
const NOW = Date.parse('2026-11-02T10:00:00Z');
const configEnvelope = {
  version: '0',
  id: 'drill-config-1',
  'detail-type': 'Config Configuration Item Change',
  source: 'aws.config',
  account: '111122223333',
  time: '2026-11-02T09:59:00Z',
  region: 'us-east-1',
  detail: { configurationItem: { resourceType: 'AWS::S3::Bucket', resourceId: 'b' } },
};

const claimed = (env: Record<string, unknown>) => {
  const parsed = toAuditEvent(env);
  if (!parsed.ok || parsed.event.drillClaim === undefined) throw new Error('no claim');
  return { event: parsed.event, claim: parsed.event.drillClaim as DrillClaim };
};
const sign = (env: Record<string, unknown>, expiresMs: number, key = KEY) => {
  const parsed = toAuditEvent(env);
  if (!parsed.ok) throw new Error(parsed.error);
  return signDrillEnvelope(env, parsed.event, key, { run: 'run-1', expiresMs });
};

describe('drill signatures', () => {
  it('a signed Config envelope verifies until it expires, and never after', () => {
    const { event, claim } = claimed(sign(configEnvelope, NOW + 60_000));
    expect(verifyDrillClaim(claim, event, KEY, NOW)).toEqual({ ok: true });
    expect(verifyDrillClaim(claim, event, KEY, NOW + 60_000)).toMatchObject({ ok: false });
  });

  it('binds the envelope: another id, time, account or detail is a mismatch', () => {
    const signed = sign(configEnvelope, NOW + 60_000);
    for (const change of [{ id: 'other' }, { time: '2026-11-02T09:58:00Z' }, { account: '444455556666' }]) {
      const { event, claim } = claimed({ ...signed, ...change });
      expect(verifyDrillClaim(claim, event, KEY, NOW).ok, JSON.stringify(change)).toBe(false);
    }
  });

  it('refuses a signature valid for longer than a drill may be, and a key too short to be one', () => {
    const long = claimed(sign(configEnvelope, NOW + MAX_DRILL_TTL_MS + 1000));
    expect(verifyDrillClaim(long.claim, long.event, KEY, NOW)).toEqual({
      ok: false,
      reason: 'drill signature is valid for longer than a drill may be',
    });
    const short = claimed(sign(configEnvelope, NOW + 60_000, 'short'));
    expect(verifyDrillClaim(short.claim, short.event, 'short', NOW).ok).toBe(false);
  });

  it('reads every way of claiming a drill, and none from an ordinary event', () => {
    expect(drillClaimOf(configEnvelope)).toBeUndefined();
    expect(drillClaimOf({ ...configEnvelope, drill: false })).toBeUndefined();
    expect(drillClaimOf({ ...configEnvelope, drill: true })).toEqual({ kind: 'unsigned', marker: 'drill: true' });
    expect(drillClaimOf({ ...configEnvelope, drill: 'yes' })).toEqual({ kind: 'unsigned', marker: 'drill: "yes"' });
    expect(drillClaimOf({ eventID: 'e', trailwardenDrill: 1 })).toEqual({
      kind: 'unsigned',
      marker: 'trailwardenDrill',
    });
    expect(drillClaimOf({ ...configEnvelope, drill: { v: 2, run: 'r', expires: 'x', sig: 's' } })).toEqual({
      kind: 'unsigned',
      marker: 'a malformed drill signature',
    });
  });
});

describe('drill signatures: the exact message, the malformed claims and the edges', () => {
  const signedClaim = (expiresMs: number, key = KEY) => claimed(sign(configEnvelope, expiresMs, key));

  it('is an HMAC-SHA256 (hex) over version, id, time, envelope hash, run and expiry, one per line', () => {
    const expiresMs = NOW + 60_000;
    const signed = sign(configEnvelope, expiresMs);
    const { drill: _sig, ...unsigned } = signed;
    const envelopeHash = createHash('sha256').update(JSON.stringify(unsigned)).digest('hex');
    const message = [
      'trailwarden-drill/v1',
      'drill-config-1',
      String(Date.parse('2026-11-02T09:59:00Z')),
      envelopeHash,
      'run-1',
      String(expiresMs),
    ].join('\n');
    expect(signed.drill).toEqual({
      v: 1,
      run: 'run-1',
      expires: new Date(expiresMs).toISOString(),
      sig: createHmac('sha256', KEY).update(message).digest('hex'),
    });
    expect(drillClaimOf(signed)).toEqual({
      kind: 'signed',
      run: 'run-1',
      expiresMs,
      signature: createHmac('sha256', KEY).update(message).digest('hex'),
      digest: envelopeHash,
    });
  });

  it.each([
    ['another version', { v: 2 }],
    ['no run', { run: undefined }],
    ['a numeric run', { run: 7 }],
    ['an empty run', { run: '' }],
    ['no signature', { sig: undefined }],
    ['a numeric signature', { sig: 12 }],
    ['an unreadable expiry', { expires: 'soon' }],
    ['an expiry in epoch milliseconds', { expires: NOW + 60_000 }],
    ['an expiry in a list', { expires: [new Date(NOW + 60_000).toISOString()] }],
  ])('a signed claim with %s is malformed, not signed', (_name, change) => {
    const signed = sign(configEnvelope, NOW + 60_000);
    const drill = { ...(signed.drill as Record<string, unknown>), ...change };
    expect(drillClaimOf({ ...signed, drill })).toEqual({ kind: 'unsigned', marker: 'a malformed drill signature' });
  });

  it('reads null, detail and bare-record markers, and ignores an explicit false in each place', () => {
    expect(drillClaimOf({ ...configEnvelope, drill: null })).toEqual({ kind: 'unsigned', marker: 'drill: null' });
    expect(drillClaimOf({ ...configEnvelope, drill: [] })).toEqual({ kind: 'unsigned', marker: 'drill: []' });
    const detail = (trailwardenDrill: unknown) => ({
      ...configEnvelope,
      detail: { ...configEnvelope.detail, trailwardenDrill },
    });
    expect(drillClaimOf(detail(true))).toEqual({ kind: 'unsigned', marker: 'detail.trailwardenDrill' });
    expect(drillClaimOf(detail('yes'))).toEqual({ kind: 'unsigned', marker: 'detail.trailwardenDrill' });
    expect(drillClaimOf(detail(false))).toBeUndefined();
    expect(drillClaimOf({ ...configEnvelope, detail: null })).toBeUndefined();
    expect(drillClaimOf({ eventID: 'e', trailwardenDrill: false })).toBeUndefined();
    expect(drillClaimOf({ eventID: 'e' })).toBeUndefined();
  });

  it('refuses an unsigned claim with its marker, whatever the key', () => {
    const { event } = signedClaim(NOW + 60_000);
    expect(verifyDrillClaim({ kind: 'unsigned', marker: 'drill: true' }, event, KEY, NOW)).toEqual({
      ok: false,
      reason: 'unsigned drill marker (drill: true)',
    });
  });

  it('takes a key of exactly the minimum length, and refuses one a character shorter', () => {
    const exact = 'k'.repeat(MIN_DRILL_KEY_CHARS);
    const ok = signedClaim(NOW + 60_000, exact);
    expect(verifyDrillClaim(ok.claim, ok.event, exact, NOW)).toEqual({ ok: true });
    const shorter = exact.slice(1);
    const refused = signedClaim(NOW + 60_000, shorter);
    expect(verifyDrillClaim(refused.claim, refused.event, shorter, NOW)).toEqual({
      ok: false,
      reason: 'the drill key is too short to be one',
    });
  });

  it('names a mismatch: another key, a changed envelope, or a signature of another length', () => {
    const mismatch = {
      ok: false,
      reason: 'drill signature does not match the event (tampered, or signed with another key)',
    };
    const { event, claim } = signedClaim(NOW + 60_000);
    if (claim.kind !== 'signed') throw new Error('a signed claim was expected');
    expect(verifyDrillClaim(claim, event, `${KEY}-other`, NOW)).toEqual(mismatch);
    expect(verifyDrillClaim(claim, { ...event, id: 'other' }, KEY, NOW)).toEqual(mismatch);
    expect(verifyDrillClaim(claim, { ...event, timeMs: event.timeMs + 1 }, KEY, NOW)).toEqual(mismatch);
    expect(verifyDrillClaim({ ...claim, signature: claim.signature.slice(2) }, event, KEY, NOW)).toEqual(mismatch);
    expect(verifyDrillClaim({ ...claim, run: 'run-2' }, event, KEY, NOW)).toEqual(mismatch);
  });

  it('is valid up to one millisecond before its expiry and names the expiry after; exactly the maximum TTL is allowed', () => {
    const expiresMs = NOW + 60_000;
    const { event, claim } = signedClaim(expiresMs);
    expect(verifyDrillClaim(claim, event, KEY, expiresMs - 1)).toEqual({ ok: true });
    expect(verifyDrillClaim(claim, event, KEY, expiresMs)).toEqual({
      ok: false,
      reason: `drill signature expired at ${new Date(expiresMs).toISOString()}`,
    });
    const longest = signedClaim(NOW + MAX_DRILL_TTL_MS);
    expect(verifyDrillClaim(longest.claim, longest.event, KEY, NOW)).toEqual({ ok: true });
    expect(verifyDrillClaim(longest.claim, longest.event, KEY, NOW - 1).ok).toBe(false);
  });
});
