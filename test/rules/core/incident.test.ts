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
  incidentKey,
  incidentScope,
  MAX_INCIDENT_FINDINGS,
  notificationFor,
  scopeExpiresAt,
} from '../../../rules/core/incident.ts';
import type { Severity } from '../../../rules/core/vocabulary.ts';
import { sampleFinding } from '../../functions/support.ts';

const T0 = Date.parse('2026-11-02T10:00:00.000Z');
const iso = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
let n = 0;
const f = (minutes: number, severity: Severity, overrides: Partial<Finding> = {}): Finding =>
  sampleFinding({
    id: `f${String(n++).padStart(4, '0')}`,
    severity,
    firstSeen: iso(minutes),
    lastSeen: iso(minutes),
    ...overrides,
  });

/** Feed findings one batch at a time, as handlers would; returns every assignment and the final state. */
const run = (batches: readonly (readonly Finding[])[], config: IncidentConfig = DEFAULT_INCIDENT_CONFIG) => {
  let state: IncidentScopeState = EMPTY_SCOPE;
  const kinds: string[] = [];
  const incidentIds: string[] = [];
  for (const batch of batches) {
    const out = correlate(state, batch, config);
    state = out.state;
    for (const a of out.assignments) {
      kinds.push(a.kind);
      incidentIds.push(a.incident.id);
    }
  }
  return { state, kinds, incidentIds };
};

describe('actorKeyOf', () => {
  it.each([
    [
      'an IAM user',
      { arn: 'arn:aws:iam::111122223333:user/mallory', type: 'IAMUser' },
      'arn:aws:iam::111122223333:user/mallory',
    ],
    [
      'a role session (the session, not the role)',
      { arn: 'arn:aws:sts::111122223333:assumed-role/Admin/mallory', type: 'AssumedRole' },
      'arn:aws:sts::111122223333:assumed-role/Admin/mallory',
    ],
    ['root', { arn: 'arn:aws:iam::111122223333:root', type: 'Root' }, 'arn:aws:iam::111122223333:root'],
    [
      'a masked failed sign-in (no principal): its source IP',
      { arn: 'unknown', type: 'IAMUser', userName: 'HIDDEN_DUE_TO_SECURITY_REASONS', sourceIp: '198.51.100.7' },
      'ip:198.51.100.7',
    ],
    ['nothing at all', { arn: '', type: 'Unknown' }, 'unknown'],
  ])('%s', (_name, actor, key) => {
    expect(actorKeyOf(sampleFinding({ actor }))).toBe(key);
  });

  it('scopes drills apart from real findings and accounts apart', () => {
    const real = sampleFinding();
    expect(incidentScope(real)).not.toBe(incidentScope(sampleFinding({ drill: true })));
    expect(incidentScope(real)).not.toBe(incidentScope(sampleFinding({ account: '444455556666' })));
    expect(byScope([real, sampleFinding({ drill: true }), sampleFinding({ id: 'x' })]).size).toBe(2);
  });
});

describe('notificationFor', () => {
  it.each<[Severity | null, Severity, string]>([
    [null, 'medium', 'update'],
    [null, 'high', 'page'],
    [null, 'critical', 'page'],
    ['high', 'high', 'update'],
    ['high', 'medium', 'update'],
    ['high', 'critical', 'escalation'],
    ['critical', 'critical', 'update'],
  ])('paged %s, new %s -> %s', (paged, severity, kind) => {
    expect(notificationFor(paged, sampleFinding({ severity }), DEFAULT_INCIDENT_CONFIG)).toBe(kind);
  });

  it('never pages an actively suppressed finding, but an expired suppression pages', () => {
    const suppression = { reason: 'planned migration', expires: '2026-12-31' };
    expect(
      notificationFor(
        null,
        sampleFinding({ suppression: { ...suppression, status: 'active' } }),
        DEFAULT_INCIDENT_CONFIG,
      ),
    ).toBe('update');
    expect(
      notificationFor(
        null,
        sampleFinding({ suppression: { ...suppression, status: 'expired' } }),
        DEFAULT_INCIDENT_CONFIG,
      ),
    ).toBe('page');
  });

  it('follows the configured paging severity: from medium, medium pages and high escalates', () => {
    const config = { correlationMinutes: 60, pageSeverity: 'medium' as const };
    expect(notificationFor(null, sampleFinding({ severity: 'medium' }), config)).toBe('page');
    expect(notificationFor('medium', sampleFinding({ severity: 'high' }), config)).toBe('escalation');
  });
});

