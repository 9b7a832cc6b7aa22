import { describe, expect, it } from 'vitest';
import type { StoredObject } from '../../../rules/core/digest.ts';
import { evidenceBody, evidenceKey } from '../../../rules/core/evidence.ts';
import type { Finding } from '../../../rules/core/finding.ts';
import type { ResponseEvidence } from '../../../rules/core/response.ts';
import { parseFinding, parseIncident, readResponseEvidence, responseView } from '../../../rules/core/response.ts';
import type { TriageDecision, TriageRequest } from '../../../rules/core/triage.ts';
import { triageBody, triageDecision, triageKey } from '../../../rules/core/triage.ts';
import { sampleFinding } from '../../functions/support.ts';

const hex = (n: number): string => n.toString(16).padStart(32, '0');
const finding = (n: number, overrides: Partial<Finding> = {}): Finding =>
  sampleFinding({ id: hex(n), eventIds: [`e${n}`], ...overrides });
const inIncident = (f: Finding, incidentId: string): Finding => ({ ...f, incidentId }) as Finding;

const decide = (req: Partial<TriageRequest> & Pick<TriageRequest, 'action' | 'at'>): TriageDecision => {
  const r = triageDecision({ by: 'alice', source: 'cli', ...req });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.decision;
};
const stored = (d: TriageDecision): StoredObject => ({
  key: triageKey(d, '2026-11-03T00:00:00Z'),
  bytes: triageBody(d),
});
const findingObject = (f: Finding): StoredObject => ({ key: evidenceKey(f), bytes: evidenceBody(f) });

const INC = 'feedfacefeedfacefeedfacefeedface';
const incidentJson = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  schema: 'trailwarden.incident/v1',
  id: INC,
  actorKey: 'arn:aws:iam::111122223333:user/mallory',
  account: '111122223333',
  drill: false,
  severity: 'critical',
  pagedSeverity: 'critical',
  openedAt: '2026-11-02T10:00:00.000Z',
  lastSeen: '2026-11-02T10:10:00.000Z',
  findingIds: [hex(1), hex(2)],
  ruleIds: ['cloudtrail.logging-stopped'],
  controls: ['A.8.15'],
  pages: [{ findingId: hex(1), kind: 'page', severity: 'critical' }],
  revision: 2,
  ...overrides,
});
const incidentObject = (overrides: Record<string, unknown> = {}, key = `incidents/dt=2026-11-02/${INC}.json`) => ({
  key,
  bytes: JSON.stringify(incidentJson(overrides)),
});

describe('parseFinding', () => {
  it('takes a well-formed finding as it is', () => {
    const f = finding(1);
    expect(parseFinding(JSON.parse(JSON.stringify(f)))).toEqual(f);
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['a string', 'finding'],
    ['a number', 7],
    ['a non-string id', { ...finding(1), id: 1 }],
    ['a non-string rule id', { ...finding(1), ruleId: null }],
    ['a non-string title', { ...finding(1), title: ['t'] }],
    ['a non-string account', { ...finding(1), account: 111122223333 }],
    ['a non-string region', { ...finding(1), region: undefined }],
    ['an unknown severity', { ...finding(1), severity: 'urgent' }],
    ['a firstSeen that is no time', { ...finding(1), firstSeen: 'yesterday' }],
    ['a non-string firstSeen', { ...finding(1), firstSeen: 1_700_000_000_000 }],
    // Date.parse would read the number 2026 as the year 2026: only text is a time.
    ['a firstSeen that is a number Date.parse would take', { ...finding(1), firstSeen: 2026 }],
    ['a lastSeen that is no time', { ...finding(1), lastSeen: 'later' }],
    ['controls that are not a list', { ...finding(1), controls: 'A.8.15' }],
    ['controls holding a non-string', { ...finding(1), controls: ['A.8.15', 8] }],
  ])('refuses %s', (_name, value) => {
    expect(parseFinding(value)).toBeUndefined();
  });
});

