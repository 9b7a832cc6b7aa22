import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { TriageDecision, TriageRequest } from '../../../rules/core/triage.ts';
import {
  applyDecision,
  canonicalTime,
  checkTransition,
  foldDecisions,
  NEW_STATE,
  parseTriageDecision,
  triageBody,
  triageDecision,
} from '../../../rules/core/triage.ts';

/**
 * The edges Stryker showed untested in rules/core/triage.ts: how ids are derived (they are stored in evidence, so
 * a redelivered webhook must keep its id across versions), which optional fields a decision carries, the fold's
 * order and tie-break, and each transition the state machine refuses or lets through.
 */
const TARGET = '4a793daf43da4d3f3a91ba7665557992';
const OTHER = '9f0c1e2d3b4a59687766554433221100';

const decide = (req: Partial<TriageRequest> & Pick<TriageRequest, 'action'>): TriageDecision => {
  const r = triageDecision({ target: TARGET, by: 'alice', at: '2026-11-02T10:05:00Z', source: 'cli', ...req });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.decision;
};
const pagerduty = (req: Partial<TriageRequest> & Pick<TriageRequest, 'action'>): TriageDecision =>
  decide({ by: 'Alice Oncall', source: 'pagerduty', externalId: 'E1', ...req });
const errorsOf = (req: TriageRequest): readonly string[] => {
  const r = triageDecision(req);
  return r.ok ? [] : r.errors;
};
const sha = (parts: readonly string[]): string =>
  createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);

const permutations = <T>(xs: readonly T[]): T[][] =>
  xs.length <= 1 ? [[...xs]] : xs.flatMap((x, i) => permutations(xs.filter((_, j) => j !== i)).map((p) => [x, ...p]));

describe('canonicalTime is anchored at the start', () => {
  it('refuses an extended-year time that Date.parse would read', () => {
    expect(Number.isNaN(Date.parse('+002026-11-02T10:05:00Z'))).toBe(false);
    expect(canonicalTime('+002026-11-02T10:05:00Z')).toBeUndefined();
  });
});

describe('decision ids', () => {
  it('are the first 128 bits of a SHA-256 over the NUL-separated parts of what was decided', () => {
    const ack = decide({ action: 'ack', note: 'looking' });
    expect(ack.id).toBe(sha(['ack', TARGET, '', '', '2026-11-02T10:05:00.000Z', 'alice', 'looking']));
    const missed = decide({ action: 'missed', target: undefined, ruleId: 'iam.access-key-created', note: 'seen' });
    expect(missed.id).toBe(
      sha(['missed', '', '', 'iam.access-key-created', '2026-11-02T10:05:00.000Z', 'alice', 'seen']),
    );
    // A webhook redelivered after an upgrade must map to the decision already archived.
    expect(pagerduty({ action: 'ack', externalId: 'Q1' }).id).toBe(sha(['pagerduty', 'Q1']));
  });

  it('do not run fields together: moving a character from one field to the next is another decision', () => {
    expect(decide({ action: 'ack', by: 'alic', note: 'ex' }).id).not.toBe(
      decide({ action: 'ack', by: 'alice', note: 'x' }).id,
    );
  });

  it.each<[string, Partial<TriageRequest> & Pick<TriageRequest, 'action'>, Partial<TriageRequest>]>([
    ['targets', { action: 'ack' }, { target: OTHER }],
    ['verdicts', { action: 'resolve', verdict: 'true-positive' }, { verdict: 'false-positive' }],
    ['rules', { action: 'missed', target: undefined, ruleId: 'iam.a', note: 'n' }, { ruleId: 'iam.b' }],
    ['webhook events', { action: 'ack', source: 'pagerduty', externalId: 'E1' }, { externalId: 'E2' }],
  ])('differ between %s', (_name, req, change) => {
    expect(decide({ ...req, ...change }).id).not.toBe(decide(req).id);
  });
});

describe('decision fields', () => {
  it('carry a verdict, a rule and a webhook id only where the action and source have one', () => {
    const ack = decide({ action: 'ack' });
    expect(Object.keys(ack)).toEqual(['schema', 'id', 'target', 'action', 'note', 'by', 'at', 'source']);
    const unclassified = pagerduty({ action: 'resolve' });
    expect('verdict' in unclassified).toBe(false);
    expect(unclassified.externalId).toBe('E1');
    const missed = decide({ action: 'missed', target: undefined, ruleId: 'iam.access-key-created', note: 'seen' });
    expect(missed.ruleId).toBe('iam.access-key-created');
    expect('verdict' in missed).toBe(false);
  });

  it('a PagerDuty resolution carrying an unknown verdict is refused (it may omit one, not invent one)', () => {
    const req: TriageRequest = {
      action: 'resolve',
      target: TARGET,
      verdict: 'maybe',
      by: 'pd',
      at: '2026-11-02T10:05:00Z',
      source: 'pagerduty',
      externalId: 'E1',
    };
    expect(errorsOf(req)).toEqual([
      'resolve: --verdict must be one of true-positive, false-positive, benign-expected, duplicate',
    ]);
  });
});

