import { describe, expect, it } from 'vitest';
import {
  EVIDENCE_PREFIXES,
  evidenceBody,
  evidenceKey,
  findingRevisionKey,
  isEvidenceKey,
  parseRevision,
  revisionKey,
  sha256,
} from '../../../rules/core/evidence.ts';
import { sampleFinding } from '../../functions/support.ts';

describe('evidence keys and bytes', () => {
  it('keys a finding by the day it was first seen, its severity and id', () => {
    const finding = sampleFinding({ id: 'f1', severity: 'critical', firstSeen: '2026-11-02T23:59:59Z' });
    expect(evidenceKey(finding)).toBe('findings/dt=2026-11-02/critical/f1.json');
  });

  it('archives the finding as two-space JSON with a trailing newline', () => {
    const finding = sampleFinding({ id: 'f1' });
    const body = evidenceBody(finding);
    expect(body).toBe(`${JSON.stringify(finding, null, 2)}\n`);
    expect(JSON.parse(body)).toEqual(finding);
  });

  it('hashes strings and bytes alike, as hex and base64 of the same SHA-256', () => {
    const expected = {
      hex: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      base64: 'ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=',
    };
    expect(sha256('abc')).toEqual(expected);
    expect(sha256(Buffer.from('abc'))).toEqual(expected);
  });
});

describe('evidence prefixes', () => {
  it.each(EVIDENCE_PREFIXES)('%s is evidence', (prefix) => {
    expect(isEvidenceKey(`${prefix}dt=2026-11-02/x.json`)).toBe(true);
  });

  it.each(['digests/dt=2026-11-02/x.json', 'keys/ab.pem', 'other/findings/x.json', 'findings'])(
    '%s is not evidence',
    (key) => {
      expect(isEvidenceKey(key)).toBe(false);
    },
  );
});

describe('revisions', () => {
  it('keeps the base key for revision 1 (and below), and suffixes the rest before .json', () => {
    expect(revisionKey('findings/a.json', 1)).toBe('findings/a.json');
    expect(revisionKey('findings/a.json', 0)).toBe('findings/a.json');
    expect(revisionKey('findings/a.json', 2)).toBe('findings/a.r2.json');
    expect(revisionKey('findings/a.json.json', 12)).toBe('findings/a.json.r12.json');
  });

  it('parses a revision key back to its base and revision', () => {
    expect(parseRevision('findings/a.json')).toEqual({ base: 'findings/a.json', revision: 1 });
    expect(parseRevision('findings/a.r2.json')).toEqual({ base: 'findings/a.json', revision: 2 });
    expect(parseRevision('findings/a.r12.json')).toEqual({ base: 'findings/a.json', revision: 12 });
    for (const n of [2, 3, 10, 99]) {
      expect(parseRevision(revisionKey('incidents/i.json', n))).toEqual({ base: 'incidents/i.json', revision: n });
    }
  });

  it('parses back a key with a newline in it (S3 allows one) to its own base, not the text after the newline', () => {
    const base = 'findings/dt=2026-11-02/high/a\nb.json';
    expect(parseRevision(revisionKey(base, 3))).toEqual({ base, revision: 3 });
  });

  it('takes a suffix that revisionKey never writes (r0, r1, not digits, not at the end) as part of the base key', () => {
    for (const key of ['findings/a.r1.json', 'findings/a.r0.json', 'findings/a.rx.json', 'findings/a.r2.json.bak']) {
      expect(parseRevision(key)).toEqual({ base: key, revision: 1 });
    }
    expect(parseRevision('findings/a.r2.jsonx')).toEqual({ base: 'findings/a.r2.jsonx', revision: 1 });
    expect(parseRevision('xfindings/a.r2.json')).toEqual({ base: 'xfindings/a.json', revision: 2 });
  });

  it('keys each state of a finding by its count', () => {
    const finding = sampleFinding({ id: 'f1', severity: 'high', firstSeen: '2026-11-02T10:00:00Z' });
    expect(findingRevisionKey({ ...finding, count: 1 })).toBe('findings/dt=2026-11-02/high/f1.json');
    expect(findingRevisionKey({ ...finding, count: 3 })).toBe('findings/dt=2026-11-02/high/f1.r3.json');
  });
});
