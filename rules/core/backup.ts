import { resourceArn } from './arn.ts';
import type { CloudTrailRecord } from './cloudtrail.ts';
import { param, stringParam } from './cloudtrail.ts';

/** `arn:<partition>:backup:<region>:<account>:backup-vault:<name>`, from the request's `backupVaultName`. */
export const backupVaultArns = (e: CloudTrailRecord): string[] => {
  const name = stringParam(e.requestParameters, 'backupVaultName');
  return name === undefined ? [] : [resourceArn(e, 'backup', `backup-vault:${name}`)];
};

/** The backup plan a call acted on: the response's ARN, else built from `backupPlanId`. */
export const backupPlanArns = (e: CloudTrailRecord): string[] => {
  const returned = stringParam(e.responseElements, 'backupPlanArn');
  if (returned !== undefined) return [returned];
  const id = stringParam(e.requestParameters, 'backupPlanId');
  return id === undefined ? [] : [resourceArn(e, 'backup', `backup-plan:${id}`)];
};

/**
 * The shortest retention (`lifecycle.deleteAfterDays`) any rule of an UpdateBackupPlan / CreateBackupPlan
 * request keeps recovery points for, or undefined when no rule sets one.
 */
export const shortestRetentionDays = (e: CloudTrailRecord): number | undefined => {
  const rules = param(e.requestParameters, 'backupPlan', 'rules');
  // One rule may be logged as that rule rather than a list of one. `param` reads nothing out of a value that is
  // not an object (null, text, a nested list), so wrapping each entry lets it do every shape check.
  const list = Array.isArray(rules) ? rules : [rules ?? null];
  const days = list.flatMap((rule) => {
    const value = param({ rule }, 'rule', 'lifecycle', 'deleteAfterDays');
    const n = typeof value === 'string' ? Number(value) : value;
    // Stryker disable next-line ConditionalExpression: Number.isFinite is false for every non-number; typeof only narrows the type
    return typeof n === 'number' && Number.isFinite(n) ? [n] : [];
  });
  return days.length === 0 ? undefined : Math.min(...days);
};
