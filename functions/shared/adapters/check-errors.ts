import type { CheckFailure, Where } from '../../../rules/core/health.ts';

/** Any SDK error (throttling, access denied, timeout) as a failed check: an unknown state is never healthy. */
export const checkFailure = (where: Where, check: string, target: string, err: unknown): CheckFailure => ({
  kind: 'check-failed',
  ...where,
  check,
  target,
  errorCode: err instanceof Error ? err.name : 'Error',
  message: err instanceof Error ? err.message : String(err),
});
