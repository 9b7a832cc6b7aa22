import { describe, expect, it } from 'vitest';
import { fromRecord } from '../../../rules/core/events.ts';
import { findingId } from '../../../rules/core/finding.ts';
import {
  believableUntil,
  DEFAULT_CLOCK_SKEW_MS,
  forgedDrillOf,
  futureDatedOf,
  INTEGRITY_DEDUP_MS,
  INTEGRITY_RULES,
  integrityFinding,
} from '../../../rules/core/integrity.ts';
import type { AuditEvent } from '../../../rules/core/types.ts';

const RECEIVED = Date.parse('2026-11-02T10:00:00Z');
const event = (eventTime = '2026-11-02T09:59:00Z', extra: Record<string, unknown> = {}): AuditEvent => {
  const parsed = fromRecord({
    eventVersion: '1.09',
    eventTime,
    eventID: 'e-1',
    eventSource: 'cloudtrail.amazonaws.com',
    eventName: 'StopLogging',
    awsRegion: 'eu-west-1',
    recipientAccountId: '111122223333',
    userIdentity: { type: 'IAMUser', userName: 'mallory', arn: 'arn:aws:iam::111122223333:user/mallory' },
    ...extra,
  });
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.event;
};
const claimed = (e: AuditEvent = event()): AuditEvent => ({
  ...e,
  drillClaim: { kind: 'unsigned', marker: 'detail.trailwardenDrill' },
});

describe('integrityFinding', () => {
  it('describes the event with the rule’s metadata, keyed by event id alone', () => {
    const e = event();
    const { finding, dedupKey, dedupWindowMs } = integrityFinding('trailwarden.forged-drill', e, ['why'], RECEIVED);
    const rule = INTEGRITY_RULES['trailwarden.forged-drill'];
    expect(finding).toEqual({
      schema: 'trailwarden.finding/v1',
      id: findingId('trailwarden.forged-drill', 'e-1', 0),
      ruleId: 'trailwarden.forged-drill',
      title: rule.title,
      description: rule.description,
      severity: 'high',
      criticality: 'high',
      controls: ['A.8.16'],
      mitre: ['T1562'],
      account: '111122223333',
      region: 'eu-west-1',
      actor: expect.objectContaining({ arn: 'arn:aws:iam::111122223333:user/mallory', userName: 'mallory' }),
      resources: [],
      eventIds: ['e-1'],
      eventName: 'StopLogging',
      groupKey: '111122223333/eu-west-1',
      firstSeen: '2026-11-02T10:00:00.000Z',
      lastSeen: '2026-11-02T10:00:00.000Z',
      count: 1,
      threshold: null,
      runbook: rule.runbook,
      details: ['why'],
      drill: false,
    });
    expect(dedupKey).toBe('trailwarden.forged-drill|111122223333/eu-west-1');
    expect(dedupWindowMs).toBe(INTEGRITY_DEDUP_MS);
    expect(INTEGRITY_DEDUP_MS).toBe(3_600_000);
  });

  it('keeps drills and unverified drill claims in namespaces of their own', () => {
    const real = integrityFinding('trailwarden.future-dated-event', event(), [], RECEIVED);
    const drill = integrityFinding('trailwarden.future-dated-event', { ...event(), drill: true }, [], RECEIVED);
    const claim = integrityFinding('trailwarden.future-dated-event', claimed(), [], RECEIVED);
    expect(drill.finding.id).toBe(findingId('trailwarden.future-dated-event', 'drill|e-1', 0));
    expect(drill.dedupKey).toBe('drill|trailwarden.future-dated-event|111122223333/eu-west-1');
    expect(drill.finding.drill).toBe(true);
    expect(claim.finding.id).toBe(findingId('trailwarden.future-dated-event', 'unverified-drill|e-1', 0));
    expect(claim.dedupKey).toBe('unverified-drill|trailwarden.future-dated-event|111122223333/eu-west-1');
    expect(claim.finding.drill).toBe(false);
    expect(new Set([real.finding.id, drill.finding.id, claim.finding.id]).size).toBe(3);
    expect(real.finding).toMatchObject({ severity: 'high', controls: ['A.8.15'] });
  });
});