describe('parseIncident', () => {
  it('reads the fields the response loop needs, dropping unknown controls and malformed pages', () => {
    expect(
      parseIncident(
        incidentJson({
          controls: ['A.8.15', 'A.99.9', 'A.8.2'],
          pages: [
            { findingId: hex(1), kind: 'page' },
            null,
            { findingId: 7, kind: 'page' },
            { findingId: hex(3) },
            { findingId: hex(2), kind: 'escalation' },
          ],
        }),
      ),
    ).toEqual({
      id: INC,
      severity: 'critical',
      pagedSeverity: 'critical',
      openedAt: '2026-11-02T10:00:00.000Z',
      lastSeen: '2026-11-02T10:10:00.000Z',
      findingIds: [hex(1), hex(2)],
      ruleIds: ['cloudtrail.logging-stopped'],
      controls: ['A.8.15', 'A.8.2'],
      drill: false,
      pages: [
        { findingId: hex(1), kind: 'page' },
        { findingId: hex(2), kind: 'escalation' },
      ],
      revision: 2,
    });
  });

  it('defaults what older incident objects lack: no pages, revision 1; a drill only when exactly true', () => {
    const older = { ...incidentJson({ drill: 'true' }) };
    delete older.pages;
    delete older.revision;
    expect(parseIncident(older)).toMatchObject({ pages: [], revision: 1, drill: false });
    expect(parseIncident(incidentJson({ pages: { findingId: hex(1), kind: 'page' } }))?.pages).toEqual([]);
    expect(parseIncident(incidentJson({ revision: '3' }))?.revision).toBe(1);
    expect(parseIncident(incidentJson({ drill: true }))?.drill).toBe(true);
    expect(parseIncident(incidentJson({ pagedSeverity: null }))?.pagedSeverity).toBeNull();
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['a string', 'incident'],
    ['another schema', incidentJson({ schema: 'trailwarden.finding/v1' })],
    ['a non-string id', incidentJson({ id: 5 })],
    ['an unknown severity', incidentJson({ severity: 'urgent' })],
    ['an unknown paged severity', incidentJson({ pagedSeverity: 'loud' })],
    ['a missing paged severity', incidentJson({ pagedSeverity: undefined })],
    ['an openedAt that is no time', incidentJson({ openedAt: 'soon' })],
    ['a lastSeen that is no time', incidentJson({ lastSeen: 'soon' })],
    ['finding ids that are not strings', incidentJson({ findingIds: [1] })],
    ['rule ids that are not a list', incidentJson({ ruleIds: 'cloudtrail.logging-stopped' })],
    ['controls that are not strings', incidentJson({ controls: [{}] })],
  ])('refuses %s', (_name, value) => {
    expect(parseIncident(value)).toBeUndefined();
  });
});

describe('readResponseEvidence', () => {
  it('lists what an evidence prefix holds but cannot be read as such, and ignores other objects', () => {
    const read = readResponseEvidence([
      { key: 'triage/dt=2026-11-03/b.json', bytes: '{"schema":"trailwarden.triage/v1"}' },
      { key: 'incidents/dt=2026-11-02/x.json', bytes: '{"schema":"trailwarden.incident/v1"}' },
      { key: 'findings/dt=2026-11-02/a.json', bytes: 'not json' },
      { key: 'findings/dt=2026-11-02/a.txt', bytes: 'not json either' },
      { key: 'digests/2026/11/02/10.json', bytes: 'not a finding' },
      { key: 'reviews/2026-Q4.json', bytes: '[]' },
      { key: 'notes.json', bytes: 'x' },
    ]);
    expect(read).toEqual({
      findings: [],
      incidents: [],
      decisions: [],
      unreadable: ['findings/dt=2026-11-02/a.json', 'incidents/dt=2026-11-02/x.json', 'triage/dt=2026-11-03/b.json'],
    });
  });

  it('reads objects given as bytes', () => {
    const f = finding(1);
    const read = readResponseEvidence([{ key: evidenceKey(f), bytes: new TextEncoder().encode(evidenceBody(f)) }]);
    expect(read.findings).toEqual([f]);
  });

  it.each([
    ['more events win', { count: 3 }, { count: 2, lastSeen: '2026-11-02T11:00:00.000Z' }, 3],
    ['same count: the later lastSeen wins', { count: 2, lastSeen: '2026-11-02T11:00:00.000Z' }, { count: 2 }, 2],
  ])('keeps the latest state of a folded finding in any order: %s', (_name, newer, older, count) => {
    const a = finding(1, { ...newer, firstSeen: '2026-11-02T10:00:00.000Z' });
    const b = finding(1, { ...older, firstSeen: '2026-11-02T10:00:00.000Z' });
    for (const order of [
      [a, b],
      [b, a],
    ]) {
      const read = readResponseEvidence(
        order.map((f, i) => ({ key: `findings/dt=2026-11-02/${i}.json`, bytes: evidenceBody(f) })),
      );
      expect(read.findings).toEqual([a]);
      expect(read.findings[0]?.count).toBe(count);
    }
  });

  it('keeps the highest revision of an incident in any order', () => {
    const r2 = incidentObject({ revision: 2, severity: 'high' }, 'incidents/a.json');
    const r3 = incidentObject({ revision: 3, severity: 'critical' }, 'incidents/b.json');
    for (const order of [
      [r2, r3],
      [r3, r2],
    ]) {
      expect(readResponseEvidence(order).incidents.map((i) => [i.revision, i.severity])).toEqual([[3, 'critical']]);
    }
  });

  it('counts a decision stored twice once, and orders everything by time then id', () => {
    const ack = decide({ action: 'ack', target: INC, at: '2026-11-02T10:20:00Z' });
    const early = decide({ action: 'ack', target: hex(9), at: '2026-11-02T10:05:00Z' });
    const late = finding(3, { firstSeen: '2026-11-02T12:00:00.000Z' });
    const tieA = finding(2, { firstSeen: '2026-11-02T09:00:00.000Z' });
    const tieB = finding(1, { firstSeen: '2026-11-02T09:00:00.000Z' });
    const read = readResponseEvidence([
      stored(ack),
      { key: `triage/dt=2026-11-04/${ack.id}.json`, bytes: triageBody(ack) },
      stored(early),
      ...[late, tieA, tieB].map(findingObject),
      incidentObject({ id: 'bbbbbbbbbbbbbbbb', openedAt: '2026-11-02T09:00:00.000Z' }, 'incidents/b.json'),
      incidentObject({ id: 'aaaaaaaaaaaaaaaa', openedAt: '2026-11-02T09:00:00.000Z' }, 'incidents/a.json'),
      incidentObject({ id: 'cccccccccccccccc', openedAt: '2026-11-02T08:00:00.000Z' }, 'incidents/c.json'),
    ]);
    expect(read.decisions.map((d) => d.id)).toEqual([early.id, ack.id]);
    expect(read.findings.map((f) => f.id)).toEqual([hex(1), hex(2), hex(3)]);
    expect(read.incidents.map((i) => i.id)).toEqual(['cccccccccccccccc', 'aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb']);
  });

  it('orders decisions at the same moment by id', () => {
    const a = decide({ action: 'ack', target: hex(1), at: '2026-11-02T10:00:00Z' });
    const b = decide({ action: 'ack', target: hex(2), at: '2026-11-02T10:00:00Z' });
    const ids = [a.id, b.id].sort();
    expect(readResponseEvidence([stored(b), stored(a)]).decisions.map((d) => d.id)).toEqual(ids);
    expect(readResponseEvidence([stored(a), stored(b)]).decisions.map((d) => d.id)).toEqual(ids);
  });
});

