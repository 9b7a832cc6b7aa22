import { describe, expect, it } from 'vitest';
import { isSuccess } from '../../rules/core/cloudtrail.ts';
import type { DetectionConfig } from '../../rules/core/config.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../rules/core/config.ts';
import { defineRule, PARAMETERS_ABSENT_NOTE } from '../../rules/core/define-rule.ts';
import { contextFor } from '../../rules/core/engine.ts';
import { fromRecord } from '../../rules/core/events.ts';
import type { AuditEvent, Rule, RuleCase, RuleContext } from '../../rules/core/types.ts';
import { isCloudTrailSelector } from '../../rules/core/types.ts';
import { withDocs } from '../../rules/docs.ts';
import { catalogue, RULES } from '../../rules/index.ts';
import { TEST_RULE } from '../support/test-rule.ts';

/**
 * Issue 16 §10, for the whole catalogue: every positive case that is a CloudTrail record carrying
 * requestParameters is fed again without them (key removed, `null`, and CloudTrail's `omitted` marker). The rule must
 * still match, and say in its details that the parameters were absent; the same record denied must not match.
 */
const DOCUMENTED = await withDocs(RULES);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Rules (or one case of a rule: `id: case name`) whose every function decides without reading requestParameters:
 * their findings say nothing about the absence because nothing they report depends on it. Each entry says why it
 * legitimately never needs them; the test checks the list both ways (one that starts reading parameters must
 * leave it).
 */
const NEVER_NEEDS_PARAMETERS: Readonly<Record<string, string>> = {
  'iam.access-denied-burst':
    'counts denied calls per principal: a denied call changed nothing, so its parameters are never judged',
  'config.recorder-stopped': 'the event name is the change (stop, delete); the account and region name the recorder',
  's3.public-access-block-removed: account setting deleted':
    'an account-level Delete removes every block whatever it names; the account is the target',
  'ec2.ebs-default-encryption-disabled': 'the call takes no parameters: the event name is the whole change',
  'kms.key-disabled': 'disabling or scheduling deletion is dangerous at any window; the key comes from resources',
  'iam.user-created': 'judged on who created the user and how (approved process); the new user comes from the response',
  'ec2.unapproved-region': 'judged on the region the call ran in, whatever it asked for',
  'ec2.serial-console-enabled': 'the call takes no parameters: the event name is the whole change',
  'ec2.block-public-access-disabled: snapshot block public access disabled':
    'DisableSnapshotBlockPublicAccess takes no parameters: the event name is the whole change',
  'ec2.block-public-access-disabled: AMI block public access disabled':
    'DisableImageBlockPublicAccess takes no parameters: the event name is the whole change',
  'account.offensive-tool-used': 'judged on the user agent alone, whatever the call asked for',
  'iam.trust-policy-guessing':
    "counts IAM's MalformedPolicyDocument refusals of trust policies: the refusal is the signal, the request never judged",
  'iam.authorization-details-read':
    'the call is the signal: whatever filter it asked for, it hands over IAM configuration; the account is the target',
  'account.discovery-burst': 'counts distinct discovery calls by service and name; what each asked for is never judged',
  'kms.opened-key-disabled':
    'judged on the key named in resources and what was remembered about it; disabling an opened key is dangerous at any window',
};

/** Rules that count refused calls by design: a refusal is part of what they see, so it must still match. */
const COUNTS_REFUSALS: ReadonlySet<string> = new Set(['account.discovery-burst']);

interface Positive {
  readonly rule: Rule;
  readonly c: RuleCase;
  readonly record: Record<string, unknown>;
}

const positives: Positive[] = DOCUMENTED.flatMap(([rule, docs]) =>
  isCloudTrailSelector(rule.on)
    ? docs
        .cases()
        .filter((c) => c.expect === 'match' && isObject(c.event) && isObject(c.event.requestParameters))
        .map((c) => ({ rule, c, record: c.event as Record<string, unknown> }))
    : [],
);

const eventOf = (record: Record<string, unknown>): AuditEvent => {
  const parsed = fromRecord(record);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.event;
};

const contextOf = (rule: Rule, c: RuleCase, e: AuditEvent): RuleContext => {
  const config: DetectionConfig = c.config ? { ...DEFAULT_DETECTION_CONFIG, ...c.config } : DEFAULT_DETECTION_CONFIG;
  const ctx = contextFor(config, e, rule.resources(e));
  const withHistory = rule.history === null ? ctx : { ...ctx, history: c.history ?? { first: null, sightings: [] } };
  return c.criticality ? { ...withHistory, criticality: c.criticality } : withHistory;
};

const without = (record: Record<string, unknown>): Record<string, unknown> => {
  const { requestParameters: _gone, ...rest } = record;
  return rest;
};

/**
 * What CloudTrail writes in place of parameters it will not record: an oversized request (a policy padded with
 * whitespace past ~100 KB, Permiso's "CloudTrail logging evasion", read by Elastic's
 * defense_evasion_cloudtrail_logging_evasion) arrives as this marker object, not as null.
 */
const OMITTED = { reason: 'requestParameters too large', omitted: true };

