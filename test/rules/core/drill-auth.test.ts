import { describe, expect, it } from 'vitest';
import type { DrillClaim } from '../../../rules/core/drill-auth.ts';
import { drillClaimOf, MAX_DRILL_TTL_MS, signDrillEnvelope, verifyDrillClaim } from '../../../rules/core/drill-auth.ts';
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
