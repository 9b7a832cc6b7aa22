import { describe, expect, it } from 'vitest';
import { DRILL_TTL_MS, signDrillEnvelope } from '../../../rules/core/drill-auth.ts';
import { ELEVATED_ACTOR, ELEVATED_RULE, ELEVATED_RULE_ID } from '../../../rules/core/elevated-access.ts';
import { findingId } from '../../../rules/core/finding.ts';
import { INTEGRITY_DEDUP_MS, INTEGRITY_RULES } from '../../../rules/core/integrity.ts';
import {
  DRILL_EXPIRED_AGO_MS,
  DRILL_GRANTEE,
  drillGrantee,
  drillMemoryKey,
  ELEVATED_DRILL_SCHEMA,
  forgedObservationDrill,
  OBSERVATION_DRILLS,
  observationDrillInput,
  planElevatedDrill,
  verifyObservationDrill,
} from '../../../rules/core/observation-drill.ts';

/**
 * Drill observations of the elevated-access check (rules/core/observation-drill.ts): signed like drill events,
 * judged only when the signature and the shape check out, and refused otherwise as a forged drill.
 */
const KEY = 'k'.repeat(43);
const NOW = Date.parse('2026-11-25T12:00:00Z');
const RUN = 'run-1';

const plan = (over: { ttlMs?: number; account?: string } = {}) => {
  let n = 0;
  return planElevatedDrill({
    nowMs: NOW,
    ...(over.account === undefined ? {} : { account: over.account }),
    auth: { key: KEY, run: RUN, ...(over.ttlMs === undefined ? {} : { ttlMs: over.ttlMs }) },
    newId: () => `id${n++}`,
  });
};

/** Verify a message as the function would at `nowMs`. */
const verify = (message: unknown, nowMs = NOW, key = KEY) => {
  const input = observationDrillInput(message);
  if (input.kind !== 'claim') throw new Error('no claim');
  return verifyObservationDrill(input, key, nowMs);
};

/** Re-sign an altered message, so only its shape is at fault. */
const resign = (message: Record<string, unknown>, changes: Record<string, unknown>) => {
  const altered = { ...message, ...changes };
  const timeMs = typeof altered.time === 'string' ? Date.parse(altered.time) : Number.NaN;
  return signDrillEnvelope(altered, { id: String(altered.id), timeMs }, KEY, {
    run: RUN,
    expiresMs: NOW + DRILL_TTL_MS,
  });
};

const first = () => {
  const step = plan().steps[0];
  if (step === undefined) throw new Error('no step');
  return step.message;
};

describe('OBSERVATION_DRILLS', () => {
  it('lists the elevated-access check at its own severity', () => {
    expect(OBSERVATION_DRILLS).toEqual([{ ruleId: ELEVATED_RULE_ID, severity: ELEVATED_RULE.severity }]);
  });
});

describe('drillGrantee', () => {
  it('is the fictitious grantee of the account, holding admin tagged to expire two days ago when overdue', () => {
    expect(DRILL_EXPIRED_AGO_MS).toBe(2 * 86_400_000);
    const overdue = drillGrantee('444455556666', 'overdue', NOW + 500);
    expect(overdue).toEqual({
      arn: `arn:aws:iam::444455556666:user/${DRILL_GRANTEE}`,
      type: 'user',
      name: 'trailwarden-drill-grantee',
      tags: {},
      managed: [
        {
          arn: 'arn:aws:iam::aws:policy/AdministratorAccess',
          name: 'AdministratorAccess',
          document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
          // Whole seconds, as a person would write the tag.
          tags: { expires: '2026-11-23T12:00:00Z' },
        },
      ],
      inline: [],
      groups: [],
    });
  });

  it('holds nothing once revoked', () => {
    expect(drillGrantee('444455556666', 'revoked', NOW).managed).toEqual([]);
  });
});

