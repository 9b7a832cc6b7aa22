import { describe, expect, it } from 'vitest';
import type { CloudTrailRecord } from '../../../rules/core/cloudtrail.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../../rules/core/config.ts';
import {
  byAccountAndActor,
  DELETION_BURST,
  describeBurst,
  flagParam,
  isCountedDeletion,
  isDenied,
  isUnapprovedDeletion,
  numberParam,
} from '../../../rules/core/destruction.ts';
import * as ec2Storage from '../../../rules/ec2/storage-deleted-burst.rule.ts';
import * as logData from '../../../rules/logs/log-data-deleted-burst.rule.ts';
import * as rdsSnapshots from '../../../rules/rds/snapshots-deleted-burst.rule.ts';
import * as s3Objects from '../../../rules/s3/objects-deleted-burst.rule.ts';
import * as secrets from '../../../rules/secretsmanager/secrets-deleted-burst.rule.ts';

const call = (over: Partial<CloudTrailRecord> = {}): CloudTrailRecord => ({
  eventTime: '2026-11-02T10:00:00Z',
  eventSource: 'rds.amazonaws.com',
  eventName: 'DeleteDBInstance',
  eventID: 'e1',
  awsRegion: 'eu-west-1',
  recipientAccountId: '111122223333',
  userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice', accountId: '111122223333' },
  userAgent: 'aws-cli/2.17.20',
  ...over,
});

describe('flagParam', () => {
  it.each([
    [{ skipFinalSnapshot: true }, true],
    [{ skipFinalSnapshot: false }, false],
    [{ skipFinalSnapshot: 'true' }, true],
    [{ skipFinalSnapshot: ' FALSE ' }, false],
    [{ skipFinalSnapshot: 'yes' }, undefined],
    [{ skipFinalSnapshot: 1 }, undefined],
    [{}, undefined],
  ])('%j → %s', (params, expected) => {
    expect(flagParam(params, 'skipFinalSnapshot')).toBe(expected);
  });
  it('reads nested flags and survives a null request', () => {
    expect(flagParam({ a: { b: true } }, 'a', 'b')).toBe(true);
    expect(flagParam(null, 'a')).toBeUndefined();
  });
});

describe('numberParam', () => {
  it.each([
    [{ n: 0 }, 0],
    [{ n: '0' }, 0],
    [{ n: ' 7 ' }, 7],
    [{ n: '' }, undefined],
    // Blanks are no number (Number('  ') would read them as 0).
    [{ n: '   ' }, undefined],
    [{ n: 'seven' }, undefined],
    [{ n: null }, undefined],
    [{}, undefined],
  ])('%j → %s', (params, expected) => {
    expect(numberParam(params, 'n')).toBe(expected);
  });
});

describe('isDenied', () => {
  it.each([
    ['AccessDenied', true],
    ['AccessDeniedException', true],
    ['Client.UnauthorizedOperation', true],
    ['UnauthorizedOperation', true],
    ['Client.DryRunOperation', false],
    ['ThrottlingException', false],
    [undefined, false],
  ])('%s → %s', (errorCode, expected) => {
    expect(isDenied(call({ errorCode }))).toBe(expected);
  });
});

describe('isUnapprovedDeletion', () => {
  const approved = {
    ...DEFAULT_DETECTION_CONFIG,
    approved: { automationRoles: ['arn:aws:iam::111122223333:role/deploy-role'], iacUserAgents: [] },
    selfProtection: { resources: ['trailwarden-*'], deployRoles: [] },
  };
  const deployRole = call({
    userIdentity: {
      type: 'AssumedRole',
      arn: 'arn:aws:sts::111122223333:assumed-role/deploy-role/ci',
      sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/deploy-role' } },
    },
  });
  it.each([
    ['a person deletes', call(), approved, ['orders-db'], true],
    ['the approved role deletes', deployRole, approved, ['orders-db'], false],
    ['the call failed', call({ errorCode: 'InvalidDBInstanceState' }), approved, ['orders-db'], false],
    [
      'AWS deleted it on its own',
      call({ userIdentity: { type: 'AWSService', invokedBy: 'rds.amazonaws.com' } }),
      approved,
      [],
      false,
    ],
    ["Trailwarden's own resource (its tamper rule owns it)", call(), approved, ['trailwarden-state'], false],
    ['nothing approved: every deletion by a person', deployRole, DEFAULT_DETECTION_CONFIG, ['orders-db'], true],
  ])('%s', (_name, e, config, candidates, expected) => {
    expect(isUnapprovedDeletion(e, config, candidates)).toBe(expected);
  });

  it("a call naming no candidates is never one of Trailwarden's own, whatever the globs", () => {
    const everything = { ...approved, selfProtection: { resources: ['*'], deployRoles: [] } };
    expect(isUnapprovedDeletion(call(), everything)).toBe(true);
  });
});

describe('bursts', () => {
  it('groups by account and the acting session, not the role behind it', () => {
    const session = (name: string) =>
      call({
        userIdentity: {
          type: 'AssumedRole',
          arn: `arn:aws:sts::111122223333:assumed-role/ops/${name}`,
          sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/ops' } },
        },
      });
    expect(byAccountAndActor(session('a'))).toBe('111122223333|arn:aws:sts::111122223333:assumed-role/ops/a');
    expect(byAccountAndActor(session('a'))).not.toBe(byAccountAndActor(session('b')));
  });
  it('pages sooner on more critical assets', () => {
    const { high, medium, low } = DELETION_BURST.byCriticality;
    expect(high.count).toBeLessThan(medium.count);
    expect(medium.count).toBeLessThan(low.count);
    expect(DELETION_BURST.count).toBe(medium.count);
  });
  it('counts successful deletions by someone, not by AWS or failed ones', () => {
    expect(isCountedDeletion(call())).toBe(true);
    expect(isCountedDeletion(call({ errorCode: 'AccessDenied' }))).toBe(false);
    // An empty errorCode is no error.
    expect(isCountedDeletion(call({ errorCode: '' }))).toBe(true);
    expect(isCountedDeletion(call({ userIdentity: { type: 'AWSService', invokedBy: 'dlm.amazonaws.com' } }))).toBe(
      false,
    );
  });
});

describe('describeBurst', () => {
  it('says the thresholds in words', () => {
    expect(describeBurst(DELETION_BURST)).toBe(
      '3 in 10 minutes on high-criticality assets, 5 in 10 minutes on medium, 10 in 15 minutes on low',
    );
  });

  // Rationales spell their thresholds out as plain text (a computed string would keep `docs` in the Lambda
  // bundle), so this keeps the words and the numbers the rules count with in step.
  it.each([ec2Storage, rdsSnapshots, logData, secrets, s3Objects].map((m) => [m.rule.id, m] as const))(
    '%s states its own thresholds in its rationale',
    (_id, { rule, docs }) => {
      const t = rule.threshold;
      const { high, medium, low } = t?.byCriticality ?? {};
      if (t === null || high === undefined || medium === undefined || low === undefined) {
        throw new Error('a burst rule has thresholds for every criticality');
      }
      const spec = { count: t.count, windowSeconds: t.windowSeconds, byCriticality: { high, medium, low } };
      expect(docs.rationale).toContain(describeBurst(spec));
    },
  );
});
