import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { OCSF_VERSION, toOcsf } from '../../cli/format/ocsf.ts';
import { main } from '../../cli/main.ts';
import { LOGS_DIR } from '../../examples/generate.ts';
import { caseEvent } from '../../rules/core/cases.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../rules/core/config.ts';
import { createDetector } from '../../rules/core/detector.ts';
import { buildCatalogue } from '../../rules/core/engine.ts';
import type { Finding } from '../../rules/core/finding.ts';
import type { History } from '../../rules/core/history.ts';
import { EMPTY_HISTORY, recordSightings } from '../../rules/core/history.ts';
import { createMemoryCounterStore, createMemoryLedger } from '../../rules/core/memory.ts';
import { TECHNIQUES } from '../../rules/core/mitre.ts';
import type { HistoryStore } from '../../rules/core/ports.ts';
import type { AuditEvent, Rule, RuleCase } from '../../rules/core/types.ts';
import { ruleTextFrom, ruleTextTable, withDocs } from '../../rules/docs.ts';
import { RULES } from '../../rules/index.ts';
import { ioFor, jsonLinesOf } from './helpers.ts';

const ROOT = join(import.meta.dirname, '..', '..');
// ../shared next to the checkout, as in every worktree and in CI.
const SCHEMA_PATH = join(ROOT, '..', 'shared', 'ocsf', `detection_finding-${OCSF_VERSION}.schema.json`);
const validate = new Ajv({ allErrors: true }).compile(JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')));
const errorsOf = (value: unknown): string => (validate(value) ? '' : JSON.stringify(validate.errors, null, 1));

const DOCUMENTED = await withDocs(RULES);
const ruleText = ruleTextFrom(ruleTextTable(DOCUMENTED));

/** A history store that starts every key from the case's remembered history (what the Lambda's table would hold). */
const seededHistory = (seed: History): HistoryStore => {
  const histories = new Map<string, History>();
  return {
    record: async (requests) =>
      requests.map(({ key, spec, sightings }) => {
        const history = recordSightings(histories.get(key) ?? seed, sightings, spec);
        histories.set(key, history);
        return { key, ok: true as const, history };
      }),
  };
};

const parsed = (rule: Rule, c: RuleCase, event: unknown, n: number): AuditEvent => {
  const p = caseEvent(rule, { ...c, event });
  if (!p.ok) throw new Error(`${rule.id} ${c.name}: ${p.error}`);
  // Repeats of a thresholded case need distinct ids to count.
  return n === 0 ? p.event : { ...p.event, id: `${p.event.id}-${n}` };
};

/**
 * The findings the real detector produces for one positive case: its `before` events first (behaviour
 * rules), then the event, repeated up to the rule's threshold so a counted rule fires too.
 */
const detect = async (rule: Rule, c: RuleCase): Promise<Finding[]> => {
  const delivered: Finding[] = [];
  const config = { ...DEFAULT_DETECTION_CONFIG, ...c.config };
  const detector = createDetector({
    catalogue: buildCatalogue([rule]),
    config:
      c.criticality === undefined
        ? config
        : { ...config, criticality: { ...config.criticality, default: c.criticality } },
    counters: createMemoryCounterStore(),
    ledger: createMemoryLedger(),
    sink: { deliver: async (f) => void delivered.push(f), fold: async () => {} },
    ruleText,
    history: seededHistory(c.history ?? EMPTY_HISTORY),
  });
  for (const [i, before] of (c.before ?? []).entries()) await detector.process([parsed(rule, c, before, i + 1000)]);
  const repeats = Math.max(
    1,
    ...Object.values(rule.threshold?.byCriticality ?? {}).map((w) => w.count),
    rule.threshold?.count ?? 1,
  );
  await detector.process(Array.from({ length: repeats }, (_, n) => parsed(rule, c, c.event, n)));
  return delivered;
};

/**
 * A rule counting distinct values (addresses, user names) cannot be fired by repeating one case: then the same
 * case runs through the detector with the rule's threshold lifted, which renders the finding a single match gives.
 */
const findingsOf = async (rule: Rule, c: RuleCase): Promise<Finding[]> => {
  const found = await detect(rule, c);
  return found.length > 0 || rule.threshold === null ? found : detect({ ...rule, threshold: null }, c);
};

const positives = DOCUMENTED.flatMap(([rule, docs]) =>
  docs
    .cases()
    .filter((c) => c.expect === 'match')
    .map((c) => [`${rule.id}: ${c.name}`, rule, c] as const),
);

describe(`OCSF ${OCSF_VERSION} Detection Finding, validated against the compiled schema`, () => {
  it.each(positives)('%s', async (_name, rule, c) => {
    const findings = await findingsOf(rule, c);
    expect(findings.length, 'the positive case produces a finding through the detector').toBeGreaterThan(0);
    for (const f of findings) expect(errorsOf(toOcsf(f, '1.2.3'))).toBe('');
  });

  it('covers every rule', () => {
    expect(new Set(positives.map(([, rule]) => rule.id)).size).toBe(RULES.length);
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