describe('correlate', () => {
  it('pages once for an attack, escalates once per level, updates for the rest', () => {
    const { state, kinds, incidentIds } = run([
      [f(0, 'medium'), f(5, 'high'), f(10, 'high')],
      [f(20, 'critical'), f(25, 'critical'), f(30, 'low')],
    ]);
    expect(kinds).toEqual(['update', 'page', 'update', 'escalation', 'update', 'update']);
    expect(new Set(incidentIds).size).toBe(1);
    const [incident] = state.incidents;
    expect(incident).toMatchObject({
      severity: 'critical',
      pagedSeverity: 'critical',
      openedAt: iso(0),
      lastSeen: iso(30),
      revision: 6,
      ruleIds: ['cloudtrail.logging-stopped'],
      controls: ['A.8.15'],
    });
    expect(incident?.pages.map((p) => p.kind)).toEqual(['page', 'escalation']);
    expect(incident?.findingIds).toHaveLength(6);
    expect(incident && incidentKey(incident)).toBe(`incidents/dt=2026-11-02/${incident?.id}.json`);
  });

  it.each([
    [59, 1],
    [60, 1],
    [61, 2],
  ])('window edge: a finding %i minutes after the last one makes %i incident(s)', (gap, incidents) => {
    const { state, kinds } = run([[f(0, 'high')], [f(gap, 'high')]]);
    expect(state.incidents).toHaveLength(incidents);
    expect(kinds).toEqual(incidents === 1 ? ['page', 'update'] : ['page', 'page']);
  });

  it('slides: each finding extends the window, so a slow attack stays one incident', () => {
    const { state } = run([[f(0, 'high')], [f(50, 'high')], [f(100, 'high')], [f(150, 'critical')]]);
    expect(state.incidents).toHaveLength(1);
    expect(state.incidents[0]?.lastSeen).toBe(iso(150));
  });

  it('takes a late finding (earlier event time, within the window) into the incident without renaming it', () => {
    const first = run([[f(30, 'high')]]);
    const id = first.state.incidents[0]?.id;
    const out = correlate(first.state, [f(0, 'critical')], DEFAULT_INCIDENT_CONFIG);
    expect(out.assignments[0]).toMatchObject({ kind: 'escalation', incident: { id, openedAt: iso(30) } });
  });

  it('gives the same order of decisions whatever order a batch arrives in', () => {
    const a = f(0, 'high');
    const b = f(10, 'critical');
    const forward = correlate(EMPTY_SCOPE, [a, b], DEFAULT_INCIDENT_CONFIG);
    const backward = correlate(EMPTY_SCOPE, [b, a], DEFAULT_INCIDENT_CONFIG);
    expect(backward.state).toEqual(forward.state);
    expect(forward.assignments.map((x) => x.kind)).toEqual(['page', 'escalation']);
  });

  it('a redelivered finding changes nothing and gets back the kind it had', () => {
    const page = f(0, 'high');
    const escalation = f(5, 'critical');
    const update = f(6, 'medium');
    const once = correlate(EMPTY_SCOPE, [page, escalation, update], DEFAULT_INCIDENT_CONFIG);
    const again = correlate(once.state, [update, escalation, page], DEFAULT_INCIDENT_CONFIG);
    expect(again.changed).toBe(false);
    expect(again.state).toBe(once.state);
    expect(again.assignments.map((a) => [a.findingId, a.kind])).toEqual([
      [page.id, 'page'],
      [escalation.id, 'escalation'],
      [update.id, 'update'],
    ]);
  });

  it('a batch with one new finding among redelivered ones writes once and only adds that finding', () => {
    const a = f(0, 'high');
    const once = correlate(EMPTY_SCOPE, [a], DEFAULT_INCIDENT_CONFIG);
    const next = correlate(once.state, [a, f(1, 'high')], DEFAULT_INCIDENT_CONFIG);
    expect(next.changed).toBe(true);
    expect(next.state.incidents[0]?.revision).toBe(2);
    expect(next.assignments.map((x) => x.kind)).toEqual(['page', 'update']);
  });

  it('names the incident deterministically from its opening finding', () => {
    const a = run([[f(0, 'high', { id: 'same-a' })]]);
    const b = run([[f(0, 'medium', { id: 'same-b' })]]);
    expect(a.state.incidents[0]?.id).toMatch(/^[0-9a-f]{32}$/);
    expect(a.state.incidents[0]?.id).toBe(b.state.incidents[0]?.id);
    const later = run([[f(1, 'high')]]);
    expect(later.state.incidents[0]?.id).not.toBe(a.state.incidents[0]?.id);
  });

  it('opens a new incident once one is full', () => {
    const many = Array.from({ length: MAX_INCIDENT_FINDINGS + 1 }, () => f(0, 'medium'));
    const { state } = run([many]);
    expect(state.incidents.map((i) => i.findingIds.length)).toEqual([MAX_INCIDENT_FINDINGS, 1]);
    expect(new Set(state.incidents.map((i) => i.id)).size).toBe(2);
  });

  it('forgets incidents no finding can join any more, keeping the item small', () => {
    const { state } = run([[f(0, 'high')], [f(200, 'high')], [f(400, 'high')]]);
    expect(state.incidents.map((i) => i.openedAt)).toEqual([iso(400)]);
  });

  it('honours a shorter window from config', () => {
    const { state } = run([[f(0, 'high')], [f(20, 'high')]], { correlationMinutes: 15, pageSeverity: 'high' });
    expect(state.incidents).toHaveLength(2);
  });
});

