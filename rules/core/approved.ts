import { describeWindow, isWithinAnyWindow } from './change-window.ts';
import type { CloudTrailRecord } from './cloudtrail.ts';
import { isServiceInvoked, isSuccess, principalArn } from './cloudtrail.ts';
import type { ApprovedProcess } from './config.ts';
import { globToRegExp } from './glob.ts';

/**
 * Why a change was not made through the approved process; empty when it was. The principal must be an
 * approved automation role; when IaC user agents are configured the call must come from one of those tools
 * too (an approved deploy role used by hand from a laptop is not the approved process; a user agent alone
 * never approves anything, since any caller can set it); and when change windows are configured the change
 * must fall inside one, on its CloudTrail `eventTime`.
 */
export const unapprovedReasons = (e: CloudTrailRecord, approved: ApprovedProcess): string[] => {
  const reasons: string[] = [];
  const principal = principalArn(e);
  if (!approved.automationRoles.some((glob) => globToRegExp(glob).test(principal))) {
    reasons.push(`${principal} is not an approved automation role`);
  }
  const agent = e.userAgent ?? '';
  if (approved.iacUserAgents.length > 0 && !approved.iacUserAgents.some((tool) => agent.includes(tool))) {
    reasons.push(`user agent ${JSON.stringify(agent)} is not an approved IaC tool`);
  }
  const windows = approved.changeWindows ?? [];
  if (!isWithinAnyWindow(Date.parse(e.eventTime), windows)) {
    reasons.push(`${e.eventTime} is outside every change window (${windows.map(describeWindow).join('; ')})`);
  }
  return reasons;
};

export const isApprovedChange = (e: CloudTrailRecord, approved: ApprovedProcess): boolean =>
  unapprovedReasons(e, approved).length === 0;

/**
 * A change someone made outside the approved process: the call succeeded, AWS did not make it on its own
 * (`isServiceInvoked`; CloudFormation acting for a caller still counts as someone), and it is not an approved
 * change. The predicate of the "changed outside the approved process" rules; `unapprovedReasons` says why.
 */
export const isUnapprovedChange = (e: CloudTrailRecord, approved: ApprovedProcess): boolean =>
  isSuccess(e) && !isServiceInvoked(e) && !isApprovedChange(e, approved);
