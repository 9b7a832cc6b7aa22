import { describe, expect, it } from 'vitest';
import { parseDetectionConfig } from '../../../rules/core/config.ts';
import type { Suppression } from '../../../rules/core/suppressions.ts';
import { applySuppressions, shouldPage } from '../../../rules/core/suppressions.ts';
import { sampleFinding } from '../../functions/support.ts';

const finding = sampleFinding({
  ruleId: 'ec2.security-group-changed',
  account: '111122223333',
  firstSeen: '2026-11-02T10:00:00.000Z',
  actor: { arn: 'arn:aws:sts::111122223333:assumed-role/network-admin/alice', type: 'AssumedRole' },
  resources: ['arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0123456789abcdef0'],
});
const base = { reason: 'Network team migrates load balancers (CHG-4711)', expires: '2026-11-30' };

describe('applySuppressions', () => {
  it.each<[string, Suppression, 'active' | 'expired' | undefined]>([
    ['rule glob', { ...base, ruleId: 'ec2.*' }, 'active'],
    ['role behind the session', { ...base, principal: 'arn:aws:iam::111122223333:role/network-admin' }, 'active'],
    ['the session itself', { ...base, principal: 'arn:aws:sts::111122223333:assumed-role/network-admin/*' }, 'active'],
    ['resource glob', { ...base, resource: '*:security-group/sg-0123*' }, 'active'],
    ['account', { ...base, account: '111122223333' }, 'active'],
    ['all matchers must match', { ...base, ruleId: 'ec2.*', account: '444455556666' }, undefined],
    ['another rule', { ...base, ruleId: 'iam.*' }, undefined],
    ['another principal', { ...base, principal: 'arn:aws:iam::111122223333:role/other' }, undefined],
    ['another resource', { ...base, resource: '*:security-group/sg-9999*' }, undefined],
    ['a resource glob beside a matching rule glob', { ...base, ruleId: 'ec2.*', resource: '*:vpc/*' }, undefined],
    ['another account', { ...base, account: '444455556666' }, undefined],
    [
      'a role of the same name in another account',
      { ...base, principal: 'arn:aws:iam::444455556666:role/*' },
      undefined,
    ],
    ['expires on the day of the event: still active', { ...base, ruleId: 'ec2.*', expires: '2026-11-02' }, 'active'],
    ['expired the day before', { ...base, ruleId: 'ec2.*', expires: '2026-11-01' }, 'expired'],
  ])('%s', (_name, suppression, status) => {
    const out = applySuppressions(finding, [suppression]);
    expect(out.suppression?.status).toBe(status);
    if (status) expect(out.suppression).toMatchObject({ reason: suppression.reason, expires: suppression.expires });
    expect(shouldPage(out)).toBe(status !== 'active');
  });

  it('an active suppression wins over an expired one, whatever the order', () => {
    const expired = { ...base, ruleId: 'ec2.*', expires: '2026-10-01', reason: 'Old migration window (CHG-1)' };
    const active = { ...base, ruleId: 'ec2.*' };
    expect(applySuppressions(finding, [expired, active]).suppression?.status).toBe('active');
    expect(applySuppressions(finding, [active, expired]).suppression?.status).toBe('active');
  });

  it('a resource suppression never matches a finding without resources', () => {
    const bare = sampleFinding({ ...finding, resources: [] });
    expect(applySuppressions(bare, [{ ...base, resource: '*' }]).suppression).toBeUndefined();
  });

  it('matches a resource suppression against any of the finding’s resources', () => {
    const two = sampleFinding({ ...finding, resources: ['arn:aws:s3:::logs', ...finding.resources] });
    expect(applySuppressions(two, [{ ...base, resource: '*:security-group/*' }]).suppression?.status).toBe('active');
  });

  it('names the most recently expired suppression, whatever the order', () => {
    const older = { ...base, ruleId: 'ec2.*', expires: '2026-09-30', reason: 'Older migration (CHG-1)' };
    const newer = { ...base, ruleId: 'ec2.*', expires: '2026-10-31', reason: 'Newer migration (CHG-2)' };
    for (const order of [
      [older, newer],
      [newer, older],
    ]) {
      expect(applySuppressions(finding, order).suppression).toEqual({
        status: 'expired',
        reason: newer.reason,
        expires: '2026-10-31',
      });
    }
  });

  it('on a tie between expired suppressions, names the first listed', () => {
    const first = { ...base, ruleId: 'ec2.*', expires: '2026-10-31', reason: 'First listed (CHG-1)' };
    const second = { ...base, ruleId: 'ec2.*', expires: '2026-10-31', reason: 'Second listed (CHG-2)' };
    expect(applySuppressions(finding, [first, second]).suppression?.reason).toBe(first.reason);
  });

  it.each([
    ['a user is not a session: no role stands behind it', 'arn:aws:iam::111122223333:user/bob', '*ned'],
    [
      'only a real session ARN names its role',
      'evil-arn:aws:sts::111122223333:assumed-role/network-admin/alice',
      'arn:aws:iam::111122223333:role/network-admin',
    ],
  ])('principal globs: %s', (_why, arn, principal) => {
    const f = sampleFinding({ ...finding, actor: { arn, type: 'IAMUser' } });
    expect(applySuppressions(f, [{ ...base, principal }]).suppression).toBeUndefined();
  });

  it('judges expiry at the finding’s first event, to the last millisecond of the day (UTC)', () => {
    const at = (firstSeen: string) =>
      applySuppressions(sampleFinding({ ...finding, firstSeen }), [{ ...base, ruleId: 'ec2.*', expires: '2026-11-02' }])
        .suppression?.status;
    expect(at('2026-11-02T23:59:59.999Z')).toBe('active');
    expect(at('2026-11-03T00:00:00.000Z')).toBe('expired');
  });

  it('leaves a finding no suppression matches untouched', () => {
    expect(applySuppressions(finding, [{ ...base, ruleId: 's3.*' }])).toBe(finding);
  });
});

describe('parseDetectionConfig: suppressions', () => {
  it('accepts a reasoned, dated suppression', () => {
    const parsed = parseDetectionConfig({ suppressions: [{ ...base, ruleId: 'ec2.*' }] });
    expect(parsed).toMatchObject({ ok: true, config: { suppressions: [{ ...base, ruleId: 'ec2.*' }] } });
  });

  it.each([
    [
      'no matcher',
      { ...base },
      'detection.suppressions[0].ruleId: needs at least one of ruleId, principal, resource, account',
    ],
    [
      'no reason',
      { ruleId: 'ec2.*', expires: '2026-11-30' },
      'detection.suppressions[0].reason: must say why (at least 10 characters): auditors read it',
    ],
    [
      'no expiry',
      { ruleId: 'ec2.*', reason: base.reason },
      'detection.suppressions[0].expires: must be a date YYYY-MM-DD (got undefined)',
    ],
    [
      'bad date',
      { ...base, ruleId: 'ec2.*', expires: '2026-02-31x' },
      'detection.suppressions[0].expires: must be a date YYYY-MM-DD (got "2026-02-31x")',
    ],
    ['bad account', { ...base, account: '1234' }, 'detection.suppressions[0].account: is not a 12-digit account id'],
    ['typo in a key', { ...base, ruleID: 'ec2.*' }, 'detection.suppressions[0].ruleID: unknown key'],
  ])('rejects %s', (_name, suppression, error) => {
    const parsed = parseDetectionConfig({ suppressions: [suppression] });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.errors).toContain(error);
  });
});
