import { afterEach, describe, expect, it } from 'vitest';
import { findingId } from '../../../rules/core/finding.ts';
import type { TrailProblem } from '../../../rules/core/trail-integrity.ts';
import {
  describeProblem,
  RULE_OF,
  TRAIL_DEDUP_WINDOW_MS,
  TRAIL_INTEGRITY_ACTOR,
  TRAIL_INTEGRITY_CASES,
  TRAIL_INTEGRITY_RULES,
  trailFinding,
  trailIntegrityObservationRules,
} from '../../../rules/core/trail-integrity.ts';

/**
 * What on-call and auditors read of a trail-integrity problem: the one-line description (`validate-trail`, and
 * the finding's details), the finding's fields, its id and dedup key, and the observation rules the docs list.
 */
const W = { account: '111122223333', region: 'eu-west-1', trail: 'management' } as const;
const B = 'trail-bucket';
const D = 'AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2026/11/02/d_20261102T100000Z.json.gz';
const L = 'AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/02/l.json.gz';
const T10 = Date.UTC(2026, 10, 2, 10);

describe('describeProblem', () => {
  it.each<[string, TrailProblem, string]>([
    [
      'an invalid digest, with the reason',
      { ...W, kind: 'digest-invalid', bucket: B, key: D, reason: 'signature', detail: 'signature verification failed' },
      `Digest file\ts3://${B}/${D}\tINVALID: signature verification failed`,
    ],
    [
      'a moved digest, with where it was signed for',
      { ...W, kind: 'digest-moved', bucket: B, key: `${D}.copy`, claimedBucket: 'orig', claimedKey: D },
      `Digest file\ts3://${B}/${D}.copy\tINVALID: has been moved from its original location s3://orig/${D}`,
    ],
    [
      'an unknown key, with region and fingerprint',
      { ...W, kind: 'unknown-key', bucket: B, key: D, fingerprint: 'ab12' },
      `Digest file\ts3://${B}/${D}\tINVALID: public key not found in region eu-west-1 for fingerprint ab12`,
    ],
    [
      'a missing digest, with the digest naming it',
      { ...W, kind: 'digest-missing', bucket: B, key: D, referencedBy: 'next.json.gz' },
      `Digest file\ts3://${B}/${D}\tINVALID: not found (named by next.json.gz)`,
    ],
    [
      'a missing log file, with its digest',
      { ...W, kind: 'log-file-missing', bucket: B, key: L, digestKey: D },
      `Log file\ts3://${B}/${L}\tINVALID: not found (listed in ${D})`,
    ],
    [
      'an altered log file',
      { ...W, kind: 'log-file-altered', bucket: B, key: L, digestKey: D, expected: 'aa', actual: 'bb' },
      `Log file\ts3://${B}/${L}\tINVALID: hash value doesn't match (listed in ${D})`,
    ],
    [
      'a log file that is not gzip',
      { ...W, kind: 'log-file-altered', bucket: B, key: L, digestKey: D, expected: 'aa' },
      `Log file\ts3://${B}/${L}\tINVALID: invalid format (listed in ${D})`,
    ],
    [
      'stopped delivery, lag rounded to the nearest minute',
      {
        ...W,
        kind: 'delivery-stopped',
        bucket: B,
        key: D,
        newestEndMs: T10,
        // 150.5 min late (rounds up), 90.4 min allowed (rounds down).
        asOfMs: T10 + 150.5 * 60_000,
        allowedMs: 90.4 * 60_000,
      },
      `Digest delivery\ts3://${B}/${D}\tSTOPPED: newest digest ends 2026-11-02T10:00:00.000Z, 151 min before 2026-11-02T12:30:30.000Z (allowed 90 min)`,
    ],
  ])('%s', (_name, problem, line) => {
    expect(describeProblem(problem)).toBe(line);
  });
});

