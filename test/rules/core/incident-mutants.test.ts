import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../rules/core/finding.ts';
import type { IncidentConfig, IncidentScopeState } from '../../../rules/core/incident.ts';
import {
  actorKeyOf,
  byEventOrder,
  byScope,
  correlate,
  DEFAULT_INCIDENT_CONFIG,
  EMPTY_SCOPE,
  incidentId,
  incidentScope,
} from '../../../rules/core/incident.ts';
import { HIDDEN_USER } from '../../../rules/core/signin.ts';
import type { Severity } from '../../../rules/core/vocabulary.ts';
import { sampleFinding } from '../../functions/support.ts';

/**
 * Edges of incident correlation (rules/core/incident.ts) that mutation testing showed untested: who the actor is
 * when the principal is not known, which of two open incidents a finding joins, how a scope's findings are
 * grouped, and which incidents a full scope keeps. Each decides whether an attack pages once, twice or never.
 */
const T0 = Date.parse('2026-11-02T10:00:00.000Z');
const iso = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
let n = 0;
const f = (minutes: number, severity: Severity = 'high', overrides: Partial<Finding> = {}): Finding =>
  sampleFinding({
    id: `m${String(n++).padStart(4, '0')}`,
    severity,
    firstSeen: iso(minutes),
    lastSeen: iso(minutes),
    ...overrides,
  });

const run = (batches: readonly (readonly Finding[])[], config: IncidentConfig = DEFAULT_INCIDENT_CONFIG) => {
  let state: IncidentScopeState = EMPTY_SCOPE;
  for (const batch of batches) state = correlate(state, batch, config).state;
  return state;
};

describe('actorKeyOf without a usable principal', () => {
  it('an `unknown` principal is no actor: the source IP is, else nothing', () => {
    const actor = { arn: 'unknown', type: 'IAMUser', userName: 'alice', sourceIp: '198.51.100.7' };
    expect(actorKeyOf(sampleFinding({ actor }))).toBe('ip:198.51.100.7');
    expect(actorKeyOf(sampleFinding({ actor: { arn: 'unknown', type: 'IAMUser' } }))).toBe('unknown');
  });

  it('a masked user name makes the principal untrustworthy even when an ARN is given: the source IP is the actor', () => {
    const actor = {
      arn: 'arn:aws:iam::111122223333:user/someone',
      type: 'IAMUser',
      userName: HIDDEN_USER,
      sourceIp: '198.51.100.7',
    };
    expect(actorKeyOf(sampleFinding({ actor }))).toBe('ip:198.51.100.7');
  });
});

describe('byScope', () => {
  it('keeps every finding of a scope, in arrival order', () => {
    const a = sampleFinding({ id: 'a' });
    const drill = sampleFinding({ id: 'd', drill: true });
    const b = sampleFinding({ id: 'b' });
    const groups = byScope([a, drill, b]);
    expect(groups.get(incidentScope(a))?.map((x) => x.id)).toEqual(['a', 'b']);
    expect(groups.get(incidentScope(drill))?.map((x) => x.id)).toEqual(['d']);
  });
});

describe('correlate edges', () => {
  it('an incident opened by one finding lists its rule', () => {
    const state = run([[f(0, 'high', { ruleId: 'r-open' })]]);
    expect(state.incidents[0]?.ruleIds).toEqual(['r-open']);
  });

  it('a finding two open incidents could take joins the most recent, and the other is left as it was', () => {
    const a = f(0);
    const b = f(100);
    const before = run([[a], [b]]);
    expect(before.incidents.map((i) => i.findingIds)).toEqual([[a.id], [b.id]]);
    // Minute 50 is within the window of both (0 + 60 and 100 - 60).
    const between = f(50);
    const out = correlate(before, [between], DEFAULT_INCIDENT_CONFIG);
    expect(out.assignments[0]?.incident.id).toBe(before.incidents[1]?.id);
    expect(out.state.incidents.map((i) => i.findingIds)).toEqual([[a.id], [b.id, between.id]]);
    expect(out.state.incidents[0]).toEqual(before.incidents[0]);
  });

  it('a new incident beside older ones of the scope is named from its opening finding alone', () => {
    const later = f(200);
    const state = run([[f(0)], [later]]);
    const expected = incidentId(false, later.account, actorKeyOf(later), Date.parse(later.firstSeen));
    expect(state.incidents.map((i) => i.id)).toContain(expected);
  });

  it('when a full scope must drop one, it drops the incident with the oldest activity, not the last opened', () => {
    const config: IncidentConfig = { correlationMinutes: 1, pageSeverity: 'high' };
    // Eight incidents two minutes apart, then a late finding (minute 0) that none of them can take.
    const state = run([...Array.from({ length: 8 }, (_, i) => [f(10 + 2 * i)]), [f(0)]], config);
    expect(state.incidents.map((i) => i.openedAt)).toEqual([10, 12, 14, 16, 18, 20, 22, 24].map(iso));
  });
});

describe('byEventOrder', () => {
  it('at the same time and severity, orders by id in both directions', () => {
    const a = f(0, 'high', { id: 'a' });
    const b = f(0, 'high', { id: 'b' });
    expect(byEventOrder(a, b)).toBeLessThan(0);
    expect(byEventOrder(b, a)).toBeGreaterThan(0);
  });
});
