import { describe, expect, it } from 'vitest';
import { leftOverFiles, renderLazyRules } from '../../cli/format/lazy-rules.ts';
import { caseEvent } from '../../rules/core/cases.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../rules/core/config.ts';
import { createDetector } from '../../rules/core/detector.ts';
import { buildCatalogue } from '../../rules/core/engine.ts';
import { fromRecord } from '../../rules/core/events.ts';
import type { LazyRule } from '../../rules/core/lazy-catalogue.ts';
import { lazyCatalogue } from '../../rules/core/lazy-catalogue.ts';
import { createMemoryCounterStore, createMemoryLedger } from '../../rules/core/memory.ts';
import type { AuditEvent, Rule } from '../../rules/core/types.ts';
import { withDocs } from '../../rules/docs.ts';
import { fixture } from '../../rules/fixtures/index.ts';
import { RULES } from '../../rules/index.ts';
import { LAZY_RULES } from '../../rules/lazy/catalogue.ts';

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

/** Lazy entries over a few real rules, with loaders the test can watch and break. */
const watched = (rules: readonly Rule[], broken = new Set<string>()) => {
  const calls: string[] = [];
  const entries: LazyRule[] = rules.map((rule) => ({
    id: rule.id,
    on: rule.on,
    load: async () => {
      calls.push(rule.id);
      if (broken.has(rule.id)) throw new Error('chunk missing');
      return rule;
    },
  }));
  return { entries, calls };
};

describe('lazy catalogue (the evaluate function loads each service’s rules on first use)', () => {
  it('lists every registered rule, in registry order, with its selector', () => {
    expect(LAZY_RULES.map((e) => e.id)).toEqual(RULES.map((r) => r.id));
    for (const [i, entry] of LAZY_RULES.entries()) expect(entry.on, entry.id).toEqual(RULES[i]?.on);
  });

  it('each entry loads its own rule', async () => {
    for (const entry of LAZY_RULES) expect((await entry.load()).id).toBe(entry.id);
  });

  it('gives the same candidates as the eager catalogue for every case event of every rule', async () => {
    expect(CASE_EVENTS.length).toBeGreaterThan(1000);
    const eager = buildCatalogue(RULES);
    const lazy = lazyCatalogue(LAZY_RULES);
    expect(await lazy.prepare?.(CASE_EVENTS)).toEqual([]);
    for (const e of CASE_EVENTS)
      expect(
        lazy.candidates(e).map((r) => r.id),
        e.id,
      ).toEqual(eager.candidates(e).map((r) => r.id));
  });

  it('loads only the rules a batch can reach, and refuses to answer for one it has not loaded', async () => {
    const { entries, calls } = watched(RULES);
    const lazy = lazyCatalogue(entries);
    expect(() => lazy.candidates(stopLogging)).toThrow(/is not loaded: prepare the batch first/);
    await lazy.prepare?.([stopLogging]);
    const reached = buildCatalogue(RULES)
      .candidates(stopLogging)
      .map((r) => r.id);
    expect(reached).toContain('cloudtrail.logging-stopped');
    expect(calls.sort()).toEqual([...reached].sort());
    expect(lazy.rules.map((r) => r.id).sort()).toEqual([...reached].sort());
    // A second batch of the same kind loads nothing again.
    await lazy.prepare?.([stopLogging]);
    expect(calls).toHaveLength(reached.length);
  });

  it('names a rule that cannot be loaded with the events that needed it, and tries again on the next batch', async () => {
    const reached = buildCatalogue(RULES).candidates(stopLogging);
    const { entries, calls } = watched(RULES, new Set(['cloudtrail.logging-stopped']));
    const lazy = lazyCatalogue(entries);
    const unloaded = await lazy.prepare?.([stopLogging]);
    expect(unloaded).toEqual([
      {
        ruleId: 'cloudtrail.logging-stopped',
        eventIds: [stopLogging.id],
        error: 'rule cloudtrail.logging-stopped could not be loaded: chunk missing',
      },
    ]);
    await lazy.prepare?.([stopLogging]);
    expect(calls.filter((id) => id === 'cloudtrail.logging-stopped')).toHaveLength(2);
    // The rules that did load are not loaded twice.
    expect(calls).toHaveLength(reached.length + 1);
  });

  it('refuses a stale list: a loaded rule whose selector differs from the listed one is not used', async () => {
    const rule = RULES.find((r) => r.id === 'cloudtrail.logging-stopped');
    if (rule === undefined) throw new Error('rule missing');
    const stale: LazyRule = {
      id: rule.id,
      on: { source: 'cloudtrail', eventNames: ['StopLogging'] },
      load: async () => rule,
    };
    const unloaded = await lazyCatalogue([stale]).prepare?.([stopLogging]);
    expect(unloaded?.[0]?.error).toMatch(
      /rules\/lazy\/ is stale for cloudtrail\.logging-stopped \(the rule selects other events\)/,
    );
    const renamed: LazyRule = { id: 'cloudtrail.renamed', on: rule.on, load: async () => rule };
    const again = await lazyCatalogue([renamed]).prepare?.([stopLogging]);
    expect(again?.[0]?.error).toMatch(/stale for cloudtrail\.renamed \(its module gave cloudtrail\.logging-stopped\)/);
  });

  it('the detector retries the events whose rules could not load and judges the rest', async () => {
    const rule = RULES.find((r) => r.id === 'cloudtrail.logging-stopped');
    const other = RULES.find((r) => r.id === 'iam.user-created');
    if (rule === undefined || other === undefined) throw new Error('rule missing');
    const { entries } = watched([rule, other], new Set([rule.id]));
    const created = eventOf(fixture('iam/CreateUser'));
    const delivered: string[] = [];
    const detector = createDetector({
      catalogue: lazyCatalogue(entries),
      config: DEFAULT_DETECTION_CONFIG,
      counters: createMemoryCounterStore(),
      ledger: createMemoryLedger(),
      sink: { deliver: async (f) => void delivered.push(f.ruleId), fold: async () => {} },
    });
    const outcome = await detector.process([stopLogging, created]);
    expect(outcome.failures).toEqual([
      {
        stage: 'rules',
        eventIds: [stopLogging.id],
        ruleId: rule.id,
        error: 'rule cloudtrail.logging-stopped could not be loaded: chunk missing',
      },
    ]);
    expect(outcome.matchesByRule).toEqual({ 'iam.user-created': 1 });
    expect(delivered).toEqual(['iam.user-created']);
  });

  it('writes one module per service re-exporting only its rules, and names left-over modules', () => {
    const files = renderLazyRules(RULES);
    expect(files.get('cloudtrail.ts')).toContain(
      "export { rule as loggingStopped } from '../cloudtrail/logging-stopped.rule.ts';",
    );
    // Nothing but `rule` exports: the docs and cases of a rule file never reach the chunk.
    for (const [file, text] of files) {
      if (file === 'catalogue.ts') continue;
      for (const line of text.split('\n').filter((l) => l !== '' && !l.startsWith('//')))
        expect(line, file).toMatch(
          /^export \{ rule as [a-zA-Z0-9]+ \} from '\.\.\/[a-z0-9-]+\/[a-z0-9-]+\.rule\.ts';$/,
        );
    }
    expect(leftOverFiles(['catalogue.ts', 'iam.ts', 'gone.ts'], files)).toEqual(['gone.ts']);
  });
});
