import { describe, expect, it } from 'vitest';
import { createHandler } from '../../functions/evaluate/evaluate.ts';
import {
  lazyRuleText,
  monitoredRuleText,
  parseRuleText,
  readRuleTextFile,
} from '../../functions/evaluate/rule-text.ts';
import { createTelemetry } from '../../functions/shared/telemetry.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../rules/core/config.ts';
import type { Finding } from '../../rules/core/finding.ts';
import {
  createMemoryCounterStore,
  createMemoryHistoryStore,
  createMemoryIncidentStore,
  createMemoryLedger,
} from '../../rules/core/memory.ts';
import { withDocs } from '../../rules/docs.ts';
import { catalogue, RULES } from '../../rules/index.ts';
import { envelope, sqsBatch, stopLogging } from './support.ts';

describe('rule text beside the evaluate function', () => {
  it('the shipped file holds every rule’s description and runbook, as its docs say', async () => {
    const shipped = parseRuleText(readRuleTextFile());
    for (const [rule, docs] of await withDocs(RULES)) {
      expect(shipped.get(rule.id)).toEqual({ description: docs.description, runbook: docs.runbook });
    }
  });

  it('reads the file once, on the first lookup', () => {
    let reads = 0;
    const text = lazyRuleText(
      () => {
        reads++;
        return JSON.stringify({ 'a.b': { description: 'A.', runbook: ['Do.'] } });
      },
      () => {},
    );
    expect(reads).toBe(0);
    expect(text('a.b')).toEqual({ description: 'A.', runbook: ['Do.'] });
    expect(text('c.d')).toBeUndefined();
    expect(reads).toBe(1);
  });

  it('a missing or broken file is reported once and never throws; malformed entries are left out', () => {
    const errors: string[] = [];
    const missing = lazyRuleText(
      () => {
        throw new Error('ENOENT: rule-text.json');
      },
      (e) => errors.push(e),
    );
    expect(missing('a.b')).toBeUndefined();
    expect(missing('a.b')).toBeUndefined();
    expect(errors).toEqual(['ENOENT: rule-text.json']);
    expect(() => parseRuleText('[]')).toThrow('not a JSON object');
    const partial = parseRuleText(
      JSON.stringify({
        ok: { description: 'Fine.', runbook: ['x'] },
        bad: { description: 1, runbook: ['x'] },
        worse: { description: 'x', runbook: [2] },
      }),
    );
    expect([...partial.keys()]).toEqual(['ok']);
  });
});

describe('an unreadable rule-text.json never costs a finding', () => {
  // The same events for every run, so findings compare field for field.
  const BODIES = [
    JSON.stringify(envelope(stopLogging('2026-11-02T10:00:00Z'))),
    JSON.stringify(envelope({ ...stopLogging('2026-11-02T11:00:00Z'), requestParameters: { name: 'other-trail' } })),
  ] as const;
  const run = async (read: () => string) => {
    const lines: string[] = [];
    const delivered: Finding[] = [];
    const telemetry = createTelemetry(
      'test',
      (line) => lines.push(line),
      () => 0,
    );
    const handler = createHandler({
      ruleText: monitoredRuleText(telemetry, read),
      catalogue,
      config: DEFAULT_DETECTION_CONFIG,
      counters: createMemoryCounterStore(),
      ledger: createMemoryLedger(),
      history: createMemoryHistoryStore(),
      incidents: createMemoryIncidentStore(),
      sink: { deliver: async (f) => void delivered.push(f), fold: async () => {} },
      telemetry,
    });
    // Two batches (two trails, so no fold): the file is tried once per container, not once per finding.
    const first = await handler(sqsBatch([BODIES[0]]));
    const second = await handler(sqsBatch([BODIES[1]]));
    expect([...first.batchItemFailures, ...second.batchItemFailures]).toEqual([]);
    return { delivered, logged: lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
  };

  it('delivers each finding with the fallback text naming the rule, logs and counts the failure once', async () => {
    const broken = await run(() => {
      throw new Error('ENOENT: no such file or directory, open rule-text.json');
    });
    const shipped = await run(readRuleTextFile);
    expect(broken.delivered.map((f) => f.ruleId)).toEqual(['cloudtrail.logging-stopped', 'cloudtrail.logging-stopped']);
    const rule = RULES.find((r) => r.id === 'cloudtrail.logging-stopped');
    for (const [i, f] of broken.delivered.entries()) {
      expect(f.description).toBe(rule?.title);
      expect(f.runbook).toEqual([
        'Follow the runbook of cloudtrail.logging-stopped in docs/RULES.md (its text was not available here).',
      ]);
      // Everything but the words is the finding the shipped text gives.
      const { description: _d, runbook: _r, ...rest } = f;
      const { description: _d2, runbook: _r2, ...expected } = shipped.delivered[i] ?? f;
      expect(rest).toEqual(expected);
    }
    expect(shipped.delivered[0]?.runbook).toEqual(parseRuleText(readRuleTextFile()).get(rule?.id ?? '')?.runbook);
    const errors = broken.logged.filter(
      (l) => l.message === 'rule-text.json unreadable: findings carry the fallback runbook',
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]?.error).toContain('ENOENT');
    expect(broken.logged.filter((l) => l.RuleTextErrors !== undefined).map((l) => l.RuleTextErrors)).toEqual([1]);
    expect(shipped.logged.some((l) => l.RuleTextErrors !== undefined)).toBe(false);
  });

  it('a file that is not the table (truncated by a bad deploy) is the same fallback, never a lost finding', async () => {
    const { delivered, logged } = await run(() => '{"cloudtrail.logging-stopped": {"descr');
    expect(delivered).toHaveLength(2);
    expect(delivered[0]?.runbook[0]).toContain('docs/RULES.md');
    expect(logged.filter((l) => l.RuleTextErrors !== undefined)).toHaveLength(1);
  });
});