describe('planElevatedDrill', () => {
  it('signs an overdue then a revoked step, one second apart, for the default account', () => {
    const p = plan();
    expect([p.kind, p.ruleId, p.severity]).toEqual(['observation-plan', ELEVATED_RULE_ID, ELEVATED_RULE.severity]);
    expect(p.steps.map((s) => s.step)).toEqual(['overdue', 'revoked']);
    expect(p.steps.map((s) => [s.message.schema, s.message.id, s.message.time, s.message.step])).toEqual([
      [ELEVATED_DRILL_SCHEMA, 'drill-id0', '2026-11-25T12:00:00.000Z', 'overdue'],
      [ELEVATED_DRILL_SCHEMA, 'drill-id1', '2026-11-25T12:00:01.000Z', 'revoked'],
    ]);
    expect(p.steps[0]?.message.principals).toEqual([drillGrantee('111122223333', 'overdue', NOW)]);
    expect(p.steps[1]?.message.principals).toEqual([drillGrantee('111122223333', 'revoked', NOW)]);
    expect(p.steps.map((s) => s.message.drill)).toEqual([
      expect.objectContaining({ v: 1, run: RUN, expires: new Date(NOW + DRILL_TTL_MS).toISOString() }),
      expect.objectContaining({ v: 1, run: RUN, expires: new Date(NOW + DRILL_TTL_MS).toISOString() }),
    ]);
    for (const s of p.steps) expect(verify(s.message)).toMatchObject({ ok: true, run: RUN });
  });

  it('uses the account and the signature lifetime it is given', () => {
    const p = plan({ account: '444455556666', ttlMs: 60_000 });
    expect(p.steps[0]?.message.principals).toEqual([drillGrantee('444455556666', 'overdue', NOW)]);
    expect(p.steps[0]?.message.drill).toMatchObject({ expires: new Date(NOW + 60_000).toISOString() });
  });

  it('gives every message a fresh random id by default', () => {
    const p = planElevatedDrill({ nowMs: NOW, auth: { key: KEY, run: RUN } });
    const ids = p.steps.map((s) => String(s.message.id));
    expect(ids.every((id) => /^drill-[0-9a-f-]{36}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(2);
  });
});

describe('observationDrillInput', () => {
  it('is none for the schedule (no object, or no claim) and a claim for a marker or a signature', () => {
    expect(observationDrillInput(null)).toEqual({ kind: 'none' });
    expect(observationDrillInput(['drill'])).toEqual({ kind: 'none' });
    expect(observationDrillInput({ source: 'aws.events' })).toEqual({ kind: 'none' });
    const marked = { trailwardenDrill: true };
    expect(observationDrillInput(marked)).toEqual({
      kind: 'claim',
      claim: { kind: 'unsigned', marker: 'trailwardenDrill' },
      value: marked,
    });
    expect(observationDrillInput(first())).toMatchObject({ kind: 'claim', claim: { kind: 'signed', run: RUN } });
  });
});

describe('verifyObservationDrill', () => {
  it('returns the message as signed, with its time normalised, and the run', () => {
    const message = first();
    const verdict = verify(message);
    expect(verdict).toEqual({
      ok: true,
      run: RUN,
      message: {
        schema: ELEVATED_DRILL_SCHEMA,
        id: 'drill-id0',
        time: '2026-11-25T12:00:00.000Z',
        step: 'overdue',
        principals: message.principals,
      },
    });
  });

  it('refuses an unsigned marker, naming the id it claims but no run', () => {
    const message = { ...first(), drill: true };
    expect(verify(message)).toStrictEqual({
      ok: false,
      reason: 'unsigned drill marker (drill: true)',
      id: 'drill-id0',
    });
  });

  it('names neither id nor run when the message claims none', () => {
    expect(verify({ trailwardenDrill: true })).toStrictEqual({
      ok: false,
      reason: `not a ${ELEVATED_DRILL_SCHEMA} message`,
    });
  });

  it('refuses a signature that does not match, an expired one, or one checked with another key', () => {
    const message = first();
    expect(verify({ ...message, step: 'revoked' })).toMatchObject({ ok: false, reason: /does not match/ });
    expect(verify(message, NOW + DRILL_TTL_MS)).toMatchObject({ ok: false, reason: /expired/, run: RUN });
    expect(verify(message, NOW, 'x'.repeat(43))).toMatchObject({ ok: false, reason: /does not match/ });
  });

  const principal = () => (first().principals as Record<string, unknown>[])[0] ?? {};
  const managed = () => (principal().managed as Record<string, unknown>[])[0] ?? {};
  const group = {
    name: 'admins',
    arn: 'arn:aws:iam::111122223333:group/admins',
    managed: [{ arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess', name: 'ReadOnlyAccess', tags: {} }],
    inline: [{ name: 'inline-1' }],
  };

  it('accepts a role, inline policies and groups of the right shape', () => {
    const p = { ...principal(), type: 'role', inline: [{ name: 'p' }], groups: [group] };
    expect(verify(resign(first(), { principals: [p] }))).toMatchObject({ ok: true });
    expect(verify(resign(first(), { step: 'revoked', principals: [] }))).toMatchObject({ ok: true });
  });

  const notMessage = { ok: false, reason: `not a ${ELEVATED_DRILL_SCHEMA} message` };
  const shapes: [string, Record<string, unknown>][] = [
    ['another schema', { schema: 'trailwarden.elevated-access-drill/v2' }],
    ['no id', { id: undefined }],
    ['an empty id', { id: '' }],
    ['a numeric id', { id: 7 }],
    ['an unreadable time', { time: 'yesterday' }],
    ['a numeric time', { time: NOW }],
    // A number Date.parse would read as a year once made a string: still not a time.
    ['a numeric year as time', { time: 2026 }],
    ['another step', { step: 'granted' }],
    ['principals not a list', { principals: { 0: 'x' } }],
    ['a principal not an object', { principals: ['arn'] }],
    ['a principal arn not a string', { principals: [{ ...principal(), arn: 1 }] }],
    ['a principal of another type', { principals: [{ ...principal(), type: 'group' }] }],
    ['a principal name not a string', { principals: [{ ...principal(), name: null }] }],
    ['principal tags not strings', { principals: [{ ...principal(), tags: { a: 1 } }] }],
    ['principal tags not an object', { principals: [{ ...principal(), tags: 'a' }] }],
    ['managed not a list', { principals: [{ ...principal(), managed: {} }] }],
    ['a managed arn not a string', { principals: [{ ...principal(), managed: [{ ...managed(), arn: 1 }] }] }],
    ['a managed name not a string', { principals: [{ ...principal(), managed: [{ ...managed(), name: 1 }] }] }],
    ['managed tags not strings', { principals: [{ ...principal(), managed: [{ ...managed(), tags: { e: 1 } }] }] }],
    ['a managed entry not an object', { principals: [{ ...principal(), managed: ['x'] }] }],
    ['inline not a list', { principals: [{ ...principal(), inline: 'x' }] }],
    ['an inline name not a string', { principals: [{ ...principal(), inline: [{ name: 1 }] }] }],
    ['an inline entry not an object', { principals: [{ ...principal(), inline: [null] }] }],
    ['groups not a list', { principals: [{ ...principal(), groups: {} }] }],
    ['a group not an object', { principals: [{ ...principal(), groups: ['g'] }] }],
    ['a group name not a string', { principals: [{ ...principal(), groups: [{ ...group, name: 1 }] }] }],
    ['a group arn not a string', { principals: [{ ...principal(), groups: [{ ...group, arn: 1 }] }] }],
    ['group managed not a list', { principals: [{ ...principal(), groups: [{ ...group, managed: 'm' }] }] }],
    [
      'a group with a good and a bad managed entry',
      { principals: [{ ...principal(), groups: [{ ...group, managed: [...group.managed, { name: 'x' }] }] }] },
    ],
    [
      'a group with a good and a bad inline entry',
      { principals: [{ ...principal(), groups: [{ ...group, inline: [...group.inline, {}] }] }] },
    ],
    [
      'a group managed entry of the wrong shape',
      { principals: [{ ...principal(), groups: [{ ...group, managed: [{ name: 'x', tags: {} }] }] }] },
    ],
    ['group inline not a list', { principals: [{ ...principal(), groups: [{ ...group, inline: 'i' }] }] }],
    [
      'a group inline entry of the wrong shape',
      { principals: [{ ...principal(), groups: [{ ...group, inline: [{ name: 2 }] }] }] },
    ],
  ];
  it.each(shapes)('refuses a validly signed message with %s, before judging its signature', (_name, changes) => {
    const message = resign(first(), changes);
    const verdict = verify(message);
    expect(verdict).toMatchObject(notMessage);
    // The claimed id and run are named when there is one, so the forged-drill finding can point at them.
    expect(verdict.ok ? undefined : verdict.run).toBe(RUN);
  });
});

describe('drillMemoryKey', () => {
  it('keeps drill memory apart from the account memory', () => {
    expect(drillMemoryKey('111122223333')).toBe('drill|111122223333');
  });
});

describe('forgedObservationDrill', () => {
  const where = { account: '111122223333', region: 'eu-west-1' };
  const rule = INTEGRITY_RULES['trailwarden.forged-drill'];

  it('is a real (not drill) forged-drill finding naming the reason, the claimed id and run, hourly per place', () => {
    const { finding, dedupKey, dedupWindowMs } = forgedObservationDrill('bad signature', where, NOW, {
      id: 'drill-x',
      run: 'run-9',
    });
    expect(dedupKey).toBe('unverified-drill|trailwarden.forged-drill|111122223333/eu-west-1');
    expect(dedupWindowMs).toBe(INTEGRITY_DEDUP_MS);
    expect(finding).toMatchObject({
      schema: 'trailwarden.finding/v1',
      ruleId: 'trailwarden.forged-drill',
      title: rule.title,
      description: rule.description,
      severity: rule.severity,
      criticality: 'high',
      controls: rule.controls,
      mitre: rule.mitre,
      account: '111122223333',
      region: 'eu-west-1',
      actor: ELEVATED_ACTOR,
      resources: [],
      eventIds: ['drill-x'],
      eventName: 'ElevatedAccessCheck',
      groupKey: '111122223333/eu-west-1',
      firstSeen: '2026-11-25T12:00:00.000Z',
      lastSeen: '2026-11-25T12:00:00.000Z',
      count: 1,
      threshold: null,
      runbook: rule.runbook,
      drill: false,
    });
    expect(finding.details).toEqual([
      'Drill observation refused: bad signature.',
      `The elevated-access check (${ELEVATED_RULE_ID}) did not judge the state it carried.`,
      'Claimed drill run: run-9',
    ]);
    // In the forged-drill rule's own id space, keyed by the claimed observation.
    expect(finding.id).toBe(findingId('trailwarden.forged-drill', 'unverified-drill|observation|drill-x', 0));
  });

  it('without a claimed id or run, names neither and takes its id from the time', () => {
    const a = forgedObservationDrill('r', where, NOW, {});
    const b = forgedObservationDrill('r', where, NOW + 1000, {});
    const c = forgedObservationDrill('r', where, NOW, { id: 'x' });
    const d = forgedObservationDrill('r', where, NOW, { id: 'y' });
    expect(a.finding.eventIds).toEqual([]);
    expect(a.finding.details).toHaveLength(2);
    expect(new Set([a.finding.id, b.finding.id, c.finding.id, d.finding.id]).size).toBe(4);
    expect(forgedObservationDrill('r', where, NOW + 5, { id: 'x' }).finding.id).toBe(c.finding.id);
  });
});
