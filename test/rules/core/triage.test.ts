import { describe, expect, it } from 'vitest';
import type { TriageDecision, TriageRequest } from '../../../rules/core/triage.ts';
import {
  canonicalTime,
  checkTransition,
  foldDecisions,
  parseTriageDecision,
  triageBody,
  triageDecision,
  triageKey,
} from '../../../rules/core/triage.ts';

const TARGET = '4a793daf43da4d3f3a91ba7665557992';

const decide = (req: Partial<TriageRequest> & Pick<TriageRequest, 'action'>): TriageDecision => {
  const r = triageDecision({ target: TARGET, by: 'alice', at: '2026-11-02T10:05:00Z', source: 'cli', ...req });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.decision;
};

describe('triage decisions', () => {
  it('are validated with every problem at once', () => {
    const r = triageDecision({ action: 'resolve', target: '../x', by: '', at: 'yesterday', source: 'cli' });
    expect(r.ok ? [] : r.errors).toEqual([
      'at: must be an ISO-8601 time with a zone, e.g. 2026-11-02T10:15:00Z (got "yesterday")',
      'by: must name who decided (1 to 200 printable characters)',
      'target: must be an incident or finding id (got "../x")',
      'resolve: --verdict must be one of true-positive, false-positive, benign-expected, duplicate',
    ]);
    const missed = triageDecision({ action: 'missed', by: 'carol', at: '2026-11-02T10:00:00Z', source: 'cli' });
    expect(missed.ok ? [] : missed.errors).toEqual([
      'missed: --rule must name the rule that should have caught it (e.g. iam.access-key-created)',
      'missed: describe what was missed (the text)',
    ]);
  });

  it('have deterministic ids: the same decision twice is one object; another moment is another', () => {
    const a = decide({ action: 'ack' });
    expect(decide({ action: 'ack' })).toEqual(a);
    expect(decide({ action: 'ack', at: '2026-11-02T10:06:00Z' }).id).not.toBe(a.id);
    expect(decide({ action: 'ack', at: '2026-11-02T11:05:00+01:00' }).id).toBe(a.id);
    expect(triageKey(a, '2026-12-06T23:10:00Z')).toBe(`triage/dt=2026-12-06/${a.id}.json`);
    expect(parseTriageDecision(JSON.parse(triageBody(a)))).toEqual(a);
  });

  it('a missed detection targets itself and names its rule', () => {
    const m = decide({
      action: 'missed',
      target: undefined,
      ruleId: 'iam.access-key-created',
      note: 'found by GuardDuty',
    });
    expect(m).toMatchObject({ target: m.id, action: 'missed', ruleId: 'iam.access-key-created' });
  });
});

