import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderFindings } from '../../../cli/format/index.ts';
import { renderSummary } from '../../../cli/format/summary.ts';
import { bodyFor, subjectFor } from '../../../functions/shared/adapters/sns-notifier.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../../rules/core/config.ts';
import { createDetector } from '../../../rules/core/detector.ts';
import { toAuditEvent } from '../../../rules/core/events.ts';
import type { Finding } from '../../../rules/core/finding.ts';
import { createMemoryCounterStore, createMemoryLedger } from '../../../rules/core/memory.ts';
import type { AuditEvent } from '../../../rules/core/types.ts';
import { withDocs } from '../../../rules/docs.ts';
import { fixture, fixtureNames } from '../../../rules/fixtures/index.ts';
import { catalogue } from '../../../rules/index.ts';

/**
 * issue #16 item 8: every field, at every depth, of every fixture and every rule case, set to a value of each
 * wrong JSON type, through the boundary, the detector (in-memory ports), every CLI format and the SNS message:
 * nothing throws; a record the boundary cannot accept is an error result, never an exception.
 */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const CONFIG_TYPES: Readonly<Record<string, string>> = {
  'config-item': 'Config Configuration Item Change',
  'config-compliance': 'Config Rules Compliance Change',
};

/** A Config `detail` travels in an EventBridge envelope; a CloudTrail record goes bare. */
const asInput = (name: string, value: Json): Json => {
  const detailType = CONFIG_TYPES[name.split('/')[0] ?? ''];
  if (detailType === undefined) return value;
  return {
    version: '0',
    id: `cfg-${name}`,
    'detail-type': detailType,
    source: 'aws.config',
    account: '111122223333',
    time: '2026-11-02T10:00:00Z',
    region: 'eu-west-1',
    resources: [],
    detail: value,
  };
};

/** Every path into a JSON value, the root excluded: `['userIdentity']`, `['userIdentity', 'arn']`, `['resources', 0]`, … */
const pathsOf = (value: Json, prefix: (string | number)[] = []): (string | number)[][] => {
  if (Array.isArray(value)) return value.flatMap((v, i) => [[...prefix, i], ...pathsOf(v, [...prefix, i])]);
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => [[...prefix, k], ...pathsOf(v, [...prefix, k])]);
  return [];
};

const setAt = (value: Json, path: readonly (string | number)[], to: Json): Json => {
  const [head, ...rest] = path;
  if (head === undefined) return to;
  if (Array.isArray(value)) return value.map((v, i) => (i === head ? setAt(v, rest, to) : v));
  if (value !== null && typeof value === 'object')
    return { ...value, [head]: setAt(value[String(head)] ?? null, rest, to) };
  return value;
};

const jsonType = (v: Json): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Values of every JSON type; a mutation uses one whose type differs from the field's. */
const wrongValue = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 8 }),
  fc.constantFrom('', 'Root', 'HIDDEN_DUE_TO_SECURITY_REASONS', '\u001b[2J', '2026-11-02T10:00:00Z'),
  fc.boolean(),
  fc.constant(null),
  fc.constant([]),
  fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 4 }), fc.constant(null)), { maxLength: 3 }),
  fc.constant({}),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(fc.integer(), fc.string({ maxLength: 4 })), { maxKeys: 2 }),
) as fc.Arbitrary<Json>;

describe('type confusion: every field of every fixture and case, every wrong JSON type', async () => {
  const bases: { name: string; value: Json; paths: (string | number)[][] }[] = [];
  for (const name of fixtureNames()) {
    const value = asInput(name, fixture(name) as Json);
    bases.push({ name, value, paths: pathsOf(value) });
  }
  for (const [rule, docs] of await withDocs(catalogue.rules)) {
    docs.cases().forEach((c, i) => {
      const name = rule.on.source.startsWith('config.')
        ? rule.on.source === 'config.item-change'
          ? 'config-item'
          : 'config-compliance'
        : 'case';
      const value = asInput(`${name}/${rule.id}#${i}`, c.event as Json);
      bases.push({ name: `${rule.id}#${i}`, value, paths: pathsOf(value) });
    });
  }

  /** One mutation: a base, one of its paths, a value of any JSON type there (nearly always another type). */
  const mutation = fc
    .nat({ max: bases.length - 1 })
    .chain((b) => {
      const base = bases[b] ?? { name: '', value: null, paths: [] };
      return fc.tuple(fc.constant(base), fc.nat({ max: Math.max(0, base.paths.length - 1) }), wrongValue);
    })
    .map(([base, p, to]) => {
      const path = base.paths[p] ?? [];
      const mutated = setAt(base.value, path, to);
      return { name: base.name, path, mutated };
    });

  it('has bases to mutate: every fixture and every case', () => {
    expect(bases.length).toBeGreaterThan(fixtureNames().length);
    expect(bases.every((b) => b.paths.length > 0)).toBe(true);
  });

  it('never throws: boundary → detector → table, jsonl, ocsf, summary and the SNS message', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 25 }), async (mutations) => {
        const events: AuditEvent[] = [];
        for (const m of mutations) {
          const parsed = toAuditEvent(m.mutated);
          if (parsed.ok) events.push(parsed.event);
          else expect(typeof parsed.error).toBe('string');
        }
        const findings: Finding[] = [];
        const detector = createDetector({
          catalogue,
          config: DEFAULT_DETECTION_CONFIG,
          counters: createMemoryCounterStore(),
          ledger: createMemoryLedger(),
          sink: { deliver: async (f) => void findings.push(f), fold: async (f) => void findings.push(f) },
        });
        const outcome = await detector.process(events);
        expect(outcome.failures).toEqual([]);
        for (const format of ['table', 'jsonl', 'ocsf'] as const) {
          for (const line of renderFindings(format, findings, { colour: true, productVersion: '0.0.0' }))
            expect(typeof line).toBe('string');
        }
        expect(renderSummary(findings, true).length).toBeGreaterThan(0);
        for (const f of findings) {
          expect(subjectFor(f).length).toBeLessThanOrEqual(100);
          expect(bodyFor(f, 'findings/key.json')).toContain(f.id);
        }
      }),
      { numRuns: 250 },
    );
  });

  it('mutates toward every JSON type (the generator is not lopsided)', () => {
    const seen = new Set(fc.sample(wrongValue, 500).map(jsonType));
    expect([...seen].sort()).toEqual(['array', 'boolean', 'null', 'number', 'object', 'string']);
  });
});
