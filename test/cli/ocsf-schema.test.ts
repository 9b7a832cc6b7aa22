import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { OCSF_VERSION, toOcsf } from '../../cli/format/ocsf.ts';
import { main } from '../../cli/main.ts';
import { LOGS_DIR } from '../../examples/generate.ts';
import { TECHNIQUES } from '../../rules/core/mitre.ts';
import { RULES } from '../../rules/index.ts';
import { findingsOf, POSITIVE_CASES } from '../support/positive-findings.ts';
import { ioFor, jsonLinesOf } from './helpers.ts';

const ROOT = join(import.meta.dirname, '..', '..');
// ../shared next to the checkout, as in every worktree and in CI.
const SCHEMA_PATH = join(ROOT, '..', 'shared', 'ocsf', `detection_finding-${OCSF_VERSION}.schema.json`);
const validate = new Ajv({ allErrors: true }).compile(JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')));
const errorsOf = (value: unknown): string => (validate(value) ? '' : JSON.stringify(validate.errors, null, 1));

describe(`OCSF ${OCSF_VERSION} Detection Finding, validated against the compiled schema`, () => {
  it.each(POSITIVE_CASES)('%s', async (_name, rule, c) => {
    const findings = await findingsOf(rule, c);
    expect(findings.length, 'the positive case produces a finding through the detector').toBeGreaterThan(0);
    for (const f of findings) expect(errorsOf(toOcsf(f, '1.2.3'))).toBe('');
  });

  it('covers every rule', () => {
    expect(new Set(POSITIVE_CASES.map(([, rule]) => rule.id)).size).toBe(RULES.length);
  });

  it('names every MITRE technique the catalogue uses, with its tactics', () => {
    for (const rule of RULES) for (const t of rule.mitre) expect(TECHNIQUES[t], `${rule.id} ${t}`).toBeDefined();
  });

  it('validates every finding of the examples, scanned with the real scan path', async () => {
    const { io, stdout } = ioFor({ cwd: ROOT });
    const code = await main(
      ['scan', LOGS_DIR, '--format', 'ocsf', '--config', join(ROOT, 'examples', 'trailwarden.config.json')],
      io,
    );
    expect(code).toBe(0);
    const lines = jsonLinesOf(stdout());
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) expect(errorsOf(line)).toBe('');
    // Service callers reach the examples too: they must land in svc_name, never ip.
    const endpoints = lines.flatMap((l) =>
      ((l.evidences ?? []) as { src_endpoint?: Record<string, string> }[]).flatMap((e) =>
        e.src_endpoint === undefined ? [] : [e.src_endpoint],
      ),
    );
    expect(endpoints.some((e) => 'ip' in e)).toBe(true);
  });
});

describe('the validator is strict', () => {
  const base = toOcsf({
    schema: 'trailwarden.finding/v1',
    id: 'f'.repeat(32),
    ruleId: 'cloudtrail.logging-stopped',
    title: 'CloudTrail logging stopped or trail deleted',
    description: 'A trail stopped logging.',
    severity: 'critical',
    criticality: 'medium',
    controls: ['A.8.15'],
    mitre: ['T1562.008'],
    account: '111122223333',
    region: 'eu-west-1',
    actor: { arn: 'arn:aws:sts::111122223333:assumed-role/ops/mallory', type: 'AssumedRole', sourceIp: '2001:db8::1' },
    resources: ['arn:aws:cloudtrail:eu-west-1:111122223333:trail/main'],
    eventIds: ['ev-1'],
    eventName: 'StopLogging',
    groupKey: 'main',
    firstSeen: '2024-05-01T12:00:00.000Z',
    lastSeen: '2024-05-01T12:00:00.000Z',
    count: 1,
    threshold: null,
    runbook: ['Restart logging.'],
    drill: false,
  });

  it('accepts the rendering as it is', () => {
    expect(errorsOf(base)).toBe('');
  });

  it.each([
    [
      'a service name as an address',
      { ...base, evidences: [{ ...base.evidences[0], src_endpoint: { ip: 'AWS Internal' } }] },
    ],
    ['an unknown top-level attribute', { ...base, trailwarden: true }],
    ['an unknown nested attribute', { ...base, cloud: { ...base.cloud, shard: 'a' } }],
    ['actor without the host profile', { ...base, actor: { user: { uid: 'x' } } }],
    ['a wrong OCSF version pairing of type and activity', { ...base, type_uid: 200402 }],
  ])('rejects %s', (_name, value) => {
    expect(errorsOf(value)).not.toBe('');
  });
});
