import { describeWindow, isWithinAnyWindow } from './change-window.ts';
import type { CloudTrailRecord } from './cloudtrail.ts';
import { isJsonObject, isServiceInvoked, isSuccess, principalArn } from './cloudtrail.ts';
import type { ApprovedProcess } from './config.ts';
import { globToRegExp } from './glob.ts';

/** The caller is one of `approved.automationRoles` (IaC pipelines, inventory and posture scanners). */
export const isApprovedAutomationRole = (e: CloudTrailRecord, approved: ApprovedProcess): boolean => {
  const principal = principalArn(e);
  return approved.automationRoles.some((glob) => globToRegExp(glob).test(principal));
};

/**
 * Why a change was not made through the approved process; empty when it was. The principal must be an
 * approved automation role; when IaC user agents are configured the call must come from one of those tools
 * too (an approved deploy role used by hand from a laptop is not the approved process; a user agent alone
 * never approves anything, since any caller can set it); and when change windows are configured the change
 * must fall inside one, on its CloudTrail `eventTime`.
 */
export const unapprovedReasons = (e: CloudTrailRecord, approved: ApprovedProcess): string[] => {
  const reasons: string[] = [];
  if (!isApprovedAutomationRole(e, approved)) reasons.push(`${principalArn(e)} is not an approved automation role`);
  const agent = e.userAgent ?? '';
  if (approved.iacUserAgents.length > 0 && !approved.iacUserAgents.some((tool) => agent.includes(tool))) {
    reasons.push(`user agent ${JSON.stringify(agent)} is not an approved IaC tool`);
  }
  const windows = approved.changeWindows ?? [];
  if (!isWithinAnyWindow(Date.parse(e.eventTime), windows)) {
    reasons.push(`${e.eventTime} is outside every change window (${windows.map(describeWindow).join('; ')})`);
  }
  if (approved.ticketPattern !== undefined) {
    const seen = changeTicket(e, approved.ticketPattern);
    if (seen === undefined) {
      reasons.push(
        `no change ticket matching /${approved.ticketPattern}/ in the role session name, sourceIdentity or session tags`,
      );
    } else if (reasons.length > 0) {
      // Context for on-call, not a reason: the change is unapproved for the reasons above whatever the ticket.
      reasons.push(`change ticket ${seen.ticket} seen in the ${seen.where}`);
    }
  }
  return reasons;
};

/** A change ticket reference and where the session carried it. */
export interface TicketSighting {
  readonly ticket: string;
  readonly where: string;
}

/** `arn:aws:sts::111122223333:assumed-role/deploy-role/CHG-1234` → `CHG-1234`. */
const sessionNameOf = (e: CloudTrailRecord): string | undefined => {
  // Stryker disable next-line StringLiteral: any fallback without ":assumed-role/" yields no session name, as '' does
  const arn = e.userIdentity.arn ?? '';
  const match = /:assumed-role\/[^/]+\/(.+)$/.exec(arn);
  return match?.[1];
};

/**
 * Where a session can carry a ticket, most specific first: the role session name and the `sourceIdentity` of the
 * calling session (CloudTrail records both on every call), and on the AssumeRole call that starts the session, the
 * session name, source identity and session tags it asks for (later calls do not show tags).
 */
const ticketPlaces = (e: CloudTrailRecord): { readonly where: string; readonly value: string | undefined }[] => {
  const own = [
    { where: 'role session name', value: sessionNameOf(e) },
    { where: 'sourceIdentity', value: e.userIdentity.sessionContext?.sourceIdentity },
  ];
  if (e.eventSource !== 'sts.amazonaws.com' || !isJsonObject(e.requestParameters ?? null)) return own;
  const req = e.requestParameters ?? {};
  const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  // Stryker disable next-line ArrayDeclaration: a fallback list of strings holds no tag objects, so it adds no place
  const tags = Array.isArray(req.tags) ? req.tags : [];
  return [
    ...own,
    { where: 'requested role session name', value: text(req.roleSessionName) },
    { where: 'requested sourceIdentity', value: text(req.sourceIdentity) },
    ...tags.flatMap((t) =>
      // Stryker disable next-line ArrayDeclaration: a string in place of [] destructures to an undefined value, never searched
      isJsonObject(t) && typeof t.key === 'string' ? [{ where: `session tag ${t.key}`, value: text(t.value) }] : [],
    ),
  ];
};

/** The first change ticket matching `pattern` the session carries, or undefined. A bad pattern finds nothing. */
export const changeTicket = (e: CloudTrailRecord, pattern: string): TicketSighting | undefined => {
  let re: RegExp;
  try {
    re = new RegExp(pattern);
  } catch {
    return undefined;
  }
  for (const { where, value } of ticketPlaces(e)) {
    const found = value === undefined ? null : re.exec(value);
    if (found) return { ticket: found[0], where };
  }
  return undefined;
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
