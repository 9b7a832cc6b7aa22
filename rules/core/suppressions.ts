import type { Finding } from './finding.ts';
import { globToRegExp } from './glob.ts';

/**
 * A reasoned, dated exception: findings it matches are still archived (flagged) but never paged. Every
 * matcher given must match; at least one is required so a suppression can never silence everything.
 */
export interface Suppression {
  /** Rule id glob, e.g. `ec2.security-group-changed` or `iam.*`. */
  readonly ruleId?: string;
  /** ARN glob of the actor: the user, the role, or the assumed-role session. */
  readonly principal?: string;
  /** ARN glob that any of the finding's resources matches. */
  readonly resource?: string;
  readonly account?: string;
  readonly reason: string;
  /** Last day it applies (`YYYY-MM-DD`, inclusive, UTC). */
  readonly expires: string;
}

export const SUPPRESSION_MATCHERS = ['ruleId', 'principal', 'resource', 'account'] as const;

/** `arn:aws:sts::1:assumed-role/Name/session` → `arn:aws:iam::1:role/Name`, so a suppression can name the role. */
const roleOfSession = (arn: string): string | undefined => {
  const m = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\//.exec(arn);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : undefined;
};

const matches = (s: Suppression, f: Finding): boolean => {
  if (s.ruleId !== undefined && !globToRegExp(s.ruleId).test(f.ruleId)) return false;
  if (s.account !== undefined && s.account !== f.account) return false;
  if (s.principal !== undefined) {
    const re = globToRegExp(s.principal);
    const role = roleOfSession(f.actor.arn);
    if (!re.test(f.actor.arn) && (role === undefined || !re.test(role))) return false;
  }
  if (s.resource !== undefined) {
    const re = globToRegExp(s.resource);
    if (!f.resources.some((r) => re.test(r))) return false;
  }
  return true;
};

/** End of the expiry day, UTC: a suppression "until 2026-12-31" covers all of that day. */
export const expiryMs = (expires: string): number => Date.parse(`${expires}T23:59:59.999Z`);

/**
 * Attach the suppression that applies to a finding, judged at the finding's event time (not the clock), so
 * the CLI replaying old logs and the Lambda agree. An active one wins over expired ones; among expired ones
 * the most recently expired is named.
 */
export const applySuppressions = (finding: Finding, suppressions: readonly Suppression[]): Finding => {
  // Stryker disable next-line ConditionalExpression: equivalent, a shortcut; the loop below returns `finding` itself
  if (suppressions.length === 0) return finding;
  const at = Date.parse(finding.firstSeen);
  let expired: Suppression | undefined;
  for (const s of suppressions) {
    if (!matches(s, finding)) continue;
    if (at <= expiryMs(s.expires)) {
      return { ...finding, suppression: { status: 'active', reason: s.reason, expires: s.expires } };
    }
    if (expired === undefined || s.expires > expired.expires) expired = s;
  }
  return expired
    ? { ...finding, suppression: { status: 'expired', reason: expired.reason, expires: expired.expires } }
    : finding;
};

/** Pages only what is not actively suppressed. */
export const shouldPage = (finding: Finding): boolean => finding.suppression?.status !== 'active';
