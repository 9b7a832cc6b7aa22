import { readFileSync } from 'node:fs';
import type { RuleText, RuleTextSource } from '../../rules/core/types.ts';
import type { Telemetry } from '../shared/telemetry.ts';

/**
 * Rules' descriptions and runbooks are most of the catalogue's bytes, and the evaluate function needs them only when
 * a finding is built. They ship as a JSON file beside the bundle (generated from the rules' `docs` by
 * `trailwarden docs`, copied next to the handler by the CDK bundling), read on the first finding, never at cold start.
 */
export const RULE_TEXT_FILE = 'rule-text.json';

/** Where the file is: beside this module unbundled, beside `index.mjs` in the Lambda package. */
export const ruleTextUrl = (): URL => new URL(`./${RULE_TEXT_FILE}`, import.meta.url);

const isRuleText = (v: unknown): v is RuleText =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as { description?: unknown }).description === 'string' &&
  Array.isArray((v as { runbook?: unknown }).runbook) &&
  (v as { runbook: unknown[] }).runbook.every((s) => typeof s === 'string');

/** Parses the file; entries that are not rule text are left out (their findings get the fallback text). */
export const parseRuleText = (json: string): ReadonlyMap<string, RuleText> => {
  const value: unknown = JSON.parse(json);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a JSON object');
  return new Map(Object.entries(value).filter((entry): entry is [string, RuleText] => isRuleText(entry[1])));
};

/**
 * Reads the table once, on the first lookup. A missing or broken file never costs a finding: the finding goes out
 * with the fallback text (which names docs/RULES.md) and `onError` reports why, once.
 */
export const lazyRuleText = (read: () => string, onError: (error: string) => void): RuleTextSource => {
  let table: ReadonlyMap<string, RuleText> | undefined;
  return (ruleId) => {
    if (table === undefined) {
      try {
        table = parseRuleText(read());
      } catch (err) {
        onError(err instanceof Error ? err.message : String(err));
        table = new Map();
      }
    }
    return table.get(ruleId);
  };
};

export const readRuleTextFile = (): string => readFileSync(ruleTextUrl(), 'utf8');

/** The table shipped beside the handler; a broken file reports through `onError` and findings use the fallback. */
export const shippedRuleText = (onError: (error: string) => void): RuleTextSource =>
  lazyRuleText(readRuleTextFile, onError);

/**
 * The shipped table as the functions use it: an unreadable file is logged (naming the file and why) and counted
 * (`RuleTextErrors`, which has an alarm), once per container; every finding still goes out, with the fallback text.
 */
export const monitoredRuleText = (telemetry: Telemetry, read: () => string = readRuleTextFile): RuleTextSource =>
  lazyRuleText(read, (error) => {
    telemetry.log('error', `${RULE_TEXT_FILE} unreadable: findings carry the fallback runbook`, { error });
    telemetry.count({ RuleTextErrors: 1 });
  });