describe('triage state machine', () => {
  const ack = decide({ action: 'ack', at: '2026-11-02T10:05:00Z' });
  const resolve = decide({ action: 'resolve', verdict: 'false-positive', at: '2026-11-02T10:30:00Z', by: 'bob' });

  it('folds new → acknowledged → resolved, whatever order the decisions arrive in', () => {
    expect(foldDecisions([]).status).toBe('new');
    expect(foldDecisions([ack])).toMatchObject({ status: 'acknowledged', acknowledgedAt: ack.at });
    const expected = {
      status: 'resolved',
      acknowledgedAt: ack.at,
      acknowledgedBy: 'alice',
      resolvedAt: resolve.at,
      resolvedBy: 'bob',
      verdict: 'false-positive',
      ignored: [],
    };
    expect(foldDecisions([ack, resolve])).toEqual(expected);
    expect(foldDecisions([resolve, ack])).toEqual(expected);
  });

  it('a resolution without an ack acknowledges at the same moment; nothing reopens a resolved target', () => {
    const late = decide({ action: 'ack', at: '2026-11-02T11:00:00Z', by: 'carol' });
    const state = foldDecisions([resolve, late]);
    expect(state).toMatchObject({ status: 'resolved', acknowledgedAt: resolve.at, ignored: [late.id] });
  });

  it('a PagerDuty resolution without a verdict takes one later classification', () => {
    const pd = triageDecision({
      target: TARGET,
      action: 'resolve',
      by: 'Alice Oncall',
      at: '2026-11-02T10:20:00Z',
      source: 'pagerduty',
      externalId: 'E1',
    });
    if (!pd.ok) throw new Error('pd');
    const classify = decide({ action: 'resolve', verdict: 'benign-expected', at: '2026-11-02T12:00:00Z' });
    expect(checkTransition([pd.decision], classify)).toEqual({ kind: 'ok' });
    expect(foldDecisions([pd.decision, classify])).toMatchObject({
      status: 'resolved',
      resolvedAt: '2026-11-02T10:20:00.000Z',
      verdict: 'benign-expected',
      classifiedBy: 'alice',
    });
    const again = decide({ action: 'resolve', verdict: 'true-positive', at: '2026-11-02T13:00:00Z' });
    expect(checkTransition([pd.decision, classify], again).kind).toBe('refused');
  });

  it.each([
    [
      'a second ack',
      [ack],
      decide({ action: 'ack', at: '2026-11-02T10:06:00Z', by: 'bob' }),
      /was acknowledged by alice/,
    ],
    [
      'anything after the resolution',
      [ack, resolve],
      decide({ action: 'ack', at: '2026-11-02T11:00:00Z' }),
      /resolved is final/,
    ],
    [
      'a decision dated before the last one',
      [ack],
      decide({ action: 'resolve', verdict: 'true-positive', at: '2026-11-02T10:00:00Z' }),
      /before the last decision/,
    ],
  ])('refuses %s', (_name, existing, next, reason) => {
    const check = checkTransition(existing, next);
    expect(check.kind).toBe('refused');
    expect(check.kind === 'refused' ? check.reason : '').toMatch(reason);
  });

  it('refuses a decision before the target opened, and calls the same decision again a duplicate', () => {
    expect(checkTransition([], ack, '2026-11-02T10:10:00.000Z')).toEqual({
      kind: 'refused',
      reason: `2026-11-02T10:05:00.000Z is before ${TARGET} was opened (2026-11-02T10:10:00.000Z)`,
    });
    expect(checkTransition([ack], ack)).toEqual({ kind: 'duplicate' });
    expect(checkTransition([ack], resolve)).toEqual({ kind: 'ok' });
  });
});

describe('triage validation, one rule at a time', () => {
  const base: TriageRequest = { action: 'ack', target: TARGET, by: 'alice', at: '2026-11-02T10:05:00Z', source: 'cli' };
  const errors = (req: Partial<TriageRequest>) => {
    const r = triageDecision({ ...base, ...req });
    return r.ok ? [] : r.errors;
  };

  it.each<[string, Partial<TriageRequest>, string[]]>([
    ['a name of blanks', { by: '   ' }, ['by: must name who decided (1 to 200 printable characters)']],
    [
      'a name of 201 characters',
      { by: 'a'.repeat(201) },
      ['by: must name who decided (1 to 200 printable characters)'],
    ],
    [
      'a name with a control character',
      { by: 'al\u001bice' },
      ['by: must name who decided (1 to 200 printable characters)'],
    ],
    ['a note of 2001 characters', { note: 'n'.repeat(2001) }, ['note: at most 2000 characters']],
    ['an unknown source', { source: 'email' as never }, ['source: must be cli, pagerduty or trailwarden']],
    ['an ack with a verdict', { verdict: 'true-positive' }, ['ack: takes no verdict (give it on --resolve)']],
    ['an ack naming a rule', { ruleId: 'iam.x' }, ['ack: --rule is only for --missed']],
    ['a target of 7 characters', { target: 'abcdefg' }, ['target: must be an incident or finding id (got "abcdefg")']],
    ['no target', { target: undefined }, ['target: must be an incident or finding id (got "")']],
    [
      'a resolve with an unknown verdict',
      { action: 'resolve', verdict: 'maybe' },
      ['resolve: --verdict must be one of true-positive, false-positive, benign-expected, duplicate'],
    ],
    ['a PagerDuty ack without its event id', { source: 'pagerduty' }, ['pagerduty: the webhook event id is required']],
    [
      'a PagerDuty ack with an empty event id',
      { source: 'pagerduty', externalId: '' },
      ['pagerduty: the webhook event id is required'],
    ],
    [
      'a missed detection with a target and a verdict',
      {
        action: 'missed',
        ruleId: 'iam.access-key-created',
        note: 'seen elsewhere',
        verdict: 'true-positive',
      },
      ['a missed detection names no target id (it was never detected)', 'missed: takes no verdict'],
    ],
    [
      'a missed detection naming no valid rule',
      { action: 'missed', target: undefined, ruleId: 'Not A Rule', note: 'x' },
      ['missed: --rule must name the rule that should have caught it (e.g. iam.access-key-created)'],
    ],
  ])('refuses %s', (_name, req, expected) => {
    expect(errors(req)).toEqual(expected);
  });

  it.each<[string, Partial<TriageRequest>]>([
    ['a name of 200 characters, trimmed', { by: ` ${'a'.repeat(200)} ` }],
    ['a note of 2000 characters', { note: 'n'.repeat(2000) }],
    ['a target of 8 characters', { target: 'abcdefgh' }],
    ['a PagerDuty resolution without a verdict', { action: 'resolve', source: 'pagerduty', externalId: 'Q1' }],
  ])('takes %s', (_name, req) => {
    expect(errors(req)).toEqual([]);
  });

  it('keeps only what the action carries, trimmed', () => {
    const resolved = triageDecision({ ...base, action: 'resolve', verdict: 'duplicate', by: ' bob ', note: ' dup ' });
    expect(resolved.ok && resolved.decision).toMatchObject({ verdict: 'duplicate', by: 'bob', note: 'dup' });
    const pd = triageDecision({ ...base, source: 'pagerduty', externalId: 'Q1' });
    expect(pd.ok && pd.decision).toMatchObject({ externalId: 'Q1', target: TARGET, at: '2026-11-02T10:05:00.000Z' });
    const cli = triageDecision({ ...base, externalId: 'Q1' });
    expect(cli.ok && 'externalId' in cli.decision).toBe(false);
    // A PagerDuty decision is identified by its webhook event alone: a redelivery is the same decision.
    const again = triageDecision({ ...base, source: 'pagerduty', externalId: 'Q1', at: '2026-11-02T10:06:00Z' });
    expect(again.ok && pd.ok && again.decision.id === pd.decision.id).toBe(true);
  });
});

