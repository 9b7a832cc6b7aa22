import { describe, expect, it } from 'vitest';
import type { CloudTrailRecord } from '../../../rules/core/cloudtrail.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../../rules/core/config.ts';
import { toAuditEvent } from '../../../rules/core/events.ts';
import type { PolicyOpenedSpec } from '../../../rules/core/policy-opened.ts';
import { policyOpenedRule } from '../../../rules/core/policy-opened.ts';
import type { AuditEvent, RuleContext } from '../../../rules/core/types.ts';

const TABLE = 'arn:aws:dynamodb:eu-west-1:444455556666:table/orders';
const spec: PolicyOpenedSpec = {
  id: 'test.policy-opened',
  title: 'Policy opened',
  mitre: ['T1098'],
  source: 'dynamodb',
  eventNames: ['PutResourcePolicy'],
  policyParams: ['policy'],
  target: (e) => String(e.requestParameters?.resourceArn),
};
const ctx: RuleContext = {
  criticality: 'medium',
  config: { ...DEFAULT_DETECTION_CONFIG, organization: { accounts: ['111122223333'] } },
};
const grant = (principal: unknown) =>
  JSON.stringify({ Statement: [{ Sid: 'S1', Effect: 'Allow', Principal: principal, Action: 'dynamodb:*' }] });

const call = (policy: string, overrides: Partial<CloudTrailRecord> = {}): AuditEvent => {
  const parsed = toAuditEvent({
    eventTime: '2026-11-02T10:00:00Z',
    eventSource: 'dynamodb.amazonaws.com',
    eventName: 'PutResourcePolicy',
    eventID: 'e-1',
    awsRegion: 'eu-west-1',
    recipientAccountId: '111122223333',
    userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice' },
    requestParameters: { resourceArn: TABLE, policy },
    ...overrides,
  });
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.event;
};

describe('policyOpenedRule', () => {
  it('defaults to high severity, the cloud-service and access-restriction controls, and no escalation', () => {
    const rule = policyOpenedRule(spec);
    expect([rule.severity, rule.controls, rule.escalation]).toEqual(['high', ['A.5.23', 'A.8.3'], {}]);
    expect(rule.on).toEqual({ source: 'dynamodb', eventNames: ['PutResourcePolicy'] });
    expect([rule.id, rule.title, rule.mitre]).toEqual(['test.policy-opened', 'Policy opened', ['T1098']]);
  });

  it('takes the severity, escalation and controls a spec sets', () => {
    const rule = policyOpenedRule({
      ...spec,
      severity: 'medium',
      escalation: { high: 'critical' },
      controls: ['A.8.3'],
    });
    expect([rule.severity, rule.escalation, rule.controls]).toEqual(['medium', { high: 'critical' }, ['A.8.3']]);
  });

  it('matches a successful call that makes the resource public, and names it', () => {
    const rule = policyOpenedRule(spec);
    const e = call(grant('*'));
    expect(rule.match(e, ctx)).toBe(true);
    expect(rule.explain(e, ctx)).toEqual(['public through S1']);
    expect(rule.resources(e)).toEqual([TABLE]);
    expect(rule.dedup.key(e)).toBe(TABLE);
  });

  it('a denied call opened nothing', () => {
    expect(policyOpenedRule(spec).match(call(grant('*'), { errorCode: 'AccessDenied' }), ctx)).toBe(false);
  });

  it("judges the owner by the caller's account, or by the target's when the spec says so", () => {
    const toOwner = call(grant({ AWS: 'arn:aws:iam::444455556666:root' }));
    const byCaller = policyOpenedRule(spec);
    expect(byCaller.match(toOwner, ctx)).toBe(true);
    expect(byCaller.explain(toOwner, ctx)).toEqual([
      'open outside the organisation through S1',
      'accounts outside the organisation: 444455556666',
    ]);
    const byTarget = policyOpenedRule({ ...spec, ownerFromTarget: true });
    expect(byTarget.match(toOwner, ctx)).toBe(false);
    expect(byTarget.explain(toOwner, ctx)).toEqual([]);
  });
});
