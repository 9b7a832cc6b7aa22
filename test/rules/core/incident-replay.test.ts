import { describe, expect, it } from 'vitest';
import {
  correlate,
  DEFAULT_INCIDENT_CONFIG,
  EMPTY_SCOPE,
  incidentBody,
  incidentId,
  incidentKey,
  incidentScope,
} from '../../../rules/core/incident.ts';
import { sampleFinding } from '../../functions/support.ts';

const replay = { id: 'replay-7', day: '2026-12-07' };
const T0 = Date.parse('2026-11-02T10:00:00.000Z');

describe('incidents of a replay', () => {
  const finding = sampleFinding({ replay });

  it('live, drill and replay findings of one actor never share a scope', () => {
    const scopes = [
      incidentScope(sampleFinding()),
      incidentScope(sampleFinding({ drill: true })),
      incidentScope(finding),
      incidentScope(sampleFinding({ replay: { ...replay, id: 'replay-8' } })),
    ];
    expect(new Set(scopes).size).toBe(4);
    expect(incidentScope(finding).startsWith('replay|replay-7|')).toBe(true);
    expect(incidentScope(sampleFinding()).startsWith('live|')).toBe(true);
  });

  it('opens an incident marked with its replay, archived in the replay partition of the day the replay ran', () => {
    const [incident] = correlate(EMPTY_SCOPE, [finding], DEFAULT_INCIDENT_CONFIG).state.incidents;
    expect(incident?.replay).toEqual(replay);
    expect(incident && incidentKey(incident)).toBe(`incidents/dt=2026-12-07/replay=replay-7/${incident?.id}.json`);
    const [live] = correlate(EMPTY_SCOPE, [sampleFinding()], DEFAULT_INCIDENT_CONFIG).state.incidents;
    expect(live).not.toHaveProperty('replay');
    expect(live?.id).not.toBe(incident?.id);
  });

  it('names an incident by replay, drill flag, account, actor, opening time and tiebreak', () => {
    const actor = 'arn:aws:iam::111122223333:user/mallory';
    const base = incidentId(false, '111122223333', actor, T0);
    expect(base).toMatch(/^[0-9a-f]{32}$/);
    expect(incidentId({ drill: false }, '111122223333', actor, T0)).toBe(base);
    expect(incidentId({ drill: true }, '111122223333', actor, T0)).toBe(incidentId(true, '111122223333', actor, T0));
    const variants = [
      incidentId(true, '111122223333', actor, T0),
      incidentId({ drill: false, replay }, '111122223333', actor, T0),
      incidentId(false, '444455556666', actor, T0),
      incidentId(false, '111122223333', 'ip:203.0.113.66', T0),
      incidentId(false, '111122223333', actor, T0 + 1),
      incidentId(false, '111122223333', actor, T0, 'f1'),
    ];
    expect(new Set([base, ...variants]).size).toBe(variants.length + 1);
  });

  it('archives an incident as indented JSON with a final newline', () => {
    const [incident] = correlate(EMPTY_SCOPE, [finding], DEFAULT_INCIDENT_CONFIG).state.incidents;
    if (incident === undefined) throw new Error('no incident');
    const body = incidentBody(incident);
    expect(body.endsWith('}\n')).toBe(true);
    expect(body).toContain('\n  "schema": "trailwarden.incident/v1",\n');
    expect(JSON.parse(body)).toEqual(incident);
  });
});