describe('responseView', () => {
  const evidence = (e: Partial<ResponseEvidence>): ResponseEvidence => ({
    findings: [],
    incidents: [],
    decisions: [],
    unreadable: [],
    ...e,
  });
  const incident = (overrides: Record<string, unknown> = {}) => {
    const i = parseIncident(incidentJson(overrides));
    if (i === undefined) throw new Error('incident');
    return i;
  };

  it.each<[string, Partial<Finding>, boolean]>([
    ['a critical finding pages', {}, true],
    ['a high one pages', { severity: 'high' }, true],
    ['a medium one does not', { severity: 'medium' }, false],
    ['a drill does not', { drill: true }, false],
    [
      'an actively suppressed one does not',
      { suppression: { status: 'active', reason: 'r', expires: '2026-12-01' } },
      false,
    ],
    [
      'one whose suppression expired does',
      { suppression: { status: 'expired', reason: 'r', expires: '2026-10-01' } },
      true,
    ],
  ])('a finding outside any incident is its own case: %s', (_n, o, paged) => {
    const f = finding(1, o);
    const view = responseView(evidence({ findings: [f] }));
    expect(view.cases).toEqual([
      {
        id: f.id,
        kind: 'finding',
        severity: f.severity,
        openedAt: f.firstSeen,
        paged,
        drill: f.drill,
        findings: [f],
        pageFindingIds: paged ? [f.id] : [],
        state: { status: 'new', ignored: [] },
      },
    ]);
    expect(view.caseOf.get(f.id)).toBe(f.id);
  });

  it('puts a finding in its incident when the incident is known, else in a case of its own', () => {
    const member = inIncident(finding(1), INC);
    const lost = inIncident(finding(2), 'deadbeefdeadbeefdeadbeefdeadbeef');
    const odd = { ...finding(3), incidentId: 42 } as unknown as Finding;
    const view = responseView(evidence({ findings: [member, lost, odd], incidents: [incident()] }));
    expect(view.cases.map((c) => [c.kind, c.id, c.findings.map((f) => f.id)])).toEqual([
      ['finding', hex(2), [hex(2)]],
      ['finding', hex(3), [hex(3)]],
      ['incident', INC, [hex(1)]],
    ]);
    expect([...view.caseOf]).toEqual([
      [hex(2), hex(2)],
      [hex(3), hex(3)],
      [hex(1), INC],
    ]);
  });

  it('builds an incident case with its pages, state and paging', () => {
    const members = [inIncident(finding(1), INC), inIncident(finding(2), INC)];
    const ack = decide({ action: 'ack', target: INC, at: '2026-11-02T10:20:00Z' });
    const view = responseView(
      evidence({
        findings: members,
        incidents: [incident({ severity: 'high', pages: [{ findingId: hex(2), kind: 'page' }] })],
        decisions: [ack],
      }),
    );
    expect(view.cases).toEqual([
      {
        id: INC,
        kind: 'incident',
        severity: 'high',
        openedAt: '2026-11-02T10:00:00.000Z',
        paged: true,
        drill: false,
        findings: members,
        pageFindingIds: [hex(2)],
        state: { status: 'acknowledged', acknowledgedAt: ack.at, acknowledgedBy: 'alice', ignored: [] },
      },
    ]);
  });

  it.each<[string, Record<string, unknown>, boolean]>([
    ['paged', {}, true],
    ['never paged', { pagedSeverity: null }, false],
    ['a drill', { drill: true }, false],
  ])('an incident %s', (_name, overrides, paged) => {
    expect(responseView(evidence({ incidents: [incident(overrides)] })).cases[0]?.paged).toBe(paged);
  });

  it('gives an incident with no findings read and no decisions an empty, new case', () => {
    expect(responseView(evidence({ incidents: [incident()] })).cases[0]).toMatchObject({
      findings: [],
      state: { status: 'new', ignored: [] },
    });
  });

  it('takes the first finding at paging severity as the page of an older incident that lists none', () => {
    const members = [
      inIncident(finding(1, { severity: 'medium' }), INC),
      inIncident(finding(2, { severity: 'high' }), INC),
      inIncident(finding(3, { severity: 'critical' }), INC),
    ];
    const pages = (overrides: Record<string, unknown>) =>
      responseView(evidence({ findings: members, incidents: [incident({ pages: [], ...overrides })] })).cases[0]
        ?.pageFindingIds;
    expect(pages({})).toEqual([hex(2)]);
    expect(pages({ pagedSeverity: null })).toEqual([]);
  });

  it("gives each finding its own decisions' state, else its incident's", () => {
    const members = [inIncident(finding(1), INC), inIncident(finding(2), INC)];
    const ack = decide({ action: 'ack', target: INC, at: '2026-11-02T10:20:00Z' });
    const fp = decide({ action: 'resolve', target: hex(2), verdict: 'false-positive', at: '2026-11-02T10:30:00Z' });
    const view = responseView(evidence({ findings: members, incidents: [incident()], decisions: [ack, fp] }));
    expect(view.findingState.get(hex(1))).toMatchObject({ status: 'acknowledged' });
    expect(view.findingState.get(hex(2))).toMatchObject({ status: 'resolved', verdict: 'false-positive' });
  });

  it('orders cases by when they opened, then by id', () => {
    const view = responseView(
      evidence({
        findings: [
          finding(3, { firstSeen: '2026-11-02T08:00:00.000Z' }),
          finding(2, { firstSeen: '2026-11-02T11:00:00.000Z' }),
          finding(1, { firstSeen: '2026-11-02T11:00:00.000Z' }),
        ],
        incidents: [incident({ openedAt: '2026-11-02T09:00:00.000Z' })],
      }),
    );
    expect(view.cases.map((c) => c.id)).toEqual([hex(3), INC, hex(1), hex(2)]);
  });

  it('keeps missed detections apart and names decisions about nothing known', () => {
    const missed = decide({
      action: 'missed',
      ruleId: 'iam.access-key-created',
      note: 'paste',
      at: '2026-11-04T09:00:00Z',
    });
    const onFinding = decide({ action: 'ack', target: hex(1), at: '2026-11-02T10:20:00Z' });
    const onIncident = decide({ action: 'ack', target: INC, at: '2026-11-02T10:20:00Z' });
    const orphan = decide({ action: 'ack', target: hex(99), at: '2026-11-02T10:20:00Z' });
    const view = responseView(
      evidence({ findings: [finding(1)], incidents: [incident()], decisions: [missed, onFinding, onIncident, orphan] }),
    );
    expect(view.missed).toEqual([missed]);
    expect(view.orphans).toEqual([orphan]);
    // A missed detection is about nothing detected: it never changes a case's state.
    expect(view.cases.map((c) => c.state.status)).toEqual(['acknowledged', 'acknowledged']);
  });
});
