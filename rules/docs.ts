import type { Rule, RuleDocs, RuleText, RuleTextSource } from './core/types.ts';

/**
 * A rule's `docs` (rationale, false positives, cases), loaded from its own file on demand. The file follows
 * from the id (`cloudtrail.logging-stopped` → `cloudtrail/logging-stopped.rule.ts`), so the registry in
 * `index.ts` stays the one list; only tests, docs and drills call this, never the Lambda.
 */
export const docsOf = async (rule: Pick<Rule, 'id'>): Promise<RuleDocs> => {
  const dot = rule.id.indexOf('.');
  const service = rule.id.slice(0, dot);
  const name = rule.id.slice(dot + 1);
  const file = `./${service}/${name}.rule.ts`;
  // A template in the import itself (not a variable) lets the CLI bundle (scripts/build-cli.mjs) include every rule file.
  const mod = (await import(`./${service}/${name}.rule.ts`)) as { docs?: RuleDocs };
  if (mod.docs === undefined) throw new Error(`${file} exports no docs`);
  return mod.docs;
};

/** Every rule with its docs, in registry order. */
export const withDocs = async (rules: readonly Rule[]): Promise<readonly (readonly [Rule, RuleDocs])[]> =>
  Promise.all(rules.map(async (rule) => [rule, await docsOf(rule)] as const));

/** Just the text findings carry (description, runbook), by rule id: what `rule-text.json` holds. */
export const ruleTextTable = (entries: readonly (readonly [Rule, RuleDocs])[]): Readonly<Record<string, RuleText>> =>
  Object.fromEntries(
    entries.map(([rule, docs]) => [rule.id, { description: docs.description, runbook: docs.runbook }]),
  );

/** A text source over a table (`ruleTextTable`, or the parsed `rule-text.json`). */
export const ruleTextFrom =
  (table: Readonly<Record<string, RuleText>>): RuleTextSource =>
  (ruleId) =>
    Object.hasOwn(table, ruleId) ? table[ruleId] : undefined;
