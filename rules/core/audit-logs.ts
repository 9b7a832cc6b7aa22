import type { CloudTrailRecord } from './cloudtrail.ts';
import { stringParam } from './cloudtrail.ts';

/** Names that say "this log group is audit evidence": trails, flow and DNS logs, security tooling, Trailwarden itself. */
const AUDIT_LOG_GROUP = /cloudtrail|audit|flow|vpc|security|trailwarden|aws-controltower|guardduty/i;

/** The log group a CloudWatch Logs call names (`logGroupName`, or `logGroupIdentifier` on newer APIs). */
export const logGroupOf = (e: CloudTrailRecord): string =>
  stringParam(e.requestParameters, 'logGroupName') ??
  stringParam(e.requestParameters, 'logGroupIdentifier') ??
  'unknown-log-group';

export const isAuditLogGroupName = (name: string): boolean => AUDIT_LOG_GROUP.test(name);

/** Whether the call acts on a log group whose name marks it as audit evidence. */
export const isAuditLogGroup = (e: CloudTrailRecord): boolean => isAuditLogGroupName(logGroupOf(e));
