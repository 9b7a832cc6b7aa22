import { describe, expect, it } from 'vitest';
import { loadCatalogue } from '../../functions/evaluate/evaluate.ts';
import { caseEvent } from '../../rules/core/cases.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../rules/core/config.ts';
import { createDetector } from '../../rules/core/detector.ts';
import type { Catalogue } from '../../rules/core/engine.ts';
import { buildCatalogue } from '../../rules/core/engine.ts';
import { fromRecord } from '../../rules/core/events.ts';
import { lazyCatalogue } from '../../rules/core/lazy-catalogue.ts';
import { createMemoryCounterStore, createMemoryLedger } from '../../rules/core/memory.ts';
import type { AuditEvent, Rule } from '../../rules/core/types.ts';
import { withDocs } from '../../rules/docs.ts';
import { fixture } from '../../rules/fixtures/index.ts';
import { RULES } from '../../rules/index.ts';
import { SELECTORS } from '../../rules/selectors.ts';

const eventOf = (value: unknown): AuditEvent => {
  const parsed = fromRecord(value);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.event;
};

/** Every case event of every rule: positives, negatives and look-alikes of all services. */
const CASE_EVENTS: readonly AuditEvent[] = (await withDocs(RULES)).flatMap(([rule, docs]) =>
  docs.cases().flatMap((c) => {
    const parsed = caseEvent(rule, c);
    return parsed.ok ? [parsed.event] : [];
  }),
);

const stopLogging = eventOf(fixture('cloudtrail/StopLogging'));
const createUser = eventOf(fixture('iam/CreateUser'));
/** A read no rule listens to. */
const unselected = eventOf(
  fixture('cloudtrail/StopLogging', { eventSource: 'example.amazonaws.com', eventName: 'Noop' }),
);

/** A loader the test can count and break. */
const watched = (rules: readonly Rule[], failures = 0) => {
  let calls = 0;
  let failing = failures;
  const load = async (): Promise<Catalogue> => {
    calls++;
    if (failing-- > 0) throw new Error('chunk missing');
    return buildCatalogue(rules);
  };
  return { load, calls: () => calls };
};

const selectorsOf = (rules: readonly Rule[]) => rules.map((r) => ({ id: r.id, on: r.on }));

describe('lazy catalogue (the evaluate function loads the rules on the first event one selects)', () => {
  it('lists every registered rule, in registry order, with its selector, and loads exactly those', async () => {
    expect(SELECTORS).toEqual(selectorsOf(RULES));
    expect((await loadCatalogue()).rules.map((r) => r.id)).toEqual(RULES.map((r) => r.id));
  });

  it('gives the same candidates as the eager catalogue for every case event of every rule', async () => {
    expect(CASE_EVENTS.length).toBeGreaterThan(1000);
    const eager = buildCatalogue(RULES);
    const lazy = lazyCatalogue(SELECTORS, loadCatalogue);
    expect(await lazy.prepare?.(CASE_EVENTS)).toEqual([]);
    for (const e of CASE_EVENTS)
      expect(
        lazy.candidates(e).map((r) => r.id),
        e.id,
      ).toEqual(eager.candidates(e).map((r) => r.id));
  });

  it('loads nothing for a batch no rule selects, refuses to answer before loading, and loads once', async () => {
    const { load, calls } = watched(RULES);
    const lazy = lazyCatalogue(selectorsOf(RULES), load);
    expect(await lazy.prepare?.([unselected])).toEqual([]);
    expect(calls()).toBe(0);
    expect(lazy.candidates(unselected)).toEqual([]);
    expect(() => lazy.candidates(stopLogging)).toThrow(/is not loaded: prepare the batch first/);
    await Promise.all([lazy.prepare?.([stopLogging]), lazy.prepare?.([createUser])]);
    await lazy.prepare?.([stopLogging]);
    expect(calls()).toBe(1);
    expect(lazy.candidates(stopLogging).map((r) => r.id)).toContain('cloudtrail.logging-stopped');
    expect(lazy.rules).toBe(RULES);
  });

  it('names the events that needed the rules when they cannot be loaded, and tries again on the next batch', async () => {
    const { load, calls } = watched(RULES, 1);
    const lazy = lazyCatalogue(selectorsOf(RULES), load);
    expect(await lazy.prepare?.([stopLogging, unselected, createUser])).toEqual([
      { eventIds: [stopLogging.id, createUser.id], error: 'the rules could not be loaded: chunk missing' },
    ]);
    expect(await lazy.prepare?.([stopLogging])).toEqual([]);
    expect(calls()).toBe(2);
  });

  it('refuses a stale list: another rule in a listed place, a changed selector, a missing rule', async () => {
    const [first, second] = RULES;
    if (first === undefined || second === undefined) throw new Error('rules missing');
    const staleError = async (rules: readonly Rule[]) =>
      (await lazyCatalogue(selectorsOf(RULES), async () => buildCatalogue(rules)).prepare?.([stopLogging]))?.[0]?.error;
    expect(await staleError([second, first, ...RULES.slice(2)])).toBe(
      `the rules could not be loaded: rules/selectors.ts is stale (${first.id} is listed where the catalogue has ${second.id}): regenerate it with npm run docs`,
    );
    const changed = { ...first, on: { source: 'example', eventNames: ['Noop'] } };
    expect(await staleError([changed, ...RULES.slice(1)])).toMatch(
      new RegExp(`stale \\(${first.id.replace('.', '\\.')} selects other events\\)`),
    );
    expect(await staleError(RULES.slice(1))).toMatch(/stale \(the rules are not those listed\)/);
  });

  it('the detector retries the events the rules could not be loaded for, and judges the rest', async () => {
    const rule = RULES.find((r) => r.id === 'cloudtrail.logging-stopped');
    if (rule === undefined) throw new Error('rule missing');
    const delivered: string[] = [];
    const detector = createDetector({
      catalogue: lazyCatalogue(selectorsOf([rule]), watched([rule], 1).load),
      config: DEFAULT_DETECTION_CONFIG,
      counters: createMemoryCounterStore(),
      ledger: createMemoryLedger(),
      sink: { deliver: async (f) => void delivered.push(f.ruleId), fold: async () => {} },
    });
    const first = await detector.process([stopLogging, unselected]);
    expect(first.failures).toEqual([
      { stage: 'rules', eventIds: [stopLogging.id], error: 'the rules could not be loaded: chunk missing' },
    ]);
    expect(first.matches).toBe(0);
    expect(delivered).toEqual([]);
    const retry = await detector.process([stopLogging]);
    expect(retry.failures).toEqual([]);
    expect(delivered).toEqual(['cloudtrail.logging-stopped']);
  });
});
