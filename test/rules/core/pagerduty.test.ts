import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { WebhookOutcome } from '../../../rules/core/pagerduty.ts';
import { decisionFromWebhook, signPagerDutyBody, verifyPagerDutySignature } from '../../../rules/core/pagerduty.ts';

/**
 * The pure half of the PagerDuty webhook (rules/core/pagerduty.ts): which signature headers pass, and which
 * verified bodies become which triage decision. The handler's own test covers the Lambda around it.
 */
const SECRET = 'pd-secret-0123456789';
const NOW = Date.parse('2026-11-02T15:20:30Z');
const INCIDENT = '4a793daf43da4d3f3a91ba7665557992';
const hmac = (body: string, secret: string): string => createHmac('sha256', secret).update(body, 'utf8').digest('hex');

describe('verifyPagerDutySignature', () => {
  const body = '{"event":{}}';
  const good = hmac(body, SECRET);

  it('signs as PagerDuty does: v1= and the hex HMAC-SHA256 of the body', () => {
    expect(signPagerDutyBody(body, SECRET)).toBe(`v1=${good}`);
    expect(verifyPagerDutySignature(body, signPagerDutyBody(body, SECRET), [SECRET])).toBe(true);
  });

  it.each<[string, string | undefined]>([
    ['no header', undefined],
    ['an empty header', ''],
    ['another scheme', `v0=${good}`],
    ['the bare hex', good],
    ['a signature over another body', `v1=${hmac('{}', SECRET)}`],
    ['a signature under another secret', `v1=${hmac(body, 'other')}`],
    ['the signature with trailing garbage (which a hex decoder would drop)', `v1=${good}zz`],
    ['the signature with one character dropped', `v1=${good.slice(1)}`],
  ])('refuses %s', (_name, header) => {
    expect(verifyPagerDutySignature(body, header, [SECRET])).toBe(false);
  });

  it('refuses everything when no secret is configured', () => {
    expect(verifyPagerDutySignature(body, `v1=${good}`, [])).toBe(false);
  });

  it('takes any one matching signature of several, spaced or not, in either case', () => {
    expect(verifyPagerDutySignature(body, `v1=${hmac(body, 'old')}, v1=${good}`, [SECRET])).toBe(true);
    expect(verifyPagerDutySignature(body, `v1=${good},v1=${hmac(body, 'old')}`, [SECRET])).toBe(true);
    expect(verifyPagerDutySignature(body, ` v1=${good.toUpperCase()} `, [SECRET])).toBe(true);
  });

  it('takes a signature under any configured secret (rotation)', () => {
    expect(verifyPagerDutySignature(body, `v1=${good}`, ['next-secret', SECRET])).toBe(true);
    expect(verifyPagerDutySignature(body, `v1=${good}`, [SECRET, 'next-secret'])).toBe(true);
  });
});

interface BodyOptions {
  readonly type?: string;
  readonly occurredAt?: string;
  readonly event?: Record<string, unknown>;
  readonly data?: Record<string, unknown>;
}
const pdBody = (o: BodyOptions = {}): string =>
  JSON.stringify({
    event: {
      id: '01DEN2LMDPYKPAH1B5L2D8HMUQ',
      event_type: o.type ?? 'incident.acknowledged',
      resource_type: 'incident',
      occurred_at: o.occurredAt ?? '2026-11-02T15:20:00.000Z',
      agent: { id: 'PLH1HKV', summary: 'Alice Oncall', type: 'user_reference' },
      data: {
        id: 'PGR0VU2',
        type: 'incident',
        number: 42,
        incident_key: INCIDENT,
        created_at: '2026-11-02T15:13:00Z',
        resolve_reason: null,
        ...o.data,
      },
      ...o.event,
    },
  });
const outcome = (body: string, maxAge = 600, skew?: number): WebhookOutcome =>
  skew === undefined ? decisionFromWebhook(body, NOW, maxAge) : decisionFromWebhook(body, NOW, maxAge, skew);
const decisionOf = (body: string) => {
  const o = outcome(body);
  if (o.kind !== 'decision') throw new Error(`expected a decision, got ${JSON.stringify(o)}`);
  return o;
};