describe('canonicalTime', () => {
  it.each([
    ['2026-11-02T10:05Z', '2026-11-02T10:05:00.000Z'],
    ['2026-11-02T10:05:00+01:00', '2026-11-02T09:05:00.000Z'],
    ['2026-11-02T10:05:00.123456789-02:30', '2026-11-02T12:35:00.123Z'],
  ])('reads %s', (text, expected) => {
    expect(canonicalTime(text)).toBe(expected);
  });

  it.each([
    '2026-11-02T10:05:00',
    '2026-11-02 10:05:00Z',
    'x2026-11-02T10:05:00Z',
    '2026-11-02T10:05:00Zx',
    '2026-11-02T10:05:00.1234567890Z',
    '2026-13-02T10:05:00Z',
  ])('refuses %s', (text) => {
    expect(canonicalTime(text)).toBeUndefined();
  });
});

describe('parseTriageDecision', () => {
  const good = (): Record<string, unknown> =>
    JSON.parse(triageBody(decide({ action: 'resolve', verdict: 'false-positive' }))) as Record<string, unknown>;

  it.each<[string, Record<string, unknown>]>([
    ['another schema', { schema: 'trailwarden.triage/v2' }],
    ['a numeric id', { id: 1 }],
    ['a numeric note', { note: 1 }],
    ['a numeric by', { by: 1 }],
    ['a numeric target', { target: 1 }],
    ['an unknown action', { action: 'close' }],
    ['an unknown source', { source: 'email' }],
    ['a time without a zone', { at: '2026-11-02T10:05:00' }],
    ['an unknown verdict', { verdict: 'maybe' }],
    ['a CLI resolution without a verdict', { verdict: undefined }],
    ['a numeric rule', { ruleId: 7 }],
  ])('refuses a decision with %s', (_name, change) => {
    expect(parseTriageDecision({ ...good(), ...change })).toBeUndefined();
  });

  it('reads a PagerDuty resolution without a verdict, and refuses what is not an object', () => {
    expect(parseTriageDecision({ ...good(), verdict: undefined, source: 'pagerduty' })).toBeDefined();
    expect(parseTriageDecision(null)).toBeUndefined();
    expect(parseTriageDecision('decision')).toBeUndefined();
  });

  it('keys a decision by the UTC day it was written', () => {
    expect(triageKey({ id: 'abc' }, '2026-12-07T00:30:00+01:00')).toBe('triage/dt=2026-12-06/abc.json');
  });
});
