import { unknownKeys } from '../rules/core/unknown-keys.ts';

/**
 * `elevatedAccess` in trailwarden.config.json: the scheduled check for temporary admin access not revoked
 * (functions/elevated-access, rules/core/elevated-access.ts). Which grants are temporary comes from `expires`
 * tags and from `detection.temporaryAccess`; this block only turns the check on and sets its timing.
 *
 * ```json
 * "elevatedAccess": { "enabled": true, "schedule": "rate(30 minutes)", "graceMinutes": 15 }
 * ```
 */
export interface ElevatedAccessConfig {
  /** Default true: the check only reads IAM, and finds nothing until something is marked temporary. */
  readonly enabled: boolean;
  /** EventBridge schedule expression, `rate(…)` or `cron(…)` (default `rate(30 minutes)`). */
  readonly schedule: string;
  /** Minutes after an expiry before a grant still in place is a finding (0..1440, default 15). */
  readonly graceMinutes: number;
}

export const DEFAULT_ELEVATED_ACCESS: ElevatedAccessConfig = {
  enabled: true,
  schedule: 'rate(30 minutes)',
  graceMinutes: 15,
};

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => JSON.stringify(v) ?? String(v);
/** A rate of at least 5 minutes (IAM reads cost quota shared with every other IAM caller), or a cron expression. */
const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\([^()]+\)$/;
export const ELEVATED_ACCESS_KEYS = ['enabled', 'schedule', 'graceMinutes'];

export const parseElevatedAccess = (v: unknown, at: (key: string, msg: string) => void): ElevatedAccessConfig => {
  if (v === undefined) return DEFAULT_ELEVATED_ACCESS;
  if (!isRecord(v)) {
    at('elevatedAccess', `must be {enabled?, schedule?, graceMinutes?} (got ${show(v)})`);
    return DEFAULT_ELEVATED_ACCESS;
  }
  unknownKeys(v, ELEVATED_ACCESS_KEYS, 'elevatedAccess.', at);
  const enabled = v.enabled ?? DEFAULT_ELEVATED_ACCESS.enabled;
  if (typeof enabled !== 'boolean') at('elevatedAccess.enabled', `must be true or false (got ${show(enabled)})`);
  const schedule = v.schedule ?? DEFAULT_ELEVATED_ACCESS.schedule;
  const rate = typeof schedule === 'string' ? RATE.exec(schedule) : null;
  const rateOk = rate !== null && (rate[2]?.startsWith('minute') ? Number(rate[1]) >= 5 : Number(rate[1]) >= 1);
  if (typeof schedule !== 'string' || !(rateOk || CRON.test(schedule))) {
    at(
      'elevatedAccess.schedule',
      `must be rate(N minutes|hours|days) with N minutes >= 5, or cron(…) (got ${show(schedule)})`,
    );
  }
  const grace = v.graceMinutes ?? DEFAULT_ELEVATED_ACCESS.graceMinutes;
  if (typeof grace !== 'number' || !Number.isInteger(grace) || grace < 0 || grace > 1440) {
    at('elevatedAccess.graceMinutes', `must be a whole number of minutes from 0 to 1440 (got ${show(grace)})`);
  }
  return {
    enabled: enabled === true,
    schedule: typeof schedule === 'string' ? schedule : DEFAULT_ELEVATED_ACCESS.schedule,
    graceMinutes: typeof grace === 'number' ? grace : DEFAULT_ELEVATED_ACCESS.graceMinutes,
  };
};
