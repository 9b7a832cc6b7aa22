import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { DetectionConfig } from '../../rules/core/config.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../rules/core/config.ts';
import { evaluate } from '../../rules/core/engine.ts';
import { fromRecord } from '../../rules/core/events.ts';
import { fixture, fixtureNames } from '../../rules/fixtures/index.ts';
import { catalogue, RULES } from '../../rules/index.ts';

/**
 * docs/ATTACK-COVERAGE.md stays true: every Stratus Red Team technique, Sigma, Splunk, Elastic, Panther, Turbot and Falco AWS rule it lists
 * has a verdict; every `covered` or `partial` row names `rule-id` ← `fixture` pairs, and the catalogue, run over
 * that scrubbed record through the real dispatch and predicate, must match with that rule. A rule that stops
 * seeing the attack's real shape fails here. Threshold rules are checked on the predicate (the event counts);
 * their thresholds are tested where they are defined.
 */
const MATRIX = fileURLToPath(new URL('../../docs/ATTACK-COVERAGE.md', import.meta.url));

/** The organisation the matrix is judged with: the two scrubbed accounts of the fixtures. */
const CONFIG: DetectionConfig = {
  ...DEFAULT_DETECTION_CONFIG,
  organization: { accounts: ['111122223333', '444455556666'] },
};

const VERDICTS = ['covered', 'partial', 'behaviour', 'gap', 'out of scope'] as const;
type Verdict = (typeof VERDICTS)[number];

interface Row {
  readonly line: number;
  readonly source: string;
  readonly item: string;
  readonly verdict: string;
  readonly pairs: readonly { readonly rule: string; readonly fixture: string }[];
  /** Every rule id the detection cell names (for behaviour rows, which name rules without fixtures). */
  readonly named: readonly string[];
  readonly note: string;
}

const cells = (line: string): string[] =>
  line
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split('|')
    .map((c) => c.trim());

/** Rows of the matrix tables: `| Source | Technique / rule | Verdict | Rule ← fixture | Notes |`. */
const parseMatrix = (text: string): Row[] =>
  text.split('\n').flatMap((line, i) => {
    const c = cells(line);
    if (!line.startsWith('|') || c.length !== 5) return [];
    const [source = '', item = '', verdict = '', detection = '', note = ''] = c;
    if (!/^(stratus|sigma|splunk|elastic|panther|turbot|falco)$/.test(source)) return [];
    const pairs = [...detection.matchAll(/`([a-z0-9.-]+)` ← `([^`]+)`/g)].map((m) => ({
      rule: m[1] ?? '',
      fixture: m[2] ?? '',
    }));
    const named = [...detection.matchAll(/`([a-z0-9-]+\.[a-z0-9.-]+)`/g)].map((m) => m[1] ?? '');
    return [{ line: i + 1, source, item: item.replace(/`/g, ''), verdict, pairs, named, note }];
  });

const rows = parseMatrix(readFileSync(MATRIX, 'utf8'));
const ids = new Set(RULES.map((r) => r.id));
const fixtures = new Set(fixtureNames());

const matchingRules = (name: string): string[] => {
  const parsed = fromRecord(fixture(name));
  if (!parsed.ok) throw new Error(`${name}: ${parsed.error}`);
  return evaluate(catalogue, CONFIG, parsed.event).flatMap((v) => (v.kind === 'match' ? [v.rule.id] : []));
};

describe('docs/ATTACK-COVERAGE.md', () => {
  it('lists every Stratus Red Team AWS technique and the Sigma, Splunk, Elastic, Panther, Turbot and Falco AWS CloudTrail rules, each once', () => {
    expect(rows.filter((r) => r.source === 'stratus').length).toBeGreaterThanOrEqual(45);
    expect(rows.filter((r) => r.source === 'sigma').length).toBeGreaterThanOrEqual(90);
    // Splunk and Elastic rows group the source's rules by event family (several rule names per row).
    expect(rows.filter((r) => r.source === 'splunk').length).toBeGreaterThanOrEqual(50);
    expect(rows.filter((r) => r.source === 'elastic').length).toBeGreaterThanOrEqual(70);
    // Panther is measured on its own test events, by family, in one subsection per group of services.
    expect(rows.filter((r) => r.source === 'panther').length).toBeGreaterThanOrEqual(85);
    // Turbot tailpipe's detections, by family, one subsection per group of services (48 identity/logging + 57 data).
    expect(rows.filter((r) => r.source === 'turbot').length).toBeGreaterThanOrEqual(105);
    // Falco's CloudTrail plugin rules, one row each (22, the two disabled by default included).
    expect(rows.filter((r) => r.source === 'falco').length).toBeGreaterThanOrEqual(22);
    const keys = rows.map((r) => `${r.source}:${r.item}`);
    expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
  });

  it.each(rows.map((r) => [`${r.source} ${r.item} (line ${r.line})`, r] as const))('%s', (_name, row) => {
    expect(VERDICTS as readonly string[]).toContain(row.verdict);
    const verdict = row.verdict as Verdict;
    if (verdict === 'covered' || verdict === 'partial') {
      expect(row.pairs.length, 'a covered row names rule ← fixture pairs').toBeGreaterThan(0);
      for (const { rule, fixture: name } of row.pairs) {
        expect(ids, `unknown rule ${rule}`).toContain(rule);
        expect(fixtures, `unknown fixture ${name}`).toContain(name);
        expect(matchingRules(name), `${rule} must match ${name}`).toContain(rule);
      }
    } else if (verdict === 'behaviour') {
      // Rules that compare with remembered history: named, and they do remember.
      expect(row.named.length).toBeGreaterThan(0);
      for (const id of row.named) expect(RULES.find((r) => r.id === id)?.history, id).toBeTruthy();
    } else {
      expect(row.pairs, 'a gap names no detection').toEqual([]);
    }
    if (verdict !== 'covered') expect(row.note.length, 'say why').toBeGreaterThan(20);
  });
});