describe('parseTriageDecision', () => {
  it('reads back a missed detection with its rule', () => {
    const missed = decide({ action: 'missed', target: undefined, ruleId: 'iam.access-key-created', note: 'seen' });
    expect(parseTriageDecision(JSON.parse(triageBody(missed)))).toEqual(missed);
  });

  it('refuses a function even when it carries every field of a decision', () => {
    const fields = JSON.parse(triageBody(decide({ action: 'ack' }))) as Record<string, unknown>;
    expect(parseTriageDecision(Object.assign(() => 0, fields))).toBeUndefined();
  });
});

describe('folding decisions', () => {
  const ack = decide({ action: 'ack', at: '2026-11-02T10:05:00Z', by: 'alice' });
  const pdResolve = pagerduty({ action: 'resolve', at: '2026-11-02T10:20:00Z', note: 'closed in PagerDuty' });
  const classify = decide({ action: 'resolve', verdict: 'benign-expected', at: '2026-11-02T12:00:00Z', by: 'bob' });

  it('gives the same state whatever order the decisions arrive in', () => {
    const expected = {
      status: 'resolved',
      acknowledgedAt: ack.at,
      acknowledgedBy: 'alice',
      resolvedAt: pdResolve.at,
      resolvedBy: 'Alice Oncall',
      verdict: 'benign-expected',
      note: 'closed in PagerDuty',
      classifiedBy: 'bob',
      ignored: [],
    };
    for (const order of permutations([ack, pdResolve, classify])) expect(foldDecisions(order)).toEqual(expected);
  });

  it('breaks a tie in time by id, so two acks at one moment fold the same either way', () => {
    const a = decide({ action: 'ack', by: 'alice' });
    const b = decide({ action: 'ack', by: 'bob' });
    const [first, second] = a.id < b.id ? [a, b] : [b, a];
    for (const order of [
      [a, b],
      [b, a],
    ]) {
      expect(foldDecisions(order)).toEqual({
        status: 'acknowledged',
        acknowledgedAt: first.at,
        acknowledgedBy: first.by,
        ignored: [second.id],
      });
    }
  });

  it('orders by time before id: the earlier ack acknowledges even when its id sorts later', () => {
    // A pair whose later ack has the smaller id, so ordering by id alone would get it wrong.
    const names = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'];
    const pairs = names.flatMap((a) =>
      names.map((b) => ({
        early: decide({ action: 'ack', at: '2026-11-02T10:05:00Z', by: a }),
        late: decide({ action: 'ack', at: '2026-11-02T10:06:00Z', by: b }),
      })),
    );
    const pair = pairs.find(({ early, late }) => late.id < early.id);
    if (pair === undefined) throw new Error('no pair whose later ack has the smaller id');
    const { early, late } = pair;
    for (const order of [
      [early, late],
      [late, early],
    ]) {
      expect(foldDecisions(order)).toMatchObject({ acknowledgedBy: early.by, ignored: [late.id] });
    }
  });

  it('leaves a missed detection out of the fold', () => {
    const missed = decide({ action: 'missed', target: undefined, ruleId: 'iam.a', note: 'n' });
    expect(foldDecisions([missed])).toEqual(NEW_STATE);
  });

  it('keeps a resolution note, and a classification note only when it has one', () => {
    const resolved = decide({ action: 'resolve', verdict: 'true-positive', note: 'rotated the key' });
    expect(foldDecisions([resolved]).note).toBe('rotated the key');
    const withNote = decide({ action: 'resolve', verdict: 'duplicate', at: '2026-11-02T12:00:00Z', note: 'dup' });
    expect(foldDecisions([pdResolve, withNote]).note).toBe('dup');
    expect(foldDecisions([pdResolve, classify]).note).toBe('closed in PagerDuty');
  });

  it('a resolution without a verdict or note leaves neither in the state', () => {
    expect(foldDecisions([pagerduty({ action: 'resolve' })])).toStrictEqual({
      status: 'resolved',
      acknowledgedAt: '2026-11-02T10:05:00.000Z',
      acknowledgedBy: 'Alice Oncall',
      resolvedAt: '2026-11-02T10:05:00.000Z',
      resolvedBy: 'Alice Oncall',
      ignored: [],
    });
  });
});

