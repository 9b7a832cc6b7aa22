import { describe, expect, it } from 'vitest';
import { lazyRuleText, parseRuleText, readRuleTextFile } from '../../functions/evaluate/rule-text.ts';
import { withDocs } from '../../rules/docs.ts';
import { RULES } from '../../rules/index.ts';

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