describe('incident edges', () => {
  it.each([
    [120, 2],
    [121, 1],
  ])('keeps an incident for the window plus an hour of lateness: %i minutes later, %i kept', (gap, kept) => {
    const { state } = run([[f(0, 'high')], [f(gap, 'high')]]);
    expect(state.incidents).toHaveLength(kept);
  });

  it('keeps at most the eight newest incidents of a scope', () => {
    const config: IncidentConfig = { correlationMinutes: 1, pageSeverity: 'high' };
    const { state } = run(
      Array.from({ length: 11 }, (_, i) => [f(2 * i, 'high')]),
      config,
    );
    expect(state.incidents.map((i) => i.openedAt)).toEqual([6, 8, 10, 12, 14, 16, 18, 20].map(iso));
  });

  it.each([
    [39, 2],
    [40, 1],
  ])(
    'takes a late finding up to a window before the opening: at minute %i of one opened at 100, %i incident(s)',
    (at, incidents) => {
      const { state } = run([[f(100, 'high')], [f(at, 'high')]]);
      expect(state.incidents).toHaveLength(incidents);
    },
  );

  it('a late finding joins without moving lastSeen back; rules are listed once, controls merged, severity the highest', () => {
    const first = f(30, 'medium', { ruleId: 'r1', controls: ['A.8.15'] });
    const { state } = run([
      [first],
      [f(0, 'low', { ruleId: 'r1', controls: ['A.8.16'] })],
      [f(10, 'high', { ruleId: 'r2', controls: ['A.8.15'] })],
    ]);
    expect(state.incidents).toHaveLength(1);
    expect(state.incidents[0]).toMatchObject({
      openedAt: iso(30),
      lastSeen: iso(30),
      ruleIds: ['r1', 'r2'],
      controls: ['A.8.15', 'A.8.16'],
      severity: 'high',
      pagedSeverity: 'high',
      revision: 3,
    });
  });

  it('orders findings by event time, then the more severe, then id', () => {
    const late = f(1, 'critical', { id: 'a' });
    const high = f(0, 'high', { id: 'a' });
    const critical = f(0, 'critical', { id: 'z' });
    const criticalB = f(0, 'critical', { id: 'b' });
    expect([late, high, critical, criticalB].sort(byEventOrder).map((x) => [x.severity, x.id])).toEqual([
      ['critical', 'b'],
      ['critical', 'z'],
      ['high', 'a'],
      ['critical', 'a'],
    ]);
    expect(byEventOrder(critical, critical)).toBe(0);
  });

  it('lets a scope expire a week after its newest incident could take a finding, or after now when later', () => {
    const { state } = run([[f(0, 'high')], [f(30, 'high')]]);
    const lastSeen = T0 + 30 * 60_000;
    const margin = 60 * 60_000 + 60 * 60_000;
    expect(scopeExpiresAt(state, DEFAULT_INCIDENT_CONFIG, T0)).toBe(Math.ceil((lastSeen + margin) / 1000) + 7 * 86_400);
    expect(scopeExpiresAt(state, DEFAULT_INCIDENT_CONFIG, lastSeen + 1)).toBe(
      Math.ceil((lastSeen + 1 + margin) / 1000) + 7 * 86_400,
    );
    expect(scopeExpiresAt(EMPTY_SCOPE, { correlationMinutes: 15, pageSeverity: 'high' }, T0 + 1)).toBe(
      Math.ceil((T0 + 1 + 15 * 60_000 + 60 * 60_000) / 1000) + 7 * 86_400,
    );
  });
});
