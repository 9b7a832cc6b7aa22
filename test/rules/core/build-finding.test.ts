import { describe, expect, it } from 'vitest';
import type { FindingParts } from '../../../rules/core/build-finding.ts';
import { actorOf, buildFinding, eventNameOf, severityFor } from '../../../rules/core/build-finding.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../../rules/core/config.ts';
import { defineRule } from '../../../rules/core/define-rule.ts';
import { toAuditEvent } from '../../../rules/core/events.ts';
import { findingId } from '../../../rules/core/finding.ts';
import type { AuditEvent, RuleContext } from '../../../rules/core/types.ts';

const parse = (value: unknown): AuditEvent => {
  const parsed = toAuditEvent(value);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.event;
};
const identity = { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice', userName: 'alice' };
const cloudtrail = (overrides: Record<string, unknown> = {}): AuditEvent =>
  parse({
    eventTime: '2026-11-02T10:00:00Z',
    eventSource: 'cloudtrail.amazonaws.com',
    eventName: 'StopLogging',
    eventID: 'e-1',
    awsRegion: 'eu-west-1',
    recipientAccountId: '111122223333',
    sourceIPAddress: '203.0.113.9',
    userAgent: 'aws-cli/2',
    userIdentity: identity,
    requestParameters: { name: 'org-trail' },
    ...overrides,
  });
const config = {
  version: '0',
  id: 'cfg-1',
  account: '444455556666',
  time: '2026-11-02T10:05:00Z',
  region: 'eu-west-1',
};

const rule = defineRule({
  id: 'test.stop',
  title: 'Trail stopped',
  severity: 'high',
  escalation: { high: 'critical', low: 'medium' },
  controls: ['A.8.15'],
  mitre: ['T1562.008'],
  on: { source: 'cloudtrail', eventNames: ['StopLogging'] },
  match: () => true,
  resources: (e) => [`trail/${String(e.requestParameters?.name)}`],
  explain: () => ['why'],
});
const ctx = (criticality: RuleContext['criticality']): RuleContext => ({
  criticality,
  config: DEFAULT_DETECTION_CONFIG,
});
const parts = (overrides: Partial<FindingParts> = {}): FindingParts => ({
  rule,
  event: cloudtrail(),
  ctx: ctx('medium'),
  groupKey: 'g',
  idKey: 'e-1',
  windowStartMs: 0,
  eventIds: ['e-1', 'e-2'],
  firstSeenMs: Date.parse('2026-11-02T10:00:00Z'),
  lastSeenMs: Date.parse('2026-11-02T10:03:00Z'),
  threshold: { count: 2, windowSeconds: 300 },
  text: { description: 'A trail stopped logging.', runbook: ['Restart logging.'] },
  ...overrides,
});

describe('buildFinding', () => {
  it('assembles the finding from the rule, the event and the window', () => {
    const f = buildFinding(parts());
    expect(f).toEqual({
      schema: 'trailwarden.finding/v1',
      id: findingId('test.stop', 'e-1', 0),
      ruleId: 'test.stop',
      title: 'Trail stopped',
      description: 'A trail stopped logging.',
      severity: 'high',
      criticality: 'medium',
      controls: ['A.8.15'],
      mitre: ['T1562.008'],
      account: '111122223333',
      region: 'eu-west-1',
      actor: { arn: identity.arn, type: 'IAMUser', userName: 'alice', sourceIp: '203.0.113.9', userAgent: 'aws-cli/2' },
      resources: ['trail/org-trail'],
      eventIds: ['e-1', 'e-2'],
      eventName: 'StopLogging',
      groupKey: 'g',
      firstSeen: '2026-11-02T10:00:00.000Z',
      lastSeen: '2026-11-02T10:03:00.000Z',
      count: 2,
      threshold: { count: 2, windowSeconds: 300 },
      runbook: ['Restart logging.'],
      details: ['why'],
      drill: false,
    });
  });

  it('takes resources and details the engine computed over calling the rule', () => {
    const f = buildFinding(parts({ resources: ['precomputed'], details: [] }));
    expect(f.resources).toEqual(['precomputed']);
    expect(f).not.toHaveProperty('details');
  });

  it('never goes out without a runbook: without its text it points at the rule docs', () => {
    const f = buildFinding(parts({ text: undefined }));
    expect(f.description).toBe('Trail stopped');
    expect(f.runbook).toEqual(['Follow the runbook of test.stop in docs/RULES.md (its text was not available here).']);
  });

  it('a throwing explanation costs no finding: the failure is in its details', () => {
    const throwing = (thrown: unknown) =>
      defineRule({
        id: 'test.stop',
        title: 'Trail stopped',
        severity: 'high',
        controls: ['A.8.15'],
        mitre: [],
        on: { source: 'cloudtrail', eventNames: ['StopLogging'] },
        match: () => true,
        explain: () => {
          throw thrown;
        },
      });
    expect(buildFinding(parts({ rule: throwing(new Error('bad')) })).details).toEqual(['(explanation failed: bad)']);
    expect(buildFinding(parts({ rule: throwing('text') })).details).toEqual(['(explanation failed: text)']);
  });

  it('marks drills and replays, and only them', () => {
    const replay = { id: 'r-1', day: '2026-12-07' };
    expect(buildFinding(parts({ event: { ...cloudtrail(), drill: true } })).drill).toBe(true);
    const replayed = buildFinding(parts({ event: { ...cloudtrail(), replay } }));
    expect(replayed.replay).toEqual(replay);
    expect(buildFinding(parts())).not.toHaveProperty('replay');
  });
});

describe('severityFor', () => {
  it.each([
    ['high', 'critical'],
    ['medium', 'high'],
    ['low', 'medium'],
  ] as const)('at %s criticality: %s', (criticality, severity) => {
    expect(severityFor(rule, ctx(criticality))).toBe(severity);
  });
});

describe('actorOf', () => {
  it('leaves out what the record does not carry, and says Unknown for a missing type', () => {
    const bare = cloudtrail({ sourceIPAddress: undefined, userAgent: undefined, userIdentity: { arn: identity.arn } });
    expect(actorOf(bare)).toEqual({ arn: identity.arn, type: 'Unknown' });
  });

  it('reads a session without an issuer (a federated or MFA session) as having no user name', () => {
    const federated = cloudtrail({
      userIdentity: {
        type: 'FederatedUser',
        arn: 'arn:aws:sts::111122223333:federated-user/bob',
        sessionContext: { attributes: { mfaAuthenticated: 'false' } },
      },
    });
    expect(actorOf(federated)).not.toHaveProperty('userName');
  });

  it("names an assumed role's session by its issuer's user name", () => {
    const session = cloudtrail({
      userIdentity: {
        type: 'AssumedRole',
        arn: 'arn:aws:sts::111122223333:assumed-role/ops/alice',
        sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/ops', userName: 'ops' } },
      },
    });
    expect(actorOf(session)).toMatchObject({ type: 'AssumedRole', userName: 'ops' });
  });

  it('is AWS Config for a Config event', () => {
    const item = parse({
      ...config,
      'detail-type': 'Config Configuration Item Change',
      detail: { configurationItem: { resourceType: 'AWS::S3::Bucket' } },
    });
    expect(actorOf(item)).toEqual({ arn: 'arn:aws:iam::aws:service/config.amazonaws.com', type: 'AWSService' });
  });
});

describe('eventNameOf', () => {
  it('names CloudTrail calls, Config item changes by resource type and compliance changes by rule', () => {
    expect(eventNameOf(cloudtrail())).toBe('StopLogging');
    const item = parse({
      ...config,
      'detail-type': 'Config Configuration Item Change',
      detail: { configurationItem: { resourceType: 'AWS::S3::Bucket' } },
    });
    expect(eventNameOf(item)).toBe('ConfigurationItemChange:AWS::S3::Bucket');
    const compliance = parse({
      ...config,
      'detail-type': 'Config Rules Compliance Change',
      detail: { configRuleName: 's3-public' },
    });
    expect(eventNameOf(compliance)).toBe('ComplianceChange:s3-public');
  });
});
