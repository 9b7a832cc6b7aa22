import type { DetectionConfig } from './config.ts';
import { parseDetectionConfig } from './config.ts';
import type { Criticality, RuleCase } from './types.ts';
import { CRITICALITIES } from './types.ts';

/**
 * A drill's config overlay (issue: drills in AWS for every critical and high rule), pure. Many positive cases need
 * config the deployed evaluate function does not run (Trailwarden's own resources for the self-protection rules,
 * approved regions, service users, an escalated criticality). The drill carries what its case needs as an overlay
 * inside the signed drill claim (`drill-auth.ts` v2: the HMAC covers it), and the evaluate function judges a
 * verified drill event with the deployed config merged with it:
 *
 * - only a drill whose signature verified gets its overlay; any other event (real, forged, tampered, expired) is
 *   judged with the deployed config, and a claim whose overlay was altered does not verify at all;
 * - only in the drill namespace: a drill's counters, memory, dedup keys, finding ids and incidents never meet a
 *   real event's (`detector.ts` `namespaceOf`), so what an overlay makes fire can fold or pre-claim nothing real;
 * - never persisted: it lives for the batch the drill is in;
 * - never wider than a case needs: only the keys of `DRILL_OVERLAY_KEYS`, each validated like deployed config.
 *   Suppressions (which would hide the drill's own page), the incident and clock-skew settings (which decide how
 *   pages fold and what counts as future-dated), the anonymiser list (a source the deployed function loads) and
 *   temporary-access entries (another function's) are refused: a signed claim carrying one is a forged drill.
 */

/** Top-level detection config keys a drill overlay may replace: those rule predicates read, nothing else. */
export const DRILL_OVERLAY_KEYS = [
  'approved',
  'organization',
  'businessHours',
  'approvedRegions',
  'selfProtection',
  'software',
  'compute',
  'serviceUsers',
] as const satisfies readonly (keyof DetectionConfig)[];

export type DrillOverlayKey = (typeof DRILL_OVERLAY_KEYS)[number];

/** What a drill needs beyond the deployed config: replaced top-level keys, and a forced criticality. */
export interface DrillOverlay {
  readonly config?: Partial<Pick<DetectionConfig, DrillOverlayKey>>;
  readonly criticality?: Criticality;
}

export type OverlayParse =
  | { readonly ok: true; readonly overlay: DrillOverlay }
  | { readonly ok: false; readonly reason: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isOverlayKey = (k: string): k is DrillOverlayKey => (DRILL_OVERLAY_KEYS as readonly string[]).includes(k);

/** Why each config key outside `DRILL_OVERLAY_KEYS` may not travel in an overlay (for skip reasons and refusals). */
const REFUSED_WHY: Readonly<Record<string, string>> = {
  suppressions: 'suppressions (they would hide what the drill must prove pages)',
  anonymisers:
    "anonymisers (the list is the deployed function's own source: a drill can neither choose it nor know an address on it)",
  incidents: 'incidents (how pages fold is the deployed setting a drill proves)',
  clockSkewMinutes: 'clockSkewMinutes (what counts as future-dated is the deployed setting)',
  temporaryAccess: "temporaryAccess (the elevated-access check's, not the evaluate function's)",
  criticality: 'criticality (a drill forces one level, never a map)',
};

/** A refused key, with why it is refused. */
export const whyRefused = (key: string): string => REFUSED_WHY[key] ?? `${key} (not a key rules read)`;

/** The config keys of a case that no overlay may carry (empty: the case can be drilled through an overlay). */
export const refusedOverlayKeys = (config: Partial<DetectionConfig> | undefined): string[] =>
  Object.keys(config ?? {}).filter((k) => !isOverlayKey(k));

/**
 * The overlay of a case: its config overrides and its criticality, as plain JSON data (the form that is signed).
 * Undefined when the case needs neither.
 */
export const overlayOfCase = (c: Pick<RuleCase, 'config' | 'criticality'>): DrillOverlay | undefined => {
  const config = c.config === undefined ? undefined : (JSON.parse(JSON.stringify(c.config)) as DrillOverlay['config']);
  const hasConfig = config !== undefined && Object.keys(config).length > 0;
  if (!hasConfig && c.criticality === undefined) return undefined;
  return { ...(hasConfig ? { config } : {}), ...(c.criticality === undefined ? {} : { criticality: c.criticality }) };
};

/**
 * Read an overlay from a verified drill claim. Everything is checked again (the signer is trusted to hold the key,
 * not to be right): only known fields, only `DRILL_OVERLAY_KEYS`, each key valid as deployed config would be.
 */
export const parseDrillOverlay = (raw: unknown): OverlayParse => {
  if (!isObject(raw)) return { ok: false, reason: 'the drill overlay is not an object' };
  const extra = Object.keys(raw).filter((k) => k !== 'config' && k !== 'criticality');
  if (extra.length > 0) return { ok: false, reason: `the drill overlay has unknown fields: ${extra.join(', ')}` };
  const { config, criticality } = raw;
  if (criticality !== undefined && !CRITICALITIES.some((c) => c === criticality)) {
    return { ok: false, reason: `the drill overlay's criticality is not high, medium or low` };
  }
  if (config !== undefined && !isObject(config))
    return { ok: false, reason: "the drill overlay's config is not an object" };
  const keys = Object.keys(config ?? {});
  const refused = keys.filter((k) => !isOverlayKey(k));
  if (refused.length > 0) {
    // Only the keys, not `whyRefused`: the evaluate bundle (which has a size ceiling) need not carry the prose.
    return { ok: false, reason: `a drill overlay may not set ${refused.join(', ')}` };
  }
  if (config === undefined && criticality === undefined) return { ok: false, reason: 'the drill overlay is empty' };
  const parsed = parseDetectionConfig(config ?? {}, 'overlay');
  if (!parsed.ok) return { ok: false, reason: `the drill overlay is not valid config: ${parsed.errors.join('; ')}` };
  const picked: Record<string, unknown> = {};
  for (const k of keys) if (isOverlayKey(k)) picked[k] = parsed.config[k];
  return {
    ok: true,
    overlay: {
      ...(keys.length > 0 ? { config: picked as DrillOverlay['config'] } : {}),
      ...(criticality === undefined ? {} : { criticality: criticality as Criticality }),
    },
  };
};

/**
 * The config a drill is judged with: the base (deployed) config with the overlay's keys replaced, and its
 * criticality forced (every account and resource at that level). The one definition `drill.ts` plans with and the
 * evaluate function judges with.
 */
export const applyDrillOverlay = (
  base: DetectionConfig,
  overlay: { readonly config?: Partial<DetectionConfig>; readonly criticality?: Criticality } | undefined,
): DetectionConfig => {
  if (overlay === undefined) return base;
  const merged: DetectionConfig = overlay.config ? { ...base, ...overlay.config } : base;
  return overlay.criticality
    ? { ...merged, criticality: { default: overlay.criticality, accounts: {}, resources: [], tags: [] } }
    : merged;
};

/** A stable key for grouping events judged with the same overlay ('' for none). */
export const overlayKey = (overlay: DrillOverlay | undefined): string =>
  overlay === undefined ? '' : JSON.stringify(overlay);