const strip = (record: Record<string, unknown>, how: 'removed' | 'null' | 'omitted'): Record<string, unknown> =>
  how === 'removed' ? without(record) : { ...record, requestParameters: how === 'null' ? null : OMITTED };

const rows = positives.flatMap((p) =>
  (['removed', 'null', 'omitted'] as const).map((how) => [`${p.rule.id}: ${p.c.name} (${how})`, p, how] as const),
);

describe('missing requestParameters fail closed, catalogue-wide', () => {
  it('there are positive cases with parameters to strip', () => {
    expect(new Set(positives.map((p) => p.rule.id)).size).toBeGreaterThan(30);
  });

  it.each(rows)('%s', (_name, { rule, c, record }, how) => {
    const stripped = strip(record, how);
    const e = eventOf(stripped);
    expect(catalogue.candidates(e)).toContain(rule);
    const ctx = contextOf(rule, c, e);
    expect(rule.match(e, ctx), 'still matches').toBe(true);
    // Everything a finding needs still works without them.
    const details = rule.explain(e, ctx);
    expect(() => rule.resources(e)).not.toThrow();
    expect(() => rule.dedup.key(e)).not.toThrow();
    if (rule.threshold) expect(() => rule.threshold?.groupBy(e)).not.toThrow();
    const says = details.some((d) => d.startsWith(PARAMETERS_ABSENT_NOTE));
    const exempt = NEVER_NEEDS_PARAMETERS[`${rule.id}: ${c.name}`] ?? NEVER_NEEDS_PARAMETERS[rule.id];
    expect(says, `details: ${JSON.stringify(details)}`).toBe(exempt === undefined);

    // Denied: nothing changed, so the absence proves nothing (unless the rule is about denials).
    if (record.errorCode === undefined) {
      const denied = eventOf({ ...stripped, errorCode: 'AccessDenied', errorMessage: 'not authorized' });
      if (catalogue.candidates(denied).includes(rule)) {
        expect(rule.match(denied, contextOf(rule, c, denied)), 'a denied call does not match').toBe(
          COUNTS_REFUSALS.has(rule.id),
        );
      }
    }
  });

  it('every exemption names a rule with such a case, and a reason', () => {
    for (const [id, why] of Object.entries(NEVER_NEEDS_PARAMETERS)) {
      expect(
        positives.some((p) => p.rule.id === id || `${p.rule.id}: ${p.c.name}` === id),
        id,
      ).toBe(true);
      expect(why.length).toBeGreaterThan(20);
    }
  });
});

describe('the core mechanism (defineRule)', () => {
  // Fails open on its own: no parameters, no `activate: true`, no match.
  const readsParameters = defineRule({
    ...TEST_RULE,
    id: 'test.reads-parameters',
    title: 'Reads parameters',
    severity: 'high',
    on: { source: 'guardduty', eventNames: ['CreateIPSet'] },
    match: (e) => isSuccess(e) && e.userIdentity.type !== 'AWSService' && e.requestParameters?.activate === true,
    explain: () => ['own detail'],
  });
  const record = (overrides: Record<string, unknown> = {}) =>
    eventOf({
      eventVersion: '1.09',
      eventTime: '2026-11-02T10:00:00Z',
      eventID: '00000000-0000-4000-8000-000000000001',
      eventSource: 'guardduty.amazonaws.com',
      eventName: 'CreateIPSet',
      awsRegion: 'us-east-1',
      recipientAccountId: '111122223333',
      userIdentity: { type: 'IAMUser', userName: 'mallory', arn: 'arn:aws:iam::111122223333:user/mallory' },
      ...overrides,
    });
  const ctx = (e: AuditEvent) => contextFor(DEFAULT_DETECTION_CONFIG, e, []);

  it('a predicate that read the missing parameters and said no matches, and the finding says why', () => {
    const e = record();
    expect(readsParameters.match(e, ctx(e))).toBe(true);
    expect(readsParameters.explain(e, ctx(e))).toEqual([
      `${PARAMETERS_ABSENT_NOTE}: the rule could not check them, so it treats the call as the dangerous case.`,
      'own detail',
    ]);
  });

  it('parameters present: the predicate alone decides, and no note', () => {
    for (const activate of [true, false]) {
      const e = record({ requestParameters: { activate } });
      expect(readsParameters.match(e, ctx(e))).toBe(activate);
      expect(readsParameters.explain(e, ctx(e))).toEqual(['own detail']);
    }
  });

  it('a verdict reached without reading them stands (here: a service acting), and so does a denied call', () => {
    const service = record({ userIdentity: { type: 'AWSService', invokedBy: 'guardduty.amazonaws.com' } });
    expect(readsParameters.match(service, ctx(service))).toBe(false);
    const denied = record({ errorCode: 'AccessDenied' });
    expect(readsParameters.match(denied, ctx(denied))).toBe(false);
  });

  it("issue 16's example: a GuardDuty trusted IP list created with no parameters recorded pages", () => {
    const rule = RULES.find((r) => r.id === 'guardduty.findings-suppressed');
    if (rule === undefined) throw new Error('rule missing');
    const e = record();
    expect(rule.match(e, ctx(e))).toBe(true);
  });
});
