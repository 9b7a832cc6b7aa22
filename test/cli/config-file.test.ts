import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectionConfigFrom, loadDetectionConfig, loadSlaConfig, readConfigJson } from '../../cli/config-file.ts';

describe('config file', () => {
  it.each([
    [
      'the project file',
      { retentionDays: 30, alerts: { emails: [] }, detection: { criticality: { default: 'high' } } },
      'high',
    ],
    ['a project file without detection settings', { retentionDays: 30, trails: ['main'] }, 'medium'],
    ['a bare detection config', { criticality: { default: 'low' } }, 'low'],
  ])('reads the detection config from %s', (_name, raw, level) => {
    const parsed = detectionConfigFrom(raw);
    expect(parsed.ok && parsed.config.criticality.default).toBe(level);
  });

  it('reports errors in the detection part by path', () => {
    expect(detectionConfigFrom({ detection: { approved: { automationRoles: ['deployer'] } } })).toEqual({
      ok: false,
      errors: [
        'detection.approved.automationRoles: "deployer" is not an ARN glob (arn:aws:iam::<account>:role/<name>)',
      ],
    });
    expect(detectionConfigFrom([1])).toMatchObject({ ok: false });
  });
});

describe('reading the config file (detection, SLAs, deploy config)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trailwarden-config-'));
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{"sla": ');
  const good = join(dir, 'good.json');
  writeFileSync(good, JSON.stringify({ sla: { critical: { ackMinutes: 5, resolveHours: 4 } } }));

  it('uses the defaults when the default file is absent, but fails when a named file is', () => {
    expect(readConfigJson(join(dir, 'trailwarden.config.json'), true)).toEqual({ kind: 'absent' });
    expect(readConfigJson(join(dir, 'missing.json'), false)).toEqual({ kind: 'failed', errors: ['no such file'] });
    expect(loadSlaConfig(undefined, dir)).toMatchObject({ ok: true, source: 'defaults' });
    expect(loadDetectionConfig(join(dir, 'missing.json'), dir)).toEqual({
      ok: false,
      errors: ['no such file'],
      source: join(dir, 'missing.json'),
    });
  });

  it('names a file that is not JSON, for every reader of it', () => {
    const read = readConfigJson(bad, false);
    expect(read.kind === 'failed' && read.errors[0]).toMatch(/^not valid JSON \(.+\)$/);
    expect(loadSlaConfig(bad, dir)).toMatchObject({ ok: false, source: bad });
    expect(loadDetectionConfig(bad, dir)).toMatchObject({ ok: false, source: bad });
  });

  it('parses what it read', () => {
    expect(readConfigJson(good, true)).toEqual({
      kind: 'read',
      raw: { sla: { critical: { ackMinutes: 5, resolveHours: 4 } } },
    });
    expect(loadDetectionConfig(good, dir)).toMatchObject({ ok: true, source: good });
  });
});
