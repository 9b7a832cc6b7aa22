import type { Severity } from './vocabulary.ts';
import { SEVERITIES } from './vocabulary.ts';

/**
 * Response SLAs per severity (issue 10 §3): minutes from an incident opening to its acknowledgement and to its
 * resolution. The file's top-level `sla` sets them (`{ "critical": { "ackMinutes": 15, "resolveMinutes": 240 } }`);
 * a severity left out keeps its default.
 */
export interface SlaTarget {
  readonly ackMinutes: number;
  readonly resolveMinutes: number;
}
export type SlaConfig = Readonly<Record<Severity, SlaTarget>>;

export const DEFAULT_SLA: SlaConfig = {
  critical: { ackMinutes: 15, resolveMinutes: 240 },
  high: { ackMinutes: 60, resolveMinutes: 1440 },
  medium: { ackMinutes: 240, resolveMinutes: 4320 },
  low: { ackMinutes: 1440, resolveMinutes: 10_080 },
  info: { ackMinutes: 1440, resolveMinutes: 43_200 },
};

/** A year: anything longer is a typo, not an SLA. */
const MAX_MINUTES = 525_600;

export type SlaParse =
  | { readonly ok: true; readonly sla: SlaConfig }
  | { readonly ok: false; readonly errors: readonly string[] };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validate `sla`; every problem at once, by path. */
export const parseSlaConfig = (input: unknown, path = 'sla'): SlaParse => {
  if (input === undefined) return { ok: true, sla: DEFAULT_SLA };
  if (!isRecord(input)) return { ok: false, errors: [`${path}: must map severities to {ackMinutes, resolveMinutes}`] };
  const errors: string[] = [];
  const out: Record<string, SlaTarget> = { ...DEFAULT_SLA };
  for (const [severity, raw] of Object.entries(input)) {
    const p = `${path}.${severity}`;
    if (!(SEVERITIES as readonly string[]).includes(severity)) {
      errors.push(`${p}: unknown severity (known: ${SEVERITIES.join(', ')})`);
      continue;
    }
    if (!isRecord(raw)) {
      errors.push(`${p}: must be {ackMinutes, resolveMinutes}`);
      continue;
    }
    for (const key of Object.keys(raw)) {
      if (key !== 'ackMinutes' && key !== 'resolveMinutes') errors.push(`${p}.${key}: unknown key`);
    }
    const base = DEFAULT_SLA[severity as Severity];
    const minutes = (key: 'ackMinutes' | 'resolveMinutes'): number => {
      const v = raw[key];
      if (v === undefined) return base[key];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_MINUTES) {
        errors.push(
          `${p}.${key}: must be a whole number of minutes from 1 to ${MAX_MINUTES} (got ${JSON.stringify(v)})`,
        );
        return base[key];
      }
      return v;
    };
    const target = { ackMinutes: minutes('ackMinutes'), resolveMinutes: minutes('resolveMinutes') };
    if (target.resolveMinutes < target.ackMinutes) {
      errors.push(`${p}: resolveMinutes (${target.resolveMinutes}) is shorter than ackMinutes (${target.ackMinutes})`);
    }
    out[severity] = target;
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, sla: out as SlaConfig };
};