describe('applyDecision', () => {
  const ack = decide({ action: 'ack' });
  const resolved = decide({ action: 'resolve', verdict: 'false-positive', at: '2026-11-02T10:30:00Z' });
  const unclassified = pagerduty({ action: 'resolve', at: '2026-11-02T10:30:00Z' });

  it('says which decisions applied', () => {
    expect(applyDecision(NEW_STATE, ack).applied).toBe(true);
    expect(applyDecision(NEW_STATE, resolved).applied).toBe(true);
    const open = applyDecision(NEW_STATE, unclassified).state;
    const classify = decide({ action: 'resolve', verdict: 'duplicate', at: '2026-11-02T11:00:00Z' });
    expect(applyDecision(open, classify).applied).toBe(true);
    expect(applyDecision(applyDecision(NEW_STATE, resolved).state, ack).applied).toBe(false);
  });

  it('a second ack does not resolve', () => {
    const acked = applyDecision(NEW_STATE, ack).state;
    const again = decide({ action: 'ack', by: 'bob', at: '2026-11-02T10:06:00Z' });
    expect(applyDecision(acked, again)).toEqual({ state: { ...acked, ignored: [again.id] }, applied: false });
  });

  it('a second resolution neither re-resolves nor reclassifies', () => {
    const state = applyDecision(NEW_STATE, resolved).state;
    const later = decide({ action: 'resolve', verdict: 'true-positive', at: '2026-11-02T11:00:00Z', by: 'bob' });
    expect(applyDecision(state, later)).toEqual({ state: { ...state, ignored: [later.id] }, applied: false });
  });

  it('only a resolution with a verdict classifies an unclassified one', () => {
    const open = applyDecision(NEW_STATE, unclassified).state;
    const second = pagerduty({ action: 'resolve', externalId: 'E2', at: '2026-11-02T11:00:00Z' });
    expect(applyDecision(open, second)).toEqual({ state: { ...open, ignored: [second.id] }, applied: false });
    // An ack read back from evidence with a verdict on it (parseTriageDecision admits one) is not a classification.
    const ackWithVerdict: TriageDecision = {
      ...decide({ action: 'ack', at: '2026-11-02T11:00:00Z' }),
      verdict: 'duplicate',
    };
    expect(applyDecision(open, ackWithVerdict).applied).toBe(false);
  });
});

describe('checkTransition', () => {
  const ack = decide({ action: 'ack' });

  it('lets the first ack through, with or without an opening time before it', () => {
    expect(checkTransition([], ack)).toEqual({ kind: 'ok' });
    expect(checkTransition([], ack, '2026-11-02T10:00:00.000Z')).toEqual({ kind: 'ok' });
    expect(checkTransition([], ack, ack.at)).toEqual({ kind: 'ok' });
  });

  it('lets a decision at the same moment as the last one through', () => {
    const resolve = decide({ action: 'resolve', verdict: 'true-positive' });
    expect(checkTransition([ack], resolve)).toEqual({ kind: 'ok' });
  });

  it('measures "before the last decision" against the latest one, in time order, missed detections aside', () => {
    const unclassified = pagerduty({ action: 'resolve', at: '2026-11-02T10:30:00Z' });
    const between = decide({ action: 'resolve', verdict: 'duplicate', at: '2026-11-02T10:10:00Z' });
    const check = checkTransition([unclassified, ack], between);
    expect(check).toEqual({
      kind: 'refused',
      reason: `2026-11-02T10:10:00.000Z is before the last decision on ${TARGET} (2026-11-02T10:30:00.000Z)`,
    });
    const missedLater = decide({
      action: 'missed',
      target: undefined,
      ruleId: 'iam.a',
      note: 'n',
      at: '2026-11-02T11:00:00Z',
    });
    const resolve = decide({ action: 'resolve', verdict: 'true-positive', at: '2026-11-02T10:30:00Z' });
    expect(checkTransition([ack, missedLater], resolve)).toEqual({ kind: 'ok' });
  });

  it('refuses an ack after a resolution that has no verdict yet, naming the state', () => {
    const unclassified = pagerduty({ action: 'resolve', at: '2026-11-02T10:30:00Z' });
    const late = decide({ action: 'ack', at: '2026-11-02T11:00:00Z' });
    expect(checkTransition([unclassified], late)).toEqual({
      kind: 'refused',
      reason: `${TARGET} was resolved at 2026-11-02T10:30:00.000Z; resolved is final`,
    });
  });

  it('names the verdict, the resolution time and the first acknowledgement in its refusals', () => {
    const resolve = decide({ action: 'resolve', verdict: 'true-positive', at: '2026-11-02T10:30:00Z' });
    const late = decide({ action: 'ack', at: '2026-11-02T11:00:00Z' });
    expect(checkTransition([resolve], late)).toEqual({
      kind: 'refused',
      reason: `${TARGET} was resolved (true-positive) at 2026-11-02T10:30:00.000Z; resolved is final`,
    });
    const again = decide({ action: 'ack', by: 'bob', at: '2026-11-02T10:06:00Z' });
    expect(checkTransition([ack], again)).toEqual({
      kind: 'refused',
      reason: `${TARGET} was acknowledged by alice at 2026-11-02T10:05:00.000Z`,
    });
  });
});
