import type { CloudTrailRecord } from './cloudtrail.ts';
import { isServiceInvoked, isSuccess, principalArn } from './cloudtrail.ts';
import type { DetectionConfig } from './config.ts';
import { globToRegExp } from './glob.ts';

/**
 * Tampering with Trailwarden itself (DESIGN §3, A.8.16). Each `trailwarden-*-tampered` rule extracts the names
 * and ARNs a call names (CloudTrail logs bare names for many of these calls, so rules pass both) and asks
 * these questions of `detection.selfProtection`. Without it nothing is Trailwarden's and nothing matches.
 */

/** The first `selfProtection.resources` glob that any candidate name or ARN matches. */
const matchingGlob = (candidates: readonly string[], config: DetectionConfig): string | undefined =>
  config.selfProtection?.resources.find((glob) => {
    const re = globToRegExp(glob);
    return candidates.some((c) => re.test(c));
  });

/** Whether any candidate (name or ARN) is one of Trailwarden's own resources. */
export const isOwnResource = (candidates: readonly string[], config: DetectionConfig): boolean =>
  matchingGlob(candidates, config) !== undefined;

/** Whether the role (or user) behind the call is one of the roles that deploy Trailwarden. */
export const isDeployRole = (e: CloudTrailRecord, config: DetectionConfig): boolean => {
  const principal = principalArn(e);
  return (config.selfProtection?.deployRoles ?? []).some((glob) => globToRegExp(glob).test(principal));
};

/**
 * The predicate every self-protection rule shares: a successful call on one of Trailwarden's resources, made by
 * someone (AWS acting on its own is not tampering) other than a deploy role.
 */
export const isSelfTampering = (e: CloudTrailRecord, candidates: readonly string[], config: DetectionConfig): boolean =>
  isSuccess(e) && !isServiceInvoked(e) && isOwnResource(candidates, config) && !isDeployRole(e, config);

/** For the finding: which resource glob matched, and that the principal is not a deploy role. */
export const explainSelfTampering = (
  e: CloudTrailRecord,
  candidates: readonly string[],
  config: DetectionConfig,
): string[] => {
  const glob = matchingGlob(candidates, config);
  if (glob === undefined) return [];
  const re = globToRegExp(glob);
  const resource = candidates.find((c) => re.test(c)) ?? glob;
  return [
    `${resource} is a Trailwarden resource (selfProtection.resources ${JSON.stringify(glob)})`,
    `${principalArn(e)} is not a Trailwarden deploy role (selfProtection.deployRoles)`,
  ];
};