describe('decisionFromWebhook', () => {
  it('records an acknowledgement by the agent, at occurred_at, keyed by the webhook event', () => {
    expect(decisionOf(pdBody())).toEqual({
      kind: 'decision',
      createdAt: '2026-11-02T15:13:00Z',
      decision: expect.objectContaining({
        target: INCIDENT,
        action: 'ack',
        note: 'PagerDuty incident #42 acknowledged',
        by: 'Alice Oncall',
        at: '2026-11-02T15:20:00.000Z',
        source: 'pagerduty',
        externalId: '01DEN2LMDPYKPAH1B5L2D8HMUQ',
      }),
    });
  });

  it('records a resolution without a verdict, and a merged one as a duplicate', () => {
    const plain = decisionOf(pdBody({ type: 'incident.resolved' })).decision;
    expect(plain).toMatchObject({ action: 'resolve', note: 'PagerDuty incident #42 resolved' });
    expect('verdict' in plain).toBe(false);
    const merged = decisionOf(
      pdBody({ type: 'incident.resolved', data: { resolve_reason: { type: 'merge_resolve_reason' } } }),
    );
    expect(merged.decision).toMatchObject({
      action: 'resolve',
      verdict: 'duplicate',
      note: 'PagerDuty incident #42 resolved: merged into another incident',
    });
  });

  it('a merge reason on an acknowledgement adds the note but no verdict', () => {
    const d = decisionOf(pdBody({ data: { resolve_reason: { type: 'merge_resolve_reason' } } })).decision;
    expect(d).toMatchObject({
      action: 'ack',
      note: 'PagerDuty incident #42 acknowledged: merged into another incident',
    });
    expect('verdict' in d).toBe(false);
  });

  it.each<[string, unknown]>([
    ['a reason of another type', { type: 'other' }],
    ['a reason without a type', {}],
    ['a reason that is a string', 'merge'],
  ])('a resolution with %s is not a merge', (_name, reason) => {
    const d = decisionOf(pdBody({ type: 'incident.resolved', data: { resolve_reason: reason } })).decision;
    expect(d.note).toBe('PagerDuty incident #42 resolved');
    expect('verdict' in d).toBe(false);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['no agent', { agent: undefined }, 'pagerduty'],
    ['an agent that is a string', { agent: 'Alice' }, 'pagerduty'],
    ['an agent with an empty summary', { agent: { summary: '' } }, 'pagerduty'],
    ['an agent with a numeric summary', { agent: { summary: 7 } }, 'pagerduty'],
    ['an agent with a long summary', { agent: { summary: `  ${'a'.repeat(250)}` } }, 'a'.repeat(198)],
  ])('names who decided for %s', (_name, event, by) => {
    expect(decisionOf(pdBody({ event })).decision.by).toBe(by);
  });

  it('leaves out an incident number that is not a number, and a creation time that is not a time', () => {
    const o = decisionOf(pdBody({ data: { number: '42', created_at: 'yesterday' } }));
    expect(o.decision.note).toBe('PagerDuty incident acknowledged');
    expect(o.createdAt).toBeUndefined();
    expect(decisionOf(pdBody({ data: { created_at: 17 } })).createdAt).toBeUndefined();
    expect(decisionOf(pdBody({ data: { created_at: ['2026-11-02T15:13:00Z'] } })).createdAt).toBeUndefined();
  });

  it('keeps occurred_at as a canonical UTC time', () => {
    expect(decisionOf(pdBody({ occurredAt: '2026-11-02T16:20:00+01:00' })).decision.at).toBe(
      '2026-11-02T15:20:00.000Z',
    );
  });

  it('answers other event types 200 without recording anything', () => {
    expect(outcome(pdBody({ type: 'incident.triggered' }))).toEqual({
      kind: 'ignored',
      status: 200,
      reason: 'event type incident.triggered is not a triage decision',
    });
    expect(outcome(pdBody({ type: 'pagey.ping', data: { type: 'ping' } })).kind).toBe('ignored');
  });

  it.each<[string, string, WebhookOutcome]>([
    ['a body that is not JSON', '{', { kind: 'rejected', status: 400, reason: 'body is not JSON' }],
    ['a body without an event', '{"ping":1}', { kind: 'rejected', status: 400, reason: 'no event object' }],
    ['a body that is an array', '[{"event":{}}]', { kind: 'rejected', status: 400, reason: 'no event object' }],
    ['a body that is null', 'null', { kind: 'rejected', status: 400, reason: 'no event object' }],
    ['an event that is an array', '{"event":[]}', { kind: 'rejected', status: 400, reason: 'no event object' }],
    ['an event that is null', '{"event":null}', { kind: 'rejected', status: 400, reason: 'no event object' }],
  ])('rejects %s', (_name, body, expected) => {
    expect(outcome(body)).toEqual(expected);
  });

  const required = { kind: 'rejected', status: 400, reason: 'event.id and event.event_type are required' } as const;
  it.each<[string, Record<string, unknown>, WebhookOutcome]>([
    ['a numeric id', { id: 1 }, required],
    ['an empty id', { id: '' }, required],
    ['no event type', { event_type: undefined }, required],
    ['a numeric event type', { event_type: 3 }, required],
    [
      'no occurred_at',
      { occurred_at: undefined },
      { kind: 'rejected', status: 400, reason: 'event.occurred_at is not a time' },
    ],
    [
      'a numeric occurred_at',
      { occurred_at: NOW },
      { kind: 'rejected', status: 400, reason: 'event.occurred_at is not a time' },
    ],
    // A list of one time would pass Date.parse (it stringifies to the time): the type is checked first.
    [
      'an occurred_at that is a list of one time',
      { occurred_at: ['2026-11-02T15:20:00.000Z'] },
      { kind: 'rejected', status: 400, reason: 'event.occurred_at is not a time' },
    ],
    [
      'an occurred_at that is no time',
      { occurred_at: 'soon' },
      { kind: 'rejected', status: 400, reason: 'event.occurred_at is not a time' },
    ],
  ])('rejects an event with %s', (_name, event, expected) => {
    expect(outcome(pdBody({ event }))).toEqual(expected);
  });

  it('judges staleness in seconds, up to and including the limit', () => {
    expect(outcome(pdBody({ occurredAt: '2026-11-02T15:10:30.000Z' })).kind).toBe('decision');
    expect(outcome(pdBody({ occurredAt: '2026-11-02T15:10:29.000Z' }))).toEqual({
      kind: 'rejected',
      status: 408,
      reason: 'stale: occurred 601 s ago (limit 600 s)',
    });
    expect(outcome(pdBody({ occurredAt: '2026-11-02T15:20:29.400Z' }), 0)).toEqual({
      kind: 'rejected',
      status: 408,
      reason: 'stale: occurred 1 s ago (limit 0 s)',
    });
  });

  it('takes a clock skew of five minutes by default, or the one given, and refuses a later time', () => {
    const future = { kind: 'rejected', status: 400, reason: 'occurred_at is in the future' };
    expect(outcome(pdBody({ occurredAt: '2026-11-02T15:25:30.000Z' })).kind).toBe('decision');
    expect(outcome(pdBody({ occurredAt: '2026-11-02T15:25:31.000Z' }))).toEqual(future);
    expect(outcome(pdBody({ occurredAt: '2026-11-02T15:21:30.000Z' }), 600, 60).kind).toBe('decision');
    expect(outcome(pdBody({ occurredAt: '2026-11-02T15:21:31.000Z' }), 600, 60)).toEqual(future);
  });

  const notIncident = { kind: 'rejected', status: 422, reason: 'event.data is not an incident' } as const;
  const notOurs = {
    kind: 'rejected',
    status: 422,
    reason: 'incident_key is not a Trailwarden incident or finding id (not triggered by Trailwarden?)',
  } as const;
  it.each<[string, BodyOptions, WebhookOutcome]>([
    ['no data', { event: { data: undefined } }, notIncident],
    ['data that is a string', { event: { data: 'incident' } }, notIncident],
    ['data of another type', { data: { type: 'service' } }, notIncident],
    ['no incident key', { data: { incident_key: undefined } }, notOurs],
    ['a numeric incident key', { data: { incident_key: 42 } }, notOurs],
    ['an incident key that is a path', { data: { incident_key: '../../findings/x.json' } }, notOurs],
  ])('rejects a handled event with %s', (_name, options, expected) => {
    expect(outcome(pdBody(options))).toEqual(expected);
  });

  it('rejects with the triage errors when the decision itself is invalid', () => {
    // The webhook checks the agent summary only for being a non-empty string; the decision refuses control characters.
    expect(outcome(pdBody({ event: { agent: { summary: 'al\u0007ice' } } }))).toEqual({
      kind: 'rejected',
      status: 422,
      reason: 'by: must name who decided (1 to 200 printable characters)',
    });
  });
});