describe('trailFinding', () => {
  const missing: TrailProblem = { ...W, kind: 'log-file-missing', bucket: B, key: L, digestKey: D };

  it('is a finding of the mapped rule with every field set, anchored at the digest end time', () => {
    const now = T10 + 2 * 3_600_000;
    const { finding, dedupKey, dedupWindowMs } = trailFinding(missing, T10, now);
    const rule = TRAIL_INTEGRITY_RULES['cloudtrail.log-file-deleted'];
    const groupKey = `111122223333/eu-west-1/management/s3://${B}/${L}`;
    expect(finding).toStrictEqual({
      schema: 'trailwarden.finding/v1',
      id: findingId('cloudtrail.log-file-deleted', groupKey, T10),
      ruleId: 'cloudtrail.log-file-deleted',
      title: rule.title,
      description: rule.description,
      severity: 'critical',
      criticality: 'high',
      controls: ['A.8.15'],
      mitre: ['T1070', 'T1485'],
      account: '111122223333',
      region: 'eu-west-1',
      actor: { arn: 'trailwarden:trail-integrity', type: 'Trailwarden' },
      resources: [`s3://${B}/${L}`],
      eventIds: [],
      eventName: 'ValidateLogs',
      groupKey,
      firstSeen: '2026-11-02T10:00:00.000Z',
      lastSeen: '2026-11-02T12:00:00.000Z',
      count: 1,
      threshold: null,
      runbook: rule.runbook,
      // Tabs of the printed line become spaces in a finding.
      details: [`Log file s3://${B}/${L} INVALID: not found (listed in ${D})`, 'trail: management'],
      drill: false,
    });
    expect(finding.actor).toEqual(TRAIL_INTEGRITY_ACTOR);
    expect(dedupKey).toBe(`cloudtrail.log-file-deleted|${groupKey}|${T10}`);
    expect(dedupWindowMs).toBe(TRAIL_DEDUP_WINDOW_MS);
    expect(TRAIL_DEDUP_WINDOW_MS).toBe(604_800_000);
  });

  it('never dates lastSeen before firstSeen (a clock behind the digest)', () => {
    const { finding } = trailFinding(missing, T10, T10 - 60_000);
    expect(finding.lastSeen).toBe(finding.firstSeen);
    expect(finding.firstSeen).toBe('2026-11-02T10:00:00.000Z');
  });

  it('anchors stopped delivery at the newest digest, so every later run gives the same finding', () => {
    const stopped: TrailProblem = {
      ...W,
      kind: 'delivery-stopped',
      bucket: B,
      key: D,
      newestEndMs: T10,
      asOfMs: T10 + 3 * 3_600_000,
      allowedMs: 5_400_000,
    };
    const a = trailFinding(stopped, 0, T10 + 3 * 3_600_000);
    const b = trailFinding({ ...stopped, asOfMs: T10 + 4 * 3_600_000 }, 0, T10 + 4 * 3_600_000);
    expect(a.finding.firstSeen).toBe('2026-11-02T10:00:00.000Z');
    expect(a.finding.id).toBe(b.finding.id);
    expect(a.dedupKey).toBe(b.dedupKey);
    expect(a.finding.ruleId).toBe('cloudtrail.digest-delivery-stopped');
  });

  it('maps each problem kind to its rule', () => {
    expect(RULE_OF).toStrictEqual({
      'log-file-missing': 'cloudtrail.log-file-deleted',
      'log-file-altered': 'cloudtrail.log-file-altered',
      'digest-missing': 'cloudtrail.digest-gap',
      'digest-invalid': 'cloudtrail.digest-invalid',
      'digest-moved': 'cloudtrail.digest-invalid',
      'unknown-key': 'cloudtrail.digest-unknown-key',
      'delivery-stopped': 'cloudtrail.digest-delivery-stopped',
    });
  });
});

describe('trailIntegrityObservationRules', () => {
  const rules = RULE_OF as Record<string, string>;
  const saved = { ...rules };
  afterEach(() => {
    Object.assign(rules, saved);
  });

  it('lists every rule with its metadata, source and cases, all passing', () => {
    const list = trailIntegrityObservationRules();
    expect(list.map((r) => r.id)).toEqual(Object.keys(TRAIL_INTEGRITY_RULES));
    for (const r of list) {
      const { id, source, cases, ...meta } = r;
      expect(meta).toStrictEqual(TRAIL_INTEGRITY_RULES[id as keyof typeof TRAIL_INTEGRITY_RULES]);
      expect(source).toBe(
        'CloudTrail digest files and the log files they list (trail-integrity function on each new digest and hourly; `trailwarden validate-trail`)',
      );
      const total = TRAIL_INTEGRITY_CASES.filter((c) => c.expect === id).length;
      expect(cases).toStrictEqual({ total, passed: total, failures: [] });
    }
    expect(list.find((r) => r.id === 'cloudtrail.digest-invalid')?.cases.total).toBe(2);
  });

  it('reports a case whose problem maps to another rule as failing, with the rule it gave', () => {
    rules['log-file-missing'] = 'cloudtrail.digest-gap';
    const deleted = trailIntegrityObservationRules().find((r) => r.id === 'cloudtrail.log-file-deleted');
    expect(deleted?.cases).toStrictEqual({
      total: 1,
      passed: 0,
      failures: [{ name: 'listed log file gone', reason: 'gave cloudtrail.digest-gap' }],
    });
  });
});
