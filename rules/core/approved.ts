import type { CloudTrailRecord } from './cloudtrail.ts';
import { principalArn } from './cloudtrail.ts';
import type { ApprovedProcess } from './config.ts';
import { globToRegExp } from './config.ts';

/**
 * Was this change made through the approved process? The principal must be an approved automation role and,
 * when IaC user agents are configured, the call must come from one of those tools too: an approved deploy
 * role used by hand from the console or a laptop is not the approved process. A user agent alone never
 * approves anything, since any caller can set it.
 */
export const isApprovedChange = (e: CloudTrailRecord, approved: ApprovedProcess): boolean => {
  const principal = principalArn(e);
  if (!approved.automationRoles.some((glob) => globToRegExp(glob).test(principal))) return false;
  if (approved.iacUserAgents.length === 0) return true;
  const agent = e.userAgent ?? '';
  return approved.iacUserAgents.some((tool) => agent.includes(tool));
};