describe('forgedDrillOf', () => {
  it('says nothing about an event with no claim, or a verified drill', () => {
    expect(forgedDrillOf(event(), RECEIVED)).toBeUndefined();
    expect(forgedDrillOf({ ...claimed(), drill: true }, RECEIVED)).toBeUndefined();
  });

  it('raises a claim nothing verified, dated at the event', () => {
    const found = forgedDrillOf(claimed(), RECEIVED);
    expect(found?.finding.ruleId).toBe('trailwarden.forged-drill');
    expect(found?.finding.details).toEqual([
      'Drill marker ignored: no drill key to verify it with (only the evaluate function has one).',
      'Event e-1 (StopLogging) was judged as a real event.',
    ]);
    expect(found?.finding.firstSeen).toBe('2026-11-02T09:59:00.000Z');
  });

  it('gives the verifier’s reason and the claimed run of a signed claim', () => {
    const signedClaim: AuditEvent = {
      ...event(),
      drillClaim: { kind: 'signed', run: 'run-7', expiresMs: RECEIVED, signature: 'ab', digest: 'cd' },
      forgedDrill: 'drill signature expired',
    };
    expect(forgedDrillOf(signedClaim, RECEIVED)?.finding.details).toEqual([
      'Drill marker ignored: drill signature expired.',
      'Event e-1 (StopLogging) was judged as a real event.',
      'Claimed drill run: run-7',
    ]);
  });

  it('dates it at the receive time when the event claims a later time, and at the event when exactly then', () => {
    expect(forgedDrillOf(claimed(event('2100-01-01T00:00:00Z')), RECEIVED)?.finding.lastSeen).toBe(
      '2026-11-02T10:00:00.000Z',
    );
    const atReceipt = forgedDrillOf(claimed(event('2026-11-02T10:00:00Z')), RECEIVED + 1);
    expect(atReceipt?.finding.lastSeen).toBe('2026-11-02T10:00:00.000Z');
    expect(forgedDrillOf(claimed(event('2026-11-02T10:00:00Z')), RECEIVED)?.finding.lastSeen).toBe(
      '2026-11-02T10:00:00.000Z',
    );
    const nan = { ...claimed(), timeMs: Number.NaN };
    expect(forgedDrillOf(nan, RECEIVED)?.finding.lastSeen).toBe('2026-11-02T10:00:00.000Z');
  });
});

describe('futureDatedOf', () => {
  const SKEW = DEFAULT_CLOCK_SKEW_MS;

  it('allows fifteen minutes of skew by default, inclusive', () => {
    expect(DEFAULT_CLOCK_SKEW_MS).toBe(15 * 60_000);
    expect(believableUntil(RECEIVED, SKEW)).toBe(RECEIVED + 900_000);
    expect(futureDatedOf(event('2026-11-02T10:15:00Z'), RECEIVED, SKEW)).toBeUndefined();
    expect(futureDatedOf(event('2026-11-02T10:15:00.001Z'), RECEIVED, SKEW)?.finding.ruleId).toBe(
      'trailwarden.future-dated-event',
    );
    expect(futureDatedOf(event('2026-11-02T09:00:00Z'), RECEIVED, SKEW)).toBeUndefined();
  });

  it('names the claimed time, the receive time and the skew, dated at receipt', () => {
    const found = futureDatedOf(event('2100-01-01T00:00:00Z'), RECEIVED, 5 * 60_000 + 20_000);
    expect(found?.finding.details).toEqual([
      'Event e-1 (StopLogging) claims time 2100-01-01T00:00:00.000Z; it was received at 2026-11-02T10:00:00.000Z (allowed skew 5 min).',
      'Its time did not advance the heartbeat (dead-man switch) and counts as the receive time in threshold windows.',
    ]);
    expect(found?.finding.firstSeen).toBe('2026-11-02T10:00:00.000Z');
  });

  it('says an infinite time as it is', () => {
    const found = futureDatedOf({ ...event(), timeMs: Number.POSITIVE_INFINITY }, RECEIVED, SKEW);
    expect(found?.finding.details?.[0]).toContain('claims time Infinity;');
  });
});
