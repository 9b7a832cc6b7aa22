import { describe, expect, it } from 'vitest';
import { DEFAULT_DETECTION_CONFIG } from '../../../rules/core/config.ts';
import { drillClaimOf, signDrillEnvelope, verifyDrillClaim } from '../../../rules/core/drill-auth.ts';
import {
  applyDrillOverlay,
  DRILL_OVERLAY_KEYS,
  overlayKey,
  overlayOfCase,
  parseDrillOverlay,
  refusedOverlayKeys,
} from '../../../rules/core/drill-overlay.ts';

const KEY = 'drill-key-for-tests-0123456789abcdef0123456789';
const NOW = Date.parse('2026-11-02T10:00:00Z');
const EVENT = { id: 'e-1', timeMs: NOW };
const ENVELOPE = { id: 'eb-1', detail: { eventID: 'e-1' } };
const SELF = {
  selfProtection: { resources: ['Trailwarden-*'], deployRoles: ['arn:aws:iam::111122223333:role/cdk-*'] },
};

const signedWith = (overlay?: unknown) =>
  signDrillEnvelope(ENVELOPE, EVENT, KEY, {
    run: 'run-1',
    expiresMs: NOW + 60_000,
    ...(overlay === undefined ? {} : { overlay }),
  });
const verify = (envelope: Record<string, unknown>) => {
  const claim = drillClaimOf(envelope);
  if (claim === undefined) throw new Error('no claim');
  return { claim, verdict: verifyDrillClaim(claim, EVENT, KEY, NOW) };
};

describe('drill overlays in the signature (drill-auth v2)', () => {
  it('an overlay is signed into a v2 claim and verifies; the claim carries it', () => {
    const { claim, verdict } = verify(signedWith({ config: SELF }));
    expect(verdict).toEqual({ ok: true });
    expect(claim).toMatchObject({ kind: 'signed', overlay: { config: SELF } });
  });

  it('altering, adding or stripping the overlay breaks the signature, or the claim is malformed', () => {
    const v2 = signedWith({ criticality: 'high' });
    const field = v2.drill as Record<string, unknown>;
    expect(verify({ ...v2, drill: { ...field, overlay: { criticality: 'low' } } }).verdict.ok).toBe(false);
    const { overlay: _o, ...stripped } = field;
    expect(verify({ ...v2, drill: { ...stripped, v: 1 } }).verdict.ok).toBe(false);
    expect(verify({ ...v2, drill: stripped }).claim).toEqual({
      kind: 'unsigned',
      marker: 'a malformed drill signature',
    });
    const v1 = signedWith();
    expect(verify({ ...v1, drill: { ...(v1.drill as object), overlay: { criticality: 'low' } } }).claim.kind).toBe(
      'unsigned',
    );
    expect(
      verify({ ...v1, drill: { ...(v1.drill as object), v: 2, overlay: { criticality: 'low' } } }).verdict,
    ).toEqual({ ok: false, reason: expect.stringMatching(/signature does not match/) });
    // A v2 overlay that is not an object is malformed.
    expect(verify({ ...v2, drill: { ...field, overlay: 'high' } }).claim.kind).toBe('unsigned');
  });
});

describe('parseDrillOverlay', () => {
  it('keeps only the keys it was given, validated as config', () => {
    const parsed = parseDrillOverlay({ config: { approvedRegions: ['eu-west-1'], ...SELF }, criticality: 'high' });
    expect(parsed).toEqual({
      ok: true,
      overlay: { config: { approvedRegions: ['eu-west-1'], ...SELF }, criticality: 'high' },
    });
    expect(parseDrillOverlay({ criticality: 'low' })).toEqual({ ok: true, overlay: { criticality: 'low' } });
  });

  it.each([
    ['not an object', [1], /not an object/],
    ['empty', {}, /empty/],
    ['unknown field', { criticality: 'low', scope: 'all' }, /unknown fields: scope/],
    ['bad criticality', { criticality: 'critical' }, /criticality/],
    ['config not an object', { config: [] }, /config is not an object/],
    ['suppressions', { config: { suppressions: [] } }, /may not set suppressions/],
    ['anonymisers', { config: { anonymisers: { source: 'file:x', name: 'x' } } }, /may not set anonymisers/],
    ['criticality map', { config: { criticality: { default: 'low' } } }, /may not set criticality/],
    ['temporaryAccess', { config: { temporaryAccess: [] } }, /may not set temporaryAccess/],
    ['invalid value', { config: { selfProtection: { resources: ['*'] } } }, /not valid config/],
  ])('refuses %s', (_name, raw, reason) => {
    const parsed = parseDrillOverlay(raw);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });

  it('the keys an overlay may carry are the ones rules read, none that decides paging or folding', () => {
    for (const k of ['suppressions', 'incidents', 'clockSkewMinutes', 'anonymisers', 'temporaryAccess', 'criticality'])
      expect(DRILL_OVERLAY_KEYS as readonly string[]).not.toContain(k);
    expect(refusedOverlayKeys({ suppressions: [], approvedRegions: [] })).toEqual(['suppressions']);
    expect(refusedOverlayKeys(undefined)).toEqual([]);
  });
});

describe('overlayOfCase and applyDrillOverlay', () => {
  it('a case with neither config nor criticality has no overlay', () => {
    expect(overlayOfCase({})).toBeUndefined();
    expect(overlayOfCase({ config: {} })).toBeUndefined();
    expect(overlayKey(undefined)).toBe('');
  });

  it('replaces only the overlay keys and forces the criticality everywhere', () => {
    const base = {
      ...DEFAULT_DETECTION_CONFIG,
      approvedRegions: ['us-east-1'],
      criticality: { default: 'low' as const, accounts: { '111122223333': 'high' as const }, resources: [] },
    };
    const overlay = overlayOfCase({ config: SELF, criticality: 'medium' });
    expect(overlay).toEqual({ config: SELF, criticality: 'medium' });
    const merged = applyDrillOverlay(base, overlay);
    expect(merged).toEqual({
      ...base,
      ...SELF,
      criticality: { default: 'medium', accounts: {}, resources: [], tags: [] },
    });
    expect(applyDrillOverlay(base, undefined)).toBe(base);
    expect(overlayKey(overlay)).not.toBe(overlayKey({ config: SELF }));
  });
});
