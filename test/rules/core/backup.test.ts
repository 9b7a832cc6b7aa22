import { describe, expect, it } from 'vitest';
import { backupPlanArns, backupVaultArns, shortestRetentionDays } from '../../../rules/core/backup.ts';
import type { CloudTrailRecord } from '../../../rules/core/cloudtrail.ts';

const call = (
  requestParameters: CloudTrailRecord['requestParameters'],
  responseElements?: CloudTrailRecord['responseElements'],
): CloudTrailRecord => ({
  eventTime: '2026-11-02T10:00:00Z',
  eventSource: 'backup.amazonaws.com',
  eventName: 'UpdateBackupPlan',
  eventID: 'e1',
  awsRegion: 'us-gov-west-1',
  recipientAccountId: '111122223333',
  userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice' },
  requestParameters,
  responseElements,
});

describe('backup resource ARNs', () => {
  it('names a vault from backupVaultName in the event region and partition', () => {
    expect(backupVaultArns(call({ backupVaultName: 'prod' }))).toEqual([
      'arn:aws-us-gov:backup:us-gov-west-1:111122223333:backup-vault:prod',
    ]);
    expect(backupVaultArns(call({ backupVaultName: 7 }))).toEqual([]);
    expect(backupVaultArns(call(null))).toEqual([]);
  });

  it("takes the plan ARN from the response, else builds it from the request's backupPlanId", () => {
    const returned = 'arn:aws:backup:eu-west-1:111122223333:backup-plan:from-response';
    expect(backupPlanArns(call({ backupPlanId: 'p-1' }, { backupPlanArn: returned }))).toEqual([returned]);
    expect(backupPlanArns(call({ backupPlanId: 'p-1' }, { backupPlanArn: 1 }))).toEqual([
      'arn:aws-us-gov:backup:us-gov-west-1:111122223333:backup-plan:p-1',
    ]);
    expect(backupPlanArns(call({}, null))).toEqual([]);
  });
});

describe('shortestRetentionDays', () => {
  const plan = (rules: unknown): CloudTrailRecord =>
    call({ backupPlan: { backupPlanName: 'daily', rules } } as CloudTrailRecord['requestParameters']);
  const keep = (deleteAfterDays: unknown) => ({ ruleName: 'r', lifecycle: { deleteAfterDays } });

  it.each<[string, unknown, number | undefined]>([
    ['the shortest of several rules', [keep(35), keep(1), keep(7)], 1],
    ['one rule logged as an object, not a list', keep(14), 14],
    ['days logged as a string', [keep('3'), keep(30)], 3],
    ['rules without a lifecycle count for nothing', [{ ruleName: 'r' }, keep(30)], 30],
    ['entries that are not rules are skipped', [null, 'x', [keep(1)], keep(9)], 9],
    ['a value that is not a number is skipped', [keep('soon'), keep(null), keep(Number.POSITIVE_INFINITY), keep(5)], 5],
    ['zero days is a retention, the shortest one', [keep(0), keep(5)], 0],
    ['no rule sets one', [{ ruleName: 'r' }], undefined],
    ['no rules', [], undefined],
    ['rules missing', undefined, undefined],
    ['rules null', null, undefined],
  ])('%s', (_name, rules, expected) => {
    expect(shortestRetentionDays(plan(rules))).toBe(expected);
  });

  it('is undefined without a backup plan', () => {
    expect(shortestRetentionDays(call({ backupPlanId: 'p-1' }))).toBeUndefined();
  });
});
